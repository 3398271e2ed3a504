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
    /// `/book` and `/user`: a confirmation naming method and path.
    Completed,
}

/// One path and the methods it serves.
struct Resource {
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
/// Paths compare exactly, as API Gateway's resource paths do.
pub fn lookup(method: &str, path: &str) -> Lookup {
    match RESOURCES.iter().find(|r| r.path == path) {
        None => Lookup::NotFound,
        Some(r) if r.methods.contains(&method) => Lookup::Found(r.endpoint),
        Some(r) => Lookup::MethodNotAllowed(r.allow),
    }
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
            ("GET", "/book/1", Lookup::NotFound),
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
                ("GET", "/user"),
                ("POST", "/user"),
            ]
        );
    }
}
