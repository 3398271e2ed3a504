//! template.yaml agrees with itself and with the code: every API route has
//! its scopes in the authorizer's ROUTE_SCOPES and vice versa, every scope a
//! route needs is defined by a resource server, the app clients get the
//! scopes the walkthrough promises, and no output leaks a client secret.

use std::collections::{BTreeMap, BTreeSet};

use local::template::sam::{STANDARD_SCOPES, Template, defined_scopes};
use shared::RouteTable;

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");

fn template() -> Template {
    Template::load(TEMPLATE).unwrap()
}

/// ROUTE_SCOPES as a map (duplicate keys are caught by the RouteTable test).
fn route_scopes() -> BTreeMap<String, Vec<String>> {
    serde_json::from_str(&template().route_scopes_json().unwrap()).unwrap()
}

fn api_route_keys() -> BTreeSet<String> {
    template()
        .api_routes()
        .unwrap()
        .iter()
        .map(|r| r.key())
        .collect()
}

/// Scopes of the routes only signed-in users may call (the `/user` routes).
fn user_route_scopes() -> BTreeSet<String> {
    route_scopes()
        .into_iter()
        .filter(|(key, _)| {
            key.split_once(' ')
                .is_some_and(|(_, p)| p == "/user" || p.starts_with("/user/"))
        })
        .flat_map(|(_, scopes)| scopes)
        .collect()
}

#[test]
fn route_scopes_is_a_valid_route_table() {
    let json = template().route_scopes_json().unwrap();
    let table = RouteTable::from_json(&json).unwrap();
    assert_eq!(table.routes().len(), route_scopes().len());
}

#[test]
fn every_api_event_has_a_route_scopes_entry() {
    let configured: BTreeSet<String> = route_scopes().into_keys().collect();
    let missing: Vec<_> = api_route_keys().difference(&configured).cloned().collect();
    assert!(
        missing.is_empty(),
        "API events without ROUTE_SCOPES: {missing:?}"
    );
}

#[test]
fn every_route_scopes_entry_has_an_api_event() {
    let configured: BTreeSet<String> = route_scopes().into_keys().collect();
    let extra: Vec<_> = configured.difference(&api_route_keys()).cloned().collect();
    assert!(
        extra.is_empty(),
        "ROUTE_SCOPES entries without an API event: {extra:?}"
    );
}

#[test]
fn every_route_needs_a_scope_some_resource_server_defines() {
    let defined = defined_scopes(&template().resource_server_scopes().unwrap());
    for (route, scopes) in route_scopes() {
        assert!(!scopes.is_empty(), "{route} would accept any valid token");
        for scope in scopes {
            assert!(
                defined.contains(&scope),
                "{route} needs {scope}, which no resource server defines"
            );
        }
    }
}

#[test]
fn every_api_event_is_on_the_api_with_the_authorizer() {
    // An event without RestApiId lands on SAM's implicit API, which has no authorizer.
    for route in template().api_routes().unwrap() {
        assert_eq!(
            route.rest_api.as_deref(),
            Some("Api"),
            "{} ({})",
            route.key(),
            route.event
        );
    }
}

#[test]
fn m2m_client_has_every_route_scope_except_the_user_ones() {
    let user = user_route_scopes();
    assert!(!user.is_empty(), "the /user routes need scopes");
    let expected: BTreeSet<String> = route_scopes()
        .into_values()
        .flatten()
        .filter(|s| !user.contains(s))
        .collect();
    let clients = template().app_clients().unwrap();
    let m2m: Vec<_> = clients
        .iter()
        .filter(|c| c.allows_client_credentials())
        .collect();
    assert_eq!(m2m.len(), 1, "exactly one client-credentials client");
    let m2m = m2m[0];
    assert_eq!(m2m.flows, ["client_credentials"], "{}", m2m.logical_id);
    assert!(
        m2m.generate_secret,
        "a client-credentials client needs a secret"
    );
    let granted: BTreeSet<String> = m2m.allowed_scopes.iter().cloned().collect();
    assert_eq!(granted, expected, "{}", m2m.logical_id);
}

#[test]
fn web_client_is_a_public_code_flow_client_for_awesomeapi() {
    let clients = template().app_clients().unwrap();
    let web: Vec<_> = clients
        .iter()
        .filter(|c| c.flows.iter().any(|f| f == "code"))
        .collect();
    assert_eq!(web.len(), 1, "exactly one authorization-code client");
    let web = web[0];
    assert_eq!(web.flows, ["code"]);
    assert!(
        !web.generate_secret,
        "a browser client cannot keep a secret; PKCE protects it"
    );
    let awesome = &route_scopes()["GET /awesomeapi"];
    assert!(web.allowed_scopes.iter().any(|s| s == "openid"));
    for scope in awesome {
        assert!(
            web.allowed_scopes.contains(scope),
            "web client lacks {scope}"
        );
    }
}

#[test]
fn every_client_scope_is_standard_or_defined() {
    let defined = defined_scopes(&template().resource_server_scopes().unwrap());
    for client in template().app_clients().unwrap() {
        for scope in &client.allowed_scopes {
            assert!(
                defined.contains(scope) || STANDARD_SCOPES.contains(&scope.as_str()),
                "{} allows undefined scope {scope}",
                client.logical_id
            );
        }
    }
}

#[test]
fn authorizer_accepts_tokens_of_every_app_client() {
    let t = template();
    let referenced: BTreeSet<String> = t
        .authorizer_variable_references("APP_CLIENT_IDS")
        .unwrap()
        .into_iter()
        .collect();
    let clients: BTreeSet<String> = t
        .app_clients()
        .unwrap()
        .into_iter()
        .map(|c| c.logical_id)
        .collect();
    assert_eq!(referenced, clients);
    let pool = t.user_pool().unwrap();
    assert_eq!(
        t.authorizer_variable_references("USER_POOL_ID").unwrap(),
        [pool.logical_id]
    );
    assert_eq!(pool.username_attributes, ["email"]);
}

#[test]
fn no_output_exposes_a_client_secret() {
    let t = template();
    for attribute in t.output_attributes() {
        assert_ne!(
            attribute.attribute, "ClientSecret",
            "output {} exposes it",
            attribute.output
        );
    }
    for name in t.output_names() {
        assert!(
            !name.to_ascii_lowercase().contains("secret"),
            "output {name}"
        );
    }
}

#[test]
fn handler_serves_exactly_the_template_routes() {
    let served: BTreeSet<String> = handler::served_routes()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(served, api_route_keys());
}

#[test]
fn api_settings_are_within_api_gateway_limits() {
    let t = template();
    assert!(t.reauthorize_every().unwrap() <= 3600);
    assert!(!t.stage_name_default().unwrap().is_empty());
}
