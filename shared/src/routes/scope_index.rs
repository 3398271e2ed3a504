//! Each configured scope's (or group's) bit: a route's scopes and groups
//! become bit masks, so testing a token against a route is one AND per 64
//! names. The table keeps one index for scopes and one for groups.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::scope_hasher::ScopeHasher;

/// The bit of every name (scope or group) some route needs, in order of first mention.
#[derive(Debug, Clone, Default)]
pub(super) struct ScopeIndex {
    bits: HashMap<String, usize, BuildHasherDefault<ScopeHasher>>,
    words: usize,
}

impl ScopeIndex {
    /// Numbers `names`, in order of first mention.
    pub(super) fn new<'a>(names: impl IntoIterator<Item = &'a String>) -> Self {
        let mut bits: HashMap<String, usize, BuildHasherDefault<ScopeHasher>> = HashMap::default();
        for name in names {
            let next = bits.len();
            bits.entry(name.clone()).or_insert(next);
        }
        let words = bits.len().div_ceil(64).max(1);
        Self { bits, words }
    }

    /// The mask of `names`, all of which this index numbers.
    pub(super) fn mask(&self, names: &[String]) -> Vec<u64> {
        let mut mask = vec![0; self.words];
        for bit in names.iter().filter_map(|n| self.bit(n)) {
            mask[bit / 64] |= 1 << (bit % 64);
        }
        mask
    }

    /// Sets in `held` (of [`ScopeIndex::words`] words) the bit of each of
    /// `names` that a route needs; the others are not looked at again.
    pub(super) fn hold<'a>(&self, names: impl Iterator<Item = &'a str>, held: &mut [u64]) {
        for bit in names.filter_map(|n| self.bit(n)) {
            if let Some(word) = held.get_mut(bit / 64) {
                *word |= 1 << (bit % 64);
            }
        }
    }

    /// The bit of `name`, if a route needs it.
    pub(super) fn bit(&self, name: &str) -> Option<usize> {
        self.bits.get(name).copied()
    }

    /// True if no route needs any name of this kind.
    pub(super) fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// How many 64-bit words a mask of these names takes.
    pub(super) fn words(&self) -> usize {
        self.words
    }
}
