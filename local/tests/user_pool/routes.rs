//! The pool's routes as a whole: methods and paths answered as the user
//! pool answers them, CORS for browser apps, and the discovery document.

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use local::{PoolServer, UserPool};
use serde_json::json;
use tower::ServiceExt;

use crate::support::*;

#[tokio::test]
async fn routes_answer_as_the_user_pool_does() {
    let h = harness();
    let form = (
        "content-type",
        "application/x-www-form-urlencoded".to_string(),
    );
    let basic = (
        "authorization",
        format!("Basic {}", STANDARD.encode("m2m:secret")),
    );
    let cases = [
        (
            Method::POST,
            "/oauth2/token",
            vec![form.clone(), basic.clone()],
            "grant_type=client_credentials",
            200,
            "access_token",
        ),
        (
            Method::POST,
            "/oauth2/token?grant_type=client_credentials",
            vec![basic.clone()],
            "",
            200,
            "access_token",
        ),
        (
            Method::POST,
            "/oauth2/token",
            vec![form.clone()],
            "grant_type=client_credentials",
            400,
            r#"{"error":"invalid_client"}"#,
        ),
        (
            Method::GET,
            "/oauth2/token",
            vec![],
            "",
            405,
            "invalid_request",
        ),
        (
            Method::GET,
            "/oauth2/revoke",
            vec![],
            "",
            405,
            "invalid_request",
        ),
        (
            Method::POST,
            "/us-east-1_pool/.well-known/jwks.json",
            vec![],
            "",
            404,
            "Not Found",
        ),
        (
            Method::HEAD,
            "/us-east-1_pool/.well-known/jwks.json",
            vec![],
            "",
            404,
            "",
        ),
        (
            Method::GET,
            "/us-east-1_pool/.well-known/jwks.json",
            vec![],
            "",
            200,
            r#""kid":"kid-1""#,
        ),
        (
            Method::GET,
            "/us-east-1_pool/.well-known/openid-configuration",
            vec![],
            "",
            200,
            r#""token_endpoint":"http://127.0.0.1:9100/oauth2/token""#,
        ),
        (
            Method::GET,
            "/other_pool/.well-known/jwks.json",
            vec![],
            "",
            404,
            "Not Found",
        ),
    ];
    for (method, path, headers, body, status, needle) in cases {
        let name = format!("{method} {path}");
        let answer = h.send(method, path, &headers, body).await;
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
        assert!(answer.body.contains(needle), "{name}: {}", answer.body);
    }
    let token = h
        .send(
            Method::POST,
            "/oauth2/token",
            &[form, basic],
            "grant_type=client_credentials",
        )
        .await;
    let (claims, text, _) = payload(token.json()["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "m2m");
    assert!(text.contains(r#""scope":"API\/book.get""#), "{text}");
}

#[tokio::test]
async fn browser_apps_may_call_the_token_and_user_info_endpoints() {
    let h = harness();
    for (method, path) in [
        (Method::OPTIONS, "/oauth2/token"),
        (Method::OPTIONS, "/oauth2/userInfo"),
        (Method::OPTIONS, "/oauth2/revoke"),
        (Method::POST, "/oauth2/token"),
        (Method::GET, "/oauth2/userInfo"),
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = h.router.clone().oneshot(request).await.unwrap();
        let allow = response.headers().get("access-control-allow-origin");
        assert_eq!(
            allow.map(|v| v.to_str().unwrap()),
            Some("*"),
            "{method} {path}"
        );
        if method == Method::OPTIONS {
            let headers = response.headers()["access-control-allow-headers"]
                .to_str()
                .unwrap();
            assert!(headers.contains("authorization"), "{path}");
        }
    }
}

#[test]
fn discovery_lists_what_cognito_publishes() {
    let server = PoolServer::new(
        UserPool::new(signing_keys(), ISSUER.into(), clients(), users(&[])),
        POOL_ID.into(),
        BASE.into(),
    );
    let doc = server.openid_configuration();
    let fields: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "authorization_endpoint",
            "end_session_endpoint",
            "id_token_signing_alg_values_supported",
            "issuer",
            "jwks_uri",
            "response_types_supported",
            "revocation_endpoint",
            "scopes_supported",
            "subject_types_supported",
            "token_endpoint",
            "token_endpoint_auth_methods_supported",
            "userinfo_endpoint"
        ]
    );
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{BASE}/oauth2/authorize")
    );
    assert_eq!(doc["userinfo_endpoint"], format!("{BASE}/oauth2/userInfo"));
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert!(
        doc["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(READ))
    );
}
