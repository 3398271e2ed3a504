//! IAM policy evaluation as API Gateway applies an authorizer's policy:
//! an explicit `Deny` wins, then any `Allow`, otherwise the call is denied.
//!
//! The authorizer takes only [`INVOKE_ACTION`] from here: the route table
//! matches the patterns it writes with a matcher of its own (they never hold
//! `?`), which its tests check against [`wildcard_match`]. The local API
//! front and the tests use [`evaluate`] to replay returned policies exactly
//! as API Gateway's cache would.

use serde_json::Value;
use thiserror::Error;

/// The action an API Gateway authorizer policy grants.
pub const INVOKE_ACTION: &str = "execute-api:Invoke";

/// The outcome of evaluating a policy for one action and resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    /// An `Allow` statement matched and no `Deny` did.
    Allow,
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// No statement matched.
    ImplicitDeny,
}

/// Why a policy document is not one API Gateway would accept.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PolicyError {
    /// The document or a statement is not a JSON object.
    #[error("policy document is not an object with a Statement list")]
    Shape,
    /// `Effect` is missing or not `Allow`/`Deny`.
    #[error("statement Effect must be \"Allow\" or \"Deny\"")]
    Effect,
    /// `Action` or `Resource` is missing or not a string or a list of strings.
    #[error("statement {0} must be a string or a list of strings")]
    Field(&'static str),
}

/// Evaluates `policy` (an IAM policy document as JSON) for `action` on `resource`.
pub fn evaluate(policy: &Value, action: &str, resource: &str) -> Result<Evaluation, PolicyError> {
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.as_slice(),
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => return Err(PolicyError::Shape),
    };
    let mut allowed = false;
    for statement in statements {
        if !statement.is_object() {
            return Err(PolicyError::Shape);
        }
        let deny = match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow") => false,
            Some("Deny") => true,
            _ => return Err(PolicyError::Effect),
        };
        let matches_action = any_matches(statement.get("Action"), "Action", action)?;
        let matches_resource = any_matches(statement.get("Resource"), "Resource", resource)?;
        if matches_action && matches_resource {
            if deny {
                return Ok(Evaluation::ExplicitDeny);
            }
            allowed = true;
        }
    }
    Ok(if allowed {
        Evaluation::Allow
    } else {
        Evaluation::ImplicitDeny
    })
}

fn any_matches(
    field: Option<&Value>,
    name: &'static str,
    value: &str,
) -> Result<bool, PolicyError> {
    match field {
        Some(Value::String(pattern)) => Ok(wildcard_match(pattern, value)),
        Some(Value::Array(patterns)) => {
            let mut hit = false;
            for pattern in patterns {
                let pattern = pattern.as_str().ok_or(PolicyError::Field(name))?;
                hit |= wildcard_match(pattern, value);
            }
            Ok(hit)
        }
        _ => Err(PolicyError::Field(name)),
    }
}

/// IAM wildcard matching: `*` matches any run of characters (also across
/// `/`), `?` exactly one character; everything else is compared exactly.
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut pi, mut vi) = (0, 0);
    // Where the last `*` was, and the value position it currently absorbs up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == v[vi])) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, vi));
            pi += 1;
        } else if let Some((star, absorbed)) = backtrack {
            pi = star + 1;
            vi = absorbed + 1;
            backtrack = Some((star, absorbed + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_follow_iam_rules() {
        let cases = [
            ("a/GET/book", "a/GET/book", true),
            ("a/GET/book", "a/GET/books", false),
            ("a/GET/book/*", "a/GET/book/1", true),
            ("a/GET/book/*", "a/GET/book/1/2", true),
            ("a/GET/book/*", "a/GET/book", false),
            ("a/*/book", "a/POST/book", true),
            ("a/GET/b??k", "a/GET/book", true),
            ("a/GET/b?k", "a/GET/book", false),
            ("*", "", true),
            ("", "x", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
        ];
        for (pattern, value, expected) in cases {
            assert_eq!(
                wildcard_match(pattern, value),
                expected,
                "{pattern} ~ {value}"
            );
        }
    }

    #[test]
    fn explicit_deny_wins_over_allow() {
        let policy = json!({"Version":"2012-10-17","Statement":[
            {"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:x/*"]},
            {"Action":"execute-api:Invoke","Effect":"Deny","Resource":"arn:x/GET/secret"}]});
        assert_eq!(
            evaluate(&policy, INVOKE_ACTION, "arn:x/GET/book"),
            Ok(Evaluation::Allow)
        );
        assert_eq!(
            evaluate(&policy, INVOKE_ACTION, "arn:x/GET/secret"),
            Ok(Evaluation::ExplicitDeny)
        );
        assert_eq!(
            evaluate(&policy, INVOKE_ACTION, "arn:y/GET/book"),
            Ok(Evaluation::ImplicitDeny)
        );
        assert_eq!(
            evaluate(&policy, "other:Action", "arn:x/GET/book"),
            Ok(Evaluation::ImplicitDeny)
        );
    }

    #[test]
    fn malformed_policies_are_errors() {
        let cases = [
            (json!({}), PolicyError::Shape),
            (json!({"Statement":[1]}), PolicyError::Shape),
            (
                json!({"Statement":[{"Effect":"Maybe","Action":"a","Resource":"r"}]}),
                PolicyError::Effect,
            ),
            (
                json!({"Statement":[{"Effect":"Allow","Resource":"r"}]}),
                PolicyError::Field("Action"),
            ),
            (
                json!({"Statement":[{"Effect":"Allow","Action":"a","Resource":[1]}]}),
                PolicyError::Field("Resource"),
            ),
        ];
        for (policy, error) in cases {
            assert_eq!(evaluate(&policy, "a", "r"), Err(error), "{policy}");
        }
    }
}
