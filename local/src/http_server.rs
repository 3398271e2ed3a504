//! What the local HTTP servers share, on axum: serving a router until told
//! to stop (open requests finish), the body limit, the refusal of DNS
//! rebinding, and answers built from exact status, headers and body, as the
//! emulated services send them.
//!
//! DNS rebinding: a page on another site can point its own host name at
//! 127.0.0.1 and then read our answers as same-origin. Its requests still
//! carry its host name in `Host`, so every server answers only a `Host` of
//! its own loopback name and port (`127.0.0.1:<port>` or `localhost:<port>`).

use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::header::{HOST, HeaderName, HeaderValue};
use axum::http::{HeaderMap, Response, StatusCode};
use axum::middleware::{self, Next};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// API Gateway's payload limit; larger bodies are refused before parsing.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A response with a fully buffered body.
pub type HttpResponse = Response<Body>;

/// A request body read whole, up to [`MAX_BODY_BYTES`]; anything else is
/// refused with API Gateway's 413 answer.
#[derive(Debug, Clone, Default)]
pub struct WholeBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for WholeBody {
    type Rejection = HttpResponse;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(request, state)
            .await
            .map(WholeBody)
            .map_err(|_| json_response(413, r#"{"message":"Request Too Long"}"#, &[]))
    }
}

/// A response with `status`, a JSON `body` and extra headers.
pub fn json_response(
    status: u16,
    body: impl Into<Bytes>,
    headers: &[(&str, &str)],
) -> HttpResponse {
    let content_type = [("content-type", "application/json")];
    response(status, content_type.iter().chain(headers).copied(), body)
}

/// A response with `status`, `headers` (invalid ones are skipped) and `body`,
/// and no header axum would add for the body's type.
pub fn response<'a>(
    status: u16,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: impl Into<Bytes>,
) -> HttpResponse {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    response
}

/// The loopback names a local server answers to.
const LOOPBACK_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// Whether `host` (a `Host` header's value) names this machine's loopback
/// interface on `port`, case-insensitively. Without a port it means 80, as
/// clients leave out http's default port.
pub fn is_own_host(host: &str, port: u16) -> bool {
    let (name, given_port) = match host.rsplit_once(':') {
        Some((name, given_port)) if given_port.bytes().all(|b| b.is_ascii_digit()) => {
            (name, given_port.parse::<u16>().ok())
        }
        Some(_) => return false,
        None => (host, Some(80)),
    };
    given_port == Some(port) && LOOPBACK_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Whether `origin` (an `Origin` header's value) is a local server's own
/// origin on `port`: `http://` and either loopback name with the port.
pub fn is_own_origin(origin: &str, port: u16) -> bool {
    origin
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .and_then(|_| origin.get(7..))
        .is_some_and(|host| is_own_host(host, port))
}

/// The answer to a request whose `Host` is not the server's own (421) or is
/// missing (400); `None` lets it through.
fn host_refusal(headers: &HeaderMap, port: u16) -> Option<HttpResponse> {
    let plain = [("content-type", "text/plain; charset=utf-8")];
    let hosts: Vec<_> = headers.get_all(HOST).iter().collect();
    match hosts.as_slice() {
        [] => Some(response(400, plain, "Missing Host header\n")),
        [host] if host.to_str().is_ok_and(|h| is_own_host(h, port)) => None,
        _ => {
            tracing::info!("request refused: Host is not this server's own");
            Some(response(421, plain, "Misdirected Request: unknown Host\n"))
        }
    }
}

async fn own_host_only(State(port): State<u16>, request: Request, next: Next) -> HttpResponse {
    match host_refusal(request.headers(), port) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    }
}

/// `router` with what every local server applies: the body limit, and only
/// requests whose `Host` is its own loopback name and `port`.
fn guarded(router: Router, port: u16) -> Router {
    router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(port, own_host_only))
}

/// Serves `router` on `listener` until `shutdown` turns true, then lets
/// open requests finish. Only requests with the listener's own loopback
/// `Host` reach `router` (see the module's comment). Handlers can take the
/// client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    let port = match listener.local_addr() {
        Ok(address) => address.port(),
        Err(error) => {
            tracing::warn!(%error, "server not started: its address is unknown");
            return;
        }
    };
    let app = guarded(router, port).into_make_service_with_connect_info::<SocketAddr>();
    let stopped = async move {
        // A dropped sender means nobody can stop us any more: stop too.
        let _ = shutdown.wait_for(|stop| *stop).await;
    };
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await
    {
        tracing::warn!(%error, "server stopped with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use axum::http::{Method, Uri};

    async fn echo(
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        method: Method,
        uri: Uri,
        WholeBody(body): WholeBody,
    ) -> HttpResponse {
        let body = format!(
            "{} {} {:?} {} {}",
            method,
            uri.path(),
            uri.query(),
            body.len(),
            peer.ip()
        );
        json_response(200, body, &[("x-test", "1"), ("bad header", "skipped")])
    }

    #[tokio::test]
    async fn requests_are_read_whole_and_shutdown_stops_the_server() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = watch::channel(false);
        let router = Router::new().fallback(echo);
        let server = tokio::spawn(serve(listener, router, stopped));
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let response = client
            .post(format!("http://127.0.0.1:{port}/a/b?x=1"))
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-test"], "1");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            response.text().await.unwrap(),
            r#"POST /a/b Some("x=1") 5 127.0.0.1"#
        );
        stop.send(true).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap();
        assert!(
            client
                .get(format!("http://127.0.0.1:{port}/"))
                .send()
                .await
                .is_err()
        );
    }

    /// What a client connecting to a served router on 127.0.0.1 sends as
    /// `Host` (reqwest writes the URL's, as curl and browsers do, unless
    /// told otherwise) and what it gets.
    #[tokio::test]
    async fn served_routers_answer_their_loopback_urls_and_refuse_other_hosts() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = watch::channel(false);
        let router = Router::new().fallback(|| async { json_response(200, "ok", &[]) });
        let server = tokio::spawn(serve(listener, router, stopped));
        // Always connect to 127.0.0.1, whatever the URL's host name.
        let client = reqwest::Client::builder()
            .no_proxy()
            .resolve("rebound.example", ([127, 0, 0, 1], port).into())
            .resolve("localhost", ([127, 0, 0, 1], port).into())
            .build()
            .unwrap();
        for (url, host, status) in [
            (format!("http://127.0.0.1:{port}/config.json"), None, 200),
            (format!("http://localhost:{port}/config.json"), None, 200),
            (format!("http://LOCALHOST:{port}/"), None, 200),
            (
                format!("http://rebound.example:{port}/config.json"),
                None,
                421,
            ),
            (
                format!("http://127.0.0.1:{port}/"),
                Some("attacker.example".to_string()),
                421,
            ),
            (
                format!("http://127.0.0.1:{port}/"),
                Some(format!("localhost:{}", port.wrapping_add(1))),
                421,
            ),
        ] {
            let mut request = client.get(&url);
            if let Some(host) = &host {
                request = request.header("host", host);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status().as_u16(), status, "{url} {host:?}");
        }
        stop.send(true).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn bodies_over_the_limit_get_api_gateways_413() {
        use tower::ServiceExt;
        let router = guarded(
            Router::new().fallback(|WholeBody(body): WholeBody| async move {
                json_response(200, body.len().to_string(), &[])
            }),
            80,
        );
        for (size, status, body) in [
            (MAX_BODY_BYTES, 200, MAX_BODY_BYTES.to_string()),
            (
                MAX_BODY_BYTES + 1,
                413,
                r#"{"message":"Request Too Long"}"#.to_string(),
            ),
        ] {
            let request = Request::post("/")
                .header("host", "localhost:80")
                .body(Body::from(vec![b'x'; size]))
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{size}");
            let got = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&got), body, "{size}");
        }
    }

    #[test]
    fn only_the_loopback_names_with_the_servers_port_are_its_own_host() {
        for (host, own) in [
            ("127.0.0.1:9100", true),
            ("localhost:9100", true),
            ("LocalHost:9100", true),
            ("LOCALHOST:9100", true),
            ("127.0.0.1:9101", false),
            ("127.0.0.1", false),
            ("localhost", false),
            ("localhost:", false),
            ("localhost:+9100", false),
            ("localhost:09100", true),
            ("evil.example:9100", false),
            ("localhost.evil.example:9100", false),
            ("127.0.0.2:9100", false),
            ("[::1]:9100", false),
            ("localhost.:9100", false),
            ("127.0.0.1:9100:9100", false),
            ("", false),
        ] {
            assert_eq!(is_own_host(host, 9100), own, "{host}");
        }
        // Clients leave out http's default port.
        for (host, own) in [
            ("localhost", true),
            ("127.0.0.1", true),
            ("localhost:80", true),
            ("evil.example", false),
        ] {
            assert_eq!(is_own_host(host, 80), own, "{host} on port 80");
        }
    }

    #[test]
    fn an_own_origin_is_http_on_a_loopback_name_with_the_port() {
        for (origin, own) in [
            ("http://127.0.0.1:9100", true),
            ("http://localhost:9100", true),
            ("HTTP://LOCALHOST:9100", true),
            ("https://localhost:9100", false),
            ("http://localhost:9100/", false),
            ("http://localhost:8080", false),
            ("http://evil.example:9100", false),
            ("null", false),
            ("", false),
        ] {
            assert_eq!(is_own_origin(origin, 9100), own, "{origin}");
        }
    }

    #[tokio::test]
    async fn requests_with_another_or_no_host_are_refused() {
        use tower::ServiceExt;
        let router = guarded(
            Router::new().fallback(|| async { json_response(200, "ok", &[]) }),
            9100,
        );
        for (hosts, status, body) in [
            (&["127.0.0.1:9100"][..], 200, "ok"),
            (&["localhost:9100"], 200, "ok"),
            (&["LOCALHOST:9100"], 200, "ok"),
            (
                &["attacker.example:9100"],
                421,
                "Misdirected Request: unknown Host\n",
            ),
            (
                &["127.0.0.1:9101"],
                421,
                "Misdirected Request: unknown Host\n",
            ),
            (
                &["localhost:9100", "evil.example:9100"],
                421,
                "Misdirected Request: unknown Host\n",
            ),
            (&[], 400, "Missing Host header\n"),
        ] {
            let mut request = Request::get("/config.json");
            for host in hosts {
                request = request.header("host", *host);
            }
            let response = router
                .clone()
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), status, "{hosts:?}");
            let got = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&got), body, "{hosts:?}");
        }
    }
}
