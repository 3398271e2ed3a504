//! Configuration from environment variables, read and validated once at cold start.

use shared::AllowedOrigins;
use shared::cors::OriginError;
use thiserror::Error;

/// The variable naming the browser origins that may read the answers.
pub const ALLOWED_ORIGINS_VAR: &str = "CORS_ALLOWED_ORIGINS";

/// An invalid configuration variable; the message names it.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{ALLOWED_ORIGINS_VAR} is invalid: {0}")]
pub struct ConfigError(#[from] OriginError);

/// The handler's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins, or `*`. Unset or blank
    /// means no CORS headers (no browser app on another origin).
    pub allowed_origins: AllowedOrigins,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let allowed_origins = match get(ALLOWED_ORIGINS_VAR) {
            Some(value) => AllowedOrigins::parse(&value)?,
            None => AllowedOrigins::None,
        };
        Ok(Self { allowed_origins })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(value: Option<&str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            assert_eq!(name, ALLOWED_ORIGINS_VAR);
            value.map(str::to_string)
        })
    }

    #[test]
    fn unset_or_blank_means_no_cors() {
        assert_eq!(load(None), Ok(Config::default()));
        assert_eq!(load(Some(" ")), Ok(Config::default()));
    }

    #[test]
    fn origins_are_parsed_and_a_bad_one_is_named() {
        assert_eq!(
            load(Some("http://localhost:8080")).unwrap().allowed_origins,
            AllowedOrigins::List(vec!["http://localhost:8080".into()])
        );
        let error = load(Some("http://localhost:8080/"))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("CORS_ALLOWED_ORIGINS is invalid: \"http://localhost:8080/\""),
            "{error}"
        );
    }
}
