//! A route the template declares: one `Type: Api` or `Type: HttpApi` event
//! of a function, the API it is on and what `ROUTE_SCOPES` requires of it;
//! and the one place such routes become shared's route table.

use shared::{Method, RouteError, RouteTable, Rule};

use crate::template::error::TemplateError;

/// The catch-all route of an HTTP API: an `HttpApi` event without a path.
pub const DEFAULT_ROUTE: &str = "$default";

/// The API an event puts its route on, with the logical id its `RestApiId`
/// (REST) or `ApiId` (HTTP) refers to; `None` is SAM's implicit API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnApi {
    /// A `Type: Api` event: a route of a REST API (payload 1.0).
    Rest(Option<String>),
    /// A `Type: HttpApi` event: a route of an HTTP API (payload 2.0).
    Http(Option<String>),
}

impl OnApi {
    /// The logical id of the API the event names, if it names one.
    pub fn logical_id(&self) -> Option<&str> {
        match self {
            OnApi::Rest(id) | OnApi::Http(id) => id.as_deref(),
        }
    }
}

/// One route the template declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
    /// The function's logical id.
    pub function: String,
    /// The event's name.
    pub event: String,
    /// The API the route is on.
    pub api: OnApi,
    /// The method (`ANY` for SAM's `any`, and for [`DEFAULT_ROUTE`], which
    /// takes every method).
    pub method: Method,
    /// The path as written, e.g. `/book/{id}`, or [`DEFAULT_ROUTE`].
    pub path: String,
    /// What `ROUTE_SCOPES` requires of the route. The template reader leaves
    /// it empty; [`crate::template::spec::StackSpec`] fills it in for the
    /// REST API. An HTTP API route keeps it empty: its front only routes,
    /// the authorizer decides.
    pub rule: Rule,
}

impl ApiRoute {
    /// The route's key as `ROUTE_SCOPES` writes it, e.g. `GET /book`.
    pub fn key(&self) -> String {
        if self.is_default() {
            return DEFAULT_ROUTE.to_owned();
        }
        format!("{} {}", self.method.as_str(), self.path)
    }

    /// True for an HTTP API's catch-all `$default` route.
    pub fn is_default(&self) -> bool {
        self.path == DEFAULT_ROUTE
    }
}

/// The method of an event's `Method` (any letter case; API Gateway's
/// `x-amazon-apigateway-any-method` is `ANY`), or an error naming `at`.
pub fn parse_method(name: &str, at: &str) -> Result<Method, TemplateError> {
    let upper = name.to_ascii_uppercase();
    let upper = if upper == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
        "ANY".to_owned()
    } else {
        upper
    };
    Method::parse(&upper).ok_or_else(|| TemplateError::Invalid {
        at: at.to_owned(),
        problem: format!("{name:?} is not an HTTP method API Gateway routes"),
    })
}

/// The route table of `routes`, the catch-all `$default` apart (it matches
/// what no route of the table does, so it is no entry of it).
pub fn route_table(routes: &[ApiRoute]) -> Result<RouteTable, RouteError> {
    RouteTable::new(
        routes
            .iter()
            .filter(|r| !r.is_default())
            .map(|r| (r.key(), r.rule.clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str, scopes: &[&str]) -> ApiRoute {
        ApiRoute {
            function: "Handler".into(),
            event: "E".into(),
            api: OnApi::Http(None),
            method,
            path: path.into(),
            rule: Rule {
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                groups: None,
            },
        }
    }

    #[test]
    fn the_table_keeps_each_rule_and_leaves_the_default_route_out() {
        let routes = [
            route(Method::Get, "/book", &["API/book.get"]),
            route(Method::Any, DEFAULT_ROUTE, &[]),
        ];
        let table = route_table(&routes).unwrap();
        let keys: Vec<(&str, &[String])> = table
            .routes()
            .iter()
            .map(|r| (r.key.as_str(), r.scopes.as_slice()))
            .collect();
        assert_eq!(keys, [("GET /book", &["API/book.get".to_string()][..])]);
        assert!(routes[1].is_default() && !routes[0].is_default());
        assert_eq!(routes[1].key(), DEFAULT_ROUTE);
    }

    #[test]
    fn event_methods_parse_in_any_case_and_unknown_ones_name_the_event() {
        let cases = [
            ("get", Some(Method::Get)),
            ("Delete", Some(Method::Delete)),
            ("any", Some(Method::Any)),
            ("x-amazon-apigateway-any-method", Some(Method::Any)),
            ("FETCH", None),
            ("", None),
        ];
        for (name, expected) in cases {
            let got = parse_method(name, "Resources.F.Properties.Events.E.Properties.Method");
            match expected {
                Some(method) => assert_eq!(got.ok(), Some(method), "{name:?}"),
                None => {
                    let message = got.unwrap_err().to_string();
                    assert!(
                        message.starts_with("Resources.F.Properties.Events.E.Properties.Method:"),
                        "{message}"
                    );
                }
            }
        }
    }
}
