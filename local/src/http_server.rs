//! What the local HTTP servers share, on axum: serving a router until told
//! to stop (open requests finish), the body limit, and answers built from
//! exact status, headers and body, as the emulated services send them.

use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{Response, StatusCode};
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

/// `router` with the body limit every local server applies.
fn limited(router: Router) -> Router {
    router.layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Serves `router` on `listener` until `shutdown` turns true, then lets
/// open requests finish. Handlers can take the client's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    let app = limited(router).into_make_service_with_connect_info::<SocketAddr>();
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

    #[tokio::test]
    async fn bodies_over_the_limit_get_api_gateways_413() {
        use tower::ServiceExt;
        let router = limited(
            Router::new().fallback(|WholeBody(body): WholeBody| async move {
                json_response(200, body.len().to_string(), &[])
            }),
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
}
