//! Who is calling: read from the authorizer context API Gateway attaches.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::Serialize;
use shared::claims::ACCESS_TOKEN_USE;
use shared::{AuthorizerContext, Scopes};

/// The caller as shown in every successful answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The app client the token was issued to.
    pub client_id: String,
    /// The token's subject: the client id for M2M tokens, the user's id otherwise.
    pub sub: String,
    /// The token's scopes, in token order.
    pub scopes: Vec<String>,
    /// The signed-in user's name; absent for machine-to-machine tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl From<&AuthorizerContext> for Caller {
    fn from(context: &AuthorizerContext) -> Self {
        Self {
            client_id: context.client_id.clone(),
            sub: context.sub.clone(),
            scopes: Scopes::new(&context.scope)
                .iter()
                .map(str::to_owned)
                .collect(),
            username: context.username.clone(),
        }
    }
}

/// The verified caller of a REST proxy request (`requestContext.authorizer`)
/// or an HTTP API payload 2.0 request (`requestContext.authorizer.lambda`),
/// or `None` when the request has no usable authorizer context (no
/// authorizer ran, or it is incomplete).
pub fn caller_context(request: &Request) -> Option<AuthorizerContext> {
    let fields = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => &context.authorizer.fields,
        RequestContext::ApiGatewayV2(context) => &context.authorizer.as_ref()?.fields,
        // Other event sources never pass through the authorizer.
        _ => return None,
    };
    match AuthorizerContext::from_authorizer_fields(fields) {
        // The authorizer only accepts access tokens; anything else did not come from it.
        Ok(context) if context.token_use == ACCESS_TOKEN_USE => Some(context),
        Ok(_) => {
            tracing::warn!("authorizer context is not for an access token");
            None
        }
        Err(error) => {
            tracing::warn!(%error, "no usable authorizer context");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_splits_scopes_and_keeps_username() {
        let context = AuthorizerContext {
            sub: "u-1".into(),
            client_id: "web".into(),
            scope: "openid  awesomeapi-resource-server/awesomeapi.read".into(),
            token_use: "access".into(),
            username: Some("alice".into()),
            groups: None,
        };
        let caller = Caller::from(&context);
        assert_eq!(
            caller.scopes,
            ["openid", "awesomeapi-resource-server/awesomeapi.read"]
        );
        assert_eq!(caller.username.as_deref(), Some("alice"));
    }

    #[test]
    fn m2m_caller_serializes_without_username() {
        let context = AuthorizerContext {
            sub: "c".into(),
            client_id: "c".into(),
            token_use: "access".into(),
            ..Default::default()
        };
        let value = serde_json::to_value(Caller::from(&context)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"client_id": "c", "sub": "c", "scopes": []})
        );
    }
}
