//! Helpers shared by the integration tests in `tests/tests/`.

pub mod fixtures;
pub mod jwks_server;
