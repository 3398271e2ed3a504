//! Running the Lambda functions with `cargo lambda watch`: its env file,
//! its process, and its output, read to notice a function that exits
//! (watch itself keeps running and leaves the invocation waiting). Configuration goes through `--env-file` because watch
//! must not take it from `[package.metadata.lambda.env]` (that would leak
//! local values into deploys).

use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use thiserror::Error;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// Why watch could not be prepared or started.
#[derive(Debug, Error)]
pub enum WatchError {
    /// A value cannot be written to an env file unambiguously.
    #[error(
        "environment variable {0} has a value an env file cannot hold (a single quote or a line break)"
    )]
    EnvValue(String),
    /// Two functions set a variable, and watch gives them one env file.
    #[error(
        "two functions (authorizer, handler, pre-token trigger) set {0}, but cargo lambda watch gives them one env file: rename one"
    )]
    SharedVariable(String),
    /// The process could not be started.
    #[error("starting `cargo lambda watch`: {0}")]
    Spawn(std::io::Error),
}

/// Renders `KEY='value'` lines. Single quotes keep JSON values (double
/// quotes, commas, spaces) literal for cargo-lambda's env-file reader;
/// `--env-var` would split them at commas.
pub fn env_file(vars: &[(&str, String)]) -> Result<String, WatchError> {
    let mut out = String::new();
    for (key, value) in vars {
        if value.contains(['\'', '\n', '\r']) {
            return Err(WatchError::EnvValue((*key).to_string()));
        }
        out.push_str(&format!("{key}='{value}'\n"));
    }
    Ok(out)
}

/// How to start watch.
#[derive(Debug, Clone)]
pub struct WatchCommand {
    /// The workspace root, where watch finds the functions.
    pub workspace: PathBuf,
    /// The Invoke API port on 127.0.0.1.
    pub port: u16,
    /// The env file for the functions.
    pub env_file: PathBuf,
}

impl WatchCommand {
    /// The command line, for messages.
    pub fn display(&self) -> String {
        format!(
            "cargo lambda watch -A 127.0.0.1 -P {} --env-file {}",
            self.port,
            self.env_file.display()
        )
    }

    /// Starts watch in a process group of its own. Its output (cargo's,
    /// and the functions' logs) is copied to our stderr, so that our stdout
    /// carries only the stack's own messages, and read for [`FunctionExit`]s.
    pub fn spawn(&self) -> Result<Watch, WatchError> {
        let mut command = Command::new("cargo");
        command
            .args(["lambda", "watch", "-A", "127.0.0.1", "-P"])
            .arg(self.port.to_string())
            .arg("--env-file")
            .arg(&self.env_file)
            .current_dir(&self.workspace)
            .stdin(Stdio::null())
            .process_group(0);
        // One pipe for both streams, so its lines arrive in the order they
        // were written: a function's last words on stdout come before the
        // `command exited` line watch then writes on stderr. Two pipes read
        // by two tasks could deliver them the other way round.
        let (output, writer) = std::io::pipe().map_err(WatchError::Spawn)?;
        command
            .stdout(writer.try_clone().map_err(WatchError::Spawn)?)
            .stderr(writer);
        if let Some(path) = path_with_venv(&self.workspace) {
            command.env("PATH", path);
        }
        #[cfg(target_os = "linux")]
        {
            use rustix::process::{Signal, set_parent_process_death_signal};
            // SAFETY: the closure runs between fork and exec and only calls
            // prctl(2), which is async-signal-safe. (`pre_exec` itself is
            // unsafe: no crate spares this block.)
            unsafe {
                command.pre_exec(|| {
                    // If this process dies without cleaning up (SIGKILL),
                    // watch gets SIGTERM instead of running on orphaned.
                    set_parent_process_death_signal(Some(Signal::TERM))?;
                    Ok(())
                });
            }
        }
        let child = command.spawn().map_err(WatchError::Spawn)?;
        // The command holds the pipe's write ends: closed here, the read
        // end sees the end of the output when watch and its children exit.
        drop(command);
        let (lines, mut merged) = mpsc::unbounded_channel::<Vec<u8>>();
        // A thread of its own: a blocking read of an inherited pipe, which
        // tokio's process streams do not cover.
        std::thread::spawn(move || read_lines(output, &lines));
        let (sender, exits) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = ExitReader::default();
            while let Some(line) = merged.recv().await {
                let _ = std::io::stderr().write_all(&line);
                let Some(mut exit) = reader.line(&String::from_utf8_lossy(&line)) else {
                    continue;
                };
                // A function whose output watch copies, instead of passing
                // it our pipe, may still be copying it: it belongs to the message.
                let grace = tokio::time::sleep(LATE_OUTPUT_GRACE);
                tokio::pin!(grace);
                loop {
                    tokio::select! {
                        biased;
                        late = merged.recv() => {
                            let Some(late) = late else { break };
                            let _ = std::io::stderr().write_all(&late);
                            let text = strip_ansi(&String::from_utf8_lossy(&late));
                            if !text.trim().is_empty() {
                                exit.last_lines.push(text.trim_end().to_string());
                            }
                        }
                        () = &mut grace => break,
                    }
                }
                let _ = sender.send(exit);
            }
        });
        Ok(Watch { child, exits })
    }
}

/// A running watch.
#[derive(Debug)]
pub struct Watch {
    /// The process.
    pub child: Child,
    /// Functions that exited, as watch reported them.
    pub exits: mpsc::UnboundedReceiver<FunctionExit>,
}

/// A function process that ended while watch ran it, as watch's output
/// tells it: the Lambda runtime never saw it fail, so an invocation waiting
/// for it would wait for ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionExit {
    /// The binary's name (`authorizer`), or `None` when no function was
    /// running yet (the build itself failed).
    pub function: Option<String>,
    /// How it ended, as watch writes it, e.g. `code=1`.
    pub status: String,
    /// Its last lines of output: the function's own message.
    pub last_lines: Vec<String>,
}

impl std::fmt::Display for FunctionExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.function {
            Some(function) => write!(f, "the {function} function exited ({})", self.status)?,
            None => write!(f, "the functions' build failed ({})", self.status)?,
        }
        if self.last_lines.is_empty() {
            return write!(f, " without a message; its log is above");
        }
        write!(f, ":")?;
        for line in &self.last_lines {
            write!(f, "\n    {line}")?;
        }
        Ok(())
    }
}

/// How long output that arrives after watch's exit line still counts as
/// the exited function's.
const LATE_OUTPUT_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// How many lines of a function's output a [`FunctionExit`] keeps.
const LAST_LINES: usize = 8;

/// Follows watch's output line by line: cargo's ``Running `target/…/<bin>` ``
/// names the function whose output follows, and watch's `command exited`
/// line ends it.
#[derive(Debug, Default)]
pub struct ExitReader {
    function: Option<String>,
    lines: VecDeque<String>,
}

impl ExitReader {
    /// Takes one line of output; returns the exit it reports, if any.
    pub fn line(&mut self, raw: &str) -> Option<FunctionExit> {
        let line = strip_ansi(raw);
        let line = line.trim_end();
        if let Some(command) = line
            .trim_start()
            .strip_prefix("Running `")
            .and_then(|rest| rest.split('`').next())
        {
            let binary = command.split_whitespace().next().unwrap_or_default();
            let name = binary.rsplit('/').next().unwrap_or(binary);
            self.function = Some(name.to_string());
            self.lines.clear();
            return None;
        }
        if let Some((_, status)) = line.split_once("command exited") {
            // A reload stops the old process with a signal: not a failure.
            if status.contains("signal") {
                self.lines.clear();
                return None;
            }
            return Some(FunctionExit {
                function: self.function.take(),
                status: status.trim().to_string(),
                last_lines: std::mem::take(&mut self.lines).into(),
            });
        }
        if !line.trim().is_empty() {
            if self.lines.len() == LAST_LINES {
                self.lines.pop_front();
            }
            self.lines.push_back(line.to_string());
        }
        None
    }
}

/// `text` without terminal colour sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Sends each line of watch's output on, until it closes.
fn read_lines(output: std::io::PipeReader, lines: &mpsc::UnboundedSender<Vec<u8>>) {
    let mut reader = std::io::BufReader::new(output);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if lines.send(line).is_err() {
                    return;
                }
            }
        }
    }
}

/// `PATH` with the workspace's `.venv/bin` first, where `scripts/tools`
/// installs cargo-lambda and the zig it finds through `python3 -m ziglang`.
fn path_with_venv(workspace: &Path) -> Option<std::ffi::OsString> {
    let venv = workspace.join(".venv/bin");
    if !venv.is_dir() {
        return None;
    }
    let current = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(venv).chain(std::env::split_paths(&current));
    std::env::join_paths(paths).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cargo-lambda 1.9.2's output when the authorizer stops at start-up
    /// (a `USER_POOL_ID` it refuses), as recorded on this machine.
    const AUTHORIZER_EXITS: &str = "\
 INFO starting Runtime server runtime_addr=127.0.0.1:9505
   Compiling authorizer v0.1.0 (/work/authorizer)
    Finished `dev` profile [unoptimized + debuginfo] target(s) in 1m 52s
     Running `target/debug/authorizer`
ERROR invalid configuration error=USER_POOL_ID is invalid: \"mypool\" is not <region>_<id>
Error: Invalid { name: \"USER_POOL_ID\", reason: \"\\\"mypool\\\" is not <region>_<id>\" }
ERROR command exited code=1
";

    #[test]
    fn watch_output_tells_which_function_exited_and_why() {
        let cases: [(&str, &str, Option<FunctionExit>); 4] = [
            (
                "authorizer refuses its configuration",
                AUTHORIZER_EXITS,
                Some(FunctionExit {
                    function: Some("authorizer".into()),
                    status: "code=1".into(),
                    last_lines: vec![
                        "ERROR invalid configuration error=USER_POOL_ID is invalid: \"mypool\" is not <region>_<id>".into(),
                        "Error: Invalid { name: \"USER_POOL_ID\", reason: \"\\\"mypool\\\" is not <region>_<id>\" }".into(),
                    ],
                }),
            ),
            (
                "coloured output",
                "\u{1b}[1m\u{1b}[32m     Running\u{1b}[0m `target/debug/handler`\npanicked\n\u{1b}[31mERROR\u{1b}[0m command exited code=101\n",
                Some(FunctionExit {
                    function: Some("handler".into()),
                    status: "code=101".into(),
                    last_lines: vec!["panicked".into()],
                }),
            ),
            (
                "a reload's stop is no failure",
                "     Running `target/debug/handler`\nERROR command exited signal=SIGTERM\n",
                None,
            ),
            (
                "a function that keeps running",
                "     Running `target/debug/handler`\nINFO ready\n",
                None,
            ),
        ];
        for (name, output, expected) in cases {
            let mut reader = ExitReader::default();
            let exits: Vec<FunctionExit> = output.lines().filter_map(|l| reader.line(l)).collect();
            assert_eq!(exits.first(), expected.as_ref(), "{name}");
            assert!(exits.len() <= 1, "{name}: {exits:?}");
        }
        let mut reader = ExitReader::default();
        let exit = AUTHORIZER_EXITS
            .lines()
            .find_map(|l| reader.line(l))
            .unwrap();
        let message = exit.to_string();
        assert!(
            message.starts_with(
                "the authorizer function exited (code=1):\n    ERROR invalid configuration"
            ),
            "{message}"
        );
    }

    #[test]
    fn env_files_quote_json_and_refuse_ambiguous_values() {
        let ok = env_file(&[
            ("USER_POOL_ID", "us-east-1_abc".to_string()),
            (
                "ROUTE_SCOPES",
                r#"{"GET /book":["API/book.get"],"POST /book":[]}"#.to_string(),
            ),
        ])
        .unwrap();
        assert_eq!(
            ok,
            "USER_POOL_ID='us-east-1_abc'\nROUTE_SCOPES='{\"GET /book\":[\"API/book.get\"],\"POST /book\":[]}'\n"
        );
        for bad in ["it's", "a\nb"] {
            assert!(matches!(
                env_file(&[("K", bad.to_string())]),
                Err(WatchError::EnvValue(_))
            ));
        }
    }
}
