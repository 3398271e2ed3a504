//! A dev-only kit the product's tests, perf, fuzz and local share, so none
//! of them needs the dev stack to make a token or serve a key:
//!
//! - [`Issuer`]: RSA keys with a `kid`, signing Cognito-shaped access tokens;
//! - [`JwksServer`]: the one JWKS test server, over HTTP or HTTPS ([`TestCa`]);
//! - [`RuntimeApi`]: the Lambda Runtime API emulator that runs a real
//!   function binary without AWS, and the [`Rig`] that starts one under it
//!   with Lambda's environment ([`Workload`] for long memory runs);
//! - [`route_scopes`]: route tables of the template's shape, of any size;
//! - fixtures: scratch files and folders, free ports, a [`ProcessGuard`]
//!   that stops a child and everything below it, [`unix_now`].
//!
//! It keeps no state and needs no network beyond 127.0.0.1.

mod clock;
mod issuer;
mod jwks_server;
mod memory;
mod ports;
mod process_guard;
pub mod process_tree;
pub mod rig;
mod routes;
pub mod runtime_api;
mod temp;
pub mod tls;

pub use clock::unix_now;
pub use issuer::{Issuer, IssuerError, escape_slashes, jwks, m2m_claims};
pub use jwks_server::{JwksAnswer, JwksServer};
pub use memory::{MEMORY_SCOPES, Workload, memory_run};
pub use ports::{free_port, free_ports, port_is_closed, wait_for_port};
pub use process_guard::ProcessGuard;
pub use process_tree::ProcInfo;
pub use rig::{
    Keys, Rig, RigError, Running, expect_allow, expect_authorized, expect_unauthorized, token_event,
};
pub use routes::{ROUTE_SCOPES, route_scopes};
pub use runtime_api::{EmulatorError, FunctionError, Invocation, Outcome, RuntimeApi};
pub use temp::{NamedTempFile, TempDir, temp_dir, temp_file};
pub use tls::TestCa;
