//! The Lambda Runtime API loop every function runs, one invocation at a time,
//! and the log set-up of the functions that use no `lambda_http` ([`logging`]).
//!
//! It is `lambda_runtime` 1.5's sequential loop (the same `Config`,
//! `Context`, `LambdaEvent` and `Diagnostic`, the same Runtime API client,
//! the same per-invocation tracing span) minus one line: that loop calls
//! `std::env::set_var("_X_AMZN_TRACE_ID", …)` on every invocation, and
//! glibc's `setenv` keeps every distinct value it was ever given, so with
//! Lambda's distinct trace id per invocation a warm process grows by about
//! 145 bytes per call, without bound. lambda_runtime only skips the call in
//! its concurrent mode (Lambda Managed Instances), which classic Lambda
//! does not use.
//!
//! The trace id is not lost: it is a field (`xrayTraceId`) of the span
//! every log line of the invocation carries, and
//! [`Context::xray_trace_id`](lambda_runtime::Context) holds it for code
//! that passes it on, as lambda_runtime documents for its concurrent mode.
//! Neither function uses an AWS SDK or the X-Ray SDK, the readers of the
//! variable; Lambda records the invocation's trace segment itself.

pub mod logging;

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::BodyExt;
use lambda_runtime::layers::trace::request_span;
use lambda_runtime::{Config, Context, Diagnostic, LambdaEvent, Service};
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{Client, build_request};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

/// An error that stops the loop (the Runtime API is unusable); handler
/// errors are reported to Lambda and the loop goes on.
pub type Error = lambda_runtime::Error;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

/// Serves invocations with `service` until the Runtime API fails.
///
/// Panics at start-up, as `lambda_runtime::run` does, if Lambda's
/// `AWS_LAMBDA_FUNCTION_*` variables are missing.
pub async fn run<S, A, R>(mut service: S) -> Result<(), Error>
where
    S: Service<LambdaEvent<A>, Response = R>,
    S::Error: Into<Diagnostic>,
    A: DeserializeOwned,
    R: Serialize,
{
    let config = Arc::new(Config::from_env());
    let client = Client::builder().build()?;
    loop {
        let next = build_request()
            .method(Method::GET)
            .uri(Uri::from_static(NEXT))
            .body(Body::empty())?;
        let (parts, body) = client.call(next).await?.into_parts();
        let body = body.collect().await?.to_bytes();
        let request_id = parts
            .headers
            .get("lambda-runtime-aws-request-id")
            .and_then(|v| v.to_str().ok())
            .ok_or("the Runtime API sent an invocation without a request id")?
            .to_string();
        let context = Context::new(&request_id, Arc::clone(&config), &parts.headers)?;
        let span = request_span(&context);
        let outcome = invoke(&mut service, &body, context).instrument(span).await;
        let answer = match outcome {
            Ok(response) => report(
                &request_id,
                "response",
                serde_json::to_vec(&response)?,
                None,
            ),
            Err(diagnostic) => report(
                &request_id,
                "error",
                serde_json::to_vec(&diagnostic)?,
                Some("Unhandled"),
            ),
        }?;
        // The Runtime API answers 202; anything else is logged, not fatal.
        let status = client.call(answer).await?.status();
        if !status.is_success() {
            tracing::error!(%status, "the Runtime API refused the invocation's answer");
        }
    }
}

async fn invoke<S, A, R>(service: &mut S, body: &Bytes, context: Context) -> Result<R, Diagnostic>
where
    S: Service<LambdaEvent<A>, Response = R>,
    S::Error: Into<Diagnostic>,
    A: DeserializeOwned,
{
    let payload: A = serde_json::from_slice(body).map_err(|e| {
        tracing::error!(error = %e, "the event does not deserialize");
        Diagnostic {
            error_type: "Runtime.DeserializationError".into(),
            error_message: e.to_string(),
        }
    })?;
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(Into::into)?;
    service
        .call(LambdaEvent::new(payload, context))
        .await
        .map_err(Into::into)
}

fn report(
    request_id: &str,
    kind: &str,
    body: Vec<u8>,
    error_type: Option<&str>,
) -> Result<Request<Body>, Error> {
    let uri: Uri = format!("/2018-06-01/runtime/invocation/{request_id}/{kind}").parse()?;
    let mut request = build_request().method(Method::POST).uri(uri);
    if let Some(error_type) = error_type {
        request = request.header("lambda-runtime-function-error-type", error_type);
    }
    Ok(request.body(Body::from(body))?)
}
