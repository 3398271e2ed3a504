//! HTTP API payload 2.0 proxy events, as the Lambda runtime delivers them,
//! through lambda_http's deserializer into the handler: the twin of
//! `rest_events.rs`, with the caller at `requestContext.authorizer.lambda`
//! and the stage at the start of `rawPath`.

use handler::Config;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use shared::AllowedOrigins;

/// A `GET /book` payload 2.0 event from an M2M caller on stage `prod`.
const GET_BOOK: &str = include_str!("fixtures/http-get-book.json");

fn event() -> Value {
    serde_json::from_str(GET_BOOK).unwrap()
}

/// The event for `method` on `path` (on stage `stage`) with `lambda` as
/// the authorizer's context (`None` removes the authorizer, as for a route
/// without one).
fn event_on(stage: &str, method: &str, path: &str, lambda: Option<Value>) -> Value {
    let raw_path = if stage == "$default" {
        path.to_string()
    } else {
        format!("/{stage}{path}")
    };
    let mut event = event();
    event["routeKey"] = json!(format!("{method} {path}"));
    event["rawPath"] = json!(raw_path);
    let context = &mut event["requestContext"];
    context["routeKey"] = json!(format!("{method} {path}"));
    context["stage"] = json!(stage);
    context["http"]["method"] = json!(method);
    context["http"]["path"] = json!(raw_path);
    match lambda {
        Some(lambda) => context["authorizer"] = json!({ "lambda": lambda }),
        None => {
            if let Some(map) = context.as_object_mut() {
                map.remove("authorizer");
            }
        }
    }
    event
}

fn event_for(method: &str, path: &str, lambda: Option<Value>) -> Value {
    event_on("prod", method, path, lambda)
}

fn m2m_context() -> Value {
    event()["requestContext"]["authorizer"]["lambda"].clone()
}

fn invoke_with(config: &Config, event: &Value) -> (StatusCode, Value, Response<Body>) {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = handler::answer(config, &request);
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("body is not text: {other:?}"),
    };
    (response.status(), body, response)
}

fn invoke(event: &Value) -> (StatusCode, Value, Response<Body>) {
    invoke_with(&Config::default(), event)
}

fn m2m_caller() -> Value {
    json!({
        "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
        "sub": "3n4b5urk1ft4fl3mg5e62d9ado",
        "scopes": [
            "awesomeapi-resource-server/awesomeapi.read",
            "API/book.get",
            "API/book.post",
        ],
        "user_pool_id": "us-east-1_AbCdEf123",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
    })
}

#[test]
fn fixture_get_book_names_the_m2m_caller() {
    let (status, body, response) = invoke(&event());
    assert_eq!(status, StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        body,
        json!({
            "Result": "Success",
            "Description": "your GET for /book is completed",
            "caller": m2m_caller(),
        })
    );
}

#[test]
fn every_route_and_miss_on_named_and_default_stages() {
    let cases = [
        ("GET", "/book", StatusCode::OK, None),
        ("POST", "/book", StatusCode::OK, None),
        ("GET", "/user", StatusCode::OK, None),
        ("POST", "/user", StatusCode::OK, None),
        ("GET", "/awesomeapi", StatusCode::OK, None),
        ("DELETE", "/book/42", StatusCode::OK, None),
        (
            "GET",
            "/book/42",
            StatusCode::METHOD_NOT_ALLOWED,
            Some("DELETE"),
        ),
        ("GET", "/library", StatusCode::NOT_FOUND, None),
        ("GET", "/prod/book", StatusCode::NOT_FOUND, None),
        ("DELETE", "/prod/book/42", StatusCode::NOT_FOUND, None),
        (
            "DELETE",
            "/book",
            StatusCode::METHOD_NOT_ALLOWED,
            Some("GET, POST"),
        ),
    ];
    for stage in ["prod", "v1", "$default"] {
        for (method, path, expected, allow) in cases {
            let name = format!("{method} {path} on {stage}");
            let event = event_on(stage, method, path, Some(m2m_context()));
            let (status, body, response) = invoke(&event);
            assert_eq!(status, expected, "{name}");
            assert_eq!(
                response.headers().get("allow").map(|v| v.to_str().unwrap()),
                allow,
                "{name}"
            );
            if status == StatusCode::OK {
                assert_eq!(body["caller"], m2m_caller(), "{name}");
            }
            if path.starts_with("/book") && status == StatusCode::OK {
                assert_eq!(
                    body["Description"],
                    json!(format!("your {method} for {path} is completed")),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn a_user_context_with_json_typed_values_names_the_user() {
    // Simple answers' context keeps JSON types; the authorizer sends strings.
    let lambda = json!({
        "sub": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "client_id": "6p7q8r9s0t1u2v3w4x5y6z7a8b",
        "scope": "openid awesomeapi-resource-server/awesomeapi.read",
        "token_use": "access",
        "username": "alice@example.com",
        "groups": "readers,admins",
        "iss": "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Tenant2",
        "user_pool_id": "eu-west-1_Tenant2",
    });
    let (status, body, _) = invoke(&event_for("GET", "/awesomeapi", Some(lambda)));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "statusCode": 200,
            "message": "Hello From Protected Resource",
            "caller": {
                "client_id": "6p7q8r9s0t1u2v3w4x5y6z7a8b",
                "sub": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                "scopes": ["openid", "awesomeapi-resource-server/awesomeapi.read"],
                "username": "alice@example.com",
                "user_pool_id": "eu-west-1_Tenant2",
                "iss": "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Tenant2",
            },
        })
    );
}

#[test]
fn missing_or_unusable_authorizer_context_is_401() {
    let cases = [
        ("no authorizer", None),
        ("empty lambda context", Some(json!({}))),
        (
            "id token context",
            Some(json!({"sub": "u", "client_id": "c", "token_use": "id"})),
        ),
        ("null lambda context", Some(Value::Null)),
        (
            "nested sub",
            Some(json!({"sub": {"x": 1}, "client_id": "c", "token_use": "access"})),
        ),
    ];
    for (name, lambda) in cases {
        let (status, body, response) = invoke(&event_for("GET", "/book", lambda));
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(body, json!({"message": "Unauthorized"}), "{name}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{name}"
        );
    }
    // A JWT authorizer's context is not ours either.
    let mut jwt = event_for("GET", "/book", None);
    jwt["requestContext"]["authorizer"] = json!({"jwt": {"claims": {"sub": "u"}, "scopes": null}});
    assert_eq!(invoke(&jwt).0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn handle_answers_in_the_http_api_response_format() {
    let request = lambda_http::request::from_str(GET_BOOK).unwrap();
    let response = handler::handle(&Config::default(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> Vec<&'a str> {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[test]
fn cors_headers_are_the_same_as_on_rest() {
    let config = Config {
        allowed_origins: AllowedOrigins::parse("http://localhost:8080,https://app.example.com")
            .unwrap(),
    };
    // (method, path, context, status, origin, allow-origin)
    let cases = [
        (
            "GET",
            "/book",
            true,
            StatusCode::OK,
            Some("http://localhost:8080"),
            Some("http://localhost:8080"),
        ),
        (
            "GET",
            "/awesomeapi",
            false,
            StatusCode::UNAUTHORIZED,
            Some("https://app.example.com"),
            Some("https://app.example.com"),
        ),
        (
            "GET",
            "/library",
            true,
            StatusCode::NOT_FOUND,
            Some("http://localhost:8080"),
            Some("http://localhost:8080"),
        ),
        (
            "PUT",
            "/user",
            true,
            StatusCode::METHOD_NOT_ALLOWED,
            Some("http://localhost:8080"),
            Some("http://localhost:8080"),
        ),
        (
            "GET",
            "/book",
            true,
            StatusCode::OK,
            Some("http://localhost:3000"),
            None,
        ),
        ("GET", "/book", true, StatusCode::OK, None, None),
    ];
    for (method, path, authenticated, expected, origin, allow_origin) in cases {
        let mut event = event_for(method, path, authenticated.then(m2m_context));
        if let Some(origin) = origin {
            // Payload 2.0 has one header map, lower-cased.
            event["headers"]["origin"] = json!(origin);
        }
        let (status, _, response) = invoke_with(&config, &event);
        let name = format!("{method} {path} from {origin:?}");
        assert_eq!(status, expected, "{name}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            allow_origin.into_iter().collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(header(&response, "vary"), ["Origin"], "{name}");
    }
}
