//! Configuration from environment variables, read and validated once at cold start.

use thiserror::Error;

/// The variable naming the group whose members get the editor scope.
pub const EDITOR_GROUP_VAR: &str = "EDITOR_GROUP";
/// The variable naming the scope editors get (`<resource server>/<scope>`).
pub const EDITOR_SCOPE_VAR: &str = "EDITOR_SCOPE";

/// An invalid configuration variable; the message names it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset or blank.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable's value cannot be what it names.
    #[error("{name} is invalid: {value:?} {problem}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// The trigger's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `EDITOR_GROUP`: a Cognito group name, compared exactly (case-sensitive).
    pub editor_group: String,
    /// `EDITOR_SCOPE`: a custom scope, `<resource server>/<scope>`.
    pub editor_scope: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &'static str| {
            let value = get(name).unwrap_or_default();
            if value.trim().is_empty() {
                return Err(ConfigError::Missing(name));
            }
            if value.chars().any(char::is_whitespace) {
                return Err(ConfigError::Invalid {
                    name,
                    value,
                    problem: "contains whitespace",
                });
            }
            Ok(value)
        };
        let editor_group = read(EDITOR_GROUP_VAR)?;
        let editor_scope = read(EDITOR_SCOPE_VAR)?;
        let custom = editor_scope
            .split_once('/')
            .is_some_and(|(server, name)| !server.is_empty() && !name.is_empty());
        if !custom {
            return Err(ConfigError::Invalid {
                name: EDITOR_SCOPE_VAR,
                value: editor_scope,
                problem: "is not a custom scope <resource server>/<scope>",
            });
        }
        Ok(Self {
            editor_group,
            editor_scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(group: Option<&str>, scope: Option<&str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| match name {
            EDITOR_GROUP_VAR => group.map(str::to_string),
            EDITOR_SCOPE_VAR => scope.map(str::to_string),
            other => panic!("unexpected variable {other}"),
        })
    }

    #[test]
    fn both_variables_are_read_as_given() {
        assert_eq!(
            load(Some("editors"), Some("API/book.post")),
            Ok(Config {
                editor_group: "editors".into(),
                editor_scope: "API/book.post".into(),
            })
        );
    }

    #[test]
    fn a_missing_or_bad_variable_is_named() {
        let invalid = |name, value: &str, problem| ConfigError::Invalid {
            name,
            value: value.into(),
            problem,
        };
        let cases = [
            (
                None,
                Some("API/book.post"),
                ConfigError::Missing(EDITOR_GROUP_VAR),
            ),
            (
                Some(" "),
                Some("API/book.post"),
                ConfigError::Missing(EDITOR_GROUP_VAR),
            ),
            (
                Some("editors"),
                None,
                ConfigError::Missing(EDITOR_SCOPE_VAR),
            ),
            (
                Some("the editors"),
                Some("API/book.post"),
                invalid(EDITOR_GROUP_VAR, "the editors", "contains whitespace"),
            ),
            (
                Some("editors"),
                Some("book.post"),
                invalid(
                    EDITOR_SCOPE_VAR,
                    "book.post",
                    "is not a custom scope <resource server>/<scope>",
                ),
            ),
            (
                Some("editors"),
                Some("API/"),
                invalid(
                    EDITOR_SCOPE_VAR,
                    "API/",
                    "is not a custom scope <resource server>/<scope>",
                ),
            ),
        ];
        for (group, scope, expected) in cases {
            let error = load(group, scope).unwrap_err();
            assert!(
                error.to_string().starts_with(match &expected {
                    ConfigError::Missing(n) | ConfigError::Invalid { name: n, .. } => n,
                }),
                "{error}"
            );
            assert_eq!(error, expected, "{group:?} {scope:?}");
        }
    }
}
