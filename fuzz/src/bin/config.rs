//! Configuration: the variables one per line (`USER_POOL_ID`,
//! `APP_CLIENT_IDS`, `ROUTE_SCOPES`, `JWKS_URL`, `TOKEN_ISSUER`,
//! `USER_POOL_REGIONS`, `TRUSTED_POOLS`); a route table that parses is then
//! asked for policies on its own routes, for a token without groups and for
//! one holding every group a rule names (which may call at least what the
//! first may), and the pools for their issuers.
#![no_main]

use authorizer::Config;
use libfuzzer_sys::fuzz_target;
use shared::Scopes;

const NAMES: [&str; 7] = [
    "USER_POOL_ID",
    "APP_CLIENT_IDS",
    "ROUTE_SCOPES",
    "JWKS_URL",
    "TOKEN_ISSUER",
    "USER_POOL_REGIONS",
    "TRUSTED_POOLS",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let values: Vec<&str> = text.splitn(NAMES.len(), '\n').collect();
    let Ok(config) = Config::from_lookup(|name| {
        let i = NAMES.iter().position(|n| *n == name)?;
        values.get(i).map(|v| v.to_string())
    }) else {
        return;
    };
    for pool in config.pools.pools() {
        for issuer in &pool.issuers {
            assert!(config.pools.select(issuer).is_some());
        }
    }
    let table = &config.routes;
    let _ = table.inexact().count();
    let every_scope: Vec<&str> = table
        .routes()
        .iter()
        .flat_map(|r| r.scopes.iter().map(String::as_str))
        .collect();
    let scope = every_scope.join(" ");
    let every_group: Vec<String> = table
        .routes()
        .iter()
        .flat_map(|r| r.groups.iter().flatten().cloned())
        .collect();
    let without = table.permitted(Scopes::new(&scope), &[]);
    let with = table.permitted(Scopes::new(&scope), &every_group);
    for (i, route) in table.routes().iter().enumerate() {
        assert_eq!(without.contains(i), route.groups.is_none(), "{}", route.key);
        assert!(with.contains(i), "{}", route.key);
    }
    for permitted in [&without, &with] {
        for route in table.routes().iter().take(16) {
            let request = format!("{}{}", route.method.arn_str(), route.path);
            let called = table.find(route.method.as_str(), &route.path);
            let _ = table.policy(permitted, called, &request);
        }
    }
});
