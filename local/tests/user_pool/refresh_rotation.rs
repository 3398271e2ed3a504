//! The refresh-token grant of a client rotating refresh tokens, over HTTP:
//! a new refresh token each time, the old one's grace period, and revoking
//! the whole family.

use axum::http::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_rotating_client_gets_a_new_refresh_token_and_the_old_one_lasts_the_grace_period() {
    let h = harness();
    let code = code_of(&h, "rotating", "openid").await;
    let body = exchange_body("rotating", &code, Some(CALLBACK), Some(VERIFIER));
    let tokens = h.token(&body, None).await.json();
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let origin = payload(tokens["access_token"].as_str().unwrap()).0["origin_jti"].clone();
    let refresh = |token: &str| {
        form_body(&[
            ("grant_type", "refresh_token"),
            ("client_id", "rotating"),
            ("refresh_token", token),
        ])
    };

    let rotated = h.token(&refresh(&first), None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let rotated = rotated.json();
    let keys: Vec<&str> = rotated
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "id_token",
            "refresh_token",
            "token_type"
        ]
    );
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(second.split('.').count(), 5);
    let renewed = payload(rotated["access_token"].as_str().unwrap()).0;
    assert_eq!(renewed["origin_jti"], origin, "the same sign-in");

    // A retry within the grace period (the answer was lost) still works.
    h.advance(9);
    let retry = h.token(&refresh(&first), None).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert!(retry.json()["refresh_token"].is_string());
    // Then the old one is refused; the new one keeps working.
    h.advance(1);
    assert_eq!(
        h.token(&refresh(&first), None).await.json(),
        json!({"error": "invalid_grant"})
    );
    let third = h.token(&refresh(&second), None).await;
    assert_eq!(third.status, 200, "{}", third.body);
    let third = third.json()["refresh_token"].as_str().unwrap().to_string();

    // Revoking one token of the family ends it all.
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    let revoke = form_body(&[("token", &second), ("client_id", "rotating")]);
    let revoked = h.send(Method::POST, "/oauth2/revoke", &form, &revoke).await;
    assert_eq!(revoked.status, 200);
    for token in [&second, &third] {
        assert_eq!(
            h.token(&refresh(token), None).await.json(),
            json!({"error": "invalid_grant"})
        );
    }
}
