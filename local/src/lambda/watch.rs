//! Running the Lambda functions with `cargo lambda watch`: its env file
//! and its process. Configuration goes through `--env-file` because watch
//! must not take it from `[package.metadata.lambda.env]` (that would leak
//! local values into deploys).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use thiserror::Error;
use tokio::process::{Child, Command};

/// Why watch could not be prepared or started.
#[derive(Debug, Error)]
pub enum WatchError {
    /// A value cannot be written to an env file unambiguously.
    #[error(
        "environment variable {0} has a value an env file cannot hold (a single quote or a line break)"
    )]
    EnvValue(String),
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

    /// Starts watch in a process group of its own, with its output on our
    /// stderr so that our stdout carries only the stack's own messages.
    pub fn spawn(&self) -> Result<Child, WatchError> {
        let mut command = Command::new("cargo");
        command
            .args(["lambda", "watch", "-A", "127.0.0.1", "-P"])
            .arg(self.port.to_string())
            .arg("--env-file")
            .arg(&self.env_file)
            .current_dir(&self.workspace)
            .stdin(Stdio::null())
            .stdout(stderr_stdio())
            .process_group(0);
        if let Some(path) = path_with_venv(&self.workspace) {
            command.env("PATH", path);
        }
        #[cfg(target_os = "linux")]
        {
            // SAFETY: the closure runs between fork and exec and only calls
            // prctl(2), which is async-signal-safe.
            unsafe {
                command.pre_exec(|| {
                    // If this process dies without cleaning up (SIGKILL),
                    // watch gets SIGTERM instead of running on orphaned.
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                    Ok(())
                });
            }
        }
        command.spawn().map_err(WatchError::Spawn)
    }
}

/// Our stderr for a child's stdout, falling back to inheriting stdout.
fn stderr_stdio() -> Stdio {
    use std::os::fd::AsFd;
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_or_else(|_| Stdio::inherit(), Stdio::from)
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
