//! Authorize and the hosted sign-in over HTTP: where authorize errors go,
//! the sign-in form's CSRF token, password and origin checks, and the whole
//! sign-in flow from authorize to sign-out with the tokens it issues.

use axum::http::Method;
use local::{SESSION_COOKIE, XSRF_COOKIE, at_hash};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn the_sign_in_flow_issues_cognito_shaped_tokens() {
    let h = harness();
    let mut browser = Browser::new(&h);
    let q = query("web", &format!("openid {READ}"));
    let authorize = browser
        .send(Method::GET, &format!("/oauth2/authorize?{q}"), None)
        .await;
    assert_eq!(authorize.status, 302);
    assert_eq!(
        authorize.location.as_deref(),
        Some(format!("{BASE}/login?{q}").as_str())
    );
    let signed_in = browser.sign_in(&q, "ALICE@example.com", PASSWORD).await;
    assert_eq!(signed_in.status, 302, "{signed_in:?}");
    let location = signed_in.location.clone().unwrap();
    assert!(
        location.starts_with(&format!("{CALLBACK}?code=")),
        "{location}"
    );
    assert_eq!(signed_in.location_param("state").as_deref(), Some("st"));
    let session = signed_in
        .cookies
        .iter()
        .find(|c| c.starts_with("cognito="))
        .unwrap();
    assert!(
        session.contains("Max-Age=3600") && session.contains("HttpOnly"),
        "{session}"
    );
    let code = signed_in.location_param("code").unwrap();
    assert_eq!(code.len(), 36);

    let tokens = h
        .token(
            &exchange_body("web", &code, Some(CALLBACK), Some(VERIFIER)),
            None,
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let json = tokens.json();
    let keys: Vec<&str> = [
        "id_token",
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
    ]
    .to_vec();
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| tokens.body.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", tokens.body);
    assert_eq!(
        (json["expires_in"].as_i64(), json["token_type"].as_str()),
        (Some(3600), Some("Bearer"))
    );
    assert_eq!(
        json["refresh_token"].as_str().unwrap().split('.').count(),
        5
    );

    let access_token = json["access_token"].as_str().unwrap();
    let (access, text, header) = payload(access_token);
    assert_eq!(
        header,
        format!(r#"{{"kid":"{}","alg":"RS256"}}"#, ACCESS_KID)
    );
    assert!(
        text.contains(r#""iss":"http:\/\/127.0.0.1:9100\/us-east-1_pool""#),
        "{text}"
    );
    assert!(
        text.contains(&format!(r#""scope":"{} openid""#, READ.replace('/', r"\/"))),
        "{text}"
    );
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], "web");
    assert_eq!(access["username"], access["sub"]);
    assert_eq!(access["cognito:groups"], json!(["admins", "readers"]));
    assert_eq!(access["auth_time"], START);
    assert_eq!(access["version"], 2);
    assert!(access.get("aud").is_none());

    let (id, id_text, id_header) = payload(json["id_token"].as_str().unwrap());
    assert_eq!(id_header, r#"{"kid":"kid\/2+id","alg":"RS256"}"#);
    assert!(id_text.starts_with(r#"{"at_hash":"#), "{id_text}");
    assert_eq!(id["at_hash"], at_hash(access_token));
    assert_eq!(id["aud"], "web");
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["email"], EMAIL);
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["cognito:username"], access["sub"]);
    assert_eq!(id["origin_jti"], access["origin_jti"]);
    assert_eq!(id["event_id"], access["event_id"]);

    let jwks = h
        .send(
            Method::GET,
            "/us-east-1_pool/.well-known/jwks.json",
            &[],
            "",
        )
        .await
        .json();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["kid-1", "kid/2+id"]);

    let info = h.user_info(access_token).await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(
        info.json(),
        json!({"sub": access["sub"], "username": access["sub"], "email": EMAIL, "email_verified": "true"})
    );

    // The session signs the browser in again without the form, with a new code.
    h.advance(600);
    let again = browser
        .send(Method::GET, &format!("/oauth2/authorize?{q}"), None)
        .await;
    assert_eq!(again.status, 302);
    let second = again.location_param("code").unwrap();
    assert_ne!(second, code);
    let tokens = h
        .token(
            &exchange_body("web", &second, Some(CALLBACK), Some(VERIFIER)),
            None,
        )
        .await;
    assert_eq!(
        payload(tokens.json()["access_token"].as_str().unwrap()).0["auth_time"],
        START
    );

    // Refresh: new access and ID tokens, no new refresh token, same sign-in.
    let refresh = json["refresh_token"].as_str().unwrap();
    let refresh_body = form_body(&[
        ("grant_type", "refresh_token"),
        ("client_id", "web"),
        ("refresh_token", refresh),
    ]);
    let refreshed = h.token(&refresh_body, None).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert!(refreshed.json().get("refresh_token").is_none());
    let (renewed, _, _) = payload(refreshed.json()["access_token"].as_str().unwrap());
    assert_eq!(renewed["origin_jti"], access["origin_jti"]);
    assert_ne!(renewed["jti"], access["jti"]);
    assert!(
        payload(refreshed.json()["id_token"].as_str().unwrap())
            .0
            .get("nonce")
            .is_none()
    );

    // Revocation: the refresh token and userInfo stop working.
    let revoke = form_body(&[("token", refresh), ("client_id", "web")]);
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    let revoked = h.send(Method::POST, "/oauth2/revoke", &form, &revoke).await;
    assert_eq!((revoked.status, revoked.body.as_str()), (200, ""));
    assert_eq!(
        h.token(&refresh_body, None).await.json(),
        json!({"error": "invalid_grant"})
    );
    assert_eq!(h.user_info(access_token).await.status, 401);
    let unknown = form_body(&[("token", "nope"), ("client_id", "web")]);
    assert_eq!(
        h.send(Method::POST, "/oauth2/revoke", &form, &unknown)
            .await
            .status,
        200
    );
    let anonymous = form_body(&[("token", "nope")]);
    let refused = h
        .send(Method::POST, "/oauth2/revoke", &form, &anonymous)
        .await;
    assert_eq!(
        (refused.status, refused.json()),
        (400, json!({"error": "invalid_client"}))
    );

    // Sign-out ends the session: the next authorize shows the form.
    let out = browser
        .send(
            Method::GET,
            &format!(
                "/logout?client_id=web&logout_uri={}",
                form_body(&[("x", LOGOUT)]).trim_start_matches("x=")
            ),
            None,
        )
        .await;
    assert_eq!((out.status, out.location.as_deref()), (302, Some(LOGOUT)));
    assert!(!browser.jar.contains_key(SESSION_COOKIE));
    let after = browser
        .send(Method::GET, &format!("/oauth2/authorize?{q}"), None)
        .await;
    assert!(
        after
            .location
            .unwrap()
            .starts_with(&format!("{BASE}/login?"))
    );
}

#[tokio::test]
async fn authorize_errors_go_to_the_error_page_or_back_with_state() {
    let h = harness();
    let error_page = |query: &str| format!("{BASE}/error?{query}");
    let back = |error: &str| format!("{CALLBACK}?error={error}&state=st");
    let good = query("web", "openid");
    let cases = [
        ("valid", good.clone(), format!("{BASE}/login?{good}")),
        (
            "unknown client",
            good.replace("client_id=web", "client_id=ghost"),
            error_page("error=invalid_request&client_id=ghost"),
        ),
        (
            "no client",
            good.replace("client_id=web&", ""),
            error_page("error=invalid_request"),
        ),
        (
            "redirect_uri not registered",
            good.replace("callback", "evil"),
            error_page("error=redirect_mismatch&client_id=web"),
        ),
        (
            "flow not allowed",
            good.replace("client_id=web", "client_id=m2m"),
            back("unauthorized_client"),
        ),
        (
            "PKCE plain",
            good.replace("S256", "plain"),
            back("invalid_request"),
        ),
        (
            "no allowed scope",
            query("web", "API/book.get"),
            back("invalid_scope"),
        ),
    ];
    for (name, q, expected) in cases {
        for path in ["/oauth2/authorize", "/login"] {
            let answer = h.send(Method::GET, &format!("{path}?{q}"), &[], "").await;
            if name == "valid" && path == "/login" {
                assert_eq!(answer.status, 200, "{name} {path}");
                continue;
            }
            assert_eq!(answer.status, 302, "{name} {path}");
            assert_eq!(
                answer.location.as_deref(),
                Some(expected.as_str()),
                "{name} {path}"
            );
        }
    }
    let page = h
        .send(
            Method::GET,
            "/error?error=redirect_mismatch&client_id=web",
            &[],
            "",
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("redirect_mismatch") && page.body.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_token_and_the_right_password() {
    let h = harness();
    let q = query("web", "openid");
    // (case, send the cookie, _csrf field (None = left out, "=" = the cookie's), username, password, status, redirected)
    let cases = [
        (
            "right password",
            true,
            Some("="),
            EMAIL,
            PASSWORD,
            302,
            true,
        ),
        (
            "wrong password",
            true,
            Some("="),
            EMAIL,
            "Correct-Horse-8",
            200,
            false,
        ),
        (
            "unknown user",
            true,
            Some("="),
            "bob@example.com",
            PASSWORD,
            200,
            false,
        ),
        ("empty password", true, Some("="), EMAIL, "", 200, false),
        ("missing _csrf", true, None, EMAIL, PASSWORD, 403, false),
        (
            "wrong _csrf",
            true,
            Some("forged"),
            EMAIL,
            PASSWORD,
            403,
            false,
        ),
        (
            "no XSRF-TOKEN cookie",
            false,
            Some("="),
            EMAIL,
            PASSWORD,
            403,
            false,
        ),
    ];
    for (name, send_cookie, csrf, username, password, status, redirected) in cases {
        let mut browser = Browser::new(&h);
        browser
            .send(Method::GET, &format!("/login?{q}"), None)
            .await;
        let token = browser.jar.get(XSRF_COOKIE).cloned().unwrap();
        if !send_cookie {
            browser.jar.clear();
        }
        let mut pairs = vec![("username", username), ("password", password)];
        let field = csrf.map(|c| {
            if c == "=" {
                token.clone()
            } else {
                c.to_string()
            }
        });
        if let Some(field) = &field {
            pairs.push(("_csrf", field));
        }
        let answer = browser
            .send(
                Method::POST,
                &format!("/login?{q}"),
                Some(&form_body(&pairs)),
            )
            .await;
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
        assert_eq!(answer.location.is_some(), redirected, "{name}");
        if status == 200 {
            assert!(
                answer.body.contains("Incorrect username or password."),
                "{name}"
            );
            assert!(
                answer.body.contains(&format!("value=\"{token}\"")),
                "{name}: same CSRF token"
            );
        }
        if !redirected {
            assert!(
                !answer.cookies.iter().any(|c| c.starts_with("cognito=")),
                "{name}: no session"
            );
        }
    }
}

#[tokio::test]
async fn the_sign_in_form_is_taken_only_from_the_pools_own_origin_or_none() {
    for (origin, status) in [
        (None, 302),
        (Some("http://127.0.0.1:9100"), 302),
        (Some("http://localhost:9100"), 302),
        (Some("http://localhost:8080"), 403),
        (Some("http://attacker.example:9100"), 403),
        (Some("https://127.0.0.1:9100"), 403),
        (Some("null"), 403),
    ] {
        let harness = harness();
        let q = query("web", "openid");
        let page = harness
            .send(Method::GET, &format!("/login?{q}"), &[], "")
            .await;
        let csrf_cookie = page.cookies[0].split(';').next().unwrap().to_string();
        let csrf = csrf_cookie.split_once('=').unwrap().1.to_string();
        let mut headers = vec![
            ("cookie", csrf_cookie.clone()),
            (
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            ),
        ];
        if let Some(origin) = origin {
            headers.push(("origin", origin.to_string()));
        }
        let form = form_body(&[
            ("_csrf", &csrf),
            ("username", EMAIL),
            ("password", PASSWORD),
        ]);
        let answer = harness
            .send(Method::POST, &format!("/login?{q}"), &headers, &form)
            .await;
        assert_eq!(answer.status, status, "{origin:?}: {}", answer.body);
        if status == 403 {
            assert!(answer.cookies.is_empty(), "{origin:?}");
            assert!(answer.body.contains("another origin"), "{origin:?}");
        }
    }
}
