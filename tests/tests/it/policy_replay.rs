//! The returned policy replayed the way API Gateway's cache does: one
//! answer per token, evaluated for every route of the API.

use integration_tests::fixtures::{Fixture, M2M_CLIENT, method_arn, user_claims};
use serde_json::Value;
use shared::iam::{Evaluation, INVOKE_ACTION, evaluate};

/// The seeds' scopes, one bit each in the subsets below.
const SCOPES: [&str; 7] = [
    "awesomeapi-resource-server/awesomeapi.read",
    "API/book.get",
    "API/book.post",
    "API/book.delete",
    "API/admin",
    "API/user.get",
    "API/user.post",
];

/// Concrete requests for every configured seed route, with the scopes each needs.
const REQUESTS: [(&str, &str, &[&str]); 7] = [
    (
        "GET",
        "/awesomeapi",
        &["awesomeapi-resource-server/awesomeapi.read"],
    ),
    ("GET", "/book", &["API/book.get"]),
    ("POST", "/book", &["API/book.post"]),
    ("GET", "/book/42", &["API/book.get"]),
    ("DELETE", "/book/42", &["API/book.delete", "API/admin"]),
    ("GET", "/user", &["API/user.get"]),
    ("POST", "/user", &["API/user.post"]),
];

/// Requests no route serves: nothing may allow them, also where a `*`
/// written for `{id}` would match across `/` in IAM.
const UNCONFIGURED: [(&str, &str); 8] = [
    ("PUT", "/book"),
    ("DELETE", "/book"),
    ("GET", "/admin"),
    ("POST", "/book/42"),
    ("GET", "/"),
    ("GET", "/book/42/pages"),
    ("DELETE", "/book/42/x/y"),
    ("GET", "/book/"),
];

fn allowed(policy: &Value, method: &str, path: &str) -> bool {
    let evaluation = evaluate(
        &policy["policyDocument"],
        INVOKE_ACTION,
        &method_arn(method, path),
    )
    .unwrap();
    evaluation == Evaluation::Allow
}

#[test]
fn one_cached_policy_is_right_for_every_route_for_every_scope_combination() {
    let fx = Fixture::seeds();
    for subset in 0u32..(1 << SCOPES.len()) {
        let held: Vec<&str> = (0..SCOPES.len())
            .filter(|i| subset & (1 << i) != 0)
            .map(|i| SCOPES[i])
            .collect();
        let token = fx.m2m_token(&held.join(" "));
        for (called_method, called_path, _) in REQUESTS {
            let policy = fx.decide(&token, called_method, called_path).unwrap();
            for (method, path, needs) in REQUESTS {
                let expected = needs.iter().all(|s| held.contains(s));
                assert_eq!(
                    allowed(&policy, method, path),
                    expected,
                    "scopes {held:?}, cached from {called_method} {called_path}, replayed on {method} {path}"
                );
            }
            for (method, path) in UNCONFIGURED {
                assert!(
                    !allowed(&policy, method, path),
                    "{held:?}: {method} {path} must not be allowed"
                );
            }
        }
    }
}

#[test]
fn look_alike_scopes_allow_nothing_and_deny_the_called_method() {
    let fx = Fixture::seeds();
    let token = fx.m2m_token("API/book.gets api/book.get API/book.ge awesomeapi.read");
    let policy = fx.decide(&token, "GET", "/book").unwrap();
    let statements = policy["policyDocument"]["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Effect"], "Deny");
    assert_eq!(
        statements[0]["Resource"],
        serde_json::json!([method_arn("GET", "/book")])
    );
    for (method, path, _) in REQUESTS {
        assert!(!allowed(&policy, method, path), "{method} {path}");
    }
}

#[test]
fn the_answer_has_api_gateways_shape() {
    let fx = Fixture::seeds();
    let token = fx.m2m_token("API/book.get awesomeapi-resource-server/awesomeapi.read");
    let answer = fx.decide(&token, "GET", "/book").unwrap();
    assert_eq!(answer["principalId"], M2M_CLIENT);
    let document = &answer["policyDocument"];
    assert_eq!(document["Version"], "2012-10-17");
    let statements = document["Statement"].as_array().unwrap();
    assert_eq!(
        statements.len(),
        2,
        "one Allow and one Deny statement: {document}"
    );
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(statements[1]["Effect"], "Deny");
    assert_eq!(
        statements[1]["Resource"],
        serde_json::json!([
            method_arn("*", "/*/"),
            method_arn("*", "//*"),
            method_arn("GET", "/book/*/*"),
        ]),
        "deeper paths than /book/{{id}} and empty segments are denied"
    );
    assert_eq!(
        statements[0]["Action"],
        serde_json::json!(["execute-api:Invoke"])
    );
    assert_eq!(
        statements[0]["Resource"],
        serde_json::json!([
            method_arn("GET", "/awesomeapi"),
            method_arn("GET", "/book"),
            method_arn("GET", "/book/*"),
        ])
    );
    let context = answer["context"].as_object().unwrap();
    for (key, value) in context {
        assert!(
            value.is_string() || value.is_number() || value.is_boolean(),
            "{key} is not a scalar"
        );
    }
    assert_eq!(context["client_id"], M2M_CLIENT);
    assert_eq!(context["sub"], M2M_CLIENT);
    assert_eq!(context["token_use"], "access");
    assert_eq!(
        context["scope"],
        "API/book.get awesomeapi-resource-server/awesomeapi.read"
    );
    assert!(
        !context.contains_key("username"),
        "M2M tokens have no username"
    );
}

#[test]
fn user_tokens_carry_username_and_groups_in_the_context() {
    let fx = Fixture::seeds();
    let token = fx.token(&user_claims("openid email API/user.get"));
    let answer = fx.decide(&token, "GET", "/user").unwrap();
    assert_eq!(
        answer["principalId"],
        "6b1c2a8e-1111-4c3b-9d6e-000000000001"
    );
    assert_eq!(answer["context"]["username"], "alice");
    assert_eq!(answer["context"]["groups"], "readers,admins");
    assert!(allowed(&answer, "GET", "/user"));
    assert!(!allowed(&answer, "POST", "/user"));
}

#[test]
fn nested_parameter_routes_are_never_over_allowed_under_the_cache() {
    // IAM's `*` also matches `/`: GET/book/* would reach /book/{id}/secret and
    // unlisted paths such as /book/1/other. The pair {id} / {id}/secret is
    // one IAM cannot allow exactly together: the called one is exact, the
    // other may be left out, nothing unpermitted is allowed.
    let routes = r#"{"GET /book/{id}":["read"],"GET /book/{id}/secret":["admin"],
        "ANY /files/{path+}":["files"],"GET /files/{path+}":["files.read"]}"#;
    let fx = Fixture::with_routes(routes);
    let requests: [(&str, &str, &[&str]); 6] = [
        ("GET", "/book/1", &["read"]),
        ("GET", "/book/1/secret", &["admin"]),
        ("GET", "/files/a/b", &["files.read"]),
        ("PUT", "/files/a/b", &["files"]),
        ("DELETE", "/files/a", &["files"]),
        ("GET", "/files/a", &["files.read"]),
    ];
    let unlisted = [
        ("GET", "/book/1/other"),
        ("GET", "/book/1/secret/x"),
        ("POST", "/book/1"),
    ];
    let scopes = ["read", "admin", "files", "files.read"];
    for subset in 0u32..16 {
        let held: Vec<&str> = (0..4)
            .filter(|i| subset & (1 << i) != 0)
            .map(|i| scopes[i])
            .collect();
        let token = fx.m2m_token(&held.join(" "));
        for (called_method, called_path, called_needs) in requests {
            let policy = fx.decide(&token, called_method, called_path).unwrap();
            let permitted = |needs: &[&str]| needs.iter().all(|s| held.contains(s));
            assert_eq!(
                allowed(&policy, called_method, called_path),
                permitted(called_needs),
                "{held:?}: the called {called_method} {called_path}"
            );
            for (method, path, needs) in requests {
                let got = allowed(&policy, method, path);
                let context =
                    format!("{held:?}, cached from {called_method} {called_path}: {method} {path}");
                if !permitted(needs) {
                    assert!(!got, "{context} must not be allowed");
                } else if !path.starts_with("/book") {
                    // Outside the inexact pair, cached answers are exact too.
                    assert!(got, "{context} must be allowed");
                }
            }
            for (method, path) in unlisted {
                assert!(!allowed(&policy, method, path), "{held:?}: {method} {path}");
            }
        }
    }
}

#[test]
fn group_rules_hold_under_the_cache_for_users_and_never_for_m2m() {
    // The template's shape: a group rule on a route nested under one
    // without, and a route of groups only.
    let routes = r#"{"GET /book":["API/book.get"],"GET /book/{id}":["API/book.get"],
        "DELETE /book/{id}":{"scopes":["API/book.delete"],"groups":["admins"]},
        "POST /book":{"scopes":["API/book.post"],"groups":["editors","admins"]},
        "GET /book/{id}/audit":{"groups":["admins"]}}"#;
    let fx = Fixture::with_routes(routes);
    type Request<'a> = (&'a str, &'a str, &'a [&'a str], Option<&'a [&'a str]>);
    let requests: [Request; 5] = [
        ("GET", "/book", &["API/book.get"], None),
        ("GET", "/book/1", &["API/book.get"], None),
        ("DELETE", "/book/1", &["API/book.delete"], Some(&["admins"])),
        (
            "POST",
            "/book",
            &["API/book.post"],
            Some(&["editors", "admins"]),
        ),
        ("GET", "/book/1/audit", &[], Some(&["admins"])),
    ];
    let scopes = ["API/book.get", "API/book.post", "API/book.delete"];
    let groups = ["admins", "editors", "Admins"];
    for subset in 0u32..8 {
        let held: Vec<&str> = (0..3)
            .filter(|i| subset & (1 << i) != 0)
            .map(|i| scopes[i])
            .collect();
        for group_subset in 0u32..8 {
            let in_groups: Vec<String> = (0..3)
                .filter(|i| group_subset & (1 << i) != 0)
                .map(|i| groups[i].to_string())
                .collect();
            for machine in [false, true] {
                let mut claims = user_claims(&held.join(" "));
                claims.groups = (!in_groups.is_empty()).then(|| in_groups.clone());
                if machine {
                    claims.sub = Some(M2M_CLIENT.into());
                    claims.client_id = Some(M2M_CLIENT.into());
                    claims.username = None;
                }
                let token = fx.token(&claims);
                let counted: &[String] = if machine { &[] } else { &in_groups };
                let permitted = |needs: &[&str], any_of: Option<&[&str]>| {
                    needs.iter().all(|s| held.contains(s))
                        && any_of.is_none_or(|g| g.iter().any(|g| counted.iter().any(|c| c == g)))
                };
                for (called_method, called_path, needs, any_of) in requests {
                    let policy = fx.decide(&token, called_method, called_path).unwrap();
                    let case = format!("{held:?} {in_groups:?} machine={machine}");
                    assert_eq!(
                        allowed(&policy, called_method, called_path),
                        permitted(needs, any_of),
                        "{case}: the called {called_method} {called_path}"
                    );
                    for (method, path, needs, any_of) in requests {
                        let got = allowed(&policy, method, path);
                        if !permitted(needs, any_of) {
                            assert!(
                                !got,
                                "{case}, cached from {called_method} {called_path}: {method} {path} must not be allowed"
                            );
                        }
                    }
                }
            }
        }
    }
}
