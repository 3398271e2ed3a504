//! The hash of the scope index: a fixed, fast hash where the keys come
//! from configuration only.

use std::hash::Hasher;

/// The hash of the scope table: FxHash's word-at-a-time mixing. The table is
/// built from configuration and never grows at run time, so the strings a
/// token brings can only be looked up, never make the table degrade; the
/// keyed SipHash of `HashMap`'s default would buy nothing here but time (it
/// is most of the cost of matching a token with many scopes).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ScopeHasher(u64);

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
