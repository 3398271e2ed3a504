//! Peak memory of the real authorizer binary over many decisions: drives
//! `--events` invocations (default 10,000) one after another through the
//! Runtime API emulator, which gives each its own trace id as Lambda does —
//! valid tokens with assorted scopes, every tenth a forged one — and reads
//! `VmHWM` and `VmRSS` from `/proc/<pid>/status` after 2k, 10k, 50k, 100k,
//! 500k and 1M invocations and at the end. The last line is the growth of
//! the peak after the first 10,000 (the budget: under 1 MB for a
//! million). `--event-file` sends one event file instead (e.g. the
//! handler's REST event, with `--binary target/release/handler`).
//!
//! `cargo run --release -p perf --bin rss -- [--events 10000] [--keys http] [--binary PATH] [--logs] [--env NAME=VALUE]... [--event-file PATH]`

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use perf::{PerfError, RigArgs};
use testkit::{Keys, Workload, memory_run};

/// Where the peak is reported.
const CHECKPOINTS: [usize; 6] = [2_000, 10_000, 50_000, 100_000, 500_000, 1_000_000];

/// Peak memory of a function binary over many invocations.
#[derive(Parser)]
struct Cli {
    /// Invocations to send, one after another.
    #[arg(long, default_value = "10000")]
    events: NonZeroUsize,
    #[command(flatten)]
    rig: RigArgs,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    perf::exit("rss", run().await)
}

async fn run() -> Result<(), PerfError> {
    let cli = Cli::parse();
    let args = &cli.rig;
    let (events, binary, event_file) = (cli.events.get(), &args.binary, &args.event_file);
    let keys = args.keys_or(&[Keys::Http])[0];
    let rig = args.rig(keys).await?;
    let workload = match event_file {
        Some(path) => Workload::Fixed(std::fs::read_to_string(path)?),
        None => Workload::authorizer(&rig)?,
    };
    let mut running = rig.spawn(|_| {}).await?;
    let started = Instant::now();
    let points = memory_run(&mut running, &workload, events, &CHECKPOINTS).await?;
    let elapsed = started.elapsed();
    running.stop().await?;

    println!(
        "binary: {} ({} bytes)",
        binary.display(),
        std::fs::metadata(binary)?.len()
    );
    println!(
        "events: {events}{}, {:.0} invocations/s through the Runtime API (distinct trace ids), JWKS fetches: {}",
        if event_file.is_some() {
            String::new()
        } else {
            format!(" ({} forged)", events / 10)
        },
        events as f64 / elapsed.as_secs_f64(),
        rig.jwks.fetches()
    );
    for (done, peak, current) in &points {
        println!(
            "after {done:>9} invocations: VmHWM {peak:>7} KiB ({:.2} MiB), VmRSS {current:>7} KiB",
            *peak as f64 / 1024.0
        );
    }
    let peak = points.last().map_or(0, |p| p.1);
    let verdict = if peak * 1024 <= 12_000_000 {
        "met"
    } else {
        "NOT met"
    };
    println!("budget 3 (VmHWM <= 12 MB): {verdict}");
    if let Some((_, at_10k, _)) = points.iter().find(|p| p.0 == 10_000)
        && events > 10_000
    {
        let growth = peak.saturating_sub(*at_10k);
        let verdict = if growth < 1024 { "flat" } else { "GROWS" };
        println!("peak growth after 10,000 invocations: {growth} KiB ({verdict}; budget < 1 MB)");
    }
    Ok(())
}
