//! The API's routes as the handler serves them.
//!
//! The template's `Api` events and the authorizer's `ROUTE_SCOPES` list the
//! same routes; the consistency test in `tests/` keeps those two in step,
//! and this table mirrors them for the answers' wording.

/// What a matched route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /awesomeapi`: the greeting of the protected resource.
    AwesomeApi,
    /// `/book`, `/book/{id}` and `/user`: a confirmation naming method and path.
    Completed,
}

/// One path and the methods it serves.
struct Resource {
    /// As in the template: literal segments and `{name}` for one segment.
    path: &'static str,
    methods: &'static [&'static str],
    /// `methods` joined for the `Allow` header (a test checks they agree).
    allow: &'static str,
    endpoint: Endpoint,
}

const RESOURCES: &[Resource] = &[
    Resource {
        path: "/awesomeapi",
        methods: &["GET"],
        allow: "GET",
        endpoint: Endpoint::AwesomeApi,
    },
    Resource {
        path: "/book",
        methods: &["GET", "POST"],
        allow: "GET, POST",
        endpoint: Endpoint::Completed,
    },
    // Only admins' tokens may call it: API/book.delete and the admins group
    // (the route table's group rule; docs/pre-token-generation.md).
    Resource {
        path: "/book/{id}",
        methods: &["DELETE"],
        allow: "DELETE",
        endpoint: Endpoint::Completed,
    },
    Resource {
        path: "/user",
        methods: &["GET", "POST"],
        allow: "GET, POST",
        endpoint: Endpoint::Completed,
    },
];

/// The outcome of looking a request up in the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The route exists for this method.
    Found(Endpoint),
    /// The path exists but not for this method; the value is the `Allow` header.
    MethodNotAllowed(&'static str),
    /// No route has this path.
    NotFound,
}

/// Finds the route for `method` (upper case, as HTTP sends it) on `path`.
///
/// Literal segments compare exactly, as API Gateway's resource paths do; a
/// `{name}` segment takes any one non-empty segment.
pub fn lookup(method: &str, path: &str) -> Lookup {
    match RESOURCES.iter().find(|r| path_matches(r.path, path)) {
        None => Lookup::NotFound,
        Some(r) if r.methods.contains(&method) => Lookup::Found(r.endpoint),
        Some(r) => Lookup::MethodNotAllowed(r.allow),
    }
}

/// True if `path` is a request path of the resource `pattern`.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut parts = path.split('/');
    let all_matched = pattern.split('/').all(|want| {
        parts.next().is_some_and(|part| {
            if want.starts_with('{') && want.ends_with('}') {
                !part.is_empty()
            } else {
                part == want
            }
        })
    });
    all_matched && parts.next().is_none()
}

/// Every `(method, path)` the handler serves, e.g. to compare with the template.
pub fn served_routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    RESOURCES
        .iter()
        .flat_map(|r| r.methods.iter().map(move |m| (*m, r.path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_headers_list_exactly_the_served_methods() {
        for resource in RESOURCES {
            assert_eq!(
                resource.allow,
                resource.methods.join(", "),
                "{}",
                resource.path
            );
        }
    }

    #[test]
    fn lookup_distinguishes_found_wrong_method_and_unknown_path() {
        let cases = [
            ("GET", "/awesomeapi", Lookup::Found(Endpoint::AwesomeApi)),
            ("POST", "/awesomeapi", Lookup::MethodNotAllowed("GET")),
            ("GET", "/book", Lookup::Found(Endpoint::Completed)),
            ("POST", "/book", Lookup::Found(Endpoint::Completed)),
            ("DELETE", "/book", Lookup::MethodNotAllowed("GET, POST")),
            ("GET", "/user", Lookup::Found(Endpoint::Completed)),
            ("POST", "/user", Lookup::Found(Endpoint::Completed)),
            ("get", "/user", Lookup::MethodNotAllowed("GET, POST")),
            ("GET", "/Book", Lookup::NotFound),
            ("DELETE", "/book/42", Lookup::Found(Endpoint::Completed)),
            ("GET", "/book/42", Lookup::MethodNotAllowed("DELETE")),
            ("DELETE", "/book/", Lookup::NotFound),
            ("DELETE", "/book//", Lookup::NotFound),
            ("DELETE", "/book/42/", Lookup::NotFound),
            ("DELETE", "/book/42/pages", Lookup::NotFound),
            ("DELETE", "/book/{id}x", Lookup::Found(Endpoint::Completed)),
            ("GET", "/", Lookup::NotFound),
            ("GET", "", Lookup::NotFound),
        ];
        for (method, path, expected) in cases {
            assert_eq!(lookup(method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn served_routes_are_the_seed_routes() {
        let routes: Vec<_> = served_routes().collect();
        assert_eq!(
            routes,
            [
                ("GET", "/awesomeapi"),
                ("GET", "/book"),
                ("POST", "/book"),
                ("DELETE", "/book/{id}"),
                ("GET", "/user"),
                ("POST", "/user"),
            ]
        );
    }
}
