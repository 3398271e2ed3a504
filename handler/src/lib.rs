//! The protected API behind the Cognito authorizer.
//!
//! API Gateway only invokes this function after the authorizer allowed the
//! call, but the function still refuses requests that carry no verified
//! caller: a misconfigured method (authorization `NONE`) must not serve data.

pub mod caller;
pub mod respond;
pub mod routes;

use std::convert::Infallible;

use lambda_http::{Body, Request, RequestExt, Response};

pub use caller::{Caller, caller_context};
pub use respond::{Reply, respond};
pub use routes::{Endpoint, Lookup, lookup, served_routes};

/// Answers one API Gateway REST proxy request.
///
/// Infallible: every outcome, including a missing caller, is an HTTP answer.
pub async fn handle(request: Request) -> Result<Response<Body>, Infallible> {
    Ok(answer(&request))
}

/// The synchronous core of [`handle`]: reads method, path and caller from
/// the request and renders [`respond`]'s reply.
pub fn answer(request: &Request) -> Response<Body> {
    let method = request.method().as_str();
    // The event's `path` without the stage prefix lambda_http adds to the URI.
    let path = request.raw_http_path();
    let context = caller_context(request);
    let reply = respond(method, path, context.as_ref());
    // Only identifiers, never the token: the handler never sees it anyway.
    tracing::info!(
        method,
        path,
        status = reply.status.as_u16(),
        client_id = context.as_ref().map(|c| c.client_id.as_str()),
        "request answered"
    );
    reply.into_response()
}
