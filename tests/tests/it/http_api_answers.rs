//! HTTP API (payload 2.0) events through the authorizer's whole edge
//! (`App::handle`): the simple answer or the IAM policy as `SIMPLE_RESPONSES`
//! says, the route from `routeKey` (or the request for `$default`), and what
//! a refused token gets, next to the REST answers that stay as they were.

use std::time::Duration;

use authorizer::key_store::{HttpJwks, KeyStore};
use authorizer::service::App;
use authorizer::{Authorizer, Config, KeySet, Unauthorized};
use integration_tests::fixtures::{
    Fixture, ISSUER, M2M_CLIENT, NOW, POOL, SEED_ROUTES, STAGE, WEB_CLIENT, token_event,
    user_claims,
};
use serde_json::{Value, json};
use shared::iam::{Evaluation, INVOKE_ACTION, evaluate};
use testkit::m2m_claims;

const SCOPE: &str = "API/book.get awesomeapi-resource-server/awesomeapi.read";

/// The authorizer with the fixture's keys and `SIMPLE_RESPONSES` as given.
/// Its JWKS URL is never fetched: every token's `kid` is known.
fn app(fx: &Fixture, simple_responses: Option<&str>) -> App<HttpJwks> {
    app_with_routes(fx, SEED_ROUTES, simple_responses)
}

/// [`app`] with `routes` as `ROUTE_SCOPES`.
fn app_with_routes(fx: &Fixture, routes: &str, simple_responses: Option<&str>) -> App<HttpJwks> {
    let mut vars = vec![
        ("USER_POOL_ID", POOL.to_string()),
        ("APP_CLIENT_IDS", format!("{M2M_CLIENT},{WEB_CLIENT}")),
        ("ROUTE_SCOPES", routes.to_string()),
    ];
    if let Some(value) = simple_responses {
        vars.push(("SIMPLE_RESPONSES", value.to_string()));
    }
    let config = Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let source = HttpJwks::new("http://127.0.0.1:9/jwks.json".parse().unwrap());
    let jwks = fx.issuer.jwks().to_string();
    let (keys, _) = KeySet::from_jwks(jwks.as_bytes()).unwrap();
    let keys = KeyStore::with_keys(source, Duration::from_secs(60), keys);
    App::new(Authorizer::new(&config), keys)
}

/// A payload 2.0 REQUEST event on stage `prod` for `route_key`, sent as
/// `METHOD raw_path`, with identity sources `$request.header.Authorization`
/// and `$context.routeKey` (none at all without a token, as API Gateway
/// then answers 401 itself).
fn http_event(authorization: Option<&str>, route_key: &str, method: &str, path: &str) -> String {
    let mut headers = json!({"host": "abcdef1234.execute-api.us-east-1.amazonaws.com"});
    if let Some(value) = authorization {
        headers["authorization"] = json!(value);
    }
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("{STAGE}/{method}{path}"),
        "identitySource": authorization.map(|a| json!([a, route_key])),
        "routeKey": route_key,
        "rawPath": format!("/prod{path}"),
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "http": {"method": method, "path": format!("/prod{path}"), "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
            "requestId": "r-1",
            "routeKey": route_key,
            "stage": "prod",
            "time": "03/Dec/2026:14:00:00 +0000",
            "timeEpoch": 1_796_392_800_000_i64
        },
        "pathParameters": {},
        "stageVariables": null
    })
    .to_string()
}

async fn answer(app: &App<HttpJwks>, event: &str) -> Result<Value, Unauthorized> {
    let answer = app.handle(event, NOW).await?;
    Ok(serde_json::to_value(answer).unwrap())
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn simple_answers_allow_exactly_the_permitted_called_route() {
    let fx = Fixture::seeds();
    let token = fx.m2m_token(SCOPE);
    let expired = fx.token(&m2m_claims(ISSUER, M2M_CLIENT, SCOPE, NOW - 7200, 3600));
    let caller = json!({
        "sub": M2M_CLIENT,
        "client_id": M2M_CLIENT,
        "scope": SCOPE,
        "token_use": "access",
    });
    let refused = json!({"isAuthorized": false, "context": {}});
    let allowed = json!({"isAuthorized": true, "context": caller});
    let denied = json!({"isAuthorized": false, "context": caller});
    // (name, token, routeKey, method, path, answer)
    let cases = [
        (
            "permitted route",
            bearer(&token),
            "GET /book",
            "GET",
            "/book",
            &allowed,
        ),
        (
            "raw token, no Bearer",
            token.clone(),
            "GET /book",
            "GET",
            "/book",
            &allowed,
        ),
        (
            "scope missing",
            bearer(&token),
            "POST /user",
            "POST",
            "/user",
            &denied,
        ),
        (
            "parameter names need not match ROUTE_SCOPES'",
            bearer(&token),
            "GET /book/{bookId}",
            "GET",
            "/book/42",
            &allowed,
        ),
        (
            "two scopes needed, one held",
            bearer(&token),
            "DELETE /book/{id}",
            "DELETE",
            "/book/42",
            &denied,
        ),
        (
            "route not in ROUTE_SCOPES",
            bearer(&token),
            "GET /library",
            "GET",
            "/library",
            &denied,
        ),
        (
            "$default, permitted path",
            bearer(&token),
            "$default",
            "GET",
            "/book",
            &allowed,
        ),
        (
            "$default, other path",
            bearer(&token),
            "$default",
            "POST",
            "/book",
            &denied,
        ),
        (
            "$default, unknown path",
            bearer(&token),
            "$default",
            "GET",
            "/nope",
            &denied,
        ),
        (
            "expired token",
            bearer(&expired),
            "GET /book",
            "GET",
            "/book",
            &refused,
        ),
        (
            "not a JWT",
            bearer("abc"),
            "GET /book",
            "GET",
            "/book",
            &refused,
        ),
        (
            "other scheme",
            "Basic dXNlcjpwYXNz".to_string(),
            "GET /book",
            "GET",
            "/book",
            &refused,
        ),
    ];
    for simple in [None, Some("true")] {
        let app = app(&fx, simple);
        for (name, authorization, route_key, method, path, expected) in &cases {
            let event = http_event(Some(authorization), route_key, method, path);
            let got = answer(&app, &event).await;
            assert_eq!(
                got.as_ref(),
                Ok(*expected),
                "{name} (SIMPLE_RESPONSES={simple:?})"
            );
        }
    }
}

#[tokio::test]
async fn unusable_http_events_are_refused_not_errors() {
    let fx = Fixture::seeds();
    let app = app(&fx, None);
    let refused = json!({"isAuthorized": false, "context": {}});
    let no_token = http_event(None, "GET /book", "GET", "/book");
    let mut no_route: Value =
        serde_json::from_str(&http_event(Some("Bearer t"), "GET /book", "GET", "/book")).unwrap();
    no_route.as_object_mut().unwrap().remove("routeKey");
    let bad_route_key = r#"{"version":"2.0","type":"REQUEST","routeKey":7}"#.to_string();
    let cases = [
        ("no token", no_token),
        ("no routeKey", no_route.to_string()),
        ("routeKey not a string", bad_route_key),
    ];
    for (name, event) in cases {
        assert_eq!(answer(&app, &event).await, Ok(refused.clone()), "{name}");
    }
    // Not readable as any event: nothing says it came from an HTTP API.
    for event in ["", "{", "[1]", r#"{"version":"3.0"}"#] {
        assert_eq!(answer(&app, event).await, Err(Unauthorized), "{event:?}");
    }
}

#[tokio::test]
async fn iam_answers_are_the_whole_api_policy_on_the_route_arns_stage() {
    let fx = Fixture::seeds();
    let app = app(&fx, Some("false"));
    let token = fx.m2m_token(SCOPE);
    let event = http_event(Some(&bearer(&token)), "GET /book", "GET", "/book");
    let got = answer(&app, &event).await.unwrap();
    assert_eq!(got["principalId"], M2M_CLIENT);
    assert_eq!(got["context"]["client_id"], M2M_CLIENT);
    assert!(got.get("isAuthorized").is_none(), "{got}");
    assert!(got.get("usageIdentifierKey").is_none(), "{got}");
    // The same policy as the REST answer for the same call.
    let rest = answer(&app, &token_event(&bearer(&token), "GET", "/book"))
        .await
        .unwrap();
    assert_eq!(got["policyDocument"], rest["policyDocument"]);
    // Cached per token, it is right for every route of the stage.
    let cases = [
        ("GET", "/book", Evaluation::Allow),
        ("GET", "/book/7", Evaluation::Allow),
        ("GET", "/awesomeapi", Evaluation::Allow),
        ("POST", "/book", Evaluation::ImplicitDeny),
        ("GET", "/user", Evaluation::ImplicitDeny),
    ];
    for (method, path, expected) in cases {
        let arn = format!("{STAGE}/{method}{path}");
        let evaluation = evaluate(&got["policyDocument"], INVOKE_ACTION, &arn).unwrap();
        assert_eq!(evaluation, expected, "{method} {path}");
    }
}

#[tokio::test]
async fn iam_answers_deny_the_whole_api_to_a_refused_token() {
    let fx = Fixture::seeds();
    let app = app(&fx, Some("false"));
    let expired = fx.token(&m2m_claims(ISSUER, M2M_CLIENT, SCOPE, NOW - 7200, 3600));
    for authorization in [bearer(&expired), bearer("abc")] {
        let event = http_event(Some(&authorization), "GET /book", "GET", "/book");
        let got = answer(&app, &event).await.unwrap();
        assert_eq!(got["principalId"], "unauthorized");
        assert_eq!(got["context"], json!({}));
        for (method, path) in [("GET", "/book"), ("POST", "/user"), ("GET", "/")] {
            let arn = format!("{STAGE}/{method}{path}");
            let evaluation = evaluate(&got["policyDocument"], INVOKE_ACTION, &arn).unwrap();
            assert_eq!(evaluation, Evaluation::ExplicitDeny, "{method} {path}");
        }
    }
    // No route ARN to deny: the error is all that is left.
    let mut event: Value =
        serde_json::from_str(&http_event(Some("Bearer abc"), "GET /book", "GET", "/book")).unwrap();
    event["routeArn"] = json!("not-an-arn");
    assert_eq!(answer(&app, &event.to_string()).await, Err(Unauthorized));
}

#[tokio::test]
async fn rest_events_keep_their_answers_whatever_simple_responses_says() {
    let fx = Fixture::seeds();
    let token = fx.m2m_token(SCOPE);
    for simple in [None, Some("true"), Some("false")] {
        let app = app(&fx, simple);
        let allowed = answer(&app, &token_event(&bearer(&token), "GET", "/book"))
            .await
            .unwrap();
        assert_eq!(
            allowed,
            fx.decide(&token, "GET", "/book").unwrap(),
            "{simple:?}"
        );
        let refused = answer(&app, &token_event("Bearer abc", "GET", "/book")).await;
        assert_eq!(refused, Err(Unauthorized), "{simple:?}");
    }
}

/// The template's group rule: deleting needs `API/book.delete` and the
/// `admins` group (issue 18).
const GROUP_ROUTES: &str = r#"{"GET /book":["API/book.get"],
    "DELETE /book/{id}":{"scopes":["API/book.delete"],"groups":["admins"]}}"#;

/// True if the REST answer (an IAM policy cached per token) lets the
/// caller `DELETE /book/42`.
fn rest_allows_delete(answer: &Value) -> bool {
    let arn = format!("{STAGE}/DELETE/book/42");
    evaluate(&answer["policyDocument"], INVOKE_ACTION, &arn).unwrap() == Evaluation::Allow
}

#[tokio::test]
async fn group_rules_decide_http_api_calls_exactly_as_rest_calls() {
    let fx = Fixture::with_routes(GROUP_ROUTES);
    let with_groups = |scope: &str, groups: Option<&[&str]>| {
        let mut claims = user_claims(scope);
        claims.groups = groups.map(|g| g.iter().map(|s| s.to_string()).collect());
        fx.token(&claims)
    };
    let delete = "API/book.delete";
    // (name, token, may delete)
    let cases = [
        (
            "admin with the scope",
            with_groups(delete, Some(&["readers", "admins"])),
            true,
        ),
        ("only admins", with_groups(delete, Some(&["admins"])), true),
        (
            "scope without the group",
            with_groups(delete, Some(&["readers"])),
            false,
        ),
        ("no groups at all", with_groups(delete, None), false),
        (
            "group without the scope",
            with_groups("API/book.get", Some(&["admins"])),
            false,
        ),
        (
            "group names are exact",
            with_groups(delete, Some(&["Admins"])),
            false,
        ),
        ("M2M token with the scope", fx.m2m_token(delete), false),
    ];
    let simple = app_with_routes(&fx, GROUP_ROUTES, Some("true"));
    let iam = app_with_routes(&fx, GROUP_ROUTES, Some("false"));
    for (name, token, may_delete) in &cases {
        let authorization = bearer(token);
        let rest = answer(&simple, &token_event(&authorization, "DELETE", "/book/42"))
            .await
            .unwrap();
        assert_eq!(rest_allows_delete(&rest), *may_delete, "REST: {name}");
        let event = http_event(
            Some(&authorization),
            "DELETE /book/{id}",
            "DELETE",
            "/book/42",
        );
        let answered = answer(&simple, &event).await.unwrap();
        assert_eq!(
            answered["isAuthorized"],
            json!(may_delete),
            "2.0 simple: {name}"
        );
        assert_eq!(
            answered["context"], rest["context"],
            "2.0 simple context: {name}"
        );
        let answered = answer(&iam, &event).await.unwrap();
        assert_eq!(
            answered["policyDocument"], rest["policyDocument"],
            "2.0 IAM: {name}"
        );
        assert_eq!(
            answered["context"], rest["context"],
            "2.0 IAM context: {name}"
        );
        // `$default` names the route by the request instead: the same rule.
        let event = http_event(Some(&authorization), "$default", "DELETE", "/book/42");
        let answered = answer(&simple, &event).await.unwrap();
        assert_eq!(
            answered["isAuthorized"],
            json!(may_delete),
            "2.0 $default: {name}"
        );
    }
}
