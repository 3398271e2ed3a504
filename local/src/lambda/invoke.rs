//! Invoking functions through the Lambda Invoke API that `cargo lambda
//! watch` serves (`POST /2015-03-31/functions/<name>/invocations`).

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

/// What an invocation produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// The function returned this value.
    Returned(Value),
    /// The function failed with this error.
    Failed {
        /// `errorType`, e.g. `&alloc::string::String`.
        error_type: String,
        /// `errorMessage`, e.g. `Unauthorized`.
        error_message: String,
    },
}

/// Why a function could not be invoked at all.
#[derive(Debug, Error)]
pub enum InvokeError {
    /// No answer: connection refused, timeout, or a broken response.
    #[error("invoking {function}: {message}")]
    Transport {
        /// The function's name.
        function: String,
        /// What went wrong.
        message: String,
    },
}

/// Invokes Lambda functions by name.
pub trait Invoker: Send + Sync + 'static {
    /// Sends `event` to `function` and waits for its result.
    fn invoke(
        &self,
        function: &str,
        event: &Value,
    ) -> impl Future<Output = Result<Invocation, InvokeError>> + Send;
}

/// A shared invoker invokes as the one it points to: a front owns its
/// invoker, and whoever made it (the stack, a test) may keep a handle.
impl<T: Invoker> Invoker for std::sync::Arc<T> {
    fn invoke(
        &self,
        function: &str,
        event: &Value,
    ) -> impl Future<Output = Result<Invocation, InvokeError>> + Send {
        T::invoke(self, function, event)
    }
}

/// Invokes functions served by `cargo lambda watch`.
#[derive(Debug, Clone)]
pub struct WatchInvoker {
    client: reqwest::Client,
    base_url: String,
}

impl WatchInvoker {
    /// An invoker for the watch server at `base_url` (e.g. `http://127.0.0.1:9000`);
    /// each invocation may take up to `timeout`, which must cover a rebuild
    /// because watch compiles on the first invocation after a change.
    pub fn new(base_url: String, timeout: Duration) -> Result<Self, InvokeError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // The watch server is on loopback; a proxy from the environment
            // must not intercept it.
            .no_proxy()
            .build()
            .map_err(|e| InvokeError::Transport {
                function: String::new(),
                message: e.to_string(),
            })?;
        Ok(Self { client, base_url })
    }
}

impl Invoker for WatchInvoker {
    async fn invoke(&self, function: &str, event: &Value) -> Result<Invocation, InvokeError> {
        let transport = |message: String| InvokeError::Transport {
            function: function.to_string(),
            message,
        };
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.base_url
        );
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(event.to_string())
            .send()
            .await
            .map_err(|e| transport(e.to_string()))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(e.to_string()))?;
        interpret(status.as_u16(), function_error, &body).map_err(transport)
    }
}

/// Reads an Invoke API answer: a success is 200 without
/// `X-Amz-Function-Error`; watch reports function errors as HTTP 500 with
/// `{"errorType","errorMessage"}`, the real API as 200 with the header.
pub fn interpret(status: u16, function_error: bool, body: &[u8]) -> Result<Invocation, String> {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    let error_fields = value.as_ref().and_then(|v| {
        let message = v.get("errorMessage")?.as_str()?.to_string();
        let kind = v
            .get("errorType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Some((kind, message))
    });
    match (status, function_error, value, error_fields) {
        (200, false, Some(value), _) => Ok(Invocation::Returned(value)),
        (200, true, _, Some((error_type, error_message)))
        | (500, _, _, Some((error_type, error_message))) => Ok(Invocation::Failed {
            error_type,
            error_message,
        }),
        (status, _, _, _) => Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invoke_answers_are_read_like_the_lambda_api() {
        let unauthorized = br#"{"errorType":"&str","errorMessage":"Unauthorized"}"#;
        let failed = |m: &str| {
            Ok(Invocation::Failed {
                error_type: "&str".into(),
                error_message: m.into(),
            })
        };
        type Case = (u16, bool, &'static [u8], Result<Invocation, ()>);
        let cases: [Case; 6] = [
            (
                200,
                false,
                br#"{"a":1}"#,
                Ok(Invocation::Returned(json!({"a": 1}))),
            ),
            (500, false, unauthorized, failed("Unauthorized")),
            (200, true, unauthorized, failed("Unauthorized")),
            (200, false, b"not json", Err(())),
            (500, false, b"boom", Err(())),
            (404, false, b"{}", Err(())),
        ];
        for (status, header, body, expected) in cases {
            let got = interpret(status, header, body).map_err(|_| ());
            assert_eq!(got, expected, "{status} {}", String::from_utf8_lossy(body));
        }
    }
}
