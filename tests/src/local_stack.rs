//! `local-stack` as end-to-end tests run it: built into the test's profile
//! directory, started on free ports with a fresh state folder, read until
//! its ready line, and stopped (with everything it started) when dropped.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use local::READY_LINE;
use testkit::{ProcessGuard, TempDir, free_ports, temp_dir};

/// The first build of both functions can take minutes on a small machine.
pub const READY_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds `local-stack` into the profile directory this test runs from
/// (a binary of another package has no `CARGO_BIN_EXE_*` here).
pub fn build_local_stack() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "-p", "local", "--bin", "local-stack"])
        .current_dir(workspace());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("running cargo build");
    assert!(status.success(), "cargo build -p local failed: {status}");
    profile_dir.join("local-stack")
}

/// The last lines of a log file, for failure messages.
pub fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    let _ = std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// A running `local-stack`.
pub struct LocalStack {
    /// The process (stopped with its tree when dropped).
    pub guard: ProcessGuard,
    /// Everything printed before the ready line.
    pub banner: String,
    /// Token endpoint, watch and API ports.
    pub ports: [u16; 3],
    /// The web app's port (a free one, never the default 8080, so stacks
    /// of parallel tests and a developer's own do not collide).
    pub web_port: u16,
    /// The HTTP API front's port (a free one, for the same reason).
    pub http_api_port: u16,
    /// Where its stderr goes.
    pub log_path: PathBuf,
    /// Its scratch folder (state folder inside), removed when dropped.
    pub scratch: PathBuf,
    // Dropped after `guard`: the stack writes there until it stops.
    _scratch: TempDir,
}

impl LocalStack {
    /// Builds and starts `local-stack` with `extra` arguments, then waits
    /// for its ready line; panics with its log if it is not ready in time.
    pub fn start(tag: &str, extra: &[&str]) -> Self {
        let started = Instant::now();
        let binary = build_local_stack();
        let scratch_dir = temp_dir(tag).expect("scratch dir");
        let scratch = scratch_dir.path().to_path_buf();
        let log_path = scratch.join("local-stack.log");
        let found = free_ports(5).expect("free ports");
        let ports = [found[0], found[1], found[2]];
        let web_port = found[3];
        let http_api_port = found[4];
        let mut guard = ProcessGuard::spawn(
            "local-stack",
            Command::new(&binary)
                .args(["--token-port", &ports[0].to_string()])
                .args(["--watch-port", &ports[1].to_string()])
                .args(["--api-port", &ports[2].to_string()])
                .args(["--web-port", &web_port.to_string()])
                .args(["--http-api-port", &http_api_port.to_string()])
                .arg("--state-dir")
                .arg(scratch.join("state"))
                .args(extra)
                .env_remove("LOCAL_USERS")
                .env_remove("LOCAL_USERS_FILE")
                .env_remove("LOCAL_WEB_PORT")
                .env_remove("LOCAL_WEB_API")
                .current_dir(workspace())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&log_path).expect("log file")),
        )
        .expect("local-stack starts");
        // Read stdout on a thread until it closes, so the pipe never fills.
        let stdout = guard.child_mut().stdout.take().expect("piped stdout");
        let (lines, banner_lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = String::new();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match banner_lines.recv_timeout(left.min(Duration::from_secs(5))) {
                Ok(line) if line.starts_with(READY_LINE) => break,
                Ok(line) => {
                    banner.push_str(&line);
                    banner.push('\n');
                }
                Err(mpsc::RecvTimeoutError::Timeout)
                    if Instant::now() < deadline && guard.is_running() => {}
                Err(_) => panic!(
                    "local-stack was not ready after {:?}; its log ends with:\n{}",
                    started.elapsed(),
                    log_tail(&log_path)
                ),
            }
        }
        eprintln!("local-stack ready after {:?}", started.elapsed());
        Self {
            guard,
            banner,
            ports,
            web_port,
            http_api_port,
            log_path,
            scratch,
            _scratch: scratch_dir,
        }
    }

    /// `http://127.0.0.1:<token port>`.
    pub fn pool_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[0])
    }

    /// `http://localhost:<web port>/`, the web app.
    pub fn web_url(&self) -> String {
        format!("http://localhost:{}/", self.web_port)
    }

    /// What the running stack wrote to its `stack.json`.
    pub fn info(&self) -> local::StackInfo {
        local::StackInfo::read(&self.scratch.join("state/stack.json"))
            .expect("stack.json written when ready")
    }

    /// The API stage's base URL from `stack.json`, without the final `/`:
    /// `http://127.0.0.1:<API port>/<stage>`.
    pub fn api_url(&self) -> String {
        self.info().api_url.trim_end_matches('/').to_string()
    }

    /// The HTTP API stage's base URL from `stack.json`, without the final
    /// `/`: `http://127.0.0.1:<HTTP API port>/<stage>`.
    pub fn http_api_url(&self) -> String {
        self.info()
            .http_api_url
            .expect("the template has an HTTP API")
            .trim_end_matches('/')
            .to_string()
    }
}
