//! Real API Gateway REST proxy events, as the Lambda runtime delivers them,
//! through lambda_http's deserializer into the handler.

use handler::Config;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use shared::AllowedOrigins;

/// A `GET /book` proxy event from an M2M caller on stage `Prod`.
const GET_BOOK: &str = include_str!("fixtures/rest-get-book.json");

fn event() -> Value {
    serde_json::from_str(GET_BOOK).unwrap()
}

/// The event for `method` on `path` with `authorizer` as the request
/// context's authorizer (`None` removes it, as for a method without one).
fn event_for(method: &str, path: &str, authorizer: Option<Value>) -> Value {
    let mut event = event();
    event["httpMethod"] = json!(method);
    event["path"] = json!(path);
    event["resource"] = json!(path);
    let context = &mut event["requestContext"];
    context["httpMethod"] = json!(method);
    context["resourcePath"] = json!(path);
    context["path"] = json!(format!("/Prod{path}"));
    match authorizer {
        Some(authorizer) => context["authorizer"] = authorizer,
        None => {
            if let Some(map) = context.as_object_mut() {
                map.remove("authorizer");
            }
        }
    }
    event
}

fn invoke(event: &Value) -> (StatusCode, Value, Response<Body>) {
    invoke_with(&Config::default(), event)
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

fn m2m_caller() -> Value {
    json!({
        "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
        "sub": "3n4b5urk1ft4fl3mg5e62d9ado",
        "scopes": [
            "awesomeapi-resource-server/awesomeapi.read",
            "API/book.get",
            "API/book.post",
        ],
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
fn user_token_on_awesomeapi_names_the_user() {
    let authorizer = json!({
        "principalId": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "sub": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "client_id": "6p7q8r9s0t1u2v3w4x5y6z7a8b",
        "scope": "openid awesomeapi-resource-server/awesomeapi.read",
        "token_use": "access",
        "username": "alice@example.com",
    });
    let (status, body, _) = invoke(&event_for("GET", "/awesomeapi", Some(authorizer)));
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
            },
        })
    );
}

#[test]
fn every_route_and_miss_through_a_rest_event() {
    let authorizer = event()["requestContext"]["authorizer"].clone();
    let cases = [
        ("POST", "/book", StatusCode::OK, None),
        ("GET", "/user", StatusCode::OK, None),
        ("POST", "/user", StatusCode::OK, None),
        ("DELETE", "/book/42", StatusCode::OK, None),
        ("GET", "/library", StatusCode::NOT_FOUND, None),
        (
            "DELETE",
            "/book",
            StatusCode::METHOD_NOT_ALLOWED,
            Some("GET, POST"),
        ),
    ];
    for (method, path, expected, allow) in cases {
        let (status, body, response) = invoke(&event_for(method, path, Some(authorizer.clone())));
        assert_eq!(status, expected, "{method} {path}");
        assert_eq!(
            response.headers().get("allow").map(|v| v.to_str().unwrap()),
            allow,
            "{method} {path}"
        );
        if status == StatusCode::OK {
            assert_eq!(
                body["Description"],
                json!(format!("your {method} for {path} is completed"))
            );
            assert_eq!(body["caller"], m2m_caller());
        }
    }
}

#[test]
fn missing_or_unusable_authorizer_context_is_401() {
    let cases = [
        ("no authorizer", None),
        ("principal only", Some(json!({"principalId": "someone"}))),
        (
            "id token context",
            Some(json!({"principalId": "u", "sub": "u", "client_id": "c", "token_use": "id"})),
        ),
        ("null authorizer", Some(Value::Null)),
    ];
    for (name, authorizer) in cases {
        let (status, body, response) = invoke(&event_for("GET", "/book", authorizer));
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(body, json!({"message": "Unauthorized"}), "{name}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{name}"
        );
    }
}

#[tokio::test]
async fn handle_is_the_same_answer_asynchronously() {
    let request = lambda_http::request::from_str(GET_BOOK).unwrap();
    let response = handler::handle(&Config::default(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// `event` with an `Origin` header, in both header maps as API Gateway sends them.
fn with_origin(mut event: Value, origin: &str) -> Value {
    event["headers"]["origin"] = json!(origin);
    event["multiValueHeaders"]["origin"] = json!([origin]);
    event
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
fn allowed_origins_get_allow_origin_on_200_401_404_and_405() {
    let config = Config {
        allowed_origins: AllowedOrigins::parse("http://localhost:8080,https://app.example.com")
            .unwrap(),
    };
    let authorizer = event()["requestContext"]["authorizer"].clone();
    let cases = [
        ("GET", "/book", Some(authorizer.clone()), StatusCode::OK),
        ("GET", "/awesomeapi", None, StatusCode::UNAUTHORIZED),
        (
            "GET",
            "/library",
            Some(authorizer.clone()),
            StatusCode::NOT_FOUND,
        ),
        (
            "PUT",
            "/user",
            Some(authorizer),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (method, path, authorizer, expected) in cases {
        for origin in ["http://localhost:8080", "https://app.example.com"] {
            let event = with_origin(event_for(method, path, authorizer.clone()), origin);
            let (status, _, response) = invoke_with(&config, &event);
            let name = format!("{method} {path} from {origin}");
            assert_eq!(status, expected, "{name}");
            assert_eq!(
                header(&response, "access-control-allow-origin"),
                [origin],
                "{name}"
            );
            assert_eq!(header(&response, "vary"), ["Origin"], "{name}");
        }
    }
}

#[test]
fn other_origins_and_plain_requests_get_no_allow_origin() {
    let one = Config {
        allowed_origins: AllowedOrigins::parse("http://localhost:8080").unwrap(),
    };
    let cases = [
        ("other port", Some("http://localhost:3000")),
        (
            "other host for the same server",
            Some("http://127.0.0.1:8080"),
        ),
        ("trailing slash", Some("http://localhost:8080/")),
        ("opaque origin", Some("null")),
        ("no origin (curl)", None),
    ];
    for (name, origin) in cases {
        let mut event = event();
        if let Some(origin) = origin {
            event = with_origin(event, origin);
        }
        let (status, _, response) = invoke_with(&one, &event);
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            header(&response, "access-control-allow-origin").is_empty(),
            "{name}"
        );
        // The answer depends on the origin, so caches must key on it.
        assert_eq!(header(&response, "vary"), ["Origin"], "{name}");
    }
}

#[test]
fn without_configured_origins_answers_carry_no_cors_headers() {
    let event = with_origin(event(), "http://localhost:8080");
    let (_, _, response) = invoke(&event);
    assert!(header(&response, "access-control-allow-origin").is_empty());
    assert!(header(&response, "vary").is_empty());

    let any = Config {
        allowed_origins: AllowedOrigins::Any,
    };
    let (_, _, response) = invoke_with(&any, &event);
    assert_eq!(header(&response, "access-control-allow-origin"), ["*"]);
    assert!(header(&response, "vary").is_empty());
}
