//! The real `authorizer` binary trusting two user pools (`TRUSTED_POOLS`),
//! each with its own signing key, JWKS server and app client, driven
//! through the Lambda Runtime API emulator: a token's `iss` selects one
//! pool, and nothing crosses between them.
//!
//! - each pool's token is allowed, and the context names its pool and issuer;
//! - A's client with B's issuer and key, A's key under B's issuer (A's `kid`
//!   and B's), B's client under A's issuer: all refused;
//! - a token from an unconfigured issuer, with a JWKS of its own: refused,
//!   and that JWKS is never fetched;
//! - one pool's JWKS down (403, 503, garbage, hanging, nothing listening):
//!   start-up goes on, the other pool's tokens are allowed, the down
//!   pool's refused;
//! - the keys of a pool are fetched at its first token, once;
//! - per-pool snapshots (`jwks_file`): a good one serves its pool with no
//!   fetch, a bad one is logged naming `TRUSTED_POOLS` and the file at its
//!   pool's first token, whose keys are then fetched; with one pool, a bad
//!   one stops start-up.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::rig::{LAMBDA_ENV, SCOPE};
use testkit::{
    Issuer, JwksAnswer, JwksServer, Logs, Outcome, ROUTE_SCOPES, Running, m2m_claims, temp_file,
    token_event, unix_now,
};

const POOL_A: &str = "us-east-1_TenantA1";
const POOL_B: &str = "eu-west-1_TenantB2";
const CLIENT_A: &str = "clientaaaaaaaaaaaaaaaaaaaa";
const CLIENT_B: &str = "clientbbbbbbbbbbbbbbbbbbbb";

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_authorizer"))
}

/// A pool under test: its key and the server its JWKS is fetched from.
struct Pool {
    id: &'static str,
    client: &'static str,
    key: Issuer,
    jwks: JwksServer,
}

impl Pool {
    async fn serving(id: &'static str, client: &'static str, kid: &str) -> Self {
        let key = Issuer::generate(kid).unwrap();
        let jwks = JwksServer::http(id, JwksAnswer::Jwks(key.jwks()))
            .await
            .unwrap();
        Self {
            id,
            client,
            key,
            jwks,
        }
    }

    async fn answering(id: &'static str, client: &'static str, answer: JwksAnswer) -> Self {
        let key = Issuer::generate("down").unwrap();
        let jwks = JwksServer::http(id, answer).await.unwrap();
        Self {
            id,
            client,
            key,
            jwks,
        }
    }

    fn issuer(&self) -> &str {
        self.jwks.issuer_url()
    }

    fn entry(&self) -> Value {
        json!({
            "user_pool_id": self.id,
            "client_ids": [self.client],
            "issuers": [self.issuer()],
            "jwks_url": self.jwks.jwks_url(),
        })
    }

    /// A valid token of this pool, signed with `key` (normally its own).
    fn token_signed_by(&self, key: &Issuer, client: &str) -> String {
        let claims = m2m_claims(self.issuer(), client, SCOPE, unix_now(), 3_600);
        key.access_token(&claims).unwrap()
    }

    fn token(&self) -> String {
        self.token_signed_by(&self.key, self.client)
    }
}

/// The function with `TRUSTED_POOLS` = `pools` (their entries), running
/// against its own emulator.
struct Function(Running);

impl Function {
    async fn start(pools: &[Value]) -> Self {
        Self::start_logging(pools, Logs::Hidden).await
    }

    async fn start_logging(pools: &[Value], logs: Logs) -> Self {
        let pools = Value::Array(pools.to_vec()).to_string();
        let env = [
            ("TRUSTED_POOLS", pools.as_str()),
            ("ROUTE_SCOPES", ROUTE_SCOPES),
        ];
        let running = Running::spawn(binary().as_os_str(), &[], &env, logs, |_| {})
            .await
            .unwrap();
        Self(running)
    }

    async fn answer(&mut self, token: &str) -> Outcome {
        let invocation = self.0.api.push(token_event(token).to_string());
        self.0.answer(invocation).await.unwrap()
    }

    async fn stop(self) {
        self.0.stop().await.unwrap();
    }
}

/// The context of an Allow answer, or why there is none.
fn allowed(outcome: &Outcome) -> Result<&Value, String> {
    let answer = outcome
        .result
        .as_ref()
        .map_err(|e| format!("{}: {}", e.error_type, e.error_message))?;
    match answer["policyDocument"]["Statement"][0]["Effect"].as_str() {
        Some("Allow") => Ok(&answer["context"]),
        _ => Err(answer.to_string()),
    }
}

fn unauthorized(outcome: &Outcome) -> bool {
    matches!(&outcome.result, Err(e) if e.error_message == "Unauthorized")
}

#[tokio::test]
async fn nothing_crosses_between_two_pools() {
    let a = Pool::serving(POOL_A, CLIENT_A, "kid-a").await;
    let b = Pool::serving(POOL_B, CLIENT_B, "kid-b").await;
    // Configured nowhere: its JWKS would verify its token, if anyone asked.
    let stranger = Pool::serving("us-east-1_Stranger", CLIENT_A, "kid-s").await;
    let mut function = Function::start(&[a.entry(), b.entry()]).await;

    let context = allowed(&function.answer(&a.token()).await).unwrap().clone();
    assert_eq!(context["user_pool_id"], POOL_A);
    assert_eq!(context["iss"], a.issuer());
    assert_eq!(context["client_id"], CLIENT_A);
    let context = allowed(&function.answer(&b.token()).await).unwrap().clone();
    assert_eq!(context["user_pool_id"], POOL_B);
    assert_eq!(context["iss"], b.issuer());
    assert_eq!(
        (a.jwks.fetches(), b.jwks.fetches()),
        (1, 1),
        "each pool's keys fetched at its first token"
    );

    // A's key signing a token with B's kid in its header.
    let mut b_kid_header = a.key.header();
    b_kid_header["kid"] = json!("kid-b");
    let b_claims = m2m_claims(b.issuer(), CLIENT_B, SCOPE, unix_now(), 3_600);
    let a_key_as_b_kid = a
        .key
        .sign_raw(
            &b_kid_header,
            serde_json::to_string(&b_claims).unwrap().as_bytes(),
        )
        .unwrap();
    let cases: [(&str, String); 6] = [
        (
            "A's client with B's issuer and key",
            b.token_signed_by(&b.key, CLIENT_A),
        ),
        (
            "B's client with A's issuer and key",
            a.token_signed_by(&a.key, CLIENT_B),
        ),
        (
            "A's key under B's issuer",
            b.token_signed_by(&a.key, CLIENT_B),
        ),
        (
            "B's key under A's issuer",
            a.token_signed_by(&b.key, CLIENT_A),
        ),
        ("A's key naming B's kid under B's issuer", a_key_as_b_kid),
        ("an unconfigured issuer", stranger.token()),
    ];
    for (name, token) in cases {
        let outcome = function.answer(&token).await;
        assert!(unauthorized(&outcome), "{name}: {:?}", outcome.result);
    }
    assert_eq!(
        stranger.jwks.fetches(),
        0,
        "an unconfigured issuer's JWKS is never fetched"
    );
    assert!(
        a.jwks.fetches() <= 2 && b.jwks.fetches() <= 2,
        "an unknown kid refetches only its own pool's JWKS, under its cooldown: {} {}",
        a.jwks.fetches(),
        b.jwks.fetches()
    );
    // Still both pools' own tokens.
    allowed(&function.answer(&a.token()).await).unwrap();
    allowed(&function.answer(&b.token()).await).unwrap();
    function.stop().await;
}

#[tokio::test]
async fn one_pool_whose_jwks_is_down_touches_no_other_pool() {
    let closed = {
        // A port nothing listens on any more.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let downs = [
        ("403", JwksAnswer::Status(403)),
        ("503", JwksAnswer::Status(503)),
        (
            "garbage",
            JwksAnswer::Body("<html>not a JWKS</html>".into()),
        ),
        ("no RS256 key", JwksAnswer::Body(r#"{"keys":[]}"#.into())),
        ("hanging past the fetch timeout", JwksAnswer::Hang),
        ("nothing listening", JwksAnswer::Status(503)),
    ];
    for (name, answer) in downs {
        let b = Pool::serving(POOL_B, CLIENT_B, "kid-b").await;
        let down = Pool::answering(POOL_A, CLIENT_A, answer).await;
        let mut entry_down = down.entry();
        if name == "nothing listening" {
            entry_down["jwks_url"] = json!(format!(
                "http://127.0.0.1:{closed}/{POOL_A}/.well-known/jwks.json"
            ));
        }
        let mut function = Function::start(&[entry_down, b.entry()]).await;

        let outcome = function.answer(&down.token()).await;
        assert!(unauthorized(&outcome), "{name}: the down pool's token");
        let context = allowed(&function.answer(&b.token()).await)
            .unwrap_or_else(|e| panic!("{name}: the other pool's token: {e}"))
            .clone();
        assert_eq!(context["user_pool_id"], POOL_B, "{name}");
        assert_eq!(b.jwks.fetches(), 1, "{name}");
        function.stop().await;
    }
}

#[tokio::test]
async fn snapshots_serve_their_own_pool_and_a_bad_one_only_costs_its_pool_a_fetch() {
    let a = Pool::serving(POOL_A, CLIENT_A, "kid-a").await;
    let b = Pool::serving(POOL_B, CLIENT_B, "kid-b").await;
    let snapshot = temp_file("trusted-pools-a.json", a.key.jwks().to_string().as_bytes()).unwrap();
    let bad = temp_file("trusted-pools-bad.json", b"{\"keys\": [").unwrap();
    let mut entry_a = a.entry();
    entry_a["jwks_file"] = json!(snapshot.path());
    let mut entry_b = b.entry();
    entry_b["jwks_file"] = json!(bad.path());
    let mut function =
        Function::start_logging(&[entry_a.clone(), entry_b.clone()], Logs::Captured).await;

    let context = allowed(&function.answer(&a.token()).await).unwrap().clone();
    assert_eq!(context["user_pool_id"], POOL_A);
    assert_eq!(a.jwks.fetches(), 0, "pool A's keys came from its snapshot");
    // A's snapshot does not verify B's tokens under A's issuer.
    assert!(unauthorized(
        &function.answer(&a.token_signed_by(&b.key, CLIENT_A)).await
    ));
    let context = allowed(&function.answer(&b.token()).await).unwrap().clone();
    assert_eq!(context["user_pool_id"], POOL_B);
    assert_eq!(b.jwks.fetches(), 1, "B's bad snapshot: its keys fetched");
    let logs = function.0.stop_and_read_logs().await.unwrap();
    let named = format!("TRUSTED_POOLS is invalid: {}: ", bad.path().display());
    assert!(logs.contains(&named), "{logs}");
    let good = format!("TRUSTED_POOLS is invalid: {}", snapshot.path().display());
    assert!(
        !logs.contains(&good),
        "A's snapshot is not reported: {logs}"
    );

    // One pool (TRUSTED_POOLS with one entry) reads its snapshot at start,
    // as JWKS_FILE does: a bad one stops start-up.
    let output = tokio::process::Command::new(binary())
        .env_clear()
        // Never reached: start-up stops before the first poll.
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .envs(LAMBDA_ENV)
        .env("TRUSTED_POOLS", json!([entry_b]).to_string())
        .env("ROUTE_SCOPES", ROUTE_SCOPES)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(10), output)
        .await
        .expect("start-up ends")
        .unwrap();
    assert!(!output.status.success());
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(logs.contains(&named), "{logs}");
}
