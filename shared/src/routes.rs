//! The route table: which scopes each API route needs.
//!
//! Parsed from a JSON object such as
//! `{"GET /book":["API/book.get"],"DELETE /book/{id}":["API/book.delete","API/admin"]}`.
//! Every listed scope is required. `{name}` and `*` match exactly one path
//! segment, `{name+}` one or more (last segment only); `ANY` matches every
//! method; paths are case-sensitive. Routes that are not listed are denied.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use thiserror::Error;

use crate::Scopes;
use crate::iam::wildcard_match;

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
        self == Method::Any || self.as_str() == method
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
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
    /// The route's part of an execute-api ARN after the stage,
    /// e.g. `GET/book/*`: parameters are written as `*`.
    pub resource: String,
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
                    return parts.next().is_some_and(|p| !p.is_empty());
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

    /// Ordering key: more specific routes compare greater.
    fn specificity(&self) -> (Vec<u8>, bool) {
        (
            self.segments.iter().map(Segment::rank).collect(),
            self.method != Method::Any,
        )
    }

    /// A request this route (and no more specific one) could serve; used to
    /// find where another route's wildcard pattern reaches into this one.
    fn sample_paths(&self) -> String {
        // `{}` can never be a literal, so it stands for any parameter value.
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(lit) => out.push_str(lit),
                Segment::Param | Segment::Greedy => out.push_str("{}"),
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }
}

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

/// The routes of an API and the scopes each one needs.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
    scope_bits: HashMap<String, usize, BuildHasherDefault<ScopeHasher>>,
    scope_words: usize,
    /// For each route, the routes whose ARN pattern also matches its requests.
    overlapped_by: Vec<Vec<usize>>,
}

impl RouteTable {
    /// Parses a `ROUTE_SCOPES` JSON object.
    pub fn from_json(json: &str) -> Result<Self, RouteError> {
        let entries = parse_entries(json)?;
        Self::new(entries)
    }

    /// Builds a table from `("METHOD /path", scopes)` pairs.
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
            let mut resource = String::from(method.arn_str());
            resource.push('/');
            let pattern: Vec<&str> = segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(lit) => lit.as_str(),
                    Segment::Param | Segment::Greedy => "*",
                })
                .collect();
            resource.push_str(&pattern.join("/"));
            parsed.push(Route {
                key: key.clone(),
                method,
                path: path.to_string(),
                scopes,
                resource,
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
        for (i, a) in parsed.iter().enumerate() {
            for b in &parsed[i + 1..] {
                if a.method == b.method && shape(&a.segments) == shape(&b.segments) {
                    return Err(RouteError::Duplicate(a.key.clone(), b.key.clone()));
                }
            }
        }
        let mut table = Self {
            routes: parsed,
            scope_bits,
            scope_words,
            overlapped_by: Vec::new(),
        };
        table.overlapped_by = table.find_overlaps();
        Ok(table)
    }

    /// The routes, in configuration order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route that serves `method` on `path`, chosen as API Gateway
    /// does: the most specific path, then a named method over `ANY`.
    pub fn find(&self, method: &str, path: &str) -> Option<usize> {
        self.routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(method, path))
            .max_by(|(_, a), (_, b)| a.specificity().cmp(&b.specificity()))
            .map(|(i, _)| i)
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

    /// Routes outside `permitted` that a permitted route's ARN pattern would
    /// still reach (IAM's `*` also matches `/`), so they need an explicit Deny.
    pub fn overlapped_denials<'a>(
        &'a self,
        permitted: &'a RouteSet,
    ) -> impl Iterator<Item = &'a Route> + 'a {
        self.routes
            .iter()
            .enumerate()
            .filter_map(move |(i, route)| {
                let reached = !permitted.contains(i)
                    && self.overlapped_by[i].iter().any(|&a| permitted.contains(a));
                reached.then_some(route)
            })
    }

    fn find_overlaps(&self) -> Vec<Vec<usize>> {
        self.routes
            .iter()
            .enumerate()
            .map(|(b, route)| {
                let path = route.sample_paths();
                let methods: &[Method] = if route.method == Method::Any {
                    &Method::CONCRETE
                } else {
                    std::slice::from_ref(&route.method)
                };
                let requests: Vec<String> = methods
                    .iter()
                    .filter(|m| self.find(m.as_str(), &path) == Some(b))
                    .map(|m| format!("{}{}", m.as_str(), path))
                    .collect();
                (0..self.routes.len())
                    .filter(|&a| a != b)
                    .filter(|&a| {
                        requests
                            .iter()
                            .any(|request| wildcard_match(&self.routes[a].resource, request))
                    })
                    .collect()
            })
            .collect()
    }
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
                    while let Some((key, scopes)) = map.next_entry::<String, Vec<String>>()? {
                        if out.iter().any(|(k, _)| *k == key) {
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
    fn resources_write_parameters_as_wildcards() {
        let t = table(r#"{"GET /":[],"ANY /book/{id}":[],"GET /files/{p+}":[],"GET /a/*":[]}"#);
        let resources: Vec<&str> = t.routes().iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(resources, ["GET/", "*/book/*", "GET/files/*", "GET/a/*"]);
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
    fn nested_parameter_routes_get_explicit_denials() {
        let t = table(
            r#"{"GET /book/{id}":["read"],"GET /book/{id}/secret":["admin"],"GET /user":["u"]}"#,
        );
        let denied = |scope: &str| -> Vec<String> {
            let set = t.permitted(Scopes::new(scope));
            t.overlapped_denials(&set).map(|r| r.key.clone()).collect()
        };
        assert_eq!(denied("read"), ["GET /book/{id}/secret"]);
        assert_eq!(denied("read admin"), Vec::<String>::new());
        assert_eq!(denied("u"), Vec::<String>::new());
    }

    #[test]
    fn any_route_overlapped_by_a_named_method_is_denied_for_it() {
        let t = table(r#"{"ANY /book":["any"],"GET /book":["get"]}"#);
        let set = t.permitted(Scopes::new("any"));
        let denied: Vec<&str> = t.overlapped_denials(&set).map(|r| r.key.as_str()).collect();
        assert_eq!(denied, ["GET /book"]);
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
