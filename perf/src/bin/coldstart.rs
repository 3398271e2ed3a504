//! Cold start of the real authorizer binary: process spawn → first decision
//! answered, with the event already waiting (as at a Lambda cold start).
//! Each run is a fresh process and a fresh Runtime API. The key sources
//! (`--keys`, default all) are measured in alternating order in one run:
//!
//! - `http`: the JWKS fetched from plain-HTTP loopback;
//! - `https`: fetched over HTTPS, trusting only the test CA (`SSL_CERT_FILE`);
//! - `https+bundle`: over HTTPS with `SSL_CERT_FILE` = the system CA bundle
//!   plus the test CA, so root loading costs what it does in production;
//! - `snapshot`: the keys from `JWKS_FILE`, no fetch.
//!
//! One unreported run per source first puts the binary in the page cache.
//!
//! `cargo run --release -p perf --bin coldstart -- [--runs 30] [--keys http,https,https+bundle,snapshot] [--binary PATH] [--logs] [--env NAME=VALUE]... [--routes N] [--pools 1,100]`
//!
//! `--routes N` configures N routes of the template's shape (`testkit::route_scopes`).
//! `--pools 1,100` measures each key source with 1 trusted pool (the
//! single-pool variables) and with 100 (`TRUSTED_POOLS`,
//! `testkit::trusted_pools`), alternating, and prints the ratios to the
//! first count; the token is always the first pool's.

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use perf::{PerfError, RigArgs, Summary};
use testkit::rig::SCOPE;
use testkit::{Keys, Rig, expect_allow, token_event};

/// The budget on a cold start's median, in milliseconds.
const BUDGET_MS: f64 = 15.0;

/// Cold start of the real authorizer binary, per key source.
#[derive(Parser)]
struct Cli {
    /// Measured runs per key source.
    #[arg(long, default_value = "30")]
    runs: NonZeroUsize,
    #[command(flatten)]
    rig: RigArgs,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    perf::exit("coldstart", run().await)
}

struct Subject {
    keys: Keys,
    pools: usize,
    rig: Rig,
    event: String,
    to_answer: Vec<Duration>,
    to_poll: Vec<Duration>,
    cpu: Vec<Duration>,
}

async fn run() -> Result<(), PerfError> {
    let cli = Cli::parse();
    let (runs, args) = (cli.runs.get(), &cli.rig);
    let mut subjects = Vec::new();
    let keys_measured = args.keys_or(&Keys::ALL);
    let pool_counts: Vec<usize> = args.pools.iter().map(|n| n.get()).collect();
    for &keys in &keys_measured {
        for &pools in &pool_counts {
            let rig = args.rig_with_pools(keys, pools).await?;
            let event = token_event(&rig.token(SCOPE)?).to_string();
            subjects.push(Subject {
                keys,
                pools,
                rig,
                event,
                to_answer: Vec::with_capacity(runs),
                to_poll: Vec::with_capacity(runs),
                cpu: Vec::with_capacity(runs),
            });
        }
    }

    for run in 0..=runs {
        // Rotate the order so no source always follows the same one.
        let n = subjects.len();
        for i in 0..n {
            let subject = &mut subjects[(run + i) % n];
            let mut first = None;
            let mut running = subject
                .rig
                .spawn(|api| first = Some(api.push(subject.event.clone())))
                .await?;
            let first = first.ok_or_else(|| PerfError::NoAnswer("no event was queued".into()))?;
            let outcome = running.answer(first).await?;
            expect_allow(&outcome)?;
            // The process waits in its next poll now: what it has used is
            // the cold start's CPU.
            let pid = running.child.id().ok_or(PerfError::Proc(0))?;
            let cpu = perf::process_cpu_time(pid)?;
            let spawned_at = running.spawned_at;
            let polled_at = running.api.first_poll();
            running.stop().await?;
            if run == 0 {
                continue;
            }
            subject
                .to_answer
                .push(outcome.answered_at.saturating_duration_since(spawned_at));
            subject.cpu.push(cpu);
            if let Some(polled_at) = polled_at {
                subject
                    .to_poll
                    .push(polled_at.saturating_duration_since(spawned_at));
            }
        }
    }

    println!(
        "binary: {} ({} bytes)",
        args.binary.display(),
        std::fs::metadata(&args.binary)?.len()
    );
    println!(
        "runs: {} per key source, alternating (+1 unreported warm-up each)",
        runs
    );
    for subject in &subjects {
        println!(
            "[{}, {} pool{}] JWKS fetches: {} (warm-up included)",
            subject.keys.name(),
            subject.pools,
            if subject.pools == 1 { "" } else { "s" },
            subject.rig.jwks.fetches()
        );
        if let Some(s) = Summary::of(&subject.to_poll) {
            println!("  spawn -> first poll of /next (init):  {s}");
        }
        if let Some(s) = Summary::of(&subject.cpu) {
            println!("  function CPU until then:              {s}");
        }
        if let Some(s) = Summary::of(&subject.to_answer) {
            println!("  spawn -> first decision answered:     {s}");
            let verdict = if s.median <= BUDGET_MS {
                "met"
            } else {
                "NOT met"
            };
            println!("  median <= {BUDGET_MS} ms: {verdict}");
        }
    }
    // Each pool count's figures against the first count's, per key source:
    // wall time, and the function's CPU (steadier on a loaded machine).
    for keys in &keys_measured {
        let of = |pools: usize| {
            let subject = subjects
                .iter()
                .find(|s| s.keys == *keys && s.pools == pools)?;
            Some((Summary::of(&subject.to_answer)?, Summary::of(&subject.cpu)?))
        };
        let Some((wall, cpu)) = pool_counts.first().and_then(|&p| of(p)) else {
            continue;
        };
        for &pools in pool_counts.iter().skip(1) {
            if let Some((s, c)) = of(pools) {
                println!(
                    "[{}] {} pools / {} pool(s): median spawn -> first decision {:.3}, min {:.3}, median CPU {:.3}",
                    keys.name(),
                    pools,
                    pool_counts[0],
                    s.median / wall.median,
                    s.min / wall.min,
                    c.median / cpu.median
                );
            }
        }
    }
    Ok(())
}
