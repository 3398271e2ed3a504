//! The proxy events in `events/` (made by the local API front's builders,
//! see `tests/tests/it/example_events.rs`) get the handler's real answers.

use lambda_http::Body;
use serde_json::Value;

fn answer(name: &str) -> (u16, Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/").to_string() + name;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let response = handler::answer(&handler::Config::default(), &request);
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}")),
        other => panic!("{name}: body is not text: {other:?}"),
    };
    (response.status().as_u16(), body)
}

#[test]
fn example_proxy_events_get_the_handlers_answers() {
    // (file, status, a top-level key of the JSON body)
    let cases = [
        ("handler-get-book.json", 200, "caller"),
        ("handler-post-book.json", 200, "caller"),
        ("handler-http-get-book.json", 200, "caller"),
        ("handler-no-authorizer.json", 401, "message"),
    ];
    for (name, status, key) in cases {
        let (got, body) = answer(name);
        assert_eq!(got, status, "{name}: {body}");
        assert!(body.get(key).is_some(), "{name}: {body}");
    }
}

#[test]
fn the_caller_in_the_authorizer_context_is_named() {
    for name in ["handler-get-book.json", "handler-http-get-book.json"] {
        let (_, body) = answer(name);
        assert_eq!(
            body["caller"]["client_id"], "3n4b5urk1ft4fl3mg5e62d9ado",
            "{name}: {body}"
        );
    }
}
