//! Helpers shared by the integration tests in `tests/tests/`.

pub mod browser;
pub mod fixtures;
pub mod free_port;
pub mod jwks_server;
pub mod local_stack;
pub mod moto;
pub mod process_guard;
pub mod wait_ready;
