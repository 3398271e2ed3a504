//! The web app's host: serves the browser client in `web/` on an origin of
//! its own, `http://localhost:<port>/`, with a `/config.json` made from the
//! running stack, so the page signs in on the local pool and calls the
//! local API exactly as it does a deployed stack's.
//!
//! This is not one of the AWS services the template declares (those are
//! under `cognito/`, `apigateway/` and `lambda/`): deployed, `web/` is put
//! on any static host (S3 with CloudFront, a CDN, `python3 -m http.server`)
//! with the template's `WebAppConfig` output as its `config.json`. So it
//! sits beside the services, named for what it is.
//!
//! Files are served by tower-http's `ServeDir` (content types, `HEAD`,
//! conditional and range requests, `..` refused), read at each request so
//! an edit shows on the next reload. In front of it, only the app's own
//! files: a path is a chain of plain names (letters, digits, `-`, `_`, `.`,
//! none starting with a dot: no hidden files) that resolves inside `web/`
//! (no symlink out of it).
//!
//! Every answer carries the headers docs/deploy.md asks of a static host:
//! the template's `WebAppContentSecurityPolicy` (its `!Sub` text, with the
//! sign-in's and the API's placeholders replaced by the local origins, so
//! the policy is written once), `X-Frame-Options`, `Referrer-Policy`,
//! `X-Content-Type-Options`, and `Cache-Control: no-store`.
//! `Strict-Transport-Security` is left out: the local origin is plain http.
//!
//! local-stack points the template's web-app parameters at this origin
//! ([`template_parameters`]), so the web client's callback and sign-out URLs
//! and the API's allowed origin follow `--web-port`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::middleware::{self, Next};
use axum::routing::get;
use serde::Serialize;
use thiserror::Error;
use tower_http::services::ServeDir;

use crate::http_server::{HttpResponse, response};
use crate::template::app_client::AppClient;
use crate::template::spec::WEB_APP_CSP_OUTPUT;

/// The template parameters that say where the web app lives, with the value
/// each takes for a web app at `origin` (e.g. `http://localhost:8080`):
/// the web client's `CallbackURLs` and `LogoutURLs`, and the API's CORS
/// origin. A deploy sets the same three for its own host (docs/web-app.md).
pub fn template_parameters(origin: &str) -> [(&'static str, String); 3] {
    [
        ("CallbackUrls", format!("{origin}/")),
        ("LogoutUrls", format!("{origin}/")),
        ("WebAppOrigin", origin.to_string()),
    ]
}

/// The origin the web app is served on: `localhost`, not `127.0.0.1`, as
/// the template's default callback URL has it (they are different origins
/// and different cookie hosts to a browser).
pub fn origin(port: u16) -> String {
    format!("http://localhost:{port}")
}

/// The web app's `config.json`: the keys `web/app.js` reads, the same as
/// the template's `WebAppConfig` output gives for a deployed stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebConfig {
    /// The hosted sign-in's base URL (`/oauth2/authorize`, `/oauth2/token`, `/logout`).
    pub domain: String,
    /// The web app client's id.
    pub client_id: String,
    /// Where the hosted sign-in sends the browser back: the client's first callback URL.
    pub redirect_uri: String,
    /// Where sign-out returns: the client's first sign-out URL.
    pub logout_uri: String,
    /// The API stage's base URL, ending in `/`.
    pub api_url: String,
    /// The scopes to ask for: all the client is allowed.
    pub scopes: Vec<String>,
}

impl WebConfig {
    /// The configuration for the template's `client` (with its local id),
    /// signing in at `pool_url` and calling `api_url`; `None` when the
    /// client has no callback or sign-out URL.
    pub fn for_client(client: &AppClient, pool_url: &str, api_url: &str) -> Option<Self> {
        // The first of each, as the template's output selects them.
        Some(Self {
            domain: pool_url.trim_end_matches('/').to_string(),
            client_id: client.client_id.clone(),
            redirect_uri: client.callback_urls.first()?.clone(),
            logout_uri: client.logout_urls.first()?.clone(),
            api_url: api_url.to_string(),
            scopes: client.scopes.clone(),
        })
    }
}

/// Why the template's web-app policy cannot be served locally.
#[derive(Debug, Error)]
pub enum CspError {
    /// A `${…}` other than the sign-in's and the API's.
    #[error(
        "the template's {WEB_APP_CSP_OUTPUT} output: {placeholder} in {source_text:?} has no \
         local value (only ${{UserPoolDomain}} and ${{Api}} sources are known)"
    )]
    Placeholder {
        /// The placeholder, e.g. `${Bucket}`.
        placeholder: String,
        /// The source expression it is in.
        source_text: String,
    },
    /// The policy does not fit in a header.
    #[error("the template's {WEB_APP_CSP_OUTPUT} output is not a valid header value")]
    Header,
}

/// The Content-Security-Policy header for the local web app: the
/// template's `!Sub` `text` with each source naming `${UserPoolDomain}`
/// replaced by the sign-in's origin and each naming `${Api}` by the API's
/// (from `config`; dropped without one). Without the template's output,
/// only `frame-ancestors 'none'`, which a page cannot set for itself.
pub fn content_security_policy(
    text: Option<&str>,
    config: Option<&WebConfig>,
) -> Result<String, CspError> {
    let Some(text) = text else {
        return Ok("frame-ancestors 'none'".to_string());
    };
    let pool = config.map(|c| url_origin(&c.domain));
    let api = config.map(|c| url_origin(&c.api_url));
    let mut directives = Vec::new();
    for directive in text.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let mut words = Vec::new();
        for word in directive.split_whitespace() {
            let local = if word.contains("${UserPoolDomain}") {
                pool
            } else if word.contains("${Api}") {
                api
            } else if let Some(start) = word.find("${") {
                let end = word[start..]
                    .find('}')
                    .map_or(word.len(), |e| start + e + 1);
                return Err(CspError::Placeholder {
                    placeholder: word[start..end].to_string(),
                    source_text: word.to_string(),
                });
            } else {
                Some(word)
            };
            words.extend(local);
        }
        directives.push(words.join(" "));
    }
    Ok(directives.join("; "))
}

/// `scheme://host[:port]` of `url`.
fn url_origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |path| &url[..after_scheme + path])
}

/// The security headers on every answer (docs/deploy.md, "Host the web
/// app"), besides the policy; `no-store` so an edit or a restarted stack's
/// new `config.json` is picked up at once.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
];

/// The web app's files and its configuration, as one HTTP server serves them.
#[derive(Debug, Clone)]
pub struct WebApp {
    dir: PathBuf,
    /// `config.json`'s body, or why there is none.
    config: Result<String, String>,
    /// The Content-Security-Policy header.
    csp: HeaderValue,
}

impl WebApp {
    /// Serves the files in `dir` with `config` as `/config.json` (`None`: the
    /// template has no client the app can sign in with, which `/config.json`
    /// then says), under the template's policy `csp` (the
    /// `WebAppContentSecurityPolicy` output's `!Sub` text, with the local
    /// sign-in and API origins put in).
    pub fn new(
        dir: impl Into<PathBuf>,
        config: Option<&WebConfig>,
        csp: Option<&str>,
    ) -> Result<Self, CspError> {
        let policy = content_security_policy(csp, config)?;
        let csp = HeaderValue::from_str(&policy).map_err(|_| CspError::Header)?;
        let config = config
            .map(|c| serde_json::to_string(c).map_err(|e| e.to_string()))
            .unwrap_or_else(|| {
                Err(
                    "the template has no app client with the code flow, a callback URL \
                     and a sign-out URL"
                        .to_string(),
                )
            });
        Ok(Self {
            dir: dir.into(),
            config,
            csp,
        })
    }

    /// The routes: `/config.json`, and `web/`'s files (`/` is `index.html`).
    pub fn router(self) -> Router {
        let files = ServeDir::new(&self.dir).not_found_service(get(not_found));
        let app = Arc::new(self);
        Router::new()
            .route("/config.json", get(config_json))
            .fallback_service(files)
            .layer(middleware::from_fn_with_state(app.clone(), own_files_only))
            .layer(middleware::from_fn_with_state(app.clone(), with_headers))
            .with_state(app)
    }

    /// True if `path` (a request's, undecoded) names one of the app's
    /// files or folders: plain names, resolving inside the app's folder.
    fn is_own(&self, path: &str) -> bool {
        let relative = path.strip_prefix('/').unwrap_or(path);
        let relative = relative.strip_suffix('/').unwrap_or(relative);
        if relative.is_empty() {
            return true;
        }
        if !relative.split('/').all(is_plain_name) {
            return false;
        }
        // A missing file is ServeDir's 404; an existing one must not be a
        // symlink out of the folder.
        match (
            self.dir.canonicalize(),
            self.dir.join(relative).canonicalize(),
        ) {
            (Ok(root), Ok(file)) => file.starts_with(root),
            (_, Err(_)) => true,
            (Err(_), Ok(_)) => false,
        }
    }
}

/// A name of a file or folder in the app: no separators, no `..`, no hidden
/// files, nothing percent-encoded.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

async fn config_json(State(app): State<Arc<WebApp>>) -> HttpResponse {
    let json = [("content-type", "application/json")];
    match &app.config {
        Ok(body) => response(200, json, body.clone()),
        Err(reason) => response(
            404,
            json,
            serde_json::json!({ "message": reason }).to_string(),
        ),
    }
}

async fn not_found() -> HttpResponse {
    response(
        404,
        [("content-type", "text/plain; charset=utf-8")],
        "Not Found",
    )
}

async fn own_files_only(
    State(app): State<Arc<WebApp>>,
    request: Request,
    next: Next,
) -> HttpResponse {
    if app.is_own(request.uri().path()) {
        next.run(request).await
    } else {
        not_found().await
    }
}

/// Adds the security headers, and UTF-8 to text types (the app's files
/// are UTF-8; ServeDir names the type only).
async fn with_headers(
    State(app): State<Arc<WebApp>>,
    request: Request,
    next: Next,
) -> HttpResponse {
    let mut answer = next.run(request).await;
    let headers = answer.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert("content-security-policy", app.csp.clone());
    let text_without_charset = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("text/") && !v.contains("charset"))
        .map(|v| format!("{v}; charset=utf-8"));
    if let Some(value) = text_without_charset.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(CONTENT_TYPE, value);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::app_client::OAuthFlow;
    use axum::body::Body;
    use axum::http::Request;
    use std::path::Path;
    use tower::ServiceExt;

    fn web_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
    }

    fn config() -> WebConfig {
        WebConfig {
            domain: "http://127.0.0.1:9100".into(),
            client_id: "web-id".into(),
            redirect_uri: "http://localhost:8080/".into(),
            logout_uri: "http://localhost:8080/".into(),
            api_url: "http://127.0.0.1:3000/prod/".into(),
            scopes: vec!["openid".into(), "r/read".into()],
        }
    }

    /// (status, content type, body) of `method path`.
    async fn fetch(app: &WebApp, method: &str, path: &str) -> (u16, String, Vec<u8>) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = app.clone().router().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(headers[name], value, "{method} {path}: {name}");
        }
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .ends_with("frame-ancestors 'none'"),
            "{method} {path}"
        );
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, content_type, body.to_vec())
    }

    #[tokio::test]
    async fn serves_the_apps_files_with_their_types_and_nothing_else() {
        // A scratch copy of web/ with things that must not be served around it.
        let scratch = testkit::temp_dir("web-app-test-").unwrap();
        let root = scratch.path();
        let dir = root.join("web");
        std::fs::create_dir_all(dir.join("img")).unwrap();
        for file in ["index.html", "app.js", "style.css"] {
            std::fs::copy(web_dir().join(file), dir.join(file)).unwrap();
        }
        std::fs::write(dir.join("img/logo.svg"), "<svg/>").unwrap();
        std::fs::write(dir.join(".hidden.txt"), "hidden").unwrap();
        std::fs::write(dir.join("notes.md"), "no such type").unwrap();
        std::fs::write(dir.join("config.json"), "{\"stale\":true}").unwrap();
        std::fs::write(root.join("secret.txt"), "outside").unwrap();
        std::os::unix::fs::symlink(root.join("secret.txt"), dir.join("link.txt")).unwrap();
        let app = WebApp::new(&dir, Some(&config()), None).unwrap();
        let index = std::fs::read(web_dir().join("index.html")).unwrap();

        let html = "text/html; charset=utf-8";
        let cases: [(&str, &str, u16, &str); 21] = [
            ("GET", "/", 200, html),
            ("GET", "/?code=abc&state=xyz", 200, html),
            ("GET", "/index.html", 200, html),
            ("HEAD", "/index.html", 200, html),
            ("GET", "/app.js", 200, "text/javascript; charset=utf-8"),
            ("GET", "/style.css", 200, "text/css; charset=utf-8"),
            ("GET", "/img/logo.svg", 200, "image/svg+xml"),
            ("GET", "/config.json", 200, "application/json"),
            ("GET", "/missing.js", 404, "text/plain; charset=utf-8"),
            ("GET", "/notes.md", 200, "text/markdown; charset=utf-8"),
            ("GET", "/%2ehidden.txt", 404, "text/plain; charset=utf-8"),
            ("GET", "/.hidden.txt", 404, "text/plain; charset=utf-8"),
            ("GET", "/link.txt", 404, "text/plain; charset=utf-8"),
            ("GET", "/../secret.txt", 404, "text/plain; charset=utf-8"),
            (
                "GET",
                "/img/../../secret.txt",
                404,
                "text/plain; charset=utf-8",
            ),
            (
                "GET",
                "/%2e%2e/secret.txt",
                404,
                "text/plain; charset=utf-8",
            ),
            (
                "GET",
                "/img%2f..%2f..%2fsecret.txt",
                404,
                "text/plain; charset=utf-8",
            ),
            ("GET", "//etc/passwd", 404, "text/plain; charset=utf-8"),
            ("GET", "/img/", 404, "text/plain; charset=utf-8"),
            ("POST", "/index.html", 405, ""),
            ("DELETE", "/", 405, ""),
        ];
        for (method, path, status, content_type) in cases {
            let (got_status, got_type, body) = fetch(&app, method, path).await;
            assert_eq!(
                (got_status, got_type.as_str()),
                (status, content_type),
                "{method} {path}"
            );
            if method == "GET" && (path.starts_with("/?") || path == "/") {
                assert_eq!(body, index, "{path} is index.html");
            }
        }
        // /config.json is the stack's, never a file left in the folder.
        let (_, _, body) = fetch(&app, "GET", "/config.json").await;
        let served: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(served, serde_json::to_value(config()).unwrap());
    }

    #[tokio::test]
    async fn without_a_sign_in_client_config_json_says_why() {
        let app = WebApp::new(web_dir(), None, None).unwrap();
        let (status, _, body) = fetch(&app, "GET", "/config.json").await;
        assert_eq!(status, 404);
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("no app client with the code flow"), "{body}");
    }

    #[test]
    fn the_config_is_the_clients_first_urls_and_all_its_scopes() {
        let client = AppClient {
            name: "WebClient".into(),
            client_id: "web-id".into(),
            flows: vec![OAuthFlow::Code],
            scopes: vec!["openid".into(), "r/read".into()],
            callback_urls: vec!["http://localhost:8080/".into(), "https://x.io/".into()],
            logout_urls: vec!["http://localhost:8080/".into()],
            ..AppClient::default()
        };
        let got = WebConfig::for_client(
            &client,
            "http://127.0.0.1:9100/",
            "http://127.0.0.1:3000/prod/",
        );
        assert_eq!(got, Some(config()));
        let no_logout = AppClient {
            logout_urls: vec![],
            ..client
        };
        assert_eq!(WebConfig::for_client(&no_logout, "d", "a"), None);
    }

    /// The template's `WebAppConfig` output (what a deployed app is given) as
    /// `!Sub` text: JSON with `${…}` placeholders inside its strings.
    /// The template's client of the authorization-code flow: the web app's.
    fn sign_in_client(spec: &crate::template::spec::StackSpec) -> &AppClient {
        spec.clients
            .iter()
            .find(|c| c.allows(OAuthFlow::Code))
            .unwrap()
    }

    fn deployed_config() -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let template: yaml_serde::Value =
            yaml_serde::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let value = &template["Outputs"]["WebAppConfig"]["Value"];
        let yaml_serde::Value::Tagged(sub) = value else {
            panic!("WebAppConfig is a !Sub: {value:?}");
        };
        let sub = &sub.value;
        let text = sub[0].as_str().expect("!Sub [text, variables]").to_string();
        serde_json::from_str(&text).expect("WebAppConfig's text is JSON")
    }

    #[test]
    fn the_local_config_has_the_deployed_outputs_keys_and_scopes() {
        use crate::template::sam::Template;
        use crate::template::spec::StackSpec;
        let deployed = deployed_config();
        let local = serde_json::to_value(config()).unwrap();
        let keys =
            |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&local), keys(&deployed));
        // The output asks for the web client's scopes, which is what the
        // local config asks for.
        let template =
            Template::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")).unwrap();
        let spec = StackSpec::from_template(&template).unwrap();
        let web = sign_in_client(&spec);
        let servers = template.resource_server_scopes().unwrap();
        let resolved: Vec<String> = deployed["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                servers
                    .iter()
                    .fold(s.as_str().unwrap().to_string(), |text, server| {
                        text.replace(&format!("${{{}}}", server.logical_id), &server.identifier)
                    })
            })
            .collect();
        assert_eq!(resolved, web.scopes);
    }

    #[test]
    fn the_parameters_point_the_template_at_the_served_origin() {
        use crate::template::sam::Template;
        use crate::template::spec::StackSpec;
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let origin = origin(18_080);
        assert_eq!(origin, "http://localhost:18080");
        let template = Template::load(path)
            .unwrap()
            .with_parameters(template_parameters(&origin))
            .unwrap();
        let spec = StackSpec::from_template(&template).unwrap();
        let web = sign_in_client(&spec);
        assert_eq!(web.callback_urls, ["http://localhost:18080/"]);
        assert_eq!(web.logout_urls, ["http://localhost:18080/"]);
    }

    fn template() -> crate::template::sam::Template {
        crate::template::sam::Template::load(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn the_page_is_served_with_the_templates_policy_for_the_local_origins() {
        let text = template().output_sub_text(WEB_APP_CSP_OUTPUT).unwrap();
        let app = WebApp::new(web_dir(), Some(&config()), text.as_deref()).unwrap();
        let request = Request::get("/").body(Body::empty()).unwrap();
        let response = app.router().oneshot(request).await.unwrap();
        assert_eq!(
            response.headers()["content-security-policy"],
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self' http://127.0.0.1:9100 http://127.0.0.1:3000; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn the_policys_placeholders_become_the_local_origins_or_are_refused() {
        let sign_in = "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com";
        let api = "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}";
        let policy = format!(
            "default-src 'none'; connect-src 'self' {sign_in} {api}; frame-ancestors 'none'"
        );
        /// (template text, config, the policy or a word of the error)
        type Case<'a> = (Option<&'a str>, Option<WebConfig>, Result<&'a str, &'a str>);
        let cases: [Case; 5] = [
            (
                Some(&policy),
                Some(config()),
                Ok(
                    "default-src 'none'; connect-src 'self' http://127.0.0.1:9100 http://127.0.0.1:3000; frame-ancestors 'none'",
                ),
            ),
            (
                Some(&policy),
                None,
                Ok("default-src 'none'; connect-src 'self'; frame-ancestors 'none'"),
            ),
            (None, Some(config()), Ok("frame-ancestors 'none'")),
            (
                Some("img-src 'self' https://${Bucket}.s3.amazonaws.com"),
                Some(config()),
                Err("${Bucket}"),
            ),
            (
                Some("img-src 'self';;  script-src  'self' ;"),
                None,
                Ok("img-src 'self'; script-src 'self'"),
            ),
        ];
        for (text, config, expected) in cases {
            let got = content_security_policy(text, config.as_ref());
            match (got, expected) {
                (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{text:?}"),
                (Err(error), Err(named)) => {
                    assert!(error.to_string().contains(named), "{text:?}: {error}")
                }
                (got, expected) => panic!("{text:?}: {got:?}, expected {expected:?}"),
            }
        }
    }
}
