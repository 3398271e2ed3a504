//! `local-stack`: the whole system offline (see [`local::run_from_template`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use local::CliError;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    // Paths default to this workspace, wherever the command is started from.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let options = match local::parse_command_line(std::env::args_os(), workspace) {
        Ok(options) => options,
        // Help goes to stdout with status 0, usage errors to stderr with 2.
        Err(CliError::Usage(error)) => error.exit(),
        Err(error) => {
            eprintln!("local-stack: {error}");
            return ExitCode::from(2);
        }
    };
    match local::run_from_template(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("local-stack: {error}");
            ExitCode::FAILURE
        }
    }
}
