//! An API Gateway HTTP API (payload 2.0) with a Lambda authorizer, in front
//! of the functions `cargo lambda watch` serves, beside the REST front.
//!
//! Per request, as HTTP APIs do it: a payload over 10 MB is 413; the API
//! lives under its stage (none for `$default`), a path outside it or an
//! unknown route is 404; with `CorsConfiguration` a preflight is answered
//! 204 before routing and without the authorizer; a missing identity source
//! is 401 without calling the authorizer; the authorizer's answer (cached by
//! the identity sources' values for its TTL) says 403 or lets the request go
//! to the handler as a payload 2.0 proxy event; a failed or invalid
//! authorizer or handler is 500. Every answer to an allowed origin gets the
//! configured CORS headers, the front's own 401, 403, 404 and 500 included.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::Value;
use shared::RouteTable;

use crate::apigateway::api_front::{ApiRequest, FrontResponse, Payload};
use crate::apigateway::auth_cache::AuthCache;
use crate::apigateway::http_answer::HttpAuthorizerAnswer;
use crate::apigateway::http_cors::HttpCors;
use crate::apigateway::http_event::{
    HttpRequest, HttpRoute, authorizer_event, authorizer_event_json, proxy_event, proxy_event_json,
    route_arn,
};
use crate::apigateway::proxy_event::parse_response;
use crate::clock::{Clock, unix_millis};
use crate::http_server::{HttpResponse, MAX_BODY_BYTES, response};
use crate::lambda::invoke::{Invocation, Invoker};
use crate::template::http_api::{DEFAULT_STAGE, IdentitySource};
use crate::template::route::DEFAULT_ROUTE;

/// The HTTP API's Lambda authorizer, as the front calls it.
#[derive(Debug, Clone)]
pub struct HttpAuthorizer {
    /// The function's name under watch.
    pub function: String,
    /// `EnableSimpleResponses`.
    pub simple_responses: bool,
    /// The identity sources, in order: required values and the cache key.
    pub identity_sources: Vec<IdentitySource>,
    /// How long answers are cached (zero: not at all).
    pub ttl: Duration,
}

/// How the local HTTP API is named and which functions it calls.
#[derive(Debug, Clone)]
pub struct HttpFrontConfig {
    /// The API's routes other than `$default`.
    pub routes: RouteTable,
    /// True if the API has a `$default` route.
    pub default_route: bool,
    /// The API id in route ARNs and events.
    pub api_id: String,
    /// The stage name (`$default`: no prefix in paths).
    pub stage: String,
    /// The region in route ARNs.
    pub region: String,
    /// The account id in route ARNs and events.
    pub account_id: String,
    /// The default authorizer, if the API has one.
    pub authorizer: Option<HttpAuthorizer>,
    /// The handler function's name under watch.
    pub handler_function: String,
    /// `CorsConfiguration`, if set.
    pub cors: Option<HttpCors>,
}

impl HttpFrontConfig {
    /// The request path inside the stage, or `None` for a path outside it.
    pub fn path_in_stage<'a>(&self, path: &'a str) -> Option<&'a str> {
        if self.stage == DEFAULT_STAGE {
            return Some(path);
        }
        let rest = path.strip_prefix('/')?.strip_prefix(self.stage.as_str())?;
        match rest {
            "" => Some("/"),
            rest if rest.starts_with('/') => Some(rest),
            _ => None,
        }
    }

    /// The route for `method` and `path` (in the stage): `(key, path
    /// template)`, the template `None` for `$default`.
    pub fn route(&self, method: &str, path: &str) -> Option<(String, Option<String>)> {
        if let Some(route) = self
            .routes
            .find(method, path)
            .and_then(|i| self.routes.routes().get(i))
        {
            return Some((route.key.clone(), Some(route.path.clone())));
        }
        self.default_route.then(|| (DEFAULT_ROUTE.to_owned(), None))
    }
}

/// The front's own answers, with HTTP APIs' bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// No route, or a path outside the stage.
    NotFound,
    /// An identity source is missing.
    Unauthorized,
    /// The authorizer said no.
    Forbidden,
    /// The authorizer or the handler failed or answered something invalid.
    InternalServerError,
    /// The payload is over 10 MB.
    RequestTooLarge,
}

impl HttpError {
    /// Status and body, as HTTP APIs send them.
    pub fn parts(self) -> (u16, &'static str) {
        match self {
            HttpError::NotFound => (404, r#"{"message":"Not Found"}"#),
            HttpError::Unauthorized => (401, r#"{"message":"Unauthorized"}"#),
            HttpError::Forbidden => (403, r#"{"message":"Forbidden"}"#),
            HttpError::InternalServerError => (500, r#"{"message":"Internal Server Error"}"#),
            HttpError::RequestTooLarge => (413, r#"{"message":"Request Entity Too Large"}"#),
        }
    }
}

/// How a request was answered without an error.
enum Answered {
    /// A CORS preflight, with its own CORS headers.
    Preflight(FrontResponse),
    /// The handler's answer.
    Routed(FrontResponse),
}

/// The local HTTP API.
pub struct HttpFront<I: Invoker, C: Clock> {
    config: HttpFrontConfig,
    invoker: I,
    cache: Mutex<AuthCache<C, HttpAuthorizerAnswer>>,
}

impl<I: Invoker, C: Clock> HttpFront<I, C> {
    /// A front calling functions through `invoker`, caching with `clock`.
    pub fn new(config: HttpFrontConfig, invoker: I, clock: C) -> Self {
        let ttl = config
            .authorizer
            .as_ref()
            .filter(|a| !a.identity_sources.is_empty())
            .map_or(Duration::ZERO, |a| a.ttl);
        Self {
            config,
            invoker,
            cache: Mutex::new(AuthCache::new(ttl, clock)),
        }
    }

    /// Answers one request.
    pub async fn handle(&self, request: &ApiRequest) -> FrontResponse {
        let request_id = crate::ids::request_id();
        let mut answer = match self.answer(request, &request_id).await {
            // The preflight's headers are its own.
            Ok(Answered::Preflight(answer)) => {
                return self.finish(request, answer, request_id);
            }
            Ok(Answered::Routed(answer)) => answer,
            Err(error) => {
                let (status, body) = error.parts();
                FrontResponse {
                    status,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: body.as_bytes().to_vec(),
                }
            }
        };
        if let Some(cors) = &self.config.cors {
            cors.apply(&mut answer.headers, &request.headers);
        }
        self.finish(request, answer, request_id)
    }

    /// Adds the request id and logs the answer.
    fn finish(
        &self,
        request: &ApiRequest,
        mut answer: FrontResponse,
        request_id: String,
    ) -> FrontResponse {
        answer.headers.push(("apigw-requestid".into(), request_id));
        tracing::info!(
            method = request.method.as_str(),
            path = %request.path,
            status = answer.status,
            "http api request"
        );
        answer
    }

    async fn answer(&self, request: &ApiRequest, request_id: &str) -> Result<Answered, HttpError> {
        let Payload::Whole(body) = &request.body else {
            return Err(HttpError::RequestTooLarge);
        };
        let path = self
            .config
            .path_in_stage(&request.path)
            .ok_or(HttpError::NotFound)?;
        if let Some(cors) = &self.config.cors
            && HttpCors::is_preflight(request.method.as_str(), &request.headers)
        {
            return Ok(Answered::Preflight(FrontResponse {
                status: 204,
                headers: cors.preflight_headers(&request.headers),
                body: Vec::new(),
            }));
        }
        let (route_key, route_path) = self
            .config
            .route(request.method.as_str(), path)
            .ok_or(HttpError::NotFound)?;
        let source_ip = request.peer.ip().to_string();
        let now_ms = unix_millis();
        let http_request = HttpRequest {
            method: &request.method,
            raw_path: &request.path,
            query: request.query.as_deref(),
            headers: &request.headers,
            body,
            source_ip: &source_ip,
        };
        let route = HttpRoute {
            account_id: &self.config.account_id,
            api_id: &self.config.api_id,
            stage: &self.config.stage,
            route_key: &route_key,
            route_path: route_path.as_deref(),
            path_in_stage: path,
            request_id,
            now_ms,
        };
        let lambda = match &self.config.authorizer {
            Some(authorizer) => {
                let answer = self
                    .authorize(authorizer, &http_request, &route, request_id)
                    .await?;
                let arn = route_arn(&self.config.region, &route, &request.method);
                match answer.allows(&arn) {
                    Ok(true) => answer.lambda_context(),
                    Ok(false) => return Err(HttpError::Forbidden),
                    Err(error) => {
                        tracing::warn!(%error, request_id, "authorizer answer rejected");
                        return Err(HttpError::InternalServerError);
                    }
                }
            }
            None => Default::default(),
        };
        let event = proxy_event_json(&proxy_event(&http_request, &route, lambda));
        self.call_handler(&event, request_id)
            .await
            .map(Answered::Routed)
    }

    /// The authorizer's answer for the request, from the cache (keyed by the
    /// identity sources' values) or a fresh call; 401 without calling it
    /// when an identity source is missing.
    async fn authorize(
        &self,
        authorizer: &HttpAuthorizer,
        request: &HttpRequest<'_>,
        route: &HttpRoute<'_>,
        request_id: &str,
    ) -> Result<Arc<HttpAuthorizerAnswer>, HttpError> {
        let identity = identity_values(&authorizer.identity_sources, request, route)
            .ok_or(HttpError::Unauthorized)?;
        let key = cache_key(&identity);
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(hit);
        }
        let arn = route_arn(&self.config.region, route, request.method);
        let event = authorizer_event_json(&authorizer_event(request, route, &arn, identity));
        let answer = match self.invoker.invoke(&authorizer.function, &event).await {
            Ok(Invocation::Returned(value)) => {
                HttpAuthorizerAnswer::parse(&value, authorizer.simple_responses).map_err(
                    |error| {
                        tracing::warn!(%error, request_id, "authorizer answer rejected");
                        HttpError::InternalServerError
                    },
                )?
            }
            // Unlike REST, no error message maps to 401 (docs/local-fidelity.md).
            Ok(Invocation::Failed { error_type, .. }) => {
                tracing::warn!(error_type, request_id, "authorizer failed");
                return Err(HttpError::InternalServerError);
            }
            Err(error) => {
                tracing::warn!(%error, request_id, "authorizer unreachable");
                return Err(HttpError::InternalServerError);
            }
        };
        let answer = Arc::new(answer);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(&key, Arc::clone(&answer));
        Ok(answer)
    }

    async fn call_handler(
        &self,
        event: &Value,
        request_id: &str,
    ) -> Result<FrontResponse, HttpError> {
        let value = match self
            .invoker
            .invoke(&self.config.handler_function, event)
            .await
        {
            Ok(Invocation::Returned(value)) => value,
            Ok(Invocation::Failed { error_type, .. }) => {
                tracing::warn!(error_type, request_id, "handler failed");
                return Err(HttpError::InternalServerError);
            }
            Err(error) => {
                tracing::warn!(%error, request_id, "handler unreachable");
                return Err(HttpError::InternalServerError);
            }
        };
        handler_answer(&value).ok_or_else(|| {
            tracing::warn!(request_id, "handler answer is not a payload 2.0 response");
            HttpError::InternalServerError
        })
    }
}

/// The identity sources' values in order, or `None` if one is missing or
/// empty. `$context` gives `routeKey`, `stage`, `apiId`, `requestId` and
/// `httpMethod`; the local API has no stage variables.
pub fn identity_values(
    sources: &[IdentitySource],
    request: &HttpRequest<'_>,
    route: &HttpRoute<'_>,
) -> Option<Vec<String>> {
    sources
        .iter()
        .map(|source| {
            let value = match source {
                IdentitySource::Header(name) => {
                    let values: Vec<&str> = request
                        .headers
                        .get_all(name.as_str())
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .collect();
                    (!values.is_empty()).then(|| values.join(","))
                }
                IdentitySource::QueryString(name) => {
                    form_urlencoded::parse(request.query.unwrap_or_default().as_bytes())
                        .filter(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                        .reduce(|a, b| format!("{a},{b}"))
                }
                IdentitySource::StageVariable(_) => None,
                IdentitySource::Context(name) => match name.as_str() {
                    "routeKey" => Some(route.route_key.to_owned()),
                    "stage" => Some(route.stage.to_owned()),
                    "apiId" => Some(route.api_id.to_owned()),
                    "requestId" => Some(route.request_id.to_owned()),
                    "httpMethod" => Some(request.method.as_str().to_owned()),
                    _ => None,
                },
            };
            value.filter(|v| !v.trim().is_empty())
        })
        .collect()
}

/// The cache key of a set of identity values: all of them, unambiguously.
pub fn cache_key(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_default()
}

/// A handler's payload 2.0 answer: a response object with `statusCode`
/// (its `cookies` as `set-cookie`), or else any JSON, which HTTP APIs send
/// as a 200 `application/json` body (a string as it is).
pub fn handler_answer(value: &Value) -> Option<FrontResponse> {
    let is_response = value
        .as_object()
        .is_some_and(|o| o.contains_key("statusCode"));
    if !is_response {
        let body = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        return Some(FrontResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into_bytes(),
        });
    }
    let answer = parse_response(value).ok()?;
    let mut headers = answer.headers;
    if let Some(cookies) = value.get("cookies").and_then(Value::as_array) {
        for cookie in cookies {
            headers.push(("set-cookie".into(), cookie.as_str()?.to_owned()));
        }
    }
    Some(FrontResponse {
        status: answer.status,
        headers,
        body: answer.body,
    })
}

impl<I: Invoker, C: Clock> HttpFront<I, C> {
    /// Every method and path goes to [`HttpFront::handle`].
    pub fn router(self) -> Router {
        Router::new()
            .fallback(proxy::<I, C>)
            .with_state(Arc::new(self))
    }
}

async fn proxy<I: Invoker, C: Clock>(
    State(front): State<Arc<HttpFront<I, C>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> HttpResponse {
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => Payload::Whole(bytes),
        Err(_) => Payload::TooLarge,
    };
    let request = ApiRequest {
        method,
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        headers,
        body,
        peer,
    };
    let answer = front.handle(&request).await;
    response(
        answer.status,
        answer.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        answer.body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn handler_answers_follow_payload_2_0s_rules() {
        let cases = [
            (
                json!({"statusCode": 201, "body": "x", "cookies": ["a=1"]}),
                Some((201, "x", Some("a=1"))),
            ),
            (json!({"ok": true}), Some((200, r#"{"ok":true}"#, None))),
            (json!("plain"), Some((200, "plain", None))),
            (json!({"statusCode": "nope"}), None),
        ];
        for (value, expected) in cases {
            let got = handler_answer(&value).map(|r| {
                let cookie = r
                    .headers
                    .iter()
                    .find(|(n, _)| n == "set-cookie")
                    .map(|(_, v)| v.clone());
                (r.status, String::from_utf8(r.body).unwrap(), cookie)
            });
            let expected = expected.map(|(s, b, c)| (s, b.to_string(), c.map(str::to_string)));
            assert_eq!(got, expected, "{value}");
        }
    }
}
