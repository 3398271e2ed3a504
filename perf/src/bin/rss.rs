//! Peak memory of the real authorizer binary after many decisions: drives
//! `--events` invocations (default 10,000) one after another through the
//! Runtime API emulator — valid tokens with assorted scopes, every tenth a
//! forged one — then reads `VmHWM` and `VmRSS` from `/proc/<pid>/status`.
//!
//! `cargo run --release -p perf --bin rss -- [--events 10000] [--keys http] [--binary PATH] [--logs] [--env NAME=VALUE]...`

use std::process::ExitCode;
use std::time::Instant;

use perf::{Args, Keys, PerfError, expect_allow, expect_unauthorized, token_event};

/// Scope sets of the valid tokens: one route, several, all, and with OIDC scopes mixed in.
const SCOPES: [&str; 6] = [
    "API/book.get",
    "API/book.get API/book.post",
    "API/book.get API/book.post API/user.get API/user.post awesomeapi-resource-server/awesomeapi.read",
    "openid email API/user.get",
    "API/user.post",
    "awesomeapi-resource-server/awesomeapi.read API/book.get",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    perf::exit("rss", run().await)
}

async fn run() -> Result<(), PerfError> {
    let args = Args::parse("--events", 10_000, &[Keys::Http])?;
    let (events, binary) = (args.count, &args.binary);
    let rig = args.rig(args.keys[0]).await?;
    let mut valid = Vec::new();
    for scope in SCOPES {
        valid.push(token_event(&rig.token(scope)?).to_string());
    }
    // A forged token: a valid one with another token's signature.
    let (a, b) = (rig.token(SCOPES[0])?, rig.token(SCOPES[1])?);
    let forged = match (a.rsplit_once('.'), b.rsplit_once('.')) {
        (Some((signed, _)), Some((_, signature))) => format!("{signed}.{signature}"),
        _ => return Err(PerfError::WrongAnswer("tokens are not three parts".into())),
    };
    let forged = token_event(&forged).to_string();

    let mut running = rig.spawn(|_| {}).await?;
    let mut after_first = (0, 0);
    let started = Instant::now();
    for i in 0..events {
        let forge = i % 10 == 9;
        let event = if forge {
            &forged
        } else {
            &valid[i % valid.len()]
        };
        let invocation = running.api.push(event.clone());
        let outcome = running.answer(invocation).await?;
        if forge {
            expect_unauthorized(&outcome)?;
        } else {
            expect_allow(&outcome)?;
        }
        if i == 0 {
            after_first = running.memory_kib()?;
        }
    }
    let elapsed = started.elapsed();
    let (peak, current) = running.memory_kib()?;
    running.stop().await?;

    println!(
        "binary: {} ({} bytes)",
        binary.display(),
        std::fs::metadata(binary)?.len()
    );
    println!(
        "events: {events} ({} forged), {:.0} invocations/s through the Runtime API, JWKS fetches: {}",
        events / 10,
        events as f64 / elapsed.as_secs_f64(),
        rig.jwks.fetches()
    );
    println!(
        "after the first decision: VmHWM {} KiB, VmRSS {} KiB",
        after_first.0, after_first.1
    );
    println!(
        "after {events} decisions:    VmHWM {peak} KiB ({:.2} MiB), VmRSS {current} KiB",
        peak as f64 / 1024.0
    );
    let verdict = if peak * 1024 <= 12_000_000 {
        "met"
    } else {
        "NOT met"
    };
    println!("budget 3 (VmHWM <= 12 MB): {verdict}");
    Ok(())
}
