//! The event Cognito sends a `V2_0`/`V3_0` pre-token-generation trigger
//! (docs/pre-token-generation.md, "The event"): one event for both tokens
//! of a sign-in, or for a client-credentials token with `V3_0`.

use serde_json::{Value, json};

use crate::cognito::users::User;
use crate::template::pre_token::LambdaVersion;

/// What the SDK field says when no AWS SDK made the call (the hosted
/// sign-in, the token endpoint), as in Cognito's events.
const UNKNOWN_SDK: &str = "aws-sdk-unknown-unknown";

/// Why tokens are being issued: the event's `triggerSource`, for the ways
/// the local pool issues tokens (it has no user-pool API sign-in, device
/// or new-password flows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerSource {
    /// A sign-in on the hosted page (or a live session reused by `/oauth2/authorize`).
    HostedAuth,
    /// A `refresh_token` grant.
    RefreshTokens,
    /// A `client_credentials` grant (`V3_0` only).
    ClientCredentials,
}

impl TriggerSource {
    /// The `triggerSource` text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HostedAuth => "TokenGeneration_HostedAuth",
            Self::RefreshTokens => "TokenGeneration_RefreshTokens",
            Self::ClientCredentials => "TokenGeneration_ClientCredentials",
        }
    }
}

/// What one event is made of.
#[derive(Debug, Clone, Copy)]
pub struct TokenEvent<'a> {
    /// The pool's configured version.
    pub version: LambdaVersion,
    /// Why tokens are issued.
    pub source: TriggerSource,
    /// The pool's region.
    pub region: &'a str,
    /// The pool's id.
    pub user_pool_id: &'a str,
    /// The app client the tokens are for.
    pub client_id: &'a str,
    /// The signed-in user; `None` for a client-credentials token.
    pub user: Option<&'a User>,
    /// The scopes the access token would carry.
    pub scopes: &'a [String],
}

impl TokenEvent<'_> {
    /// The event's JSON, fields in Cognito's order. A user's event carries
    /// `userName`, the user's attributes (strings), their groups as
    /// `groupConfiguration` and an empty `clientMetadata` (the hosted
    /// sign-in and the token endpoint take none); an M2M event has no
    /// `userName`, empty attributes and a null `groupConfiguration`.
    pub fn to_json(self) -> Value {
        let caller = json!({"awsSdkVersion": UNKNOWN_SDK, "clientId": self.client_id});
        let mut event = serde_json::Map::new();
        event.insert("version".into(), self.version.event_version().into());
        event.insert("triggerSource".into(), self.source.as_str().into());
        event.insert("region".into(), self.region.into());
        event.insert("userPoolId".into(), self.user_pool_id.into());
        let request = match self.user {
            Some(user) => {
                event.insert("userName".into(), user.username.clone().into());
                json!({
                    "userAttributes": {
                        "sub": user.sub,
                        "cognito:user_status": "CONFIRMED",
                        "email_verified": user.email_verified.to_string(),
                        "email": user.email,
                    },
                    "groupConfiguration": {
                        "groupsToOverride": user.groups,
                        "iamRolesToOverride": [],
                        "preferredRole": null,
                    },
                    "scopes": self.scopes,
                    "clientMetadata": {},
                })
            }
            None => json!({
                "userAttributes": {},
                "groupConfiguration": null,
                "scopes": self.scopes,
            }),
        };
        event.insert("callerContext".into(), caller);
        event.insert("request".into(), request);
        event.insert(
            "response".into(),
            json!({"claimsAndScopeOverrideDetails": null}),
        );
        Value::Object(event)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cognito::user_spec::UserSpec;
    use crate::cognito::users::UserStore;
    use crate::template::password_policy::PasswordPolicy;

    pub(crate) fn user(groups: &str) -> User {
        let scratch = testkit::temp_dir("pre-token-event-").unwrap();
        let spec =
            UserSpec::parse(&format!("ed@example.com:Correct-Horse-9:{groups}"), "test").unwrap();
        let store = UserStore::load(scratch.path(), &[spec], &PasswordPolicy::default()).unwrap();
        store.users()[0].clone()
    }

    #[test]
    fn events_are_cognitos_for_each_way_of_issuing_tokens() {
        let editor = user("editors,readers");
        let nobody = user("");
        let scopes = vec!["openid".to_string(), "API/book.get".to_string()];
        let user_request = |u: &User, groups: Value| {
            json!({
                "userAttributes": {
                    "sub": u.sub, "cognito:user_status": "CONFIRMED",
                    "email_verified": "true", "email": "ed@example.com",
                },
                "groupConfiguration": {
                    "groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": null,
                },
                "scopes": ["openid", "API/book.get"],
                "clientMetadata": {},
            })
        };
        // (case, version, source, user, expected version, userName, request)
        let cases = [
            (
                "hosted sign-in, V2_0",
                LambdaVersion::V2_0,
                TriggerSource::HostedAuth,
                Some(&editor),
                "2",
                Some(editor.username.clone()),
                user_request(&editor, json!(["editors", "readers"])),
            ),
            (
                "refresh, V3_0, no groups",
                LambdaVersion::V3_0,
                TriggerSource::RefreshTokens,
                Some(&nobody),
                "3",
                Some(nobody.username.clone()),
                user_request(&nobody, json!([])),
            ),
            (
                "client credentials, V3_0",
                LambdaVersion::V3_0,
                TriggerSource::ClientCredentials,
                None,
                "3",
                None,
                json!({
                    "userAttributes": {},
                    "groupConfiguration": null,
                    "scopes": ["openid", "API/book.get"],
                }),
            ),
        ];
        for (case, version, source, user, want_version, user_name, request) in cases {
            let event = TokenEvent {
                version,
                source,
                region: "us-east-1",
                user_pool_id: "us-east-1_pool",
                client_id: "client",
                user,
                scopes: &scopes,
            }
            .to_json();
            assert_eq!(event["version"], want_version, "{case}");
            assert_eq!(event["triggerSource"], source.as_str(), "{case}");
            assert_eq!(event["region"], "us-east-1", "{case}");
            assert_eq!(event["userPoolId"], "us-east-1_pool", "{case}");
            assert_eq!(
                event.get("userName").cloned(),
                user_name.map(Value::from),
                "{case}"
            );
            assert_eq!(
                event["callerContext"],
                json!({"awsSdkVersion": UNKNOWN_SDK, "clientId": "client"}),
                "{case}"
            );
            assert_eq!(event["request"], request, "{case}");
            assert_eq!(
                event["response"],
                json!({"claimsAndScopeOverrideDetails": null}),
                "{case}"
            );
        }
    }
}
