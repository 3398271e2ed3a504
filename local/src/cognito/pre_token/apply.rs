//! Cognito's rules for applying an answer to a token's claims
//! (docs/pre-token-generation.md, "Cognito's rules for the answer"):
//! claims are added or overridden, then suppressed (suppress wins); the
//! claims a trigger may not change keep their values (the attempt is
//! ignored, not an error); `cognito:groups` changes only through
//! `groupOverrideDetails`, in both tokens; scopes change only through
//! `scopesToAdd`/`scopesToSuppress`, in the access token's `scope`.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::cognito::pre_token::answer::{GroupOverride, Overrides};

/// A token's claims in the order they are written.
pub type Claims = IndexMap<String, Value>;

/// Which token is being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// An ID token: `idTokenGeneration`.
    Id,
    /// An access token: `accessTokenGeneration` and the scopes.
    Access,
}

const GROUPS: &str = "cognito:groups";

/// The claims no trigger may change in an ID token (Cognito's guide, V1_0).
const FIXED_ID_CLAIMS: [&str; 17] = [
    "acr",
    "amr",
    "aud",
    "at_hash",
    "auth_time",
    "azp",
    "cognito:username",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
];

/// Also fixed in access tokens (secondary sources, see the docs): the
/// scope changes only through the scope lists.
const FIXED_ACCESS_CLAIMS: [&str; 6] = [
    "client_id",
    "scope",
    "username",
    "version",
    "event_id",
    "device_key",
];

/// True if a trigger may not set or suppress `claim` in this token.
/// Every `cognito:` claim is kept; `cognito:groups` changes through the
/// group override only.
pub fn is_fixed(claim: &str, token: TokenUse) -> bool {
    FIXED_ID_CLAIMS.contains(&claim)
        || claim.starts_with("cognito:")
        || (token == TokenUse::Access && FIXED_ACCESS_CLAIMS.contains(&claim))
}

/// A token's claims as an ordered map, from its `Serialize` form.
pub fn claims_of(token: &impl Serialize) -> Result<Claims, serde_json::Error> {
    serde_json::from_str(&serde_json::to_string(token)?)
}

/// Applies `overrides` to `claims` of a `token`.
pub fn apply_claims(claims: &mut Claims, overrides: &Overrides, token: TokenUse) {
    let changes = match token {
        TokenUse::Id => &overrides.id_token,
        TokenUse::Access => &overrides.access_token,
    };
    for (name, value) in &changes.add_or_override {
        if !is_fixed(name, token) {
            // An existing claim keeps its place; a new one goes last.
            claims.insert(name.clone(), value.clone());
        }
    }
    for name in &changes.suppress {
        if !is_fixed(name, token) {
            claims.shift_remove(name);
        }
    }
    if let GroupOverride::Replace(groups) = &overrides.groups {
        if groups.is_empty() {
            claims.shift_remove(GROUPS);
        } else if let Some(value) = claims.get_mut(GROUPS) {
            *value = groups.clone().into();
        } else {
            // Where Cognito writes it: right after `sub`.
            let at = claims.get_index_of("sub").map_or(0, |i| i + 1);
            claims.shift_insert(at, GROUPS.to_owned(), groups.clone().into());
        }
    }
    if token == TokenUse::Access {
        apply_scopes(claims, overrides);
    }
}

/// `scopesToAdd` (each once, after the granted ones), then
/// `scopesToSuppress` (suppress wins, as for claims).
fn apply_scopes(claims: &mut Claims, overrides: &Overrides) {
    if overrides.scopes_to_add.is_empty() && overrides.scopes_to_suppress.is_empty() {
        return;
    }
    let granted = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut scopes: Vec<String> = granted
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for scope in &overrides.scopes_to_add {
        if !scope.is_empty() && !scope.contains(' ') && !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes.retain(|s| !overrides.scopes_to_suppress.contains(s));
    claims.insert("scope".to_owned(), scopes.join(" ").into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::pre_token::answer::ClaimChanges;
    use serde_json::json;

    /// Claims from JSON text, in its order (`json!` would sort them).
    fn claims(text: &str) -> Claims {
        serde_json::from_str(text).unwrap()
    }

    fn keys(claims: &Claims) -> Vec<&str> {
        claims.keys().map(String::as_str).collect()
    }

    fn access() -> Claims {
        claims(
            r#"{"sub": "u", "cognito:groups": ["readers"], "iss": "i", "version": 2,
                "client_id": "c", "token_use": "access", "scope": "openid API/book.get",
                "exp": 2, "iat": 1, "jti": "j", "username": "u"}"#,
        )
    }

    fn id() -> Claims {
        claims(
            r#"{"at_hash": "h", "sub": "u", "cognito:groups": ["readers"], "email_verified": true,
                "iss": "i", "cognito:username": "u", "aud": "c", "token_use": "id",
                "exp": 2, "iat": 1, "jti": "j", "email": "e@x.io"}"#,
        )
    }

    fn changes(add: Value, suppress: &[&str]) -> ClaimChanges {
        ClaimChanges {
            add_or_override: serde_json::from_value::<serde_json::Map<String, Value>>(add)
                .unwrap()
                .into_iter()
                .collect(),
            suppress: suppress.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn answers_change_claims_and_scopes_by_cognitos_rules() {
        // (case, token, overrides, the claims expected to differ from the original)
        type Case = (&'static str, TokenUse, Overrides, Value);
        let cases: Vec<Case> = vec![
            ("nothing", TokenUse::Access, Overrides::default(), json!({})),
            (
                "a claim added last and one overridden in place",
                TokenUse::Access,
                Overrides {
                    access_token: changes(
                        json!({"caller_kind": "machine", "iss": "x", "exp": 9}),
                        &[],
                    ),
                    ..Overrides::default()
                },
                json!({"caller_kind": "machine"}),
            ),
            (
                "suppress beats override",
                TokenUse::Id,
                Overrides {
                    id_token: changes(json!({"email": "new@x.io", "tier": 1}), &["email", "tier"]),
                    ..Overrides::default()
                },
                json!({"email": null}),
            ),
            (
                "fixed claims cannot be suppressed or changed",
                TokenUse::Id,
                Overrides {
                    id_token: changes(
                        json!({"sub": "other", "aud": "x", "cognito:username": "x", "cognito:groups": ["admins"]}),
                        &["sub", "iss", "cognito:groups", "token_use"],
                    ),
                    ..Overrides::default()
                },
                json!({}),
            ),
            (
                "access-token claims the trigger may not change",
                TokenUse::Access,
                Overrides {
                    access_token: changes(
                        json!({"client_id": "x", "scope": "admin", "username": "x", "version": 9}),
                        &[
                            "client_id",
                            "scope",
                            "username",
                            "version",
                            "cognito:groups",
                        ],
                    ),
                    ..Overrides::default()
                },
                json!({}),
            ),
            (
                "a claim fixed in access tokens may change in ID tokens",
                TokenUse::Id,
                Overrides {
                    id_token: changes(json!({"username": "shown"}), &[]),
                    ..Overrides::default()
                },
                json!({"username": "shown"}),
            ),
            (
                "ID-token changes leave the access token alone",
                TokenUse::Access,
                Overrides {
                    id_token: changes(json!({"tier": 1}), &["username"]),
                    ..Overrides::default()
                },
                json!({}),
            ),
            (
                "scopes added once and suppressed",
                TokenUse::Access,
                Overrides {
                    scopes_to_add: vec![
                        "API/book.post".into(),
                        "openid".into(),
                        "API/book.post".into(),
                    ],
                    scopes_to_suppress: vec!["openid".into()],
                    ..Overrides::default()
                },
                json!({"scope": "API/book.get API/book.post"}),
            ),
            (
                "scopes are an access-token matter",
                TokenUse::Id,
                Overrides {
                    scopes_to_add: vec!["API/book.post".into()],
                    ..Overrides::default()
                },
                json!({}),
            ),
            (
                "groups replaced in place",
                TokenUse::Access,
                Overrides {
                    groups: GroupOverride::Replace(vec!["editors".into(), "readers".into()]),
                    ..Overrides::default()
                },
                json!({"cognito:groups": ["editors", "readers"]}),
            ),
            (
                "empty groups suppress the claim",
                TokenUse::Id,
                Overrides {
                    groups: GroupOverride::Replace(vec![]),
                    ..Overrides::default()
                },
                json!({"cognito:groups": null}),
            ),
        ];
        for (case, token, overrides, differences) in cases {
            let original = match token {
                TokenUse::Id => id(),
                TokenUse::Access => access(),
            };
            let mut got = original.clone();
            apply_claims(&mut got, &overrides, token);
            let mut want = original.clone();
            for (name, value) in differences.as_object().unwrap() {
                if value.is_null() {
                    want.shift_remove(name);
                } else {
                    want.insert(name.clone(), value.clone());
                }
            }
            assert_eq!(keys(&got), keys(&want), "{case}: order");
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn groups_given_to_a_user_without_them_follow_sub() {
        let mut claims = access();
        claims.shift_remove(GROUPS);
        let overrides = Overrides {
            groups: GroupOverride::Replace(vec!["editors".into()]),
            ..Overrides::default()
        };
        apply_claims(&mut claims, &overrides, TokenUse::Access);
        assert_eq!(&keys(&claims)[..3], ["sub", "cognito:groups", "iss"]);
    }

    #[test]
    fn claims_keep_their_serialized_order() {
        #[derive(Serialize)]
        struct Token {
            z: u8,
            a: u8,
            m: &'static str,
        }
        let claims = claims_of(&Token { z: 1, a: 2, m: "x" }).unwrap();
        assert_eq!(keys(&claims), ["z", "a", "m"]);
    }
}
