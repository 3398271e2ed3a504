//! The local user pool's HTTP face: the token endpoint and the two
//! well-known documents a verifier fetches (JWKS and OpenID configuration).

use std::time::{SystemTime, UNIX_EPOCH};

use hyper::Method;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::cognito::token_endpoint::{TokenEndpoint, TokenRequest};
use crate::http_server::{HttpResponse, IncomingRequest, Service, json_response};

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

    fn token(&self, request: &IncomingRequest) -> HttpResponse {
        let token_request = TokenRequest {
            content_type: request.header(CONTENT_TYPE.as_str()),
            authorization: request.header(AUTHORIZATION.as_str()),
            body: &request.body,
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

impl Service for PoolServer {
    async fn call(&self, request: IncomingRequest) -> HttpResponse {
        let well_known = format!("/{}/.well-known/", self.pool_id);
        match (&request.method, request.path.as_str()) {
            (&Method::POST, "/oauth2/token") => self.token(&request),
            (_, "/oauth2/token") => {
                json_response(405, r#"{"error":"invalid_request"}"#, &[("allow", "POST")])
            }
            (&Method::GET, path) if path.strip_prefix(&well_known) == Some("jwks.json") => {
                json_response(200, self.endpoint.issuer().jwks().to_string(), &[])
            }
            (&Method::GET, path)
                if path.strip_prefix(&well_known) == Some("openid-configuration") =>
            {
                json_response(200, self.openid_configuration().to_string(), &[])
            }
            _ => json_response(404, r#"{"message":"Not Found"}"#, &[]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::clients::{AppClient, Clients};
    use crate::cognito::issuer::Issuer;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use http_body_util::BodyExt;
    use hyper::HeaderMap;

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
    ) -> IncomingRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        IncomingRequest {
            method,
            path: path.into(),
            query: None,
            headers: map,
            body: body.to_string().into(),
            peer: "127.0.0.1:1".parse().unwrap(),
        }
    }

    #[tokio::test]
    async fn routes_answer_as_the_user_pool_does() {
        let server = server();
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
            let path = request.path.clone();
            let response = server.call(request).await;
            assert_eq!(response.status().as_u16(), status, "{path}");
            let body = response.into_body().collect().await.unwrap().to_bytes();
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
