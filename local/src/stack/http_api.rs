//! The local HTTP API front's settings, from the template's `HttpApi`: its
//! routes as a route table (the catch-all `$default` apart), its stage, its
//! authorizer (the stack's `authorizer` function under watch) and its CORS.

use std::time::Duration;

use shared::{RouteError, RouteTable, Rule};

use crate::apigateway::http_cors::HttpCors;
use crate::apigateway::http_front::{DEFAULT_ROUTE, HttpAuthorizer, HttpFrontConfig};
use crate::template::http_api::HttpApiSpec;

/// The front's configuration for `spec`, named `api_id` in `region` and
/// `account_id`, calling the functions watch serves as `authorizer` and
/// `handler`.
pub fn front_config(
    spec: &HttpApiSpec,
    api_id: &str,
    region: &str,
    account_id: &str,
) -> Result<HttpFrontConfig, RouteError> {
    let keyed = spec.routes.iter().filter(|r| r.path != DEFAULT_ROUTE);
    // Scopes are the authorizer's business: the front only routes.
    let routes = RouteTable::new(keyed.map(|r| (r.key(), Rule::default())))?;
    Ok(HttpFrontConfig {
        routes,
        default_route: spec.routes.iter().any(|r| r.path == DEFAULT_ROUTE),
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
