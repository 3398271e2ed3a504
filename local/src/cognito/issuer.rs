//! An RS256 token issuer with the key handling of a Cognito user pool:
//! a key pair with a `kid`, its JWKS, and signed access tokens.
//!
//! The local token endpoint signs with it; tests and benchmarks use it to
//! mint real tokens (and deliberately broken ones) for the authorizer.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};
use shared::AccessTokenClaims;
use thiserror::Error;

/// Why a key could not be made or loaded.
#[derive(Debug, Error)]
pub enum IssuerError {
    /// Key generation or signing failed inside the crypto library.
    #[error("RSA operation failed")]
    Crypto,
    /// The stored key is not an RSA PKCS#8 key.
    #[error("stored key is not an RSA PKCS#8 key: {0}")]
    Key(String),
}

/// An RSA-2048 signing key and its key id.
pub struct Issuer {
    key: RsaKeyPair,
    kid: String,
}

impl Issuer {
    /// Makes a fresh RSA-2048 key.
    pub fn generate(kid: &str) -> Result<Self, IssuerError> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| IssuerError::Crypto)?;
        Ok(Self {
            key,
            kid: kid.to_string(),
        })
    }

    /// Loads a key saved with [`Issuer::to_pkcs8`].
    pub fn from_pkcs8(der: &[u8], kid: &str) -> Result<Self, IssuerError> {
        let key = RsaKeyPair::from_pkcs8(der).map_err(|e| IssuerError::Key(e.to_string()))?;
        Ok(Self {
            key,
            kid: kid.to_string(),
        })
    }

    /// The private key as PKCS#8 DER, for a state file.
    pub fn to_pkcs8(&self) -> Result<Vec<u8>, IssuerError> {
        let der = self.key.as_der().map_err(|_| IssuerError::Crypto)?;
        Ok(der.as_ref().to_vec())
    }

    /// The key id written in token headers and the JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as one JWK, as Cognito publishes it.
    pub fn jwk(&self) -> Value {
        let public = self.key.public_key();
        json!({
            "alg": "RS256",
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
            "kid": self.kid,
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "use": "sig",
        })
    }

    /// A JWKS document holding this key.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk()] })
    }

    /// Signs `payload` under an arbitrary `header`; tests use it to build
    /// tokens with unusual headers. The signature is always RS256.
    pub fn sign_raw(&self, header: &Value, payload: &[u8]) -> Result<String, IssuerError> {
        self.sign_parts(header.to_string().as_bytes(), payload)
    }

    /// The standard header Cognito writes: `{"kid": …, "alg": "RS256"}`.
    pub fn header(&self) -> Value {
        json!({ "kid": self.kid, "alg": "RS256" })
    }

    /// A signed access token carrying `claims`.
    pub fn access_token(&self, claims: &AccessTokenClaims) -> Result<String, IssuerError> {
        self.sign_claims(claims)
    }

    /// Signs `claims` as Cognito does: the header `{"kid":…,"alg":"RS256"}`
    /// in that order, and `/` written `\/` in both JSON parts (real tokens
    /// carry the escape, so every local run exercises a verifier's
    /// unescaping). Claims are written in their `Serialize` order.
    pub fn sign_claims(&self, claims: &impl Serialize) -> Result<String, IssuerError> {
        let payload = serde_json::to_string(claims).map_err(|e| IssuerError::Key(e.to_string()))?;
        let kid = serde_json::to_string(&self.kid).map_err(|e| IssuerError::Key(e.to_string()))?;
        let header = format!(r#"{{"kid":{kid},"alg":"RS256"}}"#);
        self.sign_parts(
            escape_slashes(&header).as_bytes(),
            escape_slashes(&payload).as_bytes(),
        )
    }

    fn sign_parts(&self, header: &[u8], payload: &[u8]) -> Result<String, IssuerError> {
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(payload));
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| IssuerError::Crypto)?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(token)
    }

    /// The claims of `token` if this key signed it (RS256, this `kid`);
    /// `None` for anything else. Expiry and claims are the caller's to check.
    pub fn verify(&self, token: &str) -> Option<Value> {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if header.get("alg")? != "RS256" || header.get("kid")? != self.kid.as_str() {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        // The signed part is `header.payload`, everything before the last dot.
        let signed = &token[..token.rfind('.')?];
        let public =
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, self.key.public_key().as_ref());
        public.verify(signed.as_bytes(), &signature).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    /// Loads a key saved with [`Issuer::to_pkcs8`], its `kid` derived from
    /// the public key (standard base64 of a SHA-256, 44 characters that may
    /// hold `/` and `+`, like Cognito's), so no other file has to remember it.
    pub fn from_pkcs8_derived_kid(der: &[u8]) -> Result<Self, IssuerError> {
        let key = RsaKeyPair::from_pkcs8(der).map_err(|e| IssuerError::Key(e.to_string()))?;
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.public_key().as_ref());
        let kid = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
        Ok(Self { key, kid })
    }
}

/// Writes every `/` of a JSON text as `\/`, a valid escape wherever a `/`
/// can appear (only inside strings).
pub fn escape_slashes(json: &str) -> String {
    json.replace('/', "\\/")
}

/// The JWKS of several keys, in order (the pool's access-token key first).
pub fn jwks(keys: &[&Issuer]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

/// The claims of a client-credentials (machine-to-machine) access token, as
/// Cognito issues them: `sub` is the client id, no user claims.
pub fn m2m_claims(
    issuer_url: &str,
    client_id: &str,
    scope: &str,
    now: i64,
    lifetime: i64,
) -> AccessTokenClaims {
    AccessTokenClaims {
        sub: Some(client_id.to_string()),
        token_use: Some(shared::claims::ACCESS_TOKEN_USE.to_string()),
        scope: Some(scope.to_string()),
        auth_time: Some(now),
        iss: Some(issuer_url.to_string()),
        exp: Some(now + lifetime),
        iat: Some(now),
        version: Some(2),
        jti: Some(token_id()),
        client_id: Some(client_id.to_string()),
        ..Default::default()
    }
}

/// A token id (`jti`): a UUID v4. A failing RNG (never seen) gives a
/// fixed id rather than abort a dev tool.
fn token_id() -> String {
    use aws_lc_rs::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    let _ = SystemRandom::new().fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_three_parts_and_the_kid() {
        let issuer = Issuer::generate("k1").unwrap();
        let claims = m2m_claims("https://iss", "client", "API/book.get", 1_000, 3_600);
        let token = issuer.access_token(&claims).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], "k1");
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 256);
    }

    #[test]
    fn keys_survive_a_pkcs8_round_trip() {
        let issuer = Issuer::generate("k").unwrap();
        let again = Issuer::from_pkcs8(&issuer.to_pkcs8().unwrap(), "k").unwrap();
        assert_eq!(issuer.jwks(), again.jwks());
        assert!(Issuer::from_pkcs8(b"junk", "k").is_err());
    }

    #[test]
    fn signed_claims_escape_slashes_and_keep_cognitos_header_order() {
        let issuer = Issuer::generate("k/1").unwrap();
        let token = issuer
            .sign_claims(&json!({"iss": "http://x/pool", "scope": "a/b openid"}))
            .unwrap();
        let mut parts = token.split('.');
        let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        assert_eq!(header, br#"{"kid":"k\/1","alg":"RS256"}"#);
        let payload = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        let text = String::from_utf8(payload).unwrap();
        assert_eq!(text, r#"{"iss":"http:\/\/x\/pool","scope":"a\/b openid"}"#);
        let claims = issuer.verify(&token).unwrap();
        assert_eq!(claims["scope"], "a/b openid");
        let other = Issuer::generate("k/1").unwrap();
        assert!(other.verify(&token).is_none());
        let mut tampered = token.clone();
        tampered.push('A');
        assert!(issuer.verify(&tampered).is_none());
        assert!(issuer.verify("a.b").is_none());
    }
}
