//! Dev-only tools for running the system offline. Never deployed.

pub mod api_front;
pub mod auth_cache;
pub mod authorizer_answer;
pub mod cli;
pub mod clients;
pub mod cognito;
pub mod http_server;
pub mod ids;
pub mod issuer;
pub mod lambda_invoke;
pub mod pool_server;
pub mod process_tree;
pub mod proxy_event;
pub mod runtime_api;
pub mod spec;
pub mod stack;
pub mod stack_info;
pub mod state;
pub mod template;
pub mod token_endpoint;
pub mod walkthrough;
pub mod watch;
