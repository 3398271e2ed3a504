//! The hosted sign-in's request handling: the `/oauth2/authorize` (and
//! `/login`) query, the `Cookie` header that carries `XSRF-TOKEN`, the PKCE
//! check and the sign-in page built from the query. Besides never
//! panicking, a browser is only ever sent back to a registered callback
//! URL, and nothing from the request reaches the page unescaped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local::{AuthorizeError, pkce_matches, validate_authorize as validate};
use local::{AppClient, Clients, OAuthFlow};
use local::{cookie, login_page};

const CALLBACK: &str = "http://localhost:8080/";

fn clients() -> Clients {
    Clients::new(vec![AppClient {
        name: "WebClient".into(),
        client_id: "web".into(),
        client_secret: None,
        flows: vec![OAuthFlow::Code],
        scopes: vec![
            "openid".into(),
            "awesomeapi-resource-server/awesomeapi.read".into(),
        ],
        callback_urls: vec![CALLBACK.into()],
        logout_urls: vec![CALLBACK.into()],
        ..AppClient::default()
    }])
}

fuzz_target!(|data: &[u8]| {
    // Query string, Cookie header and PKCE verifier, separated by NUL bytes.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let query = parts.next().unwrap_or_default();
    let cookies = parts.next();
    let verifier = parts.next().unwrap_or_default();

    match validate(query, &clients()) {
        Ok(request) => {
            assert_eq!(request.redirect_uri, CALLBACK, "{query}");
            assert!(!request.scopes.is_empty(), "{query}");
            if let Some(challenge) = &request.code_challenge {
                let _ = pkce_matches(challenge, verifier);
            }
        }
        Err(AuthorizeError::Redirect { redirect_uri, .. }) => {
            assert_eq!(redirect_uri, CALLBACK, "{query}");
        }
        Err(AuthorizeError::ErrorPage { .. }) => {}
    }
    let csrf = cookie(cookies, "XSRF-TOKEN").unwrap_or_default();
    // Every `<` of the page is the page's own: the inputs add none.
    let tags = |page: &str| page.matches('<').count();
    let page = login_page(query, csrf, Some(verifier));
    assert_eq!(
        tags(&page),
        tags(&login_page("", "", Some(""))),
        "unescaped input in the page: {text:?}"
    );
});
