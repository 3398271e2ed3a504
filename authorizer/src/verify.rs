//! Verifying a Cognito access token: structure, header, RS256 signature and claims.
//!
//! Pure: the keys and the time are arguments.

use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer};
use shared::AccessTokenClaims;
use shared::claims::ACCESS_TOKEN_USE;
use thiserror::Error;

use crate::KeySet;
use crate::event::Text;

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
    /// `iss` is not the expected issuer.
    #[error("token iss is not the expected issuer")]
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
    /// `client_id` is missing or not an accepted app client.
    #[error("token client_id is not accepted")]
    Client,
    /// `sub` is missing.
    #[error("token has no sub")]
    NoSubject,
}

/// The token checks that depend on configuration.
#[derive(Debug, Clone)]
pub struct Verifier {
    issuer: String,
    client_ids: Vec<String>,
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
    /// A verifier for tokens from `issuer` issued to one of `client_ids`.
    pub fn new(issuer: String, client_ids: Vec<String>) -> Self {
        Self { issuer, client_ids }
    }

    /// Verifies `token` (without a `Bearer ` scheme) and returns its claims.
    pub fn verify(
        &self,
        token: &str,
        keys: &KeySet,
        now: i64,
    ) -> Result<AccessTokenClaims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLarge);
        }
        let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Structure)?;
        let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Structure)?;
        if header.is_empty() || payload.is_empty() || signature.is_empty() || payload.contains('.')
        {
            return Err(TokenError::Structure);
        }
        let header = decode(header)?;
        let header: Header<'_> = serde_json::from_slice(&header).map_err(|_| TokenError::Header)?;
        let key = check_header(&header, keys)?;

        let signature = decode(signature)?;
        key.verify_sig(signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::Signature)?;

        let claims: AccessTokenClaims =
            serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Claims)?;
        self.check_claims(&claims, now)?;
        Ok(claims)
    }

    fn check_claims(&self, claims: &AccessTokenClaims, now: i64) -> Result<(), TokenError> {
        if claims.iss.as_deref() != Some(self.issuer.as_str()) {
            return Err(TokenError::Issuer);
        }
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
        if !self.client_ids.iter().any(|c| c == client) {
            return Err(TokenError::Client);
        }
        if claims.sub.as_deref().is_none_or(str::is_empty) {
            return Err(TokenError::NoSubject);
        }
        Ok(())
    }
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

fn decode(part: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Structure)
}
