//! The one mapping from a decision to API Gateway's answer.
//!
//! API Gateway caches the answer per token and reuses it for every route,
//! so the policy covers the whole API: one Allow of every permitted route,
//! and one Deny of what those patterns would reach beyond them.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_runtime::Diagnostic;
use shared::iam::INVOKE_ACTION;
use shared::{AuthorizerContext, RouteTable};

use crate::Decision;

/// The authorizer's successful answer.
pub type Response = ApiGatewayCustomAuthorizerResponse<AuthorizerContext>;

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

/// Builds the policy for a verified token.
///
/// Every permitted route is allowed, with `{param}` written as `*`, and
/// whatever those `*` reach beyond the permitted routes (IAM's `*` also
/// matches `/`) is denied explicitly: deeper paths, more specific routes the
/// token may not call, the root. The plan is [`RouteTable::policy`]'s. A
/// token that may call no route gets a Deny of the called method.
pub fn response(decision: Decision<'_>, routes: &RouteTable) -> Response {
    let Decision {
        claims,
        pool,
        method_arn,
        permitted,
        called_route,
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
    let context = AuthorizerContext::from_claims(claims, &pool.user_pool_id);
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
