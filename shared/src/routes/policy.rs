//! Planning a token's IAM policy: what start-up works out once (which
//! routes' requests another route's pattern reaches, with a prefix tree of
//! the paths), and the allow and deny patterns for one token's call.

use super::method::Method;
use super::patterns::{
    EMPTY_SEGMENT_DENIALS, MethodPatterns, depth_denials, glob_match, reaches_root,
};
use super::route::{Route, most_specific};
use super::route_set::RouteSet;
use super::trie::{Trie, Unit};

/// What a policy must allow and deny, as patterns relative to the stage
/// prefix of the called method ARN (`<prefix>/<pattern>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlan<'a> {
    /// Allowed patterns; empty if the token may call nothing.
    pub allow: Vec<&'a str>,
    /// Denied patterns, sorted; an explicit Deny wins over any Allow.
    pub deny: Vec<&'a str>,
}

/// What start-up works out about a table for planning policies.
#[derive(Debug, Clone)]
pub(super) struct Planner {
    /// For each route, its patterns per concrete method served.
    patterns: Vec<Vec<MethodPatterns>>,
    /// For each route, the more specific routes that take some of its
    /// requests (their patterns must be denied when they are not permitted).
    preempted_by: Vec<Vec<usize>>,
    /// For each concrete method (in [`Method::CONCRETE`] order), the route serving `/`.
    root_route: [Option<usize>; 7],
    /// Pairs of routes that no IAM policy can allow exactly together,
    /// sorted, each as (lower index, higher index).
    pub(super) inexact: Vec<(usize, usize)>,
}

impl Planner {
    /// Analyses `routes`: close to linear in their number, as the routes a
    /// pattern reaches are found by walking a prefix tree of the paths (a
    /// route whose first segment is a parameter is compared with every
    /// route, so tables of many such routes cost more).
    pub(super) fn new(routes: &[Route]) -> Self {
        let mut trie = Trie::new();
        for (i, route) in routes.iter().enumerate() {
            trie.insert(&route.segments, i);
        }
        let mut inexact = Vec::new();
        let mut patterns = Vec::with_capacity(routes.len());
        let mut preempted_by = Vec::with_capacity(routes.len());
        for (r, route) in routes.iter().enumerate() {
            preempted_by.push(preempting(&trie, routes, r));
            let depth = depth_denials(&route.segments);
            for (_, units) in &depth {
                inexact.extend(
                    trie.intersecting(units)
                        .into_iter()
                        .filter(|&p| routes[p].method.meets(route.method))
                        .map(|p| (r, p)),
                );
            }
            patterns.push(MethodPatterns::of(route, &depth));
        }
        inexact.extend(denied_for_others(routes, &preempted_by));
        let mut inexact: Vec<(usize, usize)> = inexact
            .into_iter()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        inexact.sort_unstable();
        inexact.dedup();
        Self {
            patterns,
            preempted_by,
            root_route: Method::CONCRETE.map(|m| most_specific(routes, m.as_str(), "")),
            inexact,
        }
    }

    /// The policy for a token that may call `permitted` of `routes` (the
    /// routes this planner was made from), answering `request` that
    /// `called` serves; see [`super::RouteTable::policy`].
    pub(super) fn plan<'a>(
        &'a self,
        routes: &[Route],
        permitted: &RouteSet,
        called: Option<usize>,
        request: &'a str,
    ) -> PolicyPlan<'a> {
        let called_permitted = called.is_some_and(|c| permitted.contains(c));
        let mut allow: Vec<&'a str> = Vec::new();
        let mut deny: Vec<&'a str> = Vec::new();
        let mut wildcards = false;
        for (r, route) in routes.iter().enumerate() {
            if !permitted.contains(r) {
                continue;
            }
            let reaches_root = reaches_root(&route.segments);
            for patterns in &self.patterns[r] {
                let own = deny.len();
                deny.extend(patterns.depth.iter().map(String::as_str));
                for &q in &self.preempted_by[r] {
                    if !permitted.contains(q)
                        && let Some(theirs) = self.patterns[q]
                            .iter()
                            .find(|p| p.method == patterns.method)
                    {
                        deny.push(&theirs.allow);
                    }
                }
                if reaches_root && !self.root_is_permitted(patterns.method, permitted) {
                    deny.push(patterns.method.root_pattern());
                }
                // A denial that would refuse the permitted call goes, and
                // with it the allowance that needed it.
                if called_permitted && deny[own..].iter().any(|d| glob_match(d, request)) {
                    deny.truncate(own);
                    continue;
                }
                wildcards |= patterns.allow.contains('*');
                allow.push(&patterns.allow);
            }
        }
        if called_permitted
            && !allow.iter().any(|a| glob_match(a, request))
            && !request.contains(['*', '?'])
        {
            allow.push(request);
        }
        if wildcards {
            deny.extend(EMPTY_SEGMENT_DENIALS);
        }
        deny.sort_unstable();
        deny.dedup();
        PolicyPlan { allow, deny }
    }

    fn root_is_permitted(&self, method: Method, permitted: &RouteSet) -> bool {
        Method::CONCRETE
            .iter()
            .position(|&m| m == method)
            .and_then(|i| self.root_route[i])
            .is_some_and(|root| permitted.contains(root))
    }
}

/// The routes more specific than route `r` that take some of its requests.
fn preempting(trie: &Trie, routes: &[Route], r: usize) -> Vec<usize> {
    let route = &routes[r];
    let units: Vec<Unit<'_>> = route.segments.iter().map(Unit::of).collect();
    let specificity = route.specificity();
    trie.intersecting(&units)
        .into_iter()
        .filter(|&q| {
            q != r && routes[q].method.meets(route.method) && routes[q].specificity() > specificity
        })
        .collect()
}

/// The pairs a route denied on another's behalf makes inexact: it is denied
/// with its whole pattern, which also covers the more specific routes inside it.
fn denied_for_others(routes: &[Route], preempted_by: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let mut denied = vec![false; routes.len()];
    for &q in preempted_by.iter().flatten() {
        denied[q] = true;
    }
    let mut pairs = Vec::new();
    for (q, more_specific) in preempted_by.iter().enumerate() {
        if denied[q] {
            pairs.extend(more_specific.iter().map(|&p| (q, p)));
            // `GET/*` also covers the root path `GET/`.
            if reaches_root(&routes[q].segments) {
                let root = routes.iter().position(|p| p.segments.is_empty());
                pairs.extend(root.map(|p| (q, p)));
            }
        }
    }
    pairs
}
