//! The hosted sign-in end to end through the real servers: `local-stack`
//! started with a users file, an HTTP client that keeps cookies as a browser
//! does, and the real authorizer and handler behind the API front:
//! authorize → login → code → tokens → API 200/403 → refresh (rotated) → revoke →
//! refresh refused → logout. The banner's walkthrough gives the client and
//! URLs, so the test follows what a person would.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::local_stack::{LocalStack, log_tail};
use serde_json::Value;
use testkit::port_is_closed;
use testkit::process_tree::is_running;

const EMAIL: &str = "alice@example.com";
const PASSWORD: &str = "Correct-Horse-9";
// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The authorize query the banner prints (without its PKCE challenge).
fn printed_query(banner: &str) -> Vec<(String, String)> {
    let line = banner
        .lines()
        .find(|l| l.trim_start().starts_with("QUERY=\""))
        .unwrap_or_else(|| panic!("no QUERY line in the banner:\n{banner}"));
    let quoted = line.split('"').nth(1).expect("quoted query");
    let query = quoted
        .strip_suffix("&code_challenge=$CHALLENGE")
        .expect("query ends with the challenge");
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

async fn api(http: &reqwest::Client, url: &str, token: &str) -> (u16, String) {
    let response = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("API call");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn form(http: &reqwest::Client, url: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let response = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("form post");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs cargo-lambda from .venv; run scripts/test"]
async fn a_user_signs_in_calls_the_api_refreshes_revokes_and_signs_out() {
    // The way to keep passwords off the command line (and out of `ps`).
    let users = testkit::temp_dir("sign-in-users-").expect("scratch folder");
    let users_file = users.path().join("users.txt");
    std::fs::write(&users_file, format!("{EMAIL}:{PASSWORD}:readers\n")).expect("users file");
    let users_file = users_file.to_str().expect("UTF-8 path");
    let mut stack = LocalStack::start("sign-in", &["--users-file", users_file]);
    let pool = stack.pool_url();
    let api_url = stack.api_url();
    assert!(
        !stack.banner.contains(PASSWORD),
        "a password given in a users file is never printed"
    );
    let printed = printed_query(&stack.banner);
    let client_id = param(&printed, "client_id").to_string();
    let callback = param(&printed, "redirect_uri").to_string();
    let browser = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client");
    // Every server of the stack answers its own loopback URLs only: a page
    // whose host name was rebound to 127.0.0.1 sends its own name as Host.
    for url in [
        format!("{pool}/.well-known/openid-configuration"),
        format!("{api_url}/awesomeapi"),
        format!("{}config.json", stack.web_url()),
    ] {
        let own = browser.get(&url).send().await.expect("own host");
        assert_ne!(own.status().as_u16(), 421, "{url}");
        let port = url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next());
        let rebound = browser
            .get(&url)
            .header(
                "host",
                format!("rebound.example:{}", port.unwrap_or_default()),
            )
            .send()
            .await
            .expect("rebound host");
        assert_eq!(rebound.status().as_u16(), 421, "{url}");
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .extend_pairs(printed.iter())
        .append_pair("code_challenge", CHALLENGE);
    let query = query.finish();

    // authorize → /login with the same query.
    let authorize = browser
        .get(format!("{pool}/oauth2/authorize?{query}"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(authorize.status(), 302);
    let login_url = location(&authorize);
    assert_eq!(login_url, format!("{pool}/login?{query}"));

    // The form, its CSRF token, and a wrong then a right password.
    let page = browser.get(&login_url).send().await.expect("login page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a _csrf field")
        .to_string();
    let post = |password: &'static str| {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("_csrf", &csrf)
            .append_pair("username", EMAIL)
            .append_pair("password", password)
            .finish();
        browser
            .post(&login_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let wrong = post("Correct-Horse-8").await.expect("wrong password");
    assert_eq!(wrong.status(), 200);
    assert!(wrong.headers().get("location").is_none());
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("Incorrect username or password.")
    );
    let right = post(PASSWORD).await.expect("sign-in");
    assert_eq!(right.status(), 302);
    let back = location(&right);
    assert!(back.starts_with(&format!("{callback}?code=")), "{back}");
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some(param(&printed, "state"))
    );
    let code = query_param(&back, "code").expect("code");

    // The code for tokens.
    let token_url = format!("{pool}/oauth2/token");
    let exchange = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", callback.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = form(&browser, &token_url, &exchange).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let id_token = tokens["id_token"].as_str().expect("id_token").to_string();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_string();
    let (status, reused) = form(&browser, &token_url, &exchange).await;
    assert_eq!(
        (status, &reused["error"]),
        (400, &Value::from("invalid_grant"))
    );
    let user_claims = claims(&access);
    assert_eq!(
        user_claims["cognito:groups"],
        serde_json::json!(["readers"])
    );
    let username = user_claims["username"]
        .as_str()
        .expect("username")
        .to_string();

    // The API through the real authorizer and handler.
    let (status, body) = api(&browser, &format!("{api_url}/awesomeapi"), &access).await;
    assert_eq!(status, 200, "{body}\n{}", log_tail(&stack.log_path));
    assert!(body.contains("Hello From Protected Resource"), "{body}");
    assert!(
        body.contains(&username),
        "the handler names the user: {body}"
    );
    let (status, body) = api(&browser, &format!("{api_url}/book"), &access).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = api(&browser, &format!("{api_url}/awesomeapi"), &id_token).await;
    assert_eq!(status, 401, "an ID token is not an access token");
    // The same through the HTTP API (payload 2.0): the handler reads the
    // caller from requestContext.authorizer.lambda.
    let http_api = stack.http_api_url();
    let (status, body) = api(&browser, &format!("{http_api}/awesomeapi"), &access).await;
    assert_eq!(status, 200, "{body}\n{}", log_tail(&stack.log_path));
    assert!(
        body.contains(&username),
        "the handler names the user: {body}"
    );
    let (status, body) = api(&browser, &format!("{http_api}/book"), &access).await;
    assert_eq!((status, body.as_str()), (403, r#"{"message":"Forbidden"}"#));

    // userInfo, then refresh.
    let info = browser
        .get(format!("{pool}/oauth2/userInfo"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("userInfo");
    assert_eq!(info.status(), 200);
    let info: Value =
        serde_json::from_str(&info.text().await.expect("body")).expect("userInfo JSON");
    assert_eq!(
        (info["email"].as_str(), info["username"].as_str()),
        (Some(EMAIL), Some(username.as_str()))
    );
    let renew = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id.as_str()),
        ("refresh_token", refresh.as_str()),
    ];
    let (status, renewed) = form(&browser, &token_url, &renew).await;
    assert_eq!(status, 200, "{renewed}");
    // The web client rotates refresh tokens (RefreshTokenRotation): a new
    // one each refresh, the old one usable for the grace period only.
    let rotated = renewed["refresh_token"]
        .as_str()
        .expect("a rotated refresh_token")
        .to_string();
    assert_ne!(rotated, refresh);
    let renewed_access = renewed["access_token"].as_str().expect("access_token");
    assert_eq!(
        api(&browser, &format!("{api_url}/awesomeapi"), renewed_access)
            .await
            .0,
        200
    );

    // Revoke the rotated token: the whole family (the first one too, still
    // in its grace period) is refused, and userInfo too; the API's
    // authorizer, like API Gateway's, does not see revocation.
    let revoke = [
        ("token", rotated.as_str()),
        ("client_id", client_id.as_str()),
    ];
    assert_eq!(
        form(&browser, &format!("{pool}/oauth2/revoke"), &revoke)
            .await
            .0,
        200
    );
    for token in [&refresh, &rotated] {
        let renew = [
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("refresh_token", token.as_str()),
        ];
        let (status, refused) = form(&browser, &token_url, &renew).await;
        assert_eq!(
            (status, &refused["error"]),
            (400, &Value::from("invalid_grant"))
        );
    }
    let info = browser
        .get(format!("{pool}/oauth2/userInfo"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("userInfo");
    assert_eq!(info.status(), 401);
    assert_eq!(
        api(&browser, &format!("{api_url}/awesomeapi"), &access)
            .await
            .0,
        200
    );

    // The session: a new code without the form, until sign-out.
    let again = browser
        .get(format!("{pool}/oauth2/authorize?{query}"))
        .send()
        .await
        .expect("authorize again");
    assert!(location(&again).starts_with(&format!("{callback}?code=")));
    let logout_line = stack
        .banner
        .lines()
        .find(|l| l.contains("/logout?"))
        .expect("a logout step");
    let logout_url = logout_line
        .split('"')
        .nth(1)
        .expect("quoted logout URL")
        .to_string();
    let logout_uri = query_param(&logout_url, "logout_uri").expect("logout_uri");
    let out = browser.get(&logout_url).send().await.expect("logout");
    assert_eq!((out.status().as_u16(), location(&out)), (302, logout_uri));
    let after = browser
        .get(format!("{pool}/oauth2/authorize?{query}"))
        .send()
        .await
        .expect("authorize after sign-out");
    assert_eq!(location(&after), login_url);

    // Stop as Ctrl-C would; nothing may be left running.
    let tree = stack.guard.tree();
    let status = stack.guard.terminate_and_wait(Duration::from_secs(60));
    assert!(
        status.is_some_and(|s| s.success()),
        "local-stack exit: {status:?}\n{}",
        log_tail(&stack.log_path)
    );
    let survivors: Vec<i32> = tree
        .iter()
        .map(|p| p.pid)
        .filter(|pid| is_running(*pid))
        .collect();
    assert!(
        survivors.is_empty(),
        "processes left running: {survivors:?}"
    );
    for port in stack.ports.into_iter().chain([stack.web_port]) {
        assert!(port_is_closed(port), "port {port} still open");
    }
}
