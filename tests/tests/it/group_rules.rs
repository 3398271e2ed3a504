//! Group rules end to end on the local stack: users started with
//! `--user EMAIL:PASSWORD:GROUP`, signed in through the hosted sign-in, get
//! `cognito:groups` in their access tokens; `DELETE /book/{id}` needs
//! `API/book.delete` and the group `admins`, so an admin may delete, a
//! reader with the same scope gets 403, and so does an M2M token.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::local_stack::{LocalStack, log_tail};
use local::OAuthFlow;
use serde_json::Value;

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

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_string()
}

pub(crate) fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client")
}

/// Signs `email` in through the hosted sign-in with the banner's query
/// (asking for `openid API/book.delete`) and answers the access token.
pub(crate) async fn sign_in(stack: &LocalStack, email: &str) -> String {
    let pool = stack.pool_url();
    let browser = client();
    let mut printed = printed_query(&stack.banner);
    for (key, value) in &mut printed {
        if key == "scope" {
            *value = "openid API/book.delete".to_string();
        }
    }
    let value = |name: &str| {
        printed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in the printed query"))
    };
    let (client_id, callback) = (value("client_id"), value("redirect_uri"));
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .extend_pairs(printed.iter())
        .append_pair("code_challenge", CHALLENGE);
    let query = query.finish();
    let authorize = browser
        .get(format!("{pool}/oauth2/authorize?{query}"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(authorize.status(), 302);
    let login_url = location(&authorize);
    let html = browser
        .get(&login_url)
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a _csrf field")
        .to_string();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("_csrf", &csrf)
        .append_pair("username", email)
        .append_pair("password", PASSWORD)
        .finish();
    let signed_in = browser
        .post(&login_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("sign-in");
    assert_eq!(signed_in.status(), 302, "{email}");
    let back = location(&signed_in);
    let code = url_param(&back, "code").expect("code");
    let exchange = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("client_id", &client_id)
        .append_pair("code", &code)
        .append_pair("redirect_uri", &callback)
        .append_pair("code_verifier", VERIFIER)
        .finish();
    token(&browser, &format!("{pool}/oauth2/token"), exchange, None).await
}

fn url_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Posts a token request and answers its access token.
pub(crate) async fn token(
    http: &reqwest::Client,
    url: &str,
    form: String,
    basic: Option<(&str, &str)>,
) -> String {
    let mut request = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("token request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_eq!(status, 200, "{text}");
    let json: Value = serde_json::from_str(&text).expect("token JSON");
    json["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// The M2M client's access token with all its scopes.
pub(crate) async fn m2m_token(stack: &LocalStack) -> String {
    let info = stack.info();
    let m2m = info
        .clients
        .iter()
        .find(|c| c.allows(OAuthFlow::ClientCredentials))
        .expect("an M2M client");
    let secret = m2m.client_secret.as_deref().expect("a secret");
    token(
        &client(),
        &info.token_endpoint,
        "grant_type=client_credentials".to_string(),
        Some((&m2m.client_id, secret)),
    )
    .await
}

/// Calls `method /book...` with `token`: status and body.
pub(crate) async fn call(
    stack: &LocalStack,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> (u16, String) {
    let response = client()
        .request(method, format!("{}{path}", stack.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("API request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn delete_book(stack: &LocalStack, token: &str) -> (u16, String) {
    let response = client()
        .delete(format!("{}/book/1", stack.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("DELETE /book/1");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs cargo-lambda from .venv; run scripts/test"]
async fn an_admin_may_delete_a_book_and_a_reader_or_m2m_token_may_not() {
    let admin = format!("admin@example.com:{PASSWORD}:admins");
    let reader = format!("reader@example.com:{PASSWORD}:readers");
    let editor = format!("editor@example.com:{PASSWORD}:editors");
    let users = ["--user", &admin, "--user", &reader, "--user", &editor];
    let stack = LocalStack::start("group-rules", &users);

    let admin_token = sign_in(&stack, "admin@example.com").await;
    let admin_claims = claims(&admin_token);
    assert_eq!(
        admin_claims["cognito:groups"],
        serde_json::json!(["admins"])
    );
    let scopes = admin_claims["scope"].as_str().expect("scope");
    assert!(
        scopes.split(' ').any(|s| s == "API/book.delete"),
        "{scopes}"
    );
    let (status, body) = delete_book(&stack, &admin_token).await;
    assert_eq!(status, 200, "{body}\n{}", log_tail(&stack.log_path));

    // The same scope without the group: refused.
    let reader_token = sign_in(&stack, "reader@example.com").await;
    let reader_claims = claims(&reader_token);
    assert_eq!(
        reader_claims["cognito:groups"],
        serde_json::json!(["readers"])
    );
    assert_eq!(reader_claims["scope"], admin_claims["scope"]);
    let (status, body) = delete_book(&stack, &reader_token).await;
    assert_eq!(status, 403, "{body}");

    // Without the pre-token-generation trigger (PreTokenGenerationVersion
    // NONE), being an editor adds nothing: POST /book stays out of reach.
    let editor_token = sign_in(&stack, "editor@example.com").await;
    assert_eq!(claims(&editor_token)["scope"], admin_claims["scope"]);
    let (status, body) = call(&stack, reqwest::Method::POST, "/book", &editor_token).await;
    assert_eq!(status, 403, "{body}");

    // An M2M token has no groups, whatever its scopes.
    let m2m_token = m2m_token(&stack).await;
    let m2m_claims = claims(&m2m_token);
    assert!(m2m_claims.get("cognito:groups").is_none());
    assert!(
        m2m_claims.get("caller_kind").is_none(),
        "no trigger, no claim"
    );
    let (status, body) = delete_book(&stack, &m2m_token).await;
    assert_eq!(status, 403, "{body}");
}
