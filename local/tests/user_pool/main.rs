//! The local user pool over HTTP, served in memory (no socket) with an
//! injected clock and driven only through `local`'s public facade: one
//! file per concern of the pool's endpoints, and the pre-token-generation
//! trigger as the endpoints run it.

mod authorize_login;
mod refresh_rotation;
mod routes;
mod support;
mod token_grants;
mod trigger;
mod user_info_logout;
