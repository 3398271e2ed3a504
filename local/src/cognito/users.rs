//! The local user pool's users: who may sign in through the hosted sign-in
//! pages, with which password, and in which groups.
//!
//! # Usernames
//!
//! The template sets `UsernameAttributes: [email]`. Cognito then does not let
//! anyone choose a username: it generates one, the same UUID as the user's
//! `sub`, and the email becomes the sign-in alias. So the access token's
//! `username`, the ID token's `cognito:username` and `/oauth2/userInfo`'s
//! `username` all carry the UUID, never the email (which is the ID token's
//! and userInfo's `email`). [`User::username`] is therefore the sub. People
//! sign in with their email, case-insensitively (what Cognito does when the
//! pool's `UsernameConfiguration.CaseSensitive` is false, the console's
//! default); the UUID username works too, as it does in Cognito.
//!
//! # User specs
//!
//! `EMAIL:PASSWORD[:GROUP,GROUP…]`, given with `--user` (repeatable) or in
//! `LOCAL_USERS`, one spec per line ([`parse_user_list`]).
//!
//! - The email runs up to the first `:` (so an email cannot contain `:`).
//! - Groups come after the **last** `:`, but only when the rest has a `:` at
//!   all; everything between is the password. A password may hold `,`
//!   freely; one that holds `:` must be followed by a group part, which may
//!   be empty: `alice@example.com:pa:ss:` is password `pa:ss` with no groups,
//!   while `alice@example.com:pa:ss` is password `pa` in group `ss`.
//! - Groups are separated by `,`; a name is non-empty, has no space and no
//!   `:` (Cognito's own names have no white space either).
//! - `LOCAL_USERS` separates specs by line breaks: every printable character
//!   may appear in a password, but a sign-in form's password field strips
//!   line breaks, so no usable password holds one. Blank lines are skipped
//!   and white space around a line is dropped (no email, password or group
//!   can start or end with any), e.g. `LOCAL_USERS=$'a@x.io:Pw1:admins\nb@x.io:Pw2'`.
//!
//! Errors name where the spec came from and its email, never its password.
//!
//! # Which users exist
//!
//! `users.json` in the state folder remembers the pool between runs, so each
//! user's `sub` stays the same across restarts. Users given at start define
//! the pool: a given email already in the file keeps its `sub` (its password
//! and groups are taken from the spec), emails not given are dropped. With
//! none given, the file's users stay. With none given and none in the file,
//! a demo user is made with a generated password that the banner prints on
//! every start ([`UserStore::demo_user`]); the plaintext is kept, for that
//! reason only, in `demo-user.txt` (mode 0600).
//!
//! # Password hashes
//!
//! PBKDF2-HMAC-SHA256 with a random 16-byte salt and [`PBKDF2_ITERATIONS`]
//! rounds, stored as `pbkdf2-sha256$<rounds>$<salt>$<hash>` (base64 without
//! padding). The round count is a trade-off for a dev-only emulator: far
//! below OWASP's 600 000 for production, so that a sign-in in a debug build
//! stays well under a tenth of a second on a shared 2-core machine, yet a
//! real KDF, so a copied state folder does not give passwords away cheaply.
//! Each hash records its own round count, so changing the constant keeps old
//! files valid.

use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use aws_lc_rs::pbkdf2;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use yaml_serde::Value;

use crate::cognito::ids::{RandomError, random_string};
use crate::state::{StateDir, StateError};
use crate::template::sam::TemplateError;

/// The users file in the state folder.
pub const USERS_FILE: &str = "users.json";
/// The demo user's email and plaintext password, for the banner.
pub const DEMO_USER_FILE: &str = "demo-user.txt";
/// The email of the user made when nobody else is given.
pub const DEMO_EMAIL: &str = "demo@example.com";
/// The environment variable holding user specs, one per line.
pub use local_cli::USERS_VARIABLE;
/// PBKDF2 rounds for new hashes (see the module documentation).
pub const PBKDF2_ITERATIONS: u32 = 100_000;

/// Cognito accepts passwords up to this many characters, whatever the policy.
const MAX_PASSWORD_CHARS: usize = 256;
/// `MinimumLength` when a policy does not set it, and of Cognito's default policy.
const DEFAULT_MINIMUM_LENGTH: usize = 8;
/// The range CloudFormation allows for `MinimumLength`.
const MINIMUM_LENGTH_RANGE: std::ops::RangeInclusive<usize> = 6..=99;
/// Cognito's special characters; a space that is neither first nor last also counts.
pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";
/// Stored hashes with more rounds are refused: a hand-edited file must not
/// stall every sign-in.
const MAX_ITERATIONS: u32 = 10_000_000;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
const HASH_SCHEME: &str = "pbkdf2-sha256";
/// What every error about a state file suggests.
const AFRESH: &str = "delete it, or the whole state folder, to start afresh";

/// Why users could not be parsed, loaded or saved.
#[derive(Debug, Error)]
pub enum UsersError {
    /// A user spec is malformed.
    #[error("{origin}: {problem} (expected EMAIL:PASSWORD[:GROUP,GROUP...])")]
    Spec {
        /// Where the spec came from, e.g. `LOCAL_USERS line 2 (alice@example.com)`.
        origin: String,
        /// What is wrong.
        problem: String,
    },
    /// A given password breaks the template's password policy.
    #[error("{origin}: password for {email} {violation}")]
    WeakPassword {
        /// Where the spec came from.
        origin: String,
        /// The user's email.
        email: String,
        /// The rule broken.
        violation: PolicyViolation,
    },
    /// The same email is given twice.
    #[error("{second}: {email} is already given by {first}; give each user once")]
    Duplicate {
        /// The email, as given the second time.
        email: String,
        /// Where it was given first.
        first: String,
        /// Where it was given again.
        second: String,
    },
    /// A state file is not valid JSON of the expected shape.
    #[error("{path} is not a valid users file ({AFRESH}): {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause, naming the field, line and column.
        source: serde_json::Error,
    },
    /// A field of a state file has a bad value.
    #[error("{path}: {field}: {problem} ({AFRESH})")]
    Field {
        /// The file.
        path: PathBuf,
        /// The field, e.g. `users[1].sub`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// A state file could not be read or removed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A state file could not be written.
    #[error(transparent)]
    Write(#[from] StateError),
    /// No randomness for salts, subs or the demo password.
    #[error(transparent)]
    Random(#[from] RandomError),
}

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

/// One user given at start: `EMAIL:PASSWORD[:GROUP,GROUP…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// The email, as given.
    pub email: String,
    /// The password.
    pub password: Password,
    /// Groups, in the order given, without repeats.
    pub groups: Vec<String>,
    /// Where the spec came from, for errors (never contains the password).
    pub origin: String,
}

impl UserSpec {
    /// Parses one spec; `origin` says where it came from in errors (e.g.
    /// `--user`). See the module documentation for the syntax.
    pub fn parse(spec: &str, origin: impl Into<String>) -> Result<Self, UsersError> {
        let origin = origin.into();
        let Some((email, rest)) = spec.split_once(':') else {
            // Without a `:` the text may be a bare password: never echo it.
            return Err(UsersError::Spec {
                origin,
                problem: "no ':' after the email".into(),
            });
        };
        // The email is echoed only once it looks like one: text before the
        // first `:` could be a password given in the wrong place.
        check_email(email).map_err(|problem| UsersError::Spec {
            origin: origin.clone(),
            problem: format!("the email {problem}"),
        })?;
        let origin = format!("{origin} ({email})");
        let bad = |problem: String| UsersError::Spec {
            origin: origin.clone(),
            problem,
        };
        let (password, groups) = match rest.rsplit_once(':') {
            // Group names are not echoed either: they may be the end of a
            // password holding `:`.
            Some((password, groups)) => (
                password,
                parse_groups(groups).map_err(|problem| {
                    bad(format!(
                        "{problem} (a password holding ':' needs a group part after it, \
                         possibly empty: EMAIL:PASSWORD:)"
                    ))
                })?,
            ),
            None => (rest, Vec::new()),
        };
        if password.is_empty() {
            return Err(bad("the password is empty".into()));
        }
        Ok(Self {
            email: email.to_owned(),
            password: Password::new(password),
            groups,
            origin,
        })
    }
}

/// Parses a list of specs, one per line, as `LOCAL_USERS` holds them;
/// `variable` names the source in errors.
pub fn parse_user_list(text: &str, variable: &str) -> Result<Vec<UserSpec>, UsersError> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .map(|(number, line)| UserSpec::parse(line, format!("{variable} line {number}")))
        .collect()
}

/// `Ok` if `email` can name a user; otherwise what is wrong with it
/// (without the value, which the caller may not want to echo).
fn check_email(email: &str) -> Result<(), &'static str> {
    if email.is_empty() {
        return Err("is empty");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains white space");
    }
    if email.contains(':') {
        return Err("contains ':'");
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(())
        }
        _ => Err("is not of the form name@domain"),
    }
}

fn parse_groups(text: &str) -> Result<Vec<String>, &'static str> {
    let mut groups: Vec<String> = Vec::new();
    if text.is_empty() {
        return Ok(groups);
    }
    for group in text.split(',') {
        check_group(group)?;
        if !groups.iter().any(|g| g == group) {
            groups.push(group.to_owned());
        }
    }
    Ok(groups)
}

/// Like [`check_email`], for a group name.
fn check_group(group: &str) -> Result<(), &'static str> {
    if group.is_empty() {
        return Err("a group name is empty");
    }
    if group.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a group name contains white space");
    }
    if group.contains(':') {
        return Err("a group name contains ':'");
    }
    Ok(())
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

/// The user pool's password policy, as Cognito checks it when a password is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// `MinimumLength`, in characters.
    pub minimum_length: usize,
    /// `RequireUppercase`.
    pub require_uppercase: bool,
    /// `RequireLowercase`.
    pub require_lowercase: bool,
    /// `RequireNumbers`.
    pub require_numbers: bool,
    /// `RequireSymbols`.
    pub require_symbols: bool,
    /// The user pool's logical id when read from the template, for errors.
    pool: Option<String>,
}

impl Default for PasswordPolicy {
    /// Cognito's default policy: eight characters and all four kinds.
    fn default() -> Self {
        Self {
            minimum_length: DEFAULT_MINIMUM_LENGTH,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            pool: None,
        }
    }
}

impl PasswordPolicy {
    /// Reads `Policies.PasswordPolicy` from the `Properties` of the
    /// `AWS::Cognito::UserPool` named `logical_id`. Without a password
    /// policy, Cognito's default applies; in a policy, an unset
    /// `MinimumLength` is 8 and an unset `Require*` is false, as in
    /// Cognito's API. `resolve` turns a property's value (possibly `!Ref`)
    /// into text and names `at` in its errors; `Template` has one.
    pub fn from_user_pool(
        logical_id: &str,
        properties: &Value,
        resolve: impl Fn(&Value, &str) -> Result<String, TemplateError>,
    ) -> Result<Self, TemplateError> {
        let Some(policy) = properties
            .get("Policies")
            .and_then(|policies| policies.get("PasswordPolicy"))
        else {
            return Ok(Self::default());
        };
        let at = format!("{logical_id}.Policies.PasswordPolicy");
        if !policy.is_mapping() {
            return Err(TemplateError::Invalid {
                at,
                problem: "expected a mapping".into(),
            });
        }
        let flag = |key: &str| -> Result<bool, TemplateError> {
            let Some(value) = policy.get(key) else {
                return Ok(false);
            };
            let at = format!("{at}.{key}");
            let text = resolve(value, &at)?;
            if text.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if text.eq_ignore_ascii_case("false") {
                Ok(false)
            } else {
                Err(TemplateError::Invalid {
                    at,
                    problem: format!("expected true or false, found {text:?}"),
                })
            }
        };
        let minimum_length = match policy.get("MinimumLength") {
            None => DEFAULT_MINIMUM_LENGTH,
            Some(value) => {
                let at = format!("{at}.MinimumLength");
                let text = resolve(value, &at)?;
                match text.parse::<usize>() {
                    Ok(n) if MINIMUM_LENGTH_RANGE.contains(&n) => n,
                    _ => {
                        return Err(TemplateError::Invalid {
                            at,
                            problem: format!(
                                "expected a whole number from {} to {}, found {text:?}",
                                MINIMUM_LENGTH_RANGE.start(),
                                MINIMUM_LENGTH_RANGE.end()
                            ),
                        });
                    }
                }
            }
        };
        Ok(Self {
            minimum_length,
            require_uppercase: flag("RequireUppercase")?,
            require_lowercase: flag("RequireLowercase")?,
            require_numbers: flag("RequireNumbers")?,
            require_symbols: flag("RequireSymbols")?,
            pool: Some(logical_id.to_owned()),
        })
    }

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

/// A random UUID v4, the shape of Cognito's subs. Unlike a best-effort id,
/// a failing RNG is an error: every user would get the same sub.
fn new_sub() -> Result<String, RandomError> {
    let mut b = [0u8; 16];
    SystemRandom::new().fill(&mut b).map_err(|_| RandomError)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// True for the 8-4-4-4-12 hex shape (any version: Cognito has made v7 too).
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A PBKDF2-HMAC-SHA256 password hash with its salt and round count.
#[derive(Clone, PartialEq, Eq)]
struct PasswordHash {
    iterations: NonZeroU32,
    salt: [u8; SALT_LEN],
    hash: [u8; HASH_LEN],
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

impl PasswordHash {
    /// Hashes `password` with a new salt and [`PBKDF2_ITERATIONS`] rounds.
    fn new(password: &str) -> Result<Self, RandomError> {
        let mut salt = [0u8; SALT_LEN];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| RandomError)?;
        let iterations = NonZeroU32::MIN.saturating_add(PBKDF2_ITERATIONS - 1);
        let mut hash = [0u8; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            &salt,
            password.as_bytes(),
            &mut hash,
        );
        Ok(Self {
            iterations,
            salt,
            hash,
        })
    }

    /// True if `password` is the hashed one; the comparison takes constant time.
    fn verify(&self, password: &str) -> bool {
        pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            &self.salt,
            password.as_bytes(),
            &self.hash,
        )
        .is_ok()
    }

    /// The stored form, `pbkdf2-sha256$<rounds>$<salt>$<hash>`.
    fn to_stored(&self) -> String {
        format!(
            "{HASH_SCHEME}${}${}${}",
            self.iterations,
            BASE64.encode(self.salt),
            BASE64.encode(self.hash)
        )
    }

    /// Reads the stored form; the error says what is wrong.
    fn from_stored(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('$').collect();
        let [scheme, iterations, salt, hash] = parts.as_slice() else {
            return Err(format!(
                "expected {HASH_SCHEME}$<rounds>$<salt>$<hash>, found {} part(s)",
                parts.len()
            ));
        };
        if *scheme != HASH_SCHEME {
            return Err(format!("unknown scheme {scheme:?}, expected {HASH_SCHEME}"));
        }
        let iterations = iterations
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_ITERATIONS)
            .and_then(NonZeroU32::new)
            .ok_or_else(|| format!("rounds must be 1 to {MAX_ITERATIONS}, found {iterations:?}"))?;
        let decode = |what: &str, text: &str, len: usize| -> Result<Vec<u8>, String> {
            let bytes = BASE64
                .decode(text)
                .map_err(|e| format!("the {what} is not base64 without padding: {e}"))?;
            if bytes.len() == len {
                Ok(bytes)
            } else {
                Err(format!(
                    "the {what} is {} bytes, expected {len}",
                    bytes.len()
                ))
            }
        };
        let mut out = Self {
            iterations,
            salt: [0; SALT_LEN],
            hash: [0; HASH_LEN],
        };
        out.salt.copy_from_slice(&decode("salt", salt, SALT_LEN)?);
        out.hash.copy_from_slice(&decode("hash", hash, HASH_LEN)?);
        Ok(out)
    }
}

/// A user of the local pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// A UUID, kept across restarts: the tokens' `sub`.
    pub sub: String,
    /// What Cognito puts in `username` / `cognito:username`: the sub, since
    /// the pool signs in by email (see the module documentation).
    pub username: String,
    /// The email, as given: the sign-in name and the ID token's `email`.
    pub email: String,
    /// Whether the email counts as verified (always true here: the
    /// template auto-verifies emails and the users are made by an admin).
    pub email_verified: bool,
    /// The groups, for `cognito:groups`, in the order given.
    pub groups: Vec<String>,
    /// Never shown: its `Debug` is redacted.
    password_hash: PasswordHash,
}

impl User {
    fn new(sub: String, email: String, groups: Vec<String>, password_hash: PasswordHash) -> Self {
        Self {
            username: sub.clone(),
            sub,
            email,
            email_verified: true,
            groups,
            password_hash,
        }
    }

    fn is_named(&self, name: &str) -> bool {
        same_email(&self.email, name) || self.sub.eq_ignore_ascii_case(name)
    }
}

fn same_email(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// The demo user's sign-in, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// The email to sign in with.
    pub email: String,
    /// The generated password.
    pub password: Password,
}

/// `users.json`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    users: Vec<StoredUser>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredUser {
    sub: String,
    email: String,
    email_verified: bool,
    #[serde(default)]
    groups: Vec<String>,
    password_hash: String,
}

/// The pool's users, loaded from the state folder and the users given at start.
#[derive(Debug)]
pub struct UserStore {
    users: Vec<User>,
    demo: Option<DemoUser>,
    /// Checked for unknown names, so they cost what a wrong password does.
    decoy: PasswordHash,
}

impl UserStore {
    /// Loads `users.json` from `state_dir`, applies `given` (checked against
    /// `policy`), makes the demo user if the pool would be empty, and saves
    /// what changed. See the module documentation for the rules.
    pub fn load(
        state_dir: &Path,
        given: &[UserSpec],
        policy: &PasswordPolicy,
    ) -> Result<Self, UsersError> {
        let users_path = state_dir.join(USERS_FILE);
        let demo_path = state_dir.join(DEMO_USER_FILE);
        let stored_bytes = read_optional(&users_path)?;
        let stored = match &stored_bytes {
            Some(bytes) => parse_users_file(&users_path, bytes)?,
            None => Vec::new(),
        };
        let demo;
        let users = if !given.is_empty() {
            demo = None;
            merge_given(stored, given, policy)?
        } else if !stored.is_empty() {
            // The demo file is only believed while it still signs the user in.
            demo = read_demo_file(&demo_path)?.filter(|d| {
                stored.iter().any(|u| {
                    same_email(&u.email, &d.email) && u.password_hash.verify(d.password.expose())
                })
            });
            stored
        } else {
            let password = policy.generate()?;
            let user = User::new(
                new_sub()?,
                DEMO_EMAIL.to_owned(),
                Vec::new(),
                PasswordHash::new(password.expose())?,
            );
            let made = DemoUser {
                email: DEMO_EMAIL.to_owned(),
                password,
            };
            // Written before users.json: a crash in between leaves no user
            // whose password is lost, so the next start simply makes a new one.
            StateDir::new(state_dir)
                .write_file(DEMO_USER_FILE, demo_file_text(&made).as_bytes())?;
            demo = Some(made);
            vec![user]
        };
        if demo.is_none() {
            remove_optional(&demo_path)?;
        }

        let file = UsersFile {
            users: users
                .iter()
                .map(|u| StoredUser {
                    sub: u.sub.clone(),
                    email: u.email.clone(),
                    email_verified: u.email_verified,
                    groups: u.groups.clone(),
                    password_hash: u.password_hash.to_stored(),
                })
                .collect(),
        };
        let mut json = serde_json::to_vec_pretty(&file).map_err(|source| UsersError::Json {
            path: users_path.clone(),
            source,
        })?;
        json.push(b'\n');
        if stored_bytes.as_deref() != Some(json.as_slice()) {
            StateDir::new(state_dir).write_file(USERS_FILE, &json)?;
        }
        Ok(Self {
            users,
            demo,
            decoy: PasswordHash::new("not a password of anyone")?,
        })
    }

    /// The user `username_or_email` names (an email, case-insensitively, or
    /// the UUID username) if `password` is theirs. Unknown names cost one
    /// PBKDF2 run like wrong passwords, so timing does not tell which
    /// emails exist.
    pub fn authenticate(&self, username_or_email: &str, password: &str) -> Option<&User> {
        match self.users.iter().find(|u| u.is_named(username_or_email)) {
            Some(user) => user.password_hash.verify(password).then_some(user),
            None => {
                std::hint::black_box(self.decoy.verify(password));
                None
            }
        }
    }

    /// The user with this `sub`.
    pub fn by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub == sub)
    }

    /// Every user, in the order given (or stored).
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The demo user's email and password while it is the pool's user made
    /// at first start, for the banner to print on every start.
    pub fn demo_user(&self) -> Option<&DemoUser> {
        self.demo.as_ref()
    }
}

/// The given users, keeping the sub (and, if the password is unchanged, the
/// hash) of stored users with the same email.
fn merge_given(
    stored: Vec<User>,
    given: &[UserSpec],
    policy: &PasswordPolicy,
) -> Result<Vec<User>, UsersError> {
    for (i, spec) in given.iter().enumerate() {
        if let Some(first) = given[..i]
            .iter()
            .find(|g| same_email(&g.email, &spec.email))
        {
            return Err(UsersError::Duplicate {
                email: spec.email.clone(),
                first: first.origin.clone(),
                second: spec.origin.clone(),
            });
        }
        policy
            .check(spec.password.expose())
            .map_err(|violation| UsersError::WeakPassword {
                origin: spec.origin.clone(),
                email: spec.email.clone(),
                violation,
            })?;
    }
    given
        .iter()
        .map(|spec| {
            let password = spec.password.expose();
            let existing = stored.iter().find(|u| same_email(&u.email, &spec.email));
            let sub = match existing {
                Some(user) => user.sub.clone(),
                None => new_sub()?,
            };
            // Rehashing an unchanged password would rewrite users.json at
            // every start for nothing; checking it costs the same as hashing.
            let hash = match existing {
                Some(user) if user.password_hash.verify(password) => user.password_hash.clone(),
                _ => PasswordHash::new(password)?,
            };
            Ok(User::new(
                sub,
                spec.email.clone(),
                spec.groups.clone(),
                hash,
            ))
        })
        .collect()
}

fn parse_users_file(path: &Path, bytes: &[u8]) -> Result<Vec<User>, UsersError> {
    let file: UsersFile = serde_json::from_slice(bytes).map_err(|source| UsersError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let mut users: Vec<User> = Vec::with_capacity(file.users.len());
    for (i, stored) in file.users.into_iter().enumerate() {
        let field = |name: &str, problem: String| UsersError::Field {
            path: path.to_path_buf(),
            field: format!("users[{i}].{name}"),
            problem,
        };
        if !is_uuid(&stored.sub) {
            return Err(field("sub", format!("{:?} is not a UUID", stored.sub)));
        }
        check_email(&stored.email)
            .map_err(|p| field("email", format!("{:?} {p}", stored.email)))?;
        for group in &stored.groups {
            check_group(group).map_err(|p| field("groups", format!("{group:?}: {p}")))?;
        }
        let hash = PasswordHash::from_stored(&stored.password_hash)
            .map_err(|p| field("password_hash", p))?;
        if let Some(other) = users.iter().position(|u| u.sub == stored.sub) {
            return Err(field("sub", format!("same as users[{other}].sub")));
        }
        if let Some(other) = users
            .iter()
            .position(|u| same_email(&u.email, &stored.email))
        {
            return Err(field("email", format!("same as users[{other}].email")));
        }
        let mut user = User::new(stored.sub, stored.email, stored.groups, hash);
        user.email_verified = stored.email_verified;
        users.push(user);
    }
    Ok(users)
}

fn demo_file_text(demo: &DemoUser) -> String {
    format!(
        "# The local pool's demo user (dev only; printed in the banner).\n\
         email: {}\npassword: {}\n",
        demo.email,
        demo.password.expose()
    )
}

fn read_demo_file(path: &Path) -> Result<Option<DemoUser>, UsersError> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(None);
    };
    let field = |name: &str, problem: &str| UsersError::Field {
        path: path.to_path_buf(),
        field: name.to_owned(),
        problem: problem.to_owned(),
    };
    let text = String::from_utf8(bytes).map_err(|_| field("text", "not UTF-8"))?;
    let (mut email, mut password) = (None, None);
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        match line.split_once(": ") {
            Some(("email", value)) => email = Some(value.to_owned()),
            Some(("password", value)) => password = Some(Password::new(value)),
            // The line may hold the password: never echo it.
            _ => return Err(field("line", "expected `email: …` or `password: …`")),
        }
    }
    Ok(Some(DemoUser {
        email: email.ok_or_else(|| field("email", "missing"))?,
        password: password.ok_or_else(|| field("password", "missing"))?,
    }))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, UsersError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(UsersError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn remove_optional(path: &Path) -> Result<(), UsersError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(UsersError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A password the template's policy accepts.
    const GOOD: &str = "Correct-Horse-42";

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "users-test-{tag}-{}-{}",
            std::process::id(),
            crate::cognito::ids::api_id().unwrap()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// The resolver `Template` passes, reduced to plain scalars; any tag
    /// (e.g. `!Ref`) resolves to "14".
    fn resolve(value: &Value, at: &str) -> Result<String, TemplateError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Tagged(_) => Ok("14".into()),
            _ => Err(TemplateError::Invalid {
                at: at.to_owned(),
                problem: "not a scalar".into(),
            }),
        }
    }

    fn policy_from(yaml: &str) -> Result<PasswordPolicy, TemplateError> {
        let properties: Value = yaml_serde::from_str(yaml).unwrap();
        PasswordPolicy::from_user_pool("UserPool", &properties, resolve)
    }

    fn template_policy() -> PasswordPolicy {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let root: Value = yaml_serde::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        let properties = &root["Resources"]["UserPool"]["Properties"];
        PasswordPolicy::from_user_pool("UserPool", properties, resolve).unwrap()
    }

    fn spec(text: &str) -> UserSpec {
        UserSpec::parse(text, "--user").unwrap()
    }

    #[test]
    fn specs_split_email_password_and_groups() {
        // (spec, email, password, groups)
        let cases: [(&str, &str, &str, &[&str]); 8] = [
            ("a@x.io:Pw", "a@x.io", "Pw", &[]),
            ("a@x.io:Pw:admins", "a@x.io", "Pw", &["admins"]),
            (
                "a@x.io:Pw:admins,readers",
                "a@x.io",
                "Pw",
                &["admins", "readers"],
            ),
            ("a@x.io:Pw:b,a,b", "a@x.io", "Pw", &["b", "a"]),
            ("a@x.io:Pw:", "a@x.io", "Pw", &[]),
            ("a@x.io:p,w,d", "a@x.io", "p,w,d", &[]),
            ("a@x.io:pa:ss:", "a@x.io", "pa:ss", &[]),
            ("a@x.io:pa:ss:g1", "a@x.io", "pa:ss", &["g1"]),
        ];
        for (text, email, password, groups) in cases {
            let parsed = spec(text);
            assert_eq!(parsed.email, email, "{text}");
            assert_eq!(parsed.password.expose(), password, "{text}");
            assert_eq!(parsed.groups, groups, "{text}");
        }
    }

    #[test]
    fn a_colon_in_the_password_without_a_group_part_starts_the_groups() {
        let parsed = spec("a@x.io:pa:ss");
        assert_eq!(parsed.password.expose(), "pa");
        assert_eq!(parsed.groups, ["ss"]);
    }

    #[test]
    fn bad_specs_say_what_is_wrong_without_the_password() {
        // (spec, expected in the message)
        let cases = [
            ("hunter2secret", "no ':' after the email"),
            (":hunter2secret", "the email is empty"),
            ("alice:hunter2secret", "not of the form name@domain"),
            ("a@b@c:hunter2secret", "not of the form name@domain"),
            ("a@.x:hunter2secret", "not of the form name@domain"),
            ("a b@x.io:hunter2secret", "white space"),
            ("a@x.io:", "the password is empty"),
            ("a@x.io::admins", "the password is empty"),
            ("a@x.io:hunter2secret:admins,", "a group name is empty"),
            ("a@x.io:hunter2secret:,admins", "a group name is empty"),
            ("a@x.io:hunter2secret:my group", "white space"),
            ("a@x.io:hunter2:secret x", "needs a group part after it"),
            ("hunter2secret:a@x.io", "the email is not of the form"),
            ("hunter2 secret:a@x.io", "the email contains white space"),
        ];
        for (text, expected) in cases {
            let err = UserSpec::parse(text, "--user").unwrap_err();
            let message = err.to_string();
            assert!(matches!(err, UsersError::Spec { .. }), "{text}: {message}");
            assert!(message.contains(expected), "{text}: {message}");
            assert!(message.starts_with("--user"), "{text}: {message}");
            for part in ["hunter2", "secret"] {
                assert!(!message.contains(part), "{text}: {message}");
            }
        }
    }

    #[test]
    fn user_lists_take_one_spec_per_line_and_name_the_bad_line() {
        let list = "\n  a@x.io:Pw:g1  \r\nb@x.io:P w,d\n\n";
        let specs = parse_user_list(list, USERS_VARIABLE).unwrap();
        let emails: Vec<&str> = specs.iter().map(|s| s.email.as_str()).collect();
        assert_eq!(emails, ["a@x.io", "b@x.io"]);
        assert_eq!(specs[1].password.expose(), "P w,d");
        assert_eq!(specs[1].origin, "LOCAL_USERS line 3 (b@x.io)");

        let err = parse_user_list("a@x.io:Pw\nbroken", USERS_VARIABLE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "LOCAL_USERS line 2: no ':' after the email (expected EMAIL:PASSWORD[:GROUP,GROUP...])"
        );
        assert!(parse_user_list(" \n", USERS_VARIABLE).unwrap().is_empty());
    }

    #[test]
    fn the_templates_policy_is_read() {
        let policy = template_policy();
        assert_eq!(policy.minimum_length, 12);
        assert!(policy.require_uppercase);
        assert!(policy.require_lowercase);
        assert!(policy.require_numbers);
        assert!(!policy.require_symbols);
    }

    #[test]
    fn policies_default_as_in_cognito() {
        // No policy at all: Cognito's default.
        for yaml in ["{}", "Policies: {}", "null"] {
            assert_eq!(
                policy_from(yaml).unwrap(),
                PasswordPolicy::default(),
                "{yaml}"
            );
        }
        let default = PasswordPolicy::default();
        assert_eq!(default.minimum_length, 8);
        assert!(default.require_uppercase && default.require_lowercase);
        assert!(default.require_numbers && default.require_symbols);

        // A policy: unset flags are false and an unset length is 8.
        let partial = policy_from("Policies: {PasswordPolicy: {RequireNumbers: true}}").unwrap();
        assert_eq!(partial.minimum_length, 8);
        assert!(partial.require_numbers);
        assert!(!partial.require_uppercase && !partial.require_lowercase);
        assert!(!partial.require_symbols);

        let quoted = policy_from(
            "Policies: {PasswordPolicy: {MinimumLength: '10', RequireSymbols: 'True'}}",
        )
        .unwrap();
        assert_eq!(quoted.minimum_length, 10);
        assert!(quoted.require_symbols);

        let referenced =
            policy_from("Policies: {PasswordPolicy: {MinimumLength: !Ref MinLength}}").unwrap();
        assert_eq!(referenced.minimum_length, 14);
    }

    #[test]
    fn bad_policies_name_the_property() {
        let cases = [
            (
                "{MinimumLength: 5}",
                "UserPool.Policies.PasswordPolicy.MinimumLength",
            ),
            (
                "{MinimumLength: 100}",
                "UserPool.Policies.PasswordPolicy.MinimumLength",
            ),
            (
                "{MinimumLength: twelve}",
                "UserPool.Policies.PasswordPolicy.MinimumLength",
            ),
            (
                "{RequireUppercase: yes}",
                "UserPool.Policies.PasswordPolicy.RequireUppercase",
            ),
            (
                "{RequireSymbols: [true]}",
                "UserPool.Policies.PasswordPolicy.RequireSymbols",
            ),
            ("[]", "UserPool.Policies.PasswordPolicy"),
        ];
        for (policy, at) in cases {
            let yaml = format!("Policies: {{PasswordPolicy: {policy}}}");
            let err = policy_from(&yaml).unwrap_err();
            assert!(
                matches!(&err, TemplateError::Invalid { at: found, .. } if found == at),
                "{policy}: {err}"
            );
        }
    }

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

    #[test]
    fn hashes_verify_only_their_password_and_round_trip() {
        let hash = PasswordHash::new(GOOD).unwrap();
        assert!(hash.verify(GOOD));
        assert!(!hash.verify("Correct-Horse-43"));
        assert!(!hash.verify(""));
        let stored = hash.to_stored();
        assert!(stored.starts_with("pbkdf2-sha256$100000$"), "{stored}");
        assert!(!stored.contains(GOOD));
        let back = PasswordHash::from_stored(&stored).unwrap();
        assert_eq!(back, hash);
        assert!(back.verify(GOOD));
        // A new salt every time.
        assert_ne!(PasswordHash::new(GOOD).unwrap().to_stored(), stored);
        assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
    }

    #[test]
    fn hashes_with_their_own_round_count_still_verify() {
        // A hash made with 1000 rounds, not PBKDF2_ITERATIONS: verification
        // must use the count the stored form records.
        let salt = BASE64.encode(b"saltsaltsaltsalt");
        let mut expected = [0u8; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(1000).unwrap(),
            b"saltsaltsaltsalt",
            b"password",
            &mut expected,
        );
        let stored = format!("pbkdf2-sha256$1000${salt}${}", BASE64.encode(expected));
        let hash = PasswordHash::from_stored(&stored).unwrap();
        assert!(hash.verify("password"));
        assert!(!hash.verify("Password"));
    }

    #[test]
    fn malformed_stored_hashes_say_what_is_wrong() {
        let salt = BASE64.encode([1u8; SALT_LEN]);
        let hash = BASE64.encode([2u8; HASH_LEN]);
        let cases = [
            ("nothing".to_owned(), "found 1 part(s)"),
            (format!("bcrypt$1000${salt}${hash}"), "unknown scheme"),
            (format!("pbkdf2-sha256$0${salt}${hash}"), "rounds must be"),
            (
                format!("pbkdf2-sha256$99999999${salt}${hash}"),
                "rounds must be",
            ),
            (format!("pbkdf2-sha256$-1${salt}${hash}"), "rounds must be"),
            (
                format!("pbkdf2-sha256$1000$!!${hash}"),
                "salt is not base64",
            ),
            (format!("pbkdf2-sha256$1000$AAAA${hash}"), "salt is 3 bytes"),
            (format!("pbkdf2-sha256$1000${salt}$AAAA"), "hash is 3 bytes"),
            (
                format!("pbkdf2-sha256$1000${salt}${hash}$x"),
                "found 5 part(s)",
            ),
        ];
        for (stored, expected) in cases {
            let err = PasswordHash::from_stored(&stored).unwrap_err();
            assert!(err.contains(expected), "{stored}: {err}");
        }
    }

    #[test]
    fn subs_are_uuid_v4() {
        let (a, b) = (new_sub().unwrap(), new_sub().unwrap());
        assert_ne!(a, b);
        for sub in [&a, &b] {
            assert!(is_uuid(sub), "{sub}");
            assert_eq!(&sub[14..15], "4", "{sub}");
            assert!("89ab".contains(&sub[19..20]), "{sub}");
        }
        for not in [
            "",
            "0000",
            &a.replace('-', "_"),
            &format!("{a}0"),
            &a.replace(&a[0..1], "g"),
        ] {
            assert!(!is_uuid(not), "{not}");
        }
    }

    #[test]
    fn first_start_makes_a_demo_user_kept_across_restarts() {
        let dir = temp_dir("demo");
        let policy = template_policy();
        let store = UserStore::load(&dir, &[], &policy).unwrap();
        let demo = store.demo_user().unwrap().clone();
        assert_eq!(demo.email, DEMO_EMAIL);
        assert_eq!(policy.check(demo.password.expose()), Ok(()));
        let user = store
            .authenticate(DEMO_EMAIL, demo.password.expose())
            .unwrap();
        assert_eq!(user.username, user.sub);
        assert!(user.email_verified);
        assert!(user.groups.is_empty());
        let sub = user.sub.clone();

        for name in [DEMO_USER_FILE, USERS_FILE] {
            let mode = fs::metadata(dir.join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        let users_json = fs::read_to_string(dir.join(USERS_FILE)).unwrap();
        assert!(!users_json.contains(demo.password.expose()));
        let demo_txt = fs::read_to_string(dir.join(DEMO_USER_FILE)).unwrap();
        assert!(demo_txt.contains(&format!("password: {}\n", demo.password.expose())));

        let again = UserStore::load(&dir, &[], &policy).unwrap();
        assert_eq!(again.demo_user(), Some(&demo));
        assert_eq!(again.users().len(), 1);
        assert_eq!(again.by_sub(&sub).unwrap().email, DEMO_EMAIL);
        // Nothing changed, so nothing was rewritten.
        assert_eq!(
            fs::read_to_string(dir.join(USERS_FILE)).unwrap(),
            users_json
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn given_users_replace_the_pool_and_keep_their_subs() {
        let dir = temp_dir("given");
        let policy = template_policy();
        let first = UserStore::load(&dir, &[], &policy).unwrap();
        let demo_sub = first.users()[0].sub.clone();

        let alice = spec(&format!("Alice@Example.com:{GOOD}:admins,readers"));
        let bob = spec(&format!("bob@example.com:{GOOD}"));
        let store = UserStore::load(&dir, &[alice, bob.clone()], &policy).unwrap();
        assert_eq!(store.demo_user(), None);
        assert!(!dir.join(DEMO_USER_FILE).exists());
        assert!(store.by_sub(&demo_sub).is_none());
        let emails: Vec<&str> = store.users().iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails, ["Alice@Example.com", "bob@example.com"]);
        let alice_sub = store.users()[0].sub.clone();
        assert_eq!(store.users()[0].groups, ["admins", "readers"]);

        // Same email in another case: same user, new password and groups.
        let changed = spec("alice@example.com:Another-Pass-7:readers");
        let store = UserStore::load(&dir, &[changed, bob], &policy).unwrap();
        let alice = store.by_sub(&alice_sub).unwrap();
        assert_eq!(alice.groups, ["readers"]);
        assert!(
            store
                .authenticate("alice@example.com", "Another-Pass-7")
                .is_some()
        );
        assert!(store.authenticate("alice@example.com", GOOD).is_none());

        // Nobody given: the file's users stay, and no demo user appears.
        let store = UserStore::load(&dir, &[], &policy).unwrap();
        assert_eq!(store.users().len(), 2);
        assert_eq!(store.by_sub(&alice_sub).unwrap().email, "alice@example.com");
        assert_eq!(store.demo_user(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sign_in_is_by_email_in_any_case_or_by_username() {
        let dir = temp_dir("signin");
        let given = [
            spec(&format!("Carol@Example.com:{GOOD}:g")),
            spec("dave@example.com:Other-Pass-99"),
        ];
        let store = UserStore::load(&dir, &given, &template_policy()).unwrap();
        let carol = store.users()[0].sub.clone();
        let signed_in =
            |name: &str, password: &str| store.authenticate(name, password).map(|u| u.sub.clone());
        let carol_upper = carol.to_uppercase();
        // (name, password, signs in as carol)
        let cases = [
            ("Carol@Example.com", GOOD, true),
            ("carol@example.com", GOOD, true),
            ("CAROL@EXAMPLE.COM", GOOD, true),
            (carol.as_str(), GOOD, true),
            (carol_upper.as_str(), GOOD, true),
            ("carol@example.com", "correct-horse-42", false),
            ("carol@example.com", "", false),
            ("carol@example.com", "Other-Pass-99", false),
            (" carol@example.com", GOOD, false),
            ("nobody@example.com", GOOD, false),
            ("", GOOD, false),
        ];
        for (name, password, ok) in cases {
            let expected = ok.then(|| carol.clone());
            assert_eq!(
                signed_in(name, password),
                expected,
                "{name:?} / {password:?}"
            );
        }
        assert!(
            store
                .authenticate("dave@example.com", "Other-Pass-99")
                .is_some()
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn weak_or_repeated_given_users_are_refused_without_the_password() {
        let dir = temp_dir("refused");
        let policy = template_policy();
        let weak = spec("eve@example.com:short1A");
        let err = UserStore::load(&dir, &[weak], &policy).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--user (eve@example.com): password for eve@example.com must be at least 12 \
             characters long (template.yaml: UserPool.Policies.PasswordPolicy.MinimumLength)"
        );

        let twice = [
            spec(&format!("eve@example.com:{GOOD}")),
            UserSpec::parse(&format!("EVE@example.com:{GOOD}"), "LOCAL_USERS line 4").unwrap(),
        ];
        let err = UserStore::load(&dir, &twice, &policy).unwrap_err();
        assert!(matches!(err, UsersError::Duplicate { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "LOCAL_USERS line 4 (EVE@example.com): EVE@example.com is already given by \
             --user (eve@example.com); give each user once"
        );
        assert!(!dir.join(USERS_FILE).exists(), "nothing is saved on error");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn malformed_users_files_name_the_file_and_field() {
        let dir = temp_dir("malformed");
        fs::create_dir_all(&dir).unwrap();
        let sub = "6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c";
        let hash = PasswordHash::new(GOOD).unwrap().to_stored();
        let user = |sub: &str, email: &str, hash: &str| {
            format!(
                r#"{{"sub":"{sub}","email":"{email}","email_verified":true,"groups":[],"password_hash":"{hash}"}}"#
            )
        };
        let good = user(sub, "a@x.io", &hash);
        let other_sub = "6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5d";
        // (file contents, expected in the message)
        let cases = [
            ("{".to_owned(), "EOF".to_owned()),
            (
                r#"{"people":[]}"#.to_owned(),
                "unknown field `people`".to_owned(),
            ),
            (
                r#"{"users":[{"sub":"x"}]}"#.to_owned(),
                "missing field".to_owned(),
            ),
            (
                format!(r#"{{"users":[{}]}}"#, user("not-a-uuid", "a@x.io", &hash)),
                "users[0].sub: \"not-a-uuid\" is not a UUID".to_owned(),
            ),
            (
                format!(r#"{{"users":[{}]}}"#, user(sub, "nobody", &hash)),
                "users[0].email".to_owned(),
            ),
            (
                format!(r#"{{"users":[{}]}}"#, user(sub, "a@x.io", "md5$x")),
                "users[0].password_hash".to_owned(),
            ),
            (
                format!(r#"{{"users":[{good},{}]}}"#, user(sub, "b@x.io", &hash)),
                "users[1].sub: same as users[0].sub".to_owned(),
            ),
            (
                format!(
                    r#"{{"users":[{good},{}]}}"#,
                    user(other_sub, "A@X.io", &hash)
                ),
                "users[1].email: same as users[0].email".to_owned(),
            ),
            (
                format!(
                    r#"{{"users":[{}]}}"#,
                    good.replace(r#""groups":[]"#, r#""groups":["a b"]"#)
                ),
                "users[0].groups".to_owned(),
            ),
        ];
        let path = dir.join(USERS_FILE);
        for (contents, expected) in cases {
            fs::write(&path, &contents).unwrap();
            let err = UserStore::load(&dir, &[], &PasswordPolicy::default()).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains(path.to_str().unwrap()),
                "{contents}: {message}"
            );
            assert!(message.contains(&expected), "{contents}: {message}");
            assert!(message.contains("to start afresh"), "{contents}: {message}");
            // The broken file is left for the developer to look at.
            assert_eq!(fs::read_to_string(&path).unwrap(), contents);
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_demo_files_name_the_file_without_echoing_lines() {
        let dir = temp_dir("demofile");
        // A pool with its demo user, whose file is then damaged.
        UserStore::load(&dir, &[], &PasswordPolicy::default()).unwrap();
        let path = dir.join(DEMO_USER_FILE);
        let cases = [
            ("email: demo@example.com\n", "password: missing"),
            ("password: Secret-Pass-1\n", "email: missing"),
            (
                "# c\nemail: demo@example.com\nSecret-Pass-1\n",
                "line: expected",
            ),
        ];
        for (contents, expected) in cases {
            fs::write(&path, contents).unwrap();
            let message = UserStore::load(&dir, &[], &PasswordPolicy::default())
                .unwrap_err()
                .to_string();
            assert!(message.contains(path.to_str().unwrap()), "{message}");
            assert!(message.contains(expected), "{message}");
            assert!(!message.contains("Secret-Pass-1"), "{message}");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_demo_file_that_no_longer_signs_in_is_dropped() {
        let dir = temp_dir("stale");
        let policy = template_policy();
        let given = [spec(&format!("{DEMO_EMAIL}:{GOOD}"))];
        UserStore::load(&dir, &given, &policy).unwrap();
        fs::write(
            dir.join(DEMO_USER_FILE),
            format!("email: {DEMO_EMAIL}\npassword: Not-The-Pass-1\n"),
        )
        .unwrap();
        let store = UserStore::load(&dir, &[], &policy).unwrap();
        assert_eq!(store.demo_user(), None);
        assert!(!dir.join(DEMO_USER_FILE).exists());
        assert!(store.authenticate(DEMO_EMAIL, GOOD).is_some());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_output_never_shows_passwords_or_hashes() {
        let dir = temp_dir("debug");
        let given = spec(&format!("f@x.io:{GOOD}:g"));
        let store =
            UserStore::load(&dir, std::slice::from_ref(&given), &template_policy()).unwrap();
        let stored = fs::read_to_string(dir.join(USERS_FILE)).unwrap();
        let hash_b64 = stored.split('$').nth(3).unwrap().split('"').next().unwrap();
        for shown in [format!("{given:?}"), format!("{store:?}")] {
            assert!(!shown.contains(GOOD), "{shown}");
            assert!(!shown.contains(hash_b64), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
