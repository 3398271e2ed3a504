//! Property tests: random route tables (literals, `{param}`, `{proxy+}`,
//! `ANY`, group rules), random scopes, groups (user or M2M token) and random method ARNs, configured and not. The
//! authorizer's answer, replayed as API Gateway evaluates it (explicit Deny
//! wins, `*` matches across `/`), must agree with the route table:
//!
//! - never allow an ARN that no route serves, or whose route the token lacks;
//! - allow the called ARN exactly when its route is permitted;
//! - for tables without inexact pairs, agree on every ARN (cached reuse).

use std::collections::HashSet;

use authorizer::Authorizer;
use integration_tests::fixtures::{
    Fixture, ISSUER, M2M_CLIENT, NOW, config, method_arn, token_event,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use shared::iam::{Evaluation, INVOKE_ACTION, evaluate};
use testkit::m2m_claims;

const LITERALS: [&str; 3] = ["a", "b", "c"];
const METHODS: [&str; 4] = ["ANY", "GET", "POST", "PUT"];
const SCOPES: [&str; 3] = ["s0", "s1", "s2"];

#[derive(Debug, Clone)]
enum Seg {
    Lit(usize),
    Param,
    Greedy,
}

fn segment() -> impl Strategy<Value = Seg> {
    prop_oneof![
        4 => (0..LITERALS.len()).prop_map(Seg::Lit),
        2 => Just(Seg::Param),
        1 => Just(Seg::Greedy),
    ]
}

/// A generated route: key, scopes and maybe a group rule.
type RouteCase = (String, Vec<String>, Option<Vec<String>>);

/// The groups routes may name and tokens may carry.
const GROUPS: [&str; 3] = ["admins", "editors", "Admins"];

/// A route key such as `GET /a/{p1}/{rest+}` (a `{+}` only last), its
/// scopes and, for some, a group rule.
fn route() -> impl Strategy<Value = RouteCase> {
    (
        0..METHODS.len(),
        prop::collection::vec(segment(), 0..4),
        prop::collection::vec(0..SCOPES.len(), 0..3),
        prop::option::weighted(0.3, prop::collection::vec(0..GROUPS.len(), 1..3)),
    )
        .prop_map(|(method, segments, scopes, groups)| {
            let last = segments.len().saturating_sub(1);
            let path: String = segments
                .iter()
                .enumerate()
                .map(|(i, s)| match s {
                    Seg::Lit(l) => format!("/{}", LITERALS[*l]),
                    Seg::Greedy if i == last => format!("/{{rest{i}+}}"),
                    Seg::Param | Seg::Greedy => format!("/{{p{i}}}"),
                })
                .collect();
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            let scopes = scopes.into_iter().map(|s| SCOPES[s].to_string()).collect();
            let groups = groups.map(|g| g.into_iter().map(|g| GROUPS[g].to_string()).collect());
            (format!("{} {path}", METHODS[method]), scopes, groups)
        })
}

/// Routes that match the same requests are a configuration error: keep the first.
fn table() -> impl Strategy<Value = Vec<RouteCase>> {
    prop::collection::vec(route(), 1..8).prop_map(|routes| {
        let mut shapes = HashSet::new();
        routes
            .into_iter()
            .filter(|(key, _, _)| {
                let shape: String = key
                    .split('/')
                    .map(|s| match s {
                        s if s.ends_with("+}") => "{+}",
                        s if s.starts_with('{') => "{}",
                        s => s,
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                shapes.insert(shape)
            })
            .collect()
    })
}

/// A request: method and path (`""` is the root), also with values that
/// are no literal, and occasionally a trailing slash.
fn request() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "x", "a1"]), 0..5),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(method, parts, slash)| {
            let mut path: String = parts.iter().map(|p| format!("/{p}")).collect();
            if slash || path.is_empty() {
                path.push('/');
            }
            (method.to_string(), path)
        })
}

fn json(routes: &[RouteCase]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = routes
        .iter()
        .map(|(k, scopes, groups)| {
            let value = match groups {
                None => serde_json::json!(scopes),
                Some(groups) => serde_json::json!({"scopes": scopes, "groups": groups}),
            };
            (k.clone(), value)
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

#[test]
fn replayed_policies_agree_with_the_route_table() {
    // One signing key for every case: generating an RSA key is the slow part.
    let fx = Fixture::seeds();
    // PROPTEST_CASES=100000 for a longer search.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let inputs = (
        table(),
        prop::collection::vec(prop::bool::ANY, SCOPES.len()),
        prop::collection::vec(prop::bool::ANY, GROUPS.len()),
        prop::bool::ANY,
        prop::collection::vec(request(), 1..4),
        prop::collection::vec(request(), 0..40),
    );
    let result = runner.run(
        &inputs,
        |(routes, held, in_groups, machine, called, replayed)| {
            let held: Vec<&str> = SCOPES
                .iter()
                .zip(&held)
                .filter(|(_, h)| **h)
                .map(|(s, _)| *s)
                .collect();
            // A user token carries its groups; an M2M token's are never counted.
            let groups: Vec<String> = GROUPS
                .iter()
                .zip(&in_groups)
                .filter(|(_, h)| **h)
                .map(|(g, _)| g.to_string())
                .collect();
            let counted: &[String] = if machine { &[] } else { &groups };
            let authorizer = Authorizer::new(&config(&json(&routes)));
            let table = authorizer.routes();
            let exact = table.inexact().count() == 0;
            let permitted = |method: &str, path: &str| {
                let path = path.strip_prefix('/').unwrap_or(path);
                table.find(method, path).is_some_and(|i| {
                    let route = &table.routes()[i];
                    route.scopes.iter().all(|s| held.contains(&s.as_str()))
                        && route
                            .groups
                            .as_ref()
                            .is_none_or(|g| g.iter().any(|g| counted.contains(g)))
                })
            };
            // The random requests, and one of every route's own.
            let mut arns: Vec<(String, String)> = replayed;
            for route in table.routes() {
                let path: String = route
                    .path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if s.starts_with('{') {
                            "/v".to_string()
                        } else {
                            format!("/{s}")
                        }
                    })
                    .collect();
                let path = if path.is_empty() {
                    "/".to_string()
                } else {
                    path
                };
                let method = match route.method.as_str() {
                    "ANY" => "DELETE",
                    named => named,
                };
                arns.push((method.to_string(), path));
            }
            let mut claims = m2m_claims(ISSUER, M2M_CLIENT, &held.join(" "), NOW - 60, 3600);
            if !machine {
                claims.sub = Some("user-uuid".into());
                claims.username = Some("alice".into());
            }
            claims.groups = (!groups.is_empty()).then(|| groups.clone());
            let token = fx.token(&claims);
            for (called_method, called_path) in &called {
                let event = token_event(&format!("Bearer {token}"), called_method, called_path);
                let decision = authorizer.decide(&event, &fx.keys, NOW).unwrap();
                let answer =
                    serde_json::to_value(authorizer::policy::response(decision, table)).unwrap();
                let document = &answer["policyDocument"];
                let allowed = |method: &str, path: &str| {
                    evaluate(document, INVOKE_ACTION, &method_arn(method, path)).unwrap()
                        == Evaluation::Allow
                };
                prop_assert_eq!(
                    allowed(called_method, called_path),
                    permitted(called_method, called_path),
                    "called {} {} with {:?}: {}",
                    called_method,
                    called_path,
                    held,
                    document
                );
                for (method, path) in arns.iter().chain(&called) {
                    let (got, want) = (allowed(method, path), permitted(method, path));
                    prop_assert!(
                        !got || want,
                        "cached from {} {}, {:?}: {} {} allowed: {}",
                        called_method,
                        called_path,
                        held,
                        method,
                        path,
                        document
                    );
                    if exact {
                        prop_assert_eq!(
                            got,
                            want,
                            "no inexact pairs; cached from {} {}, {:?}: {} {}: {}",
                            called_method,
                            called_path,
                            held,
                            method,
                            path,
                            document
                        );
                    }
                }
            }
            Ok(())
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
