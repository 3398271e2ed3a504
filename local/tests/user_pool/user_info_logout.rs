//! userInfo and logout over HTTP: which tokens userInfo takes, and where
//! logout may redirect.

use axum::http::Method;

use crate::support::*;

#[tokio::test]
async fn user_info_needs_openid_and_a_live_token() {
    let h = harness();
    let without_openid = code(&h, READ).await;
    let tokens = h
        .token(
            &exchange_body("web", &without_openid, Some(CALLBACK), Some(VERIFIER)),
            None,
        )
        .await
        .json();
    assert!(
        tokens.get("id_token").is_none(),
        "no ID token without openid"
    );
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refused = h.user_info(&access).await;
    assert_eq!(
        (refused.status, refused.json()["error"].as_str()),
        (403, Some("insufficient_scope"))
    );

    let with_openid = code(&h, "openid").await;
    let tokens = h
        .token(
            &exchange_body("web", &with_openid, Some(CALLBACK), Some(VERIFIER)),
            None,
        )
        .await
        .json();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let m2m = h
        .token("grant_type=client_credentials", Some(("m2m", "secret")))
        .await
        .json();
    let m2m = m2m["access_token"].as_str().unwrap().to_string();
    let cases = [
        ("live", access.clone(), 0, 200),
        ("ID token", id_token, 0, 401),
        ("machine token (no user, no sign-in)", m2m, 0, 401),
        ("garbage", "a.b.c".to_string(), 0, 401),
        ("expired", access, 3600, 401),
    ];
    for (name, token, wait, status) in cases {
        h.advance(wait);
        let answer = h.user_info(&token).await;
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
    }
    let none = h.send(Method::GET, "/oauth2/userInfo", &[], "").await;
    assert_eq!(none.status, 401);
}

#[tokio::test]
async fn logout_only_redirects_to_registered_logout_urls() {
    let h = harness();
    let cases = [
        (
            "client_id=web&logout_uri=http%3A%2F%2Flocalhost%3A8080%2F",
            LOGOUT.to_string(),
        ),
        (
            "client_id=web&logout_uri=http%3A%2F%2Fevil.example%2F",
            format!("{BASE}/error?error=redirect_mismatch&client_id=web"),
        ),
        (
            "client_id=web",
            format!("{BASE}/error?error=redirect_mismatch&client_id=web"),
        ),
        (
            "client_id=ghost&logout_uri=http%3A%2F%2Flocalhost%3A8080%2F",
            format!("{BASE}/error?error=invalid_request&client_id=ghost"),
        ),
    ];
    for (q, expected) in cases {
        let answer = h.send(Method::GET, &format!("/logout?{q}"), &[], "").await;
        assert_eq!(
            (answer.status, answer.location.as_deref()),
            (302, Some(expected.as_str())),
            "{q}"
        );
    }
}
