//! The local HTTP API front over HTTP, as local-stack serves it for the
//! seed template's `HttpApi`, in front of a stand-in Lambda Invoke API
//! whose authorizer allows `Bearer good` on every route but `GET /user`:
//! the preflight, the front's own answers with their CORS headers, the
//! payload 2.0 events, and answers cached per token and route key.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

const ORIGIN: &str = "http://localhost:8080";

/// Every event the stand-in functions received, by function name.
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// The stand-in Invoke API: `POST /2015-03-31/functions/<name>/invocations`.
async fn invoke(
    State(calls): State<Calls>,
    Path(function): Path<String>,
    body: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    calls
        .lock()
        .unwrap()
        .push((function.clone(), event.clone()));
    let answer = match function.as_str() {
        "authorizer" => {
            let token = event["identitySource"][0].as_str().unwrap_or_default();
            if token == "Bearer crash" {
                let error = json!({"errorType": "Panic", "errorMessage": "boom"});
                return (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    error.to_string(),
                )
                    .into_response();
            }
            let allowed = token == "Bearer good" && event["routeKey"] != "GET /user";
            json!({"isAuthorized": allowed, "context": {"sub": "client-1", "scopes": ["a", "b"]}})
        }
        _ => json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json", "access-control-allow-origin": "*"},
            "body": event.to_string(),
        }),
    };
    answer.to_string().into_response()
}

struct Served {
    url: String,
    calls: Calls,
    _stop: watch::Sender<bool>,
}

impl Served {
    fn calls_to(&self, function: &str) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    (listener, address)
}

/// The seed template's HTTP API front, on a free port, with the stand-in
/// functions behind it; both stop when the result is dropped.
async fn serve_front() -> Served {
    let calls: Calls = Arc::default();
    let (stop, stopped) = watch::channel(false);
    let (functions, functions_at) = listener().await;
    let stand_in = Router::new()
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .with_state(Arc::clone(&calls));
    tokio::spawn(local::serve(functions, stand_in, stopped.clone()));
    let template = local::Template::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
        .expect("the seed template");
    let front = local::http_api_router(
        &template,
        "httpapi01",
        &format!("http://{functions_at}"),
        Duration::from_secs(30),
    )
    .expect("the HTTP API front")
    .expect("the seed template has an HttpApi");
    let (front_listener, front_at) = listener().await;
    tokio::spawn(local::serve(front_listener, front, stopped));
    Served {
        url: format!("http://{front_at}"),
        calls,
        _stop: stop,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn the_fronts_own_answers_are_http_apis_with_cors_headers() {
    let served = serve_front().await;
    let http = client();
    // (method, path, token, status, body)
    let cases = [
        (
            "GET",
            "/prod/book",
            None,
            401,
            r#"{"message":"Unauthorized"}"#,
        ),
        (
            "GET",
            "/prod/user",
            Some("Bearer good"),
            403,
            r#"{"message":"Forbidden"}"#,
        ),
        (
            "GET",
            "/prod/book",
            Some("Bearer bad"),
            403,
            r#"{"message":"Forbidden"}"#,
        ),
        (
            "GET",
            "/prod/book",
            Some("Bearer crash"),
            500,
            r#"{"message":"Internal Server Error"}"#,
        ),
        (
            "GET",
            "/prod/nowhere",
            Some("Bearer good"),
            404,
            r#"{"message":"Not Found"}"#,
        ),
        (
            "PUT",
            "/prod/book",
            Some("Bearer good"),
            404,
            r#"{"message":"Not Found"}"#,
        ),
        (
            "GET",
            "/book",
            Some("Bearer good"),
            404,
            r#"{"message":"Not Found"}"#,
        ),
    ];
    for (method, path, token, status, body) in cases {
        let mut request = http
            .request(method.parse().unwrap(), format!("{}{path}", served.url))
            .header("origin", ORIGIN);
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            status,
            "{method} {path} {token:?}"
        );
        assert_eq!(
            header(&response, "access-control-allow-origin").as_deref(),
            Some(ORIGIN),
            "{method} {path}"
        );
        assert!(header(&response, "apigw-requestid").is_some());
        assert_eq!(response.text().await.unwrap(), body, "{method} {path}");
    }
    // The missing identity source and the unknown routes never reached it.
    assert_eq!(served.calls_to("authorizer").len(), 3);
}

#[tokio::test]
async fn preflights_are_answered_from_the_cors_configuration() {
    let served = serve_front().await;
    let response = client()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/prod/book", served.url),
        )
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    for (name, value) in [
        ("access-control-allow-origin", ORIGIN),
        ("access-control-allow-methods", "GET,POST,DELETE,OPTIONS"),
        ("access-control-allow-headers", "Authorization,Content-Type"),
        ("access-control-max-age", "600"),
    ] {
        assert_eq!(header(&response, name).as_deref(), Some(value), "{name}");
    }
    assert!(served.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn allowed_requests_reach_the_handler_as_payload_2_0_events() {
    let served = serve_front().await;
    let response = client()
        .post(format!("{}/prod/book?a=1&a=2", served.url))
        .header("authorization", "Bearer good")
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(r#"{"title":"Dune"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // API Gateway's CORS headers, not the handler's `*`.
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ORIGIN)
    );
    let event: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "POST /book");
    assert_eq!(event["rawPath"], "/prod/book");
    assert_eq!(event["rawQueryString"], "a=1&a=2");
    assert_eq!(event["queryStringParameters"]["a"], "1,2");
    assert_eq!(event["body"], r#"{"title":"Dune"}"#);
    assert_eq!(event["requestContext"]["http"]["method"], "POST");
    assert_eq!(event["requestContext"]["stage"], "prod");
    assert_eq!(
        event["requestContext"]["authorizer"]["lambda"],
        json!({"sub": "client-1", "scopes": ["a", "b"]})
    );
    let authorizer = &served.calls_to("authorizer")[0];
    assert_eq!(authorizer["type"], "REQUEST");
    assert_eq!(
        authorizer["routeArn"],
        "arn:aws:execute-api:us-east-1:000000000000:httpapi01/prod/POST/book"
    );
    assert_eq!(
        authorizer["identitySource"],
        json!(["Bearer good", "POST /book"])
    );
}

#[tokio::test]
async fn answers_are_cached_per_token_and_route_key() {
    let served = serve_front().await;
    let http = client();
    let get = |path: &str, token: &str| {
        http.get(format!("{}{path}", served.url))
            .header("authorization", token.to_string())
            .send()
    };
    for (path, token, status, calls) in [
        ("/prod/book", "Bearer good", 200, 1),
        ("/prod/book", "Bearer good", 200, 1),
        // Another route key is another cache key: the authorizer decides it.
        ("/prod/user", "Bearer good", 403, 2),
        ("/prod/user", "Bearer good", 403, 2),
        ("/prod/book", "Bearer other", 403, 3),
    ] {
        let response = get(path, token).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path} {token}");
        assert_eq!(served.calls_to("authorizer").len(), calls, "{path} {token}");
    }
}
