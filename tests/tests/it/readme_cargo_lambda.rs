//! The README's "Develop with cargo lambda watch" section, run as written:
//! its shell blocks are taken from README.md and run with bash in the
//! workspace. The only change is the one line that sets the section's
//! variables (the state folder and watch port), which gets a scratch
//! folder and a free port; the token and API ports come from the
//! `LOCAL_*_PORT` variables scripts/dev reads.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use local::READY_LINE;
use serde_json::Value;
use testkit::{ProcessGuard, free_ports, temp_dir, wait_for_port};

/// The first build of local-stack and both functions can take minutes.
const READY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const SECTION: &str = "## Develop with cargo lambda watch";
/// The section's variables as the README sets them (the defaults).
const VARIABLES_LINE: &str = "export LOCAL_STATE_DIR=.local-state LOCAL_WATCH_PORT=9000";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The ```sh blocks of the section, in order.
fn section_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README.md");
    let start = readme
        .find(&format!("\n{SECTION}\n"))
        .unwrap_or_else(|| panic!("README.md has no {SECTION:?} section"));
    let body = &readme[start + SECTION.len() + 2..];
    let body = body.find("\n## ").map_or(body, |end| &body[..end]);
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in body.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// A watch port whose successor is free too (the section's own watch uses
/// it), below the kernel's ephemeral range: the other ports of the test
/// (`free_ports`) and every outgoing connection's local port come from that
/// range, so none of them can take the pair before the watches bind it.
fn watch_port_pair() -> u16 {
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let low = 20_000u16.min(ephemeral_start / 2);
    let span = ephemeral_start.saturating_sub(low + 1).max(1);
    // Start where the process id points, so parallel runs spread out.
    let start = (std::process::id() % u32::from(span)) as u16;
    for i in 0..span {
        let port = low + (start + i) % span;
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 1) {
            return port;
        }
    }
    panic!("no two consecutive free ports below {ephemeral_start}");
}

struct Env {
    variables: String,
    token_port: u16,
    api_port: u16,
    http_api_port: u16,
    web_port: u16,
}

impl Env {
    /// `bash -c` for `block`, with the section's variables set to ours.
    fn command(&self, block: &str) -> Command {
        let script = block.replace(VARIABLES_LINE, &self.variables);
        let mut command = Command::new("bash");
        command
            .args(["-euo", "pipefail", "-c"])
            .arg(format!("{}\n{script}", self.variables))
            .current_dir(workspace())
            .env("LOCAL_TOKEN_PORT", self.token_port.to_string())
            .env("LOCAL_API_PORT", self.api_port.to_string())
            .env("LOCAL_HTTP_API_PORT", self.http_api_port.to_string())
            .env("LOCAL_WEB_PORT", self.web_port.to_string())
            .stdin(Stdio::null());
        command
    }

    fn run(&self, block: &str) -> Output {
        let output = self
            .command(block)
            .stderr(Stdio::inherit())
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "{block}\nfailed with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stdout)
        );
        output
    }
}

/// Each line of `output` that is JSON (cargo lambda invoke prints one per call).
fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn allowed(policy: &Value) -> Vec<String> {
    policy["policyDocument"]["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect()
}

#[test]
#[ignore = "needs cargo-lambda from .venv; run scripts/test"]
fn the_readmes_cargo_lambda_section_works_verbatim() {
    let blocks = section_blocks();
    assert_eq!(blocks.len(), 4, "the section's blocks changed: {blocks:#?}");
    for block in &blocks[..2] {
        assert!(
            block.starts_with(&format!("{VARIABLES_LINE}\n")),
            "a terminal's block starts by setting the variables: {block}"
        );
    }
    // Dropped last, after the processes writing there have stopped.
    let scratch_dir = temp_dir("readme-watch").expect("scratch dir");
    let scratch = scratch_dir.path();
    let watch_port = watch_port_pair();
    let ports = free_ports(4).expect("free ports");
    let env = Env {
        variables: format!(
            "export LOCAL_STATE_DIR={} LOCAL_WATCH_PORT={watch_port}",
            scratch.join("state").display()
        ),
        token_port: ports[0],
        api_port: ports[1],
        web_port: ports[2],
        http_api_port: ports[3],
    };
    let log_path = scratch.join("stack.log");

    // Terminal 1: the stack.
    let mut stack = ProcessGuard::spawn(
        "scripts/dev",
        env.command(&blocks[0])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log_path).expect("log file")),
    )
    .expect("scripts/dev starts");
    let stdout = stack.child_mut().stdout.take().expect("piped stdout");
    let (ready, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with(READY_LINE) {
                let _ = ready.send(());
            }
        }
    });
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    if ready_rx.recv_timeout(READY_TIMEOUT).is_err() {
        panic!("scripts/dev was not ready in time; its log:\n{}", log());
    }
    assert!(
        scratch.join("state/stack.json").is_file() && scratch.join("state/functions.env").is_file(),
        "the state folder holds its own stack.json and functions.env"
    );

    // Terminal 2: the invocations.
    // Counted by restarts, not by "Compiling handler": the tests of this
    // binary run side by side on one target folder, so another test's cargo
    // may compile the touched handler first and watch then only restarts it.
    // Only the path is matched: the functions restart together and their
    // cargo lines interleave (`Running    Finished … \n `target/debug/handler``).
    let restarts = || log().matches("`target/debug/handler`").count();
    let before = restarts();
    let output = env.run(&blocks[1]);
    let answers = json_lines(&output);
    assert_eq!(answers.len(), 4, "{answers:#?}");
    let book = |resources: &[String]| resources.iter().any(|r| r.ends_with("/prod/GET/book"));
    assert!(
        book(&allowed(&answers[0])),
        "a fresh token allows GET /book: {}",
        answers[0]
    );
    let narrow = allowed(&answers[1]);
    assert!(
        !narrow.is_empty() && !book(&narrow),
        "one scope: {}",
        answers[1]
    );
    for answer in &answers[2..] {
        assert_eq!(answer["statusCode"], 200, "{answer}");
    }
    // The touch made watch rebuild and restart the handler (the build may
    // still be finishing when the second invocation was answered).
    let rebuilt = (0..600).any(|_| {
        std::thread::sleep(Duration::from_millis(500));
        restarts() > before
    });
    assert!(rebuilt, "no rebuild after the change; the log:\n{}", log());

    // Terminal 3: a watch of one's own with the same env file, and an invocation.
    let own_log = scratch.join("own-watch.log");
    let mut own_watch = ProcessGuard::spawn(
        "cargo lambda watch",
        env.command(&blocks[2])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&own_log).expect("own watch's log")),
    )
    .expect("watch starts");
    wait_for_port(watch_port + 1, Duration::from_secs(120), || {
        own_watch.is_running()
    })
    .unwrap_or_else(|e| {
        let log = std::fs::read_to_string(&own_log).unwrap_or_default();
        panic!("own watch listens: {e}; its log:\n{log}")
    });
    let output = env.run(&blocks[3]);
    let own = json_lines(&output);
    assert_eq!(own.len(), 1, "{own:#?}");
    assert!(book(&allowed(&own[0])), "{}", own[0]);

    // Dropping a guard stops its whole process tree (watch, the functions).
    drop(own_watch);
    drop(stack);
}
