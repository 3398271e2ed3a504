//! The user pool's password policy as the template declares it: plain
//! data read from `Policies.PasswordPolicy`. Checking passwords against it
//! is the user pool's job (`cognito::passwords`).

use yaml_serde::Value;

use crate::template::error::TemplateError;

/// `MinimumLength` when a policy does not set it, and of Cognito's default policy.
const DEFAULT_MINIMUM_LENGTH: usize = 8;
/// The range CloudFormation allows for `MinimumLength`.
const MINIMUM_LENGTH_RANGE: std::ops::RangeInclusive<usize> = 6..=99;

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
    pub(crate) pool: Option<String>,
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
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fs;
    use std::path::Path;

    use super::*;

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

    pub(crate) fn policy_from(yaml: &str) -> Result<PasswordPolicy, TemplateError> {
        let properties: Value = yaml_serde::from_str(yaml).unwrap();
        PasswordPolicy::from_user_pool("UserPool", &properties, resolve)
    }

    pub(crate) fn template_policy() -> PasswordPolicy {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let root: Value = yaml_serde::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        let properties = &root["Resources"]["UserPool"]["Properties"];
        PasswordPolicy::from_user_pool("UserPool", properties, resolve).unwrap()
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
}
