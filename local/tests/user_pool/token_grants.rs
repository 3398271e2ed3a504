//! The token endpoint's authorization-code grant over HTTP: the code
//! exchanges Cognito refuses and how it answers them.

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn code_exchanges_are_refused_as_cognito_refuses_them() {
    let h = harness();
    let invalid_grant = json!({"error": "invalid_grant"});
    let invalid_redirect =
        json!({"error": "unauthorized_client", "error_description": "invalid_redirect"});
    // (case, client, Basic auth, redirect_uri, verifier, seconds waited, exchanged before, expected)
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<(&'a str, &'a str)>,
        Option<&'a str>,
        Option<&'a str>,
        i64,
        bool,
        Value,
    );
    let cases: Vec<Case> = vec![
        (
            "right",
            "web",
            None,
            Some(CALLBACK),
            Some(VERIFIER),
            0,
            false,
            Value::Null,
        ),
        (
            "just before expiry",
            "web",
            None,
            Some(CALLBACK),
            Some(VERIFIER),
            299,
            false,
            Value::Null,
        ),
        (
            "expired",
            "web",
            None,
            Some(CALLBACK),
            Some(VERIFIER),
            300,
            false,
            invalid_grant.clone(),
        ),
        (
            "reused",
            "web",
            None,
            Some(CALLBACK),
            Some(VERIFIER),
            0,
            true,
            invalid_grant.clone(),
        ),
        (
            "wrong verifier",
            "web",
            None,
            Some(CALLBACK),
            Some(CHALLENGE),
            0,
            false,
            invalid_grant.clone(),
        ),
        (
            "missing verifier",
            "web",
            None,
            Some(CALLBACK),
            None,
            0,
            false,
            json!({"error": "invalid_request"}),
        ),
        (
            "redirect_uri differs",
            "web",
            None,
            Some("http://localhost:8080/other"),
            Some(VERIFIER),
            0,
            false,
            invalid_redirect.clone(),
        ),
        (
            "redirect_uri missing",
            "web",
            None,
            None,
            Some(VERIFIER),
            0,
            false,
            invalid_redirect,
        ),
        (
            "another client's code",
            "other",
            None,
            Some(CALLBACK),
            Some(VERIFIER),
            0,
            false,
            invalid_grant.clone(),
        ),
        (
            "confidential client with its secret",
            "conf",
            Some(("conf", "conf-secret")),
            Some(CALLBACK),
            Some(VERIFIER),
            0,
            false,
            invalid_grant.clone(),
        ),
        (
            "machine client",
            "m2m",
            Some(("m2m", "secret")),
            Some(CALLBACK),
            Some(VERIFIER),
            0,
            false,
            json!({"error": "unauthorized_client"}),
        ),
        (
            "unknown code",
            "web",
            None,
            Some(CALLBACK),
            Some(VERIFIER),
            0,
            false,
            invalid_grant,
        ),
    ];
    for (name, client, auth, redirect, verifier, wait, reuse, expected) in cases {
        let code = if name == "unknown code" {
            "00000000-0000-4000-8000-000000000000".to_string()
        } else {
            code(&h, "openid").await
        };
        if reuse {
            let first = h
                .token(
                    &exchange_body("web", &code, Some(CALLBACK), Some(VERIFIER)),
                    None,
                )
                .await;
            assert_eq!(first.status, 200, "{name}");
        }
        h.advance(wait);
        let body = if auth.is_some() {
            exchange_body(client, &code, redirect, verifier)
                .replace(&format!("client_id={client}&"), "")
        } else {
            exchange_body(client, &code, redirect, verifier)
        };
        let answer = h.token(&body, auth).await;
        if expected.is_null() {
            assert_eq!(answer.status, 200, "{name}: {}", answer.body);
        } else {
            assert_eq!((answer.status, answer.json()), (400, expected), "{name}");
        }
    }
}
