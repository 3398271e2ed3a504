//! Verifying a Cognito access token: structure, issuer, header, RS256
//! signature and claims.
//!
//! Pure: the keys and the time are arguments. The token's `iss` selects one
//! configured pool before any key is looked up, so only that pool's keys can
//! verify it and only that pool's app clients are accepted.

use std::cell::RefCell;

use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer};
use shared::AccessTokenClaims;
use shared::claims::ACCESS_TOKEN_USE;
use thiserror::Error;

use crate::event::Text;
use crate::jwks::{KeySet, PoolKeys};
use crate::pools::{PoolIndex, TrustedPool, TrustedPools};

/// Tokens longer than this are refused before any decoding. API Gateway
/// limits request headers to 10,240 bytes, so no real token comes near it.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Clock skew tolerated on `exp` and `nbf`, in seconds. Cognito and Lambda
/// both keep time with AWS's NTP service, so it is kept small.
pub const LEEWAY_SECS: i64 = 5;

/// Why a token was rejected. Every variant is answered `Unauthorized`;
/// the variant is only logged.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenError {
    /// Empty, not `Bearer <token>`, or more than one word.
    #[error("authorization value is not a bearer token")]
    NotBearer,
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("token is longer than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    /// Not three non-empty base64url parts.
    #[error("token is not three base64url parts")]
    Structure,
    /// The header is not a JSON object.
    #[error("token header is not valid JSON")]
    Header,
    /// `alg` is not exactly RS256.
    #[error("token alg is not RS256")]
    Algorithm,
    /// A header that points at or embeds keys, which are never trusted.
    #[error("token header carries {0}, which is not accepted")]
    KeyHeader(&'static str),
    /// A `crit` header: no extensions are understood.
    #[error("token header has crit")]
    Critical,
    /// No `kid` in the header.
    #[error("token header has no kid")]
    NoKid,
    /// The `kid` is not in the key set.
    #[error("token kid is not in the JWKS")]
    UnknownKid(String),
    /// The signature does not verify.
    #[error("token signature is invalid")]
    Signature,
    /// The payload is not a JSON object of well-typed claims.
    #[error("token claims are malformed")]
    Claims,
    /// `iss` is missing or not exactly an issuer of a configured pool.
    #[error("token iss is not the issuer of a trusted pool")]
    Issuer,
    /// `exp` is missing.
    #[error("token has no exp")]
    NoExpiry,
    /// `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    /// `token_use` is not `access` (e.g. an ID token).
    #[error("token is not an access token")]
    NotAccessToken,
    /// `client_id` is missing or not an app client of the token's pool.
    #[error("token client_id is not an accepted client of its pool")]
    Client,
    /// `sub` is missing.
    #[error("token has no sub")]
    NoSubject,
}

/// The token checks that depend on configuration: the trusted pools.
#[derive(Debug, Clone)]
pub struct Verifier {
    pools: TrustedPools,
}

/// A verified token: its claims and the pool that issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The pool the token's `iss` selected and whose key verified it.
    pub pool: PoolIndex,
    /// The verified claims.
    pub claims: AccessTokenClaims,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    alg: Option<Text<'a>>,
    #[serde(borrow, default)]
    kid: Option<Text<'a>>,
    #[serde(default, deserialize_with = "present")]
    jku: bool,
    #[serde(default, deserialize_with = "present")]
    x5u: bool,
    #[serde(default, deserialize_with = "present")]
    jwk: bool,
    #[serde(default, deserialize_with = "present")]
    x5c: bool,
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

/// True whenever the member is there, whatever its value (even `null`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

impl Verifier {
    /// A verifier for tokens from `pools`.
    pub fn new(pools: TrustedPools) -> Self {
        Self { pools }
    }

    /// The trusted pools.
    pub fn pools(&self) -> &TrustedPools {
        &self.pools
    }

    /// Verifies `token` (without a `Bearer ` scheme) against the keys of the
    /// pool its `iss` selects and returns its claims and that pool.
    pub fn verify(
        &self,
        token: &str,
        keys: &impl PoolKeys,
        now: i64,
    ) -> Result<Verified, TokenError> {
        let (header, payload, signing_input, signature) = split(token)?;
        let claims = claims(payload)?;
        let (index, pool) = self.select(&claims)?;
        let pool_keys = keys.pool_keys(index);
        let empty = KeySet::default();
        let set = pool_keys.as_deref().unwrap_or(&empty);
        let key = decode_then(header, |header| {
            let header = std::str::from_utf8(header).map_err(|_| TokenError::Header)?;
            let header: Header<'_> =
                serde_json::from_str(header).map_err(|_| TokenError::Header)?;
            check_header(&header, set)
        })??;

        decode_then(signature, |signature| {
            key.verify_sig(signing_input.as_bytes(), signature)
                .map_err(|_| TokenError::Signature)
        })??;

        check_claims(pool, &claims, now)?;
        Ok(Verified {
            pool: index,
            claims,
        })
    }

    /// The pool whose keys `token` needs, if its `iss` selects one; nothing
    /// is verified (used to refetch the right pool's keys for an unknown `kid`).
    pub fn pool_of(&self, token: &str) -> Option<PoolIndex> {
        let (_, payload, _, _) = split(token).ok()?;
        let claims = claims(payload).ok()?;
        self.select(&claims).ok().map(|(index, _)| index)
    }

    fn select(&self, claims: &AccessTokenClaims) -> Result<(PoolIndex, &TrustedPool), TokenError> {
        let iss = claims.iss.as_deref().ok_or(TokenError::Issuer)?;
        self.pools.select(iss).ok_or(TokenError::Issuer)
    }
}

/// The header, payload, signing input and signature of a compact JWS.
fn split(token: &str) -> Result<(&str, &str, &str, &str), TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge);
    }
    let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Structure)?;
    let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Structure)?;
    if header.is_empty() || payload.is_empty() || signature.is_empty() || payload.contains('.') {
        return Err(TokenError::Structure);
    }
    Ok((header, payload, signing_input, signature))
}

/// The claims of a payload, not yet verified: read first because `iss`
/// chooses the keys.
fn claims(payload: &str) -> Result<AccessTokenClaims, TokenError> {
    decode_then(payload, |payload| {
        // One UTF-8 check of the whole payload instead of one per string.
        let payload = std::str::from_utf8(payload).map_err(|_| TokenError::Claims)?;
        serde_json::from_str::<AccessTokenClaims>(payload).map_err(|_| TokenError::Claims)
    })?
}

fn check_claims(
    pool: &TrustedPool,
    claims: &AccessTokenClaims,
    now: i64,
) -> Result<(), TokenError> {
    let exp = claims.exp.ok_or(TokenError::NoExpiry)?;
    if now >= exp.saturating_add(LEEWAY_SECS) {
        return Err(TokenError::Expired);
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    {
        return Err(TokenError::NotYetValid);
    }
    if claims.token_use.as_deref() != Some(ACCESS_TOKEN_USE) {
        return Err(TokenError::NotAccessToken);
    }
    let client = claims.client_id.as_deref().ok_or(TokenError::Client)?;
    if !pool.client_ids.iter().any(|c| c == client) {
        return Err(TokenError::Client);
    }
    if claims.sub.as_deref().is_none_or(str::is_empty) {
        return Err(TokenError::NoSubject);
    }
    Ok(())
}

fn check_header<'k>(
    header: &Header<'_>,
    keys: &'k KeySet,
) -> Result<&'k ParsedPublicKey, TokenError> {
    if header.alg.as_ref().map(|a| a.0.as_ref()) != Some("RS256") {
        return Err(TokenError::Algorithm);
    }
    let forbidden = [
        ("jku", header.jku),
        ("x5u", header.x5u),
        ("jwk", header.jwk),
        ("x5c", header.x5c),
    ];
    if let Some((name, _)) = forbidden.iter().find(|(_, present)| *present) {
        return Err(TokenError::KeyHeader(name));
    }
    if header.crit {
        return Err(TokenError::Critical);
    }
    let kid = header
        .kid
        .as_ref()
        .map(|k| k.0.as_ref())
        .ok_or(TokenError::NoKid)?;
    keys.get(kid)
        .ok_or_else(|| TokenError::UnknownKid(kid.to_string()))
}

/// Room for decoding one token part without allocating: a Cognito access
/// token's largest part is its claims, 300–900 bytes decoded.
const SCRATCH_BYTES: usize = 2048;

thread_local! {
    /// Decoding room reused by every verification on this thread, so the hot
    /// path neither allocates nor zeroes a buffer per part.
    static SCRATCH: RefCell<[u8; SCRATCH_BYTES]> = const { RefCell::new([0; SCRATCH_BYTES]) };
}

/// Decodes a base64url token part and hands the bytes to `then`: in the
/// thread's scratch buffer when the part fits, on the heap otherwise. The
/// decoder and its errors are the same either way.
fn decode_then<T>(part: &str, then: impl FnOnce(&[u8]) -> T) -> Result<T, TokenError> {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) if base64::decoded_len_estimate(part.len()) <= SCRATCH_BYTES => {
            let len = URL_SAFE_NO_PAD
                .decode_slice(part, &mut *buffer)
                .map_err(|_| TokenError::Structure)?;
            Ok(then(buffer.get(..len).ok_or(TokenError::Structure)?))
        }
        _ => Ok(then(&decode(part)?)),
    })
}

fn decode(part: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Structure)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Base64url-ish text from a fixed seed: mostly valid symbols, some `=`,
    /// `+`, `.` and non-ASCII, at every length mod 4.
    fn samples() -> Vec<String> {
        let symbols: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            .chars()
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let lengths = (0..12)
            .chain(2_700..2_740)
            .chain([SCRATCH_BYTES * 4 / 3, 5_000]);
        let mut out = Vec::new();
        for len in lengths {
            for variant in 0..6 {
                let mut text: String = (0..len).map(|_| symbols[(next() % 64) as usize]).collect();
                if len > 0 && variant > 0 {
                    let at = (next() as usize) % len;
                    let odd = ["=", "+", ".", "é", "A"][variant - 1];
                    text.replace_range(at..at + 1, odd);
                }
                out.push(text);
            }
        }
        out
    }

    #[test]
    fn scratch_and_heap_decoding_agree() {
        for text in samples() {
            let via_scratch = decode_then(&text, <[u8]>::to_vec);
            assert_eq!(via_scratch, decode(&text), "{} bytes", text.len());
        }
    }

    #[test]
    fn parts_too_big_for_the_scratch_buffer_use_the_heap() {
        let big = URL_SAFE_NO_PAD.encode(vec![7u8; SCRATCH_BYTES * 2]);
        assert!(base64::decoded_len_estimate(big.len()) > SCRATCH_BYTES);
        assert_eq!(decode_then(&big, <[u8]>::len), Ok(SCRATCH_BYTES * 2));
        let fits = URL_SAFE_NO_PAD.encode(vec![7u8; 1_000]);
        assert_eq!(decode_then(&fits, <[u8]>::len), Ok(1_000));
    }
}
