//! CORS without a browser, against the real `local-stack` (API front,
//! authorizer and handler under `cargo lambda watch`): the exact headers a
//! browser would judge, for a preflight and for the 200, 401 and 403 that
//! follow, from the allowed origin and from another one.

use std::time::Duration;

use integration_tests::local_stack::{LocalStack, workspace};
use local::Template;
use local::{MappedValue, PREFLIGHT_BODY};
use local::{web_origin, web_template_parameters};
use reqwest::Method;
use serde_json::Value;

const OTHER_ORIGIN: &str = "http://evil.example";

/// The origin the template allows (`WebAppOrigin`, through `Cors`) when
/// deployed, as local-stack deploys it, for the web app on `web_port`.
fn allowed_origin(web_port: u16) -> String {
    let parameters = web_template_parameters(&web_origin(web_port));
    let template = Template::load(workspace().join("template.yaml"))
        .and_then(|t| t.with_parameters(parameters))
        .expect("template");
    let cors = template
        .api_cors()
        .expect("Cors")
        .expect("the API has Cors");
    match MappedValue::parse(&cors.allow_origin, "Cors.AllowOrigin") {
        Ok(MappedValue::Static(origin)) => origin,
        other => panic!("AllowOrigin is not a static origin: {other:?}"),
    }
}

/// An answer's status, the headers CORS is about, and its body.
#[derive(Debug)]
struct Seen {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `access-control-*` header, sorted by name.
    fn cors(&self) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(n, _)| n.as_str().starts_with("access-control-"))
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        found.sort();
        found
    }
}

async fn send(request: reqwest::RequestBuilder) -> Seen {
    let response = request.send().await.expect("request sent");
    Seen {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs cargo-lambda from .venv; run scripts/test"]
async fn browsers_get_the_headers_they_need_from_the_allowed_origin_only() {
    let stack = LocalStack::start("cors", &[]);
    let web = allowed_origin(stack.web_port);
    assert_eq!(
        format!("{web}/"),
        stack.web_url(),
        "the API allows the web app's origin"
    );
    let api = stack.api_url();
    let info = stack.info();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client");

    // A token for the M2M client: awesomeapi and books, no user scope.
    let m2m = info.client(None).expect("an M2M client");
    let token = send(
        http.post(&info.token_endpoint)
            .basic_auth(&m2m.client_id, m2m.client_secret.as_deref())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(token.status, 200, "{}", token.body);
    let token: Value = serde_json::from_str(&token.body).expect("token JSON");
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let (web, bearer) = (web.as_str(), bearer.as_str());

    // Preflights: what SAM's mock sends, whatever the Origin (the browser
    // compares); no credentials, and the authorizer is not asked.
    let preflight_headers = pairs(&[
        ("access-control-allow-headers", "Authorization,Content-Type"),
        ("access-control-allow-methods", "GET,POST,OPTIONS"),
        ("access-control-allow-origin", web),
        ("access-control-max-age", "600"),
    ]);
    for (origin, path) in [
        (web, "/awesomeapi"),
        (web, "/book"),
        (OTHER_ORIGIN, "/awesomeapi"),
    ] {
        let seen = send(
            http.request(Method::OPTIONS, format!("{api}{path}"))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization"),
        )
        .await;
        assert_eq!(seen.status, 200, "{origin} {path}: {}", seen.body);
        assert_eq!(seen.cors(), preflight_headers, "{origin} {path}");
        assert_eq!(seen.body, PREFLIGHT_BODY, "{origin} {path}");
        let allowed = seen
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(allowed.split(',').any(|h| h == "authorization"));
        // A browser on another origin is refused by this very header.
        assert_eq!(
            seen.header("access-control-allow-origin") == Some(origin),
            origin == web,
            "{origin}"
        );
    }

    // The calls that follow. From the allowed origin every answer can be
    // read: the handler's own (echoing the origin, with Vary) and API
    // Gateway's (the gateway responses' fixed origin).
    // (origin, path, token, status, allow-origin, vary)
    let no_route = r#"{"message":"Missing Authentication Token"}"#;
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        u16,
        Option<&'a str>,
        Option<&'a str>,
    );
    let cases: [Case; 8] = [
        (
            web,
            "/awesomeapi",
            Some(bearer),
            200,
            Some(web),
            Some("Origin"),
        ),
        (web, "/awesomeapi", None, 401, Some(web), None),
        (web, "/user", Some(bearer), 403, Some(web), None),
        (web, "/nothing", Some(bearer), 403, Some(web), None),
        // Another origin: the handler allows nothing; API Gateway's own
        // answers carry the template's fixed origin, which is not theirs.
        (
            OTHER_ORIGIN,
            "/awesomeapi",
            Some(bearer),
            200,
            None,
            Some("Origin"),
        ),
        (OTHER_ORIGIN, "/awesomeapi", None, 401, Some(web), None),
        (OTHER_ORIGIN, "/user", Some(bearer), 403, Some(web), None),
        (OTHER_ORIGIN, "/nothing", None, 403, Some(web), None),
    ];
    for (origin, path, token, status, allow_origin, vary) in cases {
        let mut request = http.get(format!("{api}{path}")).header("origin", origin);
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        let seen = send(request).await;
        let case = format!("{origin} {path} token={}", token.is_some());
        assert_eq!(seen.status, status, "{case}: {}", seen.body);
        assert_eq!(
            seen.header("access-control-allow-origin"),
            allow_origin,
            "{case}"
        );
        assert_eq!(seen.header("vary"), vary, "{case}");
        match status {
            401 => assert_eq!(seen.body, r#"{"message":"Unauthorized"}"#, "{case}"),
            403 if path == "/nothing" => assert_eq!(seen.body, no_route, "{case}"),
            403 => assert_eq!(
                seen.body, r#"{"Message":"User is not authorized to access this resource"}"#,
                "{case}"
            ),
            _ => assert!(
                seen.body.contains("Hello From Protected Resource"),
                "{case}"
            ),
        }
    }

    // Over REST's header limit: API Gateway's 413, which a template cannot
    // customize (so no CORS header), and no function is called.
    let seen = send(
        http.get(format!("{api}/awesomeapi"))
            .header("origin", web)
            .header("authorization", bearer)
            .header("x-large", "a".repeat(20 * 1024)),
    )
    .await;
    assert_eq!(
        (seen.status, seen.body.as_str(), seen.cors()),
        (413, r#"{"message":"Request Too Long"}"#, vec![])
    );
}
