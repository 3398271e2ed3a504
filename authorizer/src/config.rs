//! Configuration from environment variables, read and validated once at cold start.

use std::path::Path;

use reqwest::Url;
use shared::RouteTable;
use thiserror::Error;

/// A missing or invalid configuration variable; the message names it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable is set but unusable.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// The authorizer's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `USER_POOL_ID`, e.g. `us-east-1_AbCdEf123`.
    pub user_pool_id: String,
    /// The region: the part of the pool id before `_`.
    pub region: String,
    /// `APP_CLIENT_IDS`: the app clients whose tokens are accepted.
    pub client_ids: Vec<String>,
    /// `ROUTE_SCOPES` (or the file `ROUTE_SCOPES_FILE` names): the scopes each route needs.
    pub routes: RouteTable,
    /// `JWKS_URL`, or the pool's Cognito JWKS URL.
    pub jwks_url: Url,
    /// `TOKEN_ISSUER`, or the pool's Cognito issuer URL.
    pub issuer: String,
    /// `JWKS_FILE`: a JWKS snapshot shipped with the function, used at
    /// start instead of a fetch (read by [`crate::key_store::read_snapshot`]).
    pub jwks_file: Option<std::path::PathBuf>,
    /// `SIMPLE_RESPONSES`: how HTTP APIs (payload 2.0) are answered.
    pub http_answers: HttpAnswers,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get`, so tests need not touch the process
    /// environment; a `ROUTE_SCOPES_FILE` is read from the file system.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_sources(get, |path| std::fs::read_to_string(path))
    }

    /// Reads variables through `get` and the route-table file through `read`.
    pub fn from_sources(
        get: impl Fn(&str) -> Option<String>,
        read: impl Fn(&Path) -> std::io::Result<String>,
    ) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let optional = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid { name, reason };

        let user_pool_id = required("USER_POOL_ID")?;
        let region = parse_pool_id(&user_pool_id)
            .ok_or_else(|| {
                invalid(
                    "USER_POOL_ID",
                    format!("{user_pool_id:?} is not <region>_<id>"),
                )
            })?
            .to_string();

        let client_ids: Vec<String> = required("APP_CLIENT_IDS")?
            .split(',')
            .map(|id| id.trim().to_string())
            .collect();
        if let Some(bad) = client_ids
            .iter()
            .find(|id| id.is_empty() || id.contains(char::is_whitespace))
        {
            return Err(invalid(
                "APP_CLIENT_IDS",
                format!("bad client id {bad:?} in a comma-separated list"),
            ));
        }

        // The table in the variable, or (beyond the 4 KB Lambda allows for
        // all variables together) in a file shipped with the function.
        let routes = match (optional("ROUTE_SCOPES"), optional("ROUTE_SCOPES_FILE")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "ROUTE_SCOPES_FILE",
                    "set either ROUTE_SCOPES or ROUTE_SCOPES_FILE, not both".to_string(),
                ));
            }
            (Some(json), None) => {
                RouteTable::from_json(&json).map_err(|e| invalid("ROUTE_SCOPES", e.to_string()))?
            }
            (None, Some(file)) => {
                let path = Path::new(&file);
                let json = read(path).map_err(|e| {
                    invalid("ROUTE_SCOPES_FILE", format!("cannot read {file:?}: {e}"))
                })?;
                RouteTable::from_json(&json)
                    .map_err(|e| invalid("ROUTE_SCOPES_FILE", format!("{file:?}: {e}")))?
            }
            (None, None) => return Err(ConfigError::Missing("ROUTE_SCOPES")),
        };

        let cognito = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        let jwks_url =
            optional("JWKS_URL").unwrap_or_else(|| format!("{cognito}/.well-known/jwks.json"));
        let jwks_url = Url::parse(&jwks_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| invalid("JWKS_URL", format!("{jwks_url:?} is not an http(s) URL")))?;
        let issuer = optional("TOKEN_ISSUER").unwrap_or(cognito);
        let jwks_file = optional("JWKS_FILE").map(Into::into);
        let http_answers = HttpAnswers::parse(optional(SIMPLE_RESPONSES).as_deref())
            .map_err(|reason| invalid(SIMPLE_RESPONSES, reason))?;

        Ok(Self {
            user_pool_id,
            region,
            client_ids,
            routes,
            jwks_url,
            issuer,
            jwks_file,
            http_answers,
        })
    }
}

/// The variable choosing how HTTP APIs are answered.
pub const SIMPLE_RESPONSES: &str = "SIMPLE_RESPONSES";

/// How the authorizer answers HTTP API (payload 2.0) events; REST events
/// always get an IAM policy. Must match the HTTP API authorizer's
/// `EnableSimpleResponses`, or API Gateway rejects every answer (500).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HttpAnswers {
    /// `SIMPLE_RESPONSES=true` (the default): `{"isAuthorized", "context"}`.
    /// Cached per identity sources for every route, so the authorizer's
    /// identity sources must include `$context.routeKey`.
    #[default]
    Simple,
    /// `SIMPLE_RESPONSES=false`: the whole-API IAM policy, right for every
    /// route when cached per token.
    Iam,
}

impl HttpAnswers {
    /// Reads `SIMPLE_RESPONSES` (`true` or `false`, any letter case; unset is `true`).
    fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None => Ok(Self::Simple),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Self::Simple),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Self::Iam),
            Some(v) => Err(format!("{v:?} is neither true nor false")),
        }
    }
}

/// Returns the region of a pool id such as `us-east-1_AbCdEf123`.
fn parse_pool_id(id: &str) -> Option<&str> {
    let (region, suffix) = id.split_once('_')?;
    let region_ok = !region.is_empty()
        && region.contains('-')
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let suffix_ok = !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_alphanumeric());
    (region_ok && suffix_ok).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const ROUTES: &str = r#"{"GET /book":["API/book.get"]}"#;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("USER_POOL_ID", "us-east-1_AbCdEf123"),
            ("APP_CLIENT_IDS", "client1, client2"),
            ("ROUTE_SCOPES", ROUTES),
        ]
    }

    #[test]
    fn defaults_derive_from_the_pool_id() {
        let config = load(&base()).unwrap();
        assert_eq!(config.region, "us-east-1");
        assert_eq!(config.client_ids, ["client1", "client2"]);
        assert_eq!(
            config.issuer,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
        );
        assert_eq!(
            config.jwks_url.as_str(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/jwks.json"
        );
    }

    #[test]
    fn overrides_accept_plain_http_for_local_use() {
        let mut vars = base();
        vars.push((
            "JWKS_URL",
            "http://127.0.0.1:9100/pool/.well-known/jwks.json",
        ));
        vars.push(("TOKEN_ISSUER", "http://127.0.0.1:9100/pool"));
        let config = load(&vars).unwrap();
        assert_eq!(config.jwks_url.scheme(), "http");
        assert_eq!(config.issuer, "http://127.0.0.1:9100/pool");
    }

    #[test]
    fn the_route_table_can_come_from_a_file() {
        let vars: HashMap<&str, &str> = [
            ("USER_POOL_ID", "us-east-1_AbCdEf123"),
            ("APP_CLIENT_IDS", "client1"),
            ("ROUTE_SCOPES_FILE", "/opt/routes.json"),
        ]
        .into();
        let get = |k: &str| vars.get(k).map(|v| v.to_string());
        let read = |path: &Path| match path.to_str() {
            Some("/opt/routes.json") => Ok(ROUTES.to_string()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        };
        let config = Config::from_sources(get, read).unwrap();
        assert_eq!(config.routes.routes()[0].key, "GET /book");

        let unreadable = Config::from_sources(get, |_| Err(std::io::ErrorKind::NotFound.into()));
        let err = unreadable.unwrap_err().to_string();
        assert!(
            err.starts_with("ROUTE_SCOPES_FILE is invalid: cannot read \"/opt/routes.json\""),
            "{err}"
        );
        let malformed = Config::from_sources(get, |_| Ok("{\"GET book\":[]}".to_string()));
        let err = malformed.unwrap_err().to_string();
        assert!(
            err.starts_with("ROUTE_SCOPES_FILE is invalid: \"/opt/routes.json\": route"),
            "{err}"
        );
        let both = Config::from_sources(
            |k| {
                if k == "ROUTE_SCOPES" {
                    Some(ROUTES.to_string())
                } else {
                    get(k)
                }
            },
            read,
        );
        assert!(both.unwrap_err().to_string().contains("not both"));
    }

    #[test]
    fn simple_responses_is_true_false_or_unset() {
        let cases = [
            (None, Ok(HttpAnswers::Simple)),
            (Some("true"), Ok(HttpAnswers::Simple)),
            (Some(" TRUE "), Ok(HttpAnswers::Simple)),
            (Some("false"), Ok(HttpAnswers::Iam)),
            (Some("False"), Ok(HttpAnswers::Iam)),
            (Some(""), Ok(HttpAnswers::Simple)),
            (
                Some("yes"),
                Err("SIMPLE_RESPONSES is invalid: \"yes\" is neither true nor false"),
            ),
            (
                Some("0"),
                Err("SIMPLE_RESPONSES is invalid: \"0\" is neither true nor false"),
            ),
        ];
        for (value, expected) in cases {
            let mut vars = base();
            if let Some(v) = value {
                vars.push((SIMPLE_RESPONSES, v));
            }
            let got = load(&vars)
                .map(|c| c.http_answers)
                .map_err(|e| e.to_string());
            assert_eq!(got, expected.map_err(str::to_string), "{value:?}");
        }
    }

    #[test]
    fn every_bad_variable_is_named() {
        let cases: [(&str, Option<&str>, &str); 10] = [
            ("USER_POOL_ID", None, "USER_POOL_ID is not set"),
            ("USER_POOL_ID", Some("  "), "USER_POOL_ID is not set"),
            ("USER_POOL_ID", Some("AbCdEf123"), "USER_POOL_ID is invalid"),
            (
                "USER_POOL_ID",
                Some("us-east-1_"),
                "USER_POOL_ID is invalid",
            ),
            ("APP_CLIENT_IDS", None, "APP_CLIENT_IDS is not set"),
            ("APP_CLIENT_IDS", Some("a,,b"), "APP_CLIENT_IDS is invalid"),
            ("ROUTE_SCOPES", None, "ROUTE_SCOPES is not set"),
            (
                "ROUTE_SCOPES",
                Some("{\"GET book\":[]}"),
                "ROUTE_SCOPES is invalid",
            ),
            ("JWKS_URL", Some("ftp://x/jwks.json"), "JWKS_URL is invalid"),
            ("JWKS_URL", Some("not a url"), "JWKS_URL is invalid"),
        ];
        for (name, value, expected) in cases {
            let mut vars: Vec<(&str, &str)> =
                base().into_iter().filter(|(k, _)| *k != name).collect();
            if let Some(v) = value {
                vars.push((name, v));
            }
            let err = load(&vars).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{name}={value:?}: {err}");
        }
    }
}
