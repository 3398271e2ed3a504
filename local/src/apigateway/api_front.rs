//! An API Gateway REST API with a Lambda TOKEN authorizer, in front of the
//! functions `cargo lambda watch` serves.
//!
//! Per request, as API Gateway does it: an unknown route is 403 "Missing
//! Authentication Token"; a missing `Authorization` header is 401 without
//! calling the authorizer; the authorizer's policy (cached per token for
//! `ReauthorizeEvery`) is evaluated for the request's method ARN; allowed
//! requests go to the handler as REST proxy events.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use shared::RouteTable;
use shared::iam::Evaluation;

use crate::apigateway::auth_cache::{AuthCache, Clock};
use crate::apigateway::authorizer_answer::AuthorizerAnswer;
use crate::apigateway::proxy_event::{ProxyContext, ProxyRequest, build_event, parse_response};
use crate::cognito::issuer::random_id;
use crate::http_server::{HttpResponse, WholeBody, response};
use crate::lambda::invoke::{Invocation, Invoker};

/// The exact error message by which an authorizer refuses a token.
pub const UNAUTHORIZED: &str = "Unauthorized";

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
}

impl FrontConfig {
    /// The method ARN API Gateway gives the authorizer for a request.
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

/// A request to the API, read whole.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The client's address.
    pub peer: SocketAddr,
}

impl ApiRequest {
    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
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
}

impl GatewayError {
    /// Status, body and `x-amzn-ErrorType`, as API Gateway sends them.
    pub fn parts(self) -> (u16, &'static str, &'static str) {
        match self {
            GatewayError::MissingAuthenticationToken => (
                403,
                r#"{"message":"Missing Authentication Token"}"#,
                "MissingAuthenticationTokenException",
            ),
            GatewayError::Unauthorized => (
                401,
                r#"{"message":"Unauthorized"}"#,
                "UnauthorizedException",
            ),
            GatewayError::ExplicitDeny => (
                403,
                r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#,
                "AccessDeniedException",
            ),
            GatewayError::ImplicitDeny => (
                403,
                r#"{"Message":"User is not authorized to access this resource"}"#,
                "AccessDeniedException",
            ),
            GatewayError::AuthorizerConfiguration => (
                500,
                r#"{"message": null}"#,
                "AuthorizerConfigurationException",
            ),
            GatewayError::BadGateway => (
                502,
                r#"{"message": "Internal server error"}"#,
                "InternalServerErrorException",
            ),
        }
    }

    fn response(self, request_id: &str) -> FrontResponse {
        let (status, body, error_type) = self.parts();
        FrontResponse {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-amzn-requestid".into(), request_id.into()),
                ("x-amzn-errortype".into(), error_type.into()),
            ],
            body: body.as_bytes().to_vec(),
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

    /// The front's configuration.
    pub fn config(&self) -> &FrontConfig {
        &self.config
    }

    /// Answers one request.
    pub async fn handle(&self, request: &ApiRequest) -> FrontResponse {
        let request_id = random_id();
        let method = request.method.as_str();
        let answer = match self.route_and_authorize(request, &request_id).await {
            Ok((resource, authorizer)) => {
                self.call_handler(request, &request_id, &resource, &authorizer)
                    .await
            }
            Err(error) => Err(error),
        };
        let response = answer.unwrap_or_else(|error| error.response(&request_id));
        tracing::info!(method, path = %request.path, status = response.status, "api request");
        response
    }

    async fn route_and_authorize(
        &self,
        request: &ApiRequest,
        request_id: &str,
    ) -> Result<(String, Arc<AuthorizerAnswer>), GatewayError> {
        let method = request.method.as_str();
        let resource = self
            .config
            .routes
            .find(method, &request.path)
            .and_then(|index| self.config.routes.routes().get(index))
            .map(|route| route.path.clone())
            .ok_or(GatewayError::MissingAuthenticationToken)?;
        let token = request
            .header("authorization")
            .filter(|t| !t.trim().is_empty())
            .ok_or(GatewayError::Unauthorized)?;
        let method_arn = self.config.method_arn(method, &request.path);
        let answer = self.authorize(token, &method_arn, request_id).await?;
        match answer.evaluate(&method_arn) {
            Ok(Evaluation::Allow) => Ok((resource, answer)),
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
        request_id: &str,
        resource: &str,
        authorizer: &AuthorizerAnswer,
    ) -> Result<FrontResponse, GatewayError> {
        let source_ip = request.peer.ip().to_string();
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let event = build_event(
            &ProxyRequest {
                method: request.method.as_str(),
                path: &request.path,
                query: request.query.as_deref(),
                headers: &request.headers,
                body: &request.body,
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
    WholeBody(body): WholeBody,
) -> HttpResponse {
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
        }
    }

    fn request(method: Method, path: &str, token: Option<&str>) -> ApiRequest {
        let mut headers = HeaderMap::new();
        if let Some(token) = token {
            headers.insert("authorization", token.parse().unwrap());
        }
        ApiRequest {
            method,
            path: path.into(),
            query: None,
            headers,
            body: Default::default(),
            peer: "127.0.0.1:5555".parse().unwrap(),
        }
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

    #[test]
    fn method_arns_name_the_local_api() {
        let c = config(0);
        assert_eq!(c.method_arn("GET", "/book/1"), format!("{ARN}/GET/book/1"));
        assert_eq!(c.method_arn("GET", "/"), format!("{ARN}/GET/"));
    }
}
