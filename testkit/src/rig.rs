//! A function binary (the authorizer's `bootstrap`, or any other) run as
//! Lambda runs it, without AWS: a [`Rig`] holds a signing key, a loopback
//! JWKS server for it and the environment Lambda and the template give the
//! function; each [`Rig::spawn`] starts the binary against a fresh
//! [`RuntimeApi`] emulator, as Lambda starts a new execution environment.
//!
//! The authorizer's start-up tests and perf's harnesses drive it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thiserror::Error;
use tokio::process::{Child, Command};

use crate::clock::unix_now;
use crate::issuer::{Issuer, IssuerError, m2m_claims};
use crate::jwks_server::{JwksAnswer, JwksServer};
use crate::routes::{ROUTE_SCOPES, route_scopes};
use crate::runtime_api::{EmulatorError, Invocation, Outcome, RuntimeApi};
use crate::temp::{NamedTempFile, temp_file};
use crate::tls::{TestCa, TlsError};

/// The user pool the rig pretends to be.
pub const POOL_ID: &str = "us-east-1_PerfPool1";
/// The accepted app client.
pub const CLIENT_ID: &str = "4perfclient0000000000000ab";
/// The kid of the rig's signing key.
pub const KID: &str = "perf-kid";
/// The scopes of the walkthrough's client-credentials token.
pub const SCOPE: &str = "API/book.get API/book.post API/user.get";
/// The method ARN of the events.
pub const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/Prod/GET/book";
/// How long one answer may take before the run is declared failed.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a rig could not run its function, or the function answered wrongly.
#[derive(Debug, Error)]
pub enum RigError {
    /// Binding or serving a loopback socket, or a scratch file, failed.
    #[error("loopback server or scratch file: {0}")]
    Io(#[from] std::io::Error),
    /// The function binary is missing.
    #[error("{0} does not exist; build it with `cargo build --release -p authorizer`")]
    NoBinary(PathBuf),
    /// Minting tokens failed.
    #[error("signing: {0}")]
    Issuer(#[from] IssuerError),
    /// Making the test certificates failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// [`Keys::HttpsBundle`] found no system CA bundle.
    #[error("no system CA bundle at {SYSTEM_BUNDLES:?}")]
    NoCaBundle,
    /// An extra environment entry is not `NAME=VALUE`.
    #[error("{0:?} is not NAME=VALUE")]
    NotAnAssignment(String),
    /// The emulator stopped, or the process exited, before answering.
    #[error("the function did not answer: {0}")]
    NoAnswer(String),
    /// The answer was not the expected one.
    #[error("unexpected answer: {0}")]
    WrongAnswer(String),
    /// `/proc/<pid>/status` could not be read.
    #[error("reading the state of process {0} failed")]
    Proc(u32),
}

/// A TOKEN authorizer event carrying `token`.
pub fn token_event(token: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": METHOD_ARN})
}

/// How a spawned function gets its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Fetched at start from a plain-HTTP loopback JWKS.
    Http,
    /// Fetched at start over HTTPS; only the test CA is trusted (`SSL_CERT_FILE`).
    Https,
    /// Fetched at start over HTTPS; `SSL_CERT_FILE` is the system's CA bundle
    /// plus the test CA, so loading the roots costs what it does in production.
    HttpsBundle,
    /// Read from a JWKS snapshot (`JWKS_FILE`); no fetch at start.
    Snapshot,
}

impl Keys {
    /// Every variant, in the order `coldstart` alternates them.
    pub const ALL: [Keys; 4] = [Keys::Http, Keys::Https, Keys::HttpsBundle, Keys::Snapshot];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Keys::Http => "http",
            Keys::Https => "https",
            Keys::HttpsBundle => "https+bundle",
            Keys::Snapshot => "snapshot",
        }
    }

    /// The variant named `name` ([`Keys::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Where Debian and Amazon Linux keep the system's CA bundle.
pub const SYSTEM_BUNDLES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// A signing key, its JWKS server, and the authorizer binary to run.
pub struct Rig {
    /// Signs the tokens the function is sent; `jwks` serves its key.
    pub issuer: Issuer,
    /// Where the function fetches its keys (and how often it did).
    pub jwks: JwksServer,
    binary: PathBuf,
    show_logs: bool,
    token_issuer: String,
    extra_env: Vec<(String, String)>,
    _files: Vec<NamedTempFile>,
    routes: String,
}

/// A running authorizer process and its emulator.
pub struct Running {
    /// The Runtime API the process polls.
    pub api: RuntimeApi,
    /// The function's process, killed when dropped.
    pub child: Child,
    /// When it was spawned: where cold-start times count from.
    pub spawned_at: Instant,
}

impl Rig {
    /// A rig for `binary` with a plain-HTTP JWKS; `show_logs` passes the
    /// authorizer's log lines through.
    pub async fn new(binary: PathBuf, show_logs: bool) -> Result<Self, RigError> {
        Self::with_keys(binary, show_logs, Keys::Http).await
    }

    /// A rig for `binary` whose function gets its keys as `keys` says.
    pub async fn with_keys(binary: PathBuf, show_logs: bool, keys: Keys) -> Result<Self, RigError> {
        let issuer = Issuer::generate(KID)?;
        let mut files = Vec::new();
        let mut env = Vec::new();
        let jwks = match keys {
            Keys::Http | Keys::Snapshot => {
                JwksServer::http(POOL_ID, JwksAnswer::Jwks(issuer.jwks())).await?
            }
            Keys::Https | Keys::HttpsBundle => {
                let ca = TestCa::generate("rig")?;
                let mut bundle = Vec::new();
                if keys == Keys::HttpsBundle {
                    let system = SYSTEM_BUNDLES
                        .iter()
                        .find_map(|path| std::fs::read(path).ok())
                        .ok_or(RigError::NoCaBundle)?;
                    bundle.extend_from_slice(&system);
                    bundle.push(b'\n');
                }
                bundle.extend_from_slice(ca.root_pem().as_bytes());
                let file = temp_file("rig-ca.pem", &bundle)?;
                env.push(format!("SSL_CERT_FILE={}", file.path().display()));
                files.push(file);
                let answer = JwksAnswer::Jwks(issuer.jwks());
                JwksServer::https(POOL_ID, answer, &ca, "127.0.0.1").await?
            }
        };
        if keys == Keys::Snapshot {
            let file = temp_file("rig-jwks.json", issuer.jwks().to_string().as_bytes())?;
            env.push(format!("JWKS_FILE={}", file.path().display()));
            files.push(file);
        }
        let mut rig = Self::with_jwks(binary, show_logs, issuer, jwks)?;
        rig._files = files;
        for assignment in &env {
            rig = rig.with_env(assignment)?;
        }
        Ok(rig)
    }

    /// A rig for `binary` around a given key and JWKS server.
    pub fn with_jwks(
        binary: PathBuf,
        show_logs: bool,
        issuer: Issuer,
        jwks: JwksServer,
    ) -> Result<Self, RigError> {
        if !binary.is_file() {
            return Err(RigError::NoBinary(binary));
        }
        Ok(Self {
            token_issuer: jwks.issuer_url().to_string(),
            issuer,
            jwks,
            binary,
            show_logs,
            extra_env: Vec::new(),
            _files: Vec::new(),
            routes: ROUTE_SCOPES.to_string(),
        })
    }

    /// Configures `n` routes ([`route_scopes`]) instead of the template's five.
    pub fn with_routes(mut self, n: usize) -> Self {
        self.routes = route_scopes(n);
        self
    }

    /// Also sets `NAME=VALUE` (e.g. `SSL_CERT_FILE`) in the process's environment.
    pub fn with_env(mut self, assignment: &str) -> Result<Self, RigError> {
        let (name, value) = assignment
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| RigError::NotAnAssignment(assignment.to_string()))?;
        self.extra_env.push((name.to_string(), value.to_string()));
        Ok(self)
    }

    /// Tokens carry `issuer` (and `TOKEN_ISSUER` is set to it) instead of
    /// the JWKS server's URL, e.g. the pool's real Cognito issuer.
    pub fn with_token_issuer(mut self, issuer: &str) -> Self {
        self.token_issuer = issuer.to_string();
        self
    }

    /// A valid client-credentials token with `scope`, for an hour from now.
    pub fn token(&self, scope: &str) -> Result<String, RigError> {
        let claims = m2m_claims(&self.token_issuer, CLIENT_ID, scope, unix_now(), 3_600);
        Ok(self.issuer.access_token(&claims)?)
    }

    /// Starts the binary against a fresh emulator, `before_spawn` queueing
    /// the first events (as Lambda has the event waiting at a cold start).
    /// The process sees only the variables Lambda and the template would set.
    pub async fn spawn(&self, before_spawn: impl FnOnce(&RuntimeApi)) -> Result<Running, RigError> {
        self.spawn_program(self.binary.as_os_str(), &[], &[], before_spawn)
            .await
    }

    /// [`Rig::spawn`] for another program with arguments (a no-op function,
    /// `node script.mjs`, `taskset -c 1 <binary>`), given the same
    /// environment plus `env` (set last, so it overrides).
    pub async fn spawn_program(
        &self,
        program: &std::ffi::OsStr,
        args: &[std::ffi::OsString],
        env: &[(&str, &str)],
        before_spawn: impl FnOnce(&RuntimeApi),
    ) -> Result<Running, RigError> {
        let api = RuntimeApi::start().await?;
        before_spawn(&api);
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
            .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/perf/authorizer")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "perf")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .env("AWS_REGION", "us-east-1")
            .env("USER_POOL_ID", POOL_ID)
            .env("APP_CLIENT_IDS", format!("{CLIENT_ID},perfwebclient"))
            .env("ROUTE_SCOPES", &self.routes)
            .env("JWKS_URL", self.jwks.jwks_url())
            .env("TOKEN_ISSUER", &self.token_issuer)
            .envs(self.extra_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if !self.show_logs {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
        let spawned_at = Instant::now();
        let child = command.spawn()?;
        Ok(Running {
            api,
            child,
            spawned_at,
        })
    }
}

impl Running {
    /// Waits for an invocation's answer, failing if the process exits first.
    pub async fn answer(&mut self, invocation: Invocation) -> Result<Outcome, RigError> {
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(ANSWER_TIMEOUT, invocation.outcome()) => outcome,
            status = self.child.wait() => {
                return Err(RigError::NoAnswer(format!("the process exited: {status:?}")));
            }
        };
        match outcome {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(EmulatorError::Stopped)) => Err(RigError::NoAnswer("emulator stopped".into())),
            Err(_) => Err(RigError::NoAnswer(format!(
                "no answer within {ANSWER_TIMEOUT:?}"
            ))),
        }
    }

    /// The process's peak and current resident set, in KiB (`VmHWM`, `VmRSS`).
    pub fn memory_kib(&self) -> Result<(u64, u64), RigError> {
        let pid = self.child.id().ok_or(RigError::Proc(0))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map_err(|_| RigError::Proc(pid))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .ok_or(RigError::Proc(pid))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }

    /// Stops the process and waits for it.
    pub async fn stop(mut self) -> Result<(), RigError> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}

/// Checks an answer is an Allow policy for the token's routes.
pub fn expect_allow(outcome: &Outcome) -> Result<(), RigError> {
    let answer = outcome
        .result
        .as_ref()
        .map_err(|e| RigError::WrongAnswer(format!("{}: {}", e.error_type, e.error_message)))?;
    let effect = &answer["policyDocument"]["Statement"][0]["Effect"];
    if answer["principalId"] == CLIENT_ID && effect == "Allow" {
        Ok(())
    } else {
        Err(RigError::WrongAnswer(answer.to_string()))
    }
}

/// Checks an answer is an HTTP API simple answer that authorizes the call.
pub fn expect_authorized(outcome: &Outcome) -> Result<(), RigError> {
    let answer = outcome
        .result
        .as_ref()
        .map_err(|e| RigError::WrongAnswer(format!("{}: {}", e.error_type, e.error_message)))?;
    if answer["isAuthorized"] == true {
        Ok(())
    } else {
        Err(RigError::WrongAnswer(answer.to_string()))
    }
}

/// Checks an answer is the `Unauthorized` error.
pub fn expect_unauthorized(outcome: &Outcome) -> Result<(), RigError> {
    match &outcome.result {
        Err(e) if e.error_message == "Unauthorized" => Ok(()),
        other => Err(RigError::WrongAnswer(format!("{other:?}"))),
    }
}
