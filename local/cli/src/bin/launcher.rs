//! `scripts/dev`'s first step: parses `local-stack`'s command line, checks
//! that its ports are free, builds `local-stack` (with cargo's progress) and
//! becomes it. A clean clone's first build takes minutes; a typo or a busy
//! port is reported in seconds instead.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};

use clap::{CommandFactory, FromArgMatches};
use local_cli::Args;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // Help and usage errors exit here, as local-stack would print them.
    let matches = Args::command()
        .bin_name("scripts/dev")
        .get_matches_from(&args);
    let parsed = match Args::from_arg_matches(&matches) {
        Ok(parsed) => parsed,
        Err(error) => error.exit(),
    };
    if let Err(error) = parsed.free_ports() {
        eprintln!("local-stack: {error}");
        return ExitCode::from(2);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("scripts/dev: ports free; building local-stack (the first time takes a few minutes)");
    let built = Command::new(cargo)
        .current_dir(&workspace)
        .args([
            "build",
            "-p",
            "local",
            "--bin",
            "local-stack",
            "--bin",
            "event",
        ])
        .status();
    match built {
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!("scripts/dev: building local-stack failed ({status})");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("scripts/dev: cannot run cargo: {error}");
            return ExitCode::FAILURE;
        }
    }
    // Built into the same profile folder as this launcher.
    let stack = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name("local-stack"),
        Err(error) => {
            eprintln!("scripts/dev: cannot find local-stack beside the launcher: {error}");
            return ExitCode::FAILURE;
        }
    };
    let error = Command::new(&stack).args(&args[1..]).exec();
    eprintln!("scripts/dev: cannot start {}: {error}", stack.display());
    ExitCode::FAILURE
}
