//! Tokens: structure, base64url parts, header checks and signature against
//! a real key; and the claims JSON the payload carries, whose groups may
//! meet a group rule only on a user token that has them.
#![no_main]

use std::sync::OnceLock;

use authorizer::KeySet;
use authorizer::verify::Verifier;
use libfuzzer_sys::fuzz_target;
use shared::{RouteTable, Scopes};
use testkit::Issuer;

fn setup() -> &'static (Verifier, KeySet, RouteTable) {
    static SETUP: OnceLock<(Verifier, KeySet, RouteTable)> = OnceLock::new();
    SETUP.get_or_init(|| {
        // The seeds' tokens carry this kid.
        let issuer = Issuer::generate("fuzz-kid").expect("key generation");
        let (keys, _) = KeySet::from_jwks(issuer.jwks().to_string().as_bytes()).expect("JWKS");
        let verifier = Verifier::new(fuzz::config().pools);
        let routes = RouteTable::from_json(fuzz::ROUTES).expect("routes");
        (verifier, keys, routes)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (verifier, keys, routes) = setup();
    let _ = verifier.verify(text, keys, 1_750_000_000);
    // The payload of a token whose signature checked out.
    if let Ok(claims) = serde_json::from_str::<shared::AccessTokenClaims>(text) {
        let scopes = Scopes::new(claims.scope.as_deref().unwrap_or(""));
        let permitted = routes.permitted(scopes, claims.groups());
        let ungrouped = routes.permitted(scopes, &[]);
        for (i, route) in routes.routes().iter().enumerate() {
            if route.groups.is_none() || claims.groups().is_empty() {
                assert_eq!(permitted.contains(i), ungrouped.contains(i), "{}", route.key);
            }
            if claims.is_machine() && route.groups.is_some() {
                assert!(!permitted.contains(i), "{} for a machine token", route.key);
            }
        }
        let _ = shared::AuthorizerContext::from_claims(claims, fuzz::POOL);
    }
});
