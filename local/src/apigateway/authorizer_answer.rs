//! What API Gateway accepts from a Lambda authorizer: a `principalId`, an
//! IAM `policyDocument` and an optional `context` of scalars. Anything else
//! is an authorizer configuration error (HTTP 500 for the caller).

use serde_json::{Map, Value};
use shared::iam::{self, Evaluation, INVOKE_ACTION, PolicyError};
use thiserror::Error;

/// Why an authorizer's answer is not one API Gateway would use.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AnswerError {
    /// The answer is not a JSON object.
    #[error("the answer is not a JSON object")]
    NotObject,
    /// `principalId` is missing, empty or not a string.
    #[error("principalId is missing or not a non-empty string")]
    PrincipalId,
    /// `policyDocument` is missing or malformed.
    #[error("policyDocument: {0}")]
    Policy(#[from] PolicyError),
    /// `context` is not an object, or a value in it is not a string, number or boolean.
    #[error("context value {0:?} is not a string, number or boolean")]
    Context(String),
}

/// A valid authorizer answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizerAnswer {
    /// The caller's principal.
    pub principal_id: String,
    /// The IAM policy.
    pub policy: Value,
    /// Context values, all scalars.
    pub context: Map<String, Value>,
}

impl AuthorizerAnswer {
    /// Validates an answer as API Gateway does.
    pub fn parse(answer: &Value) -> Result<Self, AnswerError> {
        let object = answer.as_object().ok_or(AnswerError::NotObject)?;
        let principal_id = match object.get("principalId") {
            Some(Value::String(p)) if !p.is_empty() => p.clone(),
            _ => return Err(AnswerError::PrincipalId),
        };
        let policy = object.get("policyDocument").cloned().unwrap_or(Value::Null);
        // Evaluating against a resource no real ARN equals checks each
        // statement's shape. A wildcard Deny can end the walk early; what it
        // skipped is still caught when the policy is evaluated per request.
        iam::evaluate(&policy, INVOKE_ACTION, "\u{0}")?;
        let context = match object.get("context") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => {
                if let Some((key, _)) = map.iter().find(|(_, v)| {
                    !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
                }) {
                    return Err(AnswerError::Context(key.clone()));
                }
                map.clone()
            }
            Some(_) => return Err(AnswerError::Context("context".into())),
        };
        Ok(Self {
            principal_id,
            policy,
            context,
        })
    }

    /// The policy's decision for a method ARN.
    pub fn evaluate(&self, method_arn: &str) -> Result<Evaluation, PolicyError> {
        iam::evaluate(&self.policy, INVOKE_ACTION, method_arn)
    }

    /// `requestContext.authorizer` for the backend: `principalId` and the
    /// context values, all turned into strings as API Gateway does.
    pub fn request_context(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in &self.context {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(key.clone(), Value::String(text));
        }
        out.insert(
            "principalId".into(),
            Value::String(self.principal_id.clone()),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn allow(resource: &str) -> Value {
        json!({"Version":"2012-10-17","Statement":[{"Action":INVOKE_ACTION,"Effect":"Allow","Resource":resource}]})
    }

    #[test]
    fn answers_are_checked_like_api_gateway() {
        let cases = [
            (json!([]), Err(AnswerError::NotObject)),
            (
                json!({"policyDocument": allow("*")}),
                Err(AnswerError::PrincipalId),
            ),
            (
                json!({"principalId": "", "policyDocument": allow("*")}),
                Err(AnswerError::PrincipalId),
            ),
            (
                json!({"principalId": 7, "policyDocument": allow("*")}),
                Err(AnswerError::PrincipalId),
            ),
            (
                json!({"principalId": "p"}),
                Err(AnswerError::Policy(PolicyError::Shape)),
            ),
            (
                json!({"principalId": "p", "policyDocument": {"Statement": [{"Effect": "Allow"}]}}),
                Err(AnswerError::Policy(PolicyError::Field("Action"))),
            ),
            (
                json!({"principalId": "p", "policyDocument": allow("*"), "context": {"a": {"b": 1}}}),
                Err(AnswerError::Context("a".into())),
            ),
            (
                json!({"principalId": "p", "policyDocument": allow("*"), "context": {"a": [1]}}),
                Err(AnswerError::Context("a".into())),
            ),
            (
                json!({"principalId": "p", "policyDocument": allow("*"), "context": {"a": null}}),
                Err(AnswerError::Context("a".into())),
            ),
            (
                json!({"principalId": "p", "policyDocument": allow("*"), "context": "x"}),
                Err(AnswerError::Context("context".into())),
            ),
            (
                json!({"principalId": "p", "policyDocument": allow("*"), "context": {"s": "x", "n": 1, "b": true}}),
                Ok(()),
            ),
            (
                json!({"principalId": "p", "policyDocument": allow("*")}),
                Ok(()),
            ),
        ];
        for (answer, expected) in cases {
            assert_eq!(
                AuthorizerAnswer::parse(&answer).map(|_| ()),
                expected,
                "{answer}"
            );
        }
    }

    #[test]
    fn context_reaches_the_backend_as_strings() {
        let answer = AuthorizerAnswer::parse(&json!({
            "principalId": "client-1",
            "policyDocument": allow("arn:x/Prod/GET/book"),
            "context": {"sub": "client-1", "n": 3, "b": false}
        }))
        .unwrap();
        assert_eq!(
            Value::Object(answer.request_context()),
            json!({"principalId": "client-1", "sub": "client-1", "n": "3", "b": "false"})
        );
        assert_eq!(
            answer.evaluate("arn:x/Prod/GET/book"),
            Ok(Evaluation::Allow)
        );
        assert_eq!(
            answer.evaluate("arn:x/Prod/GET/user"),
            Ok(Evaluation::ImplicitDeny)
        );
    }
}
