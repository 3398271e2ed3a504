//! An RS256 token issuer with the key handling of a Cognito user pool: a
//! key pair with a `kid`, its JWKS, and access tokens signed the way
//! Cognito signs them. It keeps no state: saving the key (PKCS#8 DER or
//! PEM) is the caller's business.
//!
//! Tests and benchmarks mint real tokens (and deliberately broken ones) for
//! the authorizer with it; the local user pool signs with it too.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::{Value, json};
use shared::AccessTokenClaims;
use thiserror::Error;

/// The PEM label of a PKCS#8 private key.
const PEM_TAG: &str = "PRIVATE KEY";

/// Why a key could not be made, read or used.
#[derive(Debug, Error)]
pub enum IssuerError {
    /// Key generation or signing failed inside the crypto library.
    #[error("RSA operation failed")]
    Crypto,
    /// The key given is not an RSA PKCS#8 key.
    #[error("not an RSA PKCS#8 key: {0}")]
    Key(String),
    /// The claims could not be written as JSON.
    #[error("claims are not serializable: {0}")]
    Claims(#[from] serde_json::Error),
}

/// An RSA-2048 signing key and its key id.
pub struct Issuer {
    key: RsaKeyPair,
    kid: String,
}

impl Issuer {
    /// Makes a fresh RSA-2048 key (a few hundred milliseconds).
    pub fn generate(kid: &str) -> Result<Self, IssuerError> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| IssuerError::Crypto)?;
        Ok(Self {
            key,
            kid: kid.to_string(),
        })
    }

    /// Reads a key written by [`Issuer::to_pkcs8`].
    pub fn from_pkcs8(der: &[u8], kid: &str) -> Result<Self, IssuerError> {
        let key = RsaKeyPair::from_pkcs8(der).map_err(|e| IssuerError::Key(e.to_string()))?;
        Ok(Self {
            key,
            kid: kid.to_string(),
        })
    }

    /// The private key as PKCS#8 DER.
    pub fn to_pkcs8(&self) -> Result<Vec<u8>, IssuerError> {
        let der = self.key.as_der().map_err(|_| IssuerError::Crypto)?;
        Ok(der.as_ref().to_vec())
    }

    /// Reads a key written by [`Issuer::to_pem`] (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(text: &str, kid: &str) -> Result<Self, IssuerError> {
        let block = pem::parse(text).map_err(|e| IssuerError::Key(e.to_string()))?;
        if block.tag() != PEM_TAG {
            return Err(IssuerError::Key(format!(
                "PEM block is {:?}, not {PEM_TAG:?}",
                block.tag()
            )));
        }
        Self::from_pkcs8(block.contents(), kid)
    }

    /// The private key as PKCS#8 PEM, for a file a person may open.
    pub fn to_pem(&self) -> Result<String, IssuerError> {
        Ok(pem::encode(&pem::Pem::new(PEM_TAG, self.to_pkcs8()?)))
    }

    /// This key with a `kid` derived from its public key: the standard
    /// base64 of a SHA-256, 44 characters that may hold `/` and `+`, like
    /// Cognito's. A saved key then needs no second file for its id.
    pub fn with_derived_kid(mut self) -> Self {
        let hash = digest(&SHA256, self.key.public_key().as_ref());
        self.kid = STANDARD.encode(hash.as_ref());
        self
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

    /// A JWKS document holding this key only.
    pub fn jwks(&self) -> Value {
        jwks(&[self])
    }

    /// The header Cognito writes, `{"kid": …, "alg": "RS256"}`, as a value
    /// to alter for [`Issuer::sign_raw`].
    pub fn header(&self) -> Value {
        json!({ "kid": self.kid, "alg": "RS256" })
    }

    /// Signs `payload` under an arbitrary `header`, to build tokens with
    /// unusual headers. The signature is always RS256.
    pub fn sign_raw(&self, header: &Value, payload: &[u8]) -> Result<String, IssuerError> {
        self.sign_parts(header.to_string().as_bytes(), payload)
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
        let payload = serde_json::to_string(claims)?;
        let kid = serde_json::to_string(&self.kid)?;
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
}

/// Writes every `/` of a JSON text as `\/`, a valid escape wherever a `/`
/// can appear (only inside strings).
pub fn escape_slashes(json: &str) -> String {
    json.replace('/', "\\/")
}

/// The JWKS of several keys, in order (a pool's access-token key first).
pub fn jwks(keys: &[&Issuer]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

/// The claims of a client-credentials (machine-to-machine) access token, as
/// Cognito issues them: `sub` is the client id, no user claims, a fresh
/// UUID v4 as `jti`.
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
        jti: Some(uuid::Uuid::new_v4().to_string()),
        client_id: Some(client_id.to_string()),
        ..Default::default()
    }
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
    fn keys_survive_der_and_pem_round_trips() {
        let issuer = Issuer::generate("k").unwrap();
        let again = Issuer::from_pkcs8(&issuer.to_pkcs8().unwrap(), "k").unwrap();
        assert_eq!(issuer.jwks(), again.jwks());
        let pem = issuer.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        let again = Issuer::from_pem(&pem, "k").unwrap();
        assert_eq!(issuer.jwks(), again.jwks());
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(Issuer::from_pkcs8(b"junk", "k").is_err());
        assert!(Issuer::from_pem("junk", "k").is_err());
        let certificate = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
        let Err(IssuerError::Key(why)) = Issuer::from_pem(&certificate, "k") else {
            panic!("a certificate is not a private key");
        };
        assert!(why.contains("CERTIFICATE"), "{why}");
    }

    #[test]
    fn a_derived_kid_is_a_base64_sha256_of_the_public_key() {
        let issuer = Issuer::generate("k").unwrap().with_derived_kid();
        assert_eq!(issuer.kid().len(), 44);
        let again = Issuer::from_pkcs8(&issuer.to_pkcs8().unwrap(), "other").unwrap();
        assert_eq!(again.with_derived_kid().kid(), issuer.kid());
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

    #[test]
    fn m2m_tokens_get_distinct_uuid_jtis() {
        let claims = |_| m2m_claims("https://iss", "c", "s", 0, 1).jti.unwrap();
        let (a, b) = (claims(1), claims(2));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4", "version 4: {a}");
        assert_ne!(a, b);
    }
}
