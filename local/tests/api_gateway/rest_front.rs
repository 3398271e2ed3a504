//! The REST API front (`local::ApiFront`) answering requests as API
//! Gateway REST does: routing under the stage, the TOKEN authorizer and its
//! policy (cached per token), SAM's CORS mock, the gateway responses'
//! headers on the front's own answers, REST's size limits, and the proxy
//! event the handler gets.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method};
use local::{
    ApiCors, ApiFront, ApiRequest, CorsPreflight, FrontConfig, FrontResponse, GatewayResponseSpec,
    GatewayResponses, Invocation, InvokeError, MAX_BODY_BYTES, MAX_REQUEST_LINE_AND_HEADERS,
    PREFLIGHT_BODY, Payload,
};
use serde_json::{Value, json};
use shared::RouteTable;
use shared::iam::INVOKE_ACTION;

use crate::support::{Answer, FakeClock, FakeInvoker, header};

const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:api1/Prod";

/// The scripted authorizer and a handler that echoes the event's
/// `resource` and `requestContext.authorizer`.
fn invoker(authorizer: impl Fn() -> Answer + Send + Sync + 'static) -> FakeInvoker {
    FakeInvoker::new(
        move |_| authorizer(),
        |event| {
            Ok(Invocation::Returned(json!({
                "statusCode": 200,
                "headers": {"content-type": "application/json"},
                "body": json!({"resource": event["resource"], "authorizer": event["requestContext"]["authorizer"]}).to_string(),
            })))
        },
    )
}

fn policy(statements: Value) -> Result<Invocation, InvokeError> {
    Ok(Invocation::Returned(json!({
        "principalId": "client-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
        "context": {"sub": "client-1", "client_id": "client-1", "scope": "API/book.get", "token_use": "access"}
    })))
}

fn allow_book() -> Result<Invocation, InvokeError> {
    policy(json!([
        {"Action": INVOKE_ACTION, "Effect": "Allow", "Resource": [format!("{ARN}/GET/book"), format!("{ARN}/GET/book/*")]},
        {"Action": INVOKE_ACTION, "Effect": "Deny", "Resource": format!("{ARN}/DELETE/book/*")}
    ]))
}

fn failed(message: &str) -> Result<Invocation, InvokeError> {
    Ok(Invocation::Failed {
        error_type: "&str".into(),
        error_message: message.into(),
    })
}

fn config(ttl: u64) -> FrontConfig {
    FrontConfig {
        routes: RouteTable::from_json(
            r#"{"GET /book":[],"GET /book/{id}":[],"DELETE /book/{id}":[],"GET /user":[],"GET /awesomeapi":[]}"#,
        )
        .unwrap(),
        api_id: "api1".into(),
        stage: "Prod".into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        cache_ttl: Duration::from_secs(ttl),
        authorizer_function: "authorizer".into(),
        handler_function: "handler".into(),
        cors: Some(
            CorsPreflight::from_spec(&ApiCors {
                allow_origin: format!("'{WEB}'"),
                allow_headers: Some("'Authorization,Content-Type'".into()),
                allow_methods: Some("'GET,POST,OPTIONS'".into()),
                max_age: Some("'600'".into()),
                allow_credentials: false,
                authorize_preflight: false,
            })
            .unwrap(),
        ),
        gateway_responses: GatewayResponses::from_specs(&[
            GatewayResponseSpec {
                response_type: "DEFAULT_4XX".into(),
                headers: vec![(ALLOW_ORIGIN_NAME.into(), format!("'{WEB}'"))],
            },
            GatewayResponseSpec {
                response_type: "DEFAULT_5XX".into(),
                headers: vec![(ALLOW_ORIGIN_NAME.into(), format!("'{WEB}'"))],
            },
        ])
        .unwrap(),
    }
}

/// The allowed origin of the test configuration.
const WEB: &str = "http://localhost:8080";
const ALLOW_ORIGIN_NAME: &str = "Access-Control-Allow-Origin";

/// A request on `path` inside the stage.
fn request(method: Method, path: &str, token: Option<&str>) -> ApiRequest {
    raw_request(method, &format!("/Prod{path}"), token)
}

/// A request on `path` as sent (stage included or not).
fn raw_request(method: Method, path: &str, token: Option<&str>) -> ApiRequest {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        headers.insert("authorization", token.parse().unwrap());
    }
    ApiRequest {
        method,
        path: path.into(),
        query: None,
        headers,
        body: Payload::Whole(Bytes::new()),
        peer: "127.0.0.1:5555".parse().unwrap(),
    }
}

fn front(
    authorizer: impl Fn() -> Result<Invocation, InvokeError> + Send + Sync + 'static,
    ttl: u64,
) -> (
    ApiFront<Arc<FakeInvoker>, FakeClock>,
    Arc<FakeInvoker>,
    FakeClock,
) {
    let invoker = Arc::new(invoker(authorizer));
    let clock = FakeClock::new();
    (
        ApiFront::new(config(ttl), Arc::clone(&invoker), clock.clone()),
        invoker,
        clock,
    )
}

fn body_json(response: &FrontResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap()
}

#[tokio::test]
async fn gateway_decisions_match_api_gateway() {
    type Script = fn() -> Result<Invocation, InvokeError>;
    type Case = (
        &'static str,
        Script,
        Method,
        &'static str,
        Option<&'static str>,
        u16,
        &'static str,
        usize,
    );
    let cases: [Case; 12] = [
        (
            "unknown path",
            allow_book,
            Method::GET,
            "/nothing",
            Some("Bearer t"),
            403,
            r#"{"message":"Missing Authentication Token"}"#,
            0,
        ),
        (
            "unknown method",
            allow_book,
            Method::POST,
            "/user",
            Some("Bearer t"),
            403,
            r#"{"message":"Missing Authentication Token"}"#,
            0,
        ),
        (
            "no token",
            allow_book,
            Method::GET,
            "/book",
            None,
            401,
            r#"{"message":"Unauthorized"}"#,
            0,
        ),
        (
            "empty token",
            allow_book,
            Method::GET,
            "/book",
            Some(" "),
            401,
            r#"{"message":"Unauthorized"}"#,
            0,
        ),
        (
            "authorizer says Unauthorized",
            || failed("Unauthorized"),
            Method::GET,
            "/book",
            Some("Bearer t"),
            401,
            r#"{"message":"Unauthorized"}"#,
            1,
        ),
        (
            "authorizer crashes",
            || failed("boom"),
            Method::GET,
            "/book",
            Some("Bearer t"),
            500,
            r#"{"message": null}"#,
            1,
        ),
        (
            "authorizer unreachable",
            || {
                Err(InvokeError::Transport {
                    function: "authorizer".into(),
                    message: "refused".into(),
                })
            },
            Method::GET,
            "/book",
            Some("Bearer t"),
            500,
            r#"{"message": null}"#,
            1,
        ),
        (
            "no principal",
            || {
                Ok(Invocation::Returned(
                    json!({"policyDocument": {"Statement": []}}),
                ))
            },
            Method::GET,
            "/book",
            Some("Bearer t"),
            500,
            r#"{"message": null}"#,
            1,
        ),
        (
            "object in context",
            || {
                Ok(Invocation::Returned(json!({"principalId": "p",
            "policyDocument": {"Statement": []}, "context": {"a": {}}})))
            },
            Method::GET,
            "/book",
            Some("Bearer t"),
            500,
            r#"{"message": null}"#,
            1,
        ),
        (
            "explicit deny",
            allow_book,
            Method::DELETE,
            "/book/1",
            Some("Bearer t"),
            403,
            r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#,
            1,
        ),
        (
            "not allowed",
            allow_book,
            Method::GET,
            "/user",
            Some("Bearer t"),
            403,
            r#"{"Message":"User is not authorized to access this resource"}"#,
            1,
        ),
        (
            "allowed with parameter",
            allow_book,
            Method::GET,
            "/book/42",
            Some("Bearer t"),
            200,
            "/book/{id}",
            1,
        ),
    ];
    for (name, script, method, path, token, status, body, authorizer_calls) in cases {
        let (front, invoker, _) = front(script, 300);
        let response = front.handle(&request(method.clone(), path, token)).await;
        assert_eq!(response.status, status, "{name}");
        if status == 200 {
            assert_eq!(body_json(&response)["resource"], body, "{name}");
        } else {
            assert_eq!(String::from_utf8_lossy(&response.body), body, "{name}");
        }
        let calls = invoker.calls_to("authorizer");
        assert_eq!(calls.len(), authorizer_calls, "{name}");
        if let Some(event) = calls.first() {
            assert_eq!(event["type"], "TOKEN", "{name}");
            assert_eq!(event["authorizationToken"], "Bearer t", "{name}");
            assert_eq!(
                event["methodArn"],
                format!("{ARN}/{method}{path}"),
                "{name}"
            );
        }
        let handler_calls = invoker.calls_to("handler").len();
        assert_eq!(handler_calls, usize::from(status == 200), "{name}");
    }
}

#[tokio::test]
async fn the_handler_gets_the_authorizer_context_as_strings() {
    let (front, invoker, _) = front(allow_book, 300);
    let response = front
        .handle(&request(Method::GET, "/book", Some("Bearer t")))
        .await;
    assert_eq!(response.status, 200);
    let event = &invoker.calls_to("handler")[0];
    assert_eq!(
        event["requestContext"]["authorizer"],
        json!({"principalId": "client-1", "sub": "client-1", "client_id": "client-1",
               "scope": "API/book.get", "token_use": "access"})
    );
    assert_eq!(event["requestContext"]["stage"], "Prod");
    assert_eq!(event["resource"], "/book");
    assert!(
        response
            .headers
            .iter()
            .any(|(n, _)| n == "x-amzn-requestid")
    );
}

#[tokio::test]
async fn cached_policies_serve_every_route_until_they_expire() {
    let (front, invoker, clock) = front(allow_book, 300);
    let token = Some("Bearer t");
    let statuses = [
        front
            .handle(&request(Method::GET, "/book", token))
            .await
            .status,
        front
            .handle(&request(Method::GET, "/user", token))
            .await
            .status,
        front
            .handle(&request(Method::GET, "/book/1", token))
            .await
            .status,
    ];
    assert_eq!(statuses, [200, 403, 200]);
    assert_eq!(
        invoker.calls_to("authorizer").len(),
        1,
        "one call for one token within the TTL"
    );
    front
        .handle(&request(Method::GET, "/book", Some("Bearer other")))
        .await;
    assert_eq!(
        invoker.calls_to("authorizer").len(),
        2,
        "another token is another cache key"
    );
    clock.advance(Duration::from_secs(300));
    front.handle(&request(Method::GET, "/book", token)).await;
    assert_eq!(
        invoker.calls_to("authorizer").len(),
        3,
        "expired entries are re-authorized"
    );
}

#[tokio::test]
async fn refusals_and_errors_are_not_cached() {
    for script in [(|| failed("Unauthorized")) as fn() -> _, || failed("boom")] {
        let (front, invoker, _) = front(script, 300);
        for _ in 0..2 {
            front
                .handle(&request(Method::GET, "/book", Some("Bearer t")))
                .await;
        }
        assert_eq!(invoker.calls_to("authorizer").len(), 2);
    }
}

#[tokio::test]
async fn zero_ttl_calls_the_authorizer_every_time() {
    let (front, invoker, _) = front(allow_book, 0);
    for _ in 0..3 {
        front
            .handle(&request(Method::GET, "/book", Some("Bearer t")))
            .await;
    }
    assert_eq!(invoker.calls_to("authorizer").len(), 3);
}

#[tokio::test]
async fn handler_failures_are_502() {
    let cases: [fn(&Value) -> Answer; 3] = [
        |_| failed("panic"),
        |_| Ok(Invocation::Returned(json!({"body": "no status"}))),
        |_| {
            Err(InvokeError::Transport {
                function: "handler".into(),
                message: "timeout".into(),
            })
        },
    ];
    for handler in cases {
        let mut fake = invoker(allow_book);
        fake.handler = Box::new(handler);
        let front = ApiFront::new(config(300), Arc::new(fake), FakeClock::new());
        let response = front
            .handle(&request(Method::GET, "/book", Some("Bearer t")))
            .await;
        assert_eq!(response.status, 502);
        assert_eq!(
            String::from_utf8_lossy(&response.body),
            r#"{"message": "Internal server error"}"#
        );
    }
}

#[tokio::test]
async fn the_api_lives_under_its_stage() {
    let missing = r#"{"message":"Missing Authentication Token"}"#;
    // (path as sent, status, body or handler's `path`, method ARN path)
    let cases = [
        ("/Prod/book", 200, "/book", Some("/GET/book")),
        ("/Prod/book/7", 200, "/book/7", Some("/GET/book/7")),
        ("/book", 403, missing, None),
        ("/", 403, missing, None),
        ("/prod/book", 403, missing, None),
        ("/Prodx/book", 403, missing, None),
        ("/Prod", 403, missing, None),
        ("/Prod/", 403, missing, None),
        ("/Prod/nothing", 403, missing, None),
    ];
    for (path, status, expected, arn) in cases {
        let (front, invoker, _) = front(allow_book, 300);
        let response = front
            .handle(&raw_request(Method::GET, path, Some("Bearer t")))
            .await;
        assert_eq!(response.status, status, "{path}");
        let authorizer = invoker.calls_to("authorizer");
        assert_eq!(
            authorizer.first().map(|e| e["methodArn"].clone()),
            arn.map(|a| json!(format!("{ARN}{a}"))),
            "{path}"
        );
        if status == 200 {
            let event = &invoker.calls_to("handler")[0];
            // As API Gateway sends it: `path` without the stage,
            // `requestContext.path` with it.
            assert_eq!(event["path"], expected, "{path}");
            assert_eq!(event["requestContext"]["path"], path, "{path}");
            assert_eq!(event["requestContext"]["stage"], "Prod", "{path}");
        } else {
            assert_eq!(String::from_utf8_lossy(&response.body), expected, "{path}");
        }
    }
}

fn with_origin(mut request: ApiRequest, origin: &str) -> ApiRequest {
    request.headers.insert("origin", origin.parse().unwrap());
    request.headers.insert(
        "access-control-request-headers",
        "authorization".parse().unwrap(),
    );
    request
}

#[tokio::test]
async fn preflights_are_the_mock_without_the_authorizer() {
    let preflight_headers = [
        ("content-type", "application/json"),
        ("Access-Control-Allow-Origin", WEB),
        ("Access-Control-Allow-Headers", "Authorization,Content-Type"),
        ("Access-Control-Allow-Methods", "GET,POST,OPTIONS"),
        ("Access-Control-Max-Age", "600"),
    ];
    // (path, origin, status): the mock answers the same for any origin.
    let cases = [
        ("/book", WEB, 200),
        ("/book/1", WEB, 200),
        ("/awesomeapi", "http://evil.example", 200),
        ("/nothing", WEB, 403),
    ];
    for (path, origin, status) in cases {
        let (front, invoker, _) = front(allow_book, 300);
        let response = front
            .handle(&with_origin(request(Method::OPTIONS, path, None), origin))
            .await;
        assert_eq!(response.status, status, "{path}");
        assert!(
            invoker.calls.lock().unwrap().is_empty(),
            "{path}: no function called"
        );
        if status == 200 {
            let names: Vec<(&str, &str)> = response
                .headers
                .iter()
                .filter(|(n, _)| n != "x-amzn-requestid")
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(names, preflight_headers, "{path}");
            assert_eq!(response.body, PREFLIGHT_BODY.as_bytes(), "{path}");
        } else {
            assert_eq!(header(&response, ALLOW_ORIGIN_NAME), Some(WEB), "{path}");
        }
    }
}

#[tokio::test]
async fn an_authorized_preflight_needs_a_token_and_the_options_method() {
    let mut config = config(300);
    if let Some(cors) = &mut config.cors {
        cors.authorize = true;
    }
    let cases = [(None, 401, 0), (Some("Bearer t"), 403, 1)];
    for (token, status, calls) in cases {
        let invoker = Arc::new(invoker(allow_book));
        let front = ApiFront::new(config.clone(), Arc::clone(&invoker), FakeClock::new());
        let response = front
            .handle(&with_origin(request(Method::OPTIONS, "/book", token), WEB))
            .await;
        assert_eq!(response.status, status, "{token:?}");
        let authorizer = invoker.calls_to("authorizer");
        assert_eq!(authorizer.len(), calls, "{token:?}");
        if let Some(event) = authorizer.first() {
            assert_eq!(event["methodArn"], format!("{ARN}/OPTIONS/book"));
        }
    }
}

#[tokio::test]
async fn own_answers_carry_the_gateway_response_headers_and_handler_answers_their_own() {
    type Script = fn() -> Result<Invocation, InvokeError>;
    // (case, authorizer, path as sent, token, status, allow-origin)
    type Case = (
        &'static str,
        Script,
        &'static str,
        Option<&'static str>,
        u16,
        Option<&'static str>,
    );
    let cases: [Case; 6] = [
        ("no token", allow_book, "/Prod/book", None, 401, Some(WEB)),
        (
            "denied",
            allow_book,
            "/Prod/user",
            Some("Bearer t"),
            403,
            Some(WEB),
        ),
        (
            "no route",
            allow_book,
            "/Prod/nothing",
            Some("Bearer t"),
            403,
            Some(WEB),
        ),
        (
            "authorizer fails",
            || failed("boom"),
            "/Prod/book",
            Some("Bearer t"),
            500,
            Some(WEB),
        ),
        (
            "outside the stage",
            allow_book,
            "/book",
            Some("Bearer t"),
            403,
            None,
        ),
        (
            "the handler's answer",
            allow_book,
            "/Prod/book",
            Some("Bearer t"),
            200,
            None,
        ),
    ];
    for (name, script, path, token, status, allow_origin) in cases {
        let (front, _, _) = front(script, 300);
        let response = front
            .handle(&with_origin(raw_request(Method::GET, path, token), WEB))
            .await;
        assert_eq!(response.status, status, "{name}");
        assert_eq!(header(&response, ALLOW_ORIGIN_NAME), allow_origin, "{name}");
    }
    // The handler's headers reach the client untouched, in order.
    let mut fake = invoker(allow_book);
    fake.handler = Box::new(|_| {
        Ok(Invocation::Returned(json!({
            "statusCode": 201,
            "multiValueHeaders": {"Access-Control-Allow-Origin": ["http://other"], "Vary": ["Origin"]},
            "body": "made",
        })))
    });
    let front = ApiFront::new(config(300), Arc::new(fake), FakeClock::new());
    let response = front
        .handle(&with_origin(
            request(Method::GET, "/book", Some("Bearer t")),
            WEB,
        ))
        .await;
    let own: Vec<(&str, &str)> = response
        .headers
        .iter()
        .filter(|(n, _)| n != "x-amzn-requestid")
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        (response.status, own, response.body.as_slice()),
        (
            201,
            vec![
                ("Access-Control-Allow-Origin", "http://other"),
                ("Vary", "Origin")
            ],
            b"made".as_slice()
        )
    );
}

#[tokio::test]
async fn requests_over_rest_limits_are_413_without_custom_headers() {
    let header_room = |request: &ApiRequest| {
        MAX_REQUEST_LINE_AND_HEADERS - request.request_line_and_headers_len()
    };
    let base = with_origin(request(Method::GET, "/book", Some("Bearer t")), WEB);
    let filler = |extra: usize| {
        // "x-fill" and its value count, so the value is that much shorter.
        let mut request = base.clone();
        let value = "a".repeat(header_room(&base) - "x-fill".len() + extra);
        request.headers.insert("x-fill", value.parse().unwrap());
        request
    };
    let body = |len: usize| {
        let mut request = base.clone();
        request.body = Payload::Whole(Bytes::from(vec![b'x'; len]));
        request
    };
    let too_large = {
        let mut request = base.clone();
        request.body = Payload::TooLarge;
        request
    };
    let cases = [
        ("headers at the limit", filler(0), 200),
        ("headers one byte over", filler(1), 413),
        ("a 20 KB header", filler(20 * 1024), 413),
        ("a body at the limit", body(MAX_BODY_BYTES), 200),
        ("a body over the limit", too_large, 413),
    ];
    for (name, request, status) in cases {
        let (front, invoker, _) = front(allow_book, 300);
        let response = front.handle(&request).await;
        assert_eq!(response.status, status, "{name}");
        if status == 413 {
            assert_eq!(
                String::from_utf8_lossy(&response.body),
                r#"{"message":"Request Too Long"}"#,
                "{name}"
            );
            assert_eq!(header(&response, ALLOW_ORIGIN_NAME), None, "{name}");
            assert!(invoker.calls.lock().unwrap().is_empty(), "{name}");
        }
    }
}

#[test]
fn the_request_line_and_every_header_count_towards_the_limit() {
    let mut request = raw_request(Method::GET, "/Prod/book", Some("Bearer t"));
    request.query = Some("a=1".into());
    // "GET /Prod/book?a=1 HTTP/1.1" + "authorization" + "Bearer t"
    assert_eq!(request.request_line_and_headers_len(), 27 + 13 + 8);
}

#[test]
fn method_arns_name_the_local_api() {
    let c = config(0);
    assert_eq!(c.method_arn("GET", "/book/1"), format!("{ARN}/GET/book/1"));
    assert_eq!(c.method_arn("GET", "/"), format!("{ARN}/GET/"));
}
