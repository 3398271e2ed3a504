//! Route paths as segments: literals, `{name}` (or `*`) for exactly one
//! segment, a final `{name+}` for one or more; how they are parsed, ranked
//! and compared for duplicates.

use super::error::RouteError;

/// One segment of a route path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Segment {
    /// Exactly this text.
    Literal(String),
    /// `{name}` or `*`: exactly one segment.
    Param,
    /// `{name+}`: one or more segments, last only.
    Greedy,
}

impl Segment {
    /// Higher is more specific; API Gateway prefers literals, then
    /// parameters, then greedy parameters.
    pub(super) fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 2,
            Segment::Param => 1,
            Segment::Greedy => 0,
        }
    }
}

/// What makes two paths match the same requests: their literals, with
/// parameters of any name alike.
pub(super) fn shape(segments: &[Segment]) -> Vec<Option<&str>> {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(lit) => Some(lit.as_str()),
            Segment::Param => None,
            Segment::Greedy => Some("+"),
        })
        .collect()
}

/// Parses the path of route `key` (after its leading `/`).
pub(super) fn parse_segments(key: &str, path: &str) -> Result<Vec<Segment>, RouteError> {
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
