//! What the hosted sign-in remembers between requests: authorization
//! codes, browser sessions and refresh tokens, with rotation and
//! revocation. Pure and in memory (a restart signs everyone out): every
//! method takes the time, so tests inject a clock.
//!
//! Rotation, as Cognito's app-client setting does it: a refresh answers a
//! new refresh token of the same sign-in (its family, one `origin_jti`),
//! expiring when the first one does; the token it replaces works for the
//! grace period more (a retry after a lost answer), then never again.
//! Revoking any token of a family ends the whole family.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::cognito::authorize::AuthorizeRequest;
use crate::cognito::pre_token::Overrides;
use crate::cognito::user_tokens::SignIn;
use crate::ids::{self, RandomError};

/// Codes are valid for five minutes, as in Cognito.
pub const CODE_LIFETIME_SECS: i64 = 300;
/// The hosted sign-in's session cookie lasts an hour, as in Cognito.
pub const SESSION_LIFETIME_SECS: i64 = 3600;

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    /// The sign-in it was issued for (client and scopes included).
    pub sign_in: SignIn,
    /// The authorize request's redirect URI; the exchange must send it again.
    pub redirect_uri: String,
    /// The PKCE challenge the exchange's verifier must match.
    pub code_challenge: Option<String>,
    /// For the ID token.
    pub nonce: Option<String>,
    /// The pre-token-generation trigger's answer at sign-in, applied when
    /// the code is exchanged (Cognito calls the trigger at sign-in, so a
    /// failure reaches the callback instead of a code).
    pub overrides: Overrides,
    expires_at: i64,
}

impl CodeGrant {
    /// The grant of a validated authorize request for `sign_in`.
    pub fn new(request: &AuthorizeRequest, sign_in: SignIn, now: i64) -> Self {
        Self {
            sign_in,
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            overrides: Overrides::default(),
            expires_at: now + CODE_LIFETIME_SECS,
        }
    }
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub sub: String,
    /// When the password was typed.
    pub auth_time: i64,
    expires_at: i64,
}

/// What a refresh token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    /// The sign-in whose tokens it renews.
    pub sign_in: SignIn,
    expires_at: i64,
    /// Once rotated out: the end of its grace period.
    retired_at: Option<i64>,
}

impl RefreshGrant {
    fn is_live(&self, now: i64) -> bool {
        now < self.expires_at && self.retired_at.is_none_or(|end| now < end)
    }
}

/// Codes, sessions and refresh tokens.
#[derive(Debug, Default)]
pub struct Grants {
    codes: HashMap<String, CodeGrant>,
    sessions: HashMap<String, Session>,
    refresh: HashMap<String, RefreshGrant>,
    /// `origin_jti`s of revoked sign-ins: their tokens fail userInfo.
    revoked: HashSet<String>,
}

impl Grants {
    /// A new code (a UUID, as Cognito's) for `grant`.
    pub fn issue_code(&mut self, grant: CodeGrant, now: i64) -> Result<String, RandomError> {
        self.prune(now);
        let code = ids::uuid()?;
        self.codes.insert(code.clone(), grant);
        Ok(code)
    }

    /// Takes the code's grant: a code is used up by its first exchange,
    /// successful or not; an unknown, used or expired code gives `None`.
    pub fn redeem_code(&mut self, code: &str, now: i64) -> Option<CodeGrant> {
        self.codes.remove(code).filter(|g| now < g.expires_at)
    }

    /// A new session id for a browser that signed in as `sub` at `now`.
    pub fn open_session(&mut self, sub: &str, now: i64) -> Result<String, RandomError> {
        self.prune(now);
        let id = ids::random_b64(32)?;
        let session = Session {
            sub: sub.to_owned(),
            auth_time: now,
            expires_at: now + SESSION_LIFETIME_SECS,
        };
        self.sessions.insert(id.clone(), session);
        Ok(id)
    }

    /// The live session with this id.
    pub fn session(&self, id: &str, now: i64) -> Option<&Session> {
        self.sessions.get(id).filter(|s| now < s.expires_at)
    }

    /// Ends a session (sign-out).
    pub fn close_session(&mut self, id: &str) {
        self.sessions.remove(id);
    }

    /// A new refresh token for `sign_in`, valid `lifetime` seconds.
    pub fn issue_refresh(
        &mut self,
        sign_in: SignIn,
        now: i64,
        lifetime: i64,
    ) -> Result<String, RandomError> {
        self.prune(now);
        self.insert_refresh(sign_in, now + lifetime)
    }

    fn insert_refresh(&mut self, sign_in: SignIn, expires_at: i64) -> Result<String, RandomError> {
        let token = opaque_refresh_token()?;
        let grant = RefreshGrant {
            sign_in,
            expires_at,
            retired_at: None,
        };
        self.refresh.insert(token.clone(), grant);
        Ok(token)
    }

    /// The grant of a live refresh token issued to `client_id`.
    pub fn refresh(&self, token: &str, client_id: &str, now: i64) -> Option<&RefreshGrant> {
        self.refresh
            .get(token)
            .filter(|g| g.is_live(now) && g.sign_in.client_id == client_id)
    }

    /// Rotates a live refresh token of `client_id`: its sign-in and a new
    /// token of the same family and expiry; the given token keeps working
    /// until `now + grace_secs` (a retry within that gets another new
    /// token, the grace period is not extended). `None` for an unknown,
    /// expired, revoked or rotated-out token, or another client's.
    pub fn rotate(
        &mut self,
        token: &str,
        client_id: &str,
        now: i64,
        grace_secs: i64,
    ) -> Result<Option<(SignIn, String)>, RandomError> {
        self.prune(now);
        let Some(grant) = self
            .refresh
            .get_mut(token)
            .filter(|g| g.is_live(now) && g.sign_in.client_id == client_id)
        else {
            return Ok(None);
        };
        let end = now + grace_secs;
        grant.retired_at = Some(grant.retired_at.map_or(end, |at| at.min(end)));
        let (sign_in, expires_at) = (grant.sign_in.clone(), grant.expires_at);
        let new = self.insert_refresh(sign_in.clone(), expires_at)?;
        Ok(Some((sign_in, new)))
    }

    /// Revokes a refresh token of `client_id`, the other tokens of its
    /// family (rotated ones) and what was issued from them; true if there
    /// was one. Other clients' and unknown tokens are left alone (the
    /// endpoint answers 200 either way).
    pub fn revoke(&mut self, token: &str, client_id: &str) -> bool {
        match self.refresh.get(token) {
            Some(g) if g.sign_in.client_id == client_id => {
                let origin = g.sign_in.origin_jti.clone();
                self.refresh.retain(|_, g| g.sign_in.origin_jti != origin);
                self.revoked.insert(origin);
                true
            }
            _ => false,
        }
    }

    /// True if the sign-in with this `origin_jti` was revoked.
    pub fn is_revoked(&self, origin_jti: &str) -> bool {
        self.revoked.contains(origin_jti)
    }

    /// Drops what has expired, so a long run does not grow without bound.
    fn prune(&mut self, now: i64) {
        self.codes.retain(|_, g| now < g.expires_at);
        self.sessions.retain(|_, s| now < s.expires_at);
        self.refresh.retain(|_, g| g.is_live(now));
    }
}

/// A refresh token: opaque to clients, shaped like Cognito's five-part JWE
/// (a header naming RSA-OAEP and A256GCM, then random key, IV, ciphertext
/// and tag parts). Nothing is encrypted: the parts are random and the
/// token is only a key into [`Grants`].
fn opaque_refresh_token() -> Result<String, RandomError> {
    let header = URL_SAFE_NO_PAD.encode(r#"{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}"#);
    let parts = [
        ids::random_b64(256)?,
        ids::random_b64(12)?,
        ids::random_b64(384)?,
        ids::random_b64(16)?,
    ];
    Ok(format!("{header}.{}", parts.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in(client: &str) -> SignIn {
        SignIn {
            sub: "u".into(),
            auth_time: 0,
            event_id: "e".into(),
            origin_jti: format!("oj-{client}"),
            client_id: client.into(),
            scopes: vec!["openid".into()],
        }
    }

    fn request() -> AuthorizeRequest {
        AuthorizeRequest {
            client_id: "web".into(),
            redirect_uri: "http://localhost/cb".into(),
            scopes: vec!["openid".into()],
            state: None,
            nonce: Some("n".into()),
            code_challenge: None,
        }
    }

    #[test]
    fn codes_are_single_use_and_live_five_minutes() {
        let mut grants = Grants::default();
        // (name, redeem after seconds, redeem twice, expected first, second)
        let cases = [
            ("fresh", 0, true, true, false),
            (
                "just before expiry",
                CODE_LIFETIME_SECS - 1,
                false,
                true,
                false,
            ),
            ("at expiry", CODE_LIFETIME_SECS, false, false, false),
            ("long after", 3600, false, false, false),
        ];
        for (name, after, twice, first, second) in cases {
            let grant = CodeGrant::new(&request(), sign_in("web"), 1000);
            let code = grants.issue_code(grant, 1000).unwrap();
            assert_eq!(code.len(), 36, "{name}");
            let got = grants.redeem_code(&code, 1000 + after);
            assert_eq!(got.is_some(), first, "{name}");
            if twice {
                let again = grants.redeem_code(&code, 1000 + after);
                assert_eq!(again.is_some(), second, "{name}: reused");
            }
        }
        assert!(grants.redeem_code("unknown", 1000).is_none());
    }

    #[test]
    fn sessions_last_an_hour_and_end_at_sign_out() {
        let mut grants = Grants::default();
        let id = grants.open_session("u", 0).unwrap();
        assert_eq!(
            grants.session(&id, SESSION_LIFETIME_SECS - 1).unwrap().sub,
            "u"
        );
        assert!(grants.session(&id, SESSION_LIFETIME_SECS).is_none());
        let id = grants.open_session("u", 0).unwrap();
        grants.close_session(&id);
        assert!(grants.session(&id, 1).is_none());
        assert!(grants.session("other", 1).is_none());
    }

    #[test]
    fn refresh_tokens_are_bound_to_their_client_and_revocable() {
        let mut grants = Grants::default();
        let token = grants.issue_refresh(sign_in("web"), 0, 100).unwrap();
        assert_eq!(token.split('.').count(), 5);
        assert!(grants.refresh(&token, "web", 99).is_some());
        assert!(grants.refresh(&token, "web", 100).is_none(), "expired");
        assert!(grants.refresh(&token, "other", 1).is_none(), "other client");
        assert!(
            !grants.revoke(&token, "other"),
            "other client cannot revoke"
        );
        assert!(grants.refresh(&token, "web", 1).is_some());
        assert!(!grants.is_revoked("oj-web"));
        assert!(grants.revoke(&token, "web"));
        assert!(grants.refresh(&token, "web", 1).is_none(), "revoked");
        assert!(grants.is_revoked("oj-web"));
        assert!(!grants.revoke(&token, "web"), "already revoked");
    }

    #[test]
    fn a_rotated_token_works_for_the_grace_period_then_never() {
        // (grace, seconds after the rotation the old token is used, works)
        let cases = [
            (10, 0, true),
            (10, 9, true),
            (10, 10, false),
            (10, 3600, false),
            (0, 0, false),
        ];
        for (grace, after, works) in cases {
            let mut grants = Grants::default();
            let first = grants.issue_refresh(sign_in("web"), 0, 86_400).unwrap();
            let (renewed, second) = grants.rotate(&first, "web", 100, grace).unwrap().unwrap();
            assert_eq!(renewed, sign_in("web"));
            assert_ne!(second, first);
            assert_eq!(second.split('.').count(), 5);
            let now = 100 + after;
            let old = grants.refresh(&first, "web", now).is_some();
            assert_eq!(old, works, "grace {grace}, {after} s later");
            let again = grants.rotate(&first, "web", now, grace).unwrap();
            assert_eq!(again.is_some(), works, "grace {grace}: a retry");
            assert!(
                grants.refresh(&second, "web", now).is_some(),
                "the new one works"
            );
        }
    }

    #[test]
    fn a_retry_within_the_grace_period_does_not_extend_it() {
        let mut grants = Grants::default();
        let first = grants.issue_refresh(sign_in("web"), 0, 1000).unwrap();
        grants.rotate(&first, "web", 100, 10).unwrap().unwrap();
        grants.rotate(&first, "web", 105, 10).unwrap().unwrap();
        assert!(grants.refresh(&first, "web", 109).is_some());
        assert!(grants.refresh(&first, "web", 110).is_none());
    }

    #[test]
    fn rotated_tokens_keep_the_first_ones_expiry_and_client() {
        let mut grants = Grants::default();
        let first = grants.issue_refresh(sign_in("web"), 0, 1000).unwrap();
        let (_, second) = grants.rotate(&first, "web", 500, 10).unwrap().unwrap();
        assert!(grants.refresh(&second, "web", 999).is_some());
        assert!(
            grants.refresh(&second, "web", 1000).is_none(),
            "the family's expiry"
        );
        assert!(grants.rotate(&second, "web", 1000, 10).unwrap().is_none());
        assert!(grants.rotate(&second, "other", 600, 10).unwrap().is_none());
        assert!(grants.rotate("unknown", "web", 600, 10).unwrap().is_none());
    }

    #[test]
    fn revoking_any_token_of_a_family_ends_all_of_it() {
        for revoke_first in [true, false] {
            let mut grants = Grants::default();
            let first = grants.issue_refresh(sign_in("web"), 0, 1000).unwrap();
            let (_, second) = grants.rotate(&first, "web", 100, 60).unwrap().unwrap();
            let other = grants.issue_refresh(sign_in("m2m"), 0, 1000).unwrap();
            let revoked = if revoke_first { &first } else { &second };
            assert!(grants.revoke(revoked, "web"));
            for token in [&first, &second] {
                assert!(
                    grants.refresh(token, "web", 101).is_none(),
                    "{revoke_first}"
                );
                assert!(grants.rotate(token, "web", 101, 60).unwrap().is_none());
            }
            assert!(grants.is_revoked("oj-web"));
            assert!(
                grants.refresh(&other, "m2m", 101).is_some(),
                "another sign-in"
            );
        }
    }
}
