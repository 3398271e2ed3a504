//! Each configured scope's bit: a route's scopes become a bit mask, so
//! testing a token against a route is one AND per 64 scopes.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::route::Route;
use super::scope_hasher::ScopeHasher;

/// The bit of every scope some route needs, in order of first mention.
#[derive(Debug, Clone)]
pub(super) struct ScopeIndex {
    bits: HashMap<String, usize, BuildHasherDefault<ScopeHasher>>,
    words: usize,
}

impl ScopeIndex {
    /// Numbers the scopes of `routes` and sets each route's required mask.
    pub(super) fn new(routes: &mut [Route]) -> Self {
        let mut bits: HashMap<String, usize, BuildHasherDefault<ScopeHasher>> = HashMap::default();
        for scope in routes.iter().flat_map(|r| &r.scopes) {
            let next = bits.len();
            bits.entry(scope.clone()).or_insert(next);
        }
        let words = bits.len().div_ceil(64).max(1);
        for route in routes.iter_mut() {
            route.required = vec![0; words];
            for scope in &route.scopes {
                let bit = bits[scope];
                route.required[bit / 64] |= 1 << (bit % 64);
            }
        }
        Self { bits, words }
    }

    /// The bit of `scope`, if a route needs it.
    pub(super) fn bit(&self, scope: &str) -> Option<usize> {
        self.bits.get(scope).copied()
    }

    /// How many 64-bit words a mask of these scopes takes.
    pub(super) fn words(&self) -> usize {
        self.words
    }
}
