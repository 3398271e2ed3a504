//! Every cross-crate integration test, as one test binary: one link of the
//! workspace instead of one per file, and the harness runs the files' tests
//! side by side. Each file is a module of one concern; a new test file goes
//! here with a `mod` line below.

mod browser;
mod cors;
mod example_events;
mod group_rules;
mod http_api_answers;
mod jwks_fetch;
mod moto_interop;
mod oauth_interop;
mod policy_properties;
mod policy_replay;
mod readme_cargo_lambda;
mod route_table_file;
mod sign_in;
mod template_consistency;
mod token_rules;
mod walkthrough;
