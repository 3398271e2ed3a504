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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apigateway::auth_cache::tests::FakeClock;
    use crate::lambda::invoke::InvokeError;
    use crate::template::sam::{ApiCors, GatewayResponseSpec};
    use shared::iam::INVOKE_ACTION;

    const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:api1/Prod";

    /// Answers the authorizer with a scripted result and the handler with
    /// an echo of the event, recording every call.
    type Answer = Result<Invocation, InvokeError>;

    struct FakeInvoker {
        authorizer: Box<dyn Fn() -> Answer + Send + Sync>,
        handler: Box<dyn Fn(&Value) -> Answer + Send + Sync>,
        calls: Mutex<Vec<(String, Value)>>,
    }

    impl FakeInvoker {
        fn new(
            authorizer: impl Fn() -> Result<Invocation, InvokeError> + Send + Sync + 'static,
        ) -> Self {
            Self {
                authorizer: Box::new(authorizer),
                handler: Box::new(|event| {
                    Ok(Invocation::Returned(json!({
                        "statusCode": 200,
                        "headers": {"content-type": "application/json"},
                        "body": json!({"resource": event["resource"], "authorizer": event["requestContext"]["authorizer"]}).to_string(),
                    })))
                }),
                calls: Mutex::new(Vec::new()),
            }
        }

        fn calls_to(&self, function: &str) -> Vec<Value> {
            let calls = self.calls.lock().unwrap();
            calls
                .iter()
                .filter(|(f, _)| f == function)
                .map(|(_, e)| e.clone())
                .collect()
        }
    }

    impl Invoker for Arc<FakeInvoker> {
        async fn invoke(&self, function: &str, event: &Value) -> Result<Invocation, InvokeError> {
            self.calls
                .lock()
                .unwrap()
                .push((function.to_string(), event.clone()));
            if function == "authorizer" {
                (self.authorizer)()
            } else {
                (self.handler)(event)
            }
        }
    }

    fn policy(statements: Value) -> Result<Invocation, InvokeError> {
        Ok(Invocation::Returned(json!({
            "principalId": "client-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": statements},
            "context": {"sub": "client-1", "client_id": "client-1", "scope": "API/book.get", "token_use": "access"}
        })))
    }

    fn allow_book() -> Result<Invocation, InvokeError> {
        policy(json!([
            {"Action": INVOKE_ACTION, "Effect": "Allow", "Resource": [format!("{ARN}/GET/book"), format!("{ARN}/GET/book/*")]},
            {"Action": INVOKE_ACTION, "Effect": "Deny", "Resource": format!("{ARN}/DELETE/book/*")}
        ]))
    }

    fn failed(message: &str) -> Result<Invocation, InvokeError> {
        Ok(Invocation::Failed {
            error_type: "&str".into(),
            error_message: message.into(),
        })
    }

    fn config(ttl: u64) -> FrontConfig {
        FrontConfig {
            routes: RouteTable::from_json(
                r#"{"GET /book":[],"GET /book/{id}":[],"DELETE /book/{id}":[],"GET /user":[],"GET /awesomeapi":[]}"#,
            )
            .unwrap(),
            api_id: "api1".into(),
            stage: "Prod".into(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            cache_ttl: Duration::from_secs(ttl),
            authorizer_function: "authorizer".into(),
            handler_function: "handler".into(),
            cors: Some(
                CorsPreflight::from_spec(&ApiCors {
                    allow_origin: format!("'{WEB}'"),
                    allow_headers: Some("'Authorization,Content-Type'".into()),
                    allow_methods: Some("'GET,POST,OPTIONS'".into()),
                    max_age: Some("'600'".into()),
                    allow_credentials: false,
                    authorize_preflight: false,
                })
                .unwrap(),
            ),
            gateway_responses: GatewayResponses::from_specs(&[
                GatewayResponseSpec {
                    response_type: "DEFAULT_4XX".into(),
                    headers: vec![(ALLOW_ORIGIN_NAME.into(), format!("'{WEB}'"))],
                },
                GatewayResponseSpec {
                    response_type: "DEFAULT_5XX".into(),
                    headers: vec![(ALLOW_ORIGIN_NAME.into(), format!("'{WEB}'"))],
                },
            ])
            .unwrap(),
        }
    }

    /// The allowed origin of the test configuration.
    const WEB: &str = "http://localhost:8080";
    const ALLOW_ORIGIN_NAME: &str = "Access-Control-Allow-Origin";

    /// A request on `path` inside the stage.
    fn request(method: Method, path: &str, token: Option<&str>) -> ApiRequest {
        raw_request(method, &format!("/Prod{path}"), token)
    }

    /// A request on `path` as sent (stage included or not).
    fn raw_request(method: Method, path: &str, token: Option<&str>) -> ApiRequest {
        let mut headers = HeaderMap::new();
        if let Some(token) = token {
            headers.insert("authorization", token.parse().unwrap());
        }
        ApiRequest {
            method,
            path: path.into(),
            query: None,
            headers,
            body: Payload::Whole(Bytes::new()),
            peer: "127.0.0.1:5555".parse().unwrap(),
        }
    }

    fn header<'a>(response: &'a FrontResponse, name: &str) -> Option<&'a str> {
        response
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn front(
        authorizer: impl Fn() -> Result<Invocation, InvokeError> + Send + Sync + 'static,
        ttl: u64,
    ) -> (
        ApiFront<Arc<FakeInvoker>, FakeClock>,
        Arc<FakeInvoker>,
        FakeClock,
    ) {
        let invoker = Arc::new(FakeInvoker::new(authorizer));
        let clock = FakeClock::new();
        (
            ApiFront::new(config(ttl), Arc::clone(&invoker), clock.clone()),
            invoker,
            clock,
        )
    }

    fn body_json(response: &FrontResponse) -> Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    #[tokio::test]
    async fn gateway_decisions_match_api_gateway() {
        type Script = fn() -> Result<Invocation, InvokeError>;
        type Case = (
            &'static str,
            Script,
            Method,
            &'static str,
            Option<&'static str>,
            u16,
            &'static str,
            usize,
        );
        let cases: [Case; 12] = [
            (
                "unknown path",
                allow_book,
                Method::GET,
                "/nothing",
                Some("Bearer t"),
                403,
                r#"{"message":"Missing Authentication Token"}"#,
                0,
            ),
            (
                "unknown method",
                allow_book,
                Method::POST,
                "/user",
                Some("Bearer t"),
                403,
                r#"{"message":"Missing Authentication Token"}"#,
                0,
            ),
            (
                "no token",
                allow_book,
                Method::GET,
                "/book",
                None,
                401,
                r#"{"message":"Unauthorized"}"#,
                0,
            ),
            (
                "empty token",
                allow_book,
                Method::GET,
                "/book",
                Some(" "),
                401,
                r#"{"message":"Unauthorized"}"#,
                0,
            ),
            (
                "authorizer says Unauthorized",
                || failed("Unauthorized"),
                Method::GET,
                "/book",
                Some("Bearer t"),
                401,
                r#"{"message":"Unauthorized"}"#,
                1,
            ),
            (
                "authorizer crashes",
                || failed("boom"),
                Method::GET,
                "/book",
                Some("Bearer t"),
                500,
                r#"{"message": null}"#,
                1,
            ),
            (
                "authorizer unreachable",
                || {
                    Err(InvokeError::Transport {
                        function: "authorizer".into(),
                        message: "refused".into(),
                    })
                },
                Method::GET,
                "/book",
                Some("Bearer t"),
                500,
                r#"{"message": null}"#,
                1,
            ),
            (
                "no principal",
                || {
                    Ok(Invocation::Returned(
                        json!({"policyDocument": {"Statement": []}}),
                    ))
                },
                Method::GET,
                "/book",
                Some("Bearer t"),
                500,
                r#"{"message": null}"#,
                1,
            ),
            (
                "object in context",
                || {
                    Ok(Invocation::Returned(json!({"principalId": "p",
                "policyDocument": {"Statement": []}, "context": {"a": {}}})))
                },
                Method::GET,
                "/book",
                Some("Bearer t"),
                500,
                r#"{"message": null}"#,
                1,
            ),
            (
                "explicit deny",
                allow_book,
                Method::DELETE,
                "/book/1",
                Some("Bearer t"),
                403,
                r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#,
                1,
            ),
            (
                "not allowed",
                allow_book,
                Method::GET,
                "/user",
                Some("Bearer t"),
                403,
                r#"{"Message":"User is not authorized to access this resource"}"#,
                1,
            ),
            (
                "allowed with parameter",
                allow_book,
                Method::GET,
                "/book/42",
                Some("Bearer t"),
                200,
                "/book/{id}",
                1,
            ),
        ];
        for (name, script, method, path, token, status, body, authorizer_calls) in cases {
            let (front, invoker, _) = front(script, 300);
            let response = front.handle(&request(method.clone(), path, token)).await;
            assert_eq!(response.status, status, "{name}");
            if status == 200 {
                assert_eq!(body_json(&response)["resource"], body, "{name}");
            } else {
                assert_eq!(String::from_utf8_lossy(&response.body), body, "{name}");
            }
            let calls = invoker.calls_to("authorizer");
            assert_eq!(calls.len(), authorizer_calls, "{name}");
            if let Some(event) = calls.first() {
                assert_eq!(event["type"], "TOKEN", "{name}");
                assert_eq!(event["authorizationToken"], "Bearer t", "{name}");
                assert_eq!(
                    event["methodArn"],
                    format!("{ARN}/{method}{path}"),
                    "{name}"
                );
            }
            let handler_calls = invoker.calls_to("handler").len();
            assert_eq!(handler_calls, usize::from(status == 200), "{name}");
        }
    }

    #[tokio::test]
    async fn the_handler_gets_the_authorizer_context_as_strings() {
        let (front, invoker, _) = front(allow_book, 300);
        let response = front
            .handle(&request(Method::GET, "/book", Some("Bearer t")))
            .await;
        assert_eq!(response.status, 200);
        let event = &invoker.calls_to("handler")[0];
        assert_eq!(
            event["requestContext"]["authorizer"],
            json!({"principalId": "client-1", "sub": "client-1", "client_id": "client-1",
                   "scope": "API/book.get", "token_use": "access"})
        );
        assert_eq!(event["requestContext"]["stage"], "Prod");
        assert_eq!(event["resource"], "/book");
        assert!(
            response
                .headers
                .iter()
                .any(|(n, _)| n == "x-amzn-requestid")
        );
    }

    #[tokio::test]
    async fn cached_policies_serve_every_route_until_they_expire() {
        let (front, invoker, clock) = front(allow_book, 300);
        let token = Some("Bearer t");
        let statuses = [
            front
                .handle(&request(Method::GET, "/book", token))
                .await
                .status,
            front
                .handle(&request(Method::GET, "/user", token))
                .await
                .status,
            front
                .handle(&request(Method::GET, "/book/1", token))
                .await
                .status,
        ];
        assert_eq!(statuses, [200, 403, 200]);
        assert_eq!(
            invoker.calls_to("authorizer").len(),
            1,
            "one call for one token within the TTL"
        );
        front
            .handle(&request(Method::GET, "/book", Some("Bearer other")))
            .await;
        assert_eq!(
            invoker.calls_to("authorizer").len(),
            2,
            "another token is another cache key"
        );
        clock.advance(Duration::from_secs(300));
        front.handle(&request(Method::GET, "/book", token)).await;
        assert_eq!(
            invoker.calls_to("authorizer").len(),
            3,
            "expired entries are re-authorized"
        );
    }

    #[tokio::test]
    async fn refusals_and_errors_are_not_cached() {
        for script in [(|| failed("Unauthorized")) as fn() -> _, || failed("boom")] {
            let (front, invoker, _) = front(script, 300);
            for _ in 0..2 {
                front
                    .handle(&request(Method::GET, "/book", Some("Bearer t")))
                    .await;
            }
            assert_eq!(invoker.calls_to("authorizer").len(), 2);
        }
    }

    #[tokio::test]
    async fn zero_ttl_calls_the_authorizer_every_time() {
        let (front, invoker, _) = front(allow_book, 0);
        for _ in 0..3 {
            front
                .handle(&request(Method::GET, "/book", Some("Bearer t")))
                .await;
        }
        assert_eq!(invoker.calls_to("authorizer").len(), 3);
    }

    #[tokio::test]
    async fn handler_failures_are_502() {
        let cases: [fn(&Value) -> Answer; 3] = [
            |_| failed("panic"),
            |_| Ok(Invocation::Returned(json!({"body": "no status"}))),
            |_| {
                Err(InvokeError::Transport {
                    function: "handler".into(),
                    message: "timeout".into(),
                })
            },
        ];
        for handler in cases {
            let mut fake = FakeInvoker::new(allow_book);
            fake.handler = Box::new(handler);
            let front = ApiFront::new(config(300), Arc::new(fake), FakeClock::new());
            let response = front
                .handle(&request(Method::GET, "/book", Some("Bearer t")))
                .await;
            assert_eq!(response.status, 502);
            assert_eq!(
                String::from_utf8_lossy(&response.body),
                r#"{"message": "Internal server error"}"#
            );
        }
    }

    #[tokio::test]
    async fn the_api_lives_under_its_stage() {
        let missing = r#"{"message":"Missing Authentication Token"}"#;
        // (path as sent, status, body or handler's `path`, method ARN path)
        let cases = [
            ("/Prod/book", 200, "/book", Some("/GET/book")),
            ("/Prod/book/7", 200, "/book/7", Some("/GET/book/7")),
            ("/book", 403, missing, None),
            ("/", 403, missing, None),
            ("/prod/book", 403, missing, None),
            ("/Prodx/book", 403, missing, None),
            ("/Prod", 403, missing, None),
            ("/Prod/", 403, missing, None),
            ("/Prod/nothing", 403, missing, None),
        ];
        for (path, status, expected, arn) in cases {
            let (front, invoker, _) = front(allow_book, 300);
            let response = front
                .handle(&raw_request(Method::GET, path, Some("Bearer t")))
                .await;
            assert_eq!(response.status, status, "{path}");
            let authorizer = invoker.calls_to("authorizer");
            assert_eq!(
                authorizer.first().map(|e| e["methodArn"].clone()),
                arn.map(|a| json!(format!("{ARN}{a}"))),
                "{path}"
            );
            if status == 200 {
                let event = &invoker.calls_to("handler")[0];
                // As API Gateway sends it: `path` without the stage,
                // `requestContext.path` with it.
                assert_eq!(event["path"], expected, "{path}");
                assert_eq!(event["requestContext"]["path"], path, "{path}");
                assert_eq!(event["requestContext"]["stage"], "Prod", "{path}");
            } else {
                assert_eq!(String::from_utf8_lossy(&response.body), expected, "{path}");
            }
        }
    }

    fn with_origin(mut request: ApiRequest, origin: &str) -> ApiRequest {
        request.headers.insert("origin", origin.parse().unwrap());
        request.headers.insert(
            "access-control-request-headers",
            "authorization".parse().unwrap(),
        );
        request
    }

    #[tokio::test]
    async fn preflights_are_the_mock_without_the_authorizer() {
        let preflight_headers = [
            ("content-type", "application/json"),
            ("Access-Control-Allow-Origin", WEB),
            ("Access-Control-Allow-Headers", "Authorization,Content-Type"),
            ("Access-Control-Allow-Methods", "GET,POST,OPTIONS"),
            ("Access-Control-Max-Age", "600"),
        ];
        // (path, origin, status): the mock answers the same for any origin.
        let cases = [
            ("/book", WEB, 200),
            ("/book/1", WEB, 200),
            ("/awesomeapi", "http://evil.example", 200),
            ("/nothing", WEB, 403),
        ];
        for (path, origin, status) in cases {
            let (front, invoker, _) = front(allow_book, 300);
            let response = front
                .handle(&with_origin(request(Method::OPTIONS, path, None), origin))
                .await;
            assert_eq!(response.status, status, "{path}");
            assert!(
                invoker.calls.lock().unwrap().is_empty(),
                "{path}: no function called"
            );
            if status == 200 {
                let names: Vec<(&str, &str)> = response
                    .headers
                    .iter()
                    .filter(|(n, _)| n != "x-amzn-requestid")
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                assert_eq!(names, preflight_headers, "{path}");
                assert_eq!(response.body, PREFLIGHT_BODY.as_bytes(), "{path}");
            } else {
                assert_eq!(header(&response, ALLOW_ORIGIN_NAME), Some(WEB), "{path}");
            }
        }
    }

    #[tokio::test]
    async fn an_authorized_preflight_needs_a_token_and_the_options_method() {
        let mut config = config(300);
        if let Some(cors) = &mut config.cors {
            cors.authorize = true;
        }
        let cases = [(None, 401, 0), (Some("Bearer t"), 403, 1)];
        for (token, status, calls) in cases {
            let invoker = Arc::new(FakeInvoker::new(allow_book));
            let front = ApiFront::new(config.clone(), Arc::clone(&invoker), FakeClock::new());
            let response = front
                .handle(&with_origin(request(Method::OPTIONS, "/book", token), WEB))
                .await;
            assert_eq!(response.status, status, "{token:?}");
            let authorizer = invoker.calls_to("authorizer");
            assert_eq!(authorizer.len(), calls, "{token:?}");
            if let Some(event) = authorizer.first() {
                assert_eq!(event["methodArn"], format!("{ARN}/OPTIONS/book"));
            }
        }
    }

    #[tokio::test]
    async fn own_answers_carry_the_gateway_response_headers_and_handler_answers_their_own() {
        type Script = fn() -> Result<Invocation, InvokeError>;
        // (case, authorizer, path as sent, token, status, allow-origin)
        type Case = (
            &'static str,
            Script,
            &'static str,
            Option<&'static str>,
            u16,
            Option<&'static str>,
        );
        let cases: [Case; 6] = [
            ("no token", allow_book, "/Prod/book", None, 401, Some(WEB)),
            (
                "denied",
                allow_book,
                "/Prod/user",
                Some("Bearer t"),
                403,
                Some(WEB),
            ),
            (
                "no route",
                allow_book,
                "/Prod/nothing",
                Some("Bearer t"),
                403,
                Some(WEB),
            ),
            (
                "authorizer fails",
                || failed("boom"),
                "/Prod/book",
                Some("Bearer t"),
                500,
                Some(WEB),
            ),
            (
                "outside the stage",
                allow_book,
                "/book",
                Some("Bearer t"),
                403,
                None,
            ),
            (
                "the handler's answer",
                allow_book,
                "/Prod/book",
                Some("Bearer t"),
                200,
                None,
            ),
        ];
        for (name, script, path, token, status, allow_origin) in cases {
            let (front, _, _) = front(script, 300);
            let response = front
                .handle(&with_origin(raw_request(Method::GET, path, token), WEB))
                .await;
            assert_eq!(response.status, status, "{name}");
            assert_eq!(header(&response, ALLOW_ORIGIN_NAME), allow_origin, "{name}");
        }
        // The handler's headers reach the client untouched, in order.
        let mut fake = FakeInvoker::new(allow_book);
        fake.handler = Box::new(|_| {
            Ok(Invocation::Returned(json!({
                "statusCode": 201,
                "multiValueHeaders": {"Access-Control-Allow-Origin": ["http://other"], "Vary": ["Origin"]},
                "body": "made",
            })))
        });
        let front = ApiFront::new(config(300), Arc::new(fake), FakeClock::new());
        let response = front
            .handle(&with_origin(
                request(Method::GET, "/book", Some("Bearer t")),
                WEB,
            ))
            .await;
        let own: Vec<(&str, &str)> = response
            .headers
            .iter()
            .filter(|(n, _)| n != "x-amzn-requestid")
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            (response.status, own, response.body.as_slice()),
            (
                201,
                vec![
                    ("Access-Control-Allow-Origin", "http://other"),
                    ("Vary", "Origin")
                ],
                b"made".as_slice()
            )
        );
    }

    #[tokio::test]
    async fn requests_over_rest_limits_are_413_without_custom_headers() {
        let header_room = |request: &ApiRequest| {
            MAX_REQUEST_LINE_AND_HEADERS - request.request_line_and_headers_len()
        };
        let base = with_origin(request(Method::GET, "/book", Some("Bearer t")), WEB);
        let filler = |extra: usize| {
            // "x-fill" and its value count, so the value is that much shorter.
            let mut request = base.clone();
            let value = "a".repeat(header_room(&base) - "x-fill".len() + extra);
            request.headers.insert("x-fill", value.parse().unwrap());
            request
        };
        let body = |len: usize| {
            let mut request = base.clone();
            request.body = Payload::Whole(Bytes::from(vec![b'x'; len]));
            request
        };
        let too_large = {
            let mut request = base.clone();
            request.body = Payload::TooLarge;
            request
        };
        let cases = [
            ("headers at the limit", filler(0), 200),
            ("headers one byte over", filler(1), 413),
            ("a 20 KB header", filler(20 * 1024), 413),
            ("a body at the limit", body(MAX_BODY_BYTES), 200),
            ("a body over the limit", too_large, 413),
        ];
        for (name, request, status) in cases {
            let (front, invoker, _) = front(allow_book, 300);
            let response = front.handle(&request).await;
            assert_eq!(response.status, status, "{name}");
            if status == 413 {
                assert_eq!(
                    String::from_utf8_lossy(&response.body),
                    r#"{"message":"Request Too Long"}"#,
                    "{name}"
                );
                assert_eq!(header(&response, ALLOW_ORIGIN_NAME), None, "{name}");
                assert!(invoker.calls.lock().unwrap().is_empty(), "{name}");
            }
        }
    }

    #[test]
    fn the_request_line_and_every_header_count_towards_the_limit() {
        let mut request = raw_request(Method::GET, "/Prod/book", Some("Bearer t"));
        request.query = Some("a=1".into());
        // "GET /Prod/book?a=1 HTTP/1.1" + "authorization" + "Bearer t"
        assert_eq!(request.request_line_and_headers_len(), 27 + 13 + 8);
    }

    #[test]
    fn method_arns_name_the_local_api() {
        let c = config(0);
        assert_eq!(c.method_arn("GET", "/book/1"), format!("{ARN}/GET/book/1"));
        assert_eq!(c.method_arn("GET", "/"), format!("{ARN}/GET/"));
    }
}
