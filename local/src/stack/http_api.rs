//! The local HTTP API front's settings, from the template's `HttpApi`: its
//! routes as a route table (the catch-all `$default` apart), its stage, its
//! authorizer (the stack's `authorizer` function under watch) and its CORS.

use std::time::Duration;

use axum::Router;
use shared::RouteError;
use thiserror::Error;

use crate::apigateway::http_cors::HttpCors;
use crate::apigateway::http_front::{HttpAuthorizer, HttpFront, HttpFrontConfig};
use crate::clock::SystemClock;
use crate::lambda::invoke::{InvokeError, WatchInvoker};
use crate::template::http_api::HttpApiSpec;
use crate::template::route::{ApiRoute, route_table};
use crate::template::sam::{Template, TemplateError};

/// Why the HTTP API front could not be made.
#[derive(Debug, Error)]
pub enum HttpApiError {
    /// The template's `HttpApi` could not be read.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Its routes do not form a route table.
    #[error("HTTP API routes: {0}")]
    Routes(#[from] RouteError),
    /// No client for the Invoke API.
    #[error(transparent)]
    Invoke(#[from] InvokeError),
}

/// The front for `config` as a router, calling the functions at the Lambda
/// Invoke API `invoke_url` (watch's) with `timeout` per call.
pub fn router(
    config: HttpFrontConfig,
    invoke_url: &str,
    timeout: Duration,
) -> Result<Router, InvokeError> {
    let invoker = WatchInvoker::new(invoke_url.to_owned(), timeout)?;
    Ok(HttpFront::new(config, invoker, SystemClock).router())
}

/// What local-stack serves on `--http-api-port` for `template`'s `HttpApi`
/// (none without one), named `api_id`, calling the functions `authorizer`
/// and `handler` at the Invoke API `invoke_url`: for HTTP-level tests.
pub fn template_router(
    template: &Template,
    api_id: &str,
    invoke_url: &str,
    timeout: Duration,
) -> Result<Option<Router>, HttpApiError> {
    let Some(spec) = template.http_api()? else {
        return Ok(None);
    };
    let config = front_config(
        &spec,
        api_id,
        crate::state::REGION,
        crate::stack::ACCOUNT_ID,
    )?;
    Ok(Some(router(config, invoke_url, timeout)?))
}

/// The front's configuration for `spec`, named `api_id` in `region` and
/// `account_id`, calling the functions watch serves as `authorizer` and
/// `handler`.
pub fn front_config(
    spec: &HttpApiSpec,
    api_id: &str,
    region: &str,
    account_id: &str,
) -> Result<HttpFrontConfig, RouteError> {
    // Scopes are the authorizer's business: the routes' rules are empty, the front only routes.
    Ok(HttpFrontConfig {
        routes: route_table(&spec.routes)?,
        default_route: spec.routes.iter().any(ApiRoute::is_default),
        api_id: api_id.to_owned(),
        stage: spec.stage.clone(),
        region: region.to_owned(),
        account_id: account_id.to_owned(),
        authorizer: spec.authorizer.as_ref().map(|a| HttpAuthorizer {
            function: "authorizer".to_owned(),
            simple_responses: a.simple_responses,
            identity_sources: a.identity_sources.clone(),
            ttl: Duration::from_secs(a.ttl_secs),
        }),
        handler_function: "handler".to_owned(),
        cors: spec.cors.clone().map(HttpCors::new),
    })
}
