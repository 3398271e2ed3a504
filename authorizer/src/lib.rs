//! An API Gateway Lambda authorizer for Amazon Cognito access tokens.
//!
//! The decision core ([`Authorizer::decide`]) is pure: given the event, the
//! keys and the time it returns a decision. Fetching keys ([`key_store`]),
//! reading the environment ([`config`]) and the Lambda runtime ([`service`])
//! live at the edges.

pub mod arn;
pub mod config;
pub mod decision;
pub mod event;
pub mod jwks;
pub mod key_store;
pub mod policy;
pub mod pools;
pub mod service;
pub mod verify;

pub use config::{Config, ConfigError};
pub use decision::{Authorizer, Decision, Rejection};
pub use jwks::{KeySet, PoolKeys};
/// Lambda's log settings, shared with the other functions (lambda-loop).
pub use lambda_loop::logging;
pub use policy::{Response, Unauthorized};
pub use pools::{IssuerForm, PoolIndex, TrustedPool, TrustedPools};
