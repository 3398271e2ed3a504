//! One configured route: `METHOD /path` and what it needs, which
//! requests it serves, and how specific it is when several do.

use super::error::RouteError;
use super::method::Method;
use super::rule::Rule;
use super::segment::{Segment, parse_segments};

/// One configured route and the scopes (and groups) it needs.
#[derive(Debug, Clone)]
pub struct Route {
    /// The route as configured, e.g. `GET /book/{id}`.
    pub key: String,
    /// The route's method.
    pub method: Method,
    /// The route's path, e.g. `/book/{id}`.
    pub path: String,
    /// Scopes that are all required.
    pub scopes: Vec<String>,
    /// Groups of which the token's `cognito:groups` must hold one; `None`
    /// for a route without a group rule (never an empty list).
    pub groups: Option<Vec<String>>,
    pub(super) segments: Vec<Segment>,
    /// The bits of `scopes` in the table's scope index.
    pub(super) required: Vec<u64>,
    /// The bits of `groups` in the table's group index; empty without a group rule.
    pub(super) any_of: Vec<u64>,
}

impl Route {
    /// Parses `METHOD /path` and its rule; the scope and group bits are the table's to set.
    pub(super) fn parse(key: String, rule: Rule) -> Result<Self, RouteError> {
        let Rule { scopes, groups } = rule;
        let (method, path) = key
            .split_once(' ')
            .and_then(|(m, p)| Some((Method::parse(m)?, p)))
            .filter(|(_, p)| p.starts_with('/'))
            .ok_or_else(|| RouteError::Key(key.clone()))?;
        let segments = parse_segments(&key, path)?;
        if let Some(scope) = scopes.iter().find(|s| !is_name(s)) {
            return Err(RouteError::Scope {
                route: key.clone(),
                scope: scope.clone(),
            });
        }
        if let Some(groups) = &groups {
            if groups.is_empty() {
                return Err(RouteError::NoGroups(key));
            }
            if let Some(group) = groups.iter().find(|g| !is_name(g)) {
                return Err(RouteError::Group {
                    route: key.clone(),
                    group: group.clone(),
                });
            }
        }
        Ok(Route {
            method,
            path: path.to_string(),
            key,
            scopes,
            groups,
            segments,
            required: Vec::new(),
            any_of: Vec::new(),
        })
    }

    /// True if a token with these scope and group bits (the table's
    /// indexes) may call this route: every scope, and one group if the
    /// route has a group rule.
    pub(super) fn allows(&self, scopes: &[u64], groups: &[u64]) -> bool {
        self.required.iter().zip(scopes).all(|(r, h)| r & !h == 0)
            && (self.any_of.is_empty() || self.any_of.iter().zip(groups).any(|(r, h)| r & h != 0))
    }

    /// True if a request with `method` on `path` (with or without the
    /// leading `/`) is served by this route's pattern.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.matches(method) && self.matches_path(path)
    }

    /// True if `path` (without its leading `/`) is served by this route's pattern.
    pub(super) fn matches_path(&self, path: &str) -> bool {
        let path = path.strip_prefix('/').unwrap_or(path);
        let mut parts = path.split('/').filter(|_| !path.is_empty());
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Greedy => {
                    debug_assert_eq!(i + 1, self.segments.len());
                    // One or more segments, none of them empty (`/a/`, `/a//b`
                    // have an empty one, as no API resource does).
                    let mut rest = parts.peekable();
                    return rest.peek().is_some() && rest.all(|p| !p.is_empty());
                }
                Segment::Param => match parts.next() {
                    Some(p) if !p.is_empty() => {}
                    _ => return false,
                },
                Segment::Literal(lit) => match parts.next() {
                    Some(p) if p == lit => {}
                    _ => return false,
                },
            }
        }
        parts.next().is_none()
    }

    /// True if `path` is this route's path template, parameter names aside:
    /// `/book/{bookId}` is the template of a route configured as
    /// `/book/{id}` or `/book/*`. An HTTP API's `routeKey` names the route
    /// this way.
    pub(super) fn has_template(&self, path: &str) -> bool {
        let Some(body) = path.strip_prefix('/') else {
            return false;
        };
        let mut parts = body.split('/').filter(|_| !body.is_empty());
        for segment in &self.segments {
            let Some(part) = parts.next() else {
                return false;
            };
            let name = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
            let same = match segment {
                Segment::Literal(lit) => part == lit,
                Segment::Param => part == "*" || name.is_some_and(|n| !n.ends_with('+')),
                Segment::Greedy => name.is_some_and(|n| n.ends_with('+')),
            };
            if !same {
                return false;
            }
        }
        parts.next().is_none()
    }

    /// Ordering key: more specific routes compare greater.
    pub(super) fn specificity(&self) -> Specificity<'_> {
        Specificity(&self.segments, self.method != Method::Any)
    }
}

/// True for a scope or group name: not empty, no white space.
fn is_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_whitespace)
}

/// How specific a route is: its segments' ranks, compared lexicographically
/// (without collecting them), then a named method over `ANY`.
pub(super) struct Specificity<'a>(pub(super) &'a [Segment], pub(super) bool);

impl Ord for Specificity<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .iter()
            .map(Segment::rank)
            .cmp(other.0.iter().map(Segment::rank))
            .then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Specificity<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Specificity<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Specificity<'_> {}

/// The route among `routes` that serves `method` on `path` (without its
/// leading `/`): the most specific path, then a named method over `ANY`.
pub(super) fn most_specific(routes: &[Route], method: &str, path: &str) -> Option<usize> {
    routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.matches(method, path))
        .max_by(|(_, a), (_, b)| a.specificity().cmp(&b.specificity()))
        .map(|(i, _)| i)
}
