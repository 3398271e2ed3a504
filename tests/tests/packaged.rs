//! What ships is what is tested: the `bootstrap` binaries `sam build` puts
//! in `.aws-sam/build/` (arm64 release builds, or x86-64 when sam-check
//! falls back), run as Lambda runs them, through the Runtime API emulator
//! ([`testkit::RuntimeApi`]), with only the variables the template
//! sets (and a JWKS snapshot instead of a fetch from Cognito).
//!
//! - The authorizer, against tokens of a local issuer: allowed, a route the
//!   token's scopes do not cover (API Gateway's 403), a forged signature,
//!   an expired token and a non-bearer header (its 401). Each answer must
//!   equal the one the same code gives in-process, so the release build,
//!   its target and its allocator change nothing.
//! - The handler, against every proxy event in `events/`: the status and
//!   body the in-process handler gives.
//! - The pre-token-generation trigger, against Cognito's events (those in
//!   `events/`, other users, events it must refuse): the answer or the
//!   error the in-process `pretoken::answer` gives.
//!
//! A bootstrap for this machine's CPU runs natively; an arm64 one on
//! x86-64 runs under qemu-user (`qemu-aarch64 -L /usr/aarch64-linux-gnu`,
//! Debian's `qemu-user` and `libc6-arm64-cross`). Built only with the
//! `packaged` feature (`scripts/packaged-test`, which CI runs after
//! sam-check), as it needs `sam build`'s output.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use authorizer::{Authorizer, KeySet, policy};
use local::Template;
use serde_json::{Value, json};
use shared::AccessTokenClaims;
use testkit::{FunctionError, RuntimeApi};
use testkit::{Issuer, m2m_claims};
use tokio::process::{Child, Command};

/// Where `sam build` leaves the functions; `PACKAGED_BUILD_DIR` overrides it.
const BUILD_DIR_VAR: &str = "PACKAGED_BUILD_DIR";
const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");
/// Debian's arm64 C library for qemu-user (`libc6-arm64-cross`).
const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";
/// Emulated, a cold start and an answer take longer than natively.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

const POOL_ID: &str = "us-east-1_Packaged1";
const M2M_CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
const WEB_CLIENT: &str = "6p7q8r9s0t1u2v3w4x5y6z7a8b";
const KID: &str = "packaged-kid";
const STAGE_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";

fn build_dir() -> PathBuf {
    std::env::var_os(BUILD_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.aws-sam/build"))
}

/// The packaged `bootstrap` of a template function.
fn bootstrap(function: &str) -> PathBuf {
    let path = build_dir().join(function).join("bootstrap");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/sam-check (sam build) first, or set {BUILD_DIR_VAR}",
        path.display()
    );
    path
}

/// The CPU an ELF executable is for, from its header's `e_machine`.
fn elf_machine(path: &Path) -> &'static str {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() > 20 && bytes.starts_with(b"\x7fELF"),
        "{} is not an ELF executable",
        path.display()
    );
    match u16::from_le_bytes([bytes[18], bytes[19]]) {
        0x3e => "x86_64",
        0xb7 => "aarch64",
        other => panic!("{}: unexpected ELF machine {other:#x}", path.display()),
    }
}

/// The command that runs `bootstrap` here: itself, or under qemu-user.
fn command_for(bootstrap: &Path) -> Command {
    let machine = elf_machine(bootstrap);
    if machine == std::env::consts::ARCH {
        return Command::new(bootstrap);
    }
    assert_eq!(
        machine,
        "aarch64",
        "no emulator known for {machine} on {}",
        std::env::consts::ARCH
    );
    let qemu = "qemu-aarch64";
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(qemu).is_file()));
    assert!(
        found && Path::new(AARCH64_SYSROOT).join("lib").is_dir(),
        "running the arm64 bootstrap here needs {qemu} and {AARCH64_SYSROOT}: \
         apt-get install qemu-user libc6-arm64-cross"
    );
    let mut command = Command::new(qemu);
    command.arg("-L").arg(AARCH64_SYSROOT).arg(bootstrap);
    command
}

/// A packaged function running against its own Runtime API emulator.
struct Function {
    api: RuntimeApi,
    child: Child,
}

impl Function {
    /// Starts `bootstrap` with Lambda's variables, `env` and nothing else.
    async fn start(name: &str, bootstrap: &Path, env: &[(&str, String)]) -> Self {
        let api = RuntimeApi::start().await.expect("runtime API emulator");
        let mut command = command_for(bootstrap);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/packaged/{name}"),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "packaged")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .env("AWS_REGION", "us-east-1")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bootstrap.display()));
        Self { api, child }
    }

    /// The function's answer to `event`; panics if it exits or takes too long.
    async fn invoke(&mut self, event: &Value) -> Result<Value, FunctionError> {
        let invocation = self.api.push(event.to_string());
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(ANSWER_TIMEOUT, invocation.outcome()) => outcome,
            status = self.child.wait() => panic!("the function exited: {status:?}"),
        };
        outcome
            .unwrap_or_else(|_| panic!("no answer within {ANSWER_TIMEOUT:?}"))
            .expect("emulator running")
            .result
    }

    /// Stops the process and waits for it.
    async fn stop(mut self) {
        self.child.start_kill().expect("kill the function");
        self.child.wait().await.expect("wait for the function");
    }
}

/// The example events in `events/` whose names start with `prefix`, as
/// (file name, text), in name order.
fn example_events(prefix: &str) -> Vec<(String, String)> {
    let mut events: Vec<(String, String)> = std::fs::read_dir(EVENTS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            (name.starts_with(prefix) && name.ends_with(".json"))
                .then(|| (name, std::fs::read_to_string(&path).unwrap()))
        })
        .collect();
    events.sort();
    events
}

// ------------------------------------------------------------ authorizer

/// A temporary file removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn write(name: &str, contents: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("temp file");
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn now() -> i64 {
    authorizer::service::now()
}

fn token_event(authorization: &str, method: &str, path: &str) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": authorization,
        "methodArn": format!("{STAGE_ARN}/{method}{path}"),
    })
}

/// What the same authorizer code answers in-process, and whether it allows
/// the called route (`None`: `Unauthorized`).
fn in_process(
    authorizer: &Authorizer,
    keys: &KeySet,
    event: &Value,
) -> (Result<Value, String>, Option<bool>) {
    let text = event.to_string();
    match authorizer.decide(&text, keys, now()) {
        Ok(decision) => {
            let allows = decision.allows_called_route();
            let answer = policy::response(decision, authorizer.routes());
            (Ok(serde_json::to_value(answer).unwrap()), Some(allows))
        }
        Err(_) => (Err("Unauthorized".into()), None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_authorizer_answers_as_the_code_does() {
    let bootstrap = bootstrap("AuthorizerFunction");
    let issuer = Issuer::generate(KID).unwrap();
    let jwks = TempFile::write("packaged-jwks.json", issuer.jwks().to_string().as_bytes());
    let iss = format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}");
    // The variables the template sets, and the snapshot in place of a fetch.
    let route_scopes = Template::load(TEMPLATE)
        .unwrap()
        .route_scopes_json()
        .unwrap();
    let env = [
        ("USER_POOL_ID", POOL_ID.to_string()),
        ("APP_CLIENT_IDS", format!("{M2M_CLIENT},{WEB_CLIENT}")),
        ("ROUTE_SCOPES", route_scopes),
        ("JWKS_FILE", jwks.0.display().to_string()),
    ];
    let config = authorizer::Config::from_lookup(|name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
    .unwrap();
    let authorizer = Authorizer::new(&config);
    let (keys, _) = KeySet::from_jwks(issuer.jwks().to_string().as_bytes()).unwrap();

    let sign =
        |claims: &AccessTokenClaims| format!("Bearer {}", issuer.access_token(claims).unwrap());
    let read = "awesomeapi-resource-server/awesomeapi.read";
    let machine = m2m_claims(
        &iss,
        M2M_CLIENT,
        &format!("{read} API/book.get"),
        now(),
        3600,
    );
    let user = AccessTokenClaims {
        sub: Some("0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0".into()),
        username: Some("0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0".into()),
        ..m2m_claims(&iss, WEB_CLIENT, &format!("openid {read}"), now(), 900)
    };
    let expired = m2m_claims(&iss, M2M_CLIENT, read, now() - 7200, 3600);
    let forged = {
        let (a, b) = (sign(&machine), sign(&user));
        let signature = b.rsplit_once('.').unwrap().1;
        format!("{}.{signature}", a.rsplit_once('.').unwrap().0)
    };
    // (case, Authorization, method, path, API Gateway's answer)
    let cases = [
        (
            "client credentials",
            sign(&machine),
            "GET",
            "/book",
            "allow",
        ),
        ("signed-in user", sign(&user), "GET", "/awesomeapi", "allow"),
        ("scope missing", sign(&user), "GET", "/book", "403"),
        ("no scope for /user", sign(&machine), "POST", "/user", "403"),
        ("forged signature", forged, "GET", "/book", "401"),
        ("expired", sign(&expired), "GET", "/awesomeapi", "401"),
        (
            "not a bearer token",
            "Basic YTpi".to_string(),
            "GET",
            "/book",
            "401",
        ),
    ];

    let mut function = Function::start("authorizer", &bootstrap, &env).await;
    for (case, authorization, method, path, expected) in &cases {
        let event = token_event(authorization, method, path);
        let (want, allows) = in_process(&authorizer, &keys, &event);
        let got = function
            .invoke(&event)
            .await
            .map_err(|e| format!("{}: {}", e.error_type, e.error_message));
        let outcome = match (&got, allows) {
            (Ok(_), Some(true)) => "allow",
            (Ok(_), Some(false)) => "403",
            (Err(e), None) if e == "Unauthorized: Unauthorized" => "401",
            _ => "mismatch",
        };
        assert_eq!(
            outcome, *expected,
            "{case}: packaged {got:?}, in-process {want:?}"
        );
        match (&got, &want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{case}: the packaged policy differs"),
            (Err(_), Err(_)) => {}
            _ => panic!("{case}: packaged {got:?}, in-process {want:?}"),
        }
    }
    function.stop().await;
}

// --------------------------------------------------------------- handler

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_handler_answers_every_example_event_as_the_code_does() {
    let bootstrap = bootstrap("HandlerFunction");
    let origin = "http://localhost:8080";
    let config = handler::Config::from_lookup(|name| {
        (name == handler::config::ALLOWED_ORIGINS_VAR).then(|| origin.to_string())
    })
    .unwrap();
    let env = [(handler::config::ALLOWED_ORIGINS_VAR, origin.to_string())];
    let events = example_events("handler-");
    assert!(events.len() >= 3, "events/ has the handler's examples");

    let mut function = Function::start("handler", &bootstrap, &env).await;
    for (name, text) in &events {
        let request = lambda_http::request::from_str(text).unwrap();
        let want = handler::answer(&config, &request);
        let want_body: Value = match want.body() {
            lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap(),
            other => panic!("{name}: in-process body is not text: {other:?}"),
        };
        let event: Value = serde_json::from_str(text).unwrap();
        let got = function
            .invoke(&event)
            .await
            .unwrap_or_else(|e| panic!("{name}: {}: {}", e.error_type, e.error_message));
        assert_eq!(got["statusCode"], want.status().as_u16(), "{name}: {got}");
        let got_body: Value = serde_json::from_str(got["body"].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{name}: body is not JSON ({e}): {got}"));
        assert_eq!(got_body, want_body, "{name}");
        // lambda_http answers REST events with every header in
        // multiValueHeaders, and payload 2.0 events with each header's
        // values joined in headers (cookies apart).
        let http_api = event["version"] == "2.0";
        let mut want_headers = serde_json::Map::new();
        for name in want.headers().keys() {
            let values: Vec<&str> = want
                .headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect();
            let value = if http_api {
                json!(values.join(","))
            } else {
                json!(values)
            };
            want_headers.insert(name.to_string(), value);
        }
        let headers = if http_api {
            "headers"
        } else {
            "multiValueHeaders"
        };
        assert_eq!(got[headers], Value::Object(want_headers), "{name}: {got}");
    }
    function.stop().await;
}

// -------------------------------------------------------------- pretoken

/// Cognito's events for the trigger: every `pretoken-*.json` in `events/`,
/// the same with another user (a reader, an editor refreshing) and a few an
/// answer must refuse (named errors, no token).
fn trigger_events() -> Vec<(String, Value)> {
    let mut events: Vec<(String, Value)> = example_events("pretoken-")
        .into_iter()
        .map(|(name, text)| (name, serde_json::from_str(&text).unwrap()))
        .collect();
    assert!(events.len() >= 2, "events/ has the trigger's examples");
    let editor = events
        .iter()
        .find(|(_, e)| e["triggerSource"] == "TokenGeneration_HostedAuth")
        .map(|(_, e)| e.clone())
        .expect("a hosted sign-in example in events/");
    let mut reader = editor.clone();
    reader["request"]["groupConfiguration"]["groupsToOverride"] = json!(["readers"]);
    reader["request"]["scopes"]
        .as_array_mut()
        .unwrap()
        .push(json!("API/book.post"));
    let mut refresh = editor.clone();
    refresh["triggerSource"] = json!("TokenGeneration_RefreshTokens");
    let mut other_trigger = editor.clone();
    other_trigger["triggerSource"] = json!("PreSignUp_SignUp");
    let mut no_request = editor.clone();
    no_request.as_object_mut().unwrap().remove("request");
    events.extend([
        ("a reader asking for the editor scope".to_string(), reader),
        ("an editor's refresh".to_string(), refresh),
        ("another trigger's event".to_string(), other_trigger),
        ("no request".to_string(), no_request),
        (
            "not an object".to_string(),
            json!(["TokenGeneration_HostedAuth"]),
        ),
    ]);
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_trigger_answers_cognitos_events_as_the_code_does() {
    let bootstrap = bootstrap("PreTokenFunction");
    // The variables the template gives the function, read as the local
    // pool reads them (the trigger attached, as with V3_0).
    let trigger = Template::load(TEMPLATE)
        .unwrap()
        .with_parameters([("PreTokenGenerationVersion", "V3_0")])
        .unwrap()
        .pre_token_trigger()
        .unwrap()
        .expect("the template attaches the trigger with V3_0");
    let env: Vec<(&str, String)> = trigger
        .environment
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    let config = pretoken::Config::from_lookup(|name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
    .unwrap();
    let rule = pretoken::Rule::new(config);

    let mut function = Function::start("pretoken", &bootstrap, &env).await;
    let mut answered = 0;
    for (case, event) in trigger_events() {
        let want = pretoken::answer(&rule, event.clone())
            .map(|answer| serde_json::to_value(answer).unwrap())
            .map_err(|e| (e.kind().to_string(), e.to_string()));
        let got = function
            .invoke(&event)
            .await
            .map_err(|e| (e.error_type, e.error_message));
        assert_eq!(got, want, "{case}: packaged vs in-process");
        answered += usize::from(got.is_ok());
    }
    // Both answers and refusals were compared.
    assert!(answered >= 4, "{answered} events answered");
    function.stop().await;
}
