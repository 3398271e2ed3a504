//! Amazon Cognito: a local user pool with its app clients, users and
//! signing keys, its hosted sign-in, and the endpoints a client and a
//! verifier call (authorize, login, token, userInfo, revoke, logout, JWKS,
//! discovery), and the pre-token-generation trigger it runs before issuing
//! tokens.

pub mod authorize;
pub mod clients;
pub mod grants;
pub mod hosted_ui;
pub mod issuers;
pub mod password_hash;
pub mod passwords;
pub mod paths;
pub mod pool;
pub mod pool_server;
pub mod pre_token;
pub mod token_endpoint;
pub mod user_spec;
pub mod user_tokens;
pub mod users;
