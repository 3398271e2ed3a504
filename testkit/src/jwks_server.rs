//! The one JWKS test server: a loopback HTTP or HTTPS server answering
//! `GET /<pool>/.well-known/jwks.json` as a test tells it to (serve keys,
//! answer an error status or garbage, hang, redirect), counting the fetches and the refused TLS
//! handshakes. It stops when dropped.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::tls::TestCa;

/// What the server answers at its JWKS path.
#[derive(Debug, Clone)]
pub enum JwksAnswer {
    /// 200 with this document.
    Jwks(Value),
    /// This status with an empty body (403, 500, 503: a JWKS that is down).
    Status(u16),
    /// 200 with this body, which need not be a JWKS (garbage).
    Body(String),
    /// Read the request and never answer.
    Hang,
    /// 302 to this URL.
    RedirectTo(String),
}

/// A running JWKS server.
pub struct JwksServer {
    addr: SocketAddr,
    issuer_url: String,
    shared: Arc<State>,
    task: JoinHandle<()>,
}

struct State {
    path: String,
    answer: Mutex<JwksAnswer>,
    fetches: AtomicUsize,
    failed_handshakes: AtomicUsize,
}

impl State {
    fn answer(&self) -> MutexGuard<'_, JwksAnswer> {
        // A panic elsewhere cannot leave an enum half-written.
        self.answer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl JwksServer {
    /// Serves `answer` for user pool `pool` over plain HTTP on a free
    /// loopback port.
    pub async fn http(pool: &str, answer: JwksAnswer) -> std::io::Result<Self> {
        Self::serve(pool, answer, None, "127.0.0.1").await
    }

    /// Serves `answer` for `pool` over HTTPS with `ca`'s server certificate,
    /// on a free loopback port; URLs name the server by `host` (one of
    /// [`crate::tls::SERVER_NAMES`]).
    pub async fn https(
        pool: &str,
        answer: JwksAnswer,
        ca: &TestCa,
        host: &str,
    ) -> std::io::Result<Self> {
        Self::serve(pool, answer, Some(ca.acceptor()), host).await
    }

    async fn serve(
        pool: &str,
        answer: JwksAnswer,
        tls: Option<TlsAcceptor>,
        host: &str,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let issuer_url = format!("{scheme}://{host}:{}/{pool}", addr.port());
        let shared = Arc::new(State {
            path: format!("/{pool}/.well-known/jwks.json"),
            answer: Mutex::new(answer),
            fetches: AtomicUsize::new(0),
            failed_handshakes: AtomicUsize::new(0),
        });
        let task = tokio::spawn(accept(listener, tls, Arc::clone(&shared)));
        Ok(Self {
            addr,
            issuer_url,
            shared,
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer URL tokens carry: `<scheme>://<host>:<port>/<pool>`.
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// `<issuer URL>/.well-known/jwks.json`.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer_url)
    }

    /// How many requests for the JWKS path arrived (hanging ones included).
    pub fn fetches(&self) -> usize {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// How many TLS handshakes failed (e.g. the client did not trust the certificate).
    pub fn failed_handshakes(&self) -> usize {
        self.shared.failed_handshakes.load(Ordering::SeqCst)
    }

    /// Changes how later requests are answered.
    pub fn set_answer(&self, answer: JwksAnswer) {
        *self.shared.answer() = answer;
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, tls: Option<TlsAcceptor>, shared: Arc<State>) {
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        // The TLS handshake and the answer are several small writes: with
        // Nagle's algorithm one of them can wait for the client's delayed
        // ACK (40 ms), which no real server does.
        let _ = stream.set_nodelay(true);
        let (shared, tls) = (Arc::clone(&shared), tls.clone());
        connections.spawn(async move {
            match tls {
                None => serve_http(stream, shared).await,
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => serve_http(stream, shared).await,
                    Err(_) => {
                        shared.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                    }
                },
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn serve_http<Io>(io: Io, shared: Arc<State>)
where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let shared = Arc::clone(&shared);
        async move {
            let mut response = Response::new(Full::new(Bytes::new()));
            if request.uri().path() != shared.path {
                *response.status_mut() = StatusCode::NOT_FOUND;
                return Ok::<_, Infallible>(response);
            }
            shared.fetches.fetch_add(1, Ordering::SeqCst);
            let answer = shared.answer().clone();
            match answer {
                JwksAnswer::Jwks(jwks) => {
                    *response.body_mut() = Full::new(Bytes::from(jwks.to_string()));
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                }
                JwksAnswer::Status(code) => {
                    *response.status_mut() =
                        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                }
                JwksAnswer::Body(body) => *response.body_mut() = Full::new(Bytes::from(body)),
                JwksAnswer::Hang => std::future::pending::<()>().await,
                JwksAnswer::RedirectTo(url) => {
                    *response.status_mut() = StatusCode::FOUND;
                    if let Ok(location) = url.parse() {
                        response
                            .headers_mut()
                            .insert(hyper::header::LOCATION, location);
                    }
                }
            }
            Ok(response)
        }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use serde_json::json;

    const POOL: &str = "us-east-1_Kit";

    async fn get(url: &str) -> Result<reqwest::Response, reqwest::Error> {
        get_trusting(url, None).await
    }

    async fn get_trusting(
        url: &str,
        ca: Option<&TestCa>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut client = reqwest::Client::builder();
        if let Some(ca) = ca {
            let root = reqwest::Certificate::from_pem(ca.root_pem().as_bytes())?;
            client = client.tls_certs_only([root]);
        }
        client
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(500))
            .build()?
            .get(url)
            .send()
            .await
    }

    #[tokio::test]
    async fn serves_the_pool_path_only_and_counts_fetches() {
        let keys = json!({"keys": []});
        let server = JwksServer::http(POOL, JwksAnswer::Jwks(keys.clone()))
            .await
            .unwrap();
        assert!(server.jwks_url().starts_with("http://127.0.0.1:"));
        assert!(server.issuer_url().ends_with(&format!("/{POOL}")));
        let answer = get(&server.jwks_url()).await.unwrap();
        assert_eq!(answer.status(), 200);
        let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
        assert_eq!(body, keys);
        let other = format!("{}/other", server.issuer_url());
        assert_eq!(get(&other).await.unwrap().status(), 404);
        assert_eq!(server.fetches(), 1);
    }

    #[tokio::test]
    async fn answers_change_between_status_garbage_redirect_and_hang() {
        let server = JwksServer::http(POOL, JwksAnswer::Status(503))
            .await
            .unwrap();
        assert_eq!(get(&server.jwks_url()).await.unwrap().status(), 503);
        server.set_answer(JwksAnswer::Body("<html>".into()));
        let garbage = get(&server.jwks_url()).await.unwrap();
        assert_eq!(garbage.status(), 200);
        assert_eq!(garbage.text().await.unwrap(), "<html>");
        server.set_answer(JwksAnswer::RedirectTo("http://localhost:9/x".into()));
        let redirect = get(&server.jwks_url()).await.unwrap();
        assert_eq!(redirect.status(), 302);
        assert_eq!(redirect.headers()["location"], "http://localhost:9/x");
        server.set_answer(JwksAnswer::Hang);
        assert!(get(&server.jwks_url()).await.unwrap_err().is_timeout());
        assert_eq!(server.fetches(), 4);
    }

    #[tokio::test]
    async fn https_is_trusted_through_the_test_ca_only() {
        let ca = TestCa::generate("kit").unwrap();
        let server = JwksServer::https(POOL, JwksAnswer::Jwks(json!({})), &ca, "localhost")
            .await
            .unwrap();
        assert!(server.jwks_url().starts_with("https://localhost:"));
        // The system's roots do not hold the test CA.
        assert!(get(&server.jwks_url()).await.is_err());
        for _ in 0..100 {
            if server.failed_handshakes() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(server.failed_handshakes(), 1);
        assert_eq!(server.fetches(), 0);
        let trusted = get_trusting(&server.jwks_url(), Some(&ca)).await.unwrap();
        assert_eq!(trusted.status(), 200);
        assert_eq!(server.fetches(), 1);
    }
}
