//! Calling the trigger: the pool's configuration (version, and the
//! function behind [`PreTokenTrigger`]), Cognito's 5-second limit, and how
//! a failure reads to the client. Cognito "invokes Lambda functions
//! synchronously … must respond within 5 seconds"; a function error, a
//! timeout or an unreadable answer means no tokens.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

use crate::cognito::pre_token::answer::{AnswerError, Overrides};
use crate::cognito::pre_token::event::TokenEvent;
use crate::template::pre_token::LambdaVersion;

/// Cognito's limit for one trigger call; it cannot be changed.
pub const COGNITO_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the function gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TriggerFailure {
    /// The function returned an error.
    #[error("{error_type}: {message}")]
    Function {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        message: String,
    },
    /// The function could not be reached.
    #[error("{0}")]
    Unreachable(String),
}

/// The boxed future [`PreTokenTrigger::invoke`] answers.
pub type Invocation<'a> = Pin<Box<dyn Future<Output = Result<Value, TriggerFailure>> + Send + 'a>>;

/// Invokes the pre-token-generation function with an event. The stack
/// wires one that calls the function under `cargo lambda watch`; tests use
/// fakes.
pub trait PreTokenTrigger: Send + Sync {
    /// Sends `event` and waits for the function's answer.
    fn invoke<'a>(&'a self, event: &'a Value) -> Invocation<'a>;
}

/// Why no tokens were issued, named after the exception Cognito's API
/// raises for it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TriggerError {
    /// `UserLambdaValidationException`: the function failed.
    #[error("PreTokenGeneration failed with error {0}.")]
    Failed(String),
    /// The function did not answer in time (Cognito retries; see docs/local-fidelity.md).
    #[error("PreTokenGeneration failed with error the function did not answer within {0:?}.")]
    TimedOut(Duration),
    /// `UnexpectedLambdaException`: the function could not be invoked.
    #[error("PreTokenGeneration invocation failed: {0}")]
    Unreachable(String),
    /// `InvalidLambdaResponseException`: the answer has the wrong shape.
    #[error("Invalid PreTokenGeneration Lambda response: {0}")]
    InvalidAnswer(#[from] AnswerError),
}

impl TriggerError {
    /// The exception of Cognito's API for this failure, for logs.
    pub fn exception(&self) -> &'static str {
        match self {
            Self::Failed(_) => "UserLambdaValidationException",
            Self::TimedOut(_) | Self::Unreachable(_) => "UnexpectedLambdaException",
            Self::InvalidAnswer(_) => "InvalidLambdaResponseException",
        }
    }
}

/// The pool's pre-token-generation trigger.
#[derive(Clone)]
pub struct PreToken {
    /// The event version, which also says whether M2M tokens go through it.
    pub version: LambdaVersion,
    /// The pool's region, for the event.
    pub region: String,
    /// The pool's id, for the event.
    pub user_pool_id: String,
    /// How long one call may take ([`COGNITO_TIMEOUT`] but in tests).
    pub timeout: Duration,
    /// The function.
    pub trigger: Arc<dyn PreTokenTrigger>,
}

impl std::fmt::Debug for PreToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreToken")
            .field("version", &self.version)
            .field("user_pool_id", &self.user_pool_id)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PreToken {
    /// Calls the function with `event` (built with this pool's version,
    /// region and id) and reads its answer.
    pub async fn run(&self, event: &TokenEvent<'_>) -> Result<Overrides, TriggerError> {
        let json = event.to_json();
        let source = event.source.as_str();
        let answer = match tokio::time::timeout(self.timeout, self.trigger.invoke(&json)).await {
            Err(_) => Err(TriggerError::TimedOut(self.timeout)),
            Ok(Err(TriggerFailure::Function { message, .. })) => Err(TriggerError::Failed(message)),
            Ok(Err(TriggerFailure::Unreachable(message))) => {
                Err(TriggerError::Unreachable(message))
            }
            Ok(Ok(answer)) => Overrides::from_answer(&answer).map_err(TriggerError::from),
        };
        match &answer {
            Ok(overrides) => tracing::info!(
                source,
                changed = !overrides.is_empty(),
                "pre-token trigger answered"
            ),
            Err(error) => {
                tracing::warn!(source, exception = error.exception(), %error, "pre-token trigger failed")
            }
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What a fake function answers to an event; `None` never answers.
    type FakeAnswer = Option<Result<Value, TriggerFailure>>;

    /// A trigger answering with a function of the event.
    struct FakeTrigger(Box<dyn Fn(&Value) -> FakeAnswer + Send + Sync>);

    impl PreTokenTrigger for FakeTrigger {
        fn invoke<'a>(&'a self, event: &'a Value) -> Invocation<'a> {
            let answer = (self.0)(event);
            Box::pin(async move {
                match answer {
                    Some(answer) => answer,
                    None => std::future::pending().await,
                }
            })
        }
    }

    fn pre_token(
        version: LambdaVersion,
        answer: impl Fn(&Value) -> FakeAnswer + Send + Sync + 'static,
    ) -> PreToken {
        PreToken {
            version,
            region: "us-east-1".into(),
            user_pool_id: "us-east-1_pool".into(),
            // Only a trigger that never answers reaches it.
            timeout: Duration::from_millis(20),
            trigger: Arc::new(FakeTrigger(Box::new(answer))),
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn failures_become_cognitos_errors() {
        let function_error = TriggerFailure::Function {
            error_type: "PreTokenGeneration.WrongTrigger".into(),
            message: "not a token event".into(),
        };
        // (case, the function's answer, the outcome: changed?, or the error and its exception)
        type Case<'a> = (&'a str, FakeAnswer, Result<bool, (&'a str, &'a str)>);
        let cases: [Case; 5] = [
            ("unchanged", Some(Ok(json!({"response": {}}))), Ok(false)),
            (
                "a scope added",
                Some(Ok(json!({"response": {"claimsAndScopeOverrideDetails": {
                    "accessTokenGeneration": {"scopesToAdd": ["API/book.post"]}}}}))),
                Ok(true),
            ),
            (
                "function error",
                Some(Err(function_error)),
                Err((
                    "PreTokenGeneration failed with error not a token event.",
                    "UserLambdaValidationException",
                )),
            ),
            (
                "never answers",
                None,
                Err((
                    "PreTokenGeneration failed with error the function did not answer within 20ms.",
                    "UnexpectedLambdaException",
                )),
            ),
            (
                "answer of the wrong shape",
                Some(Ok(json!([]))),
                Err((
                    "Invalid PreTokenGeneration Lambda response: the answer must be an object",
                    "InvalidLambdaResponseException",
                )),
            ),
        ];
        for (case, answer, want) in cases {
            let trigger = pre_token(LambdaVersion::V2_0, move |_| answer.clone());
            let event = TokenEvent {
                version: trigger.version,
                source: crate::cognito::pre_token::TriggerSource::ClientCredentials,
                region: &trigger.region,
                user_pool_id: &trigger.user_pool_id,
                client_id: "c",
                user: None,
                scopes: &[],
            };
            let got = trigger.run(&event).await;
            match (got, want) {
                (Ok(overrides), Ok(changed)) => {
                    assert_eq!(!overrides.is_empty(), changed, "{case}")
                }
                (Err(error), Err((message, exception))) => {
                    assert_eq!(error.to_string(), message, "{case}");
                    assert_eq!(error.exception(), exception, "{case}");
                }
                (got, want) => panic!("{case}: {got:?}, want {want:?}"),
            }
        }
    }
}
