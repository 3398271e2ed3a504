//! The local user pool itself: its clients, users and signing keys, and
//! the grants it remembers. The HTTP face ([`crate::cognito::pool_server`])
//! calls these methods with the request's parts and the time; the rules
//! they apply are in [`crate::cognito::authorize`],
//! [`crate::cognito::token_endpoint`] and [`crate::cognito::grants`]; with
//! a pre-token-generation trigger, every token goes through
//! [`crate::cognito::pre_token`] first.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde_json::{Value, json};
use thiserror::Error;

use crate::cognito::authorize::{AuthorizeRequest, pkce_matches};
use crate::cognito::clients::Clients;
use crate::cognito::grants::{CodeGrant, Grants};
use crate::cognito::pre_token::{
    Overrides, PreToken, TokenEvent, TokenUse, TriggerError, TriggerSource, apply_claims, claims_of,
};
use crate::cognito::token_endpoint::{
    GrantRequest, TokenError, TokenRequest, TokenResponse, client_request, grant,
};
use crate::cognito::user_tokens::{IdClaims, IdTokenInput, SignIn, UserAccessClaims};
use crate::cognito::users::{User, UserStore};
use crate::ids::{self, RandomError};
use crate::template::app_client::AppClient;
use testkit::{Issuer, jwks, m2m_claims};

/// The state-folder file of the ID tokens' signing key.
pub const ID_KEY_FILE: &str = "id-token-key.pk8";

/// The pool's two signing keys: Cognito signs access and ID tokens with
/// different keys, both in its JWKS.
pub struct SigningKeys {
    /// Signs access tokens (first in the JWKS).
    pub access: Issuer,
    /// Signs ID tokens.
    pub id: Issuer,
}

/// Why a sign-in on the hosted page failed.
#[derive(Debug, Error)]
pub enum SignInError {
    /// Unknown user or wrong password: the page says only
    /// "Incorrect username or password.".
    #[error("incorrect username or password")]
    Incorrect,
    /// No randomness for the code or session.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The pre-token-generation trigger refused or failed: the browser
    /// goes back to the callback with the error instead of a code.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
}

/// A successful sign-in: the code for the client and the browser's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The authorization code.
    pub code: String,
    /// The new session's id, for the session cookie.
    pub session: String,
}

/// Why `/oauth2/userInfo` refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum UserInfoError {
    /// No bearer token, or one that is not a live, unrevoked access token
    /// of this pool.
    #[error("invalid_token")]
    InvalidToken,
    /// The access token has no `openid` scope.
    #[error("insufficient_scope")]
    InsufficientScope,
}

/// The local user pool.
pub struct UserPool {
    keys: SigningKeys,
    issuer_url: String,
    clients: Clients,
    users: UserStore,
    grants: Mutex<Grants>,
    pre_token: Option<PreToken>,
}

impl UserPool {
    /// A pool writing `issuer_url` as `iss`.
    pub fn new(keys: SigningKeys, issuer_url: String, clients: Clients, users: UserStore) -> Self {
        Self {
            keys,
            issuer_url,
            clients,
            users,
            grants: Mutex::new(Grants::default()),
            pre_token: None,
        }
    }

    /// The same pool calling `trigger` before it issues tokens.
    pub fn with_pre_token(mut self, trigger: PreToken) -> Self {
        self.pre_token = Some(trigger);
        self
    }

    /// The trigger's answer for tokens of `client_id` (`user`'s, or an M2M
    /// client's when `None`) with `scopes`; nothing changes without a
    /// trigger, or for an M2M token with `V2_0`.
    async fn run_trigger(
        &self,
        source: TriggerSource,
        client_id: &str,
        user: Option<&User>,
        scopes: &[String],
    ) -> Result<Overrides, TriggerError> {
        let Some(trigger) = &self.pre_token else {
            return Ok(Overrides::default());
        };
        if source == TriggerSource::ClientCredentials
            && !trigger.version.covers_client_credentials()
        {
            return Ok(Overrides::default());
        }
        let event = TokenEvent {
            version: trigger.version,
            source,
            region: &trigger.region,
            user_pool_id: &trigger.user_pool_id,
            client_id,
            user,
            scopes,
        };
        trigger.run(&event).await
    }

    /// The `iss` written into tokens.
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The app clients.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The users.
    pub fn users(&self) -> &UserStore {
        &self.users
    }

    /// The access-token key.
    pub fn access_key(&self) -> &Issuer {
        &self.keys.access
    }

    /// The JWKS: the access-token key, then the ID-token key.
    pub fn jwks(&self) -> Value {
        jwks(&[&self.keys.access, &self.keys.id])
    }

    fn grants(&self) -> MutexGuard<'_, Grants> {
        // A panic elsewhere while holding the lock leaves the maps usable.
        self.grants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers `/oauth2/token` at `now` (seconds since the epoch).
    pub async fn token(
        &self,
        request: &TokenRequest<'_>,
        now: i64,
    ) -> Result<TokenResponse, TokenError> {
        let grant = grant(request, &self.clients)?;
        let client = grant.client;
        match grant.request {
            GrantRequest::ClientCredentials { scope } => {
                let scopes: Vec<String> = scope.split(' ').map(str::to_owned).collect();
                let overrides = self
                    .run_trigger(
                        TriggerSource::ClientCredentials,
                        &client.client_id,
                        None,
                        &scopes,
                    )
                    .await
                    .map_err(trigger_refused)?;
                let lifetime = client.validity.access_secs;
                let claims = m2m_claims(&self.issuer_url, &client.client_id, &scope, now, lifetime);
                let access_token = sign(&self.keys.access, &claims, &overrides, TokenUse::Access)?;
                Ok(TokenResponse {
                    id_token: None,
                    access_token,
                    refresh_token: None,
                    expires_in: lifetime,
                    token_type: "Bearer",
                })
            }
            GrantRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                let code = self
                    .grants()
                    .redeem_code(&code, now)
                    .filter(|g| g.sign_in.client_id == client.client_id)
                    .ok_or(TokenError::InvalidGrant)?;
                if redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
                    return Err(TokenError::InvalidRedirect);
                }
                if let Some(challenge) = &code.code_challenge {
                    let verifier = code_verifier.ok_or(TokenError::InvalidRequest)?;
                    if !pkce_matches(challenge, &verifier) {
                        return Err(TokenError::InvalidGrant);
                    }
                }
                let mut answer = self.user_tokens(
                    client,
                    &code.sign_in,
                    code.nonce.as_deref(),
                    &code.overrides,
                    now,
                )?;
                let refresh = self
                    .grants()
                    .issue_refresh(code.sign_in, now, client.validity.refresh_secs)
                    .map_err(|_| TokenError::Server)?;
                answer.refresh_token = Some(refresh);
                Ok(answer)
            }
            GrantRequest::RefreshToken { refresh_token } => {
                let (sign_in, rotated) = self.renew(client, &refresh_token, now)?;
                let user = self
                    .users
                    .by_sub(&sign_in.sub)
                    .ok_or(TokenError::InvalidGrant)?;
                let overrides = self
                    .run_trigger(
                        TriggerSource::RefreshTokens,
                        &client.client_id,
                        Some(user),
                        &sign_in.scopes,
                    )
                    .await
                    .map_err(trigger_refused)?;
                let mut answer = self.user_tokens(client, &sign_in, None, &overrides, now)?;
                answer.refresh_token = rotated;
                Ok(answer)
            }
        }
    }

    /// The sign-in a refresh token of `client` renews and, when the client
    /// rotates refresh tokens, the new one that replaces it.
    fn renew(
        &self,
        client: &AppClient,
        token: &str,
        now: i64,
    ) -> Result<(SignIn, Option<String>), TokenError> {
        let mut grants = self.grants();
        match client.refresh_rotation {
            Some(rotation) => grants
                .rotate(token, &client.client_id, now, rotation.grace_secs)
                .map_err(|_| TokenError::Server)?
                .map(|(sign_in, new)| (sign_in, Some(new))),
            None => grants
                .refresh(token, &client.client_id, now)
                .map(|g| (g.sign_in.clone(), None)),
        }
        .ok_or(TokenError::InvalidGrant)
    }

    /// An access token and, with `openid`, an ID token for `sign_in`,
    /// with the trigger's `overrides` applied.
    fn user_tokens(
        &self,
        client: &AppClient,
        sign_in: &SignIn,
        nonce: Option<&str>,
        overrides: &Overrides,
        now: i64,
    ) -> Result<TokenResponse, TokenError> {
        let user = self
            .users
            .by_sub(&sign_in.sub)
            .ok_or(TokenError::InvalidGrant)?;
        let jti = || ids::uuid().map_err(|_| TokenError::Server);
        let lifetime = client.validity.access_secs;
        let access = UserAccessClaims::new(&self.issuer_url, user, sign_in, now, lifetime, jti()?);
        let access_token = sign(&self.keys.access, &access, overrides, TokenUse::Access)?;
        let id_token = if sign_in.has_openid() {
            let input = IdTokenInput {
                issuer: &self.issuer_url,
                access_token: &access_token,
                nonce,
                now,
                lifetime: client.validity.id_secs,
            };
            let claims = IdClaims::new(input, user, sign_in, jti()?);
            Some(sign(&self.keys.id, &claims, overrides, TokenUse::Id)?)
        } else {
            None
        };
        Ok(TokenResponse {
            id_token,
            access_token,
            refresh_token: None,
            expires_in: lifetime,
            token_type: "Bearer",
        })
    }

    /// Signs a user in on the hosted page for a validated authorize
    /// request: a code for the client and a session for the browser. The
    /// trigger runs here, as in Cognito; its answer waits with the code.
    pub async fn sign_in(
        &self,
        request: &AuthorizeRequest,
        username: &str,
        password: &str,
        now: i64,
    ) -> Result<SignedIn, SignInError> {
        // Hashing happens outside the lock: other requests go on meanwhile.
        let user = self
            .users
            .authenticate(username, password)
            .ok_or(SignInError::Incorrect)?;
        let overrides = self.hosted_auth(request, user).await?;
        let mut grants = self.grants();
        let session = grants.open_session(&user.sub, now)?;
        let code = issue_code(&mut grants, request, user, overrides, now, now)?;
        Ok(SignedIn { code, session })
    }

    async fn hosted_auth(
        &self,
        request: &AuthorizeRequest,
        user: &User,
    ) -> Result<Overrides, TriggerError> {
        let source = TriggerSource::HostedAuth;
        self.run_trigger(source, &request.client_id, Some(user), &request.scopes)
            .await
    }

    /// A code for a browser whose session is still live (a later
    /// `/oauth2/authorize` skips the form); `None` without one. Tokens
    /// come of it, so the trigger runs here too.
    pub async fn code_for_session(
        &self,
        request: &AuthorizeRequest,
        session: &str,
        now: i64,
    ) -> Result<Option<String>, SignInError> {
        let Some(live) = self.grants().session(session, now).cloned() else {
            return Ok(None);
        };
        let Some(user) = self.users.by_sub(&live.sub) else {
            return Ok(None);
        };
        // The lock is not held while the trigger runs.
        let overrides = self.hosted_auth(request, user).await?;
        let mut grants = self.grants();
        let code = issue_code(&mut grants, request, user, overrides, live.auth_time, now)?;
        Ok(Some(code))
    }

    /// Ends a browser's session (`/logout`).
    pub fn sign_out(&self, session: &str) {
        self.grants().close_session(session);
    }

    /// Revokes the refresh token in a `/oauth2/revoke` request: the client
    /// must authenticate as at the token endpoint; unknown tokens succeed.
    pub fn revoke(&self, request: &TokenRequest<'_>) -> Result<(), TokenError> {
        let (client, params) = client_request(request, &self.clients)?;
        let token = params.get("token").ok_or(TokenError::InvalidRequest)?;
        let revoked = self.grants().revoke(token, &client.client_id);
        tracing::info!(revoked, "revocation request");
        Ok(())
    }

    /// `/oauth2/userInfo` for an `Authorization` header.
    pub fn user_info(&self, authorization: Option<&str>, now: i64) -> Result<Value, UserInfoError> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(UserInfoError::InvalidToken)?;
        let claims = self
            .keys
            .access
            .verify(token)
            .ok_or(UserInfoError::InvalidToken)?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let live = text("token_use") == Some("access")
            && text("iss") == Some(self.issuer_url.as_str())
            && claims
                .get("exp")
                .and_then(Value::as_i64)
                .is_some_and(|exp| now < exp);
        let origin = text("origin_jti").ok_or(UserInfoError::InvalidToken)?;
        if !live || self.grants().is_revoked(origin) {
            return Err(UserInfoError::InvalidToken);
        }
        if !text("scope")
            .unwrap_or_default()
            .split(' ')
            .any(|s| s == "openid")
        {
            return Err(UserInfoError::InsufficientScope);
        }
        let user = text("sub")
            .and_then(|sub| self.users.by_sub(sub))
            .ok_or(UserInfoError::InvalidToken)?;
        // `email_verified` is a string here, unlike in the ID token.
        Ok(json!({
            "sub": user.sub,
            "email_verified": user.email_verified.to_string(),
            "email": user.email,
            "username": user.username,
        }))
    }
}

/// Signs `claims` of a `token`, through the trigger's `overrides` when
/// there are any (claims otherwise keep their `Serialize` form exactly).
fn sign(
    key: &Issuer,
    claims: &impl Serialize,
    overrides: &Overrides,
    token: TokenUse,
) -> Result<String, TokenError> {
    let signed = if overrides.is_empty() {
        key.sign_claims(claims)
    } else {
        let mut map = claims_of(claims).map_err(|_| TokenError::Server)?;
        apply_claims(&mut map, overrides, token);
        key.sign_claims(&map)
    };
    signed.map_err(|_| TokenError::Server)
}

/// A failed trigger as the token endpoint answers it.
fn trigger_refused(error: TriggerError) -> TokenError {
    TokenError::Trigger(error.to_string())
}

fn issue_code(
    grants: &mut Grants,
    request: &AuthorizeRequest,
    user: &User,
    overrides: Overrides,
    auth_time: i64,
    now: i64,
) -> Result<String, RandomError> {
    let sign_in = SignIn {
        sub: user.sub.clone(),
        auth_time,
        event_id: ids::uuid()?,
        origin_jti: ids::uuid()?,
        client_id: request.client_id.clone(),
        scopes: request.scopes.clone(),
    };
    let mut grant = CodeGrant::new(request, sign_in, now);
    grant.overrides = overrides;
    grants.issue_code(grant, now)
}
