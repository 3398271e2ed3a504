//! The SAM template: reading template.yaml offline ([`sam`]) and the plain
//! data the stack takes from it ([`spec`], [`password_policy`], [`http_api`]).

pub mod api_responses;
pub mod error;
pub mod http_api;
pub mod password_policy;
pub mod resolve;
pub mod sam;
pub mod spec;
