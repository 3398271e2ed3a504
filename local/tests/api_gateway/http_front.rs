//! The HTTP API front (`local::HttpFront`) answering requests as HTTP APIs
//! do: payload 2.0 events, simple answers cached by the identity sources'
//! values, the stage and `$default`, the CORS preflight and the CORS
//! headers on every answer, the front's own error bodies included.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use local::{
    ApiRequest, DEFAULT_STAGE, HttpAuthorizer, HttpCors, HttpCorsSpec, HttpFront, HttpFrontConfig,
    IdentitySource, Invocation, Invoker, Payload,
};
use serde_json::{Value, json};
use shared::RouteTable;

use crate::support::{Answer, FakeClock, FakeInvoker, header};

/// The scripted authorizer and a handler that sets its own CORS header and
/// echoes the event's `routeKey` and `requestContext.authorizer.lambda`.
fn invoker(authorizer: impl Fn(&Value) -> Answer + Send + Sync + 'static) -> Arc<FakeInvoker> {
    Arc::new(FakeInvoker::new(authorizer, |event| {
        Ok(Invocation::Returned(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json",
                        "access-control-allow-origin": "http://backend.example"},
            "body": json!({"routeKey": event["routeKey"],
                           "lambda": event["requestContext"]["authorizer"]["lambda"]}).to_string(),
        })))
    }))
}

fn allow(_: &Value) -> Answer {
    Ok(Invocation::Returned(
        json!({"isAuthorized": true, "context": {"sub": "c1", "scopes": ["a"]}}),
    ))
}

fn config(sources: Vec<IdentitySource>, stage: &str) -> HttpFrontConfig {
    HttpFrontConfig {
        routes: RouteTable::new(
            ["GET /book", "POST /book", "GET /user"]
                .map(|k| (k.to_string(), shared::Rule::default())),
        )
        .unwrap(),
        default_route: false,
        api_id: "http1".into(),
        stage: stage.into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        authorizer: Some(HttpAuthorizer {
            function: "authorizer".into(),
            simple_responses: true,
            identity_sources: sources,
            ttl: Duration::from_secs(300),
        }),
        handler_function: "handler".into(),
        cors: Some(HttpCors::new(HttpCorsSpec {
            allow_origins: vec!["http://localhost:8080".into()],
            allow_headers: vec!["Authorization".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            max_age: Some(600),
            ..HttpCorsSpec::default()
        })),
    }
}

fn seed_sources() -> Vec<IdentitySource> {
    vec![
        IdentitySource::Header("Authorization".into()),
        IdentitySource::Context("routeKey".into()),
    ]
}

fn request(method: Method, path: &str, headers: &[(&'static str, &str)]) -> ApiRequest {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(*name, value.parse().unwrap());
    }
    ApiRequest {
        method,
        path: path.into(),
        query: None,
        headers: map,
        body: Payload::Whole(Default::default()),
        peer: "127.0.0.1:5000".parse().unwrap(),
    }
}

fn front(
    config: HttpFrontConfig,
    invoker: &Arc<FakeInvoker>,
) -> (HttpFront<Arc<FakeInvoker>, FakeClock>, FakeClock) {
    let clock = FakeClock::new();
    (
        HttpFront::new(config, Arc::clone(invoker), clock.clone()),
        clock,
    )
}

const ORIGIN: (&str, &str) = ("origin", "http://localhost:8080");
const TOKEN: (&str, &str) = ("authorization", "Bearer t1");

#[tokio::test]
async fn the_fronts_answers_match_http_apis_and_carry_cors_headers() {
    let failed = |message: &'static str| {
        move |_: &Value| {
            Ok(Invocation::Failed {
                error_type: "E".into(),
                error_message: message.into(),
            })
        }
    };
    type Script = Box<dyn Fn(&Value) -> Answer + Send + Sync>;
    let cases: Vec<(&str, Script, ApiRequest, u16, &str, usize)> = vec![
        (
            "allowed",
            Box::new(allow),
            request(Method::GET, "/Prod/book", &[TOKEN, ORIGIN]),
            200,
            "",
            1,
        ),
        (
            "no token",
            Box::new(allow),
            request(Method::GET, "/Prod/book", &[ORIGIN]),
            401,
            r#"{"message":"Unauthorized"}"#,
            0,
        ),
        (
            "empty token",
            Box::new(allow),
            request(Method::GET, "/Prod/book", &[("authorization", " "), ORIGIN]),
            401,
            r#"{"message":"Unauthorized"}"#,
            0,
        ),
        (
            "refused",
            Box::new(|_: &Value| Ok(Invocation::Returned(json!({"isAuthorized": false})))),
            request(Method::GET, "/Prod/book", &[TOKEN, ORIGIN]),
            403,
            r#"{"message":"Forbidden"}"#,
            1,
        ),
        (
            "Unauthorized error",
            Box::new(failed("Unauthorized")),
            request(Method::GET, "/Prod/book", &[TOKEN, ORIGIN]),
            500,
            r#"{"message":"Internal Server Error"}"#,
            1,
        ),
        (
            "other error",
            Box::new(failed("boom")),
            request(Method::GET, "/Prod/book", &[TOKEN, ORIGIN]),
            500,
            r#"{"message":"Internal Server Error"}"#,
            1,
        ),
        (
            "IAM answer to a simple authorizer",
            Box::new(|_: &Value| {
                Ok(Invocation::Returned(
                    json!({"principalId": "p", "policyDocument": {"Version": "2012-10-17", "Statement": []}}),
                ))
            }),
            request(Method::GET, "/Prod/book", &[TOKEN, ORIGIN]),
            500,
            r#"{"message":"Internal Server Error"}"#,
            1,
        ),
        (
            "unknown route",
            Box::new(allow),
            request(Method::GET, "/Prod/nope", &[TOKEN, ORIGIN]),
            404,
            r#"{"message":"Not Found"}"#,
            0,
        ),
        (
            "unknown method",
            Box::new(allow),
            request(Method::DELETE, "/Prod/book", &[TOKEN, ORIGIN]),
            404,
            r#"{"message":"Not Found"}"#,
            0,
        ),
        (
            "outside the stage",
            Box::new(allow),
            request(Method::GET, "/book", &[TOKEN, ORIGIN]),
            404,
            r#"{"message":"Not Found"}"#,
            0,
        ),
    ];
    for (name, script, request, status, body, authorizer_calls) in cases {
        let invoker = invoker(script);
        let (front, _) = front(config(seed_sources(), "Prod"), &invoker);
        let response = front.handle(&request).await;
        assert_eq!(response.status, status, "{name}");
        if !body.is_empty() {
            assert_eq!(String::from_utf8_lossy(&response.body), body, "{name}");
            assert_eq!(
                header(&response, "content-type"),
                Some("application/json"),
                "{name}"
            );
        }
        assert_eq!(
            invoker.calls_to("authorizer").len(),
            authorizer_calls,
            "{name}"
        );
        // sam-cli #9087: the gateway's own answers need CORS headers too.
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some("http://localhost:8080"),
            "{name}"
        );
        assert!(header(&response, "apigw-requestid").is_some(), "{name}");
    }
}

#[tokio::test]
async fn the_handler_gets_a_2_0_event_with_the_simple_answers_context() {
    let invoker = invoker(allow);
    let (front, _) = front(config(seed_sources(), "Prod"), &invoker);
    let response = front
        .handle(&request(Method::GET, "/Prod/book", &[TOKEN, ORIGIN]))
        .await;
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["routeKey"], "GET /book");
    assert_eq!(body["lambda"], json!({"sub": "c1", "scopes": ["a"]}));
    // API Gateway's CORS headers replace the backend's.
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:8080")
    );
    let event = &invoker.calls_to("authorizer")[0];
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["identitySource"], json!(["Bearer t1", "GET /book"]));
    assert_eq!(
        event["routeArn"],
        "arn:aws:execute-api:us-east-1:000000000000:http1/Prod/GET/book"
    );
    assert_eq!(event["rawPath"], "/Prod/book");
}

#[tokio::test]
async fn answers_are_cached_by_the_identity_sources_values() {
    // (identity sources, authorizer calls for GET /book, GET /user, GET /book)
    let cases = [
        (seed_sources(), 2),
        (vec![IdentitySource::Header("Authorization".into())], 1),
    ];
    for (sources, calls) in cases {
        let invoker = invoker(allow);
        let (front, clock) = front(config(sources.clone(), "Prod"), &invoker);
        for path in ["/Prod/book", "/Prod/user", "/Prod/book"] {
            let response = front.handle(&request(Method::GET, path, &[TOKEN])).await;
            assert_eq!(response.status, 200, "{path}");
        }
        assert_eq!(invoker.calls_to("authorizer").len(), calls, "{sources:?}");
        // Another token is another key.
        front
            .handle(&request(
                Method::GET,
                "/Prod/book",
                &[("authorization", "Bearer t2")],
            ))
            .await;
        assert_eq!(
            invoker.calls_to("authorizer").len(),
            calls + 1,
            "{sources:?}"
        );
        // After the TTL the authorizer is asked again.
        clock.advance(Duration::from_secs(301));
        front
            .handle(&request(Method::GET, "/Prod/book", &[TOKEN]))
            .await;
        assert_eq!(
            invoker.calls_to("authorizer").len(),
            calls + 2,
            "{sources:?}"
        );
    }
}

#[tokio::test]
async fn a_cached_refusal_without_the_route_key_refuses_every_route() {
    // The leak the template's routeKey identity source prevents: an
    // answer for one route is reused for another.
    let invoker = invoker(|event: &Value| {
        let allowed = event["routeKey"] == "GET /book";
        Ok(Invocation::Returned(json!({"isAuthorized": allowed})))
    });
    // (identity sources, statuses of GET /book then GET /user)
    let cases = [
        (
            vec![IdentitySource::Header("Authorization".into())],
            [200, 200],
        ),
        (seed_sources(), [200, 403]),
    ];
    for (sources, expected) in cases {
        let (front, _) = front(config(sources.clone(), "Prod"), &invoker);
        let mut statuses = [0; 2];
        for (status, path) in statuses.iter_mut().zip(["/Prod/book", "/Prod/user"]) {
            *status = front
                .handle(&request(Method::GET, path, &[TOKEN]))
                .await
                .status;
        }
        assert_eq!(statuses, expected, "{sources:?}");
    }
}

#[tokio::test]
async fn zero_ttl_or_no_identity_source_calls_the_authorizer_every_time() {
    let mut no_ttl = config(seed_sources(), "Prod");
    if let Some(a) = no_ttl.authorizer.as_mut() {
        a.ttl = Duration::ZERO;
    }
    let mut no_sources = config(Vec::new(), "Prod");
    if let Some(a) = no_sources.authorizer.as_mut() {
        a.ttl = Duration::from_secs(300);
    }
    for config in [no_ttl, no_sources] {
        let invoker = invoker(allow);
        let (front, _) = front(config, &invoker);
        for _ in 0..2 {
            front
                .handle(&request(Method::GET, "/Prod/book", &[TOKEN]))
                .await;
        }
        assert_eq!(invoker.calls_to("authorizer").len(), 2);
    }
}

#[tokio::test]
async fn preflights_are_answered_without_routing_or_the_authorizer() {
    let invoker = invoker(allow);
    let (front, _) = front(config(seed_sources(), "Prod"), &invoker);
    let preflight = [ORIGIN, ("access-control-request-method", "POST")];
    for path in ["/Prod/book", "/Prod/anything"] {
        let response = front
            .handle(&request(Method::OPTIONS, path, &preflight))
            .await;
        assert_eq!(response.status, 204, "{path}");
        assert!(response.body.is_empty());
        assert_eq!(
            header(&response, "access-control-allow-methods"),
            Some("GET,POST")
        );
        assert_eq!(
            header(&response, "access-control-allow-headers"),
            Some("Authorization")
        );
        assert_eq!(header(&response, "access-control-max-age"), Some("600"));
    }
    let other = [
        ("origin", "http://evil.example"),
        ("access-control-request-method", "GET"),
    ];
    let response = front
        .handle(&request(Method::OPTIONS, "/Prod/book", &other))
        .await;
    assert_eq!(response.status, 204);
    assert!(header(&response, "access-control-allow-origin").is_none());
    assert!(invoker.calls.lock().unwrap().is_empty());
    // A plain OPTIONS is routed like any method: no OPTIONS route, 404.
    let plain = front
        .handle(&request(Method::OPTIONS, "/Prod/book", &[TOKEN]))
        .await;
    assert_eq!(plain.status, 404);
}

#[tokio::test]
async fn the_default_stage_has_no_prefix_and_the_default_route_catches_the_rest() {
    let invoker = invoker(allow);
    let mut config = config(seed_sources(), DEFAULT_STAGE);
    config.default_route = true;
    let (front, _) = front(config, &invoker);
    let book = front.handle(&request(Method::GET, "/book", &[TOKEN])).await;
    assert_eq!(book.status, 200);
    let other = front
        .handle(&request(Method::DELETE, "/elsewhere", &[TOKEN]))
        .await;
    let body: Value = serde_json::from_slice(&other.body).unwrap();
    assert_eq!(body["routeKey"], "$default");
    let arns: Vec<Value> = invoker
        .calls_to("authorizer")
        .iter()
        .map(|e| e["routeArn"].clone())
        .collect();
    assert_eq!(
        arns,
        [
            "arn:aws:execute-api:us-east-1:000000000000:http1/$default/GET/book",
            "arn:aws:execute-api:us-east-1:000000000000:http1/$default/DELETE/elsewhere"
        ]
    );
}

#[tokio::test]
async fn a_handlers_204_gets_the_cors_headers_too() {
    struct NoContent;
    impl Invoker for NoContent {
        async fn invoke(&self, function: &str, _: &Value) -> Answer {
            Ok(Invocation::Returned(if function == "authorizer" {
                json!({"isAuthorized": true})
            } else {
                json!({"statusCode": 204})
            }))
        }
    }
    let front = HttpFront::new(config(seed_sources(), "Prod"), NoContent, FakeClock::new());
    let response = front
        .handle(&request(Method::GET, "/Prod/book", &[TOKEN, ORIGIN]))
        .await;
    assert_eq!(response.status, 204);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:8080")
    );
}
