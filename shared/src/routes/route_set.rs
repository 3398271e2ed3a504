//! Sets of routes as bit sets: what a token may call, tested per route in
//! one instruction and, for tables of up to 128 routes, without allocating.

use std::fmt;

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
    /// No route of a table of `len` routes.
    pub(super) fn empty(len: usize) -> Self {
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

    pub(super) fn insert(&mut self, index: usize) {
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
