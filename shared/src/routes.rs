//! The route table: which scopes each API route needs.
//!
//! Parsed from a JSON object such as
//! `{"GET /book":["API/book.get"],"DELETE /book/{id}":["API/book.delete","API/admin"]}`.
//! Every listed scope is required. `{name}` and `*` match exactly one path
//! segment, `{name+}` one or more (last segment only); `ANY` matches every
//! method; paths are case-sensitive. Routes that are not listed are denied.
//!
//! The table also plans the IAM policy for a token ([`RouteTable::policy`]):
//! what start-up can work out once (which routes' requests another route's
//! pattern reaches) is worked out in [`RouteTable::new`], with a prefix tree
//! of the paths, so building the table stays close to linear in its size.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use thiserror::Error;

use crate::Scopes;
use crate::route_trie::{Trie, Unit};

/// HTTP methods API Gateway routes on, plus `ANY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Every method.
    Any,
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// Every concrete method (not `ANY`).
    pub const CONCRETE: [Method; 7] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
    ];

    /// Parses an upper-case method name, as API Gateway writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "ANY" => Method::Any,
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }

    /// The method's name (`ANY` for [`Method::Any`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Any => "ANY",
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// How the method appears in an execute-api ARN (`*` for `ANY`).
    pub fn arn_str(self) -> &'static str {
        match self {
            Method::Any => "*",
            other => other.as_str(),
        }
    }

    fn matches(self, method: &str) -> bool {
        match self {
            // API Gateway's ANY: the concrete methods, not any string.
            Method::Any => Method::parse(method).is_some_and(|m| m != Method::Any),
            named => named.as_str() == method,
        }
    }

    /// The concrete methods a route with this method serves.
    fn served(self) -> &'static [Method] {
        match self {
            Method::Any => &Method::CONCRETE,
            Method::Get => &[Method::Get],
            Method::Post => &[Method::Post],
            Method::Put => &[Method::Put],
            Method::Patch => &[Method::Patch],
            Method::Delete => &[Method::Delete],
            Method::Head => &[Method::Head],
            Method::Options => &[Method::Options],
        }
    }

    /// True if some request is served by both methods.
    fn meets(self, other: Method) -> bool {
        self == other || self == Method::Any || other == Method::Any
    }

    /// The policy pattern of the API's root path for this method, e.g. `GET/`.
    fn root_pattern(self) -> &'static str {
        match self {
            Method::Any => "*/",
            Method::Get => "GET/",
            Method::Post => "POST/",
            Method::Put => "PUT/",
            Method::Patch => "PATCH/",
            Method::Delete => "DELETE/",
            Method::Head => "HEAD/",
            Method::Options => "OPTIONS/",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Segment {
    Literal(String),
    /// `{name}` or `*`: exactly one segment.
    Param,
    /// `{name+}`: one or more segments, last only.
    Greedy,
}

impl Segment {
    /// Higher is more specific; API Gateway prefers literals, then
    /// parameters, then greedy parameters.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 2,
            Segment::Param => 1,
            Segment::Greedy => 0,
        }
    }
}

/// One configured route and the scopes it needs.
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
    segments: Vec<Segment>,
    required: Vec<u64>,
}

impl Route {
    /// True if a request with `method` on `path` (with or without the
    /// leading `/`) is served by this route's pattern.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.matches(method) && self.matches_path(path)
    }

    fn matches_path(&self, path: &str) -> bool {
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
    fn has_template(&self, path: &str) -> bool {
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
    fn specificity(&self) -> Specificity<'_> {
        Specificity(&self.segments, self.method != Method::Any)
    }
}

/// How specific a route is: its segments' ranks, compared lexicographically
/// (without collecting them), then a named method over `ANY`.
struct Specificity<'a>(&'a [Segment], bool);

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

/// A set of routes (by index in the table), e.g. the routes a token may call.
///
/// Tables of up to 128 routes keep the set inline, so deciding allocates nothing for it.
#[derive(Clone)]
pub struct RouteSet(Words);

#[derive(Clone)]
enum Words {
    Inline { words: [u64; 2], len: usize },
    Heap(Vec<u64>),
}

impl RouteSet {
    fn empty(len: usize) -> Self {
        let words = len.div_ceil(64);
        Self(if words <= 2 {
            Words::Inline {
                words: [0; 2],
                len: words,
            }
        } else {
            Words::Heap(vec![0; words])
        })
    }

    fn words(&self) -> &[u64] {
        match &self.0 {
            Words::Inline { words, len } => words.get(..*len).unwrap_or_default(),
            Words::Heap(words) => words,
        }
    }

    fn insert(&mut self, index: usize) {
        let words: &mut [u64] = match &mut self.0 {
            Words::Inline { words, len } => words.get_mut(..*len).unwrap_or_default(),
            Words::Heap(words) => words,
        };
        if let Some(word) = words.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    /// True if the route with this index is in the set.
    pub fn contains(&self, index: usize) -> bool {
        self.words()
            .get(index / 64)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    /// True if no route is in the set.
    pub fn is_empty(&self) -> bool {
        self.words().iter().all(|w| *w == 0)
    }
}

impl PartialEq for RouteSet {
    fn eq(&self, other: &Self) -> bool {
        self.words() == other.words()
    }
}

impl Eq for RouteSet {}

impl fmt::Debug for RouteSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RouteSet").field(&self.words()).finish()
    }
}

/// Why a route table could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RouteError {
    /// Not a JSON object of string lists, or a key appears twice.
    #[error("not a JSON object from \"METHOD /path\" to a list of scopes: {0}")]
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
    /// Two routes match exactly the same requests.
    #[error("routes {0:?} and {1:?} match the same requests")]
    Duplicate(String, String),
}

/// The policy patterns of one route for one concrete method, relative to the
/// stage prefix of a method ARN.
#[derive(Debug, Clone)]
struct MethodPatterns {
    method: Method,
    /// The route's pattern, e.g. `GET/book/*`: parameters written as `*`.
    allow: String,
    /// Denials that cut what `allow` reaches through IAM's `*` (which also
    /// matches `/`) back to the route's own shape, e.g. `GET/book/*/*`.
    depth: Vec<String>,
}

/// What a policy must allow and deny, as patterns relative to the stage
/// prefix of the called method ARN (`<prefix>/<pattern>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlan<'a> {
    /// Allowed patterns; empty if the token may call nothing.
    pub allow: Vec<&'a str>,
    /// Denied patterns, sorted; an explicit Deny wins over any Allow.
    pub deny: Vec<&'a str>,
}

/// Deny patterns for method ARNs with an empty path segment (`GET/a//b`,
/// `GET/a/`): no route serves them, but a `*` matches the empty string.
const EMPTY_SEGMENT_DENIALS: [&str; 2] = ["*//*", "*/*/"];

/// The routes of an API and the scopes each one needs.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
    scope_bits: HashMap<String, usize, BuildHasherDefault<ScopeHasher>>,
    scope_words: usize,
    /// For each route, its patterns per concrete method served.
    patterns: Vec<Vec<MethodPatterns>>,
    /// For each route, the more specific routes that take some of its
    /// requests (their patterns must be denied when they are not permitted).
    preempted_by: Vec<Vec<usize>>,
    /// For each concrete method (in [`Method::CONCRETE`] order), the route serving `/`.
    root_route: [Option<usize>; 7],
    /// Pairs of routes that no IAM policy can allow exactly together (see [`RouteTable::inexact`]).
    inexact: Vec<(usize, usize)>,
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
        let mut scope_bits = HashMap::default();
        let mut parsed = Vec::with_capacity(entries.len());
        for (key, scopes) in entries {
            let (method, path) = key
                .split_once(' ')
                .and_then(|(m, p)| Some((Method::parse(m)?, p)))
                .filter(|(_, p)| p.starts_with('/'))
                .ok_or_else(|| RouteError::Key(key.clone()))?;
            let segments = parse_segments(&key, path)?;
            for scope in &scopes {
                if scope.is_empty() || scope.chars().any(char::is_whitespace) {
                    return Err(RouteError::Scope {
                        route: key.clone(),
                        scope: scope.clone(),
                    });
                }
                let next = scope_bits.len();
                scope_bits.entry(scope.clone()).or_insert(next);
            }
            parsed.push(Route {
                method,
                path: path.to_string(),
                key,
                scopes,
                segments,
                required: Vec::new(),
            });
        }
        let scope_words = scope_bits.len().div_ceil(64).max(1);
        for route in &mut parsed {
            route.required = vec![0; scope_words];
            for scope in &route.scopes {
                let bit = scope_bits[scope];
                route.required[bit / 64] |= 1 << (bit % 64);
            }
        }
        let mut shapes: HashMap<(Method, Vec<Option<&str>>), usize> =
            HashMap::with_capacity(parsed.len());
        for (i, route) in parsed.iter().enumerate() {
            if let Some(&first) = shapes.get(&(route.method, shape(&route.segments))) {
                return Err(RouteError::Duplicate(
                    parsed[first].key.clone(),
                    route.key.clone(),
                ));
            }
            shapes.insert((route.method, shape(&route.segments)), i);
        }
        drop(shapes);

        let mut trie = Trie::new();
        for (i, route) in parsed.iter().enumerate() {
            trie.insert(&route.segments, i);
        }
        let mut inexact = Vec::new();
        let mut patterns = Vec::with_capacity(parsed.len());
        let mut preempted_by = Vec::with_capacity(parsed.len());
        for (r, route) in parsed.iter().enumerate() {
            let units: Vec<Unit<'_>> = route.segments.iter().map(Segment::unit).collect();
            let specificity = route.specificity();
            preempted_by.push(
                trie.intersecting(&units)
                    .into_iter()
                    .filter(|&q| {
                        q != r
                            && parsed[q].method.meets(route.method)
                            && parsed[q].specificity() > specificity
                    })
                    .collect::<Vec<_>>(),
            );
            let depth = depth_denials(&route.segments);
            for (_, units) in &depth {
                inexact.extend(
                    trie.intersecting(units)
                        .into_iter()
                        .filter(|&p| parsed[p].method.meets(route.method))
                        .map(|p| (r, p)),
                );
            }
            let glob = glob_path(&route.segments);
            patterns.push(
                route
                    .method
                    .served()
                    .iter()
                    .map(|&m| MethodPatterns {
                        method: m,
                        allow: format!("{}/{glob}", m.as_str()),
                        depth: depth
                            .iter()
                            .map(|(d, _)| format!("{}/{d}", m.as_str()))
                            .collect(),
                    })
                    .collect::<Vec<_>>(),
            );
        }
        // A route denied on another's behalf is denied with its whole
        // pattern, which also covers the more specific routes inside it.
        let mut denied_for_others = vec![false; parsed.len()];
        for &q in preempted_by.iter().flatten() {
            denied_for_others[q] = true;
        }
        for (q, more_specific) in preempted_by.iter().enumerate() {
            if denied_for_others[q] {
                inexact.extend(more_specific.iter().map(|&p| (q, p)));
                // `GET/*` also covers the root path `GET/`.
                if reaches_root(&parsed[q].segments) {
                    let root = parsed.iter().position(|p| p.segments.is_empty());
                    inexact.extend(root.map(|p| (q, p)));
                }
            }
        }
        let mut inexact: Vec<(usize, usize)> = inexact
            .into_iter()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        inexact.sort_unstable();
        inexact.dedup();

        let mut table = Self {
            routes: parsed,
            scope_bits,
            scope_words,
            patterns,
            preempted_by,
            root_route: [None; 7],
            inexact,
        };
        table.root_route = Method::CONCRETE.map(|m| table.find(m.as_str(), ""));
        Ok(table)
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
        self.routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(method, path))
            .max_by(|(_, a), (_, b)| a.specificity().cmp(&b.specificity()))
            .map(|(i, _)| i)
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

    /// The routes whose every required scope is in `scopes`.
    ///
    /// Linear in the number of scopes plus the number of routes: each token
    /// scope is looked up once, then each route is a bit-mask test.
    pub fn permitted(&self, scopes: Scopes<'_>) -> RouteSet {
        // Up to 256 configured scopes fit on the stack.
        let mut inline = [0u64; 4];
        let mut heap = Vec::new();
        let held: &mut [u64] = match inline.get_mut(..self.scope_words) {
            Some(words) => words,
            None => {
                heap.resize(self.scope_words, 0);
                &mut heap
            }
        };
        for scope in scopes.iter() {
            if let Some(&bit) = self.scope_bits.get(scope) {
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
        self.inexact
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
        let called_permitted = called.is_some_and(|c| permitted.contains(c));
        let mut allow: Vec<&'a str> = Vec::new();
        let mut deny: Vec<&'a str> = Vec::new();
        let mut wildcards = false;
        for (r, route) in self.routes.iter().enumerate() {
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

impl Segment {
    fn unit(&self) -> Unit<'_> {
        match self {
            Segment::Literal(lit) => Unit::Lit(lit),
            Segment::Param => Unit::One,
            Segment::Greedy => Unit::Plus,
        }
    }
}

/// True if the route's pattern is `METHOD/*`, which also matches the root path `METHOD/`.
fn reaches_root(segments: &[Segment]) -> bool {
    matches!(segments, [Segment::Param | Segment::Greedy])
}

/// The path part of a route's pattern: literals, and `*` for parameters.
fn glob_path(segments: &[Segment]) -> String {
    let parts: Vec<&str> = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(lit) => lit.as_str(),
            Segment::Param | Segment::Greedy => "*",
        })
        .collect();
    parts.join("/")
}

/// The denials that cut a route's pattern back to its own shape: for each
/// `{name}` whose `*` could take two or more segments where the route takes
/// one, the pattern with that `*` doubled (`book/*/*` for `/book/{id}`).
/// None is needed for a `{name}` followed only by parameters up to a final
/// `{name+}`: whatever extra segments its `*` takes, the `{name+}` could.
/// Each comes with its units, to find the routes it reaches.
fn depth_denials(segments: &[Segment]) -> Vec<(String, Vec<Unit<'_>>)> {
    let ends_greedy = matches!(segments.last(), Some(Segment::Greedy));
    let mut out = Vec::new();
    for (j, segment) in segments.iter().enumerate() {
        if *segment != Segment::Param {
            continue;
        }
        let absorbed = ends_greedy
            && segments[j + 1..]
                .iter()
                .all(|s| !matches!(s, Segment::Literal(_)));
        if absorbed {
            continue;
        }
        let mut units = Vec::with_capacity(segments.len() + 1);
        let mut parts = Vec::with_capacity(segments.len() + 1);
        for (k, s) in segments.iter().enumerate() {
            let unit = match s {
                Segment::Literal(lit) => Unit::Lit(lit),
                Segment::Param | Segment::Greedy => Unit::Plus,
            };
            units.push(unit);
            parts.push(match s {
                Segment::Literal(lit) => lit.as_str(),
                _ => "*",
            });
            if k == j {
                units.push(Unit::Plus);
                parts.push("*");
            }
        }
        out.push((parts.join("/"), units));
    }
    out
}

/// IAM matching for the patterns the table writes: `*` matches any run of
/// characters (also `/`); they contain no `?`.
fn glob_match(pattern: &str, value: &str) -> bool {
    let (p, v) = (pattern.as_bytes(), value.as_bytes());
    let (mut pi, mut vi) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && p[pi] == b'*' {
            backtrack = Some((pi, vi));
            pi += 1;
        } else if pi < p.len() && p[pi] == v[vi] {
            pi += 1;
            vi += 1;
        } else if let Some((star, absorbed)) = backtrack {
            pi = star + 1;
            vi = absorbed + 1;
            backtrack = Some((star, absorbed + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The hash of the scope table: FxHash's word-at-a-time mixing. The table is
/// built from configuration and never grows at run time, so the strings a
/// token brings can only be looked up, never make the table degrade; the
/// keyed SipHash of `HashMap`'s default would buy nothing here but time (it
/// is most of the cost of matching a token with many scopes).
#[derive(Debug, Clone, Copy, Default)]
struct ScopeHasher(u64);

impl ScopeHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for ScopeHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        // The table indexes buckets by the low bits; the multiply mixes upwards.
        self.0.rotate_left(26)
    }
}

fn shape(segments: &[Segment]) -> Vec<Option<&str>> {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(lit) => Some(lit.as_str()),
            Segment::Param => None,
            Segment::Greedy => Some("+"),
        })
        .collect()
}

fn parse_segments(key: &str, path: &str) -> Result<Vec<Segment>, RouteError> {
    let body = &path[1..];
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = body.split('/').collect();
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let bad = || RouteError::Segment {
                route: key.to_string(),
                segment: (*part).to_string(),
            };
            if *part == "*" {
                return Ok(Segment::Param);
            }
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let (name, greedy) = match name.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (name, false),
                };
                let valid =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                return match (valid, greedy) {
                    (true, false) => Ok(Segment::Param),
                    (true, true) if i == last => Ok(Segment::Greedy),
                    _ => Err(bad()),
                };
            }
            let reserved = |c: char| matches!(c, '{' | '}' | '*' | '?') || c.is_whitespace();
            if part.is_empty() || part.contains(reserved) {
                return Err(bad());
            }
            Ok(Segment::Literal((*part).to_string()))
        })
        .collect()
}

/// Reads the JSON object into ordered pairs, rejecting duplicate keys
/// (a plain map would silently keep the last one).
fn parse_entries(json: &str) -> Result<Vec<(String, Vec<String>)>, RouteError> {
    struct Entries(Vec<(String, Vec<String>)>);
    impl<'de> de::Deserialize<'de> for Entries {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Entries;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object from \"METHOD /path\" to a list of scopes")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                    let mut out: Vec<(String, Vec<String>)> = Vec::new();
                    let mut keys = HashSet::new();
                    while let Some((key, scopes)) = map.next_entry::<String, Vec<String>>()? {
                        if !keys.insert(key.clone()) {
                            return Err(de::Error::custom(format!("duplicate route {key:?}")));
                        }
                        out.push((key, scopes));
                    }
                    Ok(Entries(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Entries>(json)
        .map(|e| e.0)
        .map_err(|e| RouteError::Json(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let t =
            table(r#"{"GET /":[],"GET /book/{id}":[],"ANY /files/{path+}":[],"GET /a/*/c":[]}"#);
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
            &t.permitted(Scopes::new(scope)),
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
    fn glob_matching_follows_iam_for_star_patterns() {
        let cases = [
            ("GET/book/*", "GET/book/1", true),
            ("GET/book/*", "GET/book/1/2", true),
            ("GET/book/*", "GET/book", false),
            ("GET/book/*/*", "GET/book/1", false),
            ("GET/book/*/*", "GET/book/1/2", true),
            ("*/*/", "GET/", false),
            ("*/*/", "GET/a/", true),
            ("*//*", "GET/a//b", true),
            ("GET/ä/*", "GET/ä/ö", true),
        ];
        for (pattern, value, expected) in cases {
            assert_eq!(glob_match(pattern, value), expected, "{pattern} ~ {value}");
            assert_eq!(
                crate::iam::wildcard_match(pattern, value),
                expected,
                "{pattern} ~ {value}"
            );
        }
    }

    #[test]
    fn permitted_requires_every_scope_exactly() {
        let t = table(SEEDS);
        let allowed = |scope: &str| -> Vec<&str> {
            let set = t.permitted(Scopes::new(scope));
            (0..t.routes().len())
                .filter(|i| set.contains(*i))
                .map(|i| t.routes()[i].key.as_str())
                .collect()
        };
        assert_eq!(allowed("API/book.get"), ["GET /book", "GET /book/{id}"]);
        assert_eq!(allowed("API/book.gets API/Book.get"), Vec::<&str>::new());
        assert_eq!(allowed("API/book.delete"), Vec::<&str>::new());
        assert_eq!(allowed("API/admin API/book.delete"), ["DELETE /book/{id}"]);
        assert!(t.permitted(Scopes::new("")).is_empty());
    }

    #[test]
    fn routes_without_scopes_need_only_a_valid_token() {
        let t = table(r#"{"GET /health":[],"GET /x":["s"]}"#);
        let set = t.permitted(Scopes::new(""));
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
        let set = t.permitted(Scopes::new(scope));
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
}
