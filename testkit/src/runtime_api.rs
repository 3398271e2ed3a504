//! A Lambda Runtime API emulator: runs a real function binary (the
//! authorizer's `bootstrap`) without AWS, for the start-up tests, the
//! cold-start and memory measurements and the flat-memory test.
//!
//! It serves what `lambda_runtime` 1.5 asks for, on `127.0.0.1:<port>`
//! (pass [`RuntimeApi::endpoint`] as `AWS_LAMBDA_RUNTIME_API`):
//!
//! - `GET /2018-06-01/runtime/invocation/next`: waits for the next queued
//!   event and returns it with `Lambda-Runtime-Aws-Request-Id`,
//!   `Lambda-Runtime-Deadline-Ms`, `Lambda-Runtime-Invoked-Function-Arn` and
//!   `Lambda-Runtime-Trace-Id` (a distinct trace id per invocation, as Lambda sends);
//! - `POST /2018-06-01/runtime/invocation/<id>/response`: the function's answer;
//! - `POST /2018-06-01/runtime/invocation/<id>/error`: its error, as
//!   `{"errorType","errorMessage"}`;
//! - `POST /2018-06-01/runtime/init/error`: a failure before the first poll.
//!
//! The caller queues events with [`RuntimeApi::push`] and awaits each
//! [`Outcome`], which carries when the event was queued, handed to the
//! function and answered.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};

/// The path prefix of every Runtime API call.
pub const API_PREFIX: &str = "/2018-06-01/runtime";

/// The largest response or error body accepted, as Lambda's 6 MB payload limit.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// The function ARN reported with each invocation.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:local";

/// The time each invocation is given, reported as its deadline.
pub const INVOCATION_TIMEOUT: Duration = Duration::from_secs(3);

/// An error the function reported, as Lambda records it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FunctionError {
    /// `errorType`, e.g. `Unauthorized`.
    #[serde(rename = "errorType", default)]
    pub error_type: String,
    /// `errorMessage`, e.g. `Unauthorized`.
    #[serde(rename = "errorMessage", default)]
    pub error_message: String,
}

/// What one invocation produced, and when.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The request id the function was given.
    pub request_id: String,
    /// The answer: the response's JSON, or the reported error. A response
    /// that is not JSON is reported as an error of type `Emulator.InvalidJson`.
    pub result: Result<Value, FunctionError>,
    /// When [`RuntimeApi::push`] queued the event.
    pub queued_at: Instant,
    /// When the function's `next` call received it.
    pub delivered_at: Instant,
    /// When the function's answer had been read whole.
    pub answered_at: Instant,
}

/// Why an invocation has no outcome.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmulatorError {
    /// The emulator stopped before the function answered.
    #[error("the runtime API emulator stopped before the function answered")]
    Stopped,
}

/// A queued or running invocation; await [`Invocation::outcome`].
#[derive(Debug)]
pub struct Invocation {
    /// The request id the function will be given.
    pub request_id: String,
    /// When it was queued.
    pub queued_at: Instant,
    answer: oneshot::Receiver<Outcome>,
}

impl Invocation {
    /// Waits for the function's answer.
    pub async fn outcome(self) -> Result<Outcome, EmulatorError> {
        self.answer.await.map_err(|_| EmulatorError::Stopped)
    }
}

struct Queued {
    request_id: String,
    body: Bytes,
    queued_at: Instant,
    answer: oneshot::Sender<Outcome>,
}

struct Running {
    queued_at: Instant,
    delivered_at: Instant,
    answer: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Queued>>,
    queued: Notify,
    running: Mutex<HashMap<String, Running>>,
    first_poll: OnceLock<Instant>,
    init_error: OnceLock<FunctionError>,
    init_failed: Notify,
    next_id: AtomicU64,
}

/// Locks a mutex; a panic elsewhere cannot leave these maps half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The emulator: a loopback HTTP server and its event queue. Dropping it stops the server.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts serving on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let server = tokio::spawn(accept(listener, Arc::clone(&shared)));
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// Where the emulator listens: 127.0.0.1 and a free port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`: `127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an event (its JSON text) for the function's next poll.
    pub fn push(&self, event: impl Into<Bytes>) -> Invocation {
        let n = self.shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let request_id = format!("00000000-0000-4000-8000-{n:012x}");
        let (answer, receiver) = oneshot::channel();
        let queued_at = Instant::now();
        lock(&self.shared.queue).push_back(Queued {
            request_id: request_id.clone(),
            body: event.into(),
            queued_at,
            answer,
        });
        self.shared.queued.notify_one();
        Invocation {
            request_id,
            queued_at,
            answer: receiver,
        }
    }

    /// Queues `event` and waits for the answer.
    pub async fn invoke(&self, event: &Value) -> Result<Outcome, EmulatorError> {
        self.push(event.to_string()).outcome().await
    }

    /// When the function first asked for an event: the end of its init phase.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.first_poll.get().copied()
    }

    /// Waits until the function reports an init error, and returns it.
    pub async fn init_error(&self) -> FunctionError {
        loop {
            let reported = self.shared.init_failed.notified();
            if let Some(error) = self.shared.init_error.get() {
                return error.clone();
            }
            reported.await;
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(route(&shared, request).await) }
                    });
                    // A connection error only ends that connection.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

type HttpResponse = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: &'static str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

async fn route(shared: &Shared, request: Request<Incoming>) -> HttpResponse {
    let path = request.uri().path().to_string();
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return reply(StatusCode::NOT_FOUND, r#"{"errorType":"NotFound"}"#);
    };
    let method = request.method().clone();
    match (
        method,
        rest.trim_start_matches('/')
            .split('/')
            .collect::<Vec<_>>()
            .as_slice(),
    ) {
        (Method::GET, ["invocation", "next"]) => next(shared).await,
        (Method::POST, ["invocation", id, kind @ ("response" | "error")]) => {
            let Some(running) = lock(&shared.running).remove(*id) else {
                return reply(
                    StatusCode::BAD_REQUEST,
                    r#"{"errorType":"InvalidRequestID"}"#,
                );
            };
            let body = read_body(request).await;
            let answered_at = Instant::now();
            let result = match (*kind, body) {
                ("response", Ok(body)) => {
                    serde_json::from_slice(&body).map_err(|e| FunctionError {
                        error_type: "Emulator.InvalidJson".to_string(),
                        error_message: e.to_string(),
                    })
                }
                (_, Ok(body)) => Err(function_error(&body)),
                (_, Err(message)) => Err(FunctionError {
                    error_type: "Emulator.BadBody".to_string(),
                    error_message: message,
                }),
            };
            // The caller may have stopped waiting; that is its choice.
            let _ = running.answer.send(Outcome {
                request_id: (*id).to_string(),
                result,
                queued_at: running.queued_at,
                delivered_at: running.delivered_at,
                answered_at,
            });
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        (Method::POST, ["init", "error"]) => {
            let error = match read_body(request).await {
                Ok(body) => function_error(&body),
                Err(message) => FunctionError {
                    error_type: "Emulator.BadBody".to_string(),
                    error_message: message,
                },
            };
            let _ = shared.init_error.set(error);
            shared.init_failed.notify_waiters();
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        _ => reply(StatusCode::NOT_FOUND, r#"{"errorType":"NotFound"}"#),
    }
}

/// Waits for a queued event and hands it over.
async fn next(shared: &Shared) -> HttpResponse {
    let _ = shared.first_poll.set(Instant::now());
    let queued = loop {
        let queued = shared.queued.notified();
        if let Some(event) = lock(&shared.queue).pop_front() {
            break event;
        }
        queued.await;
    };
    let delivered_at = Instant::now();
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(INVOCATION_TIMEOUT)
        .as_millis();
    // Distinct per invocation, as Lambda's are: the request number.
    let number = queued.request_id.rsplit('-').next().unwrap_or_default();
    let trace = format!(
        "Root=1-{:08x}-{number:0>24};Parent={number:0>16};Sampled=0",
        deadline / 1000
    );
    let mut response = Response::new(Full::new(queued.body));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &queued.request_id);
    set("lambda-runtime-deadline-ms", &deadline.to_string());
    set("lambda-runtime-invoked-function-arn", FUNCTION_ARN);
    set("lambda-runtime-trace-id", &trace);
    lock(&shared.running).insert(
        queued.request_id,
        Running {
            queued_at: queued.queued_at,
            delivered_at,
            answer: queued.answer,
        },
    );
    response
}

async fn read_body(request: Request<Incoming>) -> Result<Bytes, String> {
    Limited::new(request.into_body(), MAX_PAYLOAD_BYTES)
        .collect()
        .await
        .map(|body| body.to_bytes())
        .map_err(|e| e.to_string())
}

/// Reads an error body; one that is not `{"errorType","errorMessage"}` is kept as the message.
fn function_error(body: &[u8]) -> FunctionError {
    serde_json::from_slice(body).unwrap_or_else(|_| FunctionError {
        error_type: "Emulator.UnreadableError".to_string(),
        error_message: String::from_utf8_lossy(body).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(api: &RuntimeApi, path: &str) -> String {
        format!("http://{}{API_PREFIX}{path}", api.endpoint())
    }

    async fn next(client: &reqwest::Client, api: &RuntimeApi) -> reqwest::Response {
        client
            .get(url(api, "/invocation/next"))
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn delivers_events_with_lambda_headers_and_returns_the_response() {
        let api = RuntimeApi::start().await.unwrap();
        assert!(api.endpoint().starts_with("127.0.0.1:"));
        let client = reqwest::Client::new();
        let invocation = api.push(json!({"type": "TOKEN"}).to_string());

        let event = next(&client, &api).await;
        assert!(api.first_poll().is_some());
        let header = |name: &str| event.headers()[name].to_str().unwrap().to_string();
        let id = header("lambda-runtime-aws-request-id");
        assert_eq!(id, invocation.request_id);
        assert_eq!(header("lambda-runtime-invoked-function-arn"), FUNCTION_ARN);
        let trace = header("lambda-runtime-trace-id");
        assert!(
            trace.starts_with("Root=1-") && trace.contains(&id[24..]),
            "{trace}"
        );
        let deadline: u128 = header("lambda-runtime-deadline-ms").parse().unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        assert!(deadline > now && deadline <= now + INVOCATION_TIMEOUT.as_millis());
        let body: Value = serde_json::from_slice(&event.bytes().await.unwrap()).unwrap();
        assert_eq!(body, json!({"type": "TOKEN"}));

        let posted = client
            .post(url(&api, &format!("/invocation/{id}/response")))
            .body(r#"{"principalId":"p"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 202);
        let outcome = invocation.outcome().await.unwrap();
        assert_eq!(outcome.result, Ok(json!({"principalId": "p"})));
        assert!(
            outcome.queued_at <= outcome.delivered_at
                && outcome.delivered_at <= outcome.answered_at
        );
    }

    #[tokio::test]
    async fn a_poll_waits_for_the_next_event_and_events_keep_their_order() {
        let api = RuntimeApi::start().await.unwrap();
        let client = reqwest::Client::new();
        let waiting = tokio::spawn({
            let (client, url) = (client.clone(), url(&api, "/invocation/next"));
            async move { client.get(url).send().await.unwrap().text().await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "no event is queued yet");
        let first = api.push("1");
        let second = api.push("2");
        assert_ne!(first.request_id, second.request_id);
        assert_eq!(waiting.await.unwrap(), "1");
        assert_eq!(next(&client, &api).await.text().await.unwrap(), "2");
    }

    #[tokio::test]
    async fn function_errors_come_back_as_error_type_and_message() {
        let api = RuntimeApi::start().await.unwrap();
        let client = reqwest::Client::new();
        let invocation = api.push("{}");
        let id = invocation.request_id.clone();
        next(&client, &api).await;
        let posted = client
            .post(url(&api, &format!("/invocation/{id}/error")))
            .header("lambda-runtime-function-error-type", "Unhandled")
            .body(r#"{"errorType":"Unauthorized","errorMessage":"Unauthorized"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 202);
        let expected = FunctionError {
            error_type: "Unauthorized".into(),
            error_message: "Unauthorized".into(),
        };
        assert_eq!(invocation.outcome().await.unwrap().result, Err(expected));

        // The id is used up; answering it again is refused.
        let again = client
            .post(url(&api, &format!("/invocation/{id}/response")))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 400);
    }

    #[tokio::test]
    async fn init_errors_are_reported_and_unknown_paths_are_404() {
        let api = RuntimeApi::start().await.unwrap();
        let client = reqwest::Client::new();
        let waiter = api.init_error();
        let posted = client
            .post(url(&api, "/init/error"))
            .body(r#"{"errorType":"Runtime.InitError","errorMessage":"USER_POOL_ID is not set"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 202);
        let error = waiter.await;
        assert_eq!(error.error_type, "Runtime.InitError");
        assert_eq!(error.error_message, "USER_POOL_ID is not set");
        for path in ["/invocation", "/invocation/x/other", "/restore/next"] {
            let response = client.get(url(&api, path)).send().await.unwrap();
            assert_eq!(response.status(), 404, "{path}");
        }
    }

    #[tokio::test]
    async fn non_json_responses_and_a_stopped_emulator_are_errors() {
        let api = RuntimeApi::start().await.unwrap();
        let client = reqwest::Client::new();
        let invocation = api.push("{}");
        let id = invocation.request_id.clone();
        next(&client, &api).await;
        client
            .post(url(&api, &format!("/invocation/{id}/response")))
            .body("not json")
            .send()
            .await
            .unwrap();
        let result = invocation.outcome().await.unwrap().result;
        assert_eq!(result.unwrap_err().error_type, "Emulator.InvalidJson");

        let pending = api.push("{}");
        drop(api);
        assert_eq!(pending.outcome().await.unwrap_err(), EmulatorError::Stopped);
    }
}
