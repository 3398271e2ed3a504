//! How the pool stores passwords: PBKDF2-HMAC-SHA256 with a random 16-byte
//! salt and [`PBKDF2_ITERATIONS`] rounds, written
//! `pbkdf2-sha256$<rounds>$<salt>$<hash>` (base64 without padding).
//!
//! The round count is a trade-off for a dev-only emulator: far below
//! OWASP's 600 000 for production, so that a sign-in in a debug build stays
//! well under a tenth of a second on a shared 2-core machine, yet a real
//! KDF, so a copied state folder does not give passwords away cheaply. Each
//! hash records its own round count, so changing the constant keeps old
//! files valid.

use std::fmt;
use std::num::NonZeroU32;

use aws_lc_rs::pbkdf2;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;

use crate::ids::RandomError;

/// PBKDF2 rounds for new hashes (see the module documentation).
pub const PBKDF2_ITERATIONS: u32 = 100_000;
/// Stored hashes with more rounds are refused: a hand-edited file must not
/// stall every sign-in.
const MAX_ITERATIONS: u32 = 10_000_000;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
const HASH_SCHEME: &str = "pbkdf2-sha256";

/// A PBKDF2-HMAC-SHA256 password hash with its salt and round count.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PasswordHash {
    iterations: NonZeroU32,
    salt: [u8; SALT_LEN],
    hash: [u8; HASH_LEN],
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

impl PasswordHash {
    /// Hashes `password` with a new salt and [`PBKDF2_ITERATIONS`] rounds.
    pub(crate) fn new(password: &str) -> Result<Self, RandomError> {
        let mut salt = [0u8; SALT_LEN];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| RandomError)?;
        let iterations = NonZeroU32::MIN.saturating_add(PBKDF2_ITERATIONS - 1);
        let mut hash = [0u8; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            &salt,
            password.as_bytes(),
            &mut hash,
        );
        Ok(Self {
            iterations,
            salt,
            hash,
        })
    }

    /// True if `password` is the hashed one; the comparison takes constant time.
    pub(crate) fn verify(&self, password: &str) -> bool {
        pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            &self.salt,
            password.as_bytes(),
            &self.hash,
        )
        .is_ok()
    }

    /// The stored form, `pbkdf2-sha256$<rounds>$<salt>$<hash>`.
    pub(crate) fn to_stored(&self) -> String {
        format!(
            "{HASH_SCHEME}${}${}${}",
            self.iterations,
            BASE64.encode(self.salt),
            BASE64.encode(self.hash)
        )
    }

    /// Reads the stored form; the error says what is wrong.
    pub(crate) fn from_stored(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('$').collect();
        let [scheme, iterations, salt, hash] = parts.as_slice() else {
            return Err(format!(
                "expected {HASH_SCHEME}$<rounds>$<salt>$<hash>, found {} part(s)",
                parts.len()
            ));
        };
        if *scheme != HASH_SCHEME {
            return Err(format!("unknown scheme {scheme:?}, expected {HASH_SCHEME}"));
        }
        let iterations = iterations
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_ITERATIONS)
            .and_then(NonZeroU32::new)
            .ok_or_else(|| format!("rounds must be 1 to {MAX_ITERATIONS}, found {iterations:?}"))?;
        let decode = |what: &str, text: &str, len: usize| -> Result<Vec<u8>, String> {
            let bytes = BASE64
                .decode(text)
                .map_err(|e| format!("the {what} is not base64 without padding: {e}"))?;
            if bytes.len() == len {
                Ok(bytes)
            } else {
                Err(format!(
                    "the {what} is {} bytes, expected {len}",
                    bytes.len()
                ))
            }
        };
        let mut out = Self {
            iterations,
            salt: [0; SALT_LEN],
            hash: [0; HASH_LEN],
        };
        out.salt.copy_from_slice(&decode("salt", salt, SALT_LEN)?);
        out.hash.copy_from_slice(&decode("hash", hash, HASH_LEN)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A password the template's policy accepts.
    const GOOD: &str = "Correct-Horse-42";

    #[test]
    fn hashes_verify_only_their_password_and_round_trip() {
        let hash = PasswordHash::new(GOOD).unwrap();
        assert!(hash.verify(GOOD));
        assert!(!hash.verify("Correct-Horse-43"));
        assert!(!hash.verify(""));
        let stored = hash.to_stored();
        assert!(stored.starts_with("pbkdf2-sha256$100000$"), "{stored}");
        assert!(!stored.contains(GOOD));
        let back = PasswordHash::from_stored(&stored).unwrap();
        assert_eq!(back, hash);
        assert!(back.verify(GOOD));
        // A new salt every time.
        assert_ne!(PasswordHash::new(GOOD).unwrap().to_stored(), stored);
        assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
    }

    #[test]
    fn hashes_with_their_own_round_count_still_verify() {
        // A hash made with 1000 rounds, not PBKDF2_ITERATIONS: verification
        // must use the count the stored form records.
        let salt = BASE64.encode(b"saltsaltsaltsalt");
        let mut expected = [0u8; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(1000).unwrap(),
            b"saltsaltsaltsalt",
            b"password",
            &mut expected,
        );
        let stored = format!("pbkdf2-sha256$1000${salt}${}", BASE64.encode(expected));
        let hash = PasswordHash::from_stored(&stored).unwrap();
        assert!(hash.verify("password"));
        assert!(!hash.verify("Password"));
    }

    #[test]
    fn malformed_stored_hashes_say_what_is_wrong() {
        let salt = BASE64.encode([1u8; SALT_LEN]);
        let hash = BASE64.encode([2u8; HASH_LEN]);
        let cases = [
            ("nothing".to_owned(), "found 1 part(s)"),
            (format!("bcrypt$1000${salt}${hash}"), "unknown scheme"),
            (format!("pbkdf2-sha256$0${salt}${hash}"), "rounds must be"),
            (
                format!("pbkdf2-sha256$99999999${salt}${hash}"),
                "rounds must be",
            ),
            (format!("pbkdf2-sha256$-1${salt}${hash}"), "rounds must be"),
            (
                format!("pbkdf2-sha256$1000$!!${hash}"),
                "salt is not base64",
            ),
            (format!("pbkdf2-sha256$1000$AAAA${hash}"), "salt is 3 bytes"),
            (format!("pbkdf2-sha256$1000${salt}$AAAA"), "hash is 3 bytes"),
            (
                format!("pbkdf2-sha256$1000${salt}${hash}$x"),
                "found 5 part(s)",
            ),
        ];
        for (stored, expected) in cases {
            let err = PasswordHash::from_stored(&stored).unwrap_err();
            assert!(err.contains(expected), "{stored}: {err}");
        }
    }
}
