//! Cognito's `/oauth2/token` for the client-credentials grant: request
//! parsing, client authentication (`client_secret_basic` or
//! `client_secret_post`), scope selection and token issuance.
//!
//! Errors mirror Cognito's: HTTP 400 with `{"error":"<code>"}` for every
//! OAuth error, including `invalid_client` (Cognito does not answer 401).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use thiserror::Error;

use crate::cognito::clients::{AppClient, Clients};
use crate::cognito::issuer::{Issuer, m2m_claims};

/// Lifetime of issued access tokens, Cognito's default of one hour.
pub const TOKEN_LIFETIME_SECS: i64 = 3600;

/// An OAuth error as the token endpoint reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TokenError {
    /// Malformed request: wrong content type, a missing or repeated
    /// parameter, or more than one way of authenticating.
    #[error("invalid_request")]
    InvalidRequest,
    /// Unknown client, wrong secret or no client authentication.
    #[error("invalid_client")]
    InvalidClient,
    /// A requested scope is not allowed for the client.
    #[error("invalid_scope")]
    InvalidScope,
    /// The client may not use the client-credentials grant.
    #[error("unauthorized_client")]
    UnauthorizedClient,
    /// A grant type other than `client_credentials`.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// The token could not be signed.
    #[error("server_error")]
    Server,
}

impl TokenError {
    /// The HTTP status Cognito answers with.
    pub fn status(self) -> u16 {
        match self {
            TokenError::Server => 500,
            _ => 400,
        }
    }

    /// The JSON body, `{"error":"<code>"}`.
    pub fn body(self) -> String {
        serde_json::json!({ "error": self.to_string() }).to_string()
    }
}

/// The parts of an HTTP request the token endpoint looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenRequest<'a> {
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// The signed access token.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// Always `Bearer`.
    pub token_type: &'static str,
}

/// What a valid request is granted: a client and its token's scope claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The authenticated client's id.
    pub client_id: String,
    /// Space-separated scopes for the token.
    pub scope: String,
}

/// Checks a token request against the pool's clients.
pub fn grant(request: &TokenRequest<'_>, clients: &Clients) -> Result<Grant, TokenError> {
    if !is_form(request.content_type) {
        return Err(TokenError::InvalidRequest);
    }
    let params = parse_form(request.body)?;
    let grant_type = params.get("grant_type").ok_or(TokenError::InvalidRequest)?;
    let client = authenticate(request.authorization, &params, clients)?;
    if grant_type != "client_credentials" {
        // Only the machine grant exists locally; code and refresh grants
        // need a hosted sign-in this tool does not emulate.
        return Err(TokenError::UnsupportedGrantType);
    }
    if !client.allows_client_credentials() {
        return Err(TokenError::UnauthorizedClient);
    }
    let scope = select_scopes(client, params.get("scope").map(String::as_str))?;
    Ok(Grant {
        client_id: client.client_id.clone(),
        scope,
    })
}

/// Issues tokens for granted requests.
pub struct TokenEndpoint {
    issuer: Issuer,
    issuer_url: String,
    clients: Clients,
}

impl TokenEndpoint {
    /// An endpoint signing with `issuer` and writing `issuer_url` as `iss`.
    pub fn new(issuer: Issuer, issuer_url: String, clients: Clients) -> Self {
        Self {
            issuer,
            issuer_url,
            clients,
        }
    }

    /// Answers a token request at time `now` (seconds since the epoch).
    pub fn answer(
        &self,
        request: &TokenRequest<'_>,
        now: i64,
    ) -> Result<TokenResponse, TokenError> {
        let grant = grant(request, &self.clients)?;
        let claims = m2m_claims(
            &self.issuer_url,
            &grant.client_id,
            &grant.scope,
            now,
            TOKEN_LIFETIME_SECS,
        );
        let access_token = self
            .issuer
            .access_token(&claims)
            .map_err(|_| TokenError::Server)?;
        Ok(TokenResponse {
            access_token,
            expires_in: TOKEN_LIFETIME_SECS,
            token_type: "Bearer",
        })
    }

    /// The signing key.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The `iss` written into tokens.
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The pool's clients.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }
}

fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Decodes the form; a repeated parameter is malformed (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, TokenError> {
    let mut params = HashMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        if params
            .insert(key.into_owned(), value.into_owned())
            .is_some()
        {
            return Err(TokenError::InvalidRequest);
        }
    }
    Ok(params)
}

fn authenticate<'c>(
    authorization: Option<&str>,
    params: &HashMap<String, String>,
    clients: &'c Clients,
) -> Result<&'c AppClient, TokenError> {
    let body_id = params.get("client_id").map(String::as_str);
    let body_secret = params.get("client_secret").map(String::as_str);
    let (client_id, secret) = match authorization {
        Some(header) => {
            let (id, secret) = parse_basic(header).ok_or(TokenError::InvalidClient)?;
            // One authentication method per request: a body secret next to
            // the header, or a body id naming another client, is ambiguous.
            if body_secret.is_some() || body_id.is_some_and(|b| b != id) {
                return Err(TokenError::InvalidRequest);
            }
            (id, Some(secret))
        }
        None => (
            body_id.ok_or(TokenError::InvalidClient)?.to_string(),
            body_secret.map(str::to_string),
        ),
    };
    clients
        .authenticate(&client_id, secret.as_deref())
        .ok_or(TokenError::InvalidClient)
}

/// `Basic base64(client_id:client_secret)`.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// The requested scopes if the client holds them all, or every custom scope
/// of the client when none are requested.
fn select_scopes(client: &AppClient, requested: Option<&str>) -> Result<String, TokenError> {
    let Some(requested) = requested else {
        let all: Vec<&str> = client.custom_scopes().collect();
        if all.is_empty() {
            return Err(TokenError::InvalidScope);
        }
        return Ok(all.join(" "));
    };
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !client.custom_scopes().any(|allowed| allowed == scope) {
            return Err(TokenError::InvalidScope);
        }
        if !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    if granted.is_empty() {
        return Err(TokenError::InvalidScope);
    }
    Ok(granted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::Value;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
    const READ: &str = "awesomeapi-resource-server/awesomeapi.read";

    fn clients() -> Clients {
        Clients::new(vec![
            AppClient {
                name: "M2M".into(),
                client_id: "m2m".into(),
                client_secret: Some("secret".into()),
                flows: vec!["client_credentials".into()],
                scopes: vec![READ.into(), "API/book.get".into(), "API/book.post".into()],
            },
            AppClient {
                name: "Web".into(),
                client_id: "web".into(),
                client_secret: None,
                flows: vec!["code".into()],
                scopes: vec!["openid".into()],
            },
            AppClient {
                name: "Idle".into(),
                client_id: "idle".into(),
                client_secret: Some("idle-secret".into()),
                flows: vec!["client_credentials".into()],
                scopes: vec!["openid".into()],
            },
        ])
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn requests_are_granted_or_refused_as_cognito_does() {
        let good = basic("m2m", "secret");
        let bad_secret = basic("m2m", "nope");
        let web = basic("web", "");
        let ghost = basic("ghost", "x");
        let idle = basic("idle", "idle-secret");
        // (case, content type, authorization, body, granted scope or error)
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            Result<&'a str, TokenError>,
        );
        let cases: Vec<Case> = vec![
            (
                "basic auth, all scopes",
                FORM,
                Some(&good),
                "grant_type=client_credentials",
                Ok("awesomeapi-resource-server/awesomeapi.read API/book.get API/book.post"),
            ),
            (
                "charset in content type",
                Some("application/x-www-form-urlencoded; charset=UTF-8"),
                Some(&good),
                "grant_type=client_credentials&scope=API%2Fbook.get",
                Ok("API/book.get"),
            ),
            (
                "post auth",
                FORM,
                None,
                "grant_type=client_credentials&client_id=m2m&client_secret=secret&scope=API/book.get",
                Ok("API/book.get"),
            ),
            (
                "narrow scope, duplicates folded",
                FORM,
                Some(&good),
                "grant_type=client_credentials&scope=API/book.get+API/book.get++API/book.post",
                Ok("API/book.get API/book.post"),
            ),
            (
                "json body",
                Some("application/json"),
                Some(&good),
                "grant_type=client_credentials",
                Err(TokenError::InvalidRequest),
            ),
            (
                "no content type",
                None,
                Some(&good),
                "grant_type=client_credentials",
                Err(TokenError::InvalidRequest),
            ),
            (
                "no grant type",
                FORM,
                Some(&good),
                "scope=API/book.get",
                Err(TokenError::InvalidRequest),
            ),
            (
                "repeated parameter",
                FORM,
                Some(&good),
                "grant_type=client_credentials&grant_type=client_credentials",
                Err(TokenError::InvalidRequest),
            ),
            (
                "two auth methods",
                FORM,
                Some(&good),
                "grant_type=client_credentials&client_secret=secret",
                Err(TokenError::InvalidRequest),
            ),
            (
                "body id of another client",
                FORM,
                Some(&good),
                "grant_type=client_credentials&client_id=web",
                Err(TokenError::InvalidRequest),
            ),
            (
                "wrong secret",
                FORM,
                Some(&bad_secret),
                "grant_type=client_credentials",
                Err(TokenError::InvalidClient),
            ),
            (
                "no authentication",
                FORM,
                None,
                "grant_type=client_credentials",
                Err(TokenError::InvalidClient),
            ),
            (
                "body id without secret",
                FORM,
                None,
                "grant_type=client_credentials&client_id=m2m",
                Err(TokenError::InvalidClient),
            ),
            (
                "unknown client",
                FORM,
                Some(&ghost),
                "grant_type=client_credentials",
                Err(TokenError::InvalidClient),
            ),
            (
                "garbage basic",
                FORM,
                Some("Basic !!!"),
                "grant_type=client_credentials",
                Err(TokenError::InvalidClient),
            ),
            (
                "bearer instead of basic",
                FORM,
                Some("Bearer abc"),
                "grant_type=client_credentials",
                Err(TokenError::InvalidClient),
            ),
            (
                "code grant",
                FORM,
                Some(&good),
                "grant_type=authorization_code&code=x",
                Err(TokenError::UnsupportedGrantType),
            ),
            (
                "password grant",
                FORM,
                Some(&good),
                "grant_type=password",
                Err(TokenError::UnsupportedGrantType),
            ),
            (
                "public client",
                FORM,
                None,
                "grant_type=client_credentials&client_id=web",
                Err(TokenError::UnauthorizedClient),
            ),
            (
                "public client with a secret",
                FORM,
                Some(&web),
                "grant_type=client_credentials",
                Err(TokenError::InvalidClient),
            ),
            (
                "scope not allowed",
                FORM,
                Some(&good),
                "grant_type=client_credentials&scope=API/user.get",
                Err(TokenError::InvalidScope),
            ),
            (
                "one bad scope spoils all",
                FORM,
                Some(&good),
                "grant_type=client_credentials&scope=API/book.get+API/admin",
                Err(TokenError::InvalidScope),
            ),
            (
                "scopes are case-sensitive",
                FORM,
                Some(&good),
                "grant_type=client_credentials&scope=API/Book.get",
                Err(TokenError::InvalidScope),
            ),
            (
                "openid is not for machines",
                FORM,
                Some(&idle),
                "grant_type=client_credentials&scope=openid",
                Err(TokenError::InvalidScope),
            ),
            (
                "no custom scope at all",
                FORM,
                Some(&idle),
                "grant_type=client_credentials",
                Err(TokenError::InvalidScope),
            ),
            (
                "empty scope",
                FORM,
                Some(&good),
                "grant_type=client_credentials&scope=",
                Err(TokenError::InvalidScope),
            ),
        ];
        let clients = clients();
        for (name, content_type, authorization, body, expected) in cases {
            let request = TokenRequest {
                content_type,
                authorization,
                body: body.as_bytes(),
            };
            let got = grant(&request, &clients).map(|g| g.scope);
            assert_eq!(got.as_deref().map_err(|e| *e), expected, "{name}");
        }
    }

    #[test]
    fn errors_are_cognito_json_with_400() {
        for (error, code) in [
            (TokenError::InvalidRequest, "invalid_request"),
            (TokenError::InvalidClient, "invalid_client"),
            (TokenError::InvalidScope, "invalid_scope"),
            (TokenError::UnauthorizedClient, "unauthorized_client"),
            (TokenError::UnsupportedGrantType, "unsupported_grant_type"),
        ] {
            assert_eq!(error.status(), 400);
            assert_eq!(error.body(), format!(r#"{{"error":"{code}"}}"#));
        }
    }

    #[test]
    fn issued_tokens_carry_the_m2m_claims() {
        let issuer = Issuer::generate("kid-1").unwrap();
        let endpoint = TokenEndpoint::new(
            issuer,
            "http://127.0.0.1:9100/us-east-1_abc".into(),
            clients(),
        );
        let auth = basic("m2m", "secret");
        let request = TokenRequest {
            content_type: FORM,
            authorization: Some(&auth),
            body: b"grant_type=client_credentials&scope=API/book.get",
        };
        let answer = endpoint.answer(&request, 1_700_000_000).unwrap();
        assert_eq!((answer.expires_in, answer.token_type), (3600, "Bearer"));
        let payload = answer.access_token.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["sub"], "m2m");
        assert_eq!(claims["client_id"], "m2m");
        assert_eq!(claims["token_use"], "access");
        assert_eq!(claims["scope"], "API/book.get");
        assert_eq!(claims["iss"], "http://127.0.0.1:9100/us-east-1_abc");
        assert_eq!(claims["exp"], 1_700_003_600);
        assert_eq!(claims["version"], 2);
        assert!(claims.get("username").is_none());
    }
}
