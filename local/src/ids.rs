//! Random identifiers shaped like Cognito's and API Gateway's, so local
//! values look (and are validated) like the real ones.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use thiserror::Error;

/// The operating system could not supply random bytes.
#[derive(Debug, Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A user pool id as Cognito writes them: `<region>_` and nine letters or digits.
pub fn pool_id(region: &str) -> Result<String, RandomError> {
    Ok(format!("{region}_{}", random_string(9, ALNUM)?))
}

/// An app client id: 26 lower-case letters or digits, as Cognito makes them.
pub fn client_id() -> Result<String, RandomError> {
    random_string(26, LOWER_ALNUM)
}

/// An app client secret: 51 lower-case letters or digits, as Cognito makes them.
pub fn client_secret() -> Result<String, RandomError> {
    random_string(51, LOWER_ALNUM)
}

/// A REST API id: ten lower-case letters or digits.
pub fn api_id() -> Result<String, RandomError> {
    random_string(10, LOWER_ALNUM)
}

/// A key id for the signing key.
pub fn key_id() -> Result<String, RandomError> {
    random_string(20, ALNUM)
}

/// A random UUID v4, the shape of Cognito's codes, subs and token ids.
/// Unlike a best-effort id, a failing RNG is an error: codes and sessions
/// must never repeat.
pub fn uuid() -> Result<String, RandomError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomError)?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string())
}

/// A request id for a log line or a proxy event: a UUID v4, or the nil
/// UUID in the (never seen) case of a failing RNG, since a request must not
/// fail for want of an id.
pub fn request_id() -> String {
    uuid().unwrap_or_else(|_| uuid::Uuid::nil().to_string())
}

/// `len` random bytes, base64url without padding: session ids, CSRF tokens.
pub fn random_b64(len: usize) -> Result<String, RandomError> {
    use base64::Engine;
    let mut bytes = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomError)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// `len` characters drawn uniformly from `alphabet` (at most 256 long).
pub fn random_string(len: usize, alphabet: &[u8]) -> Result<String, RandomError> {
    let rng = SystemRandom::new();
    // Rejection sampling keeps the draw uniform: bytes at or above the
    // largest multiple of the alphabet size would favour the first letters.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rng.fill(&mut buf).map_err(|_| RandomError)?;
        for &b in buf.iter().filter(|&&b| usize::from(b) < limit) {
            if out.len() == len {
                break;
            }
            out.push(char::from(alphabet[usize::from(b) % alphabet.len()]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_cognito_shapes() {
        let pool = pool_id("us-east-1").unwrap();
        let (region, suffix) = pool.split_once('_').unwrap();
        assert_eq!(region, "us-east-1");
        assert_eq!(suffix.len(), 9);
        assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
        let cases = [
            (client_id().unwrap(), 26),
            (client_secret().unwrap(), 51),
            (api_id().unwrap(), 10),
        ];
        for (id, len) in cases {
            assert_eq!(id.len(), len, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{id}"
            );
        }
        assert_ne!(client_secret().unwrap(), client_secret().unwrap());
    }
}
