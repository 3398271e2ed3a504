//! The web client (`web/`) in a real browser: Debian's Chromium through
//! chromedriver.
//!
//! local-stack cannot serve the web app or sign a user in yet, so here the
//! app's files are served by a tiny server in the test, on their own origin
//! (`http://localhost:<port>`), and its `config.json` points at a stand-in
//! for the hosted sign-in and the API on another origin
//! (`http://127.0.0.1:<port>`). The stand-in records every request, so the
//! test checks what the browser really sent: the authorize query (PKCE S256,
//! state, nonce), the code exchange, the bearer token on API calls, the
//! refresh and the sign-out.
//!
//! Screenshots of each step: `target/screenshots/web-client/NN-step.png`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::browser::Browser;
use reqwest::Url;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const WEB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../web");
const CLIENT_ID: &str = "6p7q8r9s0t1u2v3w4x5y6z7a8b";
const SCOPES: [&str; 2] = ["openid", "awesomeapi-resource-server/awesomeapi.read"];
const USERNAME: &str = "alice@example.com";
const PASSWORD: &str = "Correct-Horse-9";
const CSRF: &str = "csrf-7f3a";
/// The first access token's lifetime: short, so the app must refresh it
/// while the test runs (it refreshes at 4/5 of a lifetime this short).
const FIRST_LIFETIME_S: u64 = 8;
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

// ------------------------------------------------------- the web app's files

async fn web_file(Path(name): Path<String>) -> Response {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    let kind = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    };
    match std::fs::read(format!("{WEB_DIR}/{name}")) {
        Ok(bytes) if plain && !name.starts_with('.') => {
            ([(header::CONTENT_TYPE, kind)], bytes).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

// ------------------------------- a stand-in for the hosted sign-in and the API

/// What the stand-in received.
#[derive(Default)]
struct Seen {
    authorize: Vec<HashMap<String, String>>,
    token: Vec<HashMap<String, String>>,
    logout: Vec<HashMap<String, String>>,
    /// (path, Authorization header or "") of each API call.
    api: Vec<(String, String)>,
    /// Access tokens issued so far.
    issued: Vec<String>,
}

#[derive(Clone)]
struct StandIn {
    seen: Arc<Mutex<Seen>>,
    web_origin: String,
}

fn pairs(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
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
    let mut seen = s.seen.lock().unwrap();
    seen.token.push(form.clone());
    let nonce = seen
        .authorize
        .last()
        .and_then(|a| a.get("nonce").cloned())
        .unwrap_or_default();
    let n = seen.issued.len() + 1;
    let access = fake_jwt(&json!({
        "sub": "0f1e2d3c", "client_id": CLIENT_ID, "token_use": "access",
        "scope": SCOPES.join(" "), "exp": now() + 3600, "jti": format!("access-{n}"),
        "username": USERNAME,
    }));
    let id =
        fake_jwt(&json!({"sub": "0f1e2d3c", "aud": CLIENT_ID, "token_use": "id", "nonce": nonce}));
    let answer = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") if form.get("code").map(String::as_str) == Some("code-1") => {
            json!({
                "access_token": access, "id_token": id, "refresh_token": "refresh-1",
                "expires_in": FIRST_LIFETIME_S, "token_type": "Bearer",
            })
        }
        Some("refresh_token")
            if form.get("refresh_token").map(String::as_str) == Some("refresh-1") =>
        {
            json!({"access_token": access, "id_token": id, "expires_in": 3600, "token_type": "Bearer"})
        }
        _ => {
            let error = Json(json!({"error": "invalid_grant"}));
            return cors_any((StatusCode::BAD_REQUEST, error).into_response());
        }
    };
    seen.issued
        .push(answer["access_token"].as_str().unwrap().to_string());
    cors_any(Json(answer).into_response())
}

async fn revoke() -> Response {
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

async fn serve_stand_in(web_origin: &str) -> (Served, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = StandIn {
        seen: Arc::clone(&seen),
        web_origin: web_origin.to_string(),
    };
    let app = Router::new()
        .route("/oauth2/authorize", get(authorize))
        .route("/login", get(login_page).post(login_submit))
        .route(
            "/oauth2/token",
            axum::routing::post(token)
                .options(|| async { cors_any(StatusCode::OK.into_response()) }),
        )
        .route("/oauth2/revoke", axum::routing::post(revoke))
        .route("/logout", get(logout))
        .route("/prod/{path}", get(api).options(preflight))
        .with_state(state);
    (serve(app).await, seen)
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

/// Clicks a call button and returns the answer `result` shows.
async fn call(browser: &Browser, button: &str) -> String {
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
        .wait_for_text("result", WAIT, |t| {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_client_signs_in_with_pkce_calls_the_api_refreshes_and_signs_out() {
    // The web app on localhost, everything else on 127.0.0.1: two origins,
    // as with local-stack and as with a deployed stack.
    let web_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web_port = web_listener.local_addr().unwrap().port();
    let web_origin = format!("http://localhost:{web_port}");
    let (stand_in, seen) = serve_stand_in(&web_origin).await;
    let domain = format!("http://127.0.0.1:{}", stand_in.port);
    let config = json!({
        "domain": domain,
        "client_id": CLIENT_ID,
        "redirect_uri": format!("{web_origin}/"),
        "logout_uri": format!("{web_origin}/"),
        "api_url": format!("{domain}/prod/"),
        "scopes": SCOPES,
    });
    let app = web_app(config);
    let web = Served {
        port: web_port,
        task: tokio::spawn(async move {
            let _ = axum::serve(web_listener, app).await;
        }),
    };
    let app_url = format!("http://localhost:{}/", web.port);

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
    let result = call(&browser, "call-awesomeapi").await;
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
    let username = browser
        .wait_for_text("username", WAIT, |t| !t.is_empty())
        .await;
    assert_eq!(username, USERNAME);
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

    // 7. /awesomeapi with the refreshed token: 200.
    let result = call(&browser, "call-awesomeapi").await;
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
    let result = call(&browser, "call-book").await;
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
    let logout = seen.lock().unwrap().logout.clone();
    assert_eq!(
        logout,
        [HashMap::from([
            ("client_id".to_string(), CLIENT_ID.to_string()),
            ("logout_uri".to_string(), format!("{web_origin}/")),
        ])]
    );

    // 10. Signed out again: no token, 401.
    let result = call(&browser, "call-awesomeapi").await;
    assert_eq!(result, r#"401 {"message":"Unauthorized"}"#);
    assert_eq!(seen.lock().unwrap().api.last().unwrap().1, "");
    browser.screenshot("signed-out-401").await;

    browser.close().await;
}

/// Serves `web/` as it is on disk, and `config` as `/config.json`.
fn web_app(config: Value) -> Router {
    let config = config.to_string();
    Router::new()
        .route("/", get(|| web_file(Path("index.html".to_string()))))
        .route(
            "/config.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], config) }),
        )
        .route("/{file}", get(web_file))
}
