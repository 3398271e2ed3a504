//! The IAM patterns a route is written as: its path with parameters as
//! `*`, the denials that cut IAM's `*` (which also matches `/`) back to the
//! route's shape, and IAM's own matching of such patterns.

use super::method::Method;
use super::route::Route;
use super::segment::Segment;
use super::trie::Unit;

/// The policy patterns of one route for one concrete method, relative to the
/// stage prefix of a method ARN.
#[derive(Debug, Clone)]
pub(super) struct MethodPatterns {
    /// The concrete method.
    pub(super) method: Method,
    /// The route's pattern, e.g. `GET/book/*`: parameters written as `*`.
    pub(super) allow: String,
    /// Denials that cut what `allow` reaches through IAM's `*` (which also
    /// matches `/`) back to the route's own shape, e.g. `GET/book/*/*`.
    pub(super) depth: Vec<String>,
}

impl MethodPatterns {
    /// The patterns of `route` for each concrete method it serves, with its
    /// `depth` denials ([`depth_denials`]).
    pub(super) fn of(route: &Route, depth: &[(String, Vec<Unit<'_>>)]) -> Vec<Self> {
        let glob = glob_path(&route.segments);
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
            .collect()
    }
}

/// Deny patterns for method ARNs with an empty path segment (`GET/a//b`,
/// `GET/a/`): no route serves them, but a `*` matches the empty string.
pub(super) const EMPTY_SEGMENT_DENIALS: [&str; 2] = ["*//*", "*/*/"];

/// True if the route's pattern is `METHOD/*`, which also matches the root path `METHOD/`.
pub(super) fn reaches_root(segments: &[Segment]) -> bool {
    matches!(segments, [Segment::Param | Segment::Greedy])
}

/// The path part of a route's pattern: literals, and `*` for parameters.
pub(super) fn glob_path(segments: &[Segment]) -> String {
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
pub(super) fn depth_denials(segments: &[Segment]) -> Vec<(String, Vec<Unit<'_>>)> {
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
pub(super) fn glob_match(pattern: &str, value: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
