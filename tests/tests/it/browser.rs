//! The web client (`web/`) in a real browser: Debian's Chromium through
//! chromedriver.
//!
//! Three tests:
//! - `web_app_signs_in_on_local_stack_and_calls_its_api`: the whole system,
//!   as a person uses it: a real `local-stack` (hosted sign-in, the real
//!   authorizer and handler under `cargo lambda watch`, the API front, the
//!   web app on its own origin) started on free ports, and the browser
//!   signing in and calling the API. Screenshots:
//!   `target/screenshots/web-app-local-stack/NN-step.png`.
//! - `web_client_signs_in_with_pkce_calls_the_api_refreshes_and_signs_out`:
//!   what the browser really sends. The app is served by local-stack's own
//!   web host ([`local::WebApp`]) on `http://localhost:<port>`, with a
//!   `config.json` pointing at a recording stand-in for the hosted sign-in
//!   and the API on another origin (`http://127.0.0.1:<port>`): the authorize
//!   query (PKCE S256, state, nonce), the code exchange, the user shown by
//!   email, the bearer token on API calls, a refresh that rotates the
//!   refresh token (the stand-in rotates as Cognito does with rotation on;
//!   its first tokens live seconds) and the sign-out revoking the rotated
//!   one. Screenshots: `target/screenshots/web-client/NN-step.png`.
//! - `web_client_ends_revoked_sessions_and_trusts_only_its_configuration`:
//!   the same stand-in, for what must not happen: a `config.json` that fails
//!   to load or names a plain-http host (the code still leaves the address
//!   bar), a request to an origin `config.json` does not name (blocked by
//!   the page's narrowed CSP), a refresh refused with `invalid_grant` (the
//!   session ends at once), and a refresh answering during sign-out (the
//!   session stays ended, and the refresh token that answer brought is
//!   revoked too). Screenshots: `target/screenshots/web-client-refusals/`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::browser::Browser;
use integration_tests::local_stack::{LocalStack, log_tail};
use local::{OAuthFlow, WebApp, WebConfig};
use reqwest::Url;
use serde_json::{Value, json};
use testkit::port_is_closed;
use testkit::unix_now;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

const WEB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../web");
const CLIENT_ID: &str = "6p7q8r9s0t1u2v3w4x5y6z7a8b";
const SCOPES: [&str; 2] = ["openid", "awesomeapi-resource-server/awesomeapi.read"];
/// The email the user signs in with (the pool signs in by email).
const USERNAME: &str = "alice@example.com";
/// The pool's `username` for that user: for a pool that signs in by email,
/// Cognito's is an opaque id, the user's `sub`.
const POOL_USERNAME: &str = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0";
const PASSWORD: &str = "Correct-Horse-9";
const CSRF: &str = "csrf-7f3a";
/// The first access token's lifetime: short, so the app must refresh it
/// while the test runs (it refreshes at 4/5 of a lifetime this short).
const FIRST_LIFETIME_S: u64 = 8;
/// A lifetime no test outlives: no further refresh.
const LONG_LIFETIME_S: u64 = 3600;
const WAIT: Duration = Duration::from_secs(20);
/// sessionStorage key app.js keeps the sign-in round-trip under.
const PENDING_KEY: &str = "awesomeapi.pending-sign-in";

/// A server on 127.0.0.1 that stops when dropped.
struct Served {
    port: u16,
    task: JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(app: Router) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Served { port, task }
}

// ------------------------------- a stand-in for the hosted sign-in and the API

/// What the stand-in received.
#[derive(Default)]
struct Seen {
    authorize: Vec<HashMap<String, String>>,
    token: Vec<HashMap<String, String>>,
    logout: Vec<HashMap<String, String>>,
    /// The `token` of each revocation request.
    revoked: Vec<String>,
    /// (path, Authorization header or "") of each API call.
    api: Vec<(String, String)>,
    /// Access tokens issued so far.
    issued: Vec<String>,
    /// Refresh tokens issued so far (`refresh-1`, `refresh-2`, …).
    refresh_issued: usize,
    /// Refresh tokens that still work: as Cognito with rotation on (and no
    /// grace period), a refresh replaces the one it used.
    live: HashSet<String>,
}

/// A request the stand-in holds until the test releases it (once armed).
#[derive(Default)]
struct Gate {
    armed: AtomicBool,
    holding: AtomicBool,
    open: Notify,
}

impl Gate {
    /// Holds the next request until [`Gate::release`].
    fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Lets the held request (or, armed, the next one) through; nothing
    /// when the gate is neither armed nor holding.
    fn release(&self) {
        if self.armed.load(Ordering::SeqCst) || self.holding.load(Ordering::SeqCst) {
            // A stored permit if the request is not waiting yet.
            self.open.notify_one();
        }
    }

    async fn pass(&self) {
        if self.armed.load(Ordering::SeqCst) {
            self.holding.store(true, Ordering::SeqCst);
            self.armed.store(false, Ordering::SeqCst);
            self.open.notified().await;
            self.holding.store(false, Ordering::SeqCst);
        }
    }
}

/// How the stand-in answers, fixed per test.
struct Behaviour {
    /// `expires_in` of the code exchange's tokens.
    code_lifetime_s: u64,
    /// `expires_in` of refreshed tokens.
    refresh_lifetime_s: u64,
}

#[derive(Clone)]
struct StandIn {
    seen: Arc<Mutex<Seen>>,
    web_origin: String,
    behaviour: Arc<Behaviour>,
    /// Holds a refresh, answered once released (a revocation releases it).
    hold_refresh: Arc<Gate>,
}

fn pairs(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// A token shaped like a JWT; the app only reads its claims.
fn fake_jwt(claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        part(&json!({"kid": "test", "alg": "RS256"})),
        part(claims)
    )
}

fn cors_any(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("access-control-allow-origin", HeaderValue::from_static("*"));
    response
}

async fn authorize(State(s): State<StandIn>, RawQuery(query): RawQuery) -> Redirect {
    let query = query.unwrap_or_default();
    s.seen.lock().unwrap().authorize.push(pairs(&query));
    // As Cognito: on to the sign-in page with the same query.
    Redirect::to(&format!("/login?{query}"))
}

async fn login_page(RawQuery(query): RawQuery) -> Html<String> {
    let action = format!("/login?{}", query.unwrap_or_default()).replace('&', "&amp;");
    Html(format!(
        r#"<!doctype html><html lang="en"><head><title>Sign in (stand-in)</title></head><body>
<h1>Sign in (test stand-in for the hosted page)</h1>
<form method="post" action="{action}">
<input type="hidden" name="_csrf" value="{CSRF}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit" name="signInSubmitButton">Sign in</button>
</form></body></html>"#
    ))
}

async fn login_submit(RawQuery(query): RawQuery, body: Bytes) -> Response {
    let form = pairs(&String::from_utf8_lossy(&body));
    let query = pairs(&query.unwrap_or_default());
    let get = |m: &HashMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
    if get(&form, "username") != USERNAME
        || get(&form, "password") != PASSWORD
        || get(&form, "_csrf") != CSRF
    {
        return (StatusCode::BAD_REQUEST, "wrong credentials").into_response();
    }
    let mut target = Url::parse(&get(&query, "redirect_uri")).unwrap();
    target
        .query_pairs_mut()
        .append_pair("code", "code-1")
        .append_pair("state", &get(&query, "state"));
    Redirect::to(target.as_str()).into_response()
}

async fn token(State(s): State<StandIn>, body: Bytes) -> Response {
    let form = pairs(&String::from_utf8_lossy(&body));
    let field = |k: &str| form.get(k).map(String::as_str);
    let answer = {
        let mut seen = s.seen.lock().unwrap();
        seen.token.push(form.clone());
        let nonce = seen
            .authorize
            .last()
            .and_then(|a| a.get("nonce").cloned())
            .unwrap_or_default();
        let lifetime = match (field("grant_type"), field("code"), field("refresh_token")) {
            (Some("authorization_code"), Some("code-1"), _) => s.behaviour.code_lifetime_s,
            (Some("refresh_token"), _, Some(refresh)) if seen.live.remove(refresh) => {
                s.behaviour.refresh_lifetime_s
            }
            _ => {
                let error = Json(json!({"error": "invalid_grant"}));
                return cors_any((StatusCode::BAD_REQUEST, error).into_response());
            }
        };
        let n = seen.issued.len() + 1;
        let access = fake_jwt(&json!({
            "sub": POOL_USERNAME, "client_id": CLIENT_ID, "token_use": "access",
            "scope": SCOPES.join(" "), "exp": unix_now() + lifetime as i64, "jti": format!("access-{n}"),
            "username": POOL_USERNAME,
        }));
        // As Cognito's: the email the user signs in with is in the ID token;
        // the nonce only in the code exchange's.
        let mut id = json!({
            "sub": POOL_USERNAME, "aud": CLIENT_ID, "token_use": "id",
            "cognito:username": POOL_USERNAME, "email": USERNAME, "email_verified": true,
        });
        if field("grant_type") == Some("authorization_code") {
            id["nonce"] = json!(nonce);
        }
        seen.refresh_issued += 1;
        let refresh = format!("refresh-{}", seen.refresh_issued);
        seen.live.insert(refresh.clone());
        seen.issued.push(access.clone());
        json!({
            "access_token": access, "id_token": fake_jwt(&id), "refresh_token": refresh,
            "expires_in": lifetime, "token_type": "Bearer",
        })
    };
    if field("grant_type") == Some("refresh_token") {
        s.hold_refresh.pass().await;
    }
    cors_any(Json(answer).into_response())
}

async fn revoke(State(s): State<StandIn>, body: Bytes) -> Response {
    let form = pairs(&String::from_utf8_lossy(&body));
    let token = form.get("token").cloned().unwrap_or_default();
    {
        let mut seen = s.seen.lock().unwrap();
        seen.live.remove(&token);
        seen.revoked.push(token);
    }
    // A refresh the test holds answers now, while the sign-out is under way.
    s.hold_refresh.release();
    cors_any(StatusCode::OK.into_response())
}

async fn logout(State(s): State<StandIn>, RawQuery(query): RawQuery) -> Redirect {
    let query = pairs(&query.unwrap_or_default());
    let to = query.get("logout_uri").cloned().unwrap_or_default();
    s.seen.lock().unwrap().logout.push(query);
    Redirect::to(&to)
}

/// The API as API Gateway answers with the template's CORS settings.
async fn api(State(s): State<StandIn>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut seen = s.seen.lock().unwrap();
    seen.api.push((path.clone(), authorization.clone()));
    let known = authorization
        .strip_prefix("Bearer ")
        .is_some_and(|t| seen.issued.iter().any(|i| i == t));
    let (status, body) = match (known, path.as_str()) {
        (false, _) => (StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"})),
        (true, "awesomeapi") => (
            StatusCode::OK,
            json!({"statusCode": 200, "message": "Hello From Protected Resource"}),
        ),
        (true, _) => (
            StatusCode::FORBIDDEN,
            json!({"Message": "User is not authorized to access this resource with an explicit deny"}),
        ),
    };
    let mut response = (status, Json(body)).into_response();
    let origin = HeaderValue::from_str(&s.web_origin).unwrap();
    response
        .headers_mut()
        .insert("access-control-allow-origin", origin);
    response
}

/// SAM's OPTIONS mock.
async fn preflight(State(s): State<StandIn>) -> Response {
    let mut response = StatusCode::OK.into_response();
    let h = response.headers_mut();
    h.insert(
        "access-control-allow-origin",
        HeaderValue::from_str(&s.web_origin).unwrap(),
    );
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("Authorization,Content-Type"),
    );
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET,POST,OPTIONS"),
    );
    response
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "application/json")],
            self.0.to_string(),
        )
            .into_response()
    }
}

async fn serve_stand_in(web_origin: &str, behaviour: Behaviour) -> (Served, StandIn) {
    let state = StandIn {
        seen: Arc::new(Mutex::new(Seen::default())),
        web_origin: web_origin.to_string(),
        behaviour: Arc::new(behaviour),
        hold_refresh: Arc::new(Gate::default()),
    };
    let app = Router::new()
        .route("/oauth2/authorize", get(authorize))
        .route("/login", get(login_page).post(login_submit))
        .route(
            "/oauth2/token",
            axum::routing::post(token)
                .options(|| async { cors_any(StatusCode::OK.into_response()) }),
        )
        .route("/logout", get(logout))
        .route(
            "/oauth2/revoke",
            axum::routing::post(revoke)
                .options(|| async { cors_any(StatusCode::OK.into_response()) }),
        )
        .route("/prod/{path}", get(api).options(preflight))
        .with_state(state.clone());
    (serve(app).await, state)
}

// ------------------------------------------------------------------ checks

fn query_of(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Clicks a call button and returns the answer `result` shows within `wait`.
async fn call(browser: &Browser, button: &str, wait: Duration) -> String {
    browser
        .client
        .execute(
            "document.getElementById('result').textContent = '';",
            vec![],
        )
        .await
        .unwrap();
    browser.click(button).await;
    browser
        .wait_for_text("result", wait, |t| {
            t.starts_with(|c: char| c.is_ascii_digit()) || t.starts_with("network error")
        })
        .await
}

/// What is left in the web origin's storage and cookies.
async fn storage(browser: &Browser) -> Value {
    browser
        .client
        .execute(
            "return {session: Object.keys(sessionStorage), local: Object.keys(localStorage), cookies: document.cookie};",
            vec![],
        )
        .await
        .unwrap()
}

/// A listener for a web app and the origin it is reached at:
/// `http://localhost:<port>`, bound on 127.0.0.1.
async fn bind_web() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, format!("http://localhost:{port}"))
}

/// local-stack's web host serving `web/` with `config` on `listener`.
fn serve_web(listener: TcpListener, config: Option<&WebConfig>) -> Served {
    let port = listener.local_addr().unwrap().port();
    let app = WebApp::new(WEB_DIR, config, None).unwrap().router();
    Served {
        port,
        task: tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }),
    }
}

/// The web app at `web_origin` signing in at `domain` and calling its `/prod/`.
fn config_for(web_origin: &str, domain: &str) -> WebConfig {
    WebConfig {
        domain: domain.to_string(),
        client_id: CLIENT_ID.into(),
        redirect_uri: format!("{web_origin}/"),
        logout_uri: format!("{web_origin}/"),
        api_url: format!("{domain}/prod/"),
        scopes: SCOPES.map(String::from).to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_client_signs_in_with_pkce_calls_the_api_refreshes_and_signs_out() {
    // The web app on localhost, everything else on 127.0.0.1: two origins,
    // as with local-stack and as with a deployed stack.
    let (web_listener, web_origin) = bind_web().await;
    let behaviour = Behaviour {
        code_lifetime_s: FIRST_LIFETIME_S,
        refresh_lifetime_s: LONG_LIFETIME_S,
    };
    let (stand_in, state) = serve_stand_in(&web_origin, behaviour).await;
    let seen = Arc::clone(&state.seen);
    let domain = format!("http://127.0.0.1:{}", stand_in.port);
    let _web = serve_web(web_listener, Some(&config_for(&web_origin, &domain)));
    let app_url = format!("{web_origin}/");

    let mut browser = Browser::start("web-client")
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // 1. The landing page: every scripted element, sign-in enabled once the
    //    configuration is loaded.
    browser.client.goto(&app_url).await.unwrap();
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Ready"))
        .await;
    for id in ["login", "call-awesomeapi", "call-book", "result", "user"] {
        assert!(
            browser
                .client
                .find(fantoccini::Locator::Id(id))
                .await
                .is_ok(),
            "#{id} is missing"
        );
    }
    let login = browser
        .client
        .find(fantoccini::Locator::Id("login"))
        .await
        .unwrap();
    assert!(login.is_enabled().await.unwrap() && login.is_displayed().await.unwrap());
    let logout = browser
        .client
        .find(fantoccini::Locator::Id("logout"))
        .await
        .unwrap();
    assert!(!logout.is_displayed().await.unwrap());
    assert_eq!(browser.text("user").await, "Not signed in.");
    browser.screenshot("landing").await;

    // 2. Signed out, a call sends no token: the API's 401 is readable (CORS).
    let result = call(&browser, "call-awesomeapi", WAIT).await;
    assert_eq!(result, r#"401 {"message":"Unauthorized"}"#);
    assert_eq!(
        seen.lock().unwrap().api,
        [("awesomeapi".to_string(), String::new())]
    );

    // 3. An answer with a code this tab never asked for is refused unexchanged.
    browser
        .client
        .goto(&format!("{app_url}?code=forged&state=forged"))
        .await
        .unwrap();
    let status = browser
        .wait_for_text("status", WAIT, |t| t.contains("refused"))
        .await;
    assert!(status.contains("state does not match"), "{status}");
    assert!(seen.lock().unwrap().token.is_empty());
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.query(), None, "the code stays in the address bar");
    browser.screenshot("forged-state-refused").await;

    // 4. Sign in: on to the hosted page with PKCE S256, state and nonce.
    browser.click("login").await;
    let login_url = browser.wait_for_url(WAIT, |u| u.path() == "/login").await;
    assert_eq!(
        login_url.origin().ascii_serialization(),
        domain,
        "{login_url}"
    );
    let authorize = seen.lock().unwrap().authorize.clone();
    assert_eq!(authorize.len(), 1);
    let authorize = &authorize[0];
    assert_eq!(
        query_of(&login_url),
        *authorize,
        "the hosted page keeps the authorize query"
    );
    let param = |k: &str| {
        authorize
            .get(k)
            .unwrap_or_else(|| panic!("authorize has no {k}"))
            .as_str()
    };
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("redirect_uri"), format!("{web_origin}/"));
    assert_eq!(param("scope"), SCOPES.join(" "));
    assert_eq!(param("code_challenge_method"), "S256");
    let challenge = param("code_challenge");
    assert!(
        challenge.len() == 43 && is_base64url(challenge),
        "{challenge}"
    );
    for random in ["state", "nonce"] {
        let value = param(random);
        assert!(value.len() >= 22 && is_base64url(value), "{random}={value}");
    }
    assert_ne!(param("state"), param("nonce"));
    browser.screenshot("hosted-sign-in").await;

    // 5. Back with a code: exchanged with the verifier, the user shown, and
    //    nothing left in storage.
    browser.sign_in_on_hosted_page(USERNAME, PASSWORD).await;
    // Shown as a person knows themselves: by email, the pool's opaque
    // username beside it.
    let email = browser
        .wait_for_text("email", WAIT, |t| !t.is_empty())
        .await;
    assert_eq!(email, USERNAME);
    assert_eq!(browser.text("username").await, POOL_USERNAME);
    let exchange = seen.lock().unwrap().token[0].clone();
    let field = |k: &str| exchange.get(k).map(String::as_str).unwrap_or_default();
    assert_eq!(field("grant_type"), "authorization_code");
    assert_eq!(field("client_id"), CLIENT_ID);
    assert_eq!(field("code"), "code-1");
    assert_eq!(field("redirect_uri"), format!("{web_origin}/"));
    let verifier = field("code_verifier");
    assert!(
        (43..=128).contains(&verifier.len()) && is_base64url(verifier),
        "{verifier}"
    );
    assert_eq!(
        s256(verifier),
        challenge,
        "the challenge is base64url(SHA-256(verifier))"
    );
    assert!(!exchange.contains_key("client_secret"));
    let user = browser.text("user").await;
    for scope in SCOPES {
        assert!(user.contains(scope), "{user}");
    }
    assert!(browser.text("expires").await.contains('T'), "expiry shown");
    assert_eq!(
        browser.client.current_url().await.unwrap().as_str(),
        app_url,
        "the code is gone from the address bar"
    );
    assert_eq!(
        storage(&browser).await,
        json!({"session": [], "local": [], "cookies": ""}),
        "tokens stay in memory; the PKCE round-trip entry ({PENDING_KEY}) is gone"
    );
    let logout = browser
        .client
        .find(fantoccini::Locator::Id("logout"))
        .await
        .unwrap();
    assert!(logout.is_displayed().await.unwrap());
    browser.screenshot("signed-in").await;

    // 6. The access token is refreshed before it expires.
    let deadline = std::time::Instant::now() + Duration::from_secs(FIRST_LIFETIME_S + 30);
    while seen.lock().unwrap().token.len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no refresh request");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let refresh = seen.lock().unwrap().token[1].clone();
    assert_eq!(
        refresh,
        HashMap::from([
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("client_id".to_string(), CLIENT_ID.to_string()),
            ("refresh_token".to_string(), "refresh-1".to_string()),
        ])
    );
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Tokens refreshed"))
        .await;
    // The answer rotated the refresh token: the new one is kept, the old
    // one no longer works.
    assert!(
        browser.text("refresh").await.contains("rotated 1×"),
        "{}",
        browser.text("refresh").await
    );
    assert_eq!(
        seen.lock().unwrap().live,
        HashSet::from(["refresh-2".to_string()])
    );

    // 7. /awesomeapi with the refreshed token: 200.
    let result = call(&browser, "call-awesomeapi", WAIT).await;
    assert!(
        result.starts_with("200 ") && result.contains("Hello From Protected Resource"),
        "{result}"
    );
    let refreshed = seen.lock().unwrap().issued[1].clone();
    assert_eq!(
        seen.lock().unwrap().api.last().unwrap(),
        &("awesomeapi".to_string(), format!("Bearer {refreshed}"))
    );
    browser.screenshot("awesomeapi-200").await;

    // 8. /book without its scope: the 403 is shown as such, not as a CORS error.
    let result = call(&browser, "call-book", WAIT).await;
    assert_eq!(
        result,
        r#"403 {"Message":"User is not authorized to access this resource with an explicit deny"}"#
    );
    browser.screenshot("book-403").await;

    // 9. Sign out through /logout, back to the landing page.
    browser.click("logout").await;
    browser.wait_for_url(WAIT, |u| u.as_str() == app_url).await;
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Ready"))
        .await;
    assert_eq!(browser.text("user").await, "Not signed in.");
    assert_eq!(
        seen.lock().unwrap().revoked,
        ["refresh-2"],
        "sign-out revokes the refresh token the rotation gave"
    );
    let logout = seen.lock().unwrap().logout.clone();
    assert_eq!(
        logout,
        [HashMap::from([
            ("client_id".to_string(), CLIENT_ID.to_string()),
            ("logout_uri".to_string(), format!("{web_origin}/")),
        ])]
    );

    // 10. Signed out again: no token, 401.
    let result = call(&browser, "call-awesomeapi", WAIT).await;
    assert_eq!(result, r#"401 {"message":"Unauthorized"}"#);
    assert_eq!(seen.lock().unwrap().api.last().unwrap().1, "");
    browser.screenshot("signed-out-401").await;

    browser.close().await;
}

/// Runs `script` in the page as an async WebDriver script (its last
/// argument is the callback) and returns what it passes to it.
async fn run_async(browser: &Browser, script: &str, args: Vec<Value>) -> Value {
    browser
        .client
        .execute_async(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}"))
}

/// Waits until `done` holds for what the stand-in saw.
async fn wait_for_seen(seen: &Mutex<Seen>, what: &str, done: impl Fn(&Seen) -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !done(&seen.lock().unwrap()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the stand-in never saw {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_client_ends_revoked_sessions_and_trusts_only_its_configuration() {
    let (web_listener, web_origin) = bind_web().await;
    // Every token lives seconds, so each sign-in refreshes while the test runs.
    let behaviour = Behaviour {
        code_lifetime_s: FIRST_LIFETIME_S,
        refresh_lifetime_s: FIRST_LIFETIME_S,
    };
    let (stand_in, state) = serve_stand_in(&web_origin, behaviour).await;
    let seen = Arc::clone(&state.seen);
    let domain = format!("http://127.0.0.1:{}", stand_in.port);
    let _web = serve_web(web_listener, Some(&config_for(&web_origin, &domain)));
    let app_url = format!("{web_origin}/");
    // The same app on two more hosts: one with no configuration to give,
    // one whose configuration names a plain-http sign-in host.
    let (none_listener, none_origin) = bind_web().await;
    let none = serve_web(none_listener, None);
    let (plain_listener, plain_origin) = bind_web().await;
    let plain = config_for(&plain_origin, "http://sign-in.example.com");
    let _plain = serve_web(plain_listener, Some(&plain));

    let mut browser = Browser::start("web-client-refusals")
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // 1. Whatever stops the app from starting, a callback's code leaves the
    //    address bar at once, and the reason is shown.
    let cases = [
        (&none_origin, "Cannot start: config.json: HTTP "),
        (
            &plain_origin,
            r#"Cannot start: config.json: "domain" must be an https URL (http only on localhost or 127.0.0.1), not "http://sign-in.example.com"."#,
        ),
    ];
    for (origin, expected) in cases {
        browser
            .client
            .goto(&format!("{origin}/?code=single-use&state=s"))
            .await
            .unwrap();
        let status = browser
            .wait_for_text("status", WAIT, |t| t.starts_with("Cannot start"))
            .await;
        assert!(status.starts_with(expected), "{origin}: {status}");
        let url = browser.client.current_url().await.unwrap();
        assert_eq!(
            url.query(),
            None,
            "the code stays in the address bar: {url}"
        );
        let login = browser
            .client
            .find(fantoccini::Locator::Id("login"))
            .await
            .unwrap();
        assert!(!login.is_enabled().await.unwrap(), "{origin}");
    }
    browser.screenshot("plain-http-config-refused").await;
    assert!(seen.lock().unwrap().token.is_empty());

    // 2. Configured, the page may connect only to the sign-in's and the
    //    API's origins: index.html's own policy would allow any
    //    127.0.0.1 port, the one app.js adds only the configured ones.
    browser.client.goto(&app_url).await.unwrap();
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Ready"))
        .await;
    let elsewhere = format!("http://127.0.0.1:{}/config.json", none.port);
    let outcome = run_async(
        &browser,
        r#"const [allowed, elsewhere, done] = arguments;
        const violations = [];
        document.addEventListener("securitypolicyviolation", (e) =>
          violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
        const attempt = (url) => fetch(url, { cache: "no-store" }).then((r) => r.status, () => "refused");
        // The violation is reported as an event of its own: wait for it (3 s at most).
        Promise.all([attempt(allowed), attempt(elsewhere)]).then((results) => {
          const since = Date.now();
          const finish = () =>
            violations.length > 0 || Date.now() - since > 3000
              ? done({ results, violations })
              : setTimeout(finish, 50);
          finish();
        });"#,
        vec![json!(format!("{domain}/prod/awesomeapi")), json!(elsewhere)],
    )
    .await;
    assert_eq!(outcome["results"], json!([401, "refused"]), "{outcome}");
    let violations = outcome["violations"].as_array().unwrap();
    assert!(
        violations.len() == 1
            && violations[0]
                .as_str()
                .unwrap()
                .starts_with(&format!("connect-src http://127.0.0.1:{}", none.port)),
        "{outcome}"
    );

    // 3. Signed in; the first refresh rotates the refresh token; then the
    //    pool revokes the sign-in (an administrator's global sign-out, say):
    //    the next refresh gets invalid_grant and the session ends at once,
    //    with no retry.
    browser.click("login").await;
    browser.wait_for_url(WAIT, |u| u.path() == "/login").await;
    browser.sign_in_on_hosted_page(USERNAME, PASSWORD).await;
    browser
        .wait_for_text("email", WAIT, |t| t == USERNAME)
        .await;
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Tokens refreshed"))
        .await;
    seen.lock().unwrap().live.clear();
    let status = browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Signed out"))
        .await;
    assert!(status.contains("invalid_grant"), "{status}");
    assert_eq!(browser.text("user").await, "Not signed in.");
    let refreshes: Vec<String> = seen
        .lock()
        .unwrap()
        .token
        .iter()
        .filter_map(|t| t.get("refresh_token").cloned())
        .collect();
    assert_eq!(
        refreshes,
        ["refresh-1", "refresh-2"],
        "one refusal, no retry"
    );
    browser.screenshot("invalid-grant-ends-the-session").await;

    // 4. A refresh still in flight when the user signs out: the stand-in
    //    holds it until the sign-out's revocation arrives, then answers with
    //    a rotated refresh token. The session must stay ended, and that new
    //    refresh token be revoked too before the page leaves for /logout.
    browser.click("login").await;
    browser.wait_for_url(WAIT, |u| u.path() == "/login").await;
    browser.sign_in_on_hosted_page(USERNAME, PASSWORD).await;
    browser
        .wait_for_text("email", WAIT, |t| t == USERNAME)
        .await;
    state.hold_refresh.arm();
    wait_for_seen(&seen, "the refresh of refresh-3", |s| {
        s.token
            .iter()
            .any(|t| t.get("refresh_token").map(String::as_str) == Some("refresh-3"))
    })
    .await;
    browser.click("logout").await;
    browser.wait_for_url(WAIT, |u| u.as_str() == app_url).await;
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Ready"))
        .await;
    assert_eq!(browser.text("user").await, "Not signed in.");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.revoked, ["refresh-3", "refresh-4"]);
        assert!(
            seen.live.is_empty(),
            "a refresh token still works: {:?}",
            seen.live
        );
        assert_eq!(seen.logout.len(), 1);
    }
    browser.screenshot("signed-out-despite-late-refresh").await;

    // 5. Nothing of the session is left: calls carry no token.
    let result = call(&browser, "call-awesomeapi", WAIT).await;
    assert_eq!(result, r#"401 {"message":"Unauthorized"}"#);
    assert_eq!(seen.lock().unwrap().api.last().unwrap().1, "");
    browser.close().await;
}

// ------------------------------------------------- the real local stack

/// The user the local stack is started with (`--user`).
const STACK_USER: &str = "alice@example.com";
const STACK_PASSWORD: &str = "Correct-Horse-9";
/// API calls go through the real authorizer and handler.
const STACK_WAIT: Duration = Duration::from_secs(60);

/// The pool's `username` for `email`: Cognito's, for a pool that signs in
/// by email, is the user's `sub`, which the stack keeps in `users.json`.
fn pool_username(stack: &LocalStack, email: &str) -> String {
    let path = stack.scratch.join("state/users.json");
    let users: Value = serde_json::from_slice(&std::fs::read(&path).expect("users.json"))
        .expect("users.json is JSON");
    users["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["email"] == email)
        .and_then(|u| u["sub"].as_str())
        .unwrap_or_else(|| panic!("{email} is not in {}", path.display()))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs cargo-lambda from .venv (scripts/tools) and Chromium (scripts/browser-tools); run scripts/test"]
async fn web_app_signs_in_on_local_stack_and_calls_its_api() {
    let started = std::time::Instant::now();
    let user = format!("{STACK_USER}:{STACK_PASSWORD}");
    let mut stack = tokio::task::spawn_blocking(move || {
        LocalStack::start("web-app-local-stack", &["--user", &user])
    })
    .await
    .expect("local-stack starts");
    let stack_ready = started.elapsed();
    let info = stack.info();
    let web_url = stack.web_url();
    assert_eq!(info.web_url.as_deref(), Some(web_url.as_str()));
    assert!(
        stack.banner.contains(&web_url),
        "the banner names the web app: {}",
        stack.banner
    );
    let web_client = info
        .clients
        .iter()
        .find(|c| c.allows(OAuthFlow::Code))
        .expect("a web client in stack.json");
    // Not the template's default port: the callback URLs follow --web-port.
    assert_ne!(stack.web_port, 8080);
    assert_eq!(web_client.callback_urls, [web_url.as_str()]);
    assert_eq!(web_client.logout_urls, [web_url.as_str()]);

    // The web app's configuration is the running stack's.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let served = http
        .get(format!("{web_url}config.json"))
        .send()
        .await
        .expect("config.json")
        .text()
        .await
        .expect("config.json's body");
    let served: Value = serde_json::from_str(&served).expect("config.json is JSON");
    let pool = info
        .token_endpoint
        .strip_suffix("/oauth2/token")
        .expect("token endpoint under the pool's URL");
    assert_eq!(
        served,
        json!({
            "domain": pool,
            "client_id": web_client.client_id,
            "redirect_uri": web_url,
            "logout_uri": web_url,
            "api_url": info.api_url,
            "scopes": web_client.scopes,
        })
    );

    let browser_started = std::time::Instant::now();
    let mut browser = Browser::start("web-app-local-stack")
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // 1. The landing page, configured.
    browser.client.goto(&web_url).await.unwrap();
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Ready"))
        .await;
    assert_eq!(browser.text("user").await, "Not signed in.");
    browser.screenshot("landing").await;

    // 2. Sign in: on to the local pool's hosted page.
    browser.click("login").await;
    let login_url = browser.wait_for_url(WAIT, |u| u.path() == "/login").await;
    assert_eq!(
        login_url.origin().ascii_serialization(),
        pool,
        "{login_url}"
    );
    assert_eq!(
        query_of(&login_url).get("redirect_uri").map(String::as_str),
        Some(web_url.as_str())
    );
    browser.screenshot("hosted-sign-in").await;

    // 3. Back with a code, exchanged: the pool's username for the user.
    browser
        .sign_in_on_hosted_page(STACK_USER, STACK_PASSWORD)
        .await;
    let username = browser
        .wait_for_text("username", WAIT, |t| !t.is_empty())
        .await;
    assert_eq!(username, pool_username(&stack, STACK_USER));
    assert_eq!(
        browser.text("email").await,
        STACK_USER,
        "the user is shown by the email they signed in with"
    );
    assert_eq!(
        browser.client.current_url().await.unwrap().as_str(),
        web_url,
        "the code is gone from the address bar"
    );
    let user = browser.text("user").await;
    for scope in &web_client.scopes {
        assert!(user.contains(scope.as_str()), "{user}");
    }
    browser.screenshot("signed-in").await;

    // 4. /awesomeapi through the real authorizer and handler: 200, naming the user.
    let result = call(&browser, "call-awesomeapi", STACK_WAIT).await;
    assert!(
        result.starts_with("200 ")
            && result.contains("Hello From Protected Resource")
            && result.contains(&username),
        "{result}\n{}",
        log_tail(&stack.log_path)
    );
    browser.screenshot("awesomeapi-200").await;

    // 5. /book needs a scope the web client lacks: 403, readable (CORS), not a network error.
    let result = call(&browser, "call-book", STACK_WAIT).await;
    assert!(
        result.starts_with(r#"403 {"Message":"User is not authorized to access this resource"#),
        "{result}"
    );
    browser.screenshot("book-403").await;

    // 6. Sign out through the pool's /logout, back to the landing page.
    browser.click("logout").await;
    browser.wait_for_url(WAIT, |u| u.as_str() == web_url).await;
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Ready"))
        .await;
    assert_eq!(browser.text("user").await, "Not signed in.");

    // 7. Without a token: the API's own 401, readable.
    let result = call(&browser, "call-awesomeapi", STACK_WAIT).await;
    assert_eq!(result, r#"401 {"message":"Unauthorized"}"#);
    browser.screenshot("signed-out-401").await;

    // 8. The hosted page's session ended with the sign-out: signing in asks again.
    browser.click("login").await;
    browser.wait_for_url(WAIT, |u| u.path() == "/login").await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("input[name=password]"))
            .await
            .is_ok(),
        "the sign-in form is shown again"
    );
    browser.screenshot("sign-in-asks-again").await;
    browser.close().await;
    let browser_part = browser_started.elapsed();

    // Everything the stack started stops with it.
    let tree = stack.guard.tree();
    let status = stack.guard.terminate_and_wait(Duration::from_secs(60));
    assert!(
        status.is_some(),
        "local-stack did not stop\n{}",
        log_tail(&stack.log_path)
    );
    for process in tree {
        assert!(
            !testkit::process_tree::is_running(process.pid),
            "process {} left running",
            process.pid
        );
    }
    for port in stack
        .ports
        .into_iter()
        .chain([stack.web_port, stack.http_api_port])
    {
        assert!(port_is_closed(port), "port {port} still open");
    }
    eprintln!(
        "web app on local-stack: stack ready after {stack_ready:?}, browser steps {browser_part:?}, \
         total {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs cargo-lambda from .venv (scripts/tools) and Chromium (scripts/browser-tools); run scripts/test"]
async fn web_app_calls_the_http_api_on_local_stack() {
    let user = format!("{STACK_USER}:{STACK_PASSWORD}");
    let mut stack = tokio::task::spawn_blocking(move || {
        LocalStack::start("web-app-http-api", &["--user", &user, "--web-api", "http"])
    })
    .await
    .expect("local-stack starts");
    let info = stack.info();
    let web_url = stack.web_url();
    let http_api_url = info.http_api_url.clone().expect("an HTTP API");
    // config.json points the app at the HTTP API.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let served: Value = serde_json::from_str(
        &http
            .get(format!("{web_url}config.json"))
            .send()
            .await
            .expect("config.json")
            .text()
            .await
            .expect("config.json's body"),
    )
    .expect("config.json is JSON");
    assert_eq!(served["api_url"], http_api_url.as_str());

    let mut browser = Browser::start("web-app-http-api")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    browser.client.goto(&web_url).await.unwrap();
    browser
        .wait_for_text("status", WAIT, |t| t.starts_with("Ready"))
        .await;
    browser.click("login").await;
    browser.wait_for_url(WAIT, |u| u.path() == "/login").await;
    browser
        .sign_in_on_hosted_page(STACK_USER, STACK_PASSWORD)
        .await;
    let username = browser
        .wait_for_text("username", WAIT, |t| !t.is_empty())
        .await;
    // Through the HTTP API's payload 2.0 events: 200 naming the user.
    let result = call(&browser, "call-awesomeapi", STACK_WAIT).await;
    assert!(
        result.starts_with("200 ")
            && result.contains("Hello From Protected Resource")
            && result.contains(&username),
        "{result}\n{}",
        log_tail(&stack.log_path)
    );
    // The front's own 403 carries the CORS headers, so the page reads it
    // (sam-cli #9087: SAM CLI's does not).
    let result = call(&browser, "call-book", STACK_WAIT).await;
    assert_eq!(result, r#"403 {"message":"Forbidden"}"#);
    browser.screenshot("http-api-book-403").await;
    browser.close().await;

    let tree = stack.guard.tree();
    let status = stack.guard.terminate_and_wait(Duration::from_secs(60));
    assert!(
        status.is_some(),
        "local-stack did not stop\n{}",
        log_tail(&stack.log_path)
    );
    for process in tree {
        assert!(
            !testkit::process_tree::is_running(process.pid),
            "process {} left running",
            process.pid
        );
    }
    for port in stack
        .ports
        .into_iter()
        .chain([stack.web_port, stack.http_api_port])
    {
        assert!(port_is_closed(port), "port {port} still open");
    }
}
