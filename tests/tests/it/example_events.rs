//! The example events in `events/` are what the local API Gateway sends:
//! each file equals the event the local front's own builders make from the
//! same request, and the authorizer reads the token and method ARN from
//! the authorizer events. (The handler's answers to the proxy events:
//! `handler/tests/example_events.rs`.) `UPDATE_EVENTS=1` rewrites the files.
//! The `pretoken-*` events are Cognito's (the local pool does not invoke
//! the trigger yet): the trigger, configured as the template configures it,
//! answers each as pinned here.
//!
//! The HTTP API (payload 2.0) examples ([`HTTP_EXAMPLES`]) are written by
//! hand in the developer guide's shape until the local stack has an HTTP
//! API front with its own builders; they are checked for what the
//! authorizer and the handler read from them.

use std::path::{Path, PathBuf};

use hyper::HeaderMap;
use local::ACCOUNT_ID;
use local::request_event;
use local::token_event;
use local::{ProxyContext, ProxyRequest, build_event};
use serde_json::{Map, Value, json};

/// A token-shaped string no key verifies: the authorizer answers
/// `Unauthorized` to it (`scripts/event` makes events with real tokens).
const EXAMPLE_TOKEN: &str =
    "eyJraWQiOiJleGFtcGxlIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJl";
const API_ID: &str = "a1b2c3d4e5";
const STAGE: &str = "prod";
const REQUEST_ID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
const NOW_MS: i64 = 1_763_812_800_000;
const M2M_CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn method_arn(method: &str, path: &str) -> String {
    format!("arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/{STAGE}/{method}{path}")
}

fn headers(with_token: bool, json_body: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", "127.0.0.1:3000".parse().unwrap());
    headers.insert("user-agent", "curl/8.5.0".parse().unwrap());
    headers.insert("accept", "*/*".parse().unwrap());
    if with_token {
        let bearer = format!("Bearer {EXAMPLE_TOKEN}");
        headers.insert("authorization", bearer.parse().unwrap());
    }
    if json_body {
        headers.insert("content-type", "application/json".parse().unwrap());
    }
    headers
}

fn context<'a>(resource: &'a str, authorizer: Map<String, Value>) -> ProxyContext<'a> {
    ProxyContext {
        account_id: ACCOUNT_ID,
        api_id: API_ID,
        stage: STAGE,
        resource,
        request_id: REQUEST_ID,
        source_ip: "127.0.0.1",
        authorizer,
        now_ms: NOW_MS,
    }
}

/// `requestContext.authorizer` as the local front passes an M2M caller's.
fn m2m_authorizer() -> Map<String, Value> {
    let context = json!({
        "principalId": M2M_CLIENT,
        "sub": M2M_CLIENT,
        "client_id": M2M_CLIENT,
        "scope": "awesomeapi-resource-server/awesomeapi.read API/book.get API/book.post",
        "token_use": "access",
    });
    context.as_object().cloned().unwrap_or_default()
}

/// Every example: its file name and the event the builders make.
fn examples() -> Vec<(&'static str, Value)> {
    let token_headers = headers(true, false);
    let post_headers = headers(true, true);
    let no_token = headers(false, false);
    let get = |path, headers| ProxyRequest {
        method: "GET",
        path,
        query: None,
        headers,
        body: b"",
    };
    vec![
        (
            "authorizer-token.json",
            token_event(
                &format!("Bearer {EXAMPLE_TOKEN}"),
                &method_arn("GET", "/book"),
            ),
        ),
        (
            "authorizer-request.json",
            request_event(
                &get("/book", &token_headers),
                &context("/book", Map::new()),
                &method_arn("GET", "/book"),
            ),
        ),
        (
            "handler-get-book.json",
            build_event(
                &get("/book", &token_headers),
                &context("/book", m2m_authorizer()),
            ),
        ),
        (
            "handler-post-book.json",
            build_event(
                &ProxyRequest {
                    method: "POST",
                    path: "/book",
                    query: None,
                    headers: &post_headers,
                    body: br#"{"title":"Dune"}"#,
                },
                &context("/book", m2m_authorizer()),
            ),
        ),
        (
            "handler-no-authorizer.json",
            build_event(&get("/book", &no_token), &context("/book", Map::new())),
        ),
    ]
}

/// The payload 2.0 examples: the authorizer's event and the handler's.
const HTTP_EXAMPLES: [&str; 2] = ["authorizer-http-request.json", "handler-http-get-book.json"];

#[test]
fn the_http_api_examples_name_the_same_call_as_the_rest_ones() {
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(events_dir().join(name)).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    for name in HTTP_EXAMPLES {
        let event = read(name);
        assert_eq!(event["version"], "2.0", "{name}");
        assert_eq!(event["routeKey"], "GET /book", "{name}");
        assert_eq!(event["rawPath"], format!("/{STAGE}/book"), "{name}");
        let context = &event["requestContext"];
        assert_eq!(context["stage"], STAGE, "{name}");
        assert_eq!(context["apiId"], API_ID, "{name}");
        assert_eq!(context["accountId"], ACCOUNT_ID, "{name}");
        assert_eq!(context["http"]["method"], "GET", "{name}");
        assert_eq!(context["timeEpoch"], NOW_MS, "{name}");
        assert_eq!(
            event["headers"]["authorization"],
            format!("Bearer {EXAMPLE_TOKEN}"),
            "{name}"
        );
    }
    // The handler's event carries what the REST one's authorizer context does.
    let lambda = &read("handler-http-get-book.json")["requestContext"]["authorizer"]["lambda"];
    let mut rest = m2m_authorizer();
    rest.remove("principalId");
    assert_eq!(lambda, &Value::Object(rest));
}

#[test]
fn the_authorizer_reads_the_http_api_example() {
    let name = "authorizer-http-request.json";
    let text = std::fs::read_to_string(events_dir().join(name)).unwrap();
    let event = authorizer::event::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(event.authorization, format!("Bearer {EXAMPLE_TOKEN}"));
    assert_eq!(event.method_arn, method_arn("GET", "/book"));
    assert_eq!(
        event.route,
        authorizer::event::CalledRoute::Key("GET /book".into())
    );
}

#[test]
fn example_events_are_what_the_local_api_sends() {
    let update = std::env::var_os("UPDATE_EVENTS").is_some();
    for (name, built) in examples() {
        let path = events_dir().join(name);
        if update {
            let text = format!("{}\n", serde_json::to_string_pretty(&built).unwrap());
            std::fs::write(&path, text).unwrap();
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_EVENTS=1 writes it)", path.display()));
        let file: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            file, built,
            "{name} differs from what the local API sends (UPDATE_EVENTS=1 rewrites it)"
        );
    }
}

#[test]
fn the_authorizer_reads_token_and_method_arn_from_both_authorizer_events() {
    for name in ["authorizer-token.json", "authorizer-request.json"] {
        let text = std::fs::read_to_string(events_dir().join(name)).unwrap();
        let event = authorizer::event::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            event.authorization,
            format!("Bearer {EXAMPLE_TOKEN}"),
            "{name}"
        );
        assert_eq!(event.method_arn, method_arn("GET", "/book"), "{name}");
    }
}

/// Cognito's pre-token-generation events in `events/` and the answer's
/// `response` the trigger gives each (`cargo lambda invoke pretoken --data-file events/<file>`).
fn trigger_examples() -> Vec<(&'static str, Value)> {
    vec![
        (
            // A V2_0 hosted sign-in of an editor: the scope is added, the
            // groups sent back as they came (so Cognito keeps them).
            "pretoken-hosted-auth-editor.json",
            json!({"claimsAndScopeOverrideDetails": {
                "groupOverrideDetails": {
                    "groupsToOverride": ["editors"],
                    "iamRolesToOverride": [],
                    "preferredRole": null,
                },
                "accessTokenGeneration": {
                "claimsToAddOrOverride": {},
                "claimsToSuppress": [],
                "scopesToAdd": ["API/book.post"],
                "scopesToSuppress": [],
            }}}),
        ),
        (
            // A V3_0 client-credentials token: the machine claim.
            "pretoken-client-credentials.json",
            json!({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {
                "claimsToAddOrOverride": {"caller_kind": "machine"},
                "claimsToSuppress": [],
                "scopesToAdd": [],
                "scopesToSuppress": [],
            }}}),
        ),
    ]
}

/// The trigger's configuration as the template sets it.
fn trigger_rule() -> pretoken::Rule {
    let template: yaml_serde::Value = yaml_serde::from_str(
        &std::fs::read_to_string(events_dir().join("../template.yaml")).unwrap(),
    )
    .unwrap();
    let variables =
        &template["Resources"]["PreTokenFunction"]["Properties"]["Environment"]["Variables"];
    let config =
        pretoken::Config::from_lookup(|name| variables[name].as_str().map(str::to_string)).unwrap();
    pretoken::Rule::new(config)
}

#[test]
fn the_trigger_answers_its_example_events_as_pinned() {
    let rule = trigger_rule();
    for (name, response) in trigger_examples() {
        let text = std::fs::read_to_string(events_dir().join(name)).unwrap();
        let event: Value = serde_json::from_str(&text).unwrap();
        let answer =
            pretoken::answer(&rule, event.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut answer = serde_json::to_value(answer).unwrap();
        assert_eq!(answer["response"], response, "{name}");
        // The rest goes back as it came.
        let mut event = event;
        for v in [&mut answer, &mut event] {
            v.as_object_mut().unwrap().remove("response");
        }
        assert_eq!(answer, event, "{name}");
    }
}

#[test]
fn every_example_event_file_is_tested() {
    let mut on_disk: Vec<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut known: Vec<String> = examples()
        .into_iter()
        .chain(trigger_examples())
        .map(|(n, _)| n.to_string())
        .chain(HTTP_EXAMPLES.map(str::to_string))
        .collect();
    known.sort();
    assert_eq!(on_disk, known);
}
