//! Helpers shared by the integration tests in `tests/tests/it/`.

pub mod browser;
pub mod fixtures;
pub mod local_stack;
pub mod moto;
