//! Configuration from environment variables, read and validated once at cold start.
//!
//! One pool (`USER_POOL_ID`, `APP_CLIENT_IDS`, optionally `TOKEN_ISSUER`,
//! `USER_POOL_REGIONS`, `JWKS_URL`, `JWKS_FILE`) or several
//! (`TRUSTED_POOLS` or `TRUSTED_POOLS_FILE`, a JSON list); both at once is an
//! error. Either way the result is a [`TrustedPools`].

use std::path::Path;

use reqwest::Url;
use serde::Deserialize;
use shared::RouteTable;
use thiserror::Error;

use crate::pools::{Snapshot, TrustedPool, TrustedPools, cognito_issuers, cognito_jwks_url};

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
    /// The trusted user pools: from the single-pool variables or `TRUSTED_POOLS`.
    pub pools: TrustedPools,
    /// `ROUTE_SCOPES` (or the file `ROUTE_SCOPES_FILE` names): the scopes each
    /// route needs, the same for every pool.
    pub routes: RouteTable,
    /// `SIMPLE_RESPONSES`: how HTTP APIs (payload 2.0) are answered.
    pub http_answers: HttpAnswers,
}

/// The single-pool variables, none of which may be set with `TRUSTED_POOLS`.
const SINGLE_POOL_VARIABLES: [&str; 6] = [
    "USER_POOL_ID",
    "APP_CLIENT_IDS",
    "TOKEN_ISSUER",
    "USER_POOL_REGIONS",
    "JWKS_URL",
    "JWKS_FILE",
];

/// One entry of `TRUSTED_POOLS`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolEntry {
    user_pool_id: String,
    client_ids: Vec<String>,
    #[serde(default)]
    jwks_url: Option<String>,
    #[serde(default)]
    issuers: Option<Vec<String>>,
    #[serde(default)]
    regions: Option<Vec<String>>,
    #[serde(default)]
    jwks_file: Option<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get`, so tests need not touch the process
    /// environment; `ROUTE_SCOPES_FILE` and `TRUSTED_POOLS_FILE` are read
    /// from the file system.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_sources(get, |path| std::fs::read_to_string(path))
    }

    /// Reads variables through `get` and the files they name through `read`.
    pub fn from_sources(
        get: impl Fn(&str) -> Option<String>,
        read: impl Fn(&Path) -> std::io::Result<String>,
    ) -> Result<Self, ConfigError> {
        let optional = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let pools = match (optional("TRUSTED_POOLS"), optional("TRUSTED_POOLS_FILE")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "TRUSTED_POOLS_FILE",
                    "set either TRUSTED_POOLS or TRUSTED_POOLS_FILE, not both".to_string(),
                ));
            }
            (Some(json), None) => several_pools("TRUSTED_POOLS", &json, None, &optional)?,
            (None, Some(file)) => {
                let json = read(Path::new(&file)).map_err(|e| {
                    invalid("TRUSTED_POOLS_FILE", format!("cannot read {file:?}: {e}"))
                })?;
                several_pools("TRUSTED_POOLS_FILE", &json, Some(&file), &optional)?
            }
            (None, None) => one_pool(&optional)?,
        };
        let routes = routes(&optional, &read)?;
        let http_answers = HttpAnswers::parse(optional(SIMPLE_RESPONSES).as_deref())
            .map_err(|reason| invalid(SIMPLE_RESPONSES, reason))?;
        Ok(Self {
            pools,
            routes,
            http_answers,
        })
    }
}

fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { name, reason }
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

/// The table in the variable, or (beyond the 4 KB Lambda allows for all
/// variables together) in a file shipped with the function.
fn routes(
    optional: &impl Fn(&'static str) -> Option<String>,
    read: &impl Fn(&Path) -> std::io::Result<String>,
) -> Result<RouteTable, ConfigError> {
    match (optional("ROUTE_SCOPES"), optional("ROUTE_SCOPES_FILE")) {
        (Some(_), Some(_)) => Err(invalid(
            "ROUTE_SCOPES_FILE",
            "set either ROUTE_SCOPES or ROUTE_SCOPES_FILE, not both".to_string(),
        )),
        (Some(json), None) => {
            RouteTable::from_json(&json).map_err(|e| invalid("ROUTE_SCOPES", e.to_string()))
        }
        (None, Some(file)) => {
            let json = read(Path::new(&file))
                .map_err(|e| invalid("ROUTE_SCOPES_FILE", format!("cannot read {file:?}: {e}")))?;
            RouteTable::from_json(&json)
                .map_err(|e| invalid("ROUTE_SCOPES_FILE", format!("{file:?}: {e}")))
        }
        (None, None) => Err(ConfigError::Missing("ROUTE_SCOPES")),
    }
}

/// `USER_POOL_ID` and the variables around it.
fn one_pool(
    optional: &impl Fn(&'static str) -> Option<String>,
) -> Result<TrustedPools, ConfigError> {
    let user_pool_id = optional("USER_POOL_ID").ok_or(ConfigError::Missing("USER_POOL_ID"))?;
    let region = pool_region(&user_pool_id).map_err(|reason| invalid("USER_POOL_ID", reason))?;
    let client_ids = optional("APP_CLIENT_IDS").ok_or(ConfigError::Missing("APP_CLIENT_IDS"))?;
    let client_ids = list(&client_ids)
        .into_iter()
        .map(|id| client_id(&id).map(|()| id))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| invalid("APP_CLIENT_IDS", reason))?;

    let explicit = optional("TOKEN_ISSUER")
        .map(|v| issuers(list(&v)).map_err(|reason| invalid("TOKEN_ISSUER", reason)))
        .transpose()?;
    let regions = optional("USER_POOL_REGIONS")
        .map(|v| regions(list(&v)).map_err(|reason| invalid("USER_POOL_REGIONS", reason)))
        .transpose()?;
    let issuers = match (explicit, regions) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "USER_POOL_REGIONS",
                "set either TOKEN_ISSUER (exact issuers) or USER_POOL_REGIONS, not both"
                    .to_string(),
            ));
        }
        (Some(issuers), None) => issuers,
        (None, Some(regions)) => cognito_issuers(&user_pool_id, &regions),
        (None, None) => cognito_issuers(&user_pool_id, &[region.to_string()]),
    };
    let jwks_url = match optional("JWKS_URL") {
        Some(url) => http_url(&url).map_err(|reason| invalid("JWKS_URL", reason))?,
        None => http_url(&cognito_jwks_url(region, &user_pool_id))
            .map_err(|reason| invalid("USER_POOL_ID", reason))?,
    };
    let jwks_file = optional("JWKS_FILE").map(|path| Snapshot {
        path: path.into(),
        variable: "JWKS_FILE",
    });
    let pool = TrustedPool {
        user_pool_id,
        issuers,
        client_ids,
        jwks_url,
        jwks_file,
    };
    TrustedPools::new(vec![pool]).map_err(|e| invalid("USER_POOL_ID", e.to_string()))
}

/// `TRUSTED_POOLS` (or the file `TRUSTED_POOLS_FILE` names): a JSON list of pools.
fn several_pools(
    name: &'static str,
    json: &str,
    file: Option<&str>,
    optional: &impl Fn(&'static str) -> Option<String>,
) -> Result<TrustedPools, ConfigError> {
    if let Some(single) = SINGLE_POOL_VARIABLES
        .into_iter()
        .find(|v| optional(v).is_some())
    {
        return Err(invalid(
            name,
            format!(
                "{single} is set too: configure the pools either with {name} or with {single} and the other single-pool variables, not both"
            ),
        ));
    }
    let at = |reason: String| match file {
        Some(file) => invalid(name, format!("{file:?}: {reason}")),
        None => invalid(name, reason),
    };
    let entries: Vec<PoolEntry> =
        serde_json::from_str(json).map_err(|e| at(format!("not a JSON list of pools: {e}")))?;
    let pools = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let id = entry.user_pool_id.clone();
            pool_entry(name, entry).map_err(|reason| at(format!("pool {i} ({id:?}): {reason}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    TrustedPools::new(pools).map_err(|e| at(e.to_string()))
}

fn pool_entry(name: &'static str, entry: PoolEntry) -> Result<TrustedPool, String> {
    let region = pool_region(&entry.user_pool_id)?;
    for id in &entry.client_ids {
        client_id(id)?;
    }
    let issuers = match (entry.issuers, entry.regions) {
        (Some(_), Some(_)) => {
            return Err("set either issuers (exact) or regions, not both".to_string());
        }
        (Some(list), None) => issuers(list)?,
        (None, Some(list)) => cognito_issuers(&entry.user_pool_id, &regions(list)?),
        (None, None) => cognito_issuers(&entry.user_pool_id, &[region.to_string()]),
    };
    let jwks_url = entry
        .jwks_url
        .unwrap_or_else(|| cognito_jwks_url(region, &entry.user_pool_id));
    Ok(TrustedPool {
        jwks_url: http_url(&jwks_url).map_err(|e| format!("jwks_url: {e}"))?,
        issuers,
        client_ids: entry.client_ids,
        jwks_file: entry.jwks_file.map(|path| Snapshot {
            path: path.into(),
            variable: name,
        }),
        user_pool_id: entry.user_pool_id,
    })
}

/// The items of a comma-separated list, trimmed (empty ones kept, to be refused).
fn list(value: &str) -> Vec<String> {
    value.split(',').map(|v| v.trim().to_string()).collect()
}

fn client_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.contains(char::is_whitespace) || id.contains(',') {
        return Err(format!("bad client id {id:?} in a comma-separated list"));
    }
    Ok(())
}

fn issuers(list: Vec<String>) -> Result<Vec<String>, String> {
    if let Some(bad) = list
        .iter()
        .find(|i| i.is_empty() || i.contains(char::is_whitespace))
    {
        return Err(format!(
            "bad issuer {bad:?}: issuers are exact, non-empty, without spaces"
        ));
    }
    Ok(list)
}

fn regions(list: Vec<String>) -> Result<Vec<String>, String> {
    if let Some(bad) = list.iter().find(|r| !is_region(r)) {
        return Err(format!(
            "bad region {bad:?}: list the primary region first, then the replicas, e.g. us-east-1,us-west-2"
        ));
    }
    Ok(list)
}

fn http_url(url: &str) -> Result<Url, String> {
    Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .ok_or_else(|| format!("{url:?} is not an http(s) URL"))
}

fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.contains('-')
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The region of a pool id such as `us-east-1_AbCdEf123`: where the pool
/// was created, its primary region (replicas keep the id).
fn pool_region(id: &str) -> Result<&str, String> {
    let bad = || format!("{id:?} is not <region>_<id>");
    let (region, suffix) = id.split_once('_').ok_or_else(bad)?;
    let suffix_ok = !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_alphanumeric());
    if is_region(region) && suffix_ok {
        Ok(region)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn token_issuer_with_regions_is_an_error_naming_both() {
        let mut vars = base();
        vars.push(("TOKEN_ISSUER", ORIGINAL));
        vars.push(("USER_POOL_REGIONS", "us-east-1"));
        let err = load(&vars).unwrap_err().to_string();
        assert!(err.starts_with("USER_POOL_REGIONS is invalid"), "{err}");
        assert!(err.contains("TOKEN_ISSUER"), "{err}");
    }

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

    fn only(config: &Config) -> &TrustedPool {
        assert_eq!(config.pools.len(), 1);
        &config.pools.pools()[0]
    }

    const ORIGINAL: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123";
    const UPDATED: &str = "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123";

    #[test]
    fn defaults_derive_from_the_pool_id() {
        let config = load(&base()).unwrap();
        let pool = only(&config);
        assert_eq!(pool.user_pool_id, "us-east-1_AbCdEf123");
        assert_eq!(pool.client_ids, ["client1", "client2"]);
        assert_eq!(pool.issuers, [ORIGINAL, UPDATED], "both issuer forms");
        assert_eq!(
            pool.jwks_url.as_str(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/jwks.json"
        );
        assert_eq!(pool.jwks_file, None);
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
        let pool = only(&config);
        assert_eq!(pool.jwks_url.scheme(), "http");
        assert_eq!(pool.issuers, ["http://127.0.0.1:9100/pool"]);
    }

    #[test]
    fn the_single_pool_issuers_table() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: [Case<'_>; 5] = [
            (
                "default: both forms of the pool's region",
                &[],
                &[ORIGINAL, UPDATED],
            ),
            ("one exact issuer", &[("TOKEN_ISSUER", UPDATED)], &[UPDATED]),
            (
                "a comma-separated list",
                &[("TOKEN_ISSUER", "https://a.example/p , https://b.example/p")],
                &["https://a.example/p", "https://b.example/p"],
            ),
            (
                "primary and replica regions",
                &[("USER_POOL_REGIONS", "us-east-1, us-west-2")],
                &[
                    ORIGINAL,
                    UPDATED,
                    "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_AbCdEf123",
                ],
            ),
            (
                "a primary other than the id's region",
                &[("USER_POOL_REGIONS", "eu-west-1")],
                &[
                    "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbCdEf123",
                    "https://issuer-cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbCdEf123",
                ],
            ),
        ];
        for (name, extra, issuers) in cases {
            let mut vars = base();
            vars.extend_from_slice(extra);
            let config = load(&vars).unwrap();
            assert_eq!(only(&config).issuers, issuers, "{name}");
        }
    }

    const TWO_POOLS: &str = r#"[
        {"user_pool_id": "us-east-1_PoolA", "client_ids": ["ca1", "ca2"]},
        {"user_pool_id": "eu-west-1_PoolB", "client_ids": ["cb"],
         "jwks_url": "http://127.0.0.1:9200/b/jwks.json",
         "issuers": ["http://127.0.0.1:9200/b"], "jwks_file": "/opt/b.json"},
        {"user_pool_id": "us-east-1_PoolC", "client_ids": ["cc"],
         "regions": ["us-east-1", "ap-south-1"]}
    ]"#;

    fn several(pools: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TRUSTED_POOLS", pools.to_string()),
            ("ROUTE_SCOPES", ROUTES.to_string()),
        ]
    }

    fn load_owned(vars: &[(&str, String)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn trusted_pools_give_each_pool_its_clients_issuers_and_keys() {
        let config = load_owned(&several(TWO_POOLS)).unwrap();
        let pools = config.pools.pools();
        assert_eq!(pools.len(), 3);
        assert_eq!(pools[0].client_ids, ["ca1", "ca2"]);
        assert_eq!(
            pools[0].issuers,
            [
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA",
                "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA"
            ]
        );
        assert_eq!(
            pools[0].jwks_url.as_str(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA/.well-known/jwks.json"
        );
        assert_eq!(pools[1].issuers, ["http://127.0.0.1:9200/b"]);
        assert_eq!(
            pools[1].jwks_url.as_str(),
            "http://127.0.0.1:9200/b/jwks.json"
        );
        assert_eq!(
            pools[1].jwks_file,
            Some(Snapshot {
                path: "/opt/b.json".into(),
                variable: "TRUSTED_POOLS"
            })
        );
        assert_eq!(pools[2].issuers.len(), 3);
        let (index, pool) = config
            .pools
            .select("https://cognito-idp.ap-south-1.amazonaws.com/us-east-1_PoolC")
            .unwrap();
        assert_eq!(
            (index.0, pool.user_pool_id.as_str()),
            (2, "us-east-1_PoolC")
        );
    }

    #[test]
    fn trusted_pools_can_come_from_a_file() {
        let get = |k: &str| match k {
            "TRUSTED_POOLS_FILE" => Some("/opt/pools.json".to_string()),
            "ROUTE_SCOPES" => Some(ROUTES.to_string()),
            _ => None,
        };
        let read = |path: &Path| match path.to_str() {
            Some("/opt/pools.json") => Ok(TWO_POOLS.to_string()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        };
        let config = Config::from_sources(get, read).unwrap();
        assert_eq!(config.pools.len(), 3);
        assert_eq!(
            config.pools.pools()[1]
                .jwks_file
                .as_ref()
                .map(|s| s.variable),
            Some("TRUSTED_POOLS_FILE")
        );
        let err = Config::from_sources(get, |_| Ok("[{}]".to_string()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("TRUSTED_POOLS_FILE is invalid: \"/opt/pools.json\": not a JSON list"),
            "{err}"
        );
        let err = Config::from_sources(get, |_| Err(std::io::ErrorKind::NotFound.into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("TRUSTED_POOLS_FILE is invalid: cannot read \"/opt/pools.json\""),
            "{err}"
        );
    }

    #[test]
    fn every_bad_trusted_pools_value_is_named() {
        let a = r#"{"user_pool_id": "us-east-1_PoolA", "client_ids": ["ca"]}"#;
        let cases: [(&str, String, &str); 11] = [
            ("not json", "[".into(), "TRUSTED_POOLS is invalid: not a JSON list"),
            ("an object", a.into(), "TRUSTED_POOLS is invalid: not a JSON list"),
            ("empty list", "[]".into(), "TRUSTED_POOLS is invalid: no user pool"),
            (
                "unknown field",
                r#"[{"user_pool_id": "us-east-1_PoolA", "client_ids": ["ca"], "clients": []}]"#.into(),
                "TRUSTED_POOLS is invalid: not a JSON list",
            ),
            (
                "bad pool id",
                r#"[{"user_pool_id": "PoolA", "client_ids": ["ca"]}]"#.into(),
                "TRUSTED_POOLS is invalid: pool 0 (\"PoolA\"): \"PoolA\" is not <region>_<id>",
            ),
            (
                "no clients",
                r#"[{"user_pool_id": "us-east-1_PoolA", "client_ids": []}]"#.into(),
                "TRUSTED_POOLS is invalid: user pool us-east-1_PoolA has no client_ids",
            ),
            (
                "bad client",
                r#"[{"user_pool_id": "us-east-1_PoolA", "client_ids": ["a b"]}]"#.into(),
                "TRUSTED_POOLS is invalid: pool 0 (\"us-east-1_PoolA\"): bad client id",
            ),
            (
                "issuers and regions",
                r#"[{"user_pool_id": "us-east-1_PoolA", "client_ids": ["c"], "issuers": ["x"], "regions": ["us-east-1"]}]"#.into(),
                "TRUSTED_POOLS is invalid: pool 0 (\"us-east-1_PoolA\"): set either issuers",
            ),
            (
                "bad jwks_url",
                r#"[{"user_pool_id": "us-east-1_PoolA", "client_ids": ["c"], "jwks_url": "ftp://x"}]"#.into(),
                "TRUSTED_POOLS is invalid: pool 0 (\"us-east-1_PoolA\"): jwks_url:",
            ),
            ("same pool twice", format!("[{a},{a}]"), "TRUSTED_POOLS is invalid: user pool us-east-1_PoolA is listed twice"),
            (
                "an issuer in two pools",
                format!(
                    r#"[{a},{{"user_pool_id": "us-east-1_PoolB", "client_ids": ["cb"], "issuers": ["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA"]}}]"#
                ),
                "TRUSTED_POOLS is invalid: issuer \"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA\" is configured for more than one pool",
            ),
        ];
        for (name, value, expected) in cases {
            let err = load_owned(&several(&value)).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{name}: {err}");
        }
    }

    #[test]
    fn single_pool_variables_with_trusted_pools_are_an_error_naming_both() {
        for single in SINGLE_POOL_VARIABLES {
            let mut vars = several(TWO_POOLS);
            vars.push((single, "x".to_string()));
            let err = load_owned(&vars).unwrap_err().to_string();
            assert!(
                err.starts_with("TRUSTED_POOLS is invalid: "),
                "{single}: {err}"
            );
            assert!(
                err.contains(&format!("{single} is set too")),
                "{single}: {err}"
            );
        }
        let mut vars = several(TWO_POOLS);
        vars.push(("TRUSTED_POOLS_FILE", "/opt/pools.json".to_string()));
        let err = load_owned(&vars).unwrap_err().to_string();
        assert!(
            err.contains("TRUSTED_POOLS or TRUSTED_POOLS_FILE, not both"),
            "{err}"
        );
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
        let cases: [(&str, Option<&str>, &str); 14] = [
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
            ("TOKEN_ISSUER", Some("a,,b"), "TOKEN_ISSUER is invalid"),
            ("TOKEN_ISSUER", Some("a b"), "TOKEN_ISSUER is invalid"),
            (
                "USER_POOL_REGIONS",
                Some("us-east-1,,"),
                "USER_POOL_REGIONS is invalid",
            ),
            (
                "USER_POOL_REGIONS",
                Some("US-EAST-1"),
                "USER_POOL_REGIONS is invalid",
            ),
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
