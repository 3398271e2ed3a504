//! Cold start of the real authorizer binary: process spawn → first decision
//! answered, with the event already waiting (as at a Lambda cold start) and
//! the JWKS served on loopback. Each run is a fresh process and a fresh
//! Runtime API; one unreported run first puts the binary in the page cache.
//!
//! `cargo run --release -p perf --bin coldstart -- [--runs 30] [--binary PATH] [--logs] [--env NAME=VALUE]... [--routes N]`
//!
//! `--routes N` configures N routes of the template's shape (`perf::route_scopes`).

use std::process::ExitCode;
use std::time::Duration;

use perf::{Args, PerfError, SCOPE, Summary, expect_allow, token_event};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    perf::exit("coldstart", run().await)
}

async fn run() -> Result<(), PerfError> {
    let Args {
        count: runs,
        rig,
        binary,
        ..
    } = Args::parse("--runs", 30).await?;
    let event = token_event(&rig.token(SCOPE)?).to_string();

    let mut to_answer: Vec<Duration> = Vec::with_capacity(runs);
    let mut to_poll: Vec<Duration> = Vec::with_capacity(runs);
    for run in 0..=runs {
        let mut first = None;
        let mut running = rig
            .spawn(|api| first = Some(api.push(event.clone())))
            .await?;
        let first = first.ok_or_else(|| PerfError::NoAnswer("no event was queued".into()))?;
        let outcome = running.answer(first).await?;
        expect_allow(&outcome)?;
        let spawned_at = running.spawned_at;
        let polled_at = running.api.first_poll();
        running.stop().await?;
        if run == 0 {
            continue;
        }
        to_answer.push(outcome.answered_at.saturating_duration_since(spawned_at));
        if let Some(polled_at) = polled_at {
            to_poll.push(polled_at.saturating_duration_since(spawned_at));
        }
    }

    println!(
        "binary: {} ({} bytes)",
        binary.display(),
        std::fs::metadata(&binary)?.len()
    );
    println!(
        "runs: {runs} (+1 unreported warm-up), JWKS fetches: {}",
        rig.jwks.fetches()
    );
    if let Some(s) = Summary::of(&to_poll) {
        println!("spawn -> first poll of /next (init):    {s}");
    }
    if let Some(s) = Summary::of(&to_answer) {
        println!("spawn -> first decision answered:       {s}");
        let verdict = if s.median <= 15.0 { "met" } else { "NOT met" };
        println!("budget 2 (median <= 15 ms): {verdict}");
    }
    Ok(())
}
