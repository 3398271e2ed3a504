//! Interop with OAuth 2.0 / OpenID Connect clients nobody here wrote: the
//! `openidconnect` crate (discovery, authorization code with PKCE and
//! nonce, ID-token verification with `at_hash`) and the `oauth2` crate
//! (client credentials, code exchange, rotating refresh) against the local user pool
//! served on 127.0.0.1, configured from the real template.yaml. The tokens
//! they obtain then go through the real authorizer.

use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;

use authorizer::{Authorizer, Config, KeySet};
use integration_tests::fixtures::token_event;
use integration_tests::local_stack::workspace;
use local::PoolServer;
use local::StackSpec;
use local::StateDir;
use local::Template;
use local::local_issuer;
use local::serve;
use local::{AppClient, Clients, OAuthFlow};
use local::{ID_KEY_FILE, SigningKeys, UserPool};
use local::{UserSpec, UserStore};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    RefreshToken, Scope, TokenResponse, TokenUrl,
};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{AccessTokenHash, IssuerUrl, Nonce};
use serde_json::Value;
use shared::IssuerForm;
use tokio::net::TcpListener;
use tokio::sync::watch;

const EMAIL: &str = "alice@example.com";
const PASSWORD: &str = "Correct-Horse-9";
const READ: &str = "awesomeapi-resource-server/awesomeapi.read";

type HttpFuture = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, reqwest::Error>>>>;

/// The crates' HTTP client: our reqwest, so no second HTTP or TLS stack.
fn http_client(client: reqwest::Client) -> impl Fn(oauth2::HttpRequest) -> HttpFuture {
    move |request: oauth2::HttpRequest| {
        let client = client.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let mut answer = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await?.to_vec();
            Ok(answer.body(body).expect("a valid response"))
        }) as HttpFuture
    }
}

/// The local pool on a free port, configured as local-stack configures it.
struct LocalPool {
    base: String,
    issuer: String,
    pool_id: String,
    port: u16,
    clients: Clients,
    jwks: Value,
    spec: StackSpec,
    stop: watch::Sender<bool>,
    // Removed when the pool drops.
    _state: testkit::TempDir,
}

impl LocalPool {
    /// `tag` starts the state folder's name (tests in one process run in parallel).
    async fn start(tag: &str) -> Self {
        Self::start_as(tag, IssuerForm::Original).await
    }

    /// The pool signing with its issuer in `form`, as local-stack writes the
    /// template's `IssuerType` (the forms differ by host, as Cognito's do).
    async fn start_as(tag: &str, form: IssuerForm) -> Self {
        let template = Template::load(workspace().join("template.yaml")).expect("template");
        let spec = StackSpec::from_template(&template).expect("stack spec");
        let state_dir = testkit::temp_dir(&format!("oauth-interop-{tag}")).expect("state dir");
        let state = state_dir.path();
        let dir = StateDir::new(state);
        let (local, access) = dir.load_or_init(&spec.clients).expect("state");
        let id = dir.load_or_generate_key(ID_KEY_FILE).expect("ID key");
        let clients = Clients::from_state(&spec.clients, &local);
        let user = UserSpec::parse(&format!("{EMAIL}:{PASSWORD}:readers"), "test").expect("user");
        let users = UserStore::load(state, &[user], &spec.password_policy).expect("users");
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let issuer = local_issuer(form, port, &local.pool_id);
        let pool = UserPool::new(
            SigningKeys { access, id },
            issuer.clone(),
            clients.clone(),
            users,
        );
        let jwks = pool.jwks();
        let router = PoolServer::new(pool, local.pool_id.clone(), base.clone()).router();
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, router, stopped));
        Self {
            base,
            issuer,
            pool_id: local.pool_id,
            port,
            clients,
            jwks,
            spec,
            stop,
            _state: state_dir,
        }
    }

    /// The pool's issuer in both forms (original, updated).
    fn issuers(&self) -> [String; 2] {
        IssuerForm::ALL.map(|form| local_issuer(form, self.port, &self.pool_id))
    }

    fn client(&self, flow: OAuthFlow) -> &AppClient {
        self.clients
            .all()
            .iter()
            .find(|c| c.allows(flow))
            .unwrap_or_else(|| panic!("the template has a {flow} client"))
    }

    /// The authorizer as the template configures it, for the local pool.
    fn authorizer(&self) -> (Authorizer, KeySet) {
        let accepted: Vec<&str> = self
            .clients
            .all()
            .iter()
            .filter(|c| self.spec.authorizer_clients.contains(&c.name))
            .map(|c| c.client_id.as_str())
            .collect();
        let vars = [
            ("USER_POOL_ID", self.pool_id.clone()),
            ("APP_CLIENT_IDS", accepted.join(",")),
            ("ROUTE_SCOPES", self.spec.route_scopes.clone()),
            // Both local forms, as local-stack sets it whatever IssuerType says.
            ("TOKEN_ISSUER", self.issuers().join(",")),
        ];
        let config = Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("authorizer configuration");
        let (keys, skipped) = KeySet::from_jwks(self.jwks.to_string().as_bytes()).expect("JWKS");
        assert_eq!(skipped, 0, "both keys are usable");
        (Authorizer::new(&config), keys)
    }

    /// Follows an authorize URL as a browser would and signs in: the code
    /// and state the pool sends back to the callback.
    async fn sign_in(&self, authorize_url: &str, callback: &str) -> (String, String) {
        let browser = reqwest::Client::builder()
            .no_proxy()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("browser");
        let authorize = browser.get(authorize_url).send().await.expect("authorize");
        assert_eq!(authorize.status(), 302, "{authorize_url}");
        let login = location(&authorize);
        assert!(
            login.starts_with(&format!("{}/login?", self.base)),
            "{login}"
        );
        let page = browser.get(&login).send().await.expect("login page");
        let html = page.text().await.expect("html");
        let csrf = html
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a _csrf field");
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("_csrf", csrf)
            .append_pair("username", EMAIL)
            .append_pair("password", PASSWORD)
            .finish();
        let signed_in = browser
            .post(&login)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("sign-in");
        assert_eq!(signed_in.status(), 302);
        let back = location(&signed_in);
        assert!(back.starts_with(callback), "{back}");
        let param = |name: &str| {
            let (_, query) = back.split_once('?').expect("a query");
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| panic!("no {name} in {back}"))
        };
        (param("code"), param("state"))
    }
}

impl Drop for LocalPool {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The authorizer's answer for `token` on `GET path`: `Allow`, `Deny`, or
/// `Unauthorized: <why>`.
fn decide(authorizer: &Authorizer, keys: &KeySet, token: &str, path: &str) -> String {
    let event = token_event(&format!("Bearer {token}"), "GET", path);
    match authorizer.decide(&event, keys, testkit::unix_now()) {
        Ok(decision) if decision.allows_called_route() => "Allow".into(),
        Ok(_) => "Deny".into(),
        Err(rejection) => format!("Unauthorized: {rejection}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn openidconnect_discovers_signs_in_with_pkce_and_verifies_the_id_token() {
    let pool = LocalPool::start("openidconnect").await;
    let http = http_client(no_redirects());
    let web = pool.client(OAuthFlow::Code);
    let callback = web.callback_urls.first().expect("a callback URL").clone();

    let issuer = IssuerUrl::new(pool.issuer.clone()).expect("issuer URL");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        openidconnect::ClientId::new(web.client_id.clone()),
        None,
    )
    .set_redirect_uri(openidconnect::RedirectUrl::new(callback.clone()).expect("redirect URL"));
    let (challenge, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            openidconnect::CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(openidconnect::Scope::new(READ.to_string()))
        .set_pkce_challenge(challenge)
        .url();
    let (code, returned_state) = pool.sign_in(url.as_str(), &callback).await;
    assert_eq!(&returned_state, state.secret());

    let tokens = client
        .exchange_code(openidconnect::AuthorizationCode::new(code))
        .expect("a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.extra_fields().id_token().expect("an ID token");
    let id_verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.email().map(|e| e.as_str()), Some(EMAIL));
    assert_eq!(claims.email_verified(), Some(true));
    let expected_hash = claims.access_token_hash().expect("at_hash");
    let actual_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&id_verifier).expect("key"),
    )
    .expect("hash");
    assert_eq!(&actual_hash, expected_hash);
    // A wrong nonce is refused by the crate: the claim is really checked.
    assert!(
        id_token
            .claims(&id_verifier, &Nonce::new("other".into()))
            .is_err()
    );

    let (authorizer, keys) = pool.authorizer();
    let access = tokens.access_token().secret();
    assert_eq!(decide(&authorizer, &keys, access, "/awesomeapi"), "Allow");
    assert_eq!(decide(&authorizer, &keys, access, "/book"), "Deny");
    let id_token_text = id_token.to_string();
    let refused = decide(&authorizer, &keys, &id_token_text, "/awesomeapi");
    assert!(
        refused.starts_with("Unauthorized"),
        "the ID token is not an access token: {refused}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn oauth2_gets_client_credentials_exchanges_a_code_and_refreshes() {
    let pool = LocalPool::start("oauth2").await;
    let http = http_client(no_redirects());
    let token_url = TokenUrl::new(format!("{}/oauth2/token", pool.base)).expect("token URL");
    let auth_url = AuthUrl::new(format!("{}/oauth2/authorize", pool.base)).expect("auth URL");
    let (authorizer, keys) = pool.authorizer();

    // Client credentials, Basic auth, one scope.
    let m2m = pool.client(OAuthFlow::ClientCredentials);
    let machine = BasicClient::new(ClientId::new(m2m.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            m2m.client_secret.clone().expect("a secret"),
        ))
        .set_token_uri(token_url.clone());
    let book = m2m
        .scopes
        .iter()
        .find(|s| s.ends_with("/book.get"))
        .expect("a book scope");
    let answer = machine
        .exchange_client_credentials()
        .add_scope(Scope::new(book.clone()))
        .request_async(&http)
        .await
        .expect("client credentials");
    assert_eq!(answer.expires_in().map(|d| d.as_secs()), Some(3600));
    let m2m_token = answer.access_token().secret();
    assert_eq!(decide(&authorizer, &keys, m2m_token, "/book"), "Allow");
    assert_eq!(decide(&authorizer, &keys, m2m_token, "/awesomeapi"), "Deny");

    // Authorization code with PKCE for the public web client.
    let web = pool.client(OAuthFlow::Code);
    let callback = web.callback_urls.first().expect("a callback URL").clone();
    let public = BasicClient::new(ClientId::new(web.client_id.clone()))
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(RedirectUrl::new(callback.clone()).expect("redirect URL"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = public
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new(READ.into()))
        .set_pkce_challenge(challenge)
        .url();
    let (code, returned_state) = pool.sign_in(url.as_str(), &callback).await;
    assert_eq!(&returned_state, state.secret());
    let tokens = public
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let access = tokens.access_token().secret().clone();
    assert_eq!(decide(&authorizer, &keys, &access, "/awesomeapi"), "Allow");
    let refresh = tokens.refresh_token().expect("a refresh token").clone();

    // The same code again is refused with invalid_grant.
    let (_, again_verifier) = PkceCodeChallenge::new_random_sha256();
    let reused = public
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(again_verifier)
        .request_async(&http)
        .await;
    let error = format!("{:?}", reused.expect_err("a used code"));
    assert!(error.contains("error: invalid_grant"), "{error}");

    // Refresh: a new access token for the same sign-in, accepted too, and
    // (the web client has RefreshTokenRotation) a new refresh token, which
    // the client library takes and uses in turn.
    let renewed = public
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .request_async(&http)
        .await
        .expect("refresh");
    let rotated = renewed.refresh_token().expect("a rotated refresh token");
    assert_ne!(rotated.secret(), refresh.secret());
    let renewed_access = renewed.access_token().secret();
    assert_ne!(renewed_access, &access);
    assert_eq!(
        decide(&authorizer, &keys, renewed_access, "/awesomeapi"),
        "Allow"
    );
    let again = public
        .exchange_refresh_token(rotated)
        .request_async(&http)
        .await
        .expect("refresh with the rotated token");
    let third = again.refresh_token().expect("rotated again");
    assert_ne!(third.secret(), rotated.secret());
    assert_eq!(
        decide(
            &authorizer,
            &keys,
            again.access_token().secret(),
            "/awesomeapi"
        ),
        "Allow"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn either_issuer_setting_is_discovered_and_passes_the_same_authorizer_variables() {
    for (tag, form) in [
        ("original", IssuerForm::Original),
        ("updated", IssuerForm::Updated),
    ] {
        let pool = LocalPool::start_as(&format!("issuer-{tag}"), form).await;
        let http = http_client(no_redirects());
        let issuer = IssuerUrl::new(pool.issuer.clone()).expect("issuer URL");
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .unwrap_or_else(|e| panic!("{tag}: discovery: {e:?}"));
        assert_eq!(metadata.issuer().as_str(), pool.issuer, "{tag}");
        assert_eq!(
            metadata.jwks_uri().as_str(),
            format!("{}/.well-known/jwks.json", pool.issuer),
            "{tag}"
        );

        let m2m = pool.client(OAuthFlow::ClientCredentials);
        let token_url = TokenUrl::new(format!("{}/oauth2/token", pool.base)).expect("token URL");
        let answer = BasicClient::new(ClientId::new(m2m.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                m2m.client_secret.clone().expect("a confidential client"),
            ))
            .set_token_uri(token_url)
            .exchange_client_credentials()
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{tag}: client credentials: {e:?}"));
        let token = answer.access_token().secret();
        let payload = token.split('.').nth(1).expect("a payload");
        let claims: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .expect("base64url"),
        )
        .expect("claims");
        assert_eq!(
            claims["iss"],
            pool.issuer.as_str(),
            "{tag}: signed with its form"
        );

        let (authorizer, keys) = pool.authorizer();
        assert_eq!(decide(&authorizer, &keys, token, "/book"), "Allow", "{tag}");
    }
}
