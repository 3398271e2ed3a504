//! The one mapping from a decision to API Gateway's answer.
//!
//! REST APIs (and HTTP APIs with `SIMPLE_RESPONSES=false`) get an IAM
//! policy. API Gateway caches the answer per token and reuses it for every
//! route, so the policy covers the whole API: one Allow of every permitted
//! route, and one Deny of what those patterns would reach beyond them.
//! HTTP APIs with simple responses get `{"isAuthorized", "context"}` for the
//! called route; their authorizer must cache per route (`$context.routeKey`
//! among the identity sources).
//!
//! A refused token is the `Unauthorized` error for REST (401). An HTTP API
//! gets `isAuthorized: false` or a Deny of the whole API (403): AWS documents
//! no `Unauthorized` error to 401 mapping for HTTP APIs, only that a function
//! error is a 500 (docs/design.md, "HTTP APIs").

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerIamPolicyResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use shared::iam::INVOKE_ACTION;
use shared::{AuthorizerContext, RouteTable};

use crate::Decision;
use crate::arn::MethodArn;
use crate::config::HttpAnswers;
use crate::event::{Outline, Payload};

/// The authorizer's successful answer to a REST API.
pub type Response = ApiGatewayCustomAuthorizerResponse<AuthorizerContext>;

/// A simple answer to an HTTP API.
pub type SimpleResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<HttpContext>;

/// An IAM policy answer to an HTTP API.
pub type IamResponse = ApiGatewayV2CustomAuthorizerIamPolicyResponse<HttpContext>;

/// The `principalId` of a policy that refuses a token: there is no verified principal.
pub const REFUSED_PRINCIPAL: &str = "unauthorized";

/// The context of an HTTP API answer: the caller, or nothing for a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HttpContext {
    /// A verified caller, read by the handler at `requestContext.authorizer.lambda`.
    Caller(AuthorizerContext),
    /// No caller (`{}`).
    None(NoContext),
}

impl Default for HttpContext {
    fn default() -> Self {
        Self::None(NoContext {})
    }
}

/// An empty context object, `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoContext {}

/// Whatever the authorizer answers, in the shape the calling API expects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// To a REST API: an IAM policy with the caller as context.
    Rest(Response),
    /// To an HTTP API with simple responses.
    HttpSimple(SimpleResponse),
    /// To an HTTP API with IAM answers.
    HttpIam(IamResponse),
}

/// The failure API Gateway turns into 401: the message must be exactly this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Unauthorized")]
pub struct Unauthorized;

impl From<Unauthorized> for Diagnostic {
    fn from(_: Unauthorized) -> Self {
        Diagnostic {
            error_type: "Unauthorized".into(),
            error_message: "Unauthorized".into(),
        }
    }
}

/// The answer for a verified token, in the shape its API expects.
pub fn answer(decision: Decision<'_>, routes: &RouteTable, http: HttpAnswers) -> Answer {
    match (decision.payload, http) {
        (Payload::Rest, _) => Answer::Rest(response(decision, routes)),
        (Payload::Http, HttpAnswers::Simple) => {
            let mut answer = SimpleResponse::default();
            answer.is_authorized = decision.allows_called_route();
            answer.context = HttpContext::Caller(AuthorizerContext::from_claims(decision.claims));
            Answer::HttpSimple(answer)
        }
        (Payload::Http, HttpAnswers::Iam) => {
            let Response {
                principal_id,
                policy_document,
                context,
                ..
            } = response(decision, routes);
            let mut answer = IamResponse::default();
            answer.principal_id = principal_id;
            answer.policy_document = policy_document;
            answer.context = HttpContext::Caller(context);
            Answer::HttpIam(answer)
        }
    }
}

/// The answer for a refused token or an unusable event (`event` is its
/// [`Outline`], if it has one): the `Unauthorized` error for REST,
/// `isAuthorized: false` or a Deny of the whole API for an HTTP API.
pub fn refusal(event: Option<&Outline<'_>>, http: HttpAnswers) -> Result<Answer, Unauthorized> {
    let Some(event) = event.filter(|e| e.payload == Payload::Http) else {
        return Err(Unauthorized);
    };
    match http {
        HttpAnswers::Simple => Ok(Answer::HttpSimple(SimpleResponse::default())),
        HttpAnswers::Iam => {
            // Without a usable route ARN there is no API to deny; the error
            // is the one answer left (API Gateway makes it a 500).
            let arn = event
                .arn
                .as_deref()
                .and_then(|arn| MethodArn::parse(arn).ok())
                .ok_or(Unauthorized)?;
            let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
            policy.version = Some("2012-10-17".to_string());
            policy.statement = vec![statement(
                IamPolicyEffect::Deny,
                vec![format!("{}/*", arn.stage_prefix())],
            )];
            let mut answer = IamResponse::default();
            answer.principal_id = Some(REFUSED_PRINCIPAL.to_string());
            answer.policy_document = policy;
            Ok(Answer::HttpIam(answer))
        }
    }
}

/// Builds the IAM policy answer for a verified token.
///
/// Every permitted route is allowed, with `{param}` written as `*`, and
/// whatever those `*` reach beyond the permitted routes (IAM's `*` also
/// matches `/`) is denied explicitly: deeper paths, more specific routes the
/// token may not call, the root. The plan is [`RouteTable::policy`]'s. A
/// token that may call no route gets a Deny of the called method.
pub fn response(decision: Decision<'_>, routes: &RouteTable) -> Response {
    let Decision {
        claims,
        method_arn,
        permitted,
        called_route,
        ..
    } = decision;
    let prefix = method_arn.stage_prefix();
    let arns = |patterns: &[&str]| -> Vec<String> {
        patterns
            .iter()
            .map(|pattern| {
                let mut arn = String::with_capacity(prefix.len() + 1 + pattern.len());
                arn.push_str(prefix);
                arn.push('/');
                arn.push_str(pattern);
                arn
            })
            .collect()
    };
    let plan = routes.policy(&permitted, called_route, method_arn.request());
    let mut statements = Vec::with_capacity(2);
    if plan.allow.is_empty() {
        statements.push(statement(
            IamPolicyEffect::Deny,
            vec![method_arn.full().to_string()],
        ));
    } else {
        statements.push(statement(IamPolicyEffect::Allow, arns(&plan.allow)));
        if !plan.deny.is_empty() {
            statements.push(statement(IamPolicyEffect::Deny, arns(&plan.deny)));
        }
    }

    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_string());
    policy.statement = statements;

    // The decision is consumed: the context takes the claims' strings.
    let context = AuthorizerContext::from_claims(claims);
    let mut response = Response::default();
    response.principal_id = Some(context.sub.clone());
    response.policy_document = policy;
    response.context = context;
    response
}

fn statement(effect: IamPolicyEffect, resource: Vec<String>) -> IamPolicyStatement {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec![INVOKE_ACTION.to_string()];
    statement.effect = effect;
    statement.resource = resource;
    statement
}
