//! Stopping a process and everything it started. A test's server may start
//! others (`local-stack` runs `cargo lambda watch`, which runs cargo, which
//! runs the functions, some in process groups of their own); killing one
//! pid would leave the rest running. The tree is read from `/proc` (Linux),
//! so it is found even where groups differ; signals go through rustix.

use std::collections::BTreeSet;
use std::fs;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, getpgrp, kill_process, kill_process_group};

/// One process as `/proc/<pid>/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    /// Its pid.
    pub pid: i32,
    /// The pid of the process that started it (or adopted it).
    pub ppid: i32,
    /// Its process group: signals sent to the group reach it.
    pub pgid: i32,
    /// State letter (`R`, `S`, `Z`, ...).
    pub state: char,
}

/// Parses `/proc/<pid>/stat`: `pid (comm) state ppid pgrp ...`, where
/// `comm` may itself hold spaces and parentheses.
pub fn parse_stat(stat: &str) -> Option<ProcInfo> {
    let (head, rest) = stat.rsplit_once(')')?;
    let pid = head.split_once(" (")?.0.trim().parse().ok()?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgid = fields.next()?.parse().ok()?;
    Some(ProcInfo {
        pid,
        ppid,
        pgid,
        state,
    })
}

/// Every process visible in `/proc`.
pub fn snapshot() -> Vec<ProcInfo> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| parse_stat(&stat))
        .collect()
}

/// `root` and all its descendants, parents before children.
pub fn tree(root: i32) -> Vec<ProcInfo> {
    let all = snapshot();
    let mut out: Vec<ProcInfo> = all.iter().copied().filter(|p| p.pid == root).collect();
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].pid;
        out.extend(
            all.iter()
                .copied()
                .filter(|p| p.ppid == parent && p.pid != root),
        );
        i += 1;
    }
    out
}

/// True if `pid` exists and is not a zombie.
pub fn is_running(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| parse_stat(&s))
        .is_some_and(|p| p.state != 'Z')
}

/// Processes in group `pgid` that are still running.
pub fn group_members(pgid: i32) -> Vec<i32> {
    snapshot()
        .into_iter()
        .filter(|p| p.pgid == pgid && p.state != 'Z')
        .map(|p| p.pid)
        .collect()
}

/// Sends SIGTERM to one process, as Ctrl-C or `kill` would.
pub fn terminate(pid: i32) {
    if let Some(pid) = Pid::from_raw(pid) {
        // A stale pid at worst fails with ESRCH, which is fine to ignore.
        let _ = kill_process(pid, Signal::TERM);
    }
}

/// Signals every group in `groups` and every process in `pids`.
fn send(groups: &BTreeSet<i32>, pids: &[i32], signal: Signal) {
    for group in groups.iter().filter_map(|g| Pid::from_raw(*g)) {
        let _ = kill_process_group(group, signal);
    }
    for pid in pids.iter().filter_map(|p| Pid::from_raw(*p)) {
        let _ = kill_process(pid, signal);
    }
}

/// Stops `root`, its process group and every descendant: SIGTERM first,
/// SIGKILL for whatever still runs after `grace`. Returns the pids that
/// survived even SIGKILL (normally none).
pub fn stop_tree(root: i32, grace: Duration) -> Vec<i32> {
    let members = tree(root);
    let root_group = members.first().map(|p| p.pgid);
    // Never signal our own group: the caller would kill itself.
    let own_group = getpgrp().as_raw_nonzero().get();
    let groups: BTreeSet<i32> = members
        .iter()
        .map(|p| p.pgid)
        .chain(root_group)
        .filter(|g| *g > 1 && *g != own_group)
        .collect();
    let pids: Vec<i32> = members.iter().map(|p| p.pid).collect();
    let running = || -> Vec<i32> {
        let mut left: Vec<i32> = pids.iter().copied().filter(|p| is_running(*p)).collect();
        for group in &groups {
            left.extend(group_members(*group));
        }
        left.sort_unstable();
        left.dedup();
        left
    };
    send(&groups, &pids, Signal::TERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !running().is_empty() {
        std::thread::sleep(Duration::from_millis(100));
    }
    if running().is_empty() {
        return Vec::new();
    }
    send(&groups, &pids, Signal::KILL);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && !running().is_empty() {
        std::thread::sleep(Duration::from_millis(50));
    }
    running()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    #[test]
    fn stat_lines_parse_even_with_odd_names() {
        let cases = [
            ("42 (cargo) S 1 42 42 0 -1", Some((42, 1, 42, 'S'))),
            ("7 (a (b) c) R 3 5 5 0", Some((7, 3, 5, 'R'))),
            ("9 (zombie) Z 2 9 9", Some((9, 2, 9, 'Z'))),
            ("garbage", None),
        ];
        for (line, expected) in cases {
            let got = parse_stat(line).map(|p| (p.pid, p.ppid, p.pgid, p.state));
            assert_eq!(got, expected, "{line}");
        }
    }

    /// Kills what a test started when it is dropped, so a failing test
    /// leaves no process behind.
    struct KillOnDrop {
        child: std::process::Child,
        /// Pids known to belong to the test besides `child`.
        others: Vec<i32>,
    }

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let mut pids = self.others.clone();
            // Once reaped, the child's pid may belong to someone else.
            if let Ok(None) = self.child.try_wait() {
                let root = i32::try_from(self.child.id()).unwrap_or(0);
                pids.extend(tree(root).iter().map(|p| p.pid));
            }
            for pid in pids.into_iter().filter(|pid| is_running(*pid)) {
                if let Some(pid) = Pid::from_raw(pid) {
                    let _ = kill_process(pid, Signal::KILL);
                }
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[test]
    fn a_tree_with_a_grandchild_in_its_own_group_is_stopped() {
        // sh starts a grandchild in a new session (setsid), as tools that
        // manage their own process groups do, then ignores SIGTERM so the
        // SIGKILL path is exercised too. The grandchild prints its pid only
        // once setsid has run, so the tree is never read half-made.
        let child = Command::new("sh")
            .args([
                "-c",
                "trap '' TERM; setsid sh -c 'echo $$; exec sleep 300' & wait",
            ])
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut guard = KillOnDrop {
            child,
            others: Vec::new(),
        };
        let stdout = guard.child.stdout.take().unwrap();
        let (sender, ready) = std::sync::mpsc::channel();
        // A thread, so a grandchild that never answers cannot hang the test.
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
            let _ = sender.send(line);
        });
        let line = ready.recv_timeout(Duration::from_secs(5)).unwrap();
        let grandchild: i32 = line.trim().parse().unwrap();
        guard.others.push(grandchild);

        let root = i32::try_from(guard.child.id()).unwrap();
        let members = tree(root);
        let pids: Vec<i32> = members.iter().map(|p| p.pid).collect();
        assert_eq!(pids, [root, grandchild], "{members:?}");
        assert_ne!(members[0].pgid, members[1].pgid, "{members:?}");
        let left = stop_tree(root, Duration::from_millis(300));
        assert!(left.is_empty(), "{left:?}");
        let _ = guard.child.wait();
        assert!(members.iter().all(|p| !is_running(p.pid)));
        // All gone: nothing for the guard to kill, and their pids may be reused.
        guard.others.clear();
    }
}
