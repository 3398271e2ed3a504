//! Cognito's `/oauth2/token`, pure: request parsing (form body and query
//! string), client authentication (`client_secret_basic`,
//! `client_secret_post`, or a public client's `client_id`), and what each
//! grant asks for. [`crate::cognito::pool::UserPool`] carries the grants out.
//!
//! Errors mirror Cognito's: HTTP 400 with `{"error":"<code>"}` for every
//! OAuth error, including `invalid_client` (Cognito does not answer 401).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use thiserror::Error;

use crate::cognito::clients::Clients;
use crate::template::app_client::{AppClient, OAuthFlow};

/// An OAuth error as the token endpoint reports it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    /// Malformed request: wrong content type, a missing or repeated
    /// parameter, or more than one way of authenticating.
    #[error("invalid_request")]
    InvalidRequest,
    /// Unknown client, wrong secret or no client authentication.
    #[error("invalid_client")]
    InvalidClient,
    /// An unknown, used, expired or revoked code or refresh token, one of
    /// another client, or a PKCE verifier that does not match.
    #[error("invalid_grant")]
    InvalidGrant,
    /// A requested scope is not allowed for the client.
    #[error("invalid_scope")]
    InvalidScope,
    /// The client may not use this grant.
    #[error("unauthorized_client")]
    UnauthorizedClient,
    /// The code exchange's `redirect_uri` is not the authorize request's:
    /// Cognito's `unauthorized_client` with `invalid_redirect`.
    #[error("unauthorized_client (invalid_redirect)")]
    InvalidRedirect,
    /// A grant type other than `client_credentials`, `authorization_code`
    /// and `refresh_token`.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// The token could not be signed.
    #[error("server_error")]
    Server,
    /// The pre-token-generation trigger failed, timed out or answered
    /// something unreadable: `invalid_request` with its description.
    #[error("invalid_request ({0})")]
    Trigger(String),
}

impl TokenError {
    /// The HTTP status Cognito answers with.
    pub fn status(&self) -> u16 {
        match self {
            TokenError::Server => 500,
            _ => 400,
        }
    }

    /// The JSON body, `{"error":"<code>"}` (with Cognito's
    /// `error_description` for a redirect mismatch, and the trigger's
    /// failure).
    pub fn body(&self) -> String {
        match self {
            TokenError::InvalidRedirect => serde_json::json!({
                "error": "unauthorized_client",
                "error_description": "invalid_redirect",
            })
            .to_string(),
            TokenError::Trigger(description) => serde_json::json!({
                "error": "invalid_request",
                "error_description": description,
            })
            .to_string(),
            other => serde_json::json!({ "error": other.to_string() }).to_string(),
        }
    }
}

/// The parts of an HTTP request the token endpoint looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenRequest<'a> {
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The query string, without `?`: Cognito reads parameters there too.
    pub query: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
}

/// A successful answer, fields in Cognito's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// The ID token (user grants with `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The signed access token.
    pub access_token: String,
    /// The refresh token (code exchanges only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Always `Bearer`.
    pub token_type: &'static str,
}

/// What a valid request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRequest {
    /// `client_credentials`, with the scope claim to grant.
    ClientCredentials {
        /// Space-separated scopes for the token.
        scope: String,
    },
    /// `authorization_code`.
    AuthorizationCode {
        /// The code.
        code: String,
        /// Must equal the authorize request's.
        redirect_uri: Option<String>,
        /// PKCE.
        code_verifier: Option<String>,
    },
    /// `refresh_token`.
    RefreshToken {
        /// The refresh token.
        refresh_token: String,
    },
}

/// A request's authenticated client and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant<'c> {
    /// The authenticated client.
    pub client: &'c AppClient,
    /// The grant.
    pub request: GrantRequest,
}

/// The request's parameters (query string and form body together) and its
/// authenticated client: what the token and revocation endpoints share.
pub fn client_request<'c>(
    request: &TokenRequest<'_>,
    clients: &'c Clients,
) -> Result<(&'c AppClient, HashMap<String, String>), TokenError> {
    // A body must be a form; an empty one (parameters in the query string,
    // as `curl -X POST "…/oauth2/token?grant_type=…"` sends) may have any type.
    if !request.body.is_empty() && !is_form(request.content_type) {
        return Err(TokenError::InvalidRequest);
    }
    let mut params = HashMap::new();
    parse_form(request.query.unwrap_or_default().as_bytes(), &mut params)?;
    parse_form(request.body, &mut params)?;
    let client = authenticate(request.authorization, &params, clients)?;
    Ok((client, params))
}

/// Checks a token request against the pool's clients.
pub fn grant<'c>(
    request: &TokenRequest<'_>,
    clients: &'c Clients,
) -> Result<Grant<'c>, TokenError> {
    let (client, mut params) = client_request(request, clients)?;
    let grant_type = params
        .remove("grant_type")
        .ok_or(TokenError::InvalidRequest)?;
    let request = match grant_type.as_str() {
        "client_credentials" => {
            if !client.allows(OAuthFlow::ClientCredentials) {
                return Err(TokenError::UnauthorizedClient);
            }
            let scope = select_scopes(client, params.get("scope").map(String::as_str))?;
            GrantRequest::ClientCredentials { scope }
        }
        "authorization_code" => {
            if !client.allows(OAuthFlow::Code) {
                return Err(TokenError::UnauthorizedClient);
            }
            GrantRequest::AuthorizationCode {
                code: params.remove("code").ok_or(TokenError::InvalidRequest)?,
                redirect_uri: params.remove("redirect_uri"),
                code_verifier: params.remove("code_verifier"),
            }
        }
        "refresh_token" => GrantRequest::RefreshToken {
            refresh_token: params
                .remove("refresh_token")
                .ok_or(TokenError::InvalidRequest)?,
        },
        _ => return Err(TokenError::UnsupportedGrantType),
    };
    Ok(Grant { client, request })
}

fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Decodes a form into `params`; a repeated parameter, within one part or
/// across query and body, is malformed (RFC 6749 §3.2).
fn parse_form(bytes: &[u8], params: &mut HashMap<String, String>) -> Result<(), TokenError> {
    for (key, value) in form_urlencoded::parse(bytes) {
        if params
            .insert(key.into_owned(), value.into_owned())
            .is_some()
        {
            return Err(TokenError::InvalidRequest);
        }
    }
    Ok(())
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

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
    const READ: &str = "awesomeapi-resource-server/awesomeapi.read";

    fn clients() -> Clients {
        Clients::new(vec![
            AppClient {
                name: "M2M".into(),
                client_id: "m2m".into(),
                client_secret: Some("secret".into()),
                flows: vec![OAuthFlow::ClientCredentials],
                scopes: vec![READ.into(), "API/book.get".into(), "API/book.post".into()],
                ..AppClient::example()
            },
            AppClient {
                name: "Web".into(),
                client_id: "web".into(),
                client_secret: None,
                flows: vec![OAuthFlow::Code],
                scopes: vec!["openid".into()],
                ..AppClient::example()
            },
            AppClient {
                name: "Idle".into(),
                client_id: "idle".into(),
                client_secret: Some("idle-secret".into()),
                flows: vec![OAuthFlow::ClientCredentials],
                scopes: vec!["openid".into()],
                ..AppClient::example()
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
                "code grant by a machine client",
                FORM,
                Some(&good),
                "grant_type=authorization_code&code=x",
                Err(TokenError::UnauthorizedClient),
            ),
            (
                "parameters in the query string, empty body, no content type",
                None,
                Some(&good),
                "?grant_type=client_credentials&scope=API/book.get",
                Ok("API/book.get"),
            ),
            (
                "query string and form body together",
                FORM,
                Some(&good),
                "?grant_type=client_credentials|scope=API/book.get",
                Ok("API/book.get"),
            ),
            (
                "a parameter in both query and body",
                FORM,
                Some(&good),
                "?scope=API/book.get|grant_type=client_credentials&scope=API/book.get",
                Err(TokenError::InvalidRequest),
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
        for (name, content_type, authorization, text, expected) in cases {
            // `?query|body`, `?query` or `body`.
            let (query, body) = match text.strip_prefix('?') {
                Some(rest) => match rest.split_once('|') {
                    Some((q, b)) => (Some(q), b),
                    None => (Some(rest), ""),
                },
                None => (None, text),
            };
            let request = TokenRequest {
                content_type,
                authorization,
                query,
                body: body.as_bytes(),
            };
            let got = grant(&request, &clients).map(|g| match g.request {
                GrantRequest::ClientCredentials { scope } => scope,
                other => format!("{other:?}"),
            });
            assert_eq!(got.as_deref().map_err(|e| e.clone()), expected, "{name}");
        }
    }

    #[test]
    fn code_and_refresh_grants_name_their_parameters() {
        let clients = clients();
        let parse = |body: &str| {
            let request = TokenRequest {
                content_type: FORM,
                body: body.as_bytes(),
                ..TokenRequest::default()
            };
            grant(&request, &clients).map(|g| (g.client.name.clone(), g.request))
        };
        assert_eq!(
            parse(
                "grant_type=authorization_code&client_id=web&code=c&redirect_uri=u&code_verifier=v"
            ),
            Ok((
                "Web".into(),
                GrantRequest::AuthorizationCode {
                    code: "c".into(),
                    redirect_uri: Some("u".into()),
                    code_verifier: Some("v".into()),
                }
            ))
        );
        assert_eq!(
            parse("grant_type=refresh_token&client_id=web&refresh_token=r"),
            Ok((
                "Web".into(),
                GrantRequest::RefreshToken {
                    refresh_token: "r".into()
                }
            ))
        );
        for (name, body, error) in [
            (
                "no code",
                "grant_type=authorization_code&client_id=web",
                TokenError::InvalidRequest,
            ),
            (
                "no refresh token",
                "grant_type=refresh_token&client_id=web",
                TokenError::InvalidRequest,
            ),
            (
                "public client without client_id",
                "grant_type=authorization_code&code=c",
                TokenError::InvalidClient,
            ),
            (
                "public client with a secret",
                "grant_type=authorization_code&client_id=web&client_secret=x&code=c",
                TokenError::InvalidClient,
            ),
        ] {
            assert_eq!(parse(body).map(|_| ()), Err(error), "{name}");
        }
    }

    #[test]
    fn errors_are_cognito_json_with_400() {
        assert_eq!(
            TokenError::InvalidRedirect.body(),
            r#"{"error":"unauthorized_client","error_description":"invalid_redirect"}"#
        );
        for (error, code) in [
            (TokenError::InvalidGrant, "invalid_grant"),
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
}
