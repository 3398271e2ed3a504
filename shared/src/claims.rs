//! The claims of a Cognito access token, for both machine-to-machine
//! (client-credentials) and user (authorization-code, SRP, admin) tokens.

use serde::{Deserialize, Serialize};

/// The `token_use` value of an access token; ID tokens carry `id`.
pub const ACCESS_TOKEN_USE: &str = "access";

/// Claims of a Cognito access token.
///
/// Machine-to-machine tokens have `sub == client_id` and no `username`,
/// `cognito:groups`, `origin_jti` or `event_id`. Every field a validator
/// must check is an `Option` so that a missing claim is reported as such
/// instead of failing deserialization as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Subject: the user's UUID, or the app client id for M2M tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Issuer: `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The app client the token was issued to (access tokens have no `aud`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `access` for access tokens, `id` for ID tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<String>,
    /// Space-separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Not-before, seconds since the epoch (Cognito does not set it; others may).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// When the user (or client) authenticated, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Token format version; Cognito writes 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The user name (user tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The id of the original token of a refresh chain (user tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The sign-in event (user tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The user's groups, when the user is in any.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub groups: Option<Vec<String>>,
}

impl AccessTokenClaims {
    /// True for a machine-to-machine (client-credentials) token.
    pub fn is_machine(&self) -> bool {
        self.username.is_none() && self.sub.is_some() && self.sub == self.client_id
    }

    /// The groups a route's group rule counts: `cognito:groups` of a user
    /// token, and none for a machine token (Cognito never gives one
    /// groups, so one that claims them is not trusted with them).
    pub fn groups(&self) -> &[String] {
        if self.is_machine() {
            return &[];
        }
        self.groups.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m2m_claims_round_trip_without_user_fields() {
        let json = r#"{"sub":"abc","token_use":"access","scope":"API/book.get","auth_time":1,"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X","exp":2,"iat":1,"version":2,"jti":"j","client_id":"abc"}"#;
        let claims: AccessTokenClaims = serde_json::from_str(json).unwrap();
        assert!(claims.is_machine());
        assert_eq!(claims.scope.as_deref(), Some("API/book.get"));
        let back = serde_json::to_value(&claims).unwrap();
        assert!(back.get("username").is_none());
        assert!(back.get("cognito:groups").is_none());
    }

    #[test]
    fn user_claims_read_groups_and_username() {
        let json = r#"{"sub":"uuid","username":"alice","cognito:groups":["admin"],"client_id":"web","origin_jti":"o","event_id":"e"}"#;
        let claims: AccessTokenClaims = serde_json::from_str(json).unwrap();
        assert!(!claims.is_machine());
        assert_eq!(claims.groups, Some(vec!["admin".to_string()]));
    }

    #[test]
    fn groups_are_a_user_tokens_and_never_a_machine_tokens() {
        let admins = Some(vec!["admins".to_string()]);
        let cases = [
            (Some("u"), Some("alice"), admins.clone(), &["admins"][..]),
            (Some("u"), Some("alice"), None, &[][..]),
            // sub == client_id and no username: a machine token, whatever it claims.
            (Some("c"), None, admins.clone(), &[][..]),
            (Some("c"), None, None, &[][..]),
        ];
        for (sub, username, groups, expected) in cases {
            let claims = AccessTokenClaims {
                sub: sub.map(String::from),
                client_id: Some("c".into()),
                username: username.map(String::from),
                groups,
                ..Default::default()
            };
            assert_eq!(claims.groups(), expected, "{claims:?}");
        }
    }

    #[test]
    fn non_integer_exp_is_a_parse_error() {
        assert!(serde_json::from_str::<AccessTokenClaims>(r#"{"exp":"soon"}"#).is_err());
        assert!(serde_json::from_str::<AccessTokenClaims>(r#"{"exp":1.5}"#).is_err());
    }
}
