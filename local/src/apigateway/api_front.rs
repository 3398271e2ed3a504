//! An API Gateway REST API with a Lambda TOKEN authorizer, in front of the
//! functions `cargo lambda watch` serves.
//!
//! Per request, as API Gateway does it: a request over REST's size limits
//! is 413; the API lives under its stage (`/<stage>/...`), and a path
//! outside it or an unknown route is 403 "Missing Authentication Token";
//! `OPTIONS` on a resource is SAM's CORS mock (without the authorizer when
//! the template says so); a missing `Authorization` header is 401 without
//! calling the authorizer; the authorizer's policy (cached per token for
//! `ReauthorizeEvery`) is evaluated for the request's method ARN; allowed
//! requests go to the handler as REST proxy events. The answers API Gateway
//! makes itself carry the template's `GatewayResponses` headers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use shared::RouteTable;
use shared::iam::Evaluation;

use crate::apigateway::auth_cache::AuthCache;
use crate::apigateway::authorizer_answer::AuthorizerAnswer;
use crate::apigateway::proxy_event::{ProxyContext, ProxyRequest, build_event, parse_response};
use crate::apigateway::responses::{
    CorsPreflight, GatewayResponses, PREFLIGHT_BODY, REQUEST_TOO_LARGE,
};
use crate::clock::{Clock, unix_millis};
use crate::http_server::{HttpResponse, MAX_BODY_BYTES, response};
use crate::lambda::invoke::{Invocation, Invoker};

/// The exact error message by which an authorizer refuses a token.
pub const UNAUTHORIZED: &str = "Unauthorized";

/// API Gateway REST's limit on the request line and the headers together
/// ("Total combined size of request line and header values").
pub const MAX_REQUEST_LINE_AND_HEADERS: usize = 10_240;

/// How the local API is named and which functions it calls.
#[derive(Debug, Clone)]
pub struct FrontConfig {
    /// The API's routes (the scopes are not used here: the authorizer decides).
    pub routes: RouteTable,
    /// The REST API id in method ARNs.
    pub api_id: String,
    /// The stage name.
    pub stage: String,
    /// The region in method ARNs.
    pub region: String,
    /// The account id in method ARNs and events.
    pub account_id: String,
    /// `ReauthorizeEvery` (zero disables the cache).
    pub cache_ttl: Duration,
    /// The authorizer function's name under watch.
    pub authorizer_function: String,
    /// The handler function's name under watch.
    pub handler_function: String,
    /// The `OPTIONS` mock from the template's `Cors` (none: no mock).
    pub cors: Option<CorsPreflight>,
    /// The headers the template's `GatewayResponses` add.
    pub gateway_responses: GatewayResponses,
}

impl FrontConfig {
    /// The request path inside the stage (`/prod/book` → `/book`, `/prod`
    /// → `/`), or `None` for a path outside it.
    pub fn path_in_stage<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix('/')?.strip_prefix(self.stage.as_str())?;
        match rest {
            "" => Some("/"),
            rest if rest.starts_with('/') => Some(rest),
            _ => None,
        }
    }

    /// The method ARN API Gateway gives the authorizer for a request
    /// (`path` inside the stage).
    pub fn method_arn(&self, method: &str, path: &str) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
            self.region,
            self.account_id,
            self.api_id,
            self.stage,
            method,
            path.trim_start_matches('/')
        )
    }
}

/// A request's body, as far as the front reads it.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Read whole, within API Gateway's payload limit.
    Whole(Bytes),
    /// Over [`MAX_BODY_BYTES`]: not read further.
    TooLarge,
}

/// A request to the API, read whole.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The method.
    pub method: Method,
    /// The path as requested (stage included), without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Payload,
    /// The client's address.
    pub peer: SocketAddr,
}

impl ApiRequest {
    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The bytes API Gateway counts against [`MAX_REQUEST_LINE_AND_HEADERS`]:
    /// the request line (`METHOD target HTTP/1.1`) and every header's name
    /// and value.
    pub fn request_line_and_headers_len(&self) -> usize {
        let target = self.path.len() + self.query.as_ref().map_or(0, |q| q.len() + 1);
        let line = self.method.as_str().len() + 1 + target + 1 + "HTTP/1.1".len();
        line + self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum::<usize>()
    }
}

/// An answer to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// API Gateway's own answers, with the bodies and error types it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayError {
    /// No route for the method and path.
    MissingAuthenticationToken,
    /// No token, or the authorizer said `Unauthorized`.
    Unauthorized,
    /// The policy denies the method explicitly.
    ExplicitDeny,
    /// The policy does not allow the method.
    ImplicitDeny,
    /// The authorizer failed otherwise or answered something invalid.
    AuthorizerConfiguration,
    /// The handler failed or answered something that is not a proxy response.
    BadGateway,
    /// The payload, or the request line and headers, are over REST's limits.
    RequestTooLarge,
}

impl GatewayError {
    /// Status, body and `x-amzn-ErrorType` (when known), as API Gateway sends them.
    pub fn parts(self) -> (u16, &'static str, Option<&'static str>) {
        match self {
            GatewayError::MissingAuthenticationToken => (
                403,
                r#"{"message":"Missing Authentication Token"}"#,
                Some("MissingAuthenticationTokenException"),
            ),
            GatewayError::Unauthorized => (
                401,
                r#"{"message":"Unauthorized"}"#,
                Some("UnauthorizedException"),
            ),
            GatewayError::ExplicitDeny => (
                403,
                r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#,
                Some("AccessDeniedException"),
            ),
            GatewayError::ImplicitDeny => (
                403,
                r#"{"Message":"User is not authorized to access this resource"}"#,
                Some("AccessDeniedException"),
            ),
            GatewayError::AuthorizerConfiguration => (
                500,
                r#"{"message": null}"#,
                Some("AuthorizerConfigurationException"),
            ),
            GatewayError::BadGateway => (
                502,
                r#"{"message": "Internal server error"}"#,
                Some("InternalServerErrorException"),
            ),
            GatewayError::RequestTooLarge => (
                413,
                r#"{"message":"Request Too Long"}"#,
                // Not documented for this answer: none is sent.
                None,
            ),
        }
    }

    /// The gateway response type whose template entry (or whose status
    /// class's `DEFAULT_4XX`/`DEFAULT_5XX`) adds headers to this answer.
    pub fn response_type(self) -> &'static str {
        match self {
            GatewayError::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            GatewayError::Unauthorized => "UNAUTHORIZED",
            GatewayError::ExplicitDeny | GatewayError::ImplicitDeny => "ACCESS_DENIED",
            GatewayError::AuthorizerConfiguration => "AUTHORIZER_CONFIGURATION_ERROR",
            // A failing proxy integration has no type of its own.
            GatewayError::BadGateway => "DEFAULT_5XX",
            GatewayError::RequestTooLarge => REQUEST_TOO_LARGE,
        }
    }

    fn response(self, request_id: &str, extra: Vec<(String, String)>) -> FrontResponse {
        let (status, body, error_type) = self.parts();
        let mut headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("x-amzn-requestid".to_string(), request_id.to_string()),
        ];
        if let Some(error_type) = error_type {
            headers.push(("x-amzn-errortype".to_string(), error_type.to_string()));
        }
        headers.extend(extra);
        FrontResponse {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }
}

/// Why the front answers itself, and whether the stage's gateway responses
/// apply (a path outside the stage reaches no deployment, so none do).
#[derive(Debug, Clone, Copy)]
struct Refusal {
    error: GatewayError,
    in_stage: bool,
}

impl From<GatewayError> for Refusal {
    fn from(error: GatewayError) -> Self {
        Self {
            error,
            in_stage: true,
        }
    }
}

/// The local API Gateway.
pub struct ApiFront<I: Invoker, C: Clock> {
    config: FrontConfig,
    invoker: I,
    cache: Mutex<AuthCache<C>>,
}

impl<I: Invoker, C: Clock> ApiFront<I, C> {
    /// A front calling functions through `invoker`, caching with `clock`.
    pub fn new(config: FrontConfig, invoker: I, clock: C) -> Self {
        let cache = Mutex::new(AuthCache::new(config.cache_ttl, clock));
        Self {
            config,
            invoker,
            cache,
        }
    }

    /// Answers one request.
    pub async fn handle(&self, request: &ApiRequest) -> FrontResponse {
        let request_id = crate::ids::request_id();
        let method = request.method.as_str();
        let response = match self.answer(request, &request_id).await {
            Ok(response) => response,
            Err(Refusal { error, in_stage }) => {
                let extra = if in_stage {
                    let (status, _, _) = error.parts();
                    self.config.gateway_responses.headers_for(
                        error.response_type(),
                        status,
                        &request.headers,
                    )
                } else {
                    Vec::new()
                };
                error.response(&request_id, extra)
            }
        };
        tracing::info!(method, path = %request.path, status = response.status, "api request");
        response
    }

    async fn answer(
        &self,
        request: &ApiRequest,
        request_id: &str,
    ) -> Result<FrontResponse, Refusal> {
        if request.request_line_and_headers_len() > MAX_REQUEST_LINE_AND_HEADERS {
            return Err(GatewayError::RequestTooLarge.into());
        }
        let Payload::Whole(body) = &request.body else {
            return Err(GatewayError::RequestTooLarge.into());
        };
        let path = self.config.path_in_stage(&request.path).ok_or(Refusal {
            error: GatewayError::MissingAuthenticationToken,
            in_stage: false,
        })?;
        if request.method == Method::OPTIONS
            && let Some(cors) = &self.config.cors
            && let Some(resource) = self.config.routes.resource(path)
        {
            if cors.authorize {
                self.authorize_request(request, path, request_id).await?;
            }
            return Ok(self.preflight(cors, resource, request, request_id));
        }
        let resource = self
            .config
            .routes
            .find(request.method.as_str(), path)
            .and_then(|index| self.config.routes.routes().get(index))
            .map(|route| route.path.clone())
            .ok_or(GatewayError::MissingAuthenticationToken)?;
        let authorizer = self.authorize_request(request, path, request_id).await?;
        Ok(self
            .call_handler(request, path, body, request_id, &resource, &authorizer)
            .await?)
    }

    /// SAM's `OPTIONS` mock for `resource`.
    fn preflight(
        &self,
        cors: &CorsPreflight,
        resource: &str,
        request: &ApiRequest,
        request_id: &str,
    ) -> FrontResponse {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        headers.extend(cors.headers(&self.config.routes, resource, &request.headers));
        headers.push(("x-amzn-requestid".to_string(), request_id.to_string()));
        FrontResponse {
            status: 200,
            headers,
            body: PREFLIGHT_BODY.as_bytes().to_vec(),
        }
    }

    /// The token's check for the request's method on `path` (in the stage):
    /// 401 without a token, then the authorizer's policy for the method ARN.
    async fn authorize_request(
        &self,
        request: &ApiRequest,
        path: &str,
        request_id: &str,
    ) -> Result<Arc<AuthorizerAnswer>, GatewayError> {
        let method = request.method.as_str();
        let token = request
            .header("authorization")
            .filter(|t| !t.trim().is_empty())
            .ok_or(GatewayError::Unauthorized)?;
        let method_arn = self.config.method_arn(method, path);
        let answer = self.authorize(token, &method_arn, request_id).await?;
        match answer.evaluate(&method_arn) {
            Ok(Evaluation::Allow) => Ok(answer),
            Ok(Evaluation::ExplicitDeny) => Err(GatewayError::ExplicitDeny),
            Ok(Evaluation::ImplicitDeny) => Err(GatewayError::ImplicitDeny),
            Err(error) => {
                tracing::warn!(%error, "authorizer policy is malformed");
                Err(GatewayError::AuthorizerConfiguration)
            }
        }
    }

    /// The authorizer's answer for `token`, from the cache or a fresh call.
    async fn authorize(
        &self,
        token: &str,
        method_arn: &str,
        request_id: &str,
    ) -> Result<Arc<AuthorizerAnswer>, GatewayError> {
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
        {
            return Ok(hit);
        }
        let event = token_event(token, method_arn);
        let answer = match self
            .invoker
            .invoke(&self.config.authorizer_function, &event)
            .await
        {
            Ok(Invocation::Returned(value)) => {
                AuthorizerAnswer::parse(&value).map_err(|error| {
                    tracing::warn!(%error, request_id, "authorizer answer rejected");
                    GatewayError::AuthorizerConfiguration
                })?
            }
            Ok(Invocation::Failed { error_message, .. }) if error_message == UNAUTHORIZED => {
                return Err(GatewayError::Unauthorized);
            }
            Ok(Invocation::Failed { error_type, .. }) => {
                tracing::warn!(error_type, request_id, "authorizer failed");
                return Err(GatewayError::AuthorizerConfiguration);
            }
            Err(error) => {
                tracing::warn!(%error, request_id, "authorizer unreachable");
                return Err(GatewayError::AuthorizerConfiguration);
            }
        };
        let answer = Arc::new(answer);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token, Arc::clone(&answer));
        Ok(answer)
    }

    async fn call_handler(
        &self,
        request: &ApiRequest,
        path: &str,
        body: &[u8],
        request_id: &str,
        resource: &str,
        authorizer: &AuthorizerAnswer,
    ) -> Result<FrontResponse, GatewayError> {
        let source_ip = request.peer.ip().to_string();
        let now_ms = unix_millis();
        let event = build_event(
            &ProxyRequest {
                method: request.method.as_str(),
                path,
                query: request.query.as_deref(),
                headers: &request.headers,
                body,
            },
            &ProxyContext {
                account_id: &self.config.account_id,
                api_id: &self.config.api_id,
                stage: &self.config.stage,
                resource,
                request_id,
                source_ip: &source_ip,
                authorizer: authorizer.request_context(),
                now_ms,
            },
        );
        let value = match self
            .invoker
            .invoke(&self.config.handler_function, &event)
            .await
        {
            Ok(Invocation::Returned(value)) => value,
            Ok(Invocation::Failed { error_type, .. }) => {
                tracing::warn!(error_type, request_id, "handler failed");
                return Err(GatewayError::BadGateway);
            }
            Err(error) => {
                tracing::warn!(%error, request_id, "handler unreachable");
                return Err(GatewayError::BadGateway);
            }
        };
        let answer = parse_response(&value).map_err(|error| {
            tracing::warn!(%error, request_id, "handler answer is not a proxy response");
            GatewayError::BadGateway
        })?;
        let mut headers = answer.headers;
        headers.push(("x-amzn-requestid".into(), request_id.into()));
        Ok(FrontResponse {
            status: answer.status,
            headers,
            body: answer.body,
        })
    }
}

impl<I: Invoker, C: Clock> ApiFront<I, C> {
    /// Every method and path goes to [`ApiFront::handle`]: the route table
    /// decides, as API Gateway's own routing does.
    pub fn router(self) -> Router {
        Router::new()
            .fallback(proxy::<I, C>)
            .with_state(Arc::new(self))
    }
}

async fn proxy<I: Invoker, C: Clock>(
    State(front): State<Arc<ApiFront<I, C>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> HttpResponse {
    // Read here rather than by an extractor, so that an over-size body gets
    // the front's own 413 (with its request id and error type).
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

/// A TOKEN authorizer event as API Gateway sends it.
pub fn token_event(token: &str, method_arn: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn})
}
