//! Why an event got no answer. Cognito then issues no token (the client
//! sees an error), so each variant names what was wrong with the event.

use lambda_runtime::Diagnostic;
use thiserror::Error;

/// An event the trigger cannot answer.
#[derive(Debug, Error)]
pub enum TriggerError {
    /// The payload is not a JSON object.
    #[error("the event is not a JSON object")]
    NotAnObject,
    /// A field of the V2_0/V3_0 event is missing or has the wrong type.
    #[error("the event is not a V2_0/V3_0 pre-token-generation event: {0}")]
    Shape(#[source] serde_json::Error),
    /// The function was invoked by another Cognito trigger (e.g. `PreSignUp_SignUp`).
    #[error(
        "triggerSource {0:?} is not a token generation; is the function wired to another trigger?"
    )]
    NotTokenGeneration(String),
}

impl TriggerError {
    /// The error type Lambda reports (and Cognito logs).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotAnObject | Self::Shape(_) => "PreTokenGeneration.MalformedEvent",
            Self::NotTokenGeneration(_) => "PreTokenGeneration.WrongTrigger",
        }
    }
}

impl From<TriggerError> for Diagnostic {
    fn from(error: TriggerError) -> Self {
        Diagnostic {
            error_type: error.kind().into(),
            error_message: error.to_string(),
        }
    }
}
