//! The rules of `GET /oauth2/authorize` (and of `/login`, which takes the
//! same query), pure: a query and the pool's clients in, a valid request or
//! an error that says where it must go out. PKCE's S256 check lives here too.
//!
//! Where errors go, as in Cognito: without a known client and one of its
//! callback URLs, nothing may be redirected to, so the browser is sent to
//! the pool's own error page; once both are known, every other error is
//! redirected back to the client with `error` and `state`.

use std::collections::HashMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::cognito::clients::Clients;
use crate::template::app_client::{AppClient, OAuthFlow};

/// A valid authorize request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The app client.
    pub client_id: String,
    /// One of the client's callback URLs, exactly as sent.
    pub redirect_uri: String,
    /// The granted scopes: the requested ones the client is allowed (all
    /// of them when none are requested), custom scopes first.
    pub scopes: Vec<String>,
    /// Sent back unchanged.
    pub state: Option<String>,
    /// Copied into the ID token.
    pub nonce: Option<String>,
    /// The S256 PKCE challenge, if any.
    pub code_challenge: Option<String>,
}

/// An invalid authorize request, with where the browser must be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The pool's own error page: no trustworthy redirect URI is known.
    ErrorPage {
        /// `redirect_mismatch` or `invalid_request`.
        error: &'static str,
        /// The client named in the request, if any.
        client_id: Option<String>,
    },
    /// Back to the client's redirect URI with `error` (and `state`).
    Redirect {
        /// The validated redirect URI.
        redirect_uri: String,
        /// `invalid_request`, `unauthorized_client`, `invalid_scope` or
        /// `unsupported_response_type`.
        error: &'static str,
        /// The request's `state`.
        state: Option<String>,
    },
}

impl AuthorizeError {
    /// The error code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthorizeError::ErrorPage { error, .. } | AuthorizeError::Redirect { error, .. } => {
                error
            }
        }
    }
}

/// Validates an authorize query string (without the `?`) against `clients`.
pub fn validate(query: &str, clients: &Clients) -> Result<AuthorizeRequest, AuthorizeError> {
    let mut params: HashMap<String, String> = HashMap::new();
    let mut repeated = false;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        repeated |= params
            .insert(key.into_owned(), value.into_owned())
            .is_some();
    }
    let get = |name: &str| params.get(name).map(String::as_str);
    let client_id = get("client_id").map(str::to_owned);
    let Some(client) = client_id.as_deref().and_then(|id| clients.find(id)) else {
        return Err(AuthorizeError::ErrorPage {
            error: "invalid_request",
            client_id,
        });
    };
    let Some(redirect_uri) = get("redirect_uri").filter(|uri| is_callback(client, uri)) else {
        return Err(AuthorizeError::ErrorPage {
            error: "redirect_mismatch",
            client_id,
        });
    };
    let state = get("state").map(str::to_owned);
    let back = |error| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        error,
        state: state.clone(),
    };
    if repeated {
        return Err(back("invalid_request"));
    }
    match get("response_type") {
        Some("code") if client.allows(OAuthFlow::Code) => {}
        Some("code") => return Err(back("unauthorized_client")),
        // The implicit grant is not emulated (docs/local-fidelity.md).
        Some("token") if client.allows(OAuthFlow::Implicit) => {
            return Err(back("unsupported_response_type"));
        }
        Some("token") => return Err(back("unauthorized_client")),
        _ => return Err(back("invalid_request")),
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (None, None) => None,
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {
            Some(challenge.to_owned())
        }
        // `plain`, an unknown method, a method without a challenge or a
        // challenge without a method (which would mean `plain`).
        _ => return Err(back("invalid_request")),
    };
    let scopes = select_scopes(client, get("scope")).ok_or_else(|| back("invalid_scope"))?;
    Ok(AuthorizeRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state,
        nonce: get("nonce").map(str::to_owned),
        code_challenge,
    })
}

/// Exact string equality with one of the callback URLs, as Cognito matches.
pub fn is_callback(client: &AppClient, uri: &str) -> bool {
    client.callback_urls.iter().any(|u| u == uri)
}

/// The requested scopes the client is allowed, or all of the client's when
/// none are requested; `None` when scopes were requested but none is
/// allowed. Custom scopes come first, as in Cognito's tokens.
pub fn select_scopes(client: &AppClient, requested: Option<&str>) -> Option<Vec<String>> {
    let requested: Vec<&str> = requested
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    let wanted = |scope: &str| requested.is_empty() || requested.contains(&scope);
    let granted: Vec<String> = client
        .scopes
        .iter()
        .filter(|s| s.contains('/'))
        .chain(client.scopes.iter().filter(|s| !s.contains('/')))
        .filter(|s| wanted(s))
        .cloned()
        .collect();
    (!granted.is_empty()).then_some(granted)
}

/// A base64url SHA-256: 43 characters of the URL-safe alphabet.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True if `verifier` is a valid PKCE verifier (RFC 7636: 43 to 128
/// unreserved characters) whose S256 transform is `challenge`.
pub fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let valid = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    valid && {
        let computed = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
        verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLBACK: &str = "http://localhost:8080/callback";
    // RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn clients() -> Clients {
        Clients::new(vec![
            AppClient {
                name: "Web".into(),
                client_id: "web".into(),
                flows: vec![OAuthFlow::Code],
                scopes: vec!["openid".into(), "r/read".into(), "r/write".into()],
                callback_urls: vec![CALLBACK.into(), "https://app.example.com/cb".into()],
                ..AppClient::example()
            },
            AppClient {
                name: "M2M".into(),
                client_id: "m2m".into(),
                client_secret: Some("s".into()),
                flows: vec![OAuthFlow::ClientCredentials],
                scopes: vec!["r/read".into()],
                callback_urls: vec![CALLBACK.into()],
                ..AppClient::example()
            },
        ])
    }

    fn query(extra: &str) -> String {
        format!(
            "client_id=web&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&response_type=code&state=st{extra}"
        )
    }

    #[test]
    fn valid_requests_keep_state_nonce_and_challenge() {
        let q = query(&format!(
            "&nonce=n1&scope=openid+r%2Fread+r%2Fadmin&code_challenge={CHALLENGE}&code_challenge_method=S256"
        ));
        let request = validate(&q, &clients()).unwrap();
        assert_eq!(request.redirect_uri, CALLBACK);
        assert_eq!(request.scopes, ["r/read", "openid"]);
        assert_eq!(request.state.as_deref(), Some("st"));
        assert_eq!(request.nonce.as_deref(), Some("n1"));
        assert_eq!(request.code_challenge.as_deref(), Some(CHALLENGE));
        let all = validate(&query(""), &clients()).unwrap();
        assert_eq!(all.scopes, ["r/read", "r/write", "openid"]);
        assert_eq!(all.code_challenge, None);
    }

    #[test]
    fn invalid_requests_go_to_the_error_page_or_back_to_the_client() {
        let page = |error, client: Option<&str>| {
            Err::<(), _>(AuthorizeError::ErrorPage {
                error,
                client_id: client.map(str::to_owned),
            })
        };
        let back = |error| {
            Err::<(), _>(AuthorizeError::Redirect {
                redirect_uri: CALLBACK.into(),
                error,
                state: Some("st".into()),
            })
        };
        let cases: Vec<(&str, String, Result<(), AuthorizeError>)> = vec![
            (
                "unknown client",
                query("").replace("client_id=web", "client_id=ghost"),
                page("invalid_request", Some("ghost")),
            ),
            (
                "no client",
                "redirect_uri=x&response_type=code".into(),
                page("invalid_request", None),
            ),
            (
                "redirect_uri not registered",
                query("").replace("callback", "other"),
                page("redirect_mismatch", Some("web")),
            ),
            (
                "redirect_uri differs by a slash",
                query("").replace("callback", "callback%2F"),
                page("redirect_mismatch", Some("web")),
            ),
            (
                "no redirect_uri",
                "client_id=web&response_type=code".into(),
                page("redirect_mismatch", Some("web")),
            ),
            (
                "flow not allowed",
                query("").replace("client_id=web", "client_id=m2m"),
                back("unauthorized_client"),
            ),
            (
                "implicit not allowed",
                query("").replace("response_type=code", "response_type=token"),
                back("unauthorized_client"),
            ),
            (
                "no response_type",
                query("").replace("response_type=code", ""),
                back("invalid_request"),
            ),
            (
                "unknown response_type",
                query("").replace("response_type=code", "response_type=id_token"),
                back("invalid_request"),
            ),
            (
                "PKCE plain",
                query(&format!(
                    "&code_challenge={CHALLENGE}&code_challenge_method=plain"
                )),
                back("invalid_request"),
            ),
            (
                "challenge without method",
                query(&format!("&code_challenge={CHALLENGE}")),
                back("invalid_request"),
            ),
            (
                "method without challenge",
                query("&code_challenge_method=S256"),
                back("invalid_request"),
            ),
            (
                "challenge not base64url SHA-256",
                query("&code_challenge=short&code_challenge_method=S256"),
                back("invalid_request"),
            ),
            (
                "repeated parameter",
                query("&state=again"),
                Err(AuthorizeError::Redirect {
                    redirect_uri: CALLBACK.into(),
                    error: "invalid_request",
                    state: Some("again".into()),
                }),
            ),
            (
                "no allowed scope",
                query("&scope=r%2Fadmin+email"),
                back("invalid_scope"),
            ),
        ];
        for (name, q, expected) in cases {
            let got = validate(&q, &clients()).map(|_| ());
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn pkce_needs_the_exact_verifier() {
        assert!(pkce_matches(CHALLENGE, VERIFIER));
        let cases = [
            ("other verifier", &VERIFIER.replace('d', "e")),
            ("challenge as verifier", &CHALLENGE.to_string()),
            ("too short", &VERIFIER[..42].to_string()),
            ("bad character", &format!("{}+", &VERIFIER[..43])),
            ("empty", &String::new()),
        ];
        for (name, verifier) in cases {
            assert!(!pkce_matches(CHALLENGE, verifier), "{name}");
        }
    }
}
