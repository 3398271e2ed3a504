//! Dev-only tools for running the system offline. Never deployed.
//!
//! Grouped by the AWS service each part stands in for: [`cognito`] (the user
//! pool), [`apigateway`] (the REST API and its authorizer), [`lambda`] (the
//! functions' runtimes) and [`template`] (what the SAM template declares).
//! Beside them, the [`web_app`]'s host (not an AWS service: any static host
//! serves `web/` when deployed). On top: the [`stack`] that runs them
//! together, its [`cli`], its [`state`] and the [`walkthrough`] it prints.

pub mod apigateway;
pub mod cli;
pub mod cognito;
pub mod event_command;
pub mod http_server;
pub mod lambda;
pub mod stack;
pub mod stack_info;
pub mod state;
pub mod template;
pub mod walkthrough;
pub mod web_app;
