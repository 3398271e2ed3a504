//! The local user pool's HTTP face: the token endpoint and the two
//! well-known documents a verifier fetches (JWKS and OpenID configuration).

use std::time::{SystemTime, UNIX_EPOCH};

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method};
use axum::routing::{any, post};
use serde_json::{Value, json};

use crate::cognito::token_endpoint::{TokenEndpoint, TokenRequest};
use crate::http_server::{HttpResponse, WholeBody, json_response};

/// Serves `/oauth2/token` and `/<pool>/.well-known/{jwks.json,openid-configuration}`.
pub struct PoolServer {
    endpoint: TokenEndpoint,
    pool_id: String,
    base_url: String,
}

impl PoolServer {
    /// A server for `pool_id` reachable at `base_url` (e.g. `http://127.0.0.1:9100`).
    pub fn new(endpoint: TokenEndpoint, pool_id: String, base_url: String) -> Self {
        Self {
            endpoint,
            pool_id,
            base_url,
        }
    }

    /// The OpenID discovery document, limited to what is served locally.
    pub fn openid_configuration(&self) -> Value {
        let issuer = self.endpoint.issuer_url();
        let mut scopes: Vec<&str> = Vec::new();
        for client in self.endpoint.clients().all() {
            for scope in client.custom_scopes() {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
        }
        json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "token_endpoint": format!("{}/oauth2/token", self.base_url),
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": ["token"],
            "scopes_supported": scopes,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })
    }

    /// The routes, as the user pool answers them: only `POST` on the token
    /// endpoint (405 otherwise), only `GET` on the documents, 404 elsewhere.
    pub fn router(self) -> Router {
        let well_known = format!("/{}/.well-known", self.pool_id);
        Router::new()
            .route(
                "/oauth2/token",
                post(token).fallback(token_method_not_allowed),
            )
            // `any`, not `get`: axum's `get` also answers HEAD, and its
            // method fallback adds an `Allow` header; the pool's 404 has none.
            .route(&format!("{well_known}/jwks.json"), any(jwks))
            .route(
                &format!("{well_known}/openid-configuration"),
                any(openid_configuration),
            )
            .fallback(not_found)
            .with_state(Arc::new(self))
    }

    fn token(&self, headers: &HeaderMap, body: &[u8]) -> HttpResponse {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let token_request = TokenRequest {
            content_type: header(CONTENT_TYPE),
            authorization: header(AUTHORIZATION),
            body,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        // Token answers must never be cached (RFC 6749 §5.1).
        let no_store = [("cache-control", "no-store"), ("pragma", "no-cache")];
        match self.endpoint.answer(&token_request, now) {
            Ok(answer) => {
                tracing::info!("token issued");
                json_response(200, json!(answer).to_string(), &no_store)
            }
            Err(error) => {
                tracing::info!(error = %error, "token refused");
                json_response(error.status(), error.body(), &no_store)
            }
        }
    }
}

async fn token(
    State(pool): State<Arc<PoolServer>>,
    headers: HeaderMap,
    WholeBody(body): WholeBody,
) -> HttpResponse {
    pool.token(&headers, &body)
}

async fn token_method_not_allowed() -> HttpResponse {
    json_response(405, r#"{"error":"invalid_request"}"#, &[("allow", "POST")])
}

async fn jwks(State(pool): State<Arc<PoolServer>>, method: Method) -> HttpResponse {
    if method != Method::GET {
        return not_found().await;
    }
    json_response(200, pool.endpoint.issuer().jwks().to_string(), &[])
}

async fn openid_configuration(State(pool): State<Arc<PoolServer>>, method: Method) -> HttpResponse {
    if method != Method::GET {
        return not_found().await;
    }
    json_response(200, pool.openid_configuration().to_string(), &[])
}

async fn not_found() -> HttpResponse {
    json_response(404, r#"{"message":"Not Found"}"#, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::clients::{AppClient, Clients};
    use crate::cognito::issuer::Issuer;
    use axum::body::Body;
    use axum::http::Request;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use tower::ServiceExt;

    fn server() -> PoolServer {
        let clients = Clients::new(vec![AppClient {
            name: "M2M".into(),
            client_id: "m2m".into(),
            client_secret: Some("secret".into()),
            flows: vec!["client_credentials".into()],
            scopes: vec!["API/book.get".into()],
        }]);
        let issuer = Issuer::generate("kid-1").unwrap();
        let endpoint = TokenEndpoint::new(
            issuer,
            "http://127.0.0.1:9100/us-east-1_pool".into(),
            clients,
        );
        PoolServer::new(
            endpoint,
            "us-east-1_pool".into(),
            "http://127.0.0.1:9100".into(),
        )
    }

    fn request(
        method: Method,
        path: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Request<Body> {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.body(Body::from(body.to_string())).unwrap()
    }

    #[tokio::test]
    async fn routes_answer_as_the_user_pool_does() {
        let router = server().router();
        let form = (
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        );
        let basic = (
            "authorization",
            format!("Basic {}", STANDARD.encode("m2m:secret")),
        );
        let cases = [
            (
                request(
                    Method::POST,
                    "/oauth2/token",
                    &[form.clone(), basic],
                    "grant_type=client_credentials",
                ),
                200,
                "access_token",
            ),
            (
                request(
                    Method::POST,
                    "/oauth2/token",
                    &[form],
                    "grant_type=client_credentials",
                ),
                400,
                r#"{"error":"invalid_client"}"#,
            ),
            (
                request(Method::GET, "/oauth2/token", &[], ""),
                405,
                "invalid_request",
            ),
            (
                request(
                    Method::POST,
                    "/us-east-1_pool/.well-known/jwks.json",
                    &[],
                    "",
                ),
                404,
                "Not Found",
            ),
            (
                request(
                    Method::HEAD,
                    "/us-east-1_pool/.well-known/jwks.json",
                    &[],
                    "",
                ),
                404,
                "",
            ),
            (
                request(
                    Method::GET,
                    "/us-east-1_pool/.well-known/jwks.json",
                    &[],
                    "",
                ),
                200,
                r#""kid":"kid-1""#,
            ),
            (
                request(
                    Method::GET,
                    "/us-east-1_pool/.well-known/openid-configuration",
                    &[],
                    "",
                ),
                200,
                r#""token_endpoint":"http://127.0.0.1:9100/oauth2/token""#,
            ),
            (
                request(Method::GET, "/other_pool/.well-known/jwks.json", &[], ""),
                404,
                "Not Found",
            ),
        ];
        for (request, status, needle) in cases {
            let path = format!("{} {}", request.method(), request.uri());
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{path}");
            assert_eq!(
                response.headers()["content-type"],
                "application/json",
                "{path}"
            );
            let allow = response.headers().get_all("allow").iter().count();
            assert_eq!(allow, usize::from(status == 405), "{path}");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let body = String::from_utf8_lossy(&body);
            assert!(body.contains(needle), "{path}: {body}");
        }
    }

    #[test]
    fn discovery_names_the_issuer_and_its_keys() {
        let doc = server().openid_configuration();
        assert_eq!(doc["issuer"], "http://127.0.0.1:9100/us-east-1_pool");
        assert_eq!(
            doc["jwks_uri"],
            "http://127.0.0.1:9100/us-east-1_pool/.well-known/jwks.json"
        );
        assert_eq!(doc["scopes_supported"], json!(["API/book.get"]));
    }
}
