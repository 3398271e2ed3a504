//! A configured authorizer for the seeds' routes and tokens to feed it.

use authorizer::{Authorizer, Config, KeySet};
use serde_json::{Value, json};
use shared::AccessTokenClaims;
use testkit::{Issuer, m2m_claims};

/// The pool every fixture uses.
pub const POOL: &str = "us-east-1_TestPool1";
/// The issuer Cognito writes for [`POOL`].
pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
/// The accepted machine-to-machine client.
pub const M2M_CLIENT: &str = "m2mclient0000000000000000a";
/// The accepted web (authorization-code) client.
pub const WEB_CLIENT: &str = "webclient0000000000000000b";
/// The stage prefix of every method ARN in the fixtures.
pub const STAGE: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";
/// A fixed "now" so expiry tests are exact.
pub const NOW: i64 = 1_750_000_000;

/// The seeds' routes: one scope per route, and a delete that needs two.
pub const SEED_ROUTES: &str = r#"{
  "GET /awesomeapi": ["awesomeapi-resource-server/awesomeapi.read"],
  "GET /book": ["API/book.get"],
  "POST /book": ["API/book.post"],
  "GET /book/{id}": ["API/book.get"],
  "DELETE /book/{id}": ["API/book.delete", "API/admin"],
  "GET /user": ["API/user.get"],
  "POST /user": ["API/user.post"]
}"#;

/// Configuration for `routes` with the fixture pool and clients.
pub fn config(routes: &str) -> Config {
    let vars = [
        ("USER_POOL_ID", POOL.to_string()),
        ("APP_CLIENT_IDS", format!("{M2M_CLIENT},{WEB_CLIENT}")),
        ("ROUTE_SCOPES", routes.to_string()),
    ];
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("fixture configuration is valid")
}

/// An issuer (signing key `kid-1`), its key set, and an authorizer for `routes`.
pub struct Fixture {
    /// Signs tokens with the key in `keys`.
    pub issuer: Issuer,
    /// The parsed JWKS of `issuer`.
    pub keys: KeySet,
    /// The authorizer under test.
    pub authorizer: Authorizer,
}

impl Fixture {
    /// A fixture with the seeds' routes.
    pub fn seeds() -> Self {
        Self::with_routes(SEED_ROUTES)
    }

    /// A fixture with the given `ROUTE_SCOPES`.
    pub fn with_routes(routes: &str) -> Self {
        let issuer = Issuer::generate("kid-1").expect("key generation");
        let (keys, _) =
            KeySet::from_jwks(issuer.jwks().to_string().as_bytes()).expect("own JWKS parses");
        Self {
            issuer,
            keys,
            authorizer: Authorizer::new(&config(routes)),
        }
    }

    /// A valid M2M token with `scope`.
    pub fn m2m_token(&self, scope: &str) -> String {
        self.token(&m2m_claims(ISSUER, M2M_CLIENT, scope, NOW - 60, 3600))
    }

    /// A token with these claims, signed by the fixture key.
    pub fn token(&self, claims: &AccessTokenClaims) -> String {
        self.issuer.access_token(claims).expect("signing")
    }

    /// Decides a TOKEN event for `token` calling `METHOD path` at [`NOW`].
    pub fn decide(
        &self,
        token: &str,
        method: &str,
        path: &str,
    ) -> Result<Value, authorizer::Rejection> {
        let event = token_event(&format!("Bearer {token}"), method, path);
        let decision = self.authorizer.decide(&event, &self.keys, NOW)?;
        let response = authorizer::policy::response(decision, self.authorizer.routes());
        Ok(serde_json::to_value(response).expect("response serializes"))
    }
}

/// The claims of a user token from the authorization-code flow.
pub fn user_claims(scope: &str) -> AccessTokenClaims {
    AccessTokenClaims {
        sub: Some("6b1c2a8e-1111-4c3b-9d6e-000000000001".into()),
        username: Some("alice".into()),
        groups: Some(vec!["readers".into(), "admins".into()]),
        origin_jti: Some("origin".into()),
        event_id: Some("event".into()),
        ..m2m_claims(ISSUER, WEB_CLIENT, scope, NOW - 60, 3600)
    }
}

/// The method ARN for `METHOD path` on the fixture stage.
pub fn method_arn(method: &str, path: &str) -> String {
    format!("{STAGE}/{method}{path}")
}

/// A REST TOKEN authorizer event.
pub fn token_event(authorization: &str, method: &str, path: &str) -> String {
    json!({"type": "TOKEN", "authorizationToken": authorization, "methodArn": method_arn(method, path)}).to_string()
}

/// A REST REQUEST authorizer event with the token in a header named `header`.
pub fn request_event(header: &str, authorization: &str, method: &str, path: &str) -> String {
    json!({
        "type": "REQUEST",
        "methodArn": method_arn(method, path),
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "abcdef1234.execute-api.us-east-1.amazonaws.com", header: authorization},
        "multiValueHeaders": {header: [authorization]},
        "queryStringParameters": null,
        "pathParameters": null,
        "requestContext": {"stage": "prod"}
    })
    .to_string()
}
