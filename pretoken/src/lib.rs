//! Amazon Cognito's pre-token-generation trigger for this API (`V2_0` and
//! `V3_0` events).
//!
//! Scopes alone cannot tell users of one app client apart: every user of the
//! web client may ask for the same scopes. This trigger runs before Cognito
//! issues each token and decides per user: members of the editors group get
//! the editor scope (`API/book.post`) in their access token, every other
//! user's token loses it; with `V3_0`, client-credentials (M2M) tokens also
//! get one marker claim ([`MACHINE_CLAIM`]). docs/pre-token-generation.md
//! has the event, Cognito's rules for the answer, and what clients see when
//! the trigger fails.
//!
//! The decision ([`Rule::decide`]) and the answer ([`answer()`]) are pure:
//! event in, answer out. Reading the environment ([`Config`]) and the Lambda
//! runtime ([`service`]) live at the edges.

mod answer;
mod config;
mod error;
mod event;
mod rule;
pub mod service;

pub use answer::{Answer, answer};
pub use config::{Config, ConfigError, EDITOR_GROUP_VAR, EDITOR_SCOPE_VAR};
pub use error::TriggerError;
pub use event::{TokenEvent, TriggerSource};
pub use rule::{Decision, MACHINE_CLAIM, MACHINE_CLAIM_VALUE, Rule};
