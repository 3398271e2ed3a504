//! Amazon Cognito: a local user pool with its app clients, its signing key
//! and the endpoints a client and a verifier call (token, JWKS, discovery).

pub mod clients;
pub mod ids;
pub mod issuer;
pub mod pool_server;
pub mod token_endpoint;
pub mod users;
