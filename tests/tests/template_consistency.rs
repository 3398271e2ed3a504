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

// ------------------------------------------------------------------- CORS
// The web app on another origin: API Gateway's preflight mock, its own
// answers (gateway responses) and the handler must all allow the same one
// origin, from one parameter. Read straight from the YAML: `local::template`
// does not model these parts (yet).

/// The template as plain YAML.
fn raw_template() -> yaml_serde::Value {
    yaml_serde::from_str(&std::fs::read_to_string(TEMPLATE).unwrap()).unwrap()
}

/// `at` followed through mapping keys, or `Null`.
fn at<'a>(value: &'a yaml_serde::Value, path: &[&str]) -> &'a yaml_serde::Value {
    path.iter()
        .fold(value, |v, key| v.get(key).unwrap_or(&NULL))
}

static NULL: yaml_serde::Value = yaml_serde::Value::Null;

/// A value in one canonical text form: `Ref X` and `Sub <string>` for the
/// intrinsics in either spelling (`!Ref X`, `{Ref: X}`), the text of a plain
/// scalar, `?` for anything else.
fn expr(value: &yaml_serde::Value) -> String {
    use yaml_serde::Value;
    let (name, argument) = match value {
        Value::Tagged(tagged) => (
            tagged.tag.to_string().trim_start_matches('!').to_string(),
            &tagged.value,
        ),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next().unwrap();
            let key = key.as_str().unwrap_or("?");
            (key.trim_start_matches("Fn::").to_string(), argument)
        }
        Value::String(s) => return s.clone(),
        Value::Bool(b) => return b.to_string(),
        Value::Number(n) => return n.to_string(),
        _ => return "?".into(),
    };
    format!("{name} {}", expr(argument))
}

/// The allowed origin every CORS part must name: the parameter, quoted for API Gateway.
const WEB_ORIGIN: &str = "Sub '${WebAppOrigin}'";

fn api_properties() -> yaml_serde::Value {
    at(&raw_template(), &["Resources", "Api", "Properties"]).clone()
}

#[test]
fn cors_preflight_allows_the_web_origin_without_the_authorizer() {
    let api = api_properties();
    // Browsers never send credentials on a preflight.
    assert_eq!(
        expr(at(&api, &["Auth", "AddDefaultAuthorizerToCorsPreflight"])),
        "false"
    );
    let cors = at(&api, &["Cors"]);
    assert_eq!(expr(at(cors, &["AllowOrigin"])), WEB_ORIGIN);

    let quoted_list = |key: &str| -> BTreeSet<String> {
        let text = expr(at(cors, &[key]));
        let inner = text
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .unwrap_or_else(|| panic!("Cors.{key} {text:?} is not quoted for API Gateway"));
        inner
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    };
    let headers = quoted_list("AllowHeaders");
    for needed in ["authorization", "content-type"] {
        assert!(headers.contains(needed), "AllowHeaders lacks {needed}");
    }
    let methods = quoted_list("AllowMethods");
    for route in template().api_routes().unwrap() {
        assert!(
            methods.contains(&route.method.to_ascii_lowercase()),
            "AllowMethods lacks {} ({})",
            route.method,
            route.key()
        );
    }
    let max_age = expr(at(cors, &["MaxAge"]));
    let seconds: u32 = max_age.trim_matches('\'').parse().unwrap();
    assert!(
        (1..=7200).contains(&seconds),
        "MaxAge {max_age}: Chromium caps preflight caching at 2 hours"
    );
}

#[test]
fn every_gateway_response_the_authorizer_can_cause_allows_the_web_origin() {
    let api = api_properties();
    let responses = at(&api, &["GatewayResponses"]);
    // (response type, its status class): the answers API Gateway makes
    // itself around a TOKEN authorizer and a proxy integration.
    let cases = [
        ("UNAUTHORIZED", "4XX"),  // authorizer said Unauthorized; no token
        ("ACCESS_DENIED", "4XX"), // the policy does not allow the route
        ("MISSING_AUTHENTICATION_TOKEN", "4XX"), // no such route or method
        ("THROTTLED", "4XX"),     // MethodSettings' limits
        ("AUTHORIZER_FAILURE", "5XX"), // authorizer error other than Unauthorized
        ("AUTHORIZER_CONFIGURATION_ERROR", "5XX"), // invalid answer, timeout
        ("INTEGRATION_FAILURE", "5XX"), // the handler failed
        ("INTEGRATION_TIMEOUT", "5XX"),
    ];
    for (kind, class) in cases {
        let own = at(responses, &[kind]);
        let effective = if own.is_null() {
            at(responses, &[&format!("DEFAULT_{class}")])
        } else {
            own
        };
        assert!(!effective.is_null(), "{kind} has no gateway response");
        assert_eq!(
            expr(at(
                effective,
                &[
                    "ResponseParameters",
                    "Headers",
                    "Access-Control-Allow-Origin"
                ]
            )),
            WEB_ORIGIN,
            "{kind}"
        );
    }
    // Named explicitly too, as AWS recommends for the authorizer's answers.
    for kind in [
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
    ] {
        let response = at(responses, &[kind]);
        assert!(!response.is_null(), "{kind} is not set");
        // Only headers change: API Gateway keeps its status and body.
        for kept in ["StatusCode", "ResponseTemplates"] {
            assert!(
                at(response, &[kept]).is_null(),
                "{kind}.{kept} would change the answer"
            );
        }
    }
}

#[test]
fn handler_allows_the_same_origin_as_the_api() {
    let t = raw_template();
    let resources = t["Resources"].as_mapping().unwrap();
    let mut functions_with_routes = 0;
    for (id, resource) in resources {
        let events = at(resource, &["Properties", "Events"]);
        let serves_api = events
            .as_mapping()
            .is_some_and(|e| e.values().any(|ev| expr(&ev["Type"]) == "Api"));
        if !serves_api {
            continue;
        }
        functions_with_routes += 1;
        assert_eq!(
            expr(at(
                resource,
                &[
                    "Properties",
                    "Environment",
                    "Variables",
                    handler::config::ALLOWED_ORIGINS_VAR
                ]
            )),
            "Ref WebAppOrigin",
            "{id:?}"
        );
    }
    assert_eq!(functions_with_routes, 1);

    // The parameter's default is an origin the handler accepts, and the
    // web client may sign in from and back to it.
    let origin = expr(at(&t, &["Parameters", "WebAppOrigin", "Default"]));
    assert_eq!(
        shared::AllowedOrigins::parse(&origin),
        Ok(shared::AllowedOrigins::List(vec![origin.clone()]))
    );
    for list in ["CallbackUrls", "LogoutUrls"] {
        let default = expr(at(&t, &["Parameters", list, "Default"]));
        for url in default.split(',') {
            assert_eq!(url, format!("{origin}/"), "{list}: the web app's page");
        }
    }
}

#[test]
fn web_app_config_output_has_what_the_web_app_reads() {
    let t = raw_template();
    let value = at(&t, &["Outputs", "WebAppConfig", "Value"]);
    let yaml_serde::Value::Tagged(sub) = value else {
        panic!("WebAppConfig is not a !Sub: {value:?}");
    };
    let text = expr(&sub.value[0]);
    // Placeholders stand for ids only known after a deploy.
    let mut json = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        json.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap();
        json.push('x');
        rest = &rest[start + end + 1..];
    }
    json.push_str(rest);
    let config: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys: BTreeSet<&str> = config
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "domain",
            "client_id",
            "redirect_uri",
            "logout_uri",
            "api_url",
            "scopes"
        ])
    );
    assert!(config["api_url"].as_str().unwrap().ends_with("/"));
    assert!(config["domain"].as_str().unwrap().starts_with("https://"));
    // The scopes it asks for are the web client's.
    let asked: Vec<String> = text
        .split("\"scopes\":[")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap()
        .split(',')
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    let clients = template().app_clients().unwrap();
    let web = clients
        .iter()
        .find(|c| c.flows.iter().any(|f| f == "code"))
        .unwrap();
    let asked: BTreeSet<String> = asked
        .iter()
        .map(|s| s.replace("${AwesomeApiResourceServer}", "awesomeapi-resource-server"))
        .collect();
    let granted: BTreeSet<String> = web.allowed_scopes.iter().cloned().collect();
    assert_eq!(asked, granted);
}

/// The `IssuerType` parameter sets the pool's issuer, ORIGINAL by default,
/// and the authorizer is told nothing about it: with `USER_POOL_ID` alone it
/// accepts both issuer forms, so either setting works unchanged.
#[test]
fn issuer_type_sets_the_pool_issuer_and_the_authorizer_accepts_both_forms() {
    let t = raw_template();
    let parameter = at(&t, &["Parameters", "IssuerType"]);
    assert_eq!(expr(at(parameter, &["Default"])), "ORIGINAL");
    let allowed: Vec<String> = at(parameter, &["AllowedValues"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(expr)
        .collect();
    assert_eq!(allowed, ["ORIGINAL", "UPDATED"]);
    assert_eq!(
        expr(at(
            &t,
            &[
                "Resources",
                "UserPool",
                "Properties",
                "IssuerConfiguration",
                "Type"
            ]
        )),
        "Ref IssuerType"
    );
    let variables = at(
        &t,
        &[
            "Resources",
            "AuthorizerFunction",
            "Properties",
            "Environment",
            "Variables",
        ],
    );
    for pinned in [
        "TOKEN_ISSUER",
        "USER_POOL_REGIONS",
        "TRUSTED_POOLS",
        "JWKS_URL",
    ] {
        assert!(
            variables.get(pinned).is_none(),
            "{pinned} would pin one issuer form"
        );
    }
    let config = authorizer::Config::from_lookup(|name| match name {
        "USER_POOL_ID" => Some("us-east-1_AbCdEf123".into()),
        "APP_CLIENT_IDS" => Some("client".into()),
        "ROUTE_SCOPES" => template().route_scopes_json().ok(),
        _ => None,
    })
    .unwrap();
    let issuers = &config.pools.pools()[0].issuers;
    for form in authorizer::IssuerForm::ALL {
        assert!(issuers.contains(&form.issuer("us-east-1", "us-east-1_AbCdEf123")));
    }
}
