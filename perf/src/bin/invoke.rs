//! What one invocation costs through the Lambda Runtime API: round trip
//! (event queued → answer read by the emulator) and the function's own CPU
//! time (user + system, all threads, from its process CPU clock), for
//!
//! - `authorizer`: the release binary as deployed (log level INFO);
//! - `authorizer DEBUG`: the same at `AWS_LAMBDA_LOG_LEVEL=DEBUG`, which adds
//!   the DEBUG line per accepted token;
//! - `authorizer WARN`: the same at `AWS_LAMBDA_LOG_LEVEL=WARN`, which also
//!   turns off `lambda_runtime`'s INFO span per invocation;
//! - `authorizer HTTP API`: the same binary (INFO) sent HTTP API payload 2.0
//!   events with the same tokens, answering simply (`SIMPLE_RESPONSES=true`);
//! - `noop`: a function on the same `lambda_runtime` and profile that answers
//!   the event itself (`perf/src/bin/noop.rs`): the floor of the runtime loop;
//! - `node`: a Node authorizer on aws-jwt-verify (`perf/node/`), if `--node`
//!   names its script and `node` is on `PATH`;
//!
//! each pinned to one CPU (`taskset -c <cpu>`; the harness stays free) and
//! unpinned. The emulator runs in this process, so its work is not counted.
//! Each round sends every subject `--invocations` events, in blocks of
//! `--block` that visit the subjects in rotating order; between them the
//! harness times as many raw aws-lc-rs RSA-2048 verifications of the same
//! token (thread CPU time), the crypto floor of a decision. Ratios and
//! differences are taken per block (all subjects' block `i` ran within a
//! few hundred ms), then the median over blocks; per-round figures are shown too.
//!
//! `invoke [--rounds 5] [--invocations 2000] [--block 100] [--warmup 500] [--cpu N] [--node SCRIPT] [--binary PATH] [--noop PATH] [--logs]`

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use perf::{PerfError, process_cpu_time};
use serde_json::{Value, json};
use testkit::rig::{ANSWER_TIMEOUT, METHOD_ARN, POOL_ID, SCOPE};
use testkit::{Rig, Running, expect_allow, expect_authorized, token_event};

/// The pool's issuer as Cognito writes it, which aws-jwt-verify insists on.
const COGNITO_ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PerfPool1";
/// Budget 1: authorizer CPU ≤ this × (no-op CPU + one raw verify).
const CPU_BUDGET: f64 = 1.25;
/// Budget 2: p99 round trip ≤ this × the median.
const TAIL_BUDGET: f64 = 1.5;
/// Distinct tokens the events cycle through.
const TOKENS: usize = 8;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    perf::exit("invoke", run().await)
}

/// What one invocation costs, for the authorizer and its comparisons.
#[derive(Parser)]
struct Options {
    /// Rounds, each sending every subject `--invocations` events.
    #[arg(long, default_value_t = 5, value_parser = positive)]
    rounds: usize,
    /// Events per subject and round.
    #[arg(long, default_value_t = 2_000, value_parser = positive)]
    invocations: usize,
    /// Unmeasured events per subject first.
    #[arg(long, default_value_t = 500)]
    warmup: usize,
    /// Events per block of the rotating order.
    #[arg(long, default_value_t = 100, value_parser = positive)]
    block: usize,
    /// The CPU the pinned subjects run on (default: the last one).
    #[arg(long, default_value_t = last_cpu())]
    cpu: usize,
    /// A Node authorizer script (perf/node/) to compare with.
    #[arg(long, value_name = "SCRIPT")]
    node: Option<PathBuf>,
    /// The authorizer binary.
    #[arg(long, value_name = "PATH", default_value_os_t = perf::default_binary())]
    binary: PathBuf,
    /// The no-op function (default: `noop` beside this binary).
    #[arg(long, value_name = "PATH", default_value_os_t = sibling("noop"))]
    noop: PathBuf,
    /// Passes the functions' log lines through.
    #[arg(long)]
    logs: bool,
}

fn positive(text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a positive number")),
        Ok(n) => Ok(n),
    }
}

fn last_cpu() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get() - 1)
}

fn sibling(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// The subject sent payload 2.0 events.
const HTTP_API: &str = "authorizer HTTP API";

/// A payload 2.0 REQUEST event for the method ARN's `GET /book` on stage
/// `Prod`, as an HTTP API sends it (identity sources: the header and the
/// route key).
fn http_event(token: &str) -> Value {
    let authorization = format!("Bearer {token}");
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": METHOD_ARN,
        "identitySource": [authorization, "GET /book"],
        "routeKey": "GET /book",
        "rawPath": "/Prod/book",
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "authorization": authorization,
            "host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "http": {"method": "GET", "path": "/Prod/book", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.10", "userAgent": "curl/8.5.0"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "GET /book",
            "stage": "Prod",
            "timeEpoch": 1_796_392_800_000_i64
        }
    })
}

/// One function process under measurement.
struct Subject {
    name: &'static str,
    pinned: bool,
    running: Running,
    pid: u32,
    init: Duration,
    round_trips_us: Vec<f64>,
    cpu_us: Vec<f64>,
    /// CPU per invocation in each block, in µs; block `i` of every subject
    /// and of the raw verification ran within the same few hundred ms.
    block_cpu_us: Vec<f64>,
}

/// What to start, before pinning.
struct Spec {
    name: &'static str,
    program: PathBuf,
    args: Vec<OsString>,
    env: &'static [(&'static str, &'static str)],
}

async fn run() -> Result<(), PerfError> {
    let options = Options::parse();
    let rig = Rig::new(options.binary.clone(), options.logs)
        .await?
        .with_token_issuer(COGNITO_ISSUER);
    let tokens = (0..TOKENS)
        .map(|_| rig.token(SCOPE))
        .collect::<Result<Vec<_>, _>>()?;
    let token_events: Vec<String> = tokens.iter().map(|t| token_event(t).to_string()).collect();
    let http_events: Vec<String> = tokens.iter().map(|t| http_event(t).to_string()).collect();
    let verifier = RawVerify::new(&rig, &tokens[0])?;

    if !options.noop.is_file() {
        return Err(PerfError::NoBinary(options.noop));
    }
    let mut specs = vec![
        Spec {
            name: "authorizer",
            program: options.binary.clone(),
            args: vec![],
            env: &[],
        },
        Spec {
            name: HTTP_API,
            program: options.binary.clone(),
            args: vec![],
            env: &[("SIMPLE_RESPONSES", "true")],
        },
        Spec {
            name: "authorizer DEBUG",
            program: options.binary.clone(),
            args: vec![],
            env: &[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")],
        },
        Spec {
            name: "authorizer WARN",
            program: options.binary.clone(),
            args: vec![],
            env: &[("AWS_LAMBDA_LOG_LEVEL", "WARN")],
        },
        Spec {
            name: "noop",
            program: options.noop.clone(),
            args: vec![],
            env: &[],
        },
    ];
    match (&options.node, find_on_path("node")) {
        (Some(script), Some(node)) if script.is_file() => specs.push(Spec {
            name: "node",
            program: node,
            args: vec![script.clone().into()],
            env: &[],
        }),
        (Some(script), Some(_)) => println!(
            "node: skipped, {} does not exist (scripts/bench-invoke installs it)",
            script.display()
        ),
        (Some(_), None) => println!("node: skipped, `node` is not on PATH"),
        (None, _) => println!("node: skipped (no --node SCRIPT)"),
    }
    let taskset = find_on_path("taskset");
    if taskset.is_none() {
        println!("pinned runs: skipped, `taskset` (util-linux) is not on PATH");
    }

    let mut subjects = Vec::new();
    for spec in &specs {
        for pinned in [false, true] {
            let (program, args) = match (pinned, &taskset) {
                (false, _) => (spec.program.clone(), spec.args.clone()),
                (true, Some(taskset)) => {
                    let mut args: Vec<OsString> = vec!["-c".into(), options.cpu.to_string().into()];
                    args.push(spec.program.clone().into());
                    args.extend(spec.args.iter().cloned());
                    (taskset.clone(), args)
                }
                (true, None) => continue,
            };
            subjects.push(start(&rig, spec, pinned, program.as_os_str(), &args).await?);
        }
    }

    let events = |subject: &Subject| {
        if subject.name == HTTP_API {
            http_events.clone()
        } else {
            token_events.clone()
        }
    };
    for subject in &mut subjects {
        let events = events(subject);
        drive(subject, &events, options.warmup).await?;
        subject.round_trips_us.clear();
    }
    let mut raw_us = Vec::with_capacity(options.rounds);
    let mut raw_block_us = Vec::new();
    let blocks = options.invocations.div_ceil(options.block);
    for round in 0..options.rounds {
        // Within a round, blocks of `--block` invocations visit the subjects
        // (and the raw verification) in rotating order, so a slow stretch of
        // the shared machine is spread over all of them.
        let mut used = vec![Duration::ZERO; subjects.len()];
        let mut raw = Duration::ZERO;
        let mut done = 0;
        for block in 0..blocks {
            let count = options.block.min(options.invocations - done);
            let per_call = |d: Duration| d.as_secs_f64() * 1e6 / count as f64;
            let n = subjects.len() + 1;
            for i in 0..n {
                let at = (round * blocks + block + i) % n;
                match subjects.get_mut(at) {
                    Some(subject) => {
                        let events = events(subject);
                        let spent = drive(subject, &events, count).await?;
                        subject.block_cpu_us.push(per_call(spent));
                        used[at] += spent;
                    }
                    None => {
                        let spent = verifier.time(count)?;
                        raw_block_us.push(per_call(spent));
                        raw += spent;
                    }
                }
            }
            done += count;
        }
        let per_call = |d: Duration| d.as_secs_f64() * 1e6 / options.invocations as f64;
        for (subject, used) in subjects.iter_mut().zip(used) {
            subject.cpu_us.push(per_call(used));
        }
        raw_us.push(per_call(raw));
    }

    report(&options, &mut subjects, &raw_us, &raw_block_us)?;
    for subject in subjects {
        subject.running.stop().await?;
    }
    Ok(())
}

async fn start(
    rig: &Rig,
    spec: &Spec,
    pinned: bool,
    program: &OsStr,
    args: &[OsString],
) -> Result<Subject, PerfError> {
    let mut running = rig.spawn_program(program, args, spec.env, |_| {}).await?;
    let pid = running
        .child
        .id()
        .ok_or_else(|| PerfError::NoAnswer(format!("{} exited at once", spec.name)))?;
    let spawned_at = running.spawned_at;
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    let init = loop {
        if let Some(polled) = running.api.first_poll() {
            break polled.saturating_duration_since(spawned_at);
        }
        if let Ok(Some(status)) = running.child.try_wait() {
            return Err(PerfError::NoAnswer(format!(
                "{} exited during init: {status}",
                spec.name
            )));
        }
        if Instant::now() > deadline {
            return Err(PerfError::NoAnswer(format!("{} never polled", spec.name)));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    Ok(Subject {
        name: spec.name,
        pinned,
        running,
        pid,
        init,
        round_trips_us: Vec::new(),
        cpu_us: Vec::new(),
        block_cpu_us: Vec::new(),
    })
}

/// Sends `count` events one after another, checking every answer;
/// returns the CPU time the function used meanwhile.
async fn drive(
    subject: &mut Subject,
    events: &[String],
    count: usize,
) -> Result<Duration, PerfError> {
    let before = process_cpu_time(subject.pid)?;
    for i in 0..count {
        let invocation = subject.running.api.push(events[i % events.len()].clone());
        let outcome = subject.running.answer(invocation).await?;
        match subject.name {
            "noop" => {}
            HTTP_API => expect_authorized(&outcome)?,
            _ => expect_allow(&outcome)?,
        }
        let round_trip = outcome
            .answered_at
            .saturating_duration_since(outcome.queued_at);
        subject.round_trips_us.push(round_trip.as_secs_f64() * 1e6);
    }
    Ok(process_cpu_time(subject.pid)?.saturating_sub(before))
}

/// A raw RSA-2048 signature check of the benchmark's token, as
/// `authorizer/benches/decision.rs`'s `warm/raw_verify`: key parsed once,
/// signature decoded once.
struct RawVerify {
    key: ParsedPublicKey,
    message: Vec<u8>,
    signature: Vec<u8>,
}

impl RawVerify {
    fn new(rig: &Rig, token: &str) -> Result<Self, PerfError> {
        let bad = |what: &str| PerfError::WrongAnswer(format!("benchmark token: {what}"));
        let jwk = rig.issuer.jwk();
        let number = |name: &str| {
            jwk[name]
                .as_str()
                .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
                .ok_or_else(|| bad(name))
        };
        let (n, e) = (number("n")?, number("e")?);
        let key = RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| bad("key"))?;
        let (message, signature) = token.rsplit_once('.').ok_or_else(|| bad("parts"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| bad("signature"))?;
        Ok(Self {
            key,
            message: message.as_bytes().to_vec(),
            signature,
        })
    }

    /// Thread CPU time of `count` verifications.
    fn time(&self, count: usize) -> Result<Duration, PerfError> {
        let before = thread_cpu_time();
        for _ in 0..count {
            self.key
                .verify_sig(
                    std::hint::black_box(&self.message),
                    std::hint::black_box(&self.signature),
                )
                .map_err(|_| PerfError::WrongAnswer("the raw verification failed".into()))?;
        }
        Ok(thread_cpu_time().saturating_sub(before))
    }
}

fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid out-pointer for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Linear-interpolation quantile of a sorted sample.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile(&sorted, 0.5)
}

fn report(
    options: &Options,
    subjects: &mut [Subject],
    raw_us: &[f64],
    raw_block_us: &[f64],
) -> Result<(), PerfError> {
    println!(
        "binary: {} ({} bytes); noop: {} ({} bytes)",
        options.binary.display(),
        std::fs::metadata(&options.binary)?.len(),
        options.noop.display(),
        std::fs::metadata(&options.noop)?.len()
    );
    println!(
        "{} rounds x {} invocations per subject (after {} warm-up), alternating in blocks of {}; pinned = taskset -c {} (function only); pool {POOL_ID}",
        options.rounds, options.invocations, options.warmup, options.block, options.cpu
    );
    println!();
    println!(
        "{:<19} {:>8} {:>10} {:>10} {:>8} {:>14} {:>22} {:>9} {:>10}",
        "subject",
        "pinned",
        "p50 µs",
        "p99 µs",
        "p99/p50",
        "CPU µs/inv",
        "CPU per round",
        "init ms",
        "VmHWM KiB"
    );
    for subject in subjects.iter_mut() {
        subject.round_trips_us.sort_by(f64::total_cmp);
        let p50 = quantile(&subject.round_trips_us, 0.5);
        let p99 = quantile(&subject.round_trips_us, 0.99);
        let rounds: Vec<String> = subject.cpu_us.iter().map(|c| format!("{c:.0}")).collect();
        let (peak, _) = subject.running.memory_kib()?;
        println!(
            "{:<19} {:>8} {:>10.1} {:>10.1} {:>8.2} {:>14.1} {:>22} {:>9.1} {:>10}",
            subject.name,
            if subject.pinned { "yes" } else { "no" },
            p50,
            p99,
            p99 / p50,
            median(&subject.cpu_us),
            rounds.join(" "),
            subject.init.as_secs_f64() * 1e3,
            peak
        );
    }
    let raw = median(raw_us);
    let rounds: Vec<String> = raw_us.iter().map(|c| format!("{c:.1}")).collect();
    println!(
        "{:<19} {:>8} {:>10} {:>10} {:>8} {:>14.1} {:>22}",
        "raw RSA verify",
        "-",
        "-",
        "-",
        "-",
        raw,
        rounds.join(" ")
    );

    println!();
    for pinned in [false, true] {
        let find = |name: &str| {
            subjects
                .iter()
                .find(|s| s.name == name && s.pinned == pinned)
        };
        let (Some(authorizer), Some(noop)) = (find("authorizer"), find("noop")) else {
            continue;
        };
        let label = if pinned { "pinned" } else { "unpinned" };
        // Per-block ratios: a block's three figures were measured back to
        // back, so a slow stretch of the shared machine mostly cancels out.
        let mut ratios: Vec<f64> = (0..raw_block_us.len())
            .map(|b| authorizer.block_cpu_us[b] / (noop.block_cpu_us[b] + raw_block_us[b]))
            .collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = quantile(&ratios, 0.5);
        let per_round: Vec<String> = (0..raw_us.len())
            .map(|r| format!("{:.2}", authorizer.cpu_us[r] / (noop.cpu_us[r] + raw_us[r])))
            .collect();
        println!(
            "budget 1 ({label}): authorizer CPU / (noop CPU + raw verify) = {ratio:.3} median of {} blocks (p10 {:.2}, p90 {:.2}; per round {}) <= {CPU_BUDGET}: {}",
            ratios.len(),
            quantile(&ratios, 0.1),
            quantile(&ratios, 0.9),
            per_round.join(" "),
            verdict(ratio <= CPU_BUDGET)
        );
        let p50 = quantile(&authorizer.round_trips_us, 0.5);
        let p99 = quantile(&authorizer.round_trips_us, 0.99);
        println!(
            "budget 2 ({label}): authorizer p99 / p50 round trip = {:.2} ({p99:.0} / {p50:.0} µs) <= {TAIL_BUDGET}: {}",
            p99 / p50,
            verdict(p99 / p50 <= TAIL_BUDGET)
        );
        let diff = |a: &Subject, b: &Subject| {
            let cpu: Vec<f64> = (0..raw_block_us.len())
                .map(|i| a.block_cpu_us[i] - b.block_cpu_us[i])
                .collect();
            let p50 = |s: &Subject| quantile(&s.round_trips_us, 0.5);
            (median(&cpu), p50(a) - p50(b))
        };
        if let Some(loud) = find("authorizer DEBUG") {
            let (cpu, p50) = diff(loud, authorizer);
            println!(
                "log line ({label}): DEBUG (+ one line per accepted token) - INFO = {cpu:.1} µs CPU per invocation (median of blocks), p50 round trip {p50:+.1} µs"
            );
        }
        if let Some(quiet) = find("authorizer WARN") {
            let (cpu, p50) = diff(authorizer, quiet);
            println!(
                "log span ({label}): INFO (lambda_runtime's span per invocation) - WARN = {cpu:.1} µs CPU per invocation, p50 round trip {p50:+.1} µs"
            );
        }
        if let Some(node) = find("node") {
            println!(
                "node ({label}): {:.2}x the authorizer's CPU, {:.2}x its p50 round trip",
                median(&node.cpu_us) / median(&authorizer.cpu_us),
                quantile(&node.round_trips_us, 0.5) / p50
            );
        }
    }
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}
