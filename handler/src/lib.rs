//! The protected API behind the Cognito authorizer.
//!
//! API Gateway only invokes this function after the authorizer allowed the
//! call, but the function still refuses requests that carry no verified
//! caller: a misconfigured method (authorization `NONE`) must not serve data.

pub mod caller;
pub mod config;
pub mod respond;
pub mod routes;

use std::convert::Infallible;

use lambda_http::http::header::{HeaderValue, ORIGIN, VARY};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::cors::{ALLOW_ORIGIN, CorsHeaders};
use shared::stage::path_without_stage;

pub use caller::{Caller, caller_context};
pub use config::{Config, ConfigError};
pub use respond::{Reply, respond};
pub use routes::{Endpoint, Lookup, lookup, served_routes};

/// Answers one API Gateway proxy request (REST, or HTTP API payload 2.0).
///
/// Infallible: every outcome, including a missing caller, is an HTTP answer.
pub async fn handle(config: &Config, request: Request) -> Result<Response<Body>, Infallible> {
    Ok(answer(config, &request))
}

/// The synchronous core of [`handle`]: reads method, path and caller from
/// the request and renders [`respond`]'s reply, with the CORS headers for
/// the request's origin on every answer (401s included, so a browser app
/// sees the status rather than a CORS error).
pub fn answer(config: &Config, request: &Request) -> Response<Body> {
    let method = request.method().as_str();
    let path = route_path(request);
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
    let origin = request.headers().get(ORIGIN).and_then(|v| v.to_str().ok());
    let mut response = reply.into_response();
    add_cors_headers(&mut response, config.allowed_origins.headers_for(origin));
    response
}

/// The path the routes are written for: a REST event's `path` (lambda_http
/// adds the stage only to the URI), or an HTTP API event's `rawPath`
/// without the stage it starts with on a named stage.
fn route_path(request: &Request) -> &str {
    let raw = request.raw_http_path();
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            path_without_stage(raw, context.stage.as_deref())
        }
        _ => raw,
    }
}

fn add_cors_headers(response: &mut Response<Body>, cors: CorsHeaders<'_>) {
    let headers = response.headers_mut();
    if let Some(value) = cors
        .allow_origin
        .and_then(|origin| HeaderValue::from_str(origin).ok())
    {
        headers.insert(ALLOW_ORIGIN, value);
    }
    if cors.vary_origin {
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
}
