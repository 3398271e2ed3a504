//! The local token endpoint's request checks: `Content-Type`, the query
//! string and form body, client authentication (Basic or form), the grant
//! types (client credentials, authorization code, refresh token) and scope
//! selection.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local::{AppClient, Clients, OAuthFlow};
use local::{TokenRequest, grant};

fn clients() -> Clients {
    Clients::new(vec![
        AppClient {
            name: "M2M".into(),
            client_id: "m2m".into(),
            client_secret: Some("secret".into()),
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec!["API/book.get".into(), "API/book.post".into()],
            callback_urls: Vec::new(),
            logout_urls: Vec::new(),
            ..AppClient::default()
        },
        AppClient {
            name: "Web".into(),
            client_id: "web".into(),
            client_secret: None,
            flows: vec![OAuthFlow::Code],
            scopes: vec!["openid".into(), "API/book.get".into()],
            callback_urls: vec!["http://localhost:8080/".into()],
            logout_urls: vec!["http://localhost:8080/".into()],
            ..AppClient::default()
        },
    ])
}

fuzz_target!(|data: &[u8]| {
    // Content-Type, Authorization, query string and body, separated by NUL bytes.
    let mut parts = data.splitn(4, |&b| b == 0);
    let content_type = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let authorization = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let query = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let body = parts.next().unwrap_or_default();
    let request = TokenRequest {
        content_type,
        authorization,
        query,
        body,
    };
    let _ = grant(&request, &clients());
});
