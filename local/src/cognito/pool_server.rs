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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::clients::Clients;
    use crate::cognito::pool::SigningKeys;
    use crate::cognito::user_spec::UserSpec;
    use crate::cognito::users::UserStore;
    use crate::template::app_client::AppClient;
    use crate::template::app_client::OAuthFlow;
    use crate::template::app_client::RefreshRotation;
    use crate::template::password_policy::PasswordPolicy;
    use axum::body::Body;
    use axum::http::Request;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicI64, Ordering};
    use testkit::Issuer;
    use tower::ServiceExt;

    const BASE: &str = "http://127.0.0.1:9100";
    const ISSUER: &str = "http://127.0.0.1:9100/us-east-1_pool";
    const CALLBACK: &str = "http://localhost:8080/callback";
    const LOGOUT: &str = "http://localhost:8080/";
    const EMAIL: &str = "alice@example.com";
    const PASSWORD: &str = "Correct-Horse-9";
    // RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const READ: &str = "awesomeapi-resource-server/awesomeapi.read";
    const START: i64 = 1_750_000_000;

    struct Harness {
        router: Router,
        now: Arc<AtomicI64>,
        access_kid: String,
    }

    fn clients() -> Clients {
        let web = |name: &str, id: &str| AppClient {
            name: name.into(),
            client_id: id.into(),
            flows: vec![OAuthFlow::Code],
            scopes: vec!["openid".into(), READ.into()],
            callback_urls: vec![CALLBACK.into()],
            logout_urls: vec![LOGOUT.into()],
            ..AppClient::example()
        };
        Clients::new(vec![
            AppClient {
                name: "M2M".into(),
                client_id: "m2m".into(),
                client_secret: Some("secret".into()),
                flows: vec![OAuthFlow::ClientCredentials],
                scopes: vec!["API/book.get".into()],
                callback_urls: vec![CALLBACK.into()],
                ..AppClient::example()
            },
            web("Web", "web"),
            web("Other", "other"),
            AppClient {
                refresh_rotation: Some(RefreshRotation { grace_secs: 10 }),
                ..web("Rotating", "rotating")
            },
            AppClient {
                name: "Confidential".into(),
                client_id: "conf".into(),
                client_secret: Some("conf-secret".into()),
                ..web("Confidential", "conf")
            },
        ])
    }

    fn harness() -> Harness {
        let scratch = testkit::temp_dir("pool-server-test-").unwrap();
        let dir = scratch.path();
        let spec = UserSpec::parse(&format!("{EMAIL}:{PASSWORD}:admins,readers"), "test").unwrap();
        let users = UserStore::load(dir, &[spec], &PasswordPolicy::default()).unwrap();
        let keys = SigningKeys {
            access: Issuer::generate("kid-1").unwrap(),
            id: Issuer::generate("kid/2+id").unwrap(),
        };
        let pool = UserPool::new(keys, ISSUER.into(), clients(), users);
        let now = Arc::new(AtomicI64::new(START));
        let clock_now = now.clone();
        let server = PoolServer::new(pool, "us-east-1_pool".into(), BASE.into())
            .with_clock(Arc::new(move || clock_now.load(Ordering::SeqCst)));
        Harness {
            router: server.router(),
            now,
            access_kid: "kid-1".into(),
        }
    }

    #[derive(Debug)]
    struct Answer {
        status: u16,
        location: Option<String>,
        cookies: Vec<String>,
        body: String,
    }

    impl Answer {
        fn json(&self) -> Value {
            serde_json::from_str(&self.body).unwrap_or(Value::Null)
        }

        /// A query parameter of the `Location`.
        fn location_param(&self, name: &str) -> Option<String> {
            let location = self.location.as_deref()?;
            let (_, query) = location.split_once('?')?;
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        }
    }

    impl Harness {
        async fn send(
            &self,
            method: Method,
            uri: &str,
            headers: &[(&str, String)],
            body: &str,
        ) -> Answer {
            let mut request = Request::builder().method(method).uri(uri);
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let request = request.body(Body::from(body.to_string())).unwrap();
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string());
            let cookies = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            Answer {
                status,
                location,
                cookies,
                body: String::from_utf8_lossy(&body).into_owned(),
            }
        }

        fn advance(&self, secs: i64) {
            self.now.fetch_add(secs, Ordering::SeqCst);
        }

        async fn token(&self, body: &str, auth: Option<(&str, &str)>) -> Answer {
            let mut headers = vec![(
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            )];
            if let Some((id, secret)) = auth {
                headers.push((
                    "authorization",
                    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
                ));
            }
            self.send(Method::POST, "/oauth2/token", &headers, body)
                .await
        }

        async fn user_info(&self, token: &str) -> Answer {
            let bearer = [("authorization", format!("Bearer {token}"))];
            self.send(Method::GET, "/oauth2/userInfo", &bearer, "")
                .await
        }
    }

    /// A browser: keeps the cookies the pool sets.
    struct Browser<'h> {
        harness: &'h Harness,
        jar: HashMap<String, String>,
    }

    impl<'h> Browser<'h> {
        fn new(harness: &'h Harness) -> Self {
            Self {
                harness,
                jar: HashMap::new(),
            }
        }

        async fn send(&mut self, method: Method, uri: &str, form: Option<&str>) -> Answer {
            let mut headers = Vec::new();
            if !self.jar.is_empty() {
                let cookie: Vec<String> =
                    self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
                headers.push(("cookie", cookie.join("; ")));
            }
            if form.is_some() {
                headers.push((
                    "content-type",
                    "application/x-www-form-urlencoded".to_string(),
                ));
            }
            let answer = self
                .harness
                .send(method, uri, &headers, form.unwrap_or_default())
                .await;
            for set in &answer.cookies {
                let pair = set.split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                if set.contains("Max-Age=0") {
                    self.jar.remove(name);
                } else {
                    self.jar.insert(name.into(), value.into());
                }
            }
            answer
        }

        /// GET /login, then POST the form with `username`/`password`.
        async fn sign_in(&mut self, query: &str, username: &str, password: &str) -> Answer {
            let page = self
                .send(Method::GET, &format!("/login?{query}"), None)
                .await;
            assert_eq!(page.status, 200, "{}", page.body);
            let csrf = self.jar.get(XSRF_COOKIE).cloned().unwrap();
            assert!(
                page.body
                    .contains(&format!("name=\"_csrf\" value=\"{csrf}\""))
            );
            let form = form_body(&[
                ("_csrf", &csrf),
                ("username", username),
                ("password", password),
            ]);
            self.send(Method::POST, &format!("/login?{query}"), Some(&form))
                .await
        }
    }

    #[tokio::test]
    async fn the_sign_in_form_is_taken_only_from_the_pools_own_origin_or_none() {
        for (origin, status) in [
            (None, 302),
            (Some("http://127.0.0.1:9100"), 302),
            (Some("http://localhost:9100"), 302),
            (Some("http://localhost:8080"), 403),
            (Some("http://attacker.example:9100"), 403),
            (Some("https://127.0.0.1:9100"), 403),
            (Some("null"), 403),
        ] {
            let harness = harness();
            let q = query("web", "openid");
            let page = harness
                .send(Method::GET, &format!("/login?{q}"), &[], "")
                .await;
            let csrf_cookie = page.cookies[0].split(';').next().unwrap().to_string();
            let csrf = csrf_cookie.split_once('=').unwrap().1.to_string();
            let mut headers = vec![
                ("cookie", csrf_cookie.clone()),
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_string(),
                ),
            ];
            if let Some(origin) = origin {
                headers.push(("origin", origin.to_string()));
            }
            let form = form_body(&[
                ("_csrf", &csrf),
                ("username", EMAIL),
                ("password", PASSWORD),
            ]);
            let answer = harness
                .send(Method::POST, &format!("/login?{q}"), &headers, &form)
                .await;
            assert_eq!(answer.status, status, "{origin:?}: {}", answer.body);
            if status == 403 {
                assert!(answer.cookies.is_empty(), "{origin:?}");
                assert!(answer.body.contains("another origin"), "{origin:?}");
            }
        }
    }

    fn form_body(pairs: &[(&str, &str)]) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    /// An authorize query for `client`, with PKCE, nonce and state.
    fn query(client: &str, scope: &str) -> String {
        form_body(&[
            ("client_id", client),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("scope", scope),
            ("state", "st"),
            ("nonce", "n-1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
    }

    fn exchange_body(
        client: &str,
        code: &str,
        redirect: Option<&str>,
        verifier: Option<&str>,
    ) -> String {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
        ];
        if let Some(r) = redirect {
            pairs.push(("redirect_uri", r));
        }
        if let Some(v) = verifier {
            pairs.push(("code_verifier", v));
        }
        form_body(&pairs)
    }

    fn payload(token: &str) -> (Value, String, String) {
        let mut parts = token.split('.');
        let header =
            String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
        let text =
            String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
        (serde_json::from_str(&text).unwrap(), text, header)
    }

    /// Signs in and returns a fresh code of the web client.
    async fn code(h: &Harness, scope: &str) -> String {
        code_of(h, "web", scope).await
    }

    /// Signs in and returns a fresh code of `client`.
    async fn code_of(h: &Harness, client: &str, scope: &str) -> String {
        let mut browser = Browser::new(h);
        let answer = browser
            .sign_in(&query(client, scope), EMAIL, PASSWORD)
            .await;
        assert_eq!(answer.status, 302, "{answer:?}");
        answer.location_param("code").unwrap()
    }

    #[tokio::test]
    async fn a_rotating_client_gets_a_new_refresh_token_and_the_old_one_lasts_the_grace_period() {
        let h = harness();
        let code = code_of(&h, "rotating", "openid").await;
        let body = exchange_body("rotating", &code, Some(CALLBACK), Some(VERIFIER));
        let tokens = h.token(&body, None).await.json();
        let first = tokens["refresh_token"].as_str().unwrap().to_string();
        let origin = payload(tokens["access_token"].as_str().unwrap()).0["origin_jti"].clone();
        let refresh = |token: &str| {
            form_body(&[
                ("grant_type", "refresh_token"),
                ("client_id", "rotating"),
                ("refresh_token", token),
            ])
        };

        let rotated = h.token(&refresh(&first), None).await;
        assert_eq!(rotated.status, 200, "{}", rotated.body);
        let rotated = rotated.json();
        let keys: Vec<&str> = rotated
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "access_token",
                "expires_in",
                "id_token",
                "refresh_token",
                "token_type"
            ]
        );
        let second = rotated["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(second, first);
        assert_eq!(second.split('.').count(), 5);
        let renewed = payload(rotated["access_token"].as_str().unwrap()).0;
        assert_eq!(renewed["origin_jti"], origin, "the same sign-in");

        // A retry within the grace period (the answer was lost) still works.
        h.advance(9);
        let retry = h.token(&refresh(&first), None).await;
        assert_eq!(retry.status, 200, "{}", retry.body);
        assert!(retry.json()["refresh_token"].is_string());
        // Then the old one is refused; the new one keeps working.
        h.advance(1);
        assert_eq!(
            h.token(&refresh(&first), None).await.json(),
            json!({"error": "invalid_grant"})
        );
        let third = h.token(&refresh(&second), None).await;
        assert_eq!(third.status, 200, "{}", third.body);
        let third = third.json()["refresh_token"].as_str().unwrap().to_string();

        // Revoking one token of the family ends it all.
        let form = [(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        let revoke = form_body(&[("token", &second), ("client_id", "rotating")]);
        let revoked = h.send(Method::POST, "/oauth2/revoke", &form, &revoke).await;
        assert_eq!(revoked.status, 200);
        for token in [&second, &third] {
            assert_eq!(
                h.token(&refresh(token), None).await.json(),
                json!({"error": "invalid_grant"})
            );
        }
    }

    #[tokio::test]
    async fn the_sign_in_flow_issues_cognito_shaped_tokens() {
        let h = harness();
        let mut browser = Browser::new(&h);
        let q = query("web", &format!("openid {READ}"));
        let authorize = browser
            .send(Method::GET, &format!("/oauth2/authorize?{q}"), None)
            .await;
        assert_eq!(authorize.status, 302);
        assert_eq!(
            authorize.location.as_deref(),
            Some(format!("{BASE}/login?{q}").as_str())
        );
        let signed_in = browser.sign_in(&q, "ALICE@example.com", PASSWORD).await;
        assert_eq!(signed_in.status, 302, "{signed_in:?}");
        let location = signed_in.location.clone().unwrap();
        assert!(
            location.starts_with(&format!("{CALLBACK}?code=")),
            "{location}"
        );
        assert_eq!(signed_in.location_param("state").as_deref(), Some("st"));
        let session = signed_in
            .cookies
            .iter()
            .find(|c| c.starts_with("cognito="))
            .unwrap();
        assert!(
            session.contains("Max-Age=3600") && session.contains("HttpOnly"),
            "{session}"
        );
        let code = signed_in.location_param("code").unwrap();
        assert_eq!(code.len(), 36);

        let tokens = h
            .token(
                &exchange_body("web", &code, Some(CALLBACK), Some(VERIFIER)),
                None,
            )
            .await;
        assert_eq!(tokens.status, 200, "{}", tokens.body);
        let json = tokens.json();
        let keys: Vec<&str> = [
            "id_token",
            "access_token",
            "refresh_token",
            "expires_in",
            "token_type",
        ]
        .to_vec();
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| tokens.body.find(&format!("\"{k}\"")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", tokens.body);
        assert_eq!(
            (json["expires_in"].as_i64(), json["token_type"].as_str()),
            (Some(3600), Some("Bearer"))
        );
        assert_eq!(
            json["refresh_token"].as_str().unwrap().split('.').count(),
            5
        );

        let access_token = json["access_token"].as_str().unwrap();
        let (access, text, header) = payload(access_token);
        assert_eq!(
            header,
            format!(r#"{{"kid":"{}","alg":"RS256"}}"#, h.access_kid)
        );
        assert!(
            text.contains(r#""iss":"http:\/\/127.0.0.1:9100\/us-east-1_pool""#),
            "{text}"
        );
        assert!(
            text.contains(&format!(r#""scope":"{} openid""#, READ.replace('/', r"\/"))),
            "{text}"
        );
        assert_eq!(access["token_use"], "access");
        assert_eq!(access["client_id"], "web");
        assert_eq!(access["username"], access["sub"]);
        assert_eq!(access["cognito:groups"], json!(["admins", "readers"]));
        assert_eq!(access["auth_time"], START);
        assert_eq!(access["version"], 2);
        assert!(access.get("aud").is_none());

        let (id, id_text, id_header) = payload(json["id_token"].as_str().unwrap());
        assert_eq!(id_header, r#"{"kid":"kid\/2+id","alg":"RS256"}"#);
        assert!(id_text.starts_with(r#"{"at_hash":"#), "{id_text}");
        assert_eq!(
            id["at_hash"],
            crate::cognito::user_tokens::at_hash(access_token)
        );
        assert_eq!(id["aud"], "web");
        assert_eq!(id["token_use"], "id");
        assert_eq!(id["nonce"], "n-1");
        assert_eq!(id["email"], EMAIL);
        assert_eq!(id["email_verified"], true);
        assert_eq!(id["cognito:username"], access["sub"]);
        assert_eq!(id["origin_jti"], access["origin_jti"]);
        assert_eq!(id["event_id"], access["event_id"]);

        let jwks = h
            .send(
                Method::GET,
                "/us-east-1_pool/.well-known/jwks.json",
                &[],
                "",
            )
            .await
            .json();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, ["kid-1", "kid/2+id"]);

        let info = h.user_info(access_token).await;
        assert_eq!(info.status, 200, "{}", info.body);
        assert_eq!(
            info.json(),
            json!({"sub": access["sub"], "username": access["sub"], "email": EMAIL, "email_verified": "true"})
        );

        // The session signs the browser in again without the form, with a new code.
        h.advance(600);
        let again = browser
            .send(Method::GET, &format!("/oauth2/authorize?{q}"), None)
            .await;
        assert_eq!(again.status, 302);
        let second = again.location_param("code").unwrap();
        assert_ne!(second, code);
        let tokens = h
            .token(
                &exchange_body("web", &second, Some(CALLBACK), Some(VERIFIER)),
                None,
            )
            .await;
        assert_eq!(
            payload(tokens.json()["access_token"].as_str().unwrap()).0["auth_time"],
            START
        );

        // Refresh: new access and ID tokens, no new refresh token, same sign-in.
        let refresh = json["refresh_token"].as_str().unwrap();
        let refresh_body = form_body(&[
            ("grant_type", "refresh_token"),
            ("client_id", "web"),
            ("refresh_token", refresh),
        ]);
        let refreshed = h.token(&refresh_body, None).await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.body);
        assert!(refreshed.json().get("refresh_token").is_none());
        let (renewed, _, _) = payload(refreshed.json()["access_token"].as_str().unwrap());
        assert_eq!(renewed["origin_jti"], access["origin_jti"]);
        assert_ne!(renewed["jti"], access["jti"]);
        assert!(
            payload(refreshed.json()["id_token"].as_str().unwrap())
                .0
                .get("nonce")
                .is_none()
        );

        // Revocation: the refresh token and userInfo stop working.
        let revoke = form_body(&[("token", refresh), ("client_id", "web")]);
        let form = [(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        let revoked = h.send(Method::POST, "/oauth2/revoke", &form, &revoke).await;
        assert_eq!((revoked.status, revoked.body.as_str()), (200, ""));
        assert_eq!(
            h.token(&refresh_body, None).await.json(),
            json!({"error": "invalid_grant"})
        );
        assert_eq!(h.user_info(access_token).await.status, 401);
        let unknown = form_body(&[("token", "nope"), ("client_id", "web")]);
        assert_eq!(
            h.send(Method::POST, "/oauth2/revoke", &form, &unknown)
                .await
                .status,
            200
        );
        let anonymous = form_body(&[("token", "nope")]);
        let refused = h
            .send(Method::POST, "/oauth2/revoke", &form, &anonymous)
            .await;
        assert_eq!(
            (refused.status, refused.json()),
            (400, json!({"error": "invalid_client"}))
        );

        // Sign-out ends the session: the next authorize shows the form.
        let out = browser
            .send(
                Method::GET,
                &format!(
                    "/logout?client_id=web&logout_uri={}",
                    form_body(&[("x", LOGOUT)]).trim_start_matches("x=")
                ),
                None,
            )
            .await;
        assert_eq!((out.status, out.location.as_deref()), (302, Some(LOGOUT)));
        assert!(!browser.jar.contains_key(SESSION_COOKIE));
        let after = browser
            .send(Method::GET, &format!("/oauth2/authorize?{q}"), None)
            .await;
        assert!(
            after
                .location
                .unwrap()
                .starts_with(&format!("{BASE}/login?"))
        );
    }

    #[tokio::test]
    async fn authorize_errors_go_to_the_error_page_or_back_with_state() {
        let h = harness();
        let error_page = |query: &str| format!("{BASE}/error?{query}");
        let back = |error: &str| format!("{CALLBACK}?error={error}&state=st");
        let good = query("web", "openid");
        let cases = [
            ("valid", good.clone(), format!("{BASE}/login?{good}")),
            (
                "unknown client",
                good.replace("client_id=web", "client_id=ghost"),
                error_page("error=invalid_request&client_id=ghost"),
            ),
            (
                "no client",
                good.replace("client_id=web&", ""),
                error_page("error=invalid_request"),
            ),
            (
                "redirect_uri not registered",
                good.replace("callback", "evil"),
                error_page("error=redirect_mismatch&client_id=web"),
            ),
            (
                "flow not allowed",
                good.replace("client_id=web", "client_id=m2m"),
                back("unauthorized_client"),
            ),
            (
                "PKCE plain",
                good.replace("S256", "plain"),
                back("invalid_request"),
            ),
            (
                "no allowed scope",
                query("web", "API/book.get"),
                back("invalid_scope"),
            ),
        ];
        for (name, q, expected) in cases {
            for path in ["/oauth2/authorize", "/login"] {
                let answer = h.send(Method::GET, &format!("{path}?{q}"), &[], "").await;
                if name == "valid" && path == "/login" {
                    assert_eq!(answer.status, 200, "{name} {path}");
                    continue;
                }
                assert_eq!(answer.status, 302, "{name} {path}");
                assert_eq!(
                    answer.location.as_deref(),
                    Some(expected.as_str()),
                    "{name} {path}"
                );
            }
        }
        let page = h
            .send(
                Method::GET,
                "/error?error=redirect_mismatch&client_id=web",
                &[],
                "",
            )
            .await;
        assert_eq!(page.status, 400);
        assert!(
            page.body.contains("redirect_mismatch") && page.body.contains("<html lang=\"en\">")
        );
    }

    #[tokio::test]
    async fn the_login_form_needs_its_csrf_token_and_the_right_password() {
        let h = harness();
        let q = query("web", "openid");
        // (case, send the cookie, _csrf field (None = left out, "=" = the cookie's), username, password, status, redirected)
        let cases = [
            (
                "right password",
                true,
                Some("="),
                EMAIL,
                PASSWORD,
                302,
                true,
            ),
            (
                "wrong password",
                true,
                Some("="),
                EMAIL,
                "Correct-Horse-8",
                200,
                false,
            ),
            (
                "unknown user",
                true,
                Some("="),
                "bob@example.com",
                PASSWORD,
                200,
                false,
            ),
            ("empty password", true, Some("="), EMAIL, "", 200, false),
            ("missing _csrf", true, None, EMAIL, PASSWORD, 403, false),
            (
                "wrong _csrf",
                true,
                Some("forged"),
                EMAIL,
                PASSWORD,
                403,
                false,
            ),
            (
                "no XSRF-TOKEN cookie",
                false,
                Some("="),
                EMAIL,
                PASSWORD,
                403,
                false,
            ),
        ];
        for (name, send_cookie, csrf, username, password, status, redirected) in cases {
            let mut browser = Browser::new(&h);
            browser
                .send(Method::GET, &format!("/login?{q}"), None)
                .await;
            let token = browser.jar.get(XSRF_COOKIE).cloned().unwrap();
            if !send_cookie {
                browser.jar.clear();
            }
            let mut pairs = vec![("username", username), ("password", password)];
            let field = csrf.map(|c| {
                if c == "=" {
                    token.clone()
                } else {
                    c.to_string()
                }
            });
            if let Some(field) = &field {
                pairs.push(("_csrf", field));
            }
            let answer = browser
                .send(
                    Method::POST,
                    &format!("/login?{q}"),
                    Some(&form_body(&pairs)),
                )
                .await;
            assert_eq!(answer.status, status, "{name}: {}", answer.body);
            assert_eq!(answer.location.is_some(), redirected, "{name}");
            if status == 200 {
                assert!(
                    answer.body.contains("Incorrect username or password."),
                    "{name}"
                );
                assert!(
                    answer.body.contains(&format!("value=\"{token}\"")),
                    "{name}: same CSRF token"
                );
            }
            if !redirected {
                assert!(
                    !answer.cookies.iter().any(|c| c.starts_with("cognito=")),
                    "{name}: no session"
                );
            }
        }
    }

    #[tokio::test]
    async fn code_exchanges_are_refused_as_cognito_refuses_them() {
        let h = harness();
        let invalid_grant = json!({"error": "invalid_grant"});
        let invalid_redirect =
            json!({"error": "unauthorized_client", "error_description": "invalid_redirect"});
        // (case, client, Basic auth, redirect_uri, verifier, seconds waited, exchanged before, expected)
        type Case<'a> = (
            &'a str,
            &'a str,
            Option<(&'a str, &'a str)>,
            Option<&'a str>,
            Option<&'a str>,
            i64,
            bool,
            Value,
        );
        let cases: Vec<Case> = vec![
            (
                "right",
                "web",
                None,
                Some(CALLBACK),
                Some(VERIFIER),
                0,
                false,
                Value::Null,
            ),
            (
                "just before expiry",
                "web",
                None,
                Some(CALLBACK),
                Some(VERIFIER),
                299,
                false,
                Value::Null,
            ),
            (
                "expired",
                "web",
                None,
                Some(CALLBACK),
                Some(VERIFIER),
                300,
                false,
                invalid_grant.clone(),
            ),
            (
                "reused",
                "web",
                None,
                Some(CALLBACK),
                Some(VERIFIER),
                0,
                true,
                invalid_grant.clone(),
            ),
            (
                "wrong verifier",
                "web",
                None,
                Some(CALLBACK),
                Some(CHALLENGE),
                0,
                false,
                invalid_grant.clone(),
            ),
            (
                "missing verifier",
                "web",
                None,
                Some(CALLBACK),
                None,
                0,
                false,
                json!({"error": "invalid_request"}),
            ),
            (
                "redirect_uri differs",
                "web",
                None,
                Some("http://localhost:8080/other"),
                Some(VERIFIER),
                0,
                false,
                invalid_redirect.clone(),
            ),
            (
                "redirect_uri missing",
                "web",
                None,
                None,
                Some(VERIFIER),
                0,
                false,
                invalid_redirect,
            ),
            (
                "another client's code",
                "other",
                None,
                Some(CALLBACK),
                Some(VERIFIER),
                0,
                false,
                invalid_grant.clone(),
            ),
            (
                "confidential client with its secret",
                "conf",
                Some(("conf", "conf-secret")),
                Some(CALLBACK),
                Some(VERIFIER),
                0,
                false,
                invalid_grant.clone(),
            ),
            (
                "machine client",
                "m2m",
                Some(("m2m", "secret")),
                Some(CALLBACK),
                Some(VERIFIER),
                0,
                false,
                json!({"error": "unauthorized_client"}),
            ),
            (
                "unknown code",
                "web",
                None,
                Some(CALLBACK),
                Some(VERIFIER),
                0,
                false,
                invalid_grant,
            ),
        ];
        for (name, client, auth, redirect, verifier, wait, reuse, expected) in cases {
            let code = if name == "unknown code" {
                "00000000-0000-4000-8000-000000000000".to_string()
            } else {
                code(&h, "openid").await
            };
            if reuse {
                let first = h
                    .token(
                        &exchange_body("web", &code, Some(CALLBACK), Some(VERIFIER)),
                        None,
                    )
                    .await;
                assert_eq!(first.status, 200, "{name}");
            }
            h.advance(wait);
            let body = if auth.is_some() {
                exchange_body(client, &code, redirect, verifier)
                    .replace(&format!("client_id={client}&"), "")
            } else {
                exchange_body(client, &code, redirect, verifier)
            };
            let answer = h.token(&body, auth).await;
            if expected.is_null() {
                assert_eq!(answer.status, 200, "{name}: {}", answer.body);
            } else {
                assert_eq!((answer.status, answer.json()), (400, expected), "{name}");
            }
        }
    }

    #[tokio::test]
    async fn user_info_needs_openid_and_a_live_token() {
        let h = harness();
        let without_openid = code(&h, READ).await;
        let tokens = h
            .token(
                &exchange_body("web", &without_openid, Some(CALLBACK), Some(VERIFIER)),
                None,
            )
            .await
            .json();
        assert!(
            tokens.get("id_token").is_none(),
            "no ID token without openid"
        );
        let access = tokens["access_token"].as_str().unwrap().to_string();
        let refused = h.user_info(&access).await;
        assert_eq!(
            (refused.status, refused.json()["error"].as_str()),
            (403, Some("insufficient_scope"))
        );

        let with_openid = code(&h, "openid").await;
        let tokens = h
            .token(
                &exchange_body("web", &with_openid, Some(CALLBACK), Some(VERIFIER)),
                None,
            )
            .await
            .json();
        let access = tokens["access_token"].as_str().unwrap().to_string();
        let id_token = tokens["id_token"].as_str().unwrap().to_string();
        let m2m = h
            .token("grant_type=client_credentials", Some(("m2m", "secret")))
            .await
            .json();
        let m2m = m2m["access_token"].as_str().unwrap().to_string();
        let cases = [
            ("live", access.clone(), 0, 200),
            ("ID token", id_token, 0, 401),
            ("machine token (no user, no sign-in)", m2m, 0, 401),
            ("garbage", "a.b.c".to_string(), 0, 401),
            ("expired", access, 3600, 401),
        ];
        for (name, token, wait, status) in cases {
            h.advance(wait);
            let answer = h.user_info(&token).await;
            assert_eq!(answer.status, status, "{name}: {}", answer.body);
        }
        let none = h.send(Method::GET, "/oauth2/userInfo", &[], "").await;
        assert_eq!(none.status, 401);
    }

    #[tokio::test]
    async fn logout_only_redirects_to_registered_logout_urls() {
        let h = harness();
        let cases = [
            (
                "client_id=web&logout_uri=http%3A%2F%2Flocalhost%3A8080%2F",
                LOGOUT.to_string(),
            ),
            (
                "client_id=web&logout_uri=http%3A%2F%2Fevil.example%2F",
                format!("{BASE}/error?error=redirect_mismatch&client_id=web"),
            ),
            (
                "client_id=web",
                format!("{BASE}/error?error=redirect_mismatch&client_id=web"),
            ),
            (
                "client_id=ghost&logout_uri=http%3A%2F%2Flocalhost%3A8080%2F",
                format!("{BASE}/error?error=invalid_request&client_id=ghost"),
            ),
        ];
        for (q, expected) in cases {
            let answer = h.send(Method::GET, &format!("/logout?{q}"), &[], "").await;
            assert_eq!(
                (answer.status, answer.location.as_deref()),
                (302, Some(expected.as_str())),
                "{q}"
            );
        }
    }

    #[tokio::test]
    async fn routes_answer_as_the_user_pool_does() {
        let h = harness();
        let form = (
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        );
        let basic = (
            "authorization",
            format!("Basic {}", STANDARD.encode("m2m:secret")),
        );
        let cases = [
            (
                Method::POST,
                "/oauth2/token",
                vec![form.clone(), basic.clone()],
                "grant_type=client_credentials",
                200,
                "access_token",
            ),
            (
                Method::POST,
                "/oauth2/token?grant_type=client_credentials",
                vec![basic.clone()],
                "",
                200,
                "access_token",
            ),
            (
                Method::POST,
                "/oauth2/token",
                vec![form.clone()],
                "grant_type=client_credentials",
                400,
                r#"{"error":"invalid_client"}"#,
            ),
            (
                Method::GET,
                "/oauth2/token",
                vec![],
                "",
                405,
                "invalid_request",
            ),
            (
                Method::GET,
                "/oauth2/revoke",
                vec![],
                "",
                405,
                "invalid_request",
            ),
            (
                Method::POST,
                "/us-east-1_pool/.well-known/jwks.json",
                vec![],
                "",
                404,
                "Not Found",
            ),
            (
                Method::HEAD,
                "/us-east-1_pool/.well-known/jwks.json",
                vec![],
                "",
                404,
                "",
            ),
            (
                Method::GET,
                "/us-east-1_pool/.well-known/jwks.json",
                vec![],
                "",
                200,
                r#""kid":"kid-1""#,
            ),
            (
                Method::GET,
                "/us-east-1_pool/.well-known/openid-configuration",
                vec![],
                "",
                200,
                r#""token_endpoint":"http://127.0.0.1:9100/oauth2/token""#,
            ),
            (
                Method::GET,
                "/other_pool/.well-known/jwks.json",
                vec![],
                "",
                404,
                "Not Found",
            ),
        ];
        for (method, path, headers, body, status, needle) in cases {
            let name = format!("{method} {path}");
            let answer = h.send(method, path, &headers, body).await;
            assert_eq!(answer.status, status, "{name}: {}", answer.body);
            assert!(answer.body.contains(needle), "{name}: {}", answer.body);
        }
        let token = h
            .send(
                Method::POST,
                "/oauth2/token",
                &[form, basic],
                "grant_type=client_credentials",
            )
            .await;
        let (claims, text, _) = payload(token.json()["access_token"].as_str().unwrap());
        assert_eq!(claims["sub"], "m2m");
        assert!(text.contains(r#""scope":"API\/book.get""#), "{text}");
    }

    #[tokio::test]
    async fn browser_apps_may_call_the_token_and_user_info_endpoints() {
        let h = harness();
        for (method, path) in [
            (Method::OPTIONS, "/oauth2/token"),
            (Method::OPTIONS, "/oauth2/userInfo"),
            (Method::OPTIONS, "/oauth2/revoke"),
            (Method::POST, "/oauth2/token"),
            (Method::GET, "/oauth2/userInfo"),
        ] {
            let request = Request::builder()
                .method(method.clone())
                .uri(path)
                .body(Body::empty())
                .unwrap();
            let response = h.router.clone().oneshot(request).await.unwrap();
            let allow = response.headers().get("access-control-allow-origin");
            assert_eq!(
                allow.map(|v| v.to_str().unwrap()),
                Some("*"),
                "{method} {path}"
            );
            if method == Method::OPTIONS {
                let headers = response.headers()["access-control-allow-headers"]
                    .to_str()
                    .unwrap();
                assert!(headers.contains("authorization"), "{path}");
            }
        }
    }

    #[test]
    fn discovery_lists_what_cognito_publishes() {
        let scratch = testkit::temp_dir("pool-server-doc-").unwrap();
        let dir = scratch.path();
        let users = UserStore::load(dir, &[], &PasswordPolicy::default()).unwrap();
        let keys = SigningKeys {
            access: Issuer::generate("a").unwrap(),
            id: Issuer::generate("b").unwrap(),
        };
        let server = PoolServer::new(
            UserPool::new(keys, ISSUER.into(), clients(), users),
            "us-east-1_pool".into(),
            BASE.into(),
        );
        let doc = server.openid_configuration();
        let fields: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "authorization_endpoint",
                "end_session_endpoint",
                "id_token_signing_alg_values_supported",
                "issuer",
                "jwks_uri",
                "response_types_supported",
                "revocation_endpoint",
                "scopes_supported",
                "subject_types_supported",
                "token_endpoint",
                "token_endpoint_auth_methods_supported",
                "userinfo_endpoint"
            ]
        );
        assert_eq!(doc["issuer"], ISSUER);
        assert_eq!(doc["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
        assert_eq!(
            doc["authorization_endpoint"],
            format!("{BASE}/oauth2/authorize")
        );
        assert_eq!(doc["userinfo_endpoint"], format!("{BASE}/oauth2/userInfo"));
        assert_eq!(doc["response_types_supported"], json!(["code"]));
        assert!(
            doc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(READ))
        );
    }
}
