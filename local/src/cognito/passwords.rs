//! Passwords as the user pool treats them: the plaintext kept out of logs,
//! and the template's password policy checked, and met by generated
//! passwords, as Cognito does when a password is set.

use std::fmt;

use crate::ids::{RandomError, random_string};
use crate::template::password_policy::PasswordPolicy;

/// Cognito accepts passwords up to this many characters, whatever the policy.
const MAX_PASSWORD_CHARS: usize = 256;
/// Cognito's special characters; a space that is neither first nor last also counts.
pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

/// A plaintext password, kept out of `Debug` output so it cannot reach a
/// log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a plaintext password.
    pub fn new(plaintext: impl Into<String>) -> Self {
        Self(plaintext.into())
    }

    /// The plaintext, for hashing or for the banner's demo user.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A rule of the password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    /// At least this many characters (`MinimumLength`).
    MinimumLength(usize),
    /// At most 256 characters, Cognito's limit.
    MaximumLength,
    /// No white space first or last, as Cognito refuses.
    NoEdgeSpace,
    /// An upper-case Basic Latin letter (`RequireUppercase`).
    Uppercase,
    /// A lower-case Basic Latin letter (`RequireLowercase`).
    Lowercase,
    /// A digit (`RequireNumbers`).
    Number,
    /// One of [`SYMBOLS`] or an inner space (`RequireSymbols`).
    Symbol,
}

impl PasswordRule {
    /// The `PasswordPolicy` property that sets the rule, if any.
    fn property(self) -> Option<&'static str> {
        match self {
            Self::MinimumLength(_) => Some("MinimumLength"),
            Self::Uppercase => Some("RequireUppercase"),
            Self::Lowercase => Some("RequireLowercase"),
            Self::Number => Some("RequireNumbers"),
            Self::Symbol => Some("RequireSymbols"),
            Self::MaximumLength | Self::NoEdgeSpace => None,
        }
    }
}

impl fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MinimumLength(n) => write!(f, "must be at least {n} characters long"),
            Self::MaximumLength => {
                write!(f, "must be at most {MAX_PASSWORD_CHARS} characters long")
            }
            Self::NoEdgeSpace => f.write_str("must not start or end with white space"),
            Self::Uppercase => f.write_str("must contain an uppercase letter (A-Z)"),
            Self::Lowercase => f.write_str("must contain a lowercase letter (a-z)"),
            Self::Number => f.write_str("must contain a number (0-9)"),
            Self::Symbol => write!(f, "must contain a symbol (one of {SYMBOLS} or a space)"),
        }
    }
}

/// A password that breaks the policy: the rule and where it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation {
    /// The rule broken.
    pub rule: PasswordRule,
    /// The user pool's logical id when the policy is the template's.
    pool: Option<String>,
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.rule, self.setting())
    }
}

impl std::error::Error for PolicyViolation {}

impl PolicyViolation {
    fn setting(&self) -> String {
        match (self.rule.property(), &self.pool) {
            (None, _) => "a limit of Cognito itself".into(),
            (Some(property), Some(pool)) => {
                format!("template.yaml: {pool}.Policies.PasswordPolicy.{property}")
            }
            (Some(property), None) => format!(
                "Cognito's default {property}; the template sets no Policies.PasswordPolicy"
            ),
        }
    }
}

impl PasswordPolicy {
    /// Checks `password` as Cognito does when a password is set; the error
    /// names the first rule broken.
    pub fn check(&self, password: &str) -> Result<(), PolicyViolation> {
        let broken = |rule| {
            Err(PolicyViolation {
                rule,
                pool: self.pool.clone(),
            })
        };
        let length = password.chars().count();
        if length < self.minimum_length {
            return broken(PasswordRule::MinimumLength(self.minimum_length));
        }
        if length > MAX_PASSWORD_CHARS {
            return broken(PasswordRule::MaximumLength);
        }
        if password.starts_with(char::is_whitespace) || password.ends_with(char::is_whitespace) {
            return broken(PasswordRule::NoEdgeSpace);
        }
        let has = |test: fn(char) -> bool| password.chars().any(test);
        if self.require_uppercase && !has(|c| c.is_ascii_uppercase()) {
            return broken(PasswordRule::Uppercase);
        }
        if self.require_lowercase && !has(|c| c.is_ascii_lowercase()) {
            return broken(PasswordRule::Lowercase);
        }
        if self.require_numbers && !has(|c| c.is_ascii_digit()) {
            return broken(PasswordRule::Number);
        }
        // Edge spaces are refused above, so any space here is an inner one.
        if self.require_symbols && !has(|c| c == ' ' || SYMBOLS.contains(c)) {
            return broken(PasswordRule::Symbol);
        }
        Ok(())
    }

    /// A random password this policy accepts, for the demo user: groups of
    /// five letters and digits joined by `-` (a Cognito symbol that needs no
    /// quoting in a shell), at least 23 characters.
    pub fn generate(&self) -> Result<Password, RandomError> {
        const GROUP: usize = 5;
        let groups = (self.minimum_length + 1).div_ceil(GROUP + 1).max(4);
        // Each try fails only for lack of a digit or a letter case (about
        // 3% of tries); a hundred failures in a row means a broken RNG.
        for _ in 0..100 {
            let letters = random_string(groups * GROUP, ALNUM)?;
            let mut password = String::with_capacity(groups * (GROUP + 1));
            for (i, chunk) in letters.as_bytes().chunks(GROUP).enumerate() {
                if i > 0 {
                    password.push('-');
                }
                password.extend(chunk.iter().map(|&b| char::from(b)));
            }
            if self.check(&password).is_ok() {
                return Ok(Password(password));
            }
        }
        Err(RandomError)
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::password_policy::tests::{policy_from, template_policy};

    #[test]
    fn each_rule_is_checked_and_named() {
        let all = policy_from(
            "Policies: {PasswordPolicy: {MinimumLength: 10, RequireUppercase: true, \
             RequireLowercase: true, RequireNumbers: true, RequireSymbols: true}}",
        )
        .unwrap();
        // (password, rule broken or None, property named)
        let cases: [(&str, Option<PasswordRule>, &str); 12] = [
            ("Aa1-567890", None, ""),
            ("Aa1 567890", None, ""),
            (
                "Aa1-56789",
                Some(PasswordRule::MinimumLength(10)),
                "MinimumLength",
            ),
            (
                "aa1-567890",
                Some(PasswordRule::Uppercase),
                "RequireUppercase",
            ),
            (
                "ÄA1-567890",
                Some(PasswordRule::Lowercase),
                "RequireLowercase",
            ),
            (
                "AA1-567890",
                Some(PasswordRule::Lowercase),
                "RequireLowercase",
            ),
            ("Aab-cdefgh", Some(PasswordRule::Number), "RequireNumbers"),
            ("Aa1b567890", Some(PasswordRule::Symbol), "RequireSymbols"),
            ("Aa1§567890", Some(PasswordRule::Symbol), "RequireSymbols"),
            (
                " Aa1-567890",
                Some(PasswordRule::NoEdgeSpace),
                "Cognito itself",
            ),
            (
                "Aa1-567890 ",
                Some(PasswordRule::NoEdgeSpace),
                "Cognito itself",
            ),
            ("", Some(PasswordRule::MinimumLength(10)), "MinimumLength"),
        ];
        for (password, rule, property) in cases {
            let result = all.check(password);
            assert_eq!(result.as_ref().err().map(|v| v.rule), rule, "{password:?}");
            if let Err(violation) = result {
                let message = violation.to_string();
                assert!(message.contains(property), "{password:?}: {message}");
            }
        }
        let long = format!("Aa1-{}", "x".repeat(253));
        assert_eq!(
            all.check(&long).unwrap_err().rule,
            PasswordRule::MaximumLength
        );
        assert_eq!(all.check(&long[..256]), Ok(()));
    }

    #[test]
    fn every_cognito_symbol_counts_and_nothing_else_does() {
        let only_symbols = PasswordPolicy {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: true,
            pool: None,
        };
        for symbol in SYMBOLS.chars() {
            assert!(
                only_symbols.check(&format!("abc{symbol}def")).is_ok(),
                "{symbol}"
            );
        }
        for other in ['a', 'Z', '0', '§', '€', '\t'] {
            let err = only_symbols.check(&format!("abc{other}def")).unwrap_err();
            assert_eq!(err.rule, PasswordRule::Symbol, "{other:?}");
        }
    }

    #[test]
    fn violations_say_where_the_rule_is_set() {
        let from_template = template_policy().check("alllowercase1").unwrap_err();
        assert_eq!(
            from_template.to_string(),
            "must contain an uppercase letter (A-Z) \
             (template.yaml: UserPool.Policies.PasswordPolicy.RequireUppercase)"
        );
        let from_default = PasswordPolicy::default().check("Abcdefg1").unwrap_err();
        assert_eq!(
            from_default.to_string(),
            format!(
                "must contain a symbol (one of {SYMBOLS} or a space) (Cognito's default \
                 RequireSymbols; the template sets no Policies.PasswordPolicy)"
            )
        );
    }

    #[test]
    fn generated_passwords_pass_their_policy_and_differ() {
        let strict = policy_from("Policies: {PasswordPolicy: {MinimumLength: 99}}").unwrap();
        for policy in [PasswordPolicy::default(), template_policy(), strict] {
            for _ in 0..20 {
                let password = policy.generate().unwrap();
                assert_eq!(policy.check(password.expose()), Ok(()), "{policy:?}");
                assert!(password.expose().chars().count() >= 23);
            }
        }
        let (a, b) = (
            PasswordPolicy::default().generate().unwrap(),
            PasswordPolicy::default().generate().unwrap(),
        );
        assert_ne!(a, b);
    }
}
