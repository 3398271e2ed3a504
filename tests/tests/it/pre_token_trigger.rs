//! The pre-token-generation trigger end to end on the local stack, started
//! with `--parameter PreTokenGenerationVersion=V2_0` and `=V3_0`: the pool
//! runs `pretoken/` under `cargo lambda watch` before it issues tokens, so
//! an editor's hosted sign-in gets `API/book.post` and may `POST /book`, a
//! reader's does not and gets 403, and the M2M client's token still works;
//! with V3_0 it goes through the trigger too (the `caller_kind` claim),
//! with V2_0 it does not. With the trigger off (the default),
//! group_rules.rs shows editors get nothing.

use integration_tests::local_stack::{LocalStack, log_tail};
use reqwest::Method;

use crate::group_rules::{call, claims, m2m_token, sign_in};

const PASSWORD: &str = "Correct-Horse-9";
const POST_SCOPE: &str = "API/book.post";

fn scopes(token: &str) -> Vec<String> {
    claims(token)["scope"]
        .as_str()
        .expect("scope")
        .split(' ')
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs cargo-lambda from .venv; run scripts/test"]
async fn with_the_trigger_editors_may_post_a_book_readers_may_not_and_m2m_still_works() {
    // (version, the M2M token's `caller_kind`)
    for (version, caller_kind) in [("V2_0", None), ("V3_0", Some("machine"))] {
        editors_readers_and_m2m(version, caller_kind).await;
    }
}

async fn editors_readers_and_m2m(version: &str, caller_kind: Option<&str>) {
    let editor = format!("editor@example.com:{PASSWORD}:editors");
    let reader = format!("reader@example.com:{PASSWORD}:readers");
    let parameter = format!("PreTokenGenerationVersion={version}");
    let stack = LocalStack::start(
        "pre-token-trigger",
        &[
            "--parameter",
            &parameter,
            "--user",
            &editor,
            "--user",
            &reader,
        ],
    );

    let editor_token = sign_in(&stack, "editor@example.com").await;
    let editor_claims = claims(&editor_token);
    assert_eq!(
        editor_claims["cognito:groups"],
        serde_json::json!(["editors"])
    );
    assert!(
        scopes(&editor_token).iter().any(|s| s == POST_SCOPE),
        "the trigger adds the editor scope: {editor_claims}\n{}",
        log_tail(&stack.log_path)
    );
    let (status, body) = call(&stack, Method::POST, "/book", &editor_token).await;
    assert_eq!(status, 200, "{body}\n{}", log_tail(&stack.log_path));

    let reader_token = sign_in(&stack, "reader@example.com").await;
    assert!(!scopes(&reader_token).iter().any(|s| s == POST_SCOPE));
    assert_eq!(
        claims(&reader_token)["cognito:groups"],
        serde_json::json!(["readers"])
    );
    let (status, body) = call(&stack, Method::POST, "/book", &reader_token).await;
    assert_eq!(status, 403, "{body}");

    // With V3_0 the client-credentials token went through the trigger,
    // which leaves its scopes alone; either way it may still post and read.
    let m2m = m2m_token(&stack).await;
    let m2m_claims = claims(&m2m);
    assert_eq!(
        m2m_claims.get("caller_kind").and_then(|v| v.as_str()),
        caller_kind,
        "{version}: {m2m_claims}"
    );
    assert!(m2m_claims.get("cognito:groups").is_none());
    for method in [Method::POST, Method::GET] {
        let (status, body) = call(&stack, method.clone(), "/book", &m2m).await;
        assert_eq!(status, 200, "{version}: {method} /book: {body}");
    }
}
