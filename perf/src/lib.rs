//! Measuring the real `authorizer` binary without AWS.
//!
//! A [`Rig`] holds what a run needs: a signing key, a loopback JWKS server
//! for it, and the authorizer's environment (the template's routes). Each
//! [`Rig::spawn`] starts the binary against a fresh
//! [`RuntimeApi`](local::lambda::runtime_api::RuntimeApi) emulator, as Lambda would
//! start a new execution environment. The binaries `coldstart` and `rss`
//! print the numbers the README's Performance section quotes, `invoke` the
//! per-invocation cost next to a no-op function (`noop`) and a Node
//! authorizer; [`tls`] serves the JWKS over HTTPS with a test CA.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use local::cognito::issuer::{Issuer, IssuerError, m2m_claims};
use local::lambda::runtime_api::{EmulatorError, Outcome, RuntimeApi};
use serde_json::{Value, json};
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

pub mod tls;

/// The user pool the rig pretends to be.
pub const POOL_ID: &str = "us-east-1_PerfPool1";
/// The accepted app client.
pub const CLIENT_ID: &str = "4perfclient0000000000000ab";
/// The kid of the rig's signing key.
pub const KID: &str = "perf-kid";
/// The template's routes, with its resource-server identifiers.
pub const ROUTE_SCOPES: &str = r#"{"GET /awesomeapi":["awesomeapi-resource-server/awesomeapi.read"],"GET /book":["API/book.get"],"POST /book":["API/book.post"],"GET /user":["API/user.get"],"POST /user":["API/user.post"]}"#;
/// A route table of `n` routes (at least the template's five) of the
/// template's shape: the template's routes, then `GET /resource<i>` and
/// `GET /resource<i>/{id}` pairs, each with its own scope.
pub fn route_scopes(n: usize) -> String {
    let mut table: serde_json::Map<String, Value> =
        serde_json::from_str(ROUTE_SCOPES).unwrap_or_default();
    let mut i = 0;
    while table.len() < n {
        let key = if i % 2 == 0 {
            format!("GET /resource{}", i / 2)
        } else {
            format!("GET /resource{}/{{id}}", i / 2)
        };
        table.insert(key, json!([format!("API/resource{}.read", i / 2)]));
        i += 1;
    }
    Value::Object(table).to_string()
}

/// `TRUSTED_POOLS` for `n` pools: the rig's ([`POOL_ID`], `issuer`, its JWKS
/// at `jwks_url`), then `us-east-1_PerfPool<i>` pools with their own issuer
/// and client, whose JWKS URLs point at the same server (only a token of
/// theirs would fetch them). `snapshot`, if any, is every pool's `jwks_file`.
pub fn trusted_pools(n: usize, issuer: &str, jwks_url: &str, snapshot: Option<&str>) -> String {
    let pools: Vec<Value> = (0..n.max(1))
        .map(|i| {
            let mut pool = if i == 0 {
                json!({
                    "user_pool_id": POOL_ID,
                    "client_ids": [CLIENT_ID, "perfwebclient"],
                    "issuers": [issuer],
                    "jwks_url": jwks_url,
                })
            } else {
                let id = format!("us-east-1_PerfPool{i:04}");
                json!({
                    "user_pool_id": id,
                    "client_ids": [format!("perfclient{i:04}")],
                    "issuers": [format!("{issuer}-{i:04}")],
                    "jwks_url": jwks_url,
                })
            };
            if let Some(file) = snapshot {
                pool["jwks_file"] = json!(file);
            }
            pool
        })
        .collect();
    Value::Array(pools).to_string()
}

/// The scopes of the walkthrough's client-credentials token.
pub const SCOPE: &str = "API/book.get API/book.post API/user.get";
/// The method ARN of the events.
pub const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/Prod/GET/book";
/// How long one answer may take before the run is declared failed.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a measurement could not be made.
#[derive(Debug, Error)]
pub enum PerfError {
    /// Binding or serving a loopback socket failed.
    #[error("loopback server: {0}")]
    Io(#[from] std::io::Error),
    /// The authorizer binary is missing.
    #[error("{0} does not exist; build it with `cargo build --release -p authorizer`")]
    NoBinary(PathBuf),
    /// Minting tokens failed.
    #[error("signing: {0}")]
    Issuer(#[from] IssuerError),
    /// The emulator stopped, or the process exited, before answering.
    #[error("the authorizer did not answer: {0}")]
    NoAnswer(String),
    /// The answer was not the expected one.
    #[error("unexpected answer: {0}")]
    WrongAnswer(String),
    /// A command-line argument is unusable.
    #[error("usage: {0}")]
    Usage(String),
    /// `/proc/<pid>/status` or the process's CPU clock could not be read.
    #[error("reading the state of process {0} failed")]
    Proc(u32),
    /// Making the test certificates or the TLS server configuration failed.
    #[error("test TLS: {0}")]
    Tls(String),
}

/// What the JWKS server answers at `/<pool>/.well-known/jwks.json`.
#[derive(Debug, Clone)]
pub enum JwksAnswer {
    /// 200 with this document.
    Jwks(Value),
    /// 302 to this URL (for the redirect test).
    RedirectTo(String),
    /// This status with an empty body (403, 503: a JWKS that is down).
    Status(u16),
    /// 200 with this body, which need not be a JWKS (garbage).
    Body(String),
    /// No answer for a minute: longer than any fetch timeout.
    Hang,
}

/// A loopback HTTP or HTTPS server answering `GET /<pool>/.well-known/jwks.json`.
pub struct JwksServer {
    addr: SocketAddr,
    origin: String,
    fetches: Arc<AtomicUsize>,
    failed_handshakes: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl JwksServer {
    /// Serves `jwks` over plain HTTP on a free loopback port.
    pub async fn start(jwks: &Value) -> Result<Self, PerfError> {
        Self::serve(JwksAnswer::Jwks(jwks.clone()), None, "127.0.0.1").await
    }

    /// Answers `answer` over plain HTTP on a free loopback port.
    pub async fn answering(answer: JwksAnswer) -> Result<Self, PerfError> {
        Self::serve(answer, None, "127.0.0.1").await
    }

    /// Serves `answer` over HTTPS with `ca`'s server certificate, on a free
    /// loopback port; URLs name the server by `host` (one of
    /// [`tls::SERVER_NAMES`]).
    pub async fn start_https(
        answer: JwksAnswer,
        ca: &tls::TestCa,
        host: &str,
    ) -> Result<Self, PerfError> {
        Self::serve(answer, Some(ca.acceptor()), host).await
    }

    async fn serve(
        answer: JwksAnswer,
        tls: Option<TlsAcceptor>,
        host: &str,
    ) -> Result<Self, PerfError> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let origin = format!("{scheme}://{host}:{}", addr.port());
        let reply = Arc::new(Reply {
            answer,
            path: format!("/{POOL_ID}/.well-known/jwks.json"),
            fetches: Arc::new(AtomicUsize::new(0)),
        });
        let fetches = Arc::clone(&reply.fetches);
        let failed_handshakes = Arc::new(AtomicUsize::new(0));
        let failed = Arc::clone(&failed_handshakes);
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                // The TLS handshake and the answer are several small writes:
                // with Nagle's algorithm one of them can wait for the
                // client's delayed ACK (40 ms), which no real server does.
                let _ = stream.set_nodelay(true);
                let (reply, tls, failed) = (Arc::clone(&reply), tls.clone(), Arc::clone(&failed));
                connections.spawn(async move {
                    match tls {
                        None => serve_http(stream, reply).await,
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => serve_http(stream, reply).await,
                            Err(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        },
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self {
            addr,
            origin,
            fetches,
            failed_handshakes,
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer URL the tokens carry: `<scheme>://<host>:<port>/<pool>`.
    pub fn issuer_url(&self) -> String {
        format!("{}/{POOL_ID}", self.origin)
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer_url())
    }

    /// How many requests for the JWKS path arrived.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::Relaxed)
    }

    /// How many TLS handshakes failed (e.g. the client did not trust the certificate).
    pub fn failed_handshakes(&self) -> usize {
        self.failed_handshakes.load(Ordering::Relaxed)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Reply {
    answer: JwksAnswer,
    path: String,
    fetches: Arc<AtomicUsize>,
}

async fn serve_http<Io>(io: Io, reply: Arc<Reply>)
where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let mut response = Response::new(Full::new(Bytes::new()));
        if request.uri().path() == reply.path {
            reply.fetches.fetch_add(1, Ordering::Relaxed);
            match &reply.answer {
                JwksAnswer::Jwks(jwks) => {
                    *response.body_mut() = Full::new(Bytes::from(jwks.to_string()));
                }
                JwksAnswer::RedirectTo(url) => {
                    *response.status_mut() = StatusCode::FOUND;
                    if let Ok(location) = url.parse() {
                        response
                            .headers_mut()
                            .insert(hyper::header::LOCATION, location);
                    }
                }
                JwksAnswer::Status(code) => {
                    *response.status_mut() =
                        StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                }
                JwksAnswer::Body(body) => {
                    *response.body_mut() = Full::new(Bytes::from(body.clone()));
                }
                JwksAnswer::Hang => {}
            }
        } else {
            *response.status_mut() = StatusCode::NOT_FOUND;
        }
        let hang = request.uri().path() == reply.path && matches!(reply.answer, JwksAnswer::Hang);
        async move {
            if hang {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            Ok::<_, Infallible>(response)
        }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// A scratch file (a CA bundle, a JWKS snapshot), removed when dropped.
#[derive(Debug)]
pub struct TempFile(PathBuf);

impl TempFile {
    /// Writes `contents` to a fresh file in the temporary directory.
    pub fn write(prefix: &str, contents: &[u8]) -> Result<Self, PerfError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents)?;
        Ok(Self(path))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// CPU time (user + system, all threads) the process `pid` has used so far.
pub fn process_cpu_time(pid: u32) -> Result<Duration, PerfError> {
    let pid_t = libc::pid_t::try_from(pid).map_err(|_| PerfError::Proc(pid))?;
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid out-pointer for the duration of the call.
    if unsafe { libc::clock_getcpuclockid(pid_t, &mut clock) } != 0 {
        return Err(PerfError::Proc(pid));
    }
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid out-pointer; `clock` came from the call above.
    if unsafe { libc::clock_gettime(clock, &mut now) } != 0 {
        return Err(PerfError::Proc(pid));
    }
    let secs = u64::try_from(now.tv_sec).map_err(|_| PerfError::Proc(pid))?;
    let nanos = u32::try_from(now.tv_nsec).map_err(|_| PerfError::Proc(pid))?;
    Ok(Duration::new(secs, nanos))
}

/// The authorizer binary `cargo build --release -p authorizer` makes.
pub fn default_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("release/authorizer")
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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

    fn parse(name: &str) -> Result<Self, PerfError> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                PerfError::Usage(format!(
                    "unknown key source {name:?}; known: http, https, https+bundle, snapshot"
                ))
            })
    }
}

/// Where Debian and Amazon Linux keep the system's CA bundle.
pub const SYSTEM_BUNDLES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// A signing key, its JWKS server, and the authorizer binary to run.
pub struct Rig {
    /// The signing key.
    pub issuer: Issuer,
    /// The JWKS server.
    pub jwks: JwksServer,
    binary: PathBuf,
    show_logs: bool,
    token_issuer: String,
    extra_env: Vec<(String, String)>,
    _files: Vec<TempFile>,
    routes: String,
    pools: usize,
}

/// A running authorizer process and its emulator.
pub struct Running {
    /// The Runtime API the process polls.
    pub api: RuntimeApi,
    /// The process.
    pub child: Child,
    /// When it was spawned.
    pub spawned_at: Instant,
}

impl Rig {
    /// A rig for `binary` with a plain-HTTP JWKS; `show_logs` passes the
    /// authorizer's log lines through.
    pub async fn new(binary: PathBuf, show_logs: bool) -> Result<Self, PerfError> {
        Self::with_keys(binary, show_logs, Keys::Http).await
    }

    /// A rig for `binary` whose function gets its keys as `keys` says.
    pub async fn with_keys(
        binary: PathBuf,
        show_logs: bool,
        keys: Keys,
    ) -> Result<Self, PerfError> {
        let issuer = Issuer::generate(KID)?;
        let mut files = Vec::new();
        let mut env = Vec::new();
        let jwks = match keys {
            Keys::Http | Keys::Snapshot => JwksServer::start(&issuer.jwks()).await?,
            Keys::Https | Keys::HttpsBundle => {
                let ca = tls::TestCa::generate("perf")?;
                let mut bundle = Vec::new();
                if keys == Keys::HttpsBundle {
                    let system = SYSTEM_BUNDLES
                        .iter()
                        .find_map(|path| std::fs::read(path).ok())
                        .ok_or_else(|| {
                            PerfError::Usage(format!("no system CA bundle at {SYSTEM_BUNDLES:?}"))
                        })?;
                    bundle.extend_from_slice(&system);
                    bundle.push(b'\n');
                }
                bundle.extend_from_slice(ca.root_pem().as_bytes());
                let file = TempFile::write("perf-ca.pem", &bundle)?;
                env.push(format!("SSL_CERT_FILE={}", file.path().display()));
                files.push(file);
                let answer = JwksAnswer::Jwks(issuer.jwks());
                JwksServer::start_https(answer, &ca, "127.0.0.1").await?
            }
        };
        if keys == Keys::Snapshot {
            let file = TempFile::write("perf-jwks.json", issuer.jwks().to_string().as_bytes())?;
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
    ) -> Result<Self, PerfError> {
        if !binary.is_file() {
            return Err(PerfError::NoBinary(binary));
        }
        Ok(Self {
            token_issuer: jwks.issuer_url(),
            issuer,
            jwks,
            binary,
            show_logs,
            extra_env: Vec::new(),
            _files: Vec::new(),
            routes: ROUTE_SCOPES.to_string(),
            pools: 1,
        })
    }

    /// Configures `n` routes ([`route_scopes`]) instead of the template's five.
    pub fn with_routes(mut self, n: usize) -> Self {
        self.routes = route_scopes(n);
        self
    }

    /// Configures `n` trusted pools through `TRUSTED_POOLS` instead of the
    /// single-pool variables (`n` > 1): the rig's pool first, then `n - 1`
    /// others ([`trusted_pools`]). A `JWKS_FILE` becomes every pool's `jwks_file`.
    pub fn with_pools(mut self, n: usize) -> Self {
        self.pools = n.max(1);
        self
    }

    /// How many pools the function trusts.
    pub fn pools(&self) -> usize {
        self.pools
    }

    /// Also sets `NAME=VALUE` (e.g. `SSL_CERT_FILE`) in the process's environment.
    pub fn with_env(mut self, assignment: &str) -> Result<Self, PerfError> {
        let (name, value) = assignment
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| PerfError::Usage(format!("--env {assignment:?} is not NAME=VALUE")))?;
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
    pub fn token(&self, scope: &str) -> Result<String, PerfError> {
        let claims = m2m_claims(&self.token_issuer, CLIENT_ID, scope, unix_now(), 3_600);
        Ok(self.issuer.access_token(&claims)?)
    }

    /// Starts the binary against a fresh emulator, `before_spawn` queueing
    /// the first events (as Lambda has the event waiting at a cold start).
    /// The process sees only the variables Lambda and the template would set.
    pub async fn spawn(
        &self,
        before_spawn: impl FnOnce(&RuntimeApi),
    ) -> Result<Running, PerfError> {
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
    ) -> Result<Running, PerfError> {
        let api = RuntimeApi::start().await?;
        before_spawn(&api);
        let snapshot = self
            .extra_env
            .iter()
            .find(|(k, _)| k == "JWKS_FILE")
            .map(|(_, v)| v.as_str());
        let pool_env: Vec<(&str, String)> = if self.pools > 1 {
            let pools = trusted_pools(
                self.pools,
                &self.token_issuer,
                &self.jwks.jwks_url(),
                snapshot,
            );
            vec![("TRUSTED_POOLS", pools)]
        } else {
            vec![
                ("USER_POOL_ID", POOL_ID.to_string()),
                ("APP_CLIENT_IDS", format!("{CLIENT_ID},perfwebclient")),
                ("JWKS_URL", self.jwks.jwks_url()),
                ("TOKEN_ISSUER", self.token_issuer.clone()),
            ]
        };
        let extra_env = self
            .extra_env
            .iter()
            .filter(|(k, _)| self.pools == 1 || k != "JWKS_FILE");
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
            .envs(pool_env)
            .env("ROUTE_SCOPES", &self.routes)
            .envs(extra_env.map(|(k, v)| (k.as_str(), v.as_str())))
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
    pub async fn answer(
        &mut self,
        invocation: local::lambda::runtime_api::Invocation,
    ) -> Result<Outcome, PerfError> {
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(ANSWER_TIMEOUT, invocation.outcome()) => outcome,
            status = self.child.wait() => {
                return Err(PerfError::NoAnswer(format!("the process exited: {status:?}")));
            }
        };
        match outcome {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(EmulatorError::Stopped)) => Err(PerfError::NoAnswer("emulator stopped".into())),
            Err(_) => Err(PerfError::NoAnswer(format!(
                "no answer within {ANSWER_TIMEOUT:?}"
            ))),
        }
    }

    /// The process's peak and current resident set, in KiB (`VmHWM`, `VmRSS`).
    pub fn memory_kib(&self) -> Result<(u64, u64), PerfError> {
        let pid = self.child.id().ok_or(PerfError::Proc(0))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map_err(|_| PerfError::Proc(pid))?;
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
                .ok_or(PerfError::Proc(pid))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }

    /// Stops the process and waits for it.
    pub async fn stop(mut self) -> Result<(), PerfError> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}

/// Scope sets of the memory runs' valid tokens: one route, several, all,
/// and with OIDC scopes mixed in.
pub const MEMORY_SCOPES: [&str; 6] = [
    "API/book.get",
    "API/book.get API/book.post",
    "API/book.get API/book.post API/user.get API/user.post awesomeapi-resource-server/awesomeapi.read",
    "openid email API/user.get",
    "API/user.post",
    "awesomeapi-resource-server/awesomeapi.read API/book.get",
];

/// What a memory run sends, one invocation after another.
pub enum Workload {
    /// The authorizer: valid tokens with [`MEMORY_SCOPES`], every tenth a forged one.
    Authorizer {
        /// TOKEN events with valid tokens.
        valid: Vec<String>,
        /// A TOKEN event whose token has another token's signature.
        forged: String,
    },
    /// Another function (the handler): this event every time; any answer
    /// but an error will do.
    Fixed(String),
}

impl Workload {
    /// The authorizer's workload, with tokens from `rig`.
    pub fn authorizer(rig: &Rig) -> Result<Self, PerfError> {
        let mut valid = Vec::new();
        for scope in MEMORY_SCOPES {
            valid.push(token_event(&rig.token(scope)?).to_string());
        }
        let (a, b) = (rig.token(MEMORY_SCOPES[0])?, rig.token(MEMORY_SCOPES[1])?);
        let forged = match (a.rsplit_once('.'), b.rsplit_once('.')) {
            (Some((signed, _)), Some((_, signature))) => format!("{signed}.{signature}"),
            _ => return Err(PerfError::WrongAnswer("tokens are not three parts".into())),
        };
        Ok(Self::Authorizer {
            valid,
            forged: token_event(&forged).to_string(),
        })
    }

    /// Sends invocation number `i` and checks its answer.
    pub async fn invoke(&self, running: &mut Running, i: usize) -> Result<(), PerfError> {
        match self {
            Workload::Authorizer { valid, forged } => {
                let forge = i % 10 == 9;
                let event = if forge {
                    forged
                } else {
                    &valid[i % valid.len()]
                };
                let invocation = running.api.push(event.clone());
                let outcome = running.answer(invocation).await?;
                if forge {
                    expect_unauthorized(&outcome)
                } else {
                    expect_allow(&outcome)
                }
            }
            Workload::Fixed(event) => {
                let invocation = running.api.push(event.clone());
                let outcome = running.answer(invocation).await?;
                match outcome.result {
                    Ok(_) => Ok(()),
                    Err(e) => Err(PerfError::WrongAnswer(format!(
                        "{}: {}",
                        e.error_type, e.error_message
                    ))),
                }
            }
        }
    }
}

/// Runs `events` invocations of `workload` and returns `(invocations, VmHWM
/// KiB, VmRSS KiB)` after each of `checkpoints` (and after the last one).
pub async fn memory_run(
    running: &mut Running,
    workload: &Workload,
    events: usize,
    checkpoints: &[usize],
) -> Result<Vec<(usize, u64, u64)>, PerfError> {
    let mut out = Vec::new();
    for i in 0..events {
        workload.invoke(running, i).await?;
        let done = i + 1;
        if checkpoints.contains(&done) || done == events {
            let (peak, current) = running.memory_kib()?;
            out.push((done, peak, current));
        }
    }
    Ok(out)
}

/// Checks an answer is an Allow policy for the token's routes.
pub fn expect_allow(outcome: &Outcome) -> Result<(), PerfError> {
    let answer = outcome
        .result
        .as_ref()
        .map_err(|e| PerfError::WrongAnswer(format!("{}: {}", e.error_type, e.error_message)))?;
    let effect = &answer["policyDocument"]["Statement"][0]["Effect"];
    if answer["principalId"] == CLIENT_ID && effect == "Allow" {
        Ok(())
    } else {
        Err(PerfError::WrongAnswer(answer.to_string()))
    }
}

/// Checks an answer is the `Unauthorized` error.
pub fn expect_unauthorized(outcome: &Outcome) -> Result<(), PerfError> {
    match &outcome.result {
        Err(e) if e.error_message == "Unauthorized" => Ok(()),
        other => Err(PerfError::WrongAnswer(format!("{other:?}"))),
    }
}

/// Order statistics of a sample, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Smallest value.
    pub min: f64,
    /// Median (linear interpolation).
    pub median: f64,
    /// 90th percentile (linear interpolation).
    pub p90: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Summarizes durations; `None` for an empty sample.
    pub fn of(samples: &[Duration]) -> Option<Self> {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            let pos = q * (ms.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            ms[lo] + (ms[hi] - ms[lo]) * (pos - lo as f64)
        };
        Some(Self {
            min: *ms.first()?,
            median: quantile(0.5),
            p90: quantile(0.9),
            max: *ms.last()?,
        })
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "min {:.2} ms  median {:.2} ms  p90 {:.2} ms  max {:.2} ms",
            self.min, self.median, self.p90, self.max
        )
    }
}

/// What both harnesses take on the command line:
/// `--<count> N --binary PATH --logs --env NAME=VALUE... --keys SOURCE,... --routes N --event-file PATH --pools N,...`.
pub struct Args {
    /// How many runs or events.
    pub count: usize,
    /// The binary the rigs run.
    pub binary: PathBuf,
    /// Where the function's keys come from, one rig each (`--keys`).
    pub keys: Vec<Keys>,
    /// `--event-file`: an event to send instead of the harness's own.
    pub event_file: Option<PathBuf>,
    /// `--pools N,M`: the trusted-pool counts to measure, one rig each per key source.
    pub pools: Vec<usize>,
    logs: bool,
    env: Vec<String>,
    routes: Option<usize>,
}

impl Args {
    /// Parses the process arguments; `count_flag` (e.g. `--runs`) defaults
    /// to `default_count`, `--keys` to `default_keys`.
    pub fn parse(
        count_flag: &str,
        default_count: usize,
        default_keys: &[Keys],
    ) -> Result<Self, PerfError> {
        let mut args = Self {
            count: default_count,
            binary: default_binary(),
            keys: default_keys.to_vec(),
            event_file: None,
            logs: false,
            env: Vec::new(),
            routes: None,
            pools: vec![1],
        };
        for (name, value) in parse_args(
            std::env::args().skip(1),
            &[
                count_flag,
                "--binary",
                "--logs",
                "--env",
                "--keys",
                "--routes",
                "--event-file",
                "--pools",
            ],
        )? {
            match name.as_str() {
                "--binary" => args.binary = value.into(),
                "--env" => args.env.push(value),
                "--logs" => args.logs = true,
                "--event-file" => args.event_file = Some(PathBuf::from(value)),
                "--keys" => {
                    args.keys = value
                        .split(',')
                        .map(Keys::parse)
                        .collect::<Result<_, _>>()?
                }
                "--pools" => {
                    args.pools = value
                        .split(',')
                        .map(|n| n.trim().parse().ok().filter(|n| *n > 0))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            PerfError::Usage(format!(
                                "--pools {value:?} is not a list of positive numbers"
                            ))
                        })?
                }
                "--routes" => {
                    args.routes = Some(value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        PerfError::Usage(format!("--routes {value:?} is not a positive number"))
                    })?)
                }
                _ => {
                    args.count = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        PerfError::Usage(format!("{name} {value:?} is not a positive number"))
                    })?
                }
            }
        }
        Ok(args)
    }

    /// A rig for the chosen binary with the extra environment applied, and
    /// the first of `--pools`.
    pub async fn rig(&self, keys: Keys) -> Result<Rig, PerfError> {
        self.rig_with_pools(keys, self.pools.first().copied().unwrap_or(1))
            .await
    }

    /// [`Args::rig`] trusting `pools` pools ([`Rig::with_pools`]).
    pub async fn rig_with_pools(&self, keys: Keys, pools: usize) -> Result<Rig, PerfError> {
        let mut rig = Rig::with_keys(self.binary.clone(), self.logs, keys).await?;
        for assignment in &self.env {
            rig = rig.with_env(assignment)?;
        }
        if let Some(n) = self.routes {
            rig = rig.with_routes(n);
        }
        Ok(rig.with_pools(pools))
    }
}

/// Turns a harness's result into its exit code, printing the error.
pub fn exit(harness: &str, result: Result<(), PerfError>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{harness}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Reads `--name value` pairs; anything else is a usage error.
pub fn parse_args(
    args: impl Iterator<Item = String>,
    known: &[&str],
) -> Result<Vec<(String, String)>, PerfError> {
    let mut out = Vec::new();
    let mut args = args.peekable();
    while let Some(name) = args.next() {
        if !known.contains(&name.as_str()) {
            return Err(PerfError::Usage(format!(
                "unknown argument {name:?}; known: {known:?}"
            )));
        }
        let value = match args.peek() {
            Some(v) if !v.starts_with("--") => args.next().unwrap_or_default(),
            _ => String::new(),
        };
        out.push((name, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_interpolate_quantiles() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        let s = Summary::of(&ms(&[4, 1, 3, 2])).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 4.0));
        assert!((s.p90 - 3.7).abs() < 1e-9);
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn generated_tables_have_the_size_asked_for_and_keep_the_template_routes() {
        for n in [5, 10, 1000] {
            let table = shared::RouteTable::from_json(&route_scopes(n)).unwrap();
            assert_eq!(table.routes().len(), n);
            assert!(table.find("GET", "book").is_some());
        }
    }

    #[test]
    fn arguments_are_name_value_pairs() {
        let args = ["--runs", "5", "--logs", "--binary", "/x"].map(String::from);
        let parsed = parse_args(args.into_iter(), &["--runs", "--logs", "--binary"]).unwrap();
        assert_eq!(parsed[0], ("--runs".into(), "5".into()));
        assert_eq!(parsed[1], ("--logs".into(), String::new()));
        assert_eq!(parsed[2], ("--binary".into(), "/x".into()));
        assert!(parse_args(["--nope".to_string()].into_iter(), &["--runs"]).is_err());
    }

    #[tokio::test]
    async fn the_jwks_server_serves_the_pool_path_only() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let issuer = Issuer::generate("k").unwrap();
        let server = JwksServer::start(&issuer.jwks()).await.unwrap();
        let status = |path: String| {
            let addr = server.addr;
            async move {
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                let request =
                    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut reply = String::new();
                stream.read_to_string(&mut reply).await.unwrap();
                reply.split(' ').nth(1).unwrap().to_string()
            }
        };
        assert_eq!(
            status(format!("/{POOL_ID}/.well-known/jwks.json")).await,
            "200"
        );
        assert_eq!(status(format!("/{POOL_ID}/other")).await, "404");
        assert_eq!(server.fetches(), 1);
        assert!(server.jwks_url().starts_with("http://127.0.0.1:"));
    }
}
