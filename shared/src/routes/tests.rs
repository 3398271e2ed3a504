//! The route table's behaviour through its public API: matching, policy
//! plans, permitted routes and the errors of bad tables.

use super::error::RouteError;
use super::method::Method;
use super::policy::PolicyPlan;
use super::table::RouteTable;
use crate::scopes::Scopes;

const SEEDS: &str = r#"{"GET /awesomeapi":["awesomeapi-resource-server/awesomeapi.read"],
    "GET /book":["API/book.get"],"POST /book":["API/book.post"],
    "GET /book/{id}":["API/book.get"],"DELETE /book/{id}":["API/book.delete","API/admin"],
    "GET /user":["API/user.get"],"POST /user":["API/user.post"]}"#;

fn table(json: &str) -> RouteTable {
    RouteTable::from_json(json).unwrap()
}

#[test]
fn find_key_names_the_route_of_an_http_api_route_key() {
    let t = table(
        r#"{"GET /":[],"GET /book/{id}":[],"ANY /files/{path+}":[],"GET /a/*/c":[],"GET /book":[]}"#,
    );
    let key = |k: &str| t.find_key(k).map(|i| t.routes()[i].key.as_str());
    let cases = [
        ("GET /", Some("GET /")),
        ("GET /book", Some("GET /book")),
        ("GET /book/{id}", Some("GET /book/{id}")),
        ("GET /book/{bookId}", Some("GET /book/{id}")),
        ("ANY /files/{path+}", Some("ANY /files/{path+}")),
        ("GET /a/{b}/c", Some("GET /a/*/c")),
        // The method and template must both be the route's.
        ("POST /book", None),
        ("GET /files/{path+}", None),
        ("GET /book/{id+}", None),
        ("GET /book/1", None),
        ("GET /book/{id}/x", None),
        ("GET book", None),
        ("$default", None),
        ("", None),
    ];
    for (route_key, expected) in cases {
        assert_eq!(key(route_key), expected, "{route_key:?}");
    }
}

#[test]
fn find_matches_paths_and_methods() {
    let t = table(r#"{"GET /":[],"GET /book/{id}":[],"ANY /files/{path+}":[],"GET /a/*/c":[]}"#);
    let key = |m: &str, p: &str| t.find(m, p).map(|i| t.routes()[i].key.as_str());
    let cases = [
        ("GET", "/", Some("GET /")),
        ("GET", "", Some("GET /")),
        ("GET", "/book/1", Some("GET /book/{id}")),
        ("GET", "book/1", Some("GET /book/{id}")),
        ("GET", "/book", None),
        ("GET", "/book/1/2", None),
        ("GET", "/book/", None),
        ("POST", "/book/1", None),
        ("DELETE", "/files/a", Some("ANY /files/{path+}")),
        ("GET", "/files/a/b/c", Some("ANY /files/{path+}")),
        ("GET", "/files/a/", None),
        ("GET", "/files/a//c", None),
        ("GET", "//files/a", None),
        ("FETCH", "/files/a", None),
        ("GET", "/files", None),
        ("GET", "/a/b/c", Some("GET /a/*/c")),
        ("GET", "/A/b/c", None),
    ];
    for (method, path, expected) in cases {
        assert_eq!(key(method, path), expected, "{method} {path}");
    }
}

#[test]
fn find_prefers_the_most_specific_route() {
    let t = table(
        r#"{"ANY /book/{id}":["a"],"GET /book/{id}":["b"],"GET /book/special":["c"],"ANY /{p+}":["d"]}"#,
    );
    let key = |m: &str, p: &str| t.find(m, p).map(|i| t.routes()[i].key.as_str());
    assert_eq!(key("GET", "/book/special"), Some("GET /book/special"));
    assert_eq!(key("GET", "/book/1"), Some("GET /book/{id}"));
    assert_eq!(key("PUT", "/book/1"), Some("ANY /book/{id}"));
    assert_eq!(key("PUT", "/other/x"), Some("ANY /{p+}"));
}

#[test]
fn resource_is_the_most_specific_path_whatever_the_method() {
    let t = table(
        r#"{"GET /book":[],"POST /book":[],"DELETE /book/{id}":[],"GET /book/special":[],"ANY /{p+}":[]}"#,
    );
    let cases = [
        ("/book", Some("/book")),
        ("book", Some("/book")),
        ("/book/1", Some("/book/{id}")),
        ("/book/special", Some("/book/special")),
        ("/other/x", Some("/{p+}")),
        ("/", None),
        ("//book", None),
    ];
    for (path, expected) in cases {
        assert_eq!(t.resource(path), expected, "{path}");
    }
}

fn plan_of<'a>(t: &'a RouteTable, scope: &str, request: &'a str) -> PolicyPlan<'a> {
    let (method, path) = request.split_once('/').unwrap();
    t.policy(
        &t.permitted(Scopes::new(scope), &[]),
        t.find(method, path),
        request,
    )
}

#[test]
fn patterns_write_parameters_as_wildcards_and_expand_any() {
    let t = table(r#"{"GET /":[],"ANY /book/{id}":[],"GET /files/{p+}":[],"GET /a/*":[]}"#);
    let plan = plan_of(&t, "", "GET/");
    let any: Vec<String> = Method::CONCRETE
        .iter()
        .map(|m| format!("{}/book/*", m.as_str()))
        .collect();
    let mut expected = vec!["GET/"];
    expected.extend(any.iter().map(String::as_str));
    expected.extend(["GET/files/*", "GET/a/*"]);
    assert_eq!(plan.allow, expected);
}

#[test]
fn parameters_get_denials_of_deeper_paths() {
    let t = table(r#"{"GET /book":["r"],"GET /book/{id}":["r"],"GET /files/{p+}":["r"]}"#);
    let plan = plan_of(&t, "r", "GET/book/1");
    assert_eq!(plan.allow, ["GET/book", "GET/book/*", "GET/files/*"]);
    assert_eq!(plan.deny, ["*/*/", "*//*", "GET/book/*/*"]);
    let no_wildcards = table(r#"{"GET /book":["r"]}"#);
    assert!(plan_of(&no_wildcards, "r", "GET/book").deny.is_empty());
}

#[test]
fn more_specific_routes_the_token_lacks_are_denied() {
    let t = table(
        r#"{"GET /book/{id}":["read"],"GET /book/special":["admin"],"ANY /book":["any"],"GET /book":["get"]}"#,
    );
    let plan = plan_of(&t, "read any", "GET/book/1");
    assert!(plan.deny.contains(&"GET/book/special"), "{plan:?}");
    assert!(plan.deny.contains(&"GET/book"), "{plan:?}");
    assert!(plan.allow.contains(&"POST/book"), "{plan:?}");
    let plan = plan_of(&t, "read admin", "GET/book/1");
    assert!(!plan.deny.contains(&"GET/book/special"), "{plan:?}");
}

#[test]
fn a_parameter_at_the_top_denies_the_root_unless_it_is_permitted() {
    let t = table(r#"{"GET /{id}":["a"],"GET /":["root"]}"#);
    assert!(plan_of(&t, "a", "GET/x").deny.contains(&"GET/"));
    assert!(!plan_of(&t, "a root", "GET/x").deny.contains(&"GET/"));
}

#[test]
fn inexpressible_pairs_are_named_and_the_called_route_is_still_allowed() {
    let t = table(r#"{"GET /book/{id}":["r"],"GET /book/{id}/pages":["r"],"GET /user":["u"]}"#);
    let pairs: Vec<(&str, &str)> = t
        .inexact()
        .map(|(a, b)| (a.key.as_str(), b.key.as_str()))
        .collect();
    assert_eq!(pairs, [("GET /book/{id}", "GET /book/{id}/pages")]);
    // Called on the deeper route: the denial of deeper paths would refuse
    // it, so /book/{id} is left out and the call is allowed exactly.
    let plan = plan_of(&t, "r", "GET/book/1/pages");
    assert_eq!(plan.allow, ["GET/book/*/pages"]);
    let plan = plan_of(&t, "r", "GET/book/1");
    assert_eq!(plan.allow, ["GET/book/*", "GET/book/*/pages"]);
    assert!(plan.deny.contains(&"GET/book/*/*"));
    assert_eq!(table(SEEDS).inexact().count(), 0);
}

#[test]
fn an_unpermitted_call_gets_no_exact_allowance() {
    let t = table(r#"{"GET /book/{id}":["r"],"GET /user":["u"]}"#);
    let plan = plan_of(&t, "u", "GET/book/1");
    assert_eq!(plan.allow, ["GET/user"]);
    let plan = plan_of(&t, "u", "GET/nothing/here");
    assert_eq!(plan.allow, ["GET/user"]);
}

#[test]
fn permitted_requires_every_scope_exactly() {
    let t = table(SEEDS);
    let allowed = |scope: &str| -> Vec<&str> {
        let set = t.permitted(Scopes::new(scope), &[]);
        (0..t.routes().len())
            .filter(|i| set.contains(*i))
            .map(|i| t.routes()[i].key.as_str())
            .collect()
    };
    assert_eq!(allowed("API/book.get"), ["GET /book", "GET /book/{id}"]);
    assert_eq!(allowed("API/book.gets API/Book.get"), Vec::<&str>::new());
    assert_eq!(allowed("API/book.delete"), Vec::<&str>::new());
    assert_eq!(allowed("API/admin API/book.delete"), ["DELETE /book/{id}"]);
    assert!(t.permitted(Scopes::new(""), &[]).is_empty());
}

#[test]
fn routes_without_scopes_need_only_a_valid_token() {
    let t = table(r#"{"GET /health":[],"GET /x":["s"]}"#);
    let set = t.permitted(Scopes::new(""), &[]);
    assert!(set.contains(0) && !set.contains(1));
}

#[test]
fn many_scopes_and_routes_use_bit_masks_beyond_64() {
    let entries: Vec<(String, Vec<String>)> = (0..200)
        .map(|i| {
            (
                format!("GET /r{i}"),
                vec![format!("s{i}"), "common".to_string()],
            )
        })
        .collect();
    let t = RouteTable::new(entries).unwrap();
    let scope = "common s3 s150 s199";
    let set = t.permitted(Scopes::new(scope), &[]);
    let held: Vec<usize> = (0..200).filter(|i| set.contains(*i)).collect();
    assert_eq!(held, [3, 150, 199]);
}

#[test]
fn bad_tables_are_rejected_with_the_reason() {
    type Check = fn(&RouteError) -> bool;
    let cases: [(&str, Check); 12] = [
        ("[]", |e| matches!(e, RouteError::Json(_))),
        ("{}", |e| *e == RouteError::Empty),
        (r#"{"GET /a":"s"}"#, |e| matches!(e, RouteError::Json(_))),
        (
            r#"{"GET /a":[],"GET /a":[]}"#,
            |e| matches!(e, RouteError::Json(m) if m.contains("duplicate")),
        ),
        (r#"{"FETCH /a":[]}"#, |e| matches!(e, RouteError::Key(_))),
        (r#"{"get /a":[]}"#, |e| matches!(e, RouteError::Key(_))),
        (r#"{"GET a":[]}"#, |e| matches!(e, RouteError::Key(_))),
        (r#"{"GET /a/{p+}/b":[]}"#, |e| {
            matches!(e, RouteError::Segment { .. })
        }),
        (r#"{"GET /a//b":[]}"#, |e| {
            matches!(e, RouteError::Segment { .. })
        }),
        (r#"{"GET /a?":[]}"#, |e| {
            matches!(e, RouteError::Segment { .. })
        }),
        (r#"{"GET /a":["x y"]}"#, |e| {
            matches!(e, RouteError::Scope { .. })
        }),
        (r#"{"GET /a/{x}":[],"GET /a/{y}":[]}"#, |e| {
            matches!(e, RouteError::Duplicate(..))
        }),
    ];
    for (json, check) in cases {
        let err = RouteTable::from_json(json).unwrap_err();
        assert!(check(&err), "{json}: {err}");
    }
}

const GROUPED: &str = r#"{"GET /book":["API/book.get"],
    "DELETE /book/{id}":{"scopes":["API/book.delete"],"groups":["admins"]},
    "POST /book":{"scopes":["API/book.post","API/book.get"],"groups":["editors","admins"]},
    "GET /health":{"groups":["ops"]}}"#;

fn allowed_with<'t>(t: &'t RouteTable, scope: &str, groups: &[&str]) -> Vec<&'t str> {
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let set = t.permitted(Scopes::new(scope), &groups);
    (0..t.routes().len())
        .filter(|i| set.contains(*i))
        .map(|i| t.routes()[i].key.as_str())
        .collect()
}

#[test]
fn a_group_rule_needs_every_scope_and_one_of_the_groups_exactly() {
    let t = table(GROUPED);
    let all = "API/book.get API/book.post API/book.delete";
    let cases: [(&str, &[&str], &[&str]); 12] = [
        // No groups (an M2M token): no group rule is met, scopes or not.
        (all, &[], &["GET /book"]),
        ("API/book.delete", &["admins"], &["DELETE /book/{id}"]),
        // The group without the scope is not enough.
        ("API/book.get", &["admins"], &["GET /book"]),
        // Case-sensitive and exact.
        (all, &["Admins"], &["GET /book"]),
        (all, &["admin"], &["GET /book"]),
        (all, &["admins "], &["GET /book"]),
        // One of the groups is enough; other groups do not hurt.
        (all, &["readers", "editors"], &["GET /book", "POST /book"]),
        (
            all,
            &["admins"],
            &["GET /book", "DELETE /book/{id}", "POST /book"],
        ),
        // Every scope of a group rule is still required.
        ("API/book.post", &["editors"], &[]),
        (
            "API/book.post API/book.get",
            &["editors"],
            &["GET /book", "POST /book"],
        ),
        // A rule of groups only needs no scope.
        ("", &["ops"], &["GET /health"]),
        ("", &["ops", "admins"], &["GET /health"]),
    ];
    for (scope, groups, expected) in cases {
        assert_eq!(
            allowed_with(&t, scope, groups),
            expected,
            "{scope:?} {groups:?}"
        );
    }
}

#[test]
fn a_list_value_and_an_object_of_scopes_mean_the_same() {
    let list = table(r#"{"GET /a":["s","t"]}"#);
    let object = table(r#"{"GET /a":{"scopes":["s","t"]}}"#);
    assert_eq!(list.routes()[0].scopes, object.routes()[0].scopes);
    assert_eq!(object.routes()[0].groups, None);
    for (scope, groups) in [("s t", &[][..]), ("s", &["g"][..]), ("s t", &["g"][..])] {
        assert_eq!(
            allowed_with(&list, scope, groups),
            allowed_with(&object, scope, groups)
        );
    }
}

#[test]
fn many_groups_use_masks_beyond_64() {
    let entries: Vec<(String, super::Rule)> = (0..150)
        .map(|i| {
            let rule = super::Rule {
                scopes: vec![],
                groups: Some(vec![format!("g{i}"), "everyone".to_string()]),
            };
            (format!("GET /r{i}"), rule)
        })
        .collect();
    let t = RouteTable::new(entries).unwrap();
    let set = t.permitted(Scopes::new(""), &["g3".into(), "g149".into(), "x".into()]);
    let held: Vec<usize> = (0..150).filter(|i| set.contains(*i)).collect();
    assert_eq!(held, [3, 149]);
    let everyone = t.permitted(Scopes::new(""), &["everyone".into()]);
    assert!((0..150).all(|i| everyone.contains(i)));
}

#[test]
fn malformed_group_rules_are_start_up_errors_naming_the_route() {
    let route = "DELETE /book/{id}";
    let cases = [
        r#"{"GET /a":[],"DELETE /book/{id}":{"scopes":["s"],"groups":[]}}"#,
        r#"{"DELETE /book/{id}":{"groups":["admins"],"scope":["s"]}}"#,
        r#"{"DELETE /book/{id}":{"groups":[1]}}"#,
        r#"{"DELETE /book/{id}":{"groups":"admins"}}"#,
        r#"{"DELETE /book/{id}":{"groups":null}}"#,
        r#"{"DELETE /book/{id}":{"scopes":[["s"]],"groups":["a"]}}"#,
        r#"{"DELETE /book/{id}":{"groups":["a"],"groups":["b"]}}"#,
        r#"{"DELETE /book/{id}":{"groups":[""]}}"#,
        r#"{"DELETE /book/{id}":{"groups":["two words"]}}"#,
        r#"{"DELETE /book/{id}":{"scopes":["a b"],"groups":["g"]}}"#,
        r#"{"DELETE /book/{id}":"admins"}"#,
        r#"{"DELETE /book/{id}":7}"#,
    ];
    for json in cases {
        let err = RouteTable::from_json(json).unwrap_err();
        assert!(
            err.to_string().contains(&format!("{route:?}")),
            "{json}: {err}"
        );
    }
    assert_eq!(
        RouteTable::from_json(cases[0]).unwrap_err(),
        RouteError::NoGroups(route.into())
    );
    assert_eq!(
        RouteTable::from_json(cases[7]).unwrap_err(),
        RouteError::Group {
            route: route.into(),
            group: String::new()
        }
    );
}

#[test]
fn the_policy_of_a_group_member_differs_only_by_the_group_routes() {
    let t = table(GROUPED);
    let request = "GET/book";
    let called = t.find("GET", "/book");
    let scope = "API/book.get API/book.delete";
    let reader = t.policy(&t.permitted(Scopes::new(scope), &[]), called, request);
    let admins = ["admins".to_string()];
    let admin = t.policy(&t.permitted(Scopes::new(scope), &admins), called, request);
    assert_eq!(reader.allow, ["GET/book"]);
    assert_eq!(admin.allow, ["GET/book", "DELETE/book/*"]);
    assert!(admin.deny.contains(&"DELETE/book/*/*"), "{admin:?}");
}
