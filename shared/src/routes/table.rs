//! The route table: the configured routes, which one serves a request, and
//! which a token's scopes and groups permit; policies are planned by [`Planner`].

use std::collections::HashMap;

use super::entries::parse_entries;
use super::error::RouteError;
use super::method::Method;
use super::policy::{Planner, PolicyPlan};
use super::route::{Route, Specificity, most_specific};
use super::route_set::RouteSet;
use super::rule::Rule;
use super::scope_index::ScopeIndex;
use super::segment::shape;
use crate::scopes::Scopes;

/// The routes of an API and the scopes (and groups) each one needs.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
    scopes: ScopeIndex,
    groups: ScopeIndex,
    planner: Planner,
}

impl RouteTable {
    /// Parses a `ROUTE_SCOPES` JSON object.
    pub fn from_json(json: &str) -> Result<Self, RouteError> {
        let entries = parse_entries(json)?;
        Self::new(entries)
    }

    /// Builds a table from `("METHOD /path", rule)` pairs, where a rule is a
    /// [`Rule`] or a list of scopes.
    ///
    /// Close to linear in the number of routes: duplicates are found by
    /// hashing, and the routes a pattern reaches by walking a prefix tree of
    /// the paths (a route whose first segment is a parameter is compared
    /// with every route, so tables of many such routes cost more).
    pub fn new<R: Into<Rule>>(
        entries: impl IntoIterator<Item = (String, R)>,
    ) -> Result<Self, RouteError> {
        let mut routes = entries
            .into_iter()
            .map(|(key, rule)| Route::parse(key, rule.into()))
            .collect::<Result<Vec<_>, _>>()?;
        if routes.is_empty() {
            return Err(RouteError::Empty);
        }
        refuse_duplicates(&routes)?;
        let scopes = ScopeIndex::new(routes.iter().flat_map(|r| &r.scopes));
        let groups = ScopeIndex::new(routes.iter().flat_map(|r| r.groups.iter().flatten()));
        for route in &mut routes {
            route.required = scopes.mask(&route.scopes);
            if let Some(names) = &route.groups {
                route.any_of = groups.mask(names);
            }
        }
        let planner = Planner::new(&routes);
        Ok(Self {
            routes,
            scopes,
            groups,
            planner,
        })
    }

    /// The routes, in configuration order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route that serves `method` on `path` (with or without the
    /// leading `/`), chosen as API Gateway does: the most specific path,
    /// then a named method over `ANY`.
    pub fn find(&self, method: &str, path: &str) -> Option<usize> {
        self.find_path(method, path.strip_prefix('/').unwrap_or(path))
    }

    /// [`RouteTable::find`] for a path without its leading `/`, as a method
    /// ARN has it after the method: one that still starts with `/` has an
    /// empty first segment, which no route serves.
    pub fn find_path(&self, method: &str, path: &str) -> Option<usize> {
        if path.starts_with('/') {
            return None;
        }
        most_specific(&self.routes, method, path)
    }

    /// The route an HTTP API `routeKey` such as `GET /book/{id}` names:
    /// the same method and path template (parameter names may differ).
    /// `None` for `$default` and for routes the table does not list.
    pub fn find_key(&self, route_key: &str) -> Option<usize> {
        let (method, path) = route_key.split_once(' ')?;
        let method = Method::parse(method)?;
        self.routes
            .iter()
            .position(|r| r.method == method && r.has_template(path))
    }

    /// The path template of the resource that serves `path` whatever the
    /// method: the most specific route path matching it. API Gateway picks
    /// the resource first; its CORS `OPTIONS` method is per resource.
    pub fn resource(&self, path: &str) -> Option<&str> {
        let path = path.strip_prefix('/').unwrap_or(path);
        if path.starts_with('/') {
            return None;
        }
        self.routes
            .iter()
            .filter(|r| r.matches_path(path))
            .max_by(|a, b| Specificity(&a.segments, false).cmp(&Specificity(&b.segments, false)))
            .map(|r| r.path.as_str())
    }

    /// The routes a token with these scopes and `cognito:groups` may call:
    /// every required scope is in `scopes` and, for a route with a group
    /// rule, one of its groups is in `groups` (both compared exactly). Pass
    /// [`crate::AccessTokenClaims::groups`], which is empty for M2M tokens.
    ///
    /// Linear in the number of scopes and groups plus the number of routes:
    /// each token scope and group is looked up once, then each route is a
    /// bit-mask test.
    pub fn permitted(&self, scopes: Scopes<'_>, groups: &[String]) -> RouteSet {
        // Up to 256 configured scopes (and 64 groups) fit on the stack.
        let mut inline = [0u64; 4];
        let mut heap = Vec::new();
        let held: &mut [u64] = match inline.get_mut(..self.scopes.words()) {
            Some(words) => words,
            None => {
                heap.resize(self.scopes.words(), 0);
                &mut heap
            }
        };
        self.scopes.hold(scopes.iter(), held);
        let mut inline_groups = [0u64; 1];
        let mut heap_groups = Vec::new();
        let held_groups: &mut [u64] = match inline_groups.get_mut(..self.groups.words()) {
            Some(words) => words,
            None => {
                heap_groups.resize(self.groups.words(), 0);
                &mut heap_groups
            }
        };
        if !self.groups.is_empty() {
            self.groups
                .hold(groups.iter().map(String::as_str), held_groups);
        }
        let mut set = RouteSet::empty(self.routes.len());
        for (i, route) in self.routes.iter().enumerate() {
            if route.allows(held, held_groups) {
                set.insert(i);
            }
        }
        set
    }

    /// Pairs of routes whose requests no IAM policy can allow exactly
    /// together, because a `*` in one reaches requests of the other (or of
    /// API resources that are not in the table) and only a Deny can cut it
    /// back. A token that may call one of them gets a policy that, when
    /// cached, denies the other's requests (403) unless that is the called
    /// route; nothing outside the permitted routes is ever allowed. A pair
    /// of one route with itself: its own denial also covers some of its requests.
    pub fn inexact(&self) -> impl Iterator<Item = (&Route, &Route)> + '_ {
        self.planner
            .inexact
            .iter()
            .map(|&(a, b)| (&self.routes[a], &self.routes[b]))
    }

    /// The policy for a token that may call `permitted`, answering a call
    /// of `request` (`METHOD/path`, the method ARN after its stage prefix)
    /// that `called` serves.
    ///
    /// Replayed on any method ARN of the stage, the policy never allows a
    /// request that no configured route serves, nor one whose route is not
    /// permitted; `request` itself is allowed exactly when its route is
    /// permitted. Where IAM cannot express the permitted routes exactly
    /// ([`RouteTable::inexact`]), routes other than the called one are left
    /// out rather than over-allowed.
    pub fn policy<'a>(
        &'a self,
        permitted: &RouteSet,
        called: Option<usize>,
        request: &'a str,
    ) -> PolicyPlan<'a> {
        self.planner.plan(&self.routes, permitted, called, request)
    }
}

/// Fails on the first route that matches exactly the requests of an earlier one.
fn refuse_duplicates(routes: &[Route]) -> Result<(), RouteError> {
    let mut shapes: HashMap<(Method, Vec<Option<&str>>), usize> =
        HashMap::with_capacity(routes.len());
    for (i, route) in routes.iter().enumerate() {
        if let Some(&first) = shapes.get(&(route.method, shape(&route.segments))) {
            return Err(RouteError::Duplicate(
                routes[first].key.clone(),
                route.key.clone(),
            ));
        }
        shapes.insert((route.method, shape(&route.segments)), i);
    }
    Ok(())
}
