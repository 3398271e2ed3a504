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
//! Only the app's own files are served: a path is a chain of plain names
//! (letters, digits, `-`, `_`, `.`, none starting with a dot, so neither
//! `..` nor hidden files), the file must resolve to inside `web/` (no
//! symlink out of it) and have one of the app's file types. That is a few
//! lines, so no static-file crate is pulled in for three files. Files are
//! read at each request, so an edit shows on the next reload.
//!
//! local-stack points the template's web-app parameters at this origin
//! ([`template_parameters`]), so the web client's callback and sign-out URLs
//! and the API's allowed origin follow `--web-port`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, Uri};
use serde::Serialize;

use crate::http_server::{HttpResponse, response};
use crate::template::spec::ClientSpec;

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
    /// The configuration for the template's `client`, with its local
    /// `client_id`, signing in at `pool_url` and calling `api_url`; `None`
    /// when the client has no callback or sign-out URL.
    pub fn for_client(
        client: &ClientSpec,
        client_id: &str,
        pool_url: &str,
        api_url: &str,
    ) -> Option<Self> {
        // The first of each, as the template's output selects them.
        Some(Self {
            domain: pool_url.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            redirect_uri: client.callback_urls.first()?.clone(),
            logout_uri: client.logout_urls.first()?.clone(),
            api_url: api_url.to_string(),
            scopes: client.scopes.clone(),
        })
    }
}

/// The app's file types, by extension, with the `Content-Type` each is served with.
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("json", "application/json"),
    ("png", "image/png"),
    ("svg", "image/svg+xml"),
    ("ico", "image/x-icon"),
    ("txt", "text/plain; charset=utf-8"),
];

/// Headers on every answer: no caching, so an edit or a restarted stack's
/// new `config.json` is picked up at once, and no content sniffing.
const COMMON_HEADERS: [(&str, &str); 2] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
];

/// The web app's files and its configuration, as one HTTP server serves them.
#[derive(Debug, Clone)]
pub struct WebApp {
    dir: PathBuf,
    /// `config.json`'s body, or why there is none.
    config: Result<String, String>,
}

impl WebApp {
    /// Serves the files in `dir` with `config` as `/config.json` (`None`: the
    /// template has no client the app can sign in with, which `/config.json`
    /// then says).
    pub fn new(dir: impl Into<PathBuf>, config: Option<&WebConfig>) -> Self {
        let config = config
            .map(|c| serde_json::to_string(c).map_err(|e| e.to_string()))
            .unwrap_or_else(|| {
                Err(
                    "the template has no app client with the code flow, a callback URL \
                     and a sign-out URL"
                        .to_string(),
                )
            });
        Self {
            dir: dir.into(),
            config,
        }
    }

    /// The routes: `/` (`index.html`), `/config.json`, and `web/`'s files.
    pub fn router(self) -> Router {
        Router::new().fallback(answer).with_state(Arc::new(self))
    }

    /// The answer to `GET path`.
    fn get(&self, path: &str) -> HttpResponse {
        if path == "/config.json" {
            return match &self.config {
                Ok(body) => with_common(200, "application/json", body.clone()),
                Err(reason) => with_common(
                    404,
                    "application/json",
                    serde_json::json!({ "message": reason }).to_string(),
                ),
            };
        }
        let relative = match path {
            "/" => "index.html",
            other => other.strip_prefix('/').unwrap_or(other),
        };
        match self.file(relative) {
            Some((content_type, bytes)) => with_common(200, content_type, bytes),
            None => with_common(404, "text/plain; charset=utf-8", "Not Found"),
        }
    }

    /// The file at `relative` under the app's folder with its content type,
    /// if it is one of the app's files.
    fn file(&self, relative: &str) -> Option<(&'static str, Vec<u8>)> {
        if !relative.split('/').all(is_plain_name) {
            return None;
        }
        let (_, extension) = relative.rsplit_once('.')?;
        let content_type = CONTENT_TYPES
            .iter()
            .find(|(ext, _)| *ext == extension)
            .map(|(_, content_type)| *content_type)?;
        let root = self.dir.canonicalize().ok()?;
        let path = root.join(relative).canonicalize().ok()?;
        if !path.starts_with(&root) || !path.is_file() {
            return None;
        }
        // A few kilobytes from a local disk: a blocking read is shorter
        // than handing it to another thread.
        std::fs::read(&path).ok().map(|bytes| (content_type, bytes))
    }
}

/// A name of a file or folder in the app: no separators, no `..`, no hidden files.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn with_common(status: u16, content_type: &str, body: impl Into<bytes::Bytes>) -> HttpResponse {
    let headers = [("content-type", content_type)];
    response(status, headers.into_iter().chain(COMMON_HEADERS), body)
}

async fn answer(State(app): State<Arc<WebApp>>, method: Method, uri: Uri) -> HttpResponse {
    // The query is the hosted sign-in's answer (`?code=…&state=…`), for the page's script.
    match method {
        Method::GET | Method::HEAD => app.get(uri.path()),
        _ => response(
            405,
            [("allow", "GET, HEAD")].into_iter().chain(COMMON_HEADERS),
            "",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
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
        let app = WebApp::new(&dir, Some(&config()));
        let index = std::fs::read(web_dir().join("index.html")).unwrap();

        let html = "text/html; charset=utf-8";
        let cases: [(&str, &str, u16, &str); 20] = [
            ("GET", "/", 200, html),
            ("GET", "/?code=abc&state=xyz", 200, html),
            ("GET", "/index.html", 200, html),
            ("HEAD", "/index.html", 200, html),
            ("GET", "/app.js", 200, "text/javascript; charset=utf-8"),
            ("GET", "/style.css", 200, "text/css; charset=utf-8"),
            ("GET", "/img/logo.svg", 200, "image/svg+xml"),
            ("GET", "/config.json", 200, "application/json"),
            ("GET", "/missing.js", 404, "text/plain; charset=utf-8"),
            ("GET", "/notes.md", 404, "text/plain; charset=utf-8"),
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
        let app = WebApp::new(web_dir(), None);
        let (status, _, body) = fetch(&app, "GET", "/config.json").await;
        assert_eq!(status, 404);
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("no app client with the code flow"), "{body}");
    }

    #[test]
    fn the_config_is_the_clients_first_urls_and_all_its_scopes() {
        let client = ClientSpec {
            name: "WebClient".into(),
            flows: vec!["code".into()],
            scopes: vec!["openid".into(), "r/read".into()],
            callback_urls: vec!["http://localhost:8080/".into(), "https://x.io/".into()],
            logout_urls: vec!["http://localhost:8080/".into()],
            ..ClientSpec::default()
        };
        let got = WebConfig::for_client(
            &client,
            "web-id",
            "http://127.0.0.1:9100/",
            "http://127.0.0.1:3000/prod/",
        );
        assert_eq!(got, Some(config()));
        let no_logout = ClientSpec {
            logout_urls: vec![],
            ..client
        };
        assert_eq!(WebConfig::for_client(&no_logout, "web-id", "d", "a"), None);
    }

    /// The template's `WebAppConfig` output (what a deployed app is given) as
    /// `!Sub` text: JSON with `${…}` placeholders inside its strings.
    /// The template's client of the authorization-code flow: the web app's.
    fn sign_in_client(
        spec: &crate::template::spec::StackSpec,
    ) -> &crate::template::spec::ClientSpec {
        spec.clients
            .iter()
            .find(|c| c.flows.iter().any(|f| f == "code"))
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
}
