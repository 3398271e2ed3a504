//! The claims of the tokens a signed-in user gets, in the order Cognito
//! writes them (see FACTS: "Real Cognito tokens"), and the ID token's
//! `at_hash`.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::cognito::users::User;

/// One sign-in as the tokens describe it; refreshed tokens keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// The user's `sub`.
    pub sub: String,
    /// When the user typed the password, seconds since the epoch.
    pub auth_time: i64,
    /// The sign-in event, the same in every token of this sign-in.
    pub event_id: String,
    /// The id of the sign-in's token chain; revocation is keyed by it.
    pub origin_jti: String,
    /// The app client.
    pub client_id: String,
    /// The granted scopes, in the order written into `scope`.
    pub scopes: Vec<String>,
}

impl SignIn {
    /// The `scope` claim: space-separated.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }

    /// True if the ID token and userInfo are granted.
    pub fn has_openid(&self) -> bool {
        self.scopes.iter().any(|s| s == "openid")
    }
}

/// A user access token's claims, fields in Cognito's order.
#[derive(Debug, Serialize)]
pub struct UserAccessClaims<'a> {
    sub: &'a str,
    #[serde(rename = "cognito:groups", skip_serializing_if = "Option::is_none")]
    groups: Option<&'a [String]>,
    iss: &'a str,
    version: u8,
    client_id: &'a str,
    origin_jti: &'a str,
    event_id: &'a str,
    token_use: &'static str,
    scope: String,
    auth_time: i64,
    exp: i64,
    iat: i64,
    jti: String,
    username: &'a str,
}

impl<'a> UserAccessClaims<'a> {
    /// The access token of `sign_in` for `user`, issued at `now`, with `jti`.
    pub fn new(
        issuer: &'a str,
        user: &'a User,
        sign_in: &'a SignIn,
        now: i64,
        lifetime: i64,
        jti: String,
    ) -> Self {
        Self {
            sub: &user.sub,
            groups: (!user.groups.is_empty()).then_some(user.groups.as_slice()),
            iss: issuer,
            version: 2,
            client_id: &sign_in.client_id,
            origin_jti: &sign_in.origin_jti,
            event_id: &sign_in.event_id,
            token_use: "access",
            scope: sign_in.scope(),
            auth_time: sign_in.auth_time,
            exp: now + lifetime,
            iat: now,
            jti,
            username: &user.username,
        }
    }
}

/// An ID token's claims, fields in Cognito's order.
#[derive(Debug, Serialize)]
pub struct IdClaims<'a> {
    at_hash: String,
    sub: &'a str,
    #[serde(rename = "cognito:groups", skip_serializing_if = "Option::is_none")]
    groups: Option<&'a [String]>,
    email_verified: bool,
    iss: &'a str,
    #[serde(rename = "cognito:username")]
    username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    origin_jti: &'a str,
    aud: &'a str,
    event_id: &'a str,
    token_use: &'static str,
    auth_time: i64,
    exp: i64,
    iat: i64,
    jti: String,
    email: &'a str,
}

/// What an ID token is made from besides the sign-in.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenInput<'a> {
    /// The tokens' `iss`.
    pub issuer: &'a str,
    /// The access token issued with it, for `at_hash`.
    pub access_token: &'a str,
    /// The authorize request's `nonce` (code exchanges only, not refreshes).
    pub nonce: Option<&'a str>,
    /// Issued at.
    pub now: i64,
    /// Seconds it is valid.
    pub lifetime: i64,
}

impl<'a> IdClaims<'a> {
    /// The ID token of `sign_in` for `user`, with `jti`.
    pub fn new(input: IdTokenInput<'a>, user: &'a User, sign_in: &'a SignIn, jti: String) -> Self {
        Self {
            at_hash: at_hash(input.access_token),
            sub: &user.sub,
            groups: (!user.groups.is_empty()).then_some(user.groups.as_slice()),
            email_verified: user.email_verified,
            iss: input.issuer,
            username: &user.username,
            nonce: input.nonce,
            origin_jti: &sign_in.origin_jti,
            aud: &sign_in.client_id,
            event_id: &sign_in.event_id,
            token_use: "id",
            auth_time: sign_in.auth_time,
            exp: input.now + input.lifetime,
            iat: input.now,
            jti,
            email: &user.email,
        }
    }
}

/// OpenID Connect's `at_hash` for RS256: the left half of the access
/// token's SHA-256, base64url without padding.
pub fn at_hash(access_token: &str) -> String {
    let hash = digest(&SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::user_spec::UserSpec;
    use crate::cognito::users::UserStore;
    use crate::template::password_policy::PasswordPolicy;

    fn user(groups: &str) -> User {
        let scratch = testkit::temp_dir("user-tokens-test-").unwrap();
        let dir = scratch.path();
        let spec =
            UserSpec::parse(&format!("a@example.com:Correct-Horse-9:{groups}"), "test").unwrap();
        let store = UserStore::load(dir, &[spec], &PasswordPolicy::default()).unwrap();
        store.users()[0].clone()
    }

    fn sign_in(sub: &str) -> SignIn {
        SignIn {
            sub: sub.into(),
            auth_time: 100,
            event_id: "ev".into(),
            origin_jti: "oj".into(),
            client_id: "web".into(),
            scopes: vec!["r/read".into(), "openid".into()],
        }
    }

    fn keys(value: &impl Serialize) -> Vec<String> {
        // serde_json's map sorts keys, so the order is read from the text.
        let text = serde_json::to_string(value).unwrap();
        let parsed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).unwrap();
        let mut names: Vec<(usize, String)> = parsed
            .keys()
            .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
            .collect();
        names.sort();
        names.into_iter().map(|(_, k)| k).collect()
    }

    #[test]
    fn claims_come_in_cognitos_order() {
        let u = user("admins");
        let s = sign_in(&u.sub);
        let access = UserAccessClaims::new("iss", &u, &s, 200, 3600, "j".into());
        assert_eq!(
            keys(&access),
            [
                "sub",
                "cognito:groups",
                "iss",
                "version",
                "client_id",
                "origin_jti",
                "event_id",
                "token_use",
                "scope",
                "auth_time",
                "exp",
                "iat",
                "jti",
                "username"
            ]
        );
        let input = IdTokenInput {
            issuer: "iss",
            access_token: "a.b.c",
            nonce: Some("n"),
            now: 200,
            lifetime: 3600,
        };
        let id = IdClaims::new(input, &u, &s, "j2".into());
        assert_eq!(
            keys(&id),
            [
                "at_hash",
                "sub",
                "cognito:groups",
                "email_verified",
                "iss",
                "cognito:username",
                "nonce",
                "origin_jti",
                "aud",
                "event_id",
                "token_use",
                "auth_time",
                "exp",
                "iat",
                "jti",
                "email"
            ]
        );
        let json = serde_json::to_value(&id).unwrap();
        assert_eq!(json["email_verified"], true);
        assert_eq!(json["cognito:username"], u.sub.as_str());
        assert_eq!(json["aud"], "web");
        assert_eq!(json["exp"], 3800);
    }

    #[test]
    fn users_without_groups_have_no_groups_claim() {
        let u = user("");
        let s = sign_in(&u.sub);
        let access = UserAccessClaims::new("iss", &u, &s, 200, 3600, "j".into());
        assert!(!keys(&access).contains(&"cognito:groups".to_string()));
        assert_eq!(
            serde_json::to_value(&access).unwrap()["scope"],
            "r/read openid"
        );
    }

    #[test]
    fn at_hash_is_the_left_half_of_sha256() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 ...
        let expected = URL_SAFE_NO_PAD.encode([
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23,
        ]);
        assert_eq!(at_hash("abc"), expected);
    }
}
