//! `scripts/event`: prints an API Gateway authorizer event (TOKEN or
//! REQUEST) carrying a fresh access token from the running local pool, for
//! `cargo lambda invoke authorizer --data-file <(scripts/event token GET /book)`.
//!
//! It reads `<state-dir>/stack.json` for the pool and the clients, the
//! template for the routes, gets a token by client credentials, and builds
//! the event with the code the local API front uses.

use std::time::Duration;

use hyper::HeaderMap;
use hyper::header::{AUTHORIZATION, HOST, HeaderValue};
use serde_json::{Map, Value};
use shared::RouteTable;
use thiserror::Error;

pub use local_cli::{EventArgs, Kind};

use crate::apigateway::api_front::{FrontConfig, token_event};
use crate::apigateway::authorizer_event::request_event;
use crate::apigateway::proxy_event::{ProxyContext, ProxyRequest};
use crate::clock::unix_millis;
use crate::stack::ACCOUNT_ID;
use crate::stack::info::{StackInfo, StackInfoError};
use crate::state::REGION;
use crate::template::route::route_table;
use crate::template::sam::Template;
use crate::template::spec::{SpecError, StackSpec};

/// Why no event could be printed.
#[derive(Debug, Error)]
pub enum EventError {
    /// `stack.json` is missing or unreadable.
    #[error("{0} (is the stack running? start it with scripts/dev, using the same state folder)")]
    Stack(#[from] StackInfoError),
    /// The template could not be read.
    #[error("{path}: {source}")]
    Spec {
        /// The template.
        path: String,
        /// The cause.
        source: SpecError,
    },
    /// The template's routes do not form a route table.
    #[error("template routes: {0}")]
    Routes(#[from] shared::RouteError),
    /// No route matches.
    #[error(
        "{method} {path} is no route of {template}: API Gateway answers 403 without calling the authorizer (routes: {routes})"
    )]
    NoRoute {
        /// The method.
        method: String,
        /// The path.
        path: String,
        /// The template.
        template: String,
        /// The routes there are.
        routes: String,
    },
    /// No such client.
    #[error("{stack}: no app client {wanted}; there are: {names}")]
    NoClient {
        /// `stack.json`.
        stack: String,
        /// What was asked for.
        wanted: String,
        /// The clients there are.
        names: String,
    },
    /// The token endpoint could not be reached.
    #[error("{url}: {message} (is the stack running? start it with scripts/dev)")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The token endpoint refused.
    #[error("{url} answered {status}: {body}")]
    Refused {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Its OAuth error (it never holds a secret).
        body: String,
    },
    /// A header value could not be made from the token or host.
    #[error("the token or API host is not a valid header value")]
    Header,
}

/// Builds the event `args` asks for, with workspace-relative defaults.
pub async fn event(args: &EventArgs, workspace: &std::path::Path) -> Result<Value, EventError> {
    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| workspace.join(".local-state"));
    let template_path = args
        .template
        .clone()
        .unwrap_or_else(|| workspace.join("template.yaml"));
    let stack_path = StackInfo::path_in(&state_dir);
    let stack = StackInfo::read(&stack_path)?;
    let spec_error = |source| EventError::Spec {
        path: template_path.display().to_string(),
        source,
    };
    let template = Template::load(&template_path).map_err(|e| spec_error(SpecError::from(e)))?;
    let spec = StackSpec::from_template(&template).map_err(spec_error)?;
    let routes = route_table(&spec.routes)?;
    let method = args.method.to_ascii_uppercase();
    let path = in_stage(&routes, &stack.stage, &method, &args.path);
    let resource = routes
        .find(&method, path)
        .and_then(|index| routes.routes().get(index))
        .map(|route| route.path.clone())
        .ok_or_else(|| EventError::NoRoute {
            method: method.clone(),
            path: args.path.clone(),
            template: template_path.display().to_string(),
            routes: spec
                .routes
                .iter()
                .map(|r| r.key())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let token = fresh_token(&stack, args, &stack_path.display().to_string()).await?;
    let config = FrontConfig {
        routes,
        api_id: stack.rest_api_id.clone(),
        stage: stack.stage.clone(),
        region: REGION.to_string(),
        account_id: ACCOUNT_ID.to_string(),
        cache_ttl: Duration::ZERO,
        authorizer_function: "authorizer".to_string(),
        handler_function: "handler".to_string(),
        cors: None,
        gateway_responses: Default::default(),
    };
    let method_arn = config.method_arn(&method, path);
    let bearer = format!("Bearer {token}");
    Ok(match args.kind {
        Kind::Token => token_event(&bearer, &method_arn),
        Kind::Request => {
            let mut headers = HeaderMap::new();
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&bearer).map_err(|_| EventError::Header)?,
            );
            if let Some(host) = api_host(&stack.api_url) {
                headers.insert(
                    HOST,
                    HeaderValue::from_str(host).map_err(|_| EventError::Header)?,
                );
            }
            let request_id = crate::ids::request_id();
            request_event(
                &ProxyRequest {
                    method: &method,
                    path,
                    query: None,
                    headers: &headers,
                    body: b"",
                },
                &ProxyContext {
                    account_id: ACCOUNT_ID,
                    api_id: &config.api_id,
                    stage: &config.stage,
                    resource: &resource,
                    request_id: &request_id,
                    source_ip: "127.0.0.1",
                    authorizer: Map::new(),
                    now_ms: unix_millis(),
                },
                &method_arn,
            )
        }
    })
}

/// A client-credentials token for the chosen client.
async fn fresh_token(
    stack: &StackInfo,
    args: &EventArgs,
    stack_path: &str,
) -> Result<String, EventError> {
    let client = stack
        .client(args.client.as_deref())
        .ok_or_else(|| EventError::NoClient {
            stack: stack_path.to_string(),
            wanted: args
                .client
                .clone()
                .unwrap_or_else(|| "allowed client_credentials".into()),
            names: stack
                .clients
                .iter()
                .map(|c| format!("{} ({})", c.name, c.flow_names()))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let url = &stack.token_endpoint;
    let unreachable = |e: reqwest::Error| EventError::Unreachable {
        url: url.clone(),
        message: e.to_string(),
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(unreachable)?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "client_credentials");
    if let Some(scope) = &args.scope {
        form.append_pair("scope", scope);
    }
    let response = http
        .post(url)
        .basic_auth(&client.client_id, client.client_secret.as_deref())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.finish())
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(unreachable)?;
    let token = serde_json::from_str::<Value>(&body)
        .ok()
        .filter(|_| status == 200)
        .and_then(|json| json["access_token"].as_str().map(str::to_string));
    token.ok_or_else(|| EventError::Refused {
        url: url.clone(),
        status,
        body,
    })
}

/// The path in the stage: `path` itself when it is a route, else with a
/// leading `/<stage>` (copied from a URL) taken off when that makes one.
fn in_stage<'a>(routes: &RouteTable, stage: &str, method: &str, path: &'a str) -> &'a str {
    if routes.find(method, path).is_some() {
        return path;
    }
    path.strip_prefix('/')
        .and_then(|p| p.strip_prefix(stage))
        .filter(|rest| rest.starts_with('/'))
        .filter(|rest| routes.find(method, rest).is_some())
        .unwrap_or(path)
}

/// `host:port` of the API's base URL.
fn api_host(api_url: &str) -> Option<&str> {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    rest.split('/').next().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_copied_from_a_url_lose_the_stage() {
        let routes = RouteTable::from_json(r#"{"GET /book":[],"GET /prod/x":[]}"#).unwrap();
        for (path, expected) in [
            ("/book", "/book"),
            ("/prod/book", "/book"),
            ("/prod/x", "/prod/x"),
            ("/prodbook", "/prodbook"),
            ("/prod/nothing", "/prod/nothing"),
        ] {
            assert_eq!(in_stage(&routes, "prod", "GET", path), expected, "{path}");
        }
    }

    #[test]
    fn the_api_host_is_taken_from_the_base_url() {
        for (url, host) in [
            ("http://127.0.0.1:3000/", Some("127.0.0.1:3000")),
            ("http://127.0.0.1:3000/prod/", Some("127.0.0.1:3000")),
            (
                "https://x.execute-api.us-east-1.amazonaws.com/prod/",
                Some("x.execute-api.us-east-1.amazonaws.com"),
            ),
            ("http:///", None),
        ] {
            assert_eq!(api_host(url), host, "{url}");
        }
    }
}
