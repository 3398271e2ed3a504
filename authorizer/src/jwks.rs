//! Parsing a JWKS document into verification keys, once per fetch, and
//! how the decision core finds the key set of the pool a token names.

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use thiserror::Error;

use crate::pools::PoolIndex;

/// Why a JWKS document was refused as a whole.
#[derive(Debug, Error)]
pub enum JwksError {
    /// Not a JSON object with a `keys` list.
    #[error("JWKS is not a JSON object with a keys list: {0}")]
    Json(#[from] serde_json::Error),
}

/// The RS256 verification keys of a user pool, by `kid`, parsed once.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<(String, ParsedPublicKey)>,
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl KeySet {
    /// Parses a JWKS document. Keys that cannot verify RS256 signatures
    /// (other key types or algorithms, encryption keys, no `kid`, broken
    /// numbers) are skipped; the second value counts them.
    pub fn from_jwks(json: &[u8]) -> Result<(Self, usize), JwksError> {
        let document: Document = serde_json::from_slice(json)?;
        let total = document.keys.len();
        let keys: Vec<(String, ParsedPublicKey)> = document
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<RsaJwk>(value).ok())
            .filter_map(parse_key)
            .collect();
        let skipped = total - keys.len();
        Ok((Self { keys }, skipped))
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&ParsedPublicKey> {
        // Pools publish two keys; a linear scan beats hashing here.
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
    }

    /// How many usable keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if there is no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The key sets of the trusted pools by [`PoolIndex`]: what the pure
/// decision core reads its keys from. Looking up one pool costs the same
/// however many pools there are.
pub trait PoolKeys {
    /// A key set as this source hands it out (borrowed, or shared).
    type Keys<'a>: std::ops::Deref<Target = KeySet>
    where
        Self: 'a;

    /// The keys of `pool` as they are now; `None` if it has none.
    fn pool_keys(&self, pool: PoolIndex) -> Option<Self::Keys<'_>>;
}

/// One key set is the keys of a single-pool configuration: pool 0's only,
/// so a second pool's tokens can never be verified with them.
impl PoolKeys for KeySet {
    type Keys<'a> = &'a KeySet;

    fn pool_keys(&self, pool: PoolIndex) -> Option<&KeySet> {
        (pool.0 == 0).then_some(self)
    }
}

/// One key set per pool, in configuration order.
impl PoolKeys for Vec<KeySet> {
    type Keys<'a> = &'a KeySet;

    fn pool_keys(&self, pool: PoolIndex) -> Option<&KeySet> {
        self.get(pool.0)
    }
}

fn parse_key(jwk: RsaJwk) -> Option<(String, ParsedPublicKey)> {
    let usable = jwk.kty == "RSA"
        && jwk.alg.as_deref().is_none_or(|a| a == "RS256")
        && jwk.usage.as_deref().is_none_or(|u| u == "sig");
    if !usable {
        return None;
    }
    let n = URL_SAFE_NO_PAD.decode(jwk.n?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.e?).ok()?;
    let components = RsaPublicKeyComponents {
        n: strip_leading_zeros(&n),
        e: strip_leading_zeros(&e),
    };
    // The accepted key sizes (2048–8192 bits) are enforced at verification.
    let key = components
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .ok()?;
    Some((jwk.kid?, key))
}

/// JWK numbers should have no leading zero bytes, but some encoders add one.
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use testkit::Issuer;

    #[test]
    fn keeps_rs256_signing_keys_and_skips_the_rest() {
        let issuer = Issuer::generate("good").unwrap();
        let good = issuer.jwk();
        let mut no_alg = good.clone();
        no_alg["kid"] = json!("no-alg");
        no_alg.as_object_mut().unwrap().remove("alg");
        let mut encryption = good.clone();
        encryption["use"] = json!("enc");
        let mut other_alg = good.clone();
        other_alg["alg"] = json!("RS512");
        let mut no_kid = good.clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        let mut bad_n = good.clone();
        bad_n["n"] = json!("***");
        let ec = json!({"kty":"EC","kid":"ec","crv":"P-256","x":"a","y":"b"});
        let doc = json!({"keys": [good, no_alg, encryption, other_alg, no_kid, bad_n, ec, 7]});
        let (set, skipped) = KeySet::from_jwks(doc.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(skipped, 6);
        assert!(set.get("good").is_some() && set.get("no-alg").is_some());
        assert!(set.get("ec").is_none());
    }

    #[test]
    fn non_jwks_documents_are_errors() {
        for doc in ["", "{}", "[]", r#"{"keys":{}}"#, "<html>"] {
            assert!(KeySet::from_jwks(doc.as_bytes()).is_err(), "{doc}");
        }
    }

    #[test]
    fn leading_zero_bytes_are_tolerated() {
        assert_eq!(strip_leading_zeros(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(strip_leading_zeros(&[0]), &[] as &[u8]);
    }
}
