//! Memory stays flat over a long-lived process: the real binary (this
//! crate's debug build), driven through the Runtime API emulator with a
//! distinct trace id per invocation as Lambda sends them. lambda_runtime's
//! own loop grew by ~145 bytes per invocation here (its per-invocation
//! `set_var`, kept by glibc): ~5.5 MiB over these 40,000 invocations.
//! `target/release/rss --events 1000000` measures the full budget.

use std::path::PathBuf;

use testkit::{Rig, Workload, memory_run};

#[tokio::test(flavor = "current_thread")]
#[ignore = "about a minute in a debug build; scripts/test and CI run it"]
async fn peak_memory_does_not_grow_between_10k_and_50k_invocations() {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_authorizer"));
    let rig = Rig::new(binary, false).await.unwrap();
    let workload = Workload::authorizer(&rig).unwrap();
    // kill_on_drop: the process goes with `running`, also when an assertion fails.
    let mut running = rig.spawn(|_| {}).await.unwrap();
    let points = memory_run(&mut running, &workload, 50_000, &[10_000])
        .await
        .unwrap();
    running.stop().await.unwrap();
    let (at_10k, at_50k) = (points[0].1, points[1].1);
    assert!(
        at_50k.saturating_sub(at_10k) < 1024,
        "VmHWM grew from {at_10k} KiB to {at_50k} KiB"
    );
}
