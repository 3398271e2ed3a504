//! The seeds' walkthrough, end to end on one machine: `local-stack` (token
//! endpoint, the real `authorizer` and `handler` binaries under `cargo
//! lambda watch`, API front) driven over HTTP, then stopped with SIGTERM
//! leaving no process behind.

use std::time::{Duration, Instant};

use integration_tests::local_stack::{LocalStack, log_tail};
use serde_json::Value;
use testkit::port_is_closed;
use testkit::process_tree::is_running;

/// The single-quoted `id:secret` in the printed step 2.
fn printed_credentials(banner: &str) -> (String, String) {
    let line = banner
        .lines()
        .find(|l| l.contains("TOKEN=$(curl -s -u '"))
        .unwrap_or_else(|| panic!("no token step in the banner:\n{banner}"));
    let quoted = line.split('\'').nth(1).expect("quoted credentials");
    let (id, secret) = quoted.split_once(':').expect("id:secret");
    (id.to_string(), secret.to_string())
}

struct Client {
    http: reqwest::Client,
    api: String,
    token_url: String,
    credentials: (String, String),
}

impl Client {
    async fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut request = self.http.get(format!("{}{path}", self.api));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        answer(request).await
    }

    async fn post_book(&self, token: &str) -> (u16, String) {
        let request = self
            .http
            .post(format!("{}/book", self.api))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(r#"{"title":"Dune"}"#);
        answer(request).await
    }

    async fn token(&self, scope: Option<&str>) -> String {
        let mut form = String::from("grant_type=client_credentials");
        if let Some(scope) = scope {
            form.push_str("&scope=");
            form.push_str(scope);
        }
        let request = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.credentials.0, Some(&self.credentials.1))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        let (status, body) = answer(request).await;
        assert_eq!(status, 200, "token request: {body}");
        let json: Value = serde_json::from_str(&body).expect("token JSON");
        assert_eq!(json["token_type"], "Bearer");
        assert_eq!(json["expires_in"], 3600);
        json["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs cargo-lambda from .venv; run scripts/test"]
async fn the_seed_walkthrough_runs_offline() {
    let started = Instant::now();
    let mut stack = LocalStack::start("walkthrough", &[]);
    let banner = stack.banner.clone();
    let [token_port, _, api_port] = stack.ports;
    let (ports, log_path) = (stack.ports, stack.log_path.clone());
    let web_port = stack.web_port;
    let http_api_port = stack.http_api_port;

    // stack.json describes the running stack, with the printed credentials.
    let info = stack.info();
    // The stage's URL, as the template's ApiUrl output gives it plus `/`:
    // the tutorials' `${API_ENDPOINT}book` works unchanged.
    assert_eq!(
        info.api_url,
        format!("http://127.0.0.1:{api_port}/{}/", info.stage)
    );
    assert_eq!(info.web_url, Some(stack.web_url()));
    assert_eq!(
        info.token_endpoint,
        format!("http://127.0.0.1:{token_port}/oauth2/token")
    );
    let (printed_id, printed_secret) = printed_credentials(&banner);
    let m2m = info.client(None).expect("an M2M client in stack.json");
    assert_eq!(
        (m2m.client_id.as_str(), m2m.client_secret.as_deref()),
        (printed_id.as_str(), Some(printed_secret.as_str()))
    );

    let client = Client {
        http: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("http client"),
        api: stack.api_url(),
        token_url: format!("http://127.0.0.1:{token_port}/oauth2/token"),
        credentials: printed_credentials(&banner),
    };
    let not_allowed = r#"{"Message":"User is not authorized to access this resource"}"#;

    // The banner's commands name the stage's URL.
    assert!(
        banner.contains(&format!("curl -i {}awesomeapi", info.api_url)),
        "{banner}"
    );
    // Outside the stage there is no API.
    let outside = client
        .http
        .get(format!("http://127.0.0.1:{api_port}/awesomeapi"));
    assert_eq!(
        answer(outside).await,
        (
            403,
            r#"{"message":"Missing Authentication Token"}"#.to_string()
        )
    );
    // 1. No token: 401 without calling the authorizer.
    assert_eq!(
        client.get("/awesomeapi", None).await,
        (401, r#"{"message":"Unauthorized"}"#.to_string())
    );
    // 2. A token by client credentials, every scope of the client.
    let token = client.token(None).await;
    // 3. The protected resource.
    let (status, body) = client.get("/awesomeapi", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello From Protected Resource"), "{body}");
    // 4. Books, both methods.
    let (status, body) = client.get("/book", Some(&token)).await;
    assert_eq!(status, 200, "GET /book: {body}");
    let (status, body) = client.post_book(&token).await;
    assert_eq!(status, 200, "POST /book: {body}");
    // 5. No user scope for this client.
    assert_eq!(
        client.get("/user", Some(&token)).await,
        (403, not_allowed.to_string())
    );
    // 6. A narrower token: only the awesomeapi scope.
    let narrow = client
        .token(Some("awesomeapi-resource-server/awesomeapi.read"))
        .await;
    assert_eq!(
        client.get("/book", Some(&narrow)).await,
        (403, not_allowed.to_string())
    );
    assert_eq!(client.get("/awesomeapi", Some(&narrow)).await.0, 200);
    // A forged token is refused by the real authorizer.
    let forged = format!("{token}x");
    assert_eq!(client.get("/book", Some(&forged)).await.0, 401);

    // The same walkthrough through the HTTP API (payload 2.0 events to the
    // same authorizer and handler, simple answers cached per route key).
    http_api_walkthrough(&stack, &client, &token, &narrow).await;

    // Stop as Ctrl-C would: SIGTERM to local-stack only; it must take
    // cargo lambda watch and both functions down with it.
    let tree = stack.guard.tree();
    assert!(
        tree.len() >= 4,
        "expected local-stack, watch and two functions: {tree:?}"
    );
    let status = stack.guard.terminate_and_wait(Duration::from_secs(60));
    assert!(
        status.is_some_and(|s| s.success()),
        "local-stack exit: {status:?}\n{}",
        log_tail(&log_path)
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
    for port in ports.into_iter().chain([web_port, http_api_port]) {
        assert!(port_is_closed(port), "port {port} still open");
    }
    eprintln!("walkthrough passed in {:?}", started.elapsed());
}

/// The M2M walkthrough's steps on the HTTP API, its CORS and its own
/// answers: 401 without calling the authorizer, 403 for a refused route
/// (the cached simple answer of another route does not leak), 404 off the
/// routes and outside the stage, every one with the CORS headers.
async fn http_api_walkthrough(stack: &LocalStack, rest: &Client, token: &str, narrow: &str) {
    let info = stack.info();
    let http_api = stack.http_api_url();
    assert_eq!(
        info.http_api_url,
        Some(format!(
            "http://127.0.0.1:{}/{}/",
            stack.http_api_port, info.stage
        ))
    );
    assert!(
        stack
            .banner
            .contains(&format!("curl -i {http_api}/awesomeapi")),
        "{}",
        stack.banner
    );
    let client = Client {
        http: rest.http.clone(),
        api: http_api.clone(),
        token_url: rest.token_url.clone(),
        credentials: rest.credentials.clone(),
    };
    let unauthorized = r#"{"message":"Unauthorized"}"#.to_string();
    let forbidden = r#"{"message":"Forbidden"}"#.to_string();
    let not_found = r#"{"message":"Not Found"}"#.to_string();
    assert_eq!(client.get("/awesomeapi", None).await, (401, unauthorized));
    let (status, body) = client.get("/awesomeapi", Some(token)).await;
    assert_eq!(status, 200, "{body}\n{}", log_tail(&stack.log_path));
    assert!(body.contains("Hello From Protected Resource"), "{body}");
    let (status, body) = client.get("/book", Some(token)).await;
    assert_eq!(status, 200, "GET /book: {body}");
    let (status, body) = client.post_book(token).await;
    assert_eq!(status, 200, "POST /book: {body}");
    assert_eq!(
        client.get("/user", Some(token)).await,
        (403, forbidden.clone())
    );
    // The narrow token's answer for /awesomeapi is cached; /book is asked anew.
    assert_eq!(client.get("/awesomeapi", Some(narrow)).await.0, 200);
    assert_eq!(client.get("/book", Some(narrow)).await, (403, forbidden));
    assert_eq!(
        client.get("/nowhere", Some(token)).await,
        (404, not_found.clone())
    );
    let outside = format!("http://127.0.0.1:{}/awesomeapi", stack.http_api_port);
    assert_eq!(answer(client.http.get(outside)).await, (404, not_found));

    // CORS from CorsConfiguration: the preflight without a token, and the
    // headers on the front's own 401.
    let origin = info
        .web_url
        .clone()
        .expect("a web app")
        .trim_end_matches('/')
        .to_string();
    let preflight = client
        .http
        .request(reqwest::Method::OPTIONS, format!("{http_api}/book"))
        .header("origin", &origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), 204);
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(
        header(&preflight, "access-control-allow-origin").as_deref(),
        Some(origin.as_str())
    );
    assert!(
        header(&preflight, "access-control-allow-headers")
            .is_some_and(|h| h.to_ascii_lowercase().contains("authorization")),
        "{:?}",
        preflight.headers()
    );
    let refused = client
        .http
        .get(format!("{http_api}/awesomeapi"))
        .header("origin", &origin)
        .send()
        .await
        .expect("401");
    assert_eq!(refused.status(), 401);
    assert_eq!(
        header(&refused, "access-control-allow-origin").as_deref(),
        Some(origin.as_str())
    );
}
