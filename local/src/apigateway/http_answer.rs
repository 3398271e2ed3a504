//! What an HTTP API accepts from a payload 2.0 Lambda authorizer: with
//! `EnableSimpleResponses`, `{"isAuthorized": bool, "context": {...}}`
//! (context values of any JSON type); otherwise an IAM policy answer as on
//! REST, evaluated against the route ARN. An answer in the other format, or
//! malformed, is invalid: 500 for the caller.

use std::collections::HashMap;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerSimpleResponse;
use serde_json::{Map, Value};
use shared::iam::Evaluation;
use thiserror::Error;

use crate::apigateway::authorizer_answer::{AnswerError, AuthorizerAnswer};

/// Why an answer is not one the HTTP API would use.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HttpAnswerError {
    /// Not `{"isAuthorized": bool, "context": {...}}`.
    #[error("not a simple answer: {0}")]
    Simple(String),
    /// Not a valid IAM policy answer.
    #[error(transparent)]
    Iam(#[from] AnswerError),
}

/// A valid answer of an HTTP API's Lambda authorizer.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpAuthorizerAnswer {
    /// A simple answer: the same for every route its cache key reaches.
    Simple {
        /// `isAuthorized`.
        authorized: bool,
        /// `context`, passed to the backend as it is.
        context: Map<String, Value>,
    },
    /// An IAM policy answer.
    Iam(AuthorizerAnswer),
}

impl HttpAuthorizerAnswer {
    /// Validates `answer` in the format the authorizer is configured for.
    pub fn parse(answer: &Value, simple_responses: bool) -> Result<Self, HttpAnswerError> {
        if !simple_responses {
            return Ok(Self::Iam(AuthorizerAnswer::parse(answer)?));
        }
        let simple: ApiGatewayV2CustomAuthorizerSimpleResponse<Option<Map<String, Value>>> =
            serde_json::from_value(answer.clone())
                .map_err(|e| HttpAnswerError::Simple(e.to_string()))?;
        Ok(Self::Simple {
            authorized: simple.is_authorized,
            context: simple.context.unwrap_or_default(),
        })
    }

    /// Whether the request on `route_arn` may go on; an IAM policy that
    /// cannot be evaluated is invalid.
    pub fn allows(&self, route_arn: &str) -> Result<bool, HttpAnswerError> {
        match self {
            Self::Simple { authorized, .. } => Ok(*authorized),
            Self::Iam(answer) => answer
                .evaluate(route_arn)
                .map(|e| e == Evaluation::Allow)
                .map_err(|e| HttpAnswerError::Iam(AnswerError::Policy(e))),
        }
    }

    /// `requestContext.authorizer.lambda` for the backend: the answer's
    /// context as it is (an IAM answer's context values are scalars).
    pub fn lambda_context(&self) -> HashMap<String, Value> {
        let context = match self {
            Self::Simple { context, .. } => context,
            Self::Iam(answer) => &answer.context,
        };
        context
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::iam::INVOKE_ACTION;

    const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:api1/Prod/GET/book";

    #[test]
    fn answers_are_checked_in_the_configured_format() {
        let policy = json!({"principalId": "p", "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Action": INVOKE_ACTION, "Effect": "Allow", "Resource": "arn:aws:execute-api:us-east-1:000000000000:api1/Prod/*"}]}});
        let cases = [
            (json!({"isAuthorized": true}), true, Ok(true)),
            (
                json!({"isAuthorized": false, "context": {"a": [1]}}),
                true,
                Ok(false),
            ),
            (json!({"isAuthorized": "yes"}), true, Err(())),
            (json!({"context": {}}), true, Err(())),
            (json!({"isAuthorized": true, "context": 3}), true, Err(())),
            // The other format is invalid: EnableSimpleResponses must agree.
            (policy.clone(), true, Err(())),
            (json!({"isAuthorized": true}), false, Err(())),
            (policy, false, Ok(true)),
        ];
        for (answer, simple, expected) in cases {
            let got = HttpAuthorizerAnswer::parse(&answer, simple)
                .and_then(|a| a.allows(ARN))
                .map_err(|_| ());
            assert_eq!(got, expected, "{answer} simple={simple}");
        }
    }

    #[test]
    fn the_backend_gets_the_context_as_it_is() {
        let answer = HttpAuthorizerAnswer::parse(
            &json!({"isAuthorized": true, "context": {"sub": "c1", "scopes": ["a", "b"], "n": 3}}),
            true,
        )
        .unwrap();
        let context = answer.lambda_context();
        assert_eq!(context["scopes"], json!(["a", "b"]));
        assert_eq!(context["n"], json!(3));
        assert_eq!(context["sub"], json!("c1"));
    }
}
