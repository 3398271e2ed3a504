//! `scripts/dev`'s launcher refuses a bad command line or a busy port
//! before it builds anything.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Output};

fn launch(args: &[String]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-stack-launcher"));
    // Only the flags given here: no port, state or user from the caller.
    for variable in [
        "LOCAL_TOKEN_PORT",
        "LOCAL_WATCH_PORT",
        "LOCAL_API_PORT",
        "LOCAL_HTTP_API_PORT",
        "LOCAL_WEB_PORT",
    ] {
        command.env_remove(variable);
    }
    // Were it to reach its build step, this cargo fails at once and says so.
    command.env("CARGO", "/nonexistent/cargo");
    command.args(args).output().unwrap()
}

#[test]
fn a_busy_port_or_a_bad_flag_stops_it_before_the_build() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let busy = taken.local_addr().unwrap().port();
    // (arguments, exit code, what stderr starts with)
    let cases: [(Vec<String>, i32, String); 3] = [
        (
            vec![format!("--token-port={busy}")],
            2,
            format!(
                "local-stack: 127.0.0.1:{busy} (--token-port / LOCAL_TOKEN_PORT) cannot be bound"
            ),
        ),
        (
            vec!["--api-port=9000".into()],
            2,
            "local-stack: --api-port and --watch-port are both 9000".into(),
        ),
        (
            vec!["--bogus".into()],
            2,
            "error: unexpected argument '--bogus'".into(),
        ),
    ];
    for (args, code, stderr) in cases {
        let output = launch(&args);
        let got = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {got}");
        assert!(got.starts_with(&stderr), "{args:?}: {got}");
        assert!(!got.contains("building local-stack"), "{args:?}: {got}");
    }
}

#[test]
fn help_is_scripts_devs_and_names_every_flag() {
    let output = launch(&["--help".into()]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{help}");
    assert!(help.contains("Usage: scripts/dev [OPTIONS]"), "{help}");
    for flag in [
        "--token-port",
        "--watch-port",
        "--api-port",
        "--http-api-port",
        "--web-api",
        "--state-dir",
        "--user",
    ] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}

#[test]
fn free_ports_go_on_to_the_build() {
    // Five distinct ports the system hands out, given back before the
    // launcher binds them.
    let probes: Vec<TcpListener> = (0..5)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap())
        .collect();
    let free: Vec<String> = [
        "--token-port",
        "--api-port",
        "--http-api-port",
        "--web-port",
        "--watch-port",
    ]
    .iter()
    .zip(&probes)
    .map(|(flag, probe)| format!("{flag}={}", probe.local_addr().unwrap().port()))
    .collect();
    drop(probes);
    let output = launch(&free);
    let got = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{got}");
    assert!(
        got.starts_with("scripts/dev: ports free; building local-stack"),
        "{got}"
    );
    assert!(got.contains("scripts/dev: cannot run cargo"), "{got}");
}
