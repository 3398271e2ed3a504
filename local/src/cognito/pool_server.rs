//! The local user pool's HTTP face: the hosted sign-in (`/oauth2/authorize`,
//! `/login`, `/logout`, `/error`), the OAuth endpoints (`/oauth2/token`,
//! `/oauth2/userInfo`, `/oauth2/revoke`) and the two well-known documents
//! a verifier fetches (JWKS and OpenID configuration). Handlers only move
//! HTTP parts in and out; [`UserPool`] and [`authorize`] decide.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use crate::clock::{Clock, SystemClock};
use crate::cognito::authorize::{self, AuthorizeError, AuthorizeRequest};
use crate::cognito::grants::SESSION_LIFETIME_SECS;
use crate::cognito::hosted_ui::{
    INCORRECT, SESSION_COOKIE, XSRF_COOKIE, cookie, describe, error_page, login_page, set_cookie,
};
use crate::cognito::paths;
use crate::cognito::pool::{SignInError, UserInfoError, UserPool};
use crate::cognito::pre_token::TriggerError;
use crate::cognito::token_endpoint::TokenRequest;
use crate::http_server::{HttpResponse, WholeBody, is_own_origin, json_response, response};
use crate::ids;

/// Serves the user pool over HTTP.
pub struct PoolServer {
    pool: UserPool,
    pool_id: String,
    base_url: String,
    /// The port of `base_url`: `POST /login` is taken only from its origin.
    port: Option<u16>,
    clock: Arc<dyn Clock>,
}

impl PoolServer {
    /// A server for `pool_id` reachable at `base_url` (e.g. `http://127.0.0.1:9100`).
    pub fn new(pool: UserPool, pool_id: String, base_url: String) -> Self {
        let port = base_url
            .rsplit_once(':')
            .and_then(|(_, port)| port.trim_end_matches('/').parse().ok());
        Self {
            pool,
            pool_id,
            base_url,
            port,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same server reading the time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The OpenID discovery document, with the fields Cognito publishes and
    /// the response types served here.
    pub fn openid_configuration(&self) -> Value {
        let issuer = self.pool.issuer_url();
        let mut scopes: Vec<&str> = vec!["openid", "email", "phone", "profile"];
        for client in self.pool.clients().all() {
            for scope in &client.scopes {
                if !scopes.contains(&scope.as_str()) {
                    scopes.push(scope);
                }
            }
        }
        let url = |path: &str| format!("{}{path}", self.base_url);
        json!({
            "authorization_endpoint": url(paths::AUTHORIZE),
            "end_session_endpoint": url(paths::LOGOUT),
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": issuer,
            "jwks_uri": format!("{issuer}{}", paths::JWKS),
            "response_types_supported": ["code"],
            "revocation_endpoint": url(paths::REVOKE),
            "scopes_supported": scopes,
            "subject_types_supported": ["public"],
            "token_endpoint": url(paths::TOKEN),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "userinfo_endpoint": url(paths::USER_INFO),
        })
    }

    /// The routes, as the user pool answers them: the token, revocation
    /// and userInfo endpoints, the hosted sign-in, only `GET` on the
    /// documents, 404 elsewhere.
    pub fn router(self) -> Router {
        let well_known = format!("/{}/.well-known", self.pool_id);
        Router::new()
            .route(
                paths::TOKEN,
                post(token).options(preflight).fallback(post_only),
            )
            .route(
                paths::REVOKE,
                post(revoke).options(preflight).fallback(post_only),
            )
            .route(
                paths::USER_INFO,
                get(user_info).post(user_info).options(preflight),
            )
            .route(paths::AUTHORIZE, get(authorize_endpoint))
            .route(paths::LOGIN, get(login_form).post(login_submit))
            .route(paths::LOGOUT, get(logout))
            .route(paths::ERROR, get(error_endpoint))
            // `any`, not `get`: axum's `get` also answers HEAD, and its
            // method fallback adds an `Allow` header; the pool's 404 has none.
            .route(&format!("{well_known}/jwks.json"), any(jwks))
            .route(
                &format!("{well_known}/openid-configuration"),
                any(openid_configuration),
            )
            .fallback(not_found)
            .with_state(Arc::new(self))
    }

    fn now(&self) -> i64 {
        self.clock.unix_secs()
    }

    /// Where an invalid authorize or login request sends the browser.
    fn authorize_error(&self, error: AuthorizeError) -> HttpResponse {
        tracing::info!(error = error.code(), "authorize request refused");
        match error {
            AuthorizeError::ErrorPage { error, client_id } => {
                let mut query = form_urlencoded::Serializer::new(String::new());
                query.append_pair("error", error);
                if let Some(id) = &client_id {
                    query.append_pair("client_id", id);
                }
                redirect(
                    &format!("{}{}?{}", self.base_url, paths::ERROR, query.finish()),
                    &[],
                )
            }
            AuthorizeError::Redirect {
                redirect_uri,
                error,
                state,
            } => {
                let mut pairs = vec![("error", error)];
                if let Some(state) = &state {
                    pairs.push(("state", state));
                }
                redirect(&with_query(&redirect_uri, &pairs), &[])
            }
        }
    }
}

/// The client's redirect URI with `code` and `state`.
fn code_redirect(request: &AuthorizeRequest, code: &str) -> String {
    let mut pairs = vec![("code", code)];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    with_query(&request.redirect_uri, &pairs)
}

/// `uri` with `pairs` appended to its query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

fn redirect(location: &str, cookies: &[String]) -> HttpResponse {
    let mut headers = vec![("location", location), ("cache-control", "no-store")];
    headers.extend(cookies.iter().map(|c| ("set-cookie", c.as_str())));
    response(302, headers, "")
}

fn html(status: u16, body: String, cookies: &[String]) -> HttpResponse {
    let mut headers = vec![
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
    ];
    headers.extend(cookies.iter().map(|c| ("set-cookie", c.as_str())));
    response(status, headers, body)
}

fn header(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Token answers must never be cached (RFC 6749 §5.1); Cognito lets any
/// origin read them, so a browser app can run PKCE itself.
const TOKEN_HEADERS: [(&str, &str); 3] = [
    ("cache-control", "no-store"),
    ("pragma", "no-cache"),
    ("access-control-allow-origin", "*"),
];

async fn token(
    State(server): State<Arc<PoolServer>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    WholeBody(body): WholeBody,
) -> HttpResponse {
    let request = TokenRequest {
        content_type: header(&headers, CONTENT_TYPE),
        authorization: header(&headers, AUTHORIZATION),
        query: query.as_deref(),
        body: &body,
    };
    match server.pool.token(&request, server.now()).await {
        Ok(answer) => {
            tracing::info!("token issued");
            json_response(
                200,
                serde_json::to_string(&answer).unwrap_or_default(),
                &TOKEN_HEADERS,
            )
        }
        Err(error) => {
            tracing::info!(error = %error, "token refused");
            json_response(error.status(), error.body(), &TOKEN_HEADERS)
        }
    }
}

async fn revoke(
    State(server): State<Arc<PoolServer>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    WholeBody(body): WholeBody,
) -> HttpResponse {
    let request = TokenRequest {
        content_type: header(&headers, CONTENT_TYPE),
        authorization: header(&headers, AUTHORIZATION),
        query: query.as_deref(),
        body: &body,
    };
    match server.pool.revoke(&request) {
        Ok(()) => response(200, TOKEN_HEADERS, ""),
        Err(error) => json_response(error.status(), error.body(), &TOKEN_HEADERS),
    }
}

async fn user_info(State(server): State<Arc<PoolServer>>, headers: HeaderMap) -> HttpResponse {
    let cors = ("access-control-allow-origin", "*");
    match server
        .pool
        .user_info(header(&headers, AUTHORIZATION), server.now())
    {
        Ok(info) => json_response(200, info.to_string(), &[cors]),
        Err(UserInfoError::InvalidToken) => json_response(
            401,
            r#"{"error":"invalid_token","error_description":"Access token is missing, expired, revoked or invalid"}"#,
            &[
                cors,
                ("www-authenticate", r#"Bearer error="invalid_token""#),
            ],
        ),
        Err(UserInfoError::InsufficientScope) => json_response(
            403,
            r#"{"error":"insufficient_scope","error_description":"The access token has no openid scope"}"#,
            &[
                cors,
                (
                    "www-authenticate",
                    r#"Bearer error="insufficient_scope", scope="openid""#,
                ),
            ],
        ),
    }
}

async fn authorize_endpoint(
    State(server): State<Arc<PoolServer>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> HttpResponse {
    let query = query.unwrap_or_default();
    let request = match authorize::validate(&query, server.pool.clients()) {
        Ok(request) => request,
        Err(error) => return server.authorize_error(error),
    };
    if let Some(session) = cookie(header(&headers, COOKIE), SESSION_COOKIE) {
        match server
            .pool
            .code_for_session(&request, session, server.now())
            .await
        {
            Ok(Some(code)) => {
                tracing::info!("signed in by session");
                return redirect(&code_redirect(&request, &code), &[]);
            }
            Ok(None) => {}
            Err(SignInError::Trigger(error)) => return trigger_redirect(&request, &error),
            Err(_) => return server.authorize_error(server_error(&request)),
        }
    }
    redirect(&format!("{}{}?{query}", server.base_url, paths::LOGIN), &[])
}

/// Back to the client's callback when the pre-token-generation trigger
/// failed, as Cognito sends it: `error_description` and `error`, then `state`.
fn trigger_redirect(request: &AuthorizeRequest, error: &TriggerError) -> HttpResponse {
    let description = error.to_string();
    let mut pairs = vec![
        ("error_description", description.as_str()),
        ("error", "invalid_request"),
    ];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    redirect(&with_query(&request.redirect_uri, &pairs), &[])
}

fn server_error(request: &AuthorizeRequest) -> AuthorizeError {
    AuthorizeError::Redirect {
        redirect_uri: request.redirect_uri.clone(),
        error: "server_error",
        state: request.state.clone(),
    }
}

async fn login_form(
    State(server): State<Arc<PoolServer>>,
    RawQuery(query): RawQuery,
) -> HttpResponse {
    let query = query.unwrap_or_default();
    if let Err(error) = authorize::validate(&query, server.pool.clients()) {
        return server.authorize_error(error);
    }
    let Ok(csrf) = ids::random_b64(32) else {
        return html(
            500,
            error_page("server_error", describe("server_error")),
            &[],
        );
    };
    let cookie = set_cookie(XSRF_COOKIE, &csrf, None);
    html(200, login_page(&query, &csrf, None), &[cookie])
}

async fn login_submit(
    State(server): State<Arc<PoolServer>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    WholeBody(body): WholeBody,
) -> HttpResponse {
    // A browser sends `Origin` with every form POST; another site's page
    // (a rebinding one too) must not use the form as a password oracle.
    if let Some(origin) = headers.get(ORIGIN) {
        let own = origin
            .to_str()
            .ok()
            .zip(server.port)
            .is_some_and(|(origin, port)| is_own_origin(origin, port));
        if !own {
            tracing::info!("sign-in form posted from another origin");
            return response(
                403,
                [("content-type", "text/plain; charset=utf-8")],
                "Forbidden: the sign-in form was posted from another origin\n",
            );
        }
    }
    let query = query.unwrap_or_default();
    let request = match authorize::validate(&query, server.pool.clients()) {
        Ok(request) => request,
        Err(error) => return server.authorize_error(error),
    };
    let (mut csrf, mut username, mut password) = (None, None, None);
    for (key, value) in form_urlencoded::parse(&body) {
        match key.as_ref() {
            "_csrf" => csrf = Some(value.into_owned()),
            "username" => username = Some(value.into_owned()),
            "password" => password = Some(value.into_owned()),
            _ => {}
        }
    }
    let expected = cookie(header(&headers, COOKIE), XSRF_COOKIE).filter(|c| !c.is_empty());
    let csrf_ok = matches!((expected, csrf.as_deref()), (Some(e), Some(given))
        if verify_slices_are_equal(e.as_bytes(), given.as_bytes()).is_ok());
    let Some(csrf) = csrf.filter(|_| csrf_ok) else {
        tracing::info!("sign-in form without its CSRF token");
        return html(
            403,
            error_page("invalid_csrf", describe("invalid_csrf")),
            &[],
        );
    };
    let (username, password) = (username.unwrap_or_default(), password.unwrap_or_default());
    match server
        .pool
        .sign_in(&request, username.trim(), &password, server.now())
        .await
    {
        Ok(signed_in) => {
            tracing::info!("user signed in");
            let session = set_cookie(
                SESSION_COOKIE,
                &signed_in.session,
                Some(SESSION_LIFETIME_SECS),
            );
            redirect(&code_redirect(&request, &signed_in.code), &[session])
        }
        Err(SignInError::Incorrect) => {
            tracing::info!("sign-in refused: incorrect username or password");
            html(200, login_page(&query, &csrf, Some(INCORRECT)), &[])
        }
        Err(SignInError::Random(_)) => server.authorize_error(server_error(&request)),
        Err(SignInError::Trigger(error)) => trigger_redirect(&request, &error),
    }
}

async fn logout(
    State(server): State<Arc<PoolServer>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> HttpResponse {
    let query = query.unwrap_or_default();
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let client_id = param("client_id");
    let Some(client) = client_id
        .as_deref()
        .and_then(|id| server.pool.clients().find(id))
    else {
        return server.authorize_error(AuthorizeError::ErrorPage {
            error: "invalid_request",
            client_id,
        });
    };
    let Some(logout_uri) = param("logout_uri").filter(|u| client.logout_urls.contains(u)) else {
        return server.authorize_error(AuthorizeError::ErrorPage {
            error: "redirect_mismatch",
            client_id,
        });
    };
    if let Some(session) = cookie(header(&headers, COOKIE), SESSION_COOKIE) {
        server.pool.sign_out(session);
    }
    tracing::info!("signed out");
    redirect(&logout_uri, &[set_cookie(SESSION_COOKIE, "", Some(0))])
}

async fn error_endpoint(RawQuery(query): RawQuery) -> HttpResponse {
    let query = query.unwrap_or_default();
    let error = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "error")
        .map_or_else(|| "error".to_string(), |(_, v)| v.into_owned());
    html(400, error_page(&error, describe(&error)), &[])
}

/// CORS preflights of the endpoints a browser app calls itself (token,
/// revoke, userInfo): any origin, with the headers those calls send.
async fn preflight() -> HttpResponse {
    response(
        204,
        [
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "GET, POST, OPTIONS"),
            (
                "access-control-allow-headers",
                "authorization, content-type",
            ),
            ("access-control-max-age", "3600"),
        ],
        "",
    )
}

async fn post_only() -> HttpResponse {
    json_response(405, r#"{"error":"invalid_request"}"#, &[("allow", "POST")])
}

async fn jwks(State(server): State<Arc<PoolServer>>, method: Method) -> HttpResponse {
    if method != Method::GET {
        return not_found().await;
    }
    json_response(200, server.pool.jwks().to_string(), &[])
}

async fn openid_configuration(
    State(server): State<Arc<PoolServer>>,
    method: Method,
) -> HttpResponse {
    if method != Method::GET {
        return not_found().await;
    }
    json_response(200, server.openid_configuration().to_string(), &[])
}

async fn not_found() -> HttpResponse {
    json_response(404, r#"{"message":"Not Found"}"#, &[])
}
