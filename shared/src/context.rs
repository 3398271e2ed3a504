//! The authorizer context: what the authorizer tells the handler about the caller.
//!
//! API Gateway accepts only scalar context values and hands them to the
//! backend as strings in `requestContext.authorizer`, next to `principalId`;
//! this type is the one encoding both sides use.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::AccessTokenClaims;

/// Caller identity passed from the authorizer to the handler.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizerContext {
    /// The token's subject (also the policy's `principalId`).
    pub sub: String,
    /// The app client the token was issued to.
    pub client_id: String,
    /// The token's scopes, space-separated as in the token.
    pub scope: String,
    /// Always `access`: only access tokens are accepted.
    pub token_use: String,
    /// The token's exact `iss`: one of the issuers the authorizer trusts.
    pub iss: String,
    /// The user pool that issued the token (the tenant, when each tenant
    /// has its own pool); replicas of a pool share its id.
    pub user_pool_id: String,
    /// The user name, for user tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user's Cognito groups, comma-separated, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<String>,
}

/// Why an authorizer context could not be read back.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ContextError {
    /// A required key is missing, empty or not a scalar.
    #[error("authorizer context lacks {0}")]
    Missing(&'static str),
}

impl AuthorizerContext {
    /// The context for a verified token's claims, issued by `user_pool_id`;
    /// takes the claims so the hot path moves their strings instead of
    /// copying them.
    pub fn from_claims(claims: AccessTokenClaims, user_pool_id: &str) -> Self {
        Self {
            sub: claims.sub.unwrap_or_default(),
            client_id: claims.client_id.unwrap_or_default(),
            scope: claims.scope.unwrap_or_default(),
            token_use: claims.token_use.unwrap_or_default(),
            iss: claims.iss.unwrap_or_default(),
            user_pool_id: user_pool_id.to_string(),
            username: claims.username,
            groups: claims.groups.map(|g| g.join(",")),
        }
    }

    /// Reads the context back from `requestContext.authorizer` of a REST
    /// proxy event. Values may arrive as strings (API Gateway) or as their
    /// original JSON scalars (local tools).
    pub fn from_authorizer_fields(fields: &HashMap<String, Value>) -> Result<Self, ContextError> {
        let text = |key: &str| -> Option<String> {
            match fields.get(key)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            }
        };
        let required = |key: &'static str| {
            text(key)
                .filter(|v| !v.is_empty())
                .ok_or(ContextError::Missing(key))
        };
        Ok(Self {
            sub: required("sub")?,
            client_id: required("client_id")?,
            token_use: required("token_use")?,
            iss: required("iss")?,
            user_pool_id: required("user_pool_id")?,
            scope: text("scope").unwrap_or_default(),
            username: text("username").filter(|v| !v.is_empty()),
            groups: text("groups").filter(|v| !v.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> HashMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn serializes_only_scalars_and_reads_back() {
        let claims = AccessTokenClaims {
            sub: Some("u-1".into()),
            client_id: Some("c".into()),
            scope: Some("openid API/book.get".into()),
            token_use: Some("access".into()),
            iss: Some("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_P".into()),
            username: Some("alice".into()),
            groups: Some(vec!["a".into(), "b".into()]),
            ..Default::default()
        };
        let context = AuthorizerContext::from_claims(claims, "us-east-1_P");
        assert_eq!(context.user_pool_id, "us-east-1_P");
        assert_eq!(
            context.iss,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_P"
        );
        let value = serde_json::to_value(&context).unwrap();
        for (key, v) in value.as_object().unwrap() {
            assert!(v.is_string(), "{key} is not a scalar string");
        }
        let mut map = fields(value);
        map.insert("principalId".into(), json!("u-1"));
        assert_eq!(AuthorizerContext::from_authorizer_fields(&map), Ok(context));
    }

    #[test]
    fn m2m_context_has_no_username_key() {
        let claims = AccessTokenClaims {
            sub: Some("c".into()),
            client_id: Some("c".into()),
            token_use: Some("access".into()),
            ..Default::default()
        };
        let value = serde_json::to_value(AuthorizerContext::from_claims(claims, "p")).unwrap();
        assert!(value.get("username").is_none());
        assert!(value.get("groups").is_none());
    }

    #[test]
    fn missing_identity_is_an_error() {
        let cases = [
            (json!({}), "sub"),
            (json!({"sub": "s"}), "client_id"),
            (json!({"sub": "s", "client_id": ""}), "client_id"),
            (
                json!({"sub": "s", "client_id": "c", "token_use": {"x": 1}}),
                "token_use",
            ),
            (
                json!({"sub": "s", "client_id": "c", "token_use": "access"}),
                "iss",
            ),
            (
                json!({"sub": "s", "client_id": "c", "token_use": "access", "iss": "i"}),
                "user_pool_id",
            ),
        ];
        for (value, key) in cases {
            assert_eq!(
                AuthorizerContext::from_authorizer_fields(&fields(value)),
                Err(ContextError::Missing(key))
            );
        }
    }
}
