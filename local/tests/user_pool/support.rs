//! What the user pool's suites share: a pool served in memory with an
//! injected clock, an answer read back, a browser keeping the pool's
//! cookies, the app clients and users of the fixture, and the forms and
//! token decoding the suites send and read.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use local::{
    AppClient, Clients, LambdaVersion, OAuthFlow, PasswordPolicy, PoolServer, PreToken,
    PreTokenTrigger, RefreshRotation, SigningKeys, TriggerFailure, TriggerInvocation, UserPool,
    UserSpec, UserStore, XSRF_COOKIE,
};
use serde_json::Value;
use testkit::Issuer;
use tower::ServiceExt;

pub const BASE: &str = "http://127.0.0.1:9100";
pub const POOL_ID: &str = "us-east-1_pool";
pub const ISSUER: &str = "http://127.0.0.1:9100/us-east-1_pool";
pub const CALLBACK: &str = "http://localhost:8080/callback";
pub const LOGOUT: &str = "http://localhost:8080/";
pub const EMAIL: &str = "alice@example.com";
pub const PASSWORD: &str = "Correct-Horse-9";
// RFC 7636 appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const READ: &str = "awesomeapi-resource-server/awesomeapi.read";
/// The injected clock's time when a pool starts.
pub const START: i64 = 1_750_000_000;
/// The access tokens' key id (the ID tokens' is `kid/2+id`).
pub const ACCESS_KID: &str = "kid-1";

/// A pool's router with its injected clock.
pub struct Harness {
    pub router: Router,
    now: Arc<AtomicI64>,
}

/// The app clients of the fixture: a machine client, two public web
/// clients, one rotating refresh tokens and a confidential one.
pub fn clients() -> Clients {
    let web = |name: &str, id: &str| AppClient {
        name: name.into(),
        client_id: id.into(),
        flows: vec![OAuthFlow::Code],
        scopes: vec!["openid".into(), READ.into()],
        callback_urls: vec![CALLBACK.into()],
        logout_urls: vec![LOGOUT.into()],
        ..AppClient::example()
    };
    Clients::new(vec![
        AppClient {
            name: "M2M".into(),
            client_id: "m2m".into(),
            client_secret: Some("secret".into()),
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec!["API/book.get".into()],
            callback_urls: vec![CALLBACK.into()],
            ..AppClient::example()
        },
        web("Web", "web"),
        web("Other", "other"),
        AppClient {
            refresh_rotation: Some(RefreshRotation { grace_secs: 10 }),
            ..web("Rotating", "rotating")
        },
        AppClient {
            name: "Confidential".into(),
            client_id: "conf".into(),
            client_secret: Some("conf-secret".into()),
            ..web("Confidential", "conf")
        },
    ])
}

/// The pool's users from `email:password:groups` specs (none: the demo user).
pub fn users(specs: &[String]) -> UserStore {
    let scratch = testkit::temp_dir("pool-server-test-").unwrap();
    let specs: Vec<UserSpec> = specs
        .iter()
        .map(|s| UserSpec::parse(s, "test").unwrap())
        .collect();
    UserStore::load(scratch.path(), &specs, &PasswordPolicy::default()).unwrap()
}

/// Fresh signing keys: [`ACCESS_KID`] for access tokens, `kid/2+id` for ID tokens.
pub fn signing_keys() -> SigningKeys {
    SigningKeys {
        access: Issuer::generate(ACCESS_KID).unwrap(),
        id: Issuer::generate("kid/2+id").unwrap(),
    }
}

/// The fixture's pool: its clients and alice, in groups `admins` and `readers`.
pub fn harness() -> Harness {
    let users = users(&[format!("{EMAIL}:{PASSWORD}:admins,readers")]);
    Harness::serve(UserPool::new(
        signing_keys(),
        ISSUER.into(),
        clients(),
        users,
    ))
}

/// What a fake pre-token function answers to an event; `None` never answers.
pub type FakeAnswer = Option<Result<Value, TriggerFailure>>;

/// A pre-token function answering with a function of the event.
struct FakeTrigger(Box<dyn Fn(&Value) -> FakeAnswer + Send + Sync>);

impl PreTokenTrigger for FakeTrigger {
    fn invoke<'a>(&'a self, event: &'a Value) -> TriggerInvocation<'a> {
        let answer = (self.0)(event);
        Box::pin(async move {
            match answer {
                Some(answer) => answer,
                None => std::future::pending().await,
            }
        })
    }
}

/// The pool's trigger of `version`, calling `answer`.
pub fn pre_token(
    version: LambdaVersion,
    answer: impl Fn(&Value) -> FakeAnswer + Send + Sync + 'static,
) -> PreToken {
    PreToken {
        version,
        region: "us-east-1".into(),
        user_pool_id: POOL_ID.into(),
        // Only a trigger that never answers reaches it.
        timeout: std::time::Duration::from_millis(20),
        trigger: Arc::new(FakeTrigger(Box::new(answer))),
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub cookies: Vec<String>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A query parameter of the `Location`.
    pub fn location_param(&self, name: &str) -> Option<String> {
        let location = self.location.as_deref()?;
        let (_, query) = location.split_once('?')?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The value a `Set-Cookie` gives cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }
}

impl Harness {
    /// Serves `pool` as pool [`POOL_ID`] at [`BASE`], its clock at [`START`].
    pub fn serve(pool: UserPool) -> Self {
        let now = Arc::new(AtomicI64::new(START));
        let clock_now = now.clone();
        let server = PoolServer::new(pool, POOL_ID.into(), BASE.into())
            .with_clock(Arc::new(move || clock_now.load(Ordering::SeqCst)));
        Harness {
            router: server.router(),
            now,
        }
    }

    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            location,
            cookies,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub fn advance(&self, secs: i64) {
        self.now.fetch_add(secs, Ordering::SeqCst);
    }

    pub async fn token(&self, body: &str, auth: Option<(&str, &str)>) -> Answer {
        let mut headers = vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        if let Some((id, secret)) = auth {
            headers.push((
                "authorization",
                format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
            ));
        }
        self.send(Method::POST, "/oauth2/token", &headers, body)
            .await
    }

    pub async fn user_info(&self, token: &str) -> Answer {
        let bearer = [("authorization", format!("Bearer {token}"))];
        self.send(Method::GET, "/oauth2/userInfo", &bearer, "")
            .await
    }
}

/// A browser: keeps the cookies the pool sets.
pub struct Browser<'h> {
    harness: &'h Harness,
    pub jar: HashMap<String, String>,
}

impl<'h> Browser<'h> {
    pub fn new(harness: &'h Harness) -> Self {
        Self {
            harness,
            jar: HashMap::new(),
        }
    }

    pub async fn send(&mut self, method: Method, uri: &str, form: Option<&str>) -> Answer {
        let mut headers = Vec::new();
        if !self.jar.is_empty() {
            let cookie: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            headers.push(("cookie", cookie.join("; ")));
        }
        if form.is_some() {
            headers.push((
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            ));
        }
        let answer = self
            .harness
            .send(method, uri, &headers, form.unwrap_or_default())
            .await;
        for set in &answer.cookies {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if set.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.into(), value.into());
            }
        }
        answer
    }

    /// GET /login, then POST the form with `username`/`password`.
    pub async fn sign_in(&mut self, query: &str, username: &str, password: &str) -> Answer {
        let page = self
            .send(Method::GET, &format!("/login?{query}"), None)
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = self.jar.get(XSRF_COOKIE).cloned().unwrap();
        assert!(
            page.body
                .contains(&format!("name=\"_csrf\" value=\"{csrf}\""))
        );
        let form = form_body(&[
            ("_csrf", &csrf),
            ("username", username),
            ("password", password),
        ]);
        self.send(Method::POST, &format!("/login?{query}"), Some(&form))
            .await
    }
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// An authorize query for `client`, with PKCE, nonce and state.
pub fn query(client: &str, scope: &str) -> String {
    form_body(&[
        ("client_id", client),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
        ("scope", scope),
        ("state", "st"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
}

pub fn exchange_body(
    client: &str,
    code: &str,
    redirect: Option<&str>,
    verifier: Option<&str>,
) -> String {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("client_id", client),
        ("code", code),
    ];
    if let Some(r) = redirect {
        pairs.push(("redirect_uri", r));
    }
    if let Some(v) = verifier {
        pairs.push(("code_verifier", v));
    }
    form_body(&pairs)
}

/// A token's claims, its payload's text and its header's text.
pub fn payload(token: &str) -> (Value, String, String) {
    let mut parts = token.split('.');
    let header = String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    (serde_json::from_str(&text).unwrap(), text, header)
}

/// Signs in and returns a fresh code of the web client.
pub async fn code(h: &Harness, scope: &str) -> String {
    code_of(h, "web", scope).await
}

/// Signs in and returns a fresh code of `client`.
pub async fn code_of(h: &Harness, client: &str, scope: &str) -> String {
    let mut browser = Browser::new(h);
    let answer = browser
        .sign_in(&query(client, scope), EMAIL, PASSWORD)
        .await;
    assert_eq!(answer.status, 302, "{answer:?}");
    answer.location_param("code").unwrap()
}
