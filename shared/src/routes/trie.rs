//! A prefix tree of route paths, for finding, at start-up and in time
//! proportional to what is found, the routes whose requests a pattern reaches.
//!
//! A path is a list of units (segments). Route segments are literals, `{name}`
//! (exactly one unit) and a final `{name+}` (one or more). Queries are unit
//! patterns of the same three kinds; an IAM `*` between `/` is a [`Unit::Plus`]
//! (it matches across `/`, so one or more units).

use std::collections::{HashMap, HashSet};

use super::segment::Segment;

/// One unit of a query pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit<'a> {
    /// Exactly this segment.
    Lit(&'a str),
    /// Exactly one segment, any value.
    One,
    /// One or more segments, any values.
    Plus,
}

impl<'a> Unit<'a> {
    /// The unit that matches what `segment` matches.
    pub(super) fn of(segment: &'a Segment) -> Self {
        match segment {
            Segment::Literal(lit) => Unit::Lit(lit),
            Segment::Param => Unit::One,
            Segment::Greedy => Unit::Plus,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Node {
    literals: HashMap<String, usize>,
    param: Option<usize>,
    /// Routes whose path ends at this node.
    here: Vec<usize>,
    /// Routes whose final `{name+}` starts below this node.
    greedy: Vec<usize>,
}

/// The routes of a table, by path.
#[derive(Debug, Clone)]
pub(super) struct Trie {
    nodes: Vec<Node>,
}

impl Trie {
    /// An empty tree.
    pub(super) fn new() -> Self {
        Self {
            nodes: vec![Node::default()],
        }
    }

    /// Adds route `route` with these segments.
    pub(super) fn insert(&mut self, segments: &[Segment], route: usize) {
        let mut node = 0;
        for segment in segments {
            let next = self.nodes.len();
            let child = match segment {
                Segment::Greedy => {
                    self.nodes[node].greedy.push(route);
                    return;
                }
                Segment::Param => *self.nodes[node].param.get_or_insert(next),
                Segment::Literal(lit) => {
                    *self.nodes[node].literals.entry(lit.clone()).or_insert(next)
                }
            };
            if child == next {
                self.nodes.push(Node::default());
            }
            node = child;
        }
        self.nodes[node].here.push(route);
    }

    fn children(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        let node = &self.nodes[node];
        node.literals.values().copied().chain(node.param)
    }

    /// Every route whose path pattern shares at least one request path with
    /// `query`, sorted and without repeats (methods are not looked at).
    ///
    /// A walk of the tree and the query together: the cost is the number of
    /// (node, query position) pairs that can still match.
    pub(super) fn intersecting(&self, query: &[Unit<'_>]) -> Vec<usize> {
        let mut found = Vec::new();
        // (node, units of the query consumed, the last consumed unit was a
        // `Plus` that may take more segments)
        let mut seen = Seen::default();
        let mut stack = vec![(0usize, 0usize, false)];
        while let Some(state) = stack.pop() {
            if !seen.insert(state) {
                continue;
            }
            let (node, i, in_plus) = state;
            if in_plus {
                stack.extend(self.children(node).map(|c| (c, i, true)));
            }
            let here = &self.nodes[node];
            match query.get(i) {
                None => {
                    found.extend_from_slice(&here.here);
                    if in_plus {
                        found.extend_from_slice(&here.greedy);
                    }
                }
                Some(unit) => {
                    // A `{name+}` below here takes whatever the query still needs.
                    found.extend_from_slice(&here.greedy);
                    match unit {
                        Unit::Lit(lit) => {
                            stack.extend(here.literals.get(*lit).map(|&c| (c, i + 1, false)));
                            stack.extend(here.param.map(|c| (c, i + 1, false)));
                        }
                        Unit::One => stack.extend(self.children(node).map(|c| (c, i + 1, false))),
                        Unit::Plus => stack.extend(self.children(node).map(|c| (c, i + 1, true))),
                    }
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The states a walk has visited: a short list while it is short (most
/// walks visit a handful), a hash set when it grows.
#[derive(Default)]
struct Seen {
    few: Vec<(usize, usize, bool)>,
    many: HashSet<(usize, usize, bool)>,
}

impl Seen {
    fn insert(&mut self, state: (usize, usize, bool)) -> bool {
        if self.few.len() < 32 {
            if self.few.contains(&state) {
                return false;
            }
            self.few.push(state);
            return true;
        }
        if self.few.contains(&state) {
            return false;
        }
        self.many.insert(state)
    }
}
