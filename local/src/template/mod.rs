//! The SAM template: reading template.yaml offline ([`sam`]) and the plain
//! data the stack takes from it ([`spec`], [`route`], [`app_client`],
//! [`password_policy`], [`pre_token`], [`http_api`]).

pub mod api_responses;
pub mod app_client;
pub mod error;
pub mod http_api;
pub mod password_policy;
pub mod pre_token;
pub mod resolve;
pub mod route;
pub mod sam;
pub mod spec;
