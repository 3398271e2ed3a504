//! `scripts/event`'s command line (the `event` binary of `local`), beside
//! `local-stack`'s, so that every flag of the dev stack is defined here.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Which authorizer event to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// `{"type":"TOKEN","authorizationToken":…,"methodArn":…}`.
    Token,
    /// The request's headers, parameters and context, with `type` and `methodArn`.
    Request,
}

/// `scripts/event`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "scripts/event",
    about = "Prints an authorizer event carrying a fresh token from the running local stack \
             (scripts/dev), for cargo lambda invoke authorizer --data-file <(scripts/event token GET /book)."
)]
pub struct EventArgs {
    /// TOKEN or REQUEST authorizer event
    pub kind: Kind,
    /// The request's method, e.g. GET
    pub method: String,
    /// The request's path in the stage, e.g. /book or /book/42 (a URL's
    /// /prod/book works too)
    pub path: String,
    /// The app client, by its logical id in the template [default: the first client_credentials client]
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Ask for only these scopes (space-separated) [default: every scope the client is allowed]
    #[arg(long, value_name = "SCOPES")]
    pub scope: Option<String>,
    /// The running stack's state folder [default: <workspace>/.local-state]
    #[arg(long, value_name = "PATH", env = "LOCAL_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// SAM template [default: <workspace>/template.yaml]
    #[arg(long, value_name = "PATH")]
    pub template: Option<PathBuf>,
}
