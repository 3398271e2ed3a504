//! The route table: the configured routes, which one serves a request, and
//! which a token's scopes permit; policies are planned by [`Planner`].

use std::collections::HashMap;

use super::entries::parse_entries;
use super::error::RouteError;
use super::method::Method;
use super::policy::{Planner, PolicyPlan};
use super::route::{Route, Specificity, most_specific};
use super::route_set::RouteSet;
use super::scope_index::ScopeIndex;
use super::segment::shape;
use crate::scopes::Scopes;

/// The routes of an API and the scopes each one needs.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
    scopes: ScopeIndex,
    planner: Planner,
}

impl RouteTable {
    /// Parses a `ROUTE_SCOPES` JSON object.
    pub fn from_json(json: &str) -> Result<Self, RouteError> {
        let entries = parse_entries(json)?;
        Self::new(entries)
    }

    /// Builds a table from `("METHOD /path", scopes)` pairs.
    ///
    /// Close to linear in the number of routes: duplicates are found by
    /// hashing, and the routes a pattern reaches by walking a prefix tree of
    /// the paths (a route whose first segment is a parameter is compared
    /// with every route, so tables of many such routes cost more).
    pub fn new(entries: Vec<(String, Vec<String>)>) -> Result<Self, RouteError> {
        if entries.is_empty() {
            return Err(RouteError::Empty);
        }
        let mut routes = entries
            .into_iter()
            .map(|(key, scopes)| Route::parse(key, scopes))
            .collect::<Result<Vec<_>, _>>()?;
        refuse_duplicates(&routes)?;
        let scopes = ScopeIndex::new(&mut routes);
        let planner = Planner::new(&routes);
        Ok(Self {
            routes,
            scopes,
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

    /// The routes whose every required scope is in `scopes`.
    ///
    /// Linear in the number of scopes plus the number of routes: each token
    /// scope is looked up once, then each route is a bit-mask test.
    pub fn permitted(&self, scopes: Scopes<'_>) -> RouteSet {
        // Up to 256 configured scopes fit on the stack.
        let mut inline = [0u64; 4];
        let mut heap = Vec::new();
        let held: &mut [u64] = match inline.get_mut(..self.scopes.words()) {
            Some(words) => words,
            None => {
                heap.resize(self.scopes.words(), 0);
                &mut heap
            }
        };
        for scope in scopes.iter() {
            if let Some(bit) = self.scopes.bit(scope) {
                held[bit / 64] |= 1 << (bit % 64);
            }
        }
        let mut set = RouteSet::empty(self.routes.len());
        for (i, route) in self.routes.iter().enumerate() {
            if route
                .required
                .iter()
                .zip(held.iter())
                .all(|(r, h)| r & !h == 0)
            {
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
