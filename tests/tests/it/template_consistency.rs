//! template.yaml agrees with itself and with the code: every API route has
//! its scopes in the authorizer's ROUTE_SCOPES and vice versa, every scope a
//! route needs is defined by a resource server, the app clients get the
//! scopes the walkthrough promises, and no output leaks a client secret.
//! Both APIs are covered: the REST API and the HTTP API (payload 2.0) serve
//! the same routes, and neither lets a cached answer leak across routes.

use std::collections::{BTreeMap, BTreeSet};

use local::{OAuthFlow, STANDARD_SCOPES, Template, defined_scopes};
use shared::{RouteTable, Rule};

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");

fn template() -> Template {
    Template::load(TEMPLATE).unwrap()
}

/// ROUTE_SCOPES's rules, read by the authorizer's parser.
fn route_rules() -> BTreeMap<String, Rule> {
    let table = RouteTable::from_json(&template().route_scopes_json().unwrap()).unwrap();
    table
        .routes()
        .iter()
        .map(|r| {
            let rule = Rule {
                scopes: r.scopes.clone(),
                groups: r.groups.clone(),
            };
            (r.key.clone(), rule)
        })
        .collect()
}

/// ROUTE_SCOPES's scopes per route.
fn route_scopes() -> BTreeMap<String, Vec<String>> {
    route_rules()
        .into_iter()
        .map(|(key, rule)| (key, rule.scopes))
        .collect()
}

fn api_route_keys() -> BTreeSet<String> {
    template()
        .api_routes()
        .unwrap()
        .iter()
        .map(|r| r.key())
        .collect()
}

/// Routes that have a groups rule. M2M tokens never carry `cognito:groups`,
/// so their scopes would be of no use to the M2M client.
fn group_routes() -> BTreeSet<String> {
    route_rules()
        .into_iter()
        .filter(|(_, rule)| rule.groups.is_some())
        .map(|(key, _)| key)
        .collect()
}

#[test]
fn delete_book_needs_book_delete_and_the_admins_group() {
    assert_eq!(
        route_rules()["DELETE /book/{id}"],
        Rule {
            scopes: vec!["API/book.delete".into()],
            groups: Some(vec!["admins".into()]),
        }
    );
    assert_eq!(
        group_routes(),
        BTreeSet::from(["DELETE /book/{id}".to_string()])
    );
}

#[test]
fn every_group_a_rule_names_is_a_group_of_the_pool() {
    let yaml = raw_template();
    let pool_groups: BTreeSet<String> = yaml["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Cognito::UserPoolGroup"))
        .filter_map(|r| r["Properties"]["GroupName"].as_str().map(String::from))
        .collect();
    assert_eq!(
        pool_groups,
        BTreeSet::from(["admins".to_string(), "editors".to_string()])
    );
    for (route, rule) in route_rules() {
        for group in rule.groups.iter().flatten() {
            assert!(pool_groups.contains(group), "{route}: no group {group}");
        }
    }
}

/// Scopes of the routes only signed-in users may call (the `/user` routes
/// and the group routes).
fn user_route_scopes() -> BTreeSet<String> {
    route_scopes()
        .into_iter()
        .filter(|(key, _)| {
            group_routes().contains(key)
                || key
                    .split_once(' ')
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
            route.api.logical_id(),
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
        .filter(|c| c.allows(OAuthFlow::ClientCredentials))
        .collect();
    assert_eq!(m2m.len(), 1, "exactly one client-credentials client");
    let m2m = m2m[0];
    assert_eq!(m2m.flows, [OAuthFlow::ClientCredentials], "{}", m2m.name);
    assert!(
        m2m.generate_secret,
        "a client-credentials client needs a secret"
    );
    let granted: BTreeSet<String> = m2m.scopes.iter().cloned().collect();
    assert_eq!(granted, expected, "{}", m2m.name);
}

#[test]
fn web_client_is_a_public_code_flow_client_for_awesomeapi() {
    let clients = template().app_clients().unwrap();
    let web: Vec<_> = clients
        .iter()
        .filter(|c| c.allows(OAuthFlow::Code))
        .collect();
    assert_eq!(web.len(), 1, "exactly one authorization-code client");
    let web = web[0];
    assert_eq!(web.flows, [OAuthFlow::Code]);
    assert!(
        !web.generate_secret,
        "a browser client cannot keep a secret; PKCE protects it"
    );
    let awesome = &route_scopes()["GET /awesomeapi"];
    assert!(web.scopes.iter().any(|s| s == "openid"));
    for scope in awesome {
        assert!(web.scopes.contains(scope), "web client lacks {scope}");
    }
}

#[test]
fn every_client_scope_is_standard_or_defined() {
    let defined = defined_scopes(&template().resource_server_scopes().unwrap());
    for client in template().app_clients().unwrap() {
        for scope in &client.scopes {
            assert!(
                defined.contains(scope) || STANDARD_SCOPES.contains(&scope.as_str()),
                "{} allows undefined scope {scope}",
                client.name
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
        .map(|c| c.name)
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
            methods.contains(&route.method.as_str().to_ascii_lowercase()),
            "AllowMethods lacks {} ({})",
            route.method.as_str(),
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
    let web = clients.iter().find(|c| c.allows(OAuthFlow::Code)).unwrap();
    let servers = template().resource_server_scopes().unwrap();
    let asked: BTreeSet<String> = asked
        .iter()
        .map(|s| {
            servers.iter().fold(s.clone(), |text, server| {
                text.replace(&format!("${{{}}}", server.logical_id), &server.identifier)
            })
        })
        .collect();
    let granted: BTreeSet<String> = web.scopes.iter().cloned().collect();
    assert_eq!(asked, granted);
}

// ------------------------------------------------ pre-token-generation trigger
// `PreTokenGenerationVersion` turns the trigger on: NONE deploys none of its
// parts, V2_0/V3_0 wire the pool to it with that event version. Read from the
// YAML: `local::template` does not model conditions (yet).

/// The trigger's resources, all under the condition.
const TRIGGER_RESOURCES: [&str; 3] = [
    "PreTokenFunction",
    "PreTokenLogGroup",
    "PreTokenInvokePermission",
];

/// The name and the argument of an intrinsic function, in either spelling.
fn intrinsic(value: &yaml_serde::Value) -> Option<(String, &yaml_serde::Value)> {
    use yaml_serde::Value;
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_string(),
            &tagged.value,
        )),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next()?;
            let key = key.as_str()?;
            (key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
                .then(|| (key.trim_start_matches("Fn::").to_string(), argument))
        }
        _ => None,
    }
}

/// Evaluates a condition of `Not`, `Equals`, `Ref` and literals with the
/// template's parameters set to `parameters` (defaults otherwise).
fn condition_holds(t: &yaml_serde::Value, name: &str, parameters: &[(&str, &str)]) -> bool {
    fn value(t: &yaml_serde::Value, v: &yaml_serde::Value, parameters: &[(&str, &str)]) -> String {
        match intrinsic(v) {
            Some((f, arg)) if f == "Ref" => {
                let name = arg.as_str().unwrap();
                parameters
                    .iter()
                    .find(|(p, _)| *p == name)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_else(|| expr(at(t, &["Parameters", name, "Default"])))
            }
            Some((f, _)) => panic!("unexpected {f} in a condition value"),
            None => expr(v),
        }
    }
    fn holds(t: &yaml_serde::Value, c: &yaml_serde::Value, parameters: &[(&str, &str)]) -> bool {
        let (f, arg) = intrinsic(c).unwrap_or_else(|| panic!("not a condition: {c:?}"));
        let args = arg.as_sequence();
        match f.as_str() {
            "Not" => !holds(t, &args.unwrap()[0], parameters),
            "Equals" => {
                let args = args.unwrap();
                value(t, &args[0], parameters) == value(t, &args[1], parameters)
            }
            "Condition" => condition_holds(t, arg.as_str().unwrap(), parameters),
            other => panic!("condition function {other} is not modelled here"),
        }
    }
    holds(t, at(t, &["Conditions", name]), parameters)
}

#[test]
fn pre_token_generation_version_is_none_by_default_or_a_version_with_access_tokens() {
    let t = raw_template();
    let parameter = at(&t, &["Parameters", "PreTokenGenerationVersion"]);
    assert_eq!(expr(at(parameter, &["Type"])), "String");
    assert_eq!(expr(at(parameter, &["Default"])), "NONE");
    let allowed: Vec<String> = at(parameter, &["AllowedValues"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(expr)
        .collect();
    // V1_0 customizes ID tokens only, and its answer has another shape.
    assert_eq!(allowed, ["NONE", "V2_0", "V3_0"]);
    // Access-token customization needs the Essentials (or Plus) plan.
    let tier = expr(at(
        &t,
        &["Resources", "UserPool", "Properties", "UserPoolTier"],
    ));
    assert!(["ESSENTIALS", "PLUS"].contains(&tier.as_str()), "{tier}");
}

#[test]
fn the_trigger_is_deployed_exactly_when_a_version_is_chosen() {
    let t = raw_template();
    let cases = [("NONE", false), ("V2_0", true), ("V3_0", true)];
    for (version, deployed) in cases {
        assert_eq!(
            condition_holds(
                &t,
                "PreTokenGeneration",
                &[("PreTokenGenerationVersion", version)]
            ),
            deployed,
            "{version}"
        );
    }
    assert!(!condition_holds(&t, "PreTokenGeneration", &[]), "default");
    let resources = t["Resources"].as_mapping().unwrap();
    let conditioned: BTreeSet<String> = resources
        .iter()
        .filter(|(_, r)| expr(at(r, &["Condition"])) == "PreTokenGeneration")
        .map(|(id, _)| expr(id))
        .collect();
    assert_eq!(
        conditioned,
        BTreeSet::from(TRIGGER_RESOURCES.map(String::from))
    );
}

#[test]
fn the_pool_invokes_the_trigger_with_the_chosen_event_version() {
    let t = raw_template();
    let config = at(&t, &["Resources", "UserPool", "Properties", "LambdaConfig"]);
    let (f, arg) = intrinsic(config).expect("LambdaConfig is an !If");
    assert_eq!(f, "If");
    let branches = arg.as_sequence().unwrap();
    assert_eq!(expr(&branches[0]), "PreTokenGeneration");
    let on = at(&branches[1], &["PreTokenGenerationConfig"]);
    assert_eq!(expr(at(on, &["LambdaArn"])), "GetAtt PreTokenFunction.Arn");
    // The parameter's value is the event version (V2_0 or V3_0, above).
    assert_eq!(
        expr(at(on, &["LambdaVersion"])),
        "Ref PreTokenGenerationVersion"
    );
    // Only the trigger: any other LambdaConfig key would be a second change.
    assert_eq!(branches[1].as_mapping().unwrap().len(), 1);
    assert_eq!(expr(&branches[2]), "Ref AWS::NoValue");
}

#[test]
fn only_this_pool_may_invoke_the_trigger() {
    let t = raw_template();
    let permission = at(&t, &["Resources", "PreTokenInvokePermission"]);
    assert_eq!(expr(at(permission, &["Type"])), "AWS::Lambda::Permission");
    let p = at(permission, &["Properties"]);
    assert_eq!(expr(at(p, &["Action"])), "lambda:InvokeFunction");
    assert_eq!(expr(at(p, &["Principal"])), "cognito-idp.amazonaws.com");
    assert_eq!(
        expr(at(p, &["FunctionName"])),
        "GetAtt PreTokenFunction.Arn"
    );
    assert_eq!(expr(at(p, &["SourceArn"])), "GetAtt UserPool.Arn");
}

#[test]
fn the_trigger_is_built_and_logged_like_the_other_functions() {
    let t = raw_template();
    let function = at(&t, &["Resources", "PreTokenFunction"]);
    assert_eq!(expr(at(function, &["Type"])), "AWS::Serverless::Function");
    let metadata = at(function, &["Metadata"]);
    assert_eq!(expr(at(metadata, &["BuildMethod"])), "rust-cargolambda");
    assert_eq!(
        expr(at(metadata, &["BuildProperties", "Binary"])),
        "pretoken"
    );
    let p = at(function, &["Properties"]);
    assert_eq!(expr(at(p, &["CodeUri"])), "pretoken");
    // Runtime and architecture from Globals, as the others.
    for key in ["Runtime", "Architectures", "Handler"] {
        assert!(
            at(p, &[key]).is_null(),
            "PreTokenFunction sets its own {key}"
        );
    }
    assert_eq!(expr(at(p, &["LoggingConfig", "LogFormat"])), "JSON");
    assert_eq!(
        expr(at(p, &["LoggingConfig", "LogGroup"])),
        "Ref PreTokenLogGroup"
    );
    let log_group = at(&t, &["Resources", "PreTokenLogGroup", "Properties"]);
    assert_eq!(
        expr(at(log_group, &["RetentionInDays"])),
        "Ref LogRetentionDays"
    );
    // Cognito gives a trigger 5 s; Globals' Timeout must not exceed it.
    let timeout = expr(at(&t, &["Globals", "Function", "Timeout"]));
    assert!(timeout.parse::<u32>().unwrap() <= 5, "{timeout}");
}

#[test]
fn the_trigger_adds_post_book_s_scope_to_editors() {
    let t = raw_template();
    let variables = at(
        &t,
        &[
            "Resources",
            "PreTokenFunction",
            "Properties",
            "Environment",
            "Variables",
        ],
    );
    let get = |name: &str| Some(expr(at(variables, &[name])));
    let config = pretoken::Config::from_lookup(get).unwrap();
    assert_eq!(config.editor_group, "editors");
    assert_eq!(
        route_scopes()["POST /book"],
        std::slice::from_ref(&config.editor_scope),
        "EDITOR_SCOPE is not POST /book's scope"
    );
    let defined = defined_scopes(&template().resource_server_scopes().unwrap());
    assert!(defined.contains(&config.editor_scope));
}

// ------------------------------------------------------ the web client's reach
// What a public client id lets anyone do is what the web client is allowed:
// sign in on the hosted page (code + PKCE), refresh with rotation, read the
// email it shows. docs/security.md gives the reasons.

fn web_client_properties() -> yaml_serde::Value {
    let t = raw_template();
    let clients = template().app_clients().unwrap();
    let web = clients
        .iter()
        .find(|c| c.allows(OAuthFlow::Code))
        .expect("a web client");
    at(&t, &["Resources", &web.name, "Properties"]).clone()
}

/// A YAML list of plain strings, in order; panics naming `what` otherwise.
fn strings(value: &yaml_serde::Value, what: &str) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("{what} is not a list: {value:?}"))
        .iter()
        .map(expr)
        .collect()
}

#[test]
fn web_client_rotates_refresh_tokens_with_a_short_grace_period() {
    let web = web_client_properties();
    let rotation = at(&web, &["RefreshTokenRotation"]);
    assert_eq!(expr(at(rotation, &["Feature"])), "ENABLED");
    // 0 to 60 is what Cognito accepts; a few seconds cover one retry after
    // a lost answer without leaving a rotated-out token usable for long.
    assert_eq!(expr(at(rotation, &["RetryGracePeriodSeconds"])), "10");
}

#[test]
fn web_client_signs_in_only_through_the_hosted_page() {
    let web = web_client_properties();
    // Present and empty: left out, Cognito would allow SRP, custom auth and
    // InitiateAuth's refresh (which rotation forbids).
    let flows = at(&web, &["ExplicitAuthFlows"]);
    assert!(
        !flows.is_null(),
        "ExplicitAuthFlows left out means Cognito's defaults"
    );
    assert_eq!(strings(flows, "ExplicitAuthFlows"), Vec::<String>::new());
    assert_eq!(
        strings(at(&web, &["AllowedOAuthFlows"]), "AllowedOAuthFlows"),
        ["code"]
    );
    let scopes = strings(at(&web, &["AllowedOAuthScopes"]), "AllowedOAuthScopes");
    assert!(
        !scopes.iter().any(|s| s == "aws.cognito.signin.user.admin"),
        "tokens with the user-pool API scope could change the user's attributes"
    );
    assert_eq!(expr(at(&web, &["EnableTokenRevocation"])), "true");
}

#[test]
fn web_client_reads_the_email_and_writes_nothing_else() {
    let web = web_client_properties();
    assert_eq!(
        strings(at(&web, &["ReadAttributes"]), "ReadAttributes"),
        ["email", "email_verified"]
    );
    assert_eq!(
        strings(at(&web, &["WriteAttributes"]), "WriteAttributes"),
        ["email"]
    );
}

#[test]
fn a_changed_email_takes_effect_only_once_verified() {
    let t = raw_template();
    let pool = template().user_pool().unwrap();
    let properties = at(&t, &["Resources", &pool.logical_id, "Properties"]);
    let verify = strings(
        at(
            properties,
            &[
                "UserAttributeUpdateSettings",
                "AttributesRequireVerificationBeforeUpdate",
            ],
        ),
        "AttributesRequireVerificationBeforeUpdate",
    );
    assert_eq!(verify, ["email"]);
    // Cognito accepts it only for attributes it verifies itself.
    let auto = strings(
        at(properties, &["AutoVerifiedAttributes"]),
        "AutoVerifiedAttributes",
    );
    assert!(auto.iter().any(|a| a == "email"), "{auto:?}");
}

#[test]
fn web_access_and_id_tokens_live_fifteen_minutes() {
    // The authorizer cannot see revocation: an access token works until its
    // exp, so its lifetime is the window a stolen or signed-out token stays
    // usable (docs/security.md, "Token lifetimes").
    let clients = template().app_clients().unwrap();
    let web = clients.iter().find(|c| c.allows(OAuthFlow::Code)).unwrap();
    assert_eq!(web.validity.access_secs, 15 * 60);
    assert_eq!(web.validity.id_secs, 15 * 60);
    assert_eq!(web.validity.refresh_secs, 30 * 86_400);
}

/// A CSP's directives: name -> its sources, in order.
fn csp_directives(policy: &str) -> BTreeMap<String, Vec<String>> {
    policy
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut words = d.split_whitespace().map(str::to_string);
            let name = words.next().unwrap();
            (name, words.collect())
        })
        .collect()
}

/// The `content` of web/index.html's CSP `<meta>`.
fn index_html_policy() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/index.html");
    let html = std::fs::read_to_string(path).unwrap();
    let meta = html
        .split("<meta")
        .find(|m| m.contains("http-equiv=\"Content-Security-Policy\""))
        .expect("index.html has a CSP meta");
    let content = meta.split("content=\"").nth(1).unwrap();
    content[..content.find('"').unwrap()].to_string()
}

#[test]
fn the_csp_header_output_names_exactly_the_web_apps_origins() {
    let t = raw_template();
    // The text of a `!Sub` output, in either form (`!Sub text`, `!Sub [text, vars]`).
    let output = |name: &str| -> String {
        let value = at(&t, &["Outputs", name, "Value"]);
        let yaml_serde::Value::Tagged(sub) = value else {
            panic!("{name} is not a !Sub: {value:?}");
        };
        match sub.value.as_sequence() {
            Some(list) => expr(&list[0]),
            None => expr(&sub.value),
        }
    };
    let header = csp_directives(&output("WebAppContentSecurityPolicy"));
    let config = output("WebAppConfig");
    let origin_of = |key: &str| -> String {
        let start = config.find(&format!("\"{key}\":\"")).unwrap() + key.len() + 4;
        let url = &config[start..start + config[start..].find('"').unwrap()];
        let host_end = url["https://".len()..]
            .find('/')
            .map_or(url.len(), |i| i + "https://".len());
        url[..host_end].to_string()
    };
    assert_eq!(
        header["connect-src"],
        [
            "'self'".to_string(),
            origin_of("domain"),
            origin_of("api_url")
        ],
        "config.json itself, the hosted sign-in and the API; nothing else"
    );
    assert_eq!(header["frame-ancestors"], ["'none'"]);
    // Everything else as the page's own <meta> policy says.
    let mut page = csp_directives(&index_html_policy());
    assert!(
        page["connect-src"].iter().any(|s| s == "https:"),
        "the meta policy is the wide one app.js narrows"
    );
    page.remove("connect-src");
    let mut rest = header.clone();
    rest.remove("connect-src");
    rest.remove("frame-ancestors");
    assert_eq!(rest, page);
}

// --------------------------------------------------------------- HTTP API
// The same routes as an HTTP API (payload 2.0) with the same authorizer
// function. Read straight from the YAML: `local::template` models the REST
// API only.

/// One `Type: HttpApi` event: `(function, event, "METHOD /path", ApiId's Ref)`.
fn http_api_events() -> Vec<(String, String, String, Option<String>)> {
    let t = raw_template();
    let mut out = Vec::new();
    for (id, resource) in t["Resources"].as_mapping().unwrap() {
        let Some(events) = at(resource, &["Properties", "Events"]).as_mapping() else {
            continue;
        };
        for (name, event) in events {
            if expr(&event["Type"]) != "HttpApi" {
                continue;
            }
            let props = &event["Properties"];
            let key = format!(
                "{} {}",
                expr(&props["Method"]).to_ascii_uppercase(),
                expr(&props["Path"])
            );
            let api = expr(at(props, &["ApiId"]));
            out.push((
                expr(id),
                expr(name),
                key,
                api.strip_prefix("Ref ").map(str::to_string),
            ));
        }
    }
    out
}

fn http_route_keys() -> BTreeSet<String> {
    http_api_events()
        .into_iter()
        .map(|(_, _, k, _)| k)
        .collect()
}

/// The logical ids of the template's HTTP APIs.
fn http_apis() -> Vec<String> {
    let t = raw_template();
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| expr(&r["Type"]) == "AWS::Serverless::HttpApi")
        .map(|(id, _)| expr(id))
        .collect()
}

fn http_api_properties() -> yaml_serde::Value {
    let apis = http_apis();
    assert_eq!(apis.len(), 1, "exactly one HTTP API: {apis:?}");
    at(&raw_template(), &["Resources", &apis[0], "Properties"]).clone()
}

/// Why the HTTP API's Lambda authorizers' cached answers could be wrong for
/// another route: a simple answer (which allows or denies every route for
/// its cache key) cached without `$context.routeKey` in the key.
fn cache_leaks(api: &yaml_serde::Value) -> Vec<String> {
    let mut leaks = Vec::new();
    let Some(authorizers) = at(api, &["Auth", "Authorizers"]).as_mapping() else {
        return leaks;
    };
    for (name, authorizer) in authorizers {
        let name = expr(name);
        if at(authorizer, &["FunctionArn"]).is_null() {
            continue; // a JWT authorizer: nothing cached by us
        }
        // SAM's default is false (IAM answers).
        let simple = expr(at(authorizer, &["EnableSimpleResponses"])) == "true";
        let context: Vec<String> = at(authorizer, &["Identity", "Context"])
            .as_sequence()
            .map(|s| s.iter().map(expr).collect())
            .unwrap_or_default();
        if simple && !context.iter().any(|c| c == "routeKey") {
            leaks.push(format!(
                "{name}: simple answers cached without $context.routeKey apply to every route"
            ));
        }
    }
    leaks
}

#[test]
fn http_api_serves_the_same_routes_as_route_scopes_and_the_rest_api() {
    let configured: BTreeSet<String> = route_scopes().into_keys().collect();
    assert_eq!(http_route_keys(), configured);
    assert_eq!(http_route_keys(), api_route_keys());
    let served: BTreeSet<String> = handler::served_routes()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(served, http_route_keys());
    let keys: Vec<String> = http_api_events()
        .into_iter()
        .map(|(_, _, k, _)| k)
        .collect();
    assert_eq!(
        keys.len(),
        http_route_keys().len(),
        "a duplicate HttpApi event"
    );
}

#[test]
fn every_http_api_event_is_on_the_http_api_with_the_authorizer() {
    // An event without ApiId lands on SAM's implicit HTTP API, which has no authorizer.
    let apis = http_apis();
    for (function, event, key, api) in http_api_events() {
        assert!(
            api.as_ref().is_some_and(|a| apis.contains(a)),
            "{function}.{event} ({key}) is not on the template's HTTP API"
        );
    }
    let api = http_api_properties();
    let auth = at(&api, &["Auth"]);
    let default = expr(at(auth, &["DefaultAuthorizer"]));
    let authorizer = at(auth, &["Authorizers", &default]);
    assert!(!authorizer.is_null(), "no authorizer {default}");
    // The REST API's authorizer function, in payload 2.0.
    let rest = at(
        &api_properties(),
        &[
            "Auth",
            "Authorizers",
            "CognitoTokenAuthorizer",
            "FunctionArn",
        ],
    )
    .clone();
    assert_eq!(expr(at(authorizer, &["FunctionArn"])), expr(&rest));
    assert_eq!(
        expr(at(authorizer, &["AuthorizerPayloadFormatVersion"])),
        "2.0"
    );
    // SAM grants an HTTP API no invoke permission on its authorizer
    // function otherwise (every call would be a 500).
    assert_eq!(
        expr(at(authorizer, &["EnableFunctionDefaultPermissions"])),
        "true"
    );
    let ttl = expr(at(authorizer, &["Identity", "ReauthorizeEvery"]));
    assert_eq!(ttl, "Ref AuthorizerCacheTtl");
    let headers: Vec<String> = at(authorizer, &["Identity", "Headers"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| expr(h).to_ascii_lowercase())
        .collect();
    assert!(
        headers.contains(&"authorization".to_string()),
        "{headers:?}"
    );
}

#[test]
fn http_api_cached_answers_cannot_leak_across_routes() {
    assert_eq!(cache_leaks(&http_api_properties()), Vec::<String>::new());
}

#[test]
fn the_cache_check_fails_a_simple_answer_cached_per_token_only() {
    let mut api = http_api_properties();
    fn authorizer(api: &mut yaml_serde::Value) -> &mut yaml_serde::Value {
        &mut api["Auth"]["Authorizers"]["CognitoLambdaAuthorizer"]
    }
    authorizer(&mut api)["Identity"]
        .as_mapping_mut()
        .unwrap()
        .remove("Context");
    assert_eq!(cache_leaks(&api).len(), 1);
    // IAM answers are the whole-API policy: right for every route when cached.
    authorizer(&mut api)["EnableSimpleResponses"] = yaml_serde::Value::Bool(false);
    assert!(cache_leaks(&api).is_empty());
}

#[test]
fn the_authorizer_answers_in_the_format_the_http_api_expects() {
    let api = http_api_properties();
    let simple = expr(at(
        &api,
        &[
            "Auth",
            "Authorizers",
            "CognitoLambdaAuthorizer",
            "EnableSimpleResponses",
        ],
    )) == "true";
    let raw = raw_template();
    let function = expr(at(
        &api,
        &[
            "Auth",
            "Authorizers",
            "CognitoLambdaAuthorizer",
            "FunctionArn",
        ],
    ));
    let function = function
        .strip_prefix("GetAtt ")
        .and_then(|f| f.strip_suffix(".Arn"))
        .unwrap_or_else(|| panic!("FunctionArn {function}"))
        .to_string();
    let variable = expr(at(
        &raw,
        &[
            "Resources",
            &function,
            "Properties",
            "Environment",
            "Variables",
            authorizer::config::SIMPLE_RESPONSES,
        ],
    ));
    // Unset, the authorizer answers simply.
    let function_simple = match variable.as_str() {
        "?" => {
            authorizer::config::HttpAnswers::default() == authorizer::config::HttpAnswers::Simple
        }
        text => text.eq_ignore_ascii_case("true"),
    };
    assert_eq!(function_simple, simple, "SIMPLE_RESPONSES {variable}");
}

#[test]
fn http_api_cors_allows_the_web_origin() {
    let api = http_api_properties();
    let cors = at(&api, &["CorsConfiguration"]);
    let list = |key: &str| -> BTreeSet<String> {
        at(cors, &[key])
            .as_sequence()
            .unwrap_or_else(|| panic!("CorsConfiguration.{key} is not a list"))
            .iter()
            .map(|v| expr(v).to_ascii_lowercase())
            .collect()
    };
    assert_eq!(
        list("AllowOrigins"),
        BTreeSet::from(["ref webapporigin".to_string()])
    );
    let headers = list("AllowHeaders");
    for needed in ["authorization", "content-type"] {
        assert!(headers.contains(needed), "AllowHeaders lacks {needed}");
    }
    let methods = list("AllowMethods");
    for key in http_route_keys() {
        let method = key.split(' ').next().unwrap().to_ascii_lowercase();
        assert!(methods.contains(&method), "AllowMethods lacks {key}");
    }
    let seconds: u32 = expr(at(cors, &["MaxAge"])).parse().unwrap();
    assert!((1..=7200).contains(&seconds), "MaxAge {seconds}");
    // Credentials are bearer tokens, never cookies.
    assert!(at(cors, &["AllowCredentials"]).is_null());
}

#[test]
fn http_api_is_on_the_same_stage_with_its_url_as_an_output() {
    let api = http_api_properties();
    assert_eq!(expr(at(&api, &["StageName"])), "Ref StageName");
    let t = raw_template();
    let url = expr(at(&t, &["Outputs", "HttpApiUrl", "Value"]));
    assert_eq!(
        url,
        format!(
            "Sub https://${{{}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{StageName}}",
            http_apis()[0]
        )
    );
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
