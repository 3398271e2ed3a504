//! Where the real `authorizer` binary gets its keys at start-up, driven
//! through the Lambda Runtime API emulator with only the variables Lambda
//! and the template set (testkit's [`Rig`]):
//!
//! - the JWKS over real TLS on loopback, its test CA trusted through
//!   `SSL_CERT_FILE` as a Lambda function trusts its CA bundle; an
//!   untrusted certificate and a redirect to another host both leave the
//!   function without keys (`Unauthorized`), never with an insecure fallback;
//! - a JWKS snapshot (`JWKS_FILE`): no fetch at all, the normal refetch for
//!   a `kid` it lacks, and start-up refused when the file is malformed.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use testkit::rig::{POOL_ID, SCOPE};
use testkit::{
    Issuer, JwksAnswer, JwksServer, Keys, NamedTempFile, Outcome, Rig, TestCa, expect_allow,
    expect_unauthorized, temp_file, token_event,
};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_authorizer"))
}

/// Starts the function with one valid token's event queued, returns its answer, stops it.
async fn first_answer(rig: &Rig, env: &[(&str, &str)]) -> Outcome {
    let event = token_event(&rig.token(SCOPE).unwrap()).to_string();
    let mut first = None;
    let mut running = rig
        .spawn_program(binary().as_os_str(), &[], env, |api| {
            first = Some(api.push(event))
        })
        .await
        .unwrap();
    let outcome = running.answer(first.unwrap()).await.unwrap();
    running.stop().await.unwrap();
    outcome
}

fn trusting(ca: &TestCa) -> NamedTempFile {
    temp_file("start-up-keys-ca.pem", ca.root_pem().as_bytes()).unwrap()
}

#[tokio::test]
async fn keys_load_over_https_from_a_ca_trusted_through_ssl_cert_file() {
    let rig = Rig::with_keys(binary(), false, Keys::Https).await.unwrap();
    assert!(rig.jwks.jwks_url().starts_with("https://127.0.0.1:"));
    expect_allow(&first_answer(&rig, &[]).await).unwrap();
    assert_eq!(rig.jwks.fetches(), 1);
    assert_eq!(rig.jwks.failed_handshakes(), 0);
}

#[tokio::test]
async fn an_untrusted_certificate_leaves_the_function_without_keys() {
    let (trusted, other) = (
        TestCa::generate("trusted").unwrap(),
        TestCa::generate("other").unwrap(),
    );
    let issuer = Issuer::generate("k1").unwrap();
    let server = JwksServer::https(
        POOL_ID,
        JwksAnswer::Jwks(issuer.jwks()),
        &other,
        "127.0.0.1",
    )
    .await
    .unwrap();
    let ca_file = trusting(&trusted);
    let rig = Rig::with_jwks(binary(), false, issuer, server)
        .unwrap()
        .with_env(&format!("SSL_CERT_FILE={}", ca_file.path().display()))
        .unwrap();

    expect_unauthorized(&first_answer(&rig, &[]).await).unwrap();
    // The server's side of the refused handshake is a task of this test's
    // runtime; give it the time to see the connection end.
    for _ in 0..100 {
        if rig.jwks.failed_handshakes() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        rig.jwks.failed_handshakes() >= 1,
        "the function tried TLS and refused the certificate"
    );
    assert_eq!(rig.jwks.fetches(), 0, "no request got through");
}

#[tokio::test]
async fn a_redirect_to_another_host_leaves_the_function_without_keys() {
    let ca = TestCa::generate("perf").unwrap();
    let ca_file = trusting(&ca);
    let issuer = Issuer::generate("k1").unwrap();
    // The target serves the right keys with a trusted certificate: only
    // the refusal to follow the redirect keeps them out.
    let target = JwksServer::https(POOL_ID, JwksAnswer::Jwks(issuer.jwks()), &ca, "localhost")
        .await
        .unwrap();
    let redirect = JwksServer::https(
        POOL_ID,
        JwksAnswer::RedirectTo(target.jwks_url()),
        &ca,
        "127.0.0.1",
    )
    .await
    .unwrap();
    let redirect_url = redirect.jwks_url();
    let rig = Rig::with_jwks(binary(), false, issuer, target)
        .unwrap()
        .with_env(&format!("SSL_CERT_FILE={}", ca_file.path().display()))
        .unwrap();

    let outcome = first_answer(&rig, &[("JWKS_URL", &redirect_url)]).await;
    expect_unauthorized(&outcome).unwrap();
    assert_eq!(redirect.fetches(), 1);
    assert_eq!(rig.jwks.fetches(), 0, "the redirect was not followed");

    // The same function pointed at the target itself loads the keys.
    expect_allow(&first_answer(&rig, &[]).await).unwrap();
    assert_eq!(rig.jwks.fetches(), 1);
}

#[tokio::test]
async fn a_snapshot_answers_without_any_fetch() {
    let rig = Rig::with_keys(binary(), false, Keys::Snapshot)
        .await
        .unwrap();
    expect_allow(&first_answer(&rig, &[]).await).unwrap();
    assert_eq!(rig.jwks.fetches(), 0);
}

#[tokio::test]
async fn a_kid_the_snapshot_lacks_is_fetched() {
    let (old, new) = (
        Issuer::generate("old").unwrap(),
        Issuer::generate("new").unwrap(),
    );
    let snapshot = temp_file("start-up-keys-jwks.json", old.jwks().to_string().as_bytes()).unwrap();
    let both = serde_json::json!({"keys": [old.jwk(), new.jwk()]});
    let server = JwksServer::http(POOL_ID, JwksAnswer::Jwks(both))
        .await
        .unwrap();
    // Tokens are signed with the new key, which the snapshot does not hold.
    let rig = Rig::with_jwks(binary(), false, new, server)
        .unwrap()
        .with_env(&format!("JWKS_FILE={}", snapshot.path().display()))
        .unwrap();
    expect_allow(&first_answer(&rig, &[]).await).unwrap();
    assert_eq!(rig.jwks.fetches(), 1);
}

#[tokio::test]
async fn a_malformed_snapshot_stops_start_up_naming_the_variable_and_the_file() {
    let snapshot = temp_file("start-up-keys-bad.json", b"{\"keys\": not json").unwrap();
    let mut command = tokio::process::Command::new(binary());
    command
        .env_clear()
        // Never reached: start-up stops before the first poll.
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("USER_POOL_ID", POOL_ID)
        .env("APP_CLIENT_IDS", "client")
        .env("ROUTE_SCOPES", r#"{"GET /book":["API/book.get"]}"#)
        .env("JWKS_FILE", snapshot.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(10), command.output())
        .await
        .expect("start-up ends")
        .unwrap();
    assert!(!output.status.success());
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let named = format!("JWKS_FILE is invalid: {}: ", snapshot.path().display());
    assert!(logs.contains(&named), "{logs}");
}
