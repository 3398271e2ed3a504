//! Tokens: structure, base64url parts, header checks and signature against
//! a real key; and the claims JSON the payload carries.
#![no_main]

use std::sync::OnceLock;

use authorizer::KeySet;
use authorizer::verify::Verifier;
use libfuzzer_sys::fuzz_target;
use local::cognito::issuer::Issuer;

fn setup() -> &'static (Verifier, KeySet) {
    static SETUP: OnceLock<(Verifier, KeySet)> = OnceLock::new();
    SETUP.get_or_init(|| {
        // The seeds' tokens carry this kid.
        let issuer = Issuer::generate("fuzz-kid").expect("key generation");
        let (keys, _) = KeySet::from_jwks(issuer.jwks().to_string().as_bytes()).expect("JWKS");
        let verifier = Verifier::new(fuzz::config().pools);
        (verifier, keys)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (verifier, keys) = setup();
    let _ = verifier.verify(text, keys, 1_750_000_000);
    // The payload of a token whose signature checked out.
    if let Ok(claims) = serde_json::from_str::<shared::AccessTokenClaims>(text) {
        let _ = shared::AuthorizerContext::from_claims(claims, fuzz::POOL);
    }
});
