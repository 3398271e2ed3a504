//! A small HTTP/1.1 server on hyper for the local endpoints: it reads each
//! request whole (bodies are small JSON or forms) and hands it to a
//! service, and it stops gracefully when told to.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// API Gateway's payload limit; larger bodies are refused before parsing.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A response with a fully buffered body.
pub type HttpResponse = Response<Full<Bytes>>;

/// A request read whole.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The client's address.
    pub peer: SocketAddr,
}

impl IncomingRequest {
    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Something that answers requests.
pub trait Service: Send + Sync + 'static {
    /// Answers one request.
    fn call(&self, request: IncomingRequest) -> impl Future<Output = HttpResponse> + Send;
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

/// A response with `status`, `headers` (invalid ones are skipped) and `body`.
pub fn response<'a>(
    status: u16,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: impl Into<Bytes>,
) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
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

/// Serves connections from `listener` until `shutdown` turns true, then
/// lets open requests finish.
pub async fn serve<S: Service>(
    listener: TcpListener,
    service: Arc<S>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Accept errors (e.g. too many open files) are transient.
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let service = Arc::clone(&service);
        let handler = service_fn(move |request: Request<Incoming>| {
            let service = Arc::clone(&service);
            async move {
                Ok::<_, std::convert::Infallible>(read_and_call(&*service, request, peer).await)
            }
        });
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), handler);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
}

async fn read_and_call<S: Service>(
    service: &S,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> HttpResponse {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return json_response(413, r#"{"message":"Request Too Long"}"#, &[]),
    };
    let request = IncomingRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        peer,
    };
    service.call(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Service for Echo {
        async fn call(&self, request: IncomingRequest) -> HttpResponse {
            let body = format!(
                "{} {} {:?} {}",
                request.method,
                request.path,
                request.query,
                request.body.len()
            );
            json_response(200, body, &[("x-test", "1"), ("bad header", "skipped")])
        }
    }

    #[tokio::test]
    async fn requests_are_read_whole_and_shutdown_stops_the_server() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(serve(listener, Arc::new(Echo), stopped));
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let response = client
            .post(format!("http://127.0.0.1:{port}/a/b?x=1"))
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-test"], "1");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.text().await.unwrap(), r#"POST /a/b Some("x=1") 5"#);
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
}
