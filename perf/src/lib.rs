//! Measuring the real function binaries without AWS, on testkit's
//! [`Rig`] (a signing key, a loopback JWKS server, the Runtime API
//! emulator): `coldstart` and `rss` print the figures docs/performance.md
//! quotes, `invoke` the per-invocation cost next to a no-op function
//! (`noop`) and a Node authorizer. This file holds what they share: the
//! command-line options of a rig, order statistics and the process CPU clock.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use testkit::{IssuerError, Keys, Rig, RigError};
use thiserror::Error;

/// Why a measurement could not be made.
#[derive(Debug, Error)]
pub enum PerfError {
    /// The rig could not start or drive the function.
    #[error(transparent)]
    Rig(#[from] RigError),
    /// Minting tokens failed.
    #[error("signing: {0}")]
    Issuer(#[from] IssuerError),
    /// Reading a file or serving a loopback socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A binary to measure is missing.
    #[error("{0} does not exist; build it with `cargo build --release -p authorizer -p perf`")]
    NoBinary(PathBuf),
    /// The process exited, or never polled, before answering.
    #[error("the function did not answer: {0}")]
    NoAnswer(String),
    /// The answer was not the expected one.
    #[error("unexpected answer: {0}")]
    WrongAnswer(String),
    /// The process's CPU clock could not be read.
    #[error("reading the state of process {0} failed")]
    Proc(u32),
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

/// The options of a harness that runs rigs (`coldstart`, `rss`), flattened
/// into each one's own command line.
#[derive(Debug, clap::Args)]
pub struct RigArgs {
    /// The function binary to run.
    #[arg(long, value_name = "PATH", default_value_os_t = default_binary())]
    pub binary: PathBuf,
    /// Where the function's keys come from, one rig each:
    /// http, https, https+bundle or snapshot (default: the harness's).
    #[arg(long, value_name = "SOURCE,...", value_delimiter = ',', value_parser = parse_keys)]
    pub keys: Vec<Keys>,
    /// An event to send instead of the harness's own.
    #[arg(long, value_name = "PATH")]
    pub event_file: Option<PathBuf>,
    /// Passes the function's log lines through.
    #[arg(long)]
    pub logs: bool,
    /// Also sets NAME=VALUE in the function's environment.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Configures N routes of the template's shape (`testkit::route_scopes`).
    #[arg(long, value_name = "N")]
    pub routes: Option<NonZeroUsize>,
    /// The trusted-pool counts to measure, one rig each per key source: 1
    /// is the single-pool variables, more is `TRUSTED_POOLS`
    /// (`testkit::trusted_pools`); the token is always the first pool's.
    #[arg(long, value_name = "N,...", value_delimiter = ',', default_value = "1")]
    pub pools: Vec<NonZeroUsize>,
}

impl RigArgs {
    /// The key sources asked for, or `default` if none were.
    pub fn keys_or(&self, default: &[Keys]) -> Vec<Keys> {
        if self.keys.is_empty() {
            default.to_vec()
        } else {
            self.keys.clone()
        }
    }

    /// A rig for the chosen binary with the extra environment applied,
    /// trusting the first of `--pools`.
    pub async fn rig(&self, keys: Keys) -> Result<Rig, PerfError> {
        let pools = self.pools.first().map_or(1, |n| n.get());
        self.rig_with_pools(keys, pools).await
    }

    /// [`RigArgs::rig`] trusting `pools` pools ([`Rig::with_pools`]).
    pub async fn rig_with_pools(&self, keys: Keys, pools: usize) -> Result<Rig, PerfError> {
        let mut rig = Rig::with_keys(self.binary.clone(), self.logs, keys).await?;
        for assignment in &self.env {
            rig = rig.with_env(assignment)?;
        }
        if let Some(n) = self.routes {
            rig = rig.with_routes(n.get());
        }
        Ok(rig.with_pools(pools)?)
    }
}

fn parse_keys(name: &str) -> Result<Keys, String> {
    Keys::from_name(name).ok_or_else(|| {
        format!("unknown key source {name:?}; known: http, https, https+bundle, snapshot")
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

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

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        rig: RigArgs,
    }

    #[test]
    fn rig_options_parse_and_bad_ones_are_refused() {
        let cli = Cli::try_parse_from([
            "h",
            "--logs",
            "--binary",
            "/x",
            "--keys",
            "http,snapshot",
            "--env",
            "A=1",
            "--routes",
            "7",
        ])
        .unwrap();
        assert!(cli.rig.logs);
        assert_eq!(cli.rig.binary, Path::new("/x"));
        assert_eq!(cli.rig.keys_or(&Keys::ALL), [Keys::Http, Keys::Snapshot]);
        assert_eq!(cli.rig.env, ["A=1"]);
        assert_eq!(cli.rig.routes.map(NonZeroUsize::get), Some(7));
        let defaults = Cli::try_parse_from(["h"]).unwrap();
        assert_eq!(defaults.rig.keys_or(&[Keys::Http]), [Keys::Http]);
        assert_eq!(defaults.rig.binary, default_binary());
        for bad in [
            &["h", "--nope"][..],
            &["h", "--keys", "ftp"],
            &["h", "--routes", "0"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
