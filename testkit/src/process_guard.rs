//! A child process that is stopped, with everything it started, when the
//! guard is dropped, so that a failing test leaves no servers behind.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::process_tree::{self, ProcInfo};

/// How long processes get between SIGTERM and SIGKILL when a guard drops.
const DROP_GRACE: Duration = Duration::from_secs(10);

/// Owns a child started in a process group of its own.
pub struct ProcessGuard {
    child: Child,
    name: String,
}

impl ProcessGuard {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(name: &str, command: &mut Command) -> io::Result<Self> {
        let child = command.process_group(0).spawn()?;
        Ok(Self {
            child,
            name: name.to_string(),
        })
    }

    /// The child's pid (also its process group id).
    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or(i32::MAX)
    }

    /// The child for piping its output.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The child and every process below it, right now.
    pub fn tree(&self) -> Vec<ProcInfo> {
        process_tree::tree(self.pid())
    }

    /// Sends SIGTERM to the child only (as Ctrl-C would reach a foreground
    /// program) and waits up to `timeout` for it to exit by itself.
    pub fn terminate_and_wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        process_tree::terminate(self.pid());
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// True while the child has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        if self.is_running() {
            let left = process_tree::stop_tree(self.pid(), DROP_GRACE);
            if !left.is_empty() {
                eprintln!("{}: processes survived SIGKILL: {left:?}", self.name);
            }
        }
        let _ = self.child.wait();
    }
}
