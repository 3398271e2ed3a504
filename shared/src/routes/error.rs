//! Why a route table is refused, naming the route and the part at fault.

use thiserror::Error;

/// Why a route table could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RouteError {
    /// Not a JSON object of string lists or rules, or a key appears twice;
    /// a malformed value's message names its route.
    #[error(
        "not a JSON object from \"METHOD /path\" to a list of scopes or {{\"scopes\": [...], \"groups\": [...]}}: {0}"
    )]
    Json(String),
    /// The object has no routes.
    #[error("no routes are configured")]
    Empty,
    /// A key is not `METHOD /path`.
    #[error(
        "route {0:?}: expected \"METHOD /path\" with METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
    )]
    Key(String),
    /// A path segment is not a literal, `*`, `{name}` or a final `{name+}`.
    #[error("route {route:?}: bad path segment {segment:?}")]
    Segment {
        /// The route key.
        route: String,
        /// The offending segment.
        segment: String,
    },
    /// A scope is empty or contains white space.
    #[error("route {route:?}: bad scope {scope:?}")]
    Scope {
        /// The route key.
        route: String,
        /// The offending scope.
        scope: String,
    },
    /// A group rule lists no group, which no token could satisfy.
    #[error("route {0:?}: \"groups\" must list at least one group")]
    NoGroups(String),
    /// A group is empty or contains white space (Cognito group names have none).
    #[error("route {route:?}: bad group {group:?}")]
    Group {
        /// The route key.
        route: String,
        /// The offending group.
        group: String,
    },
    /// Two routes match exactly the same requests.
    #[error("routes {0:?} and {1:?} match the same requests")]
    Duplicate(String, String),
}
