//! Method ARNs: parsing, route lookup, and the policy planned for them,
//! which must allow the call exactly when its route is permitted.
#![no_main]

use std::sync::OnceLock;

use authorizer::arn::MethodArn;
use libfuzzer_sys::fuzz_target;
use shared::iam::{Evaluation, INVOKE_ACTION, evaluate};
use shared::{RouteTable, Scopes};

fn table() -> &'static RouteTable {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    TABLE.get_or_init(|| fuzz::config().routes)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(arn) = MethodArn::parse(text) else {
        return;
    };
    let table = table();
    let called = table.find_path(arn.method(), arn.path());
    for scope in [
        "API/book.get",
        "API/files API/user.get",
        "API/book.delete API/admin",
    ] {
        let permitted = table.permitted(Scopes::new(scope), &[]);
        let plan = table.policy(&permitted, called, arn.request());
        let arns = |patterns: &[&str]| -> Vec<String> {
            patterns
                .iter()
                .map(|p| format!("{}/{p}", arn.stage_prefix()))
                .collect()
        };
        let policy = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Action": INVOKE_ACTION, "Resource": arns(&plan.allow)},
            {"Effect": "Deny", "Action": INVOKE_ACTION, "Resource": arns(&plan.deny)},
        ]});
        let allowed = evaluate(&policy, INVOKE_ACTION, arn.full()) == Ok(Evaluation::Allow);
        let permitted_call = called.is_some_and(|c| permitted.contains(c));
        assert!(
            !allowed || permitted_call,
            "{text}: allowed without a permitted route"
        );
        if !arn.request().contains(['*', '?']) {
            assert_eq!(allowed, permitted_call, "{text}: scope {scope}");
        }
    }
});
