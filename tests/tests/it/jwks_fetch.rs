//! Key fetching over real HTTP on loopback: counted fetches, rotation,
//! and a bounded answer when the JWKS cannot be reached.

use std::time::{Duration, Instant};

use authorizer::key_store::{FETCH_TIMEOUT, HttpJwks, KeyStore};
use authorizer::service::App;
use authorizer::{Authorizer, Unauthorized};
use integration_tests::fixtures::{ISSUER, M2M_CLIENT, NOW, SEED_ROUTES, config, token_event};
use testkit::{Issuer, JwksAnswer, JwksServer, m2m_claims};

/// Short, so the cooldown can pass within a test; production uses REFETCH_COOLDOWN.
const COOLDOWN: Duration = Duration::from_millis(300);

async fn app(url: &str) -> App<HttpJwks> {
    let source = HttpJwks::new(url.parse().unwrap());
    let keys = KeyStore::load(source, COOLDOWN).await;
    App::new(Authorizer::new(&config(SEED_ROUTES)), keys)
}

async fn jwks_server(answer: JwksAnswer) -> JwksServer {
    JwksServer::http("pool", answer)
        .await
        .expect("loopback JWKS server")
}

fn event(issuer: &Issuer) -> String {
    let token = issuer
        .access_token(&m2m_claims(
            ISSUER,
            M2M_CLIENT,
            "API/book.get",
            NOW - 60,
            3600,
        ))
        .unwrap();
    token_event(&format!("Bearer {token}"), "GET", "/book")
}

#[tokio::test]
async fn one_fetch_at_start_then_none_while_keys_are_known() {
    let issuer = Issuer::generate("k1").unwrap();
    let server = jwks_server(JwksAnswer::Jwks(issuer.jwks())).await;
    let app = app(&server.jwks_url()).await;
    assert_eq!(server.fetches(), 1);
    for _ in 0..100 {
        assert!(app.handle(&event(&issuer), NOW).await.is_ok());
    }
    assert_eq!(
        server.fetches(),
        1,
        "keys are kept for the life of the process"
    );
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_cooldown() {
    let known = Issuer::generate("k1").unwrap();
    let forger = Issuer::generate("forged").unwrap();
    let server = jwks_server(JwksAnswer::Jwks(known.jwks())).await;
    let app = app(&server.jwks_url()).await;
    tokio::time::sleep(COOLDOWN).await;
    for _ in 0..50 {
        assert_eq!(
            app.handle(&event(&forger), NOW).await.unwrap_err(),
            Unauthorized
        );
    }
    assert_eq!(
        server.fetches(),
        2,
        "one refetch for 50 tokens with an unknown kid"
    );
    assert!(app.handle(&event(&known), NOW).await.is_ok());
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_a_refetch() {
    let old = Issuer::generate("old").unwrap();
    let new = Issuer::generate("new").unwrap();
    let server = jwks_server(JwksAnswer::Jwks(old.jwks())).await;
    let app = app(&server.jwks_url()).await;
    let both = serde_json::json!({"keys": [old.jwk(), new.jwk()]});
    server.set_answer(JwksAnswer::Jwks(both));
    tokio::time::sleep(COOLDOWN).await;
    assert!(app.handle(&event(&new), NOW).await.is_ok());
    assert!(app.handle(&event(&old), NOW).await.is_ok());
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn a_failing_jwks_keeps_the_cached_keys() {
    let issuer = Issuer::generate("k1").unwrap();
    let server = jwks_server(JwksAnswer::Jwks(issuer.jwks())).await;
    let app = app(&server.jwks_url()).await;
    server.set_answer(JwksAnswer::Status(500));
    tokio::time::sleep(COOLDOWN).await;
    let forger = Issuer::generate("k2").unwrap();
    assert!(app.handle(&event(&forger), NOW).await.is_err());
    assert_eq!(server.fetches(), 2);
    assert!(
        app.handle(&event(&issuer), NOW).await.is_ok(),
        "cached key still verifies"
    );
}

#[tokio::test]
async fn an_unreachable_jwks_answers_unauthorized_within_three_seconds() {
    let issuer = Issuer::generate("k1").unwrap();
    // A server that accepts connections and never answers: the worst case.
    let server = jwks_server(JwksAnswer::Hang).await;
    let started = Instant::now();
    let app = app(&server.jwks_url()).await;
    let cold_start = started.elapsed();
    assert!(
        cold_start < FETCH_TIMEOUT + Duration::from_millis(500),
        "start-up fetch is bounded: {cold_start:?}"
    );

    // After the cooldown the request itself triggers a refetch that hangs.
    tokio::time::sleep(COOLDOWN).await;
    let asked = Instant::now();
    assert_eq!(
        app.handle(&event(&issuer), NOW).await.unwrap_err(),
        Unauthorized
    );
    let answered = asked.elapsed();
    assert!(
        answered < Duration::from_secs(3),
        "answered after {answered:?}"
    );
}

#[tokio::test]
async fn a_closed_port_answers_unauthorized_at_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = app(&format!("http://127.0.0.1:{port}/jwks.json")).await;
    let issuer = Issuer::generate("k1").unwrap();
    let asked = Instant::now();
    assert!(app.handle(&event(&issuer), NOW).await.is_err());
    assert!(asked.elapsed() < Duration::from_secs(3));
}
