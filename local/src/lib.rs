//! Dev-only tools for running the system offline. Never deployed.

pub mod issuer;
