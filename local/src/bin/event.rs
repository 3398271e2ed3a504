//! `event`: an authorizer event with a fresh local token (see [`local::event`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use local::{EventArgs, event};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = EventArgs::parse();
    // Paths default to this workspace, wherever the command is started from.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    match event(&args, &workspace).await {
        Ok(event) => {
            println!("{event:#}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("scripts/event: {error}");
            ExitCode::FAILURE
        }
    }
}
