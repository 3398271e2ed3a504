//! The pool with a pre-token-generation trigger, over HTTP: which event
//! each way of issuing tokens sends, how the answer shows in the tokens,
//! and what the client sees when the trigger fails. The function is a
//! fake answering like `pretoken/` (editors get `API/book.post`, M2M
//! tokens `caller_kind`), recording the events it gets.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use testkit::Issuer;
use tower::ServiceExt;

use crate::cognito::clients::Clients;
use crate::cognito::hosted_ui::{SESSION_COOKIE, XSRF_COOKIE};
use crate::cognito::pool::{SigningKeys, UserPool};
use crate::cognito::pool_server::PoolServer;
use crate::cognito::pre_token::TriggerFailure;
use crate::cognito::pre_token::trigger::tests::pre_token;
use crate::cognito::user_spec::UserSpec;
use crate::cognito::users::UserStore;
use crate::template::app_client::{AppClient, OAuthFlow};
use crate::template::password_policy::PasswordPolicy;
use crate::template::pre_token::LambdaVersion;

const CALLBACK: &str = "http://localhost:8080/";
const PASSWORD: &str = "Correct-Horse-9";
const POST: &str = "API/book.post";
const GET: &str = "API/book.get";
const NOW: i64 = 1_750_000_000;

/// What the fake function does.
#[derive(Clone, Copy, PartialEq)]
enum Function {
    /// Answers as `pretoken/` does.
    Example,
    /// Fails every call.
    Fails,
    /// Never answers.
    Hangs,
}

struct Pool {
    router: Router,
    events: Arc<Mutex<Vec<Value>>>,
}

/// The example trigger's answer to `event`.
fn example_answer(event: &Value) -> Value {
    let mut answer = event.clone();
    let request = &event["request"];
    let details = if event["triggerSource"] == "TokenGeneration_ClientCredentials" {
        json!({"accessTokenGeneration": {"claimsToAddOrOverride": {"caller_kind": "machine"}}})
    } else {
        let editor = request["groupConfiguration"]["groupsToOverride"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == "editors"));
        let (add, suppress) = if editor {
            (vec![POST], vec![])
        } else {
            (vec![], vec![POST])
        };
        json!({
            "groupOverrideDetails": request["groupConfiguration"],
            "idTokenGeneration": {"claimsToAddOrOverride": {"editor": editor}},
            "accessTokenGeneration": {"scopesToAdd": add, "scopesToSuppress": suppress},
        })
    };
    answer["response"] = json!({"claimsAndScopeOverrideDetails": details});
    answer
}

fn pool(version: LambdaVersion, function: Function) -> Pool {
    let scratch = testkit::temp_dir("trigger-test-").unwrap();
    let specs: Vec<UserSpec> = [
        format!("editor@example.com:{PASSWORD}:editors"),
        format!("reader@example.com:{PASSWORD}:readers"),
    ]
    .iter()
    .map(|s| UserSpec::parse(s, "test").unwrap())
    .collect();
    let users = UserStore::load(scratch.path(), &specs, &PasswordPolicy::default()).unwrap();
    let clients = Clients::new(vec![
        AppClient {
            name: "Web".into(),
            client_id: "web".into(),
            flows: vec![OAuthFlow::Code],
            scopes: vec!["openid".into(), GET.into()],
            callback_urls: vec![CALLBACK.into()],
            ..AppClient::example()
        },
        AppClient {
            name: "M2M".into(),
            client_id: "m2m".into(),
            client_secret: Some("secret".into()),
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec![GET.into()],
            ..AppClient::example()
        },
    ]);
    let keys = SigningKeys {
        access: Issuer::generate("a").unwrap(),
        id: Issuer::generate("i").unwrap(),
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let trigger = pre_token(version, move |event| {
        seen.lock().unwrap().push(event.clone());
        match function {
            Function::Example => Some(Ok(example_answer(event))),
            Function::Fails => Some(Err(TriggerFailure::Function {
                error_type: "PreTokenGeneration.MalformedEvent".into(),
                message: "request.scopes is missing".into(),
            })),
            Function::Hangs => None,
        }
    });
    let issuer = "http://127.0.0.1:9100/us-east-1_pool".to_string();
    let user_pool = UserPool::new(keys, issuer, clients, users).with_pre_token(trigger);
    let server = PoolServer::new(
        user_pool,
        "us-east-1_pool".into(),
        "http://127.0.0.1:9100".into(),
    )
    .with_clock(Arc::new(|| NOW));
    Pool {
        router: server.router(),
        events,
    }
}

struct Answer {
    status: u16,
    location: String,
    cookies: Vec<String>,
    json: Value,
}

impl Answer {
    fn param(&self, name: &str) -> Option<String> {
        let (_, query) = self.location.split_once('?')?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }
}

impl Pool {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let (location, cookies) = (header("location").concat(), header("set-cookie"));
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            location,
            cookies,
            json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        }
    }

    fn query() -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", "web"),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
                ("scope", &format!("{GET} openid")),
                ("state", "st"),
            ])
            .finish()
    }

    /// Signs `email` in on the hosted page: the redirect to the callback.
    async fn sign_in(&self, email: &str) -> Answer {
        let uri = format!("/login?{}", Self::query());
        let page = self.send("GET", &uri, &[], String::new()).await;
        let csrf = page.cookie(XSRF_COOKIE).unwrap();
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("_csrf", csrf.as_str()),
                ("username", email),
                ("password", PASSWORD),
            ])
            .finish();
        let headers = [
            ("cookie", format!("{XSRF_COOKIE}={csrf}")),
            ("content-type", "application/x-www-form-urlencoded".into()),
        ];
        self.send("POST", &uri, &headers, form).await
    }

    async fn token(&self, form: &str, basic: Option<&str>) -> Answer {
        let mut headers = vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        if let Some(credentials) = basic {
            headers.push((
                "authorization",
                format!("Basic {}", STANDARD.encode(credentials)),
            ));
        }
        self.send("POST", "/oauth2/token", &headers, form.to_string())
            .await
    }

    async fn exchange(&self, code: &str) -> Answer {
        let form = format!(
            "grant_type=authorization_code&client_id=web&code={code}&redirect_uri={}",
            form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
        );
        self.token(&form, None).await
    }

    fn sources(&self) -> Vec<String> {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .map(|e| e["triggerSource"].as_str().unwrap().to_string())
            .collect()
    }
}

fn claims(token: &Value) -> Value {
    let payload = token.as_str().unwrap().split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn an_editors_tokens_carry_what_the_trigger_adds_at_sign_in_and_refresh() {
    // (user, groups claim, scope claim, the ID token's `editor`)
    let cases = [
        (
            "editor@example.com",
            "editors",
            format!("{GET} openid {POST}"),
            true,
        ),
        (
            "reader@example.com",
            "readers",
            format!("{GET} openid"),
            false,
        ),
    ];
    for (email, group, scope, editor) in cases {
        let pool = pool(LambdaVersion::V2_0, Function::Example);
        let signed_in = pool.sign_in(email).await;
        assert_eq!(signed_in.status, 302, "{email}");
        let code = signed_in.param("code").unwrap();
        let tokens = pool.exchange(&code).await;
        assert_eq!(tokens.status, 200, "{email}: {}", tokens.json);
        let access = claims(&tokens.json["access_token"]);
        assert_eq!(access["scope"], scope.as_str(), "{email}");
        assert_eq!(access["cognito:groups"], json!([group]), "{email}");
        let id = claims(&tokens.json["id_token"]);
        assert_eq!(id["editor"], editor, "{email}");
        assert_eq!(id["cognito:groups"], json!([group]), "{email}");
        assert!(
            access.get("editor").is_none(),
            "{email}: ID-token claims stay there"
        );

        let event = pool.events.lock().unwrap()[0].clone();
        assert_eq!(event["version"], "2");
        assert_eq!(event["callerContext"]["clientId"], "web");
        assert_eq!(event["userPoolId"], "us-east-1_pool");
        // Custom scopes first, as the pool grants them.
        assert_eq!(event["request"]["scopes"], json!([GET, "openid"]));
        assert_eq!(event["request"]["userAttributes"]["email"], email);

        let refresh = tokens.json["refresh_token"].as_str().unwrap();
        let refreshed = pool
            .token(
                &format!("grant_type=refresh_token&client_id=web&refresh_token={refresh}"),
                None,
            )
            .await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.json);
        assert_eq!(
            claims(&refreshed.json["access_token"])["scope"],
            scope.as_str()
        );
        assert_eq!(
            pool.sources(),
            [
                "TokenGeneration_HostedAuth",
                "TokenGeneration_RefreshTokens"
            ],
            "{email}: one call per issue, none at the code exchange"
        );
    }
}

#[tokio::test]
async fn a_live_session_goes_through_the_trigger_too() {
    let pool = pool(LambdaVersion::V2_0, Function::Example);
    let signed_in = pool.sign_in("editor@example.com").await;
    let session = signed_in.cookie(SESSION_COOKIE).unwrap();
    let again = pool
        .send(
            "GET",
            &format!("/oauth2/authorize?{}", Pool::query()),
            &[("cookie", format!("{SESSION_COOKIE}={session}"))],
            String::new(),
        )
        .await;
    let code = again.param("code").expect("a code from the session");
    let tokens = pool.exchange(&code).await;
    let scope = claims(&tokens.json["access_token"])["scope"].clone();
    assert_eq!(scope, format!("{GET} openid {POST}").as_str());
    assert_eq!(pool.sources(), ["TokenGeneration_HostedAuth"; 2]);
}

#[tokio::test]
async fn client_credentials_go_through_the_trigger_with_v3_only() {
    // (version, the claim added, the trigger's calls)
    let cases = [
        (LambdaVersion::V2_0, None, 0),
        (LambdaVersion::V3_0, Some("machine"), 1),
    ];
    for (version, caller_kind, calls) in cases {
        let pool = pool(version, Function::Example);
        let answer = pool
            .token("grant_type=client_credentials", Some("m2m:secret"))
            .await;
        assert_eq!(answer.status, 200, "{version:?}: {}", answer.json);
        let access = claims(&answer.json["access_token"]);
        assert_eq!(access["caller_kind"].as_str(), caller_kind, "{version:?}");
        assert_eq!(access["scope"], GET, "{version:?}");
        assert!(access.get("cognito:groups").is_none());
        assert_eq!(pool.sources().len(), calls, "{version:?}");
        if calls == 1 {
            let event = pool.events.lock().unwrap()[0].clone();
            assert_eq!(event["version"], "3");
            assert_eq!(event["triggerSource"], "TokenGeneration_ClientCredentials");
            assert_eq!(event["request"]["scopes"], json!([GET]));
            assert!(event.get("userName").is_none());
        }
    }
}

#[tokio::test]
async fn a_failing_or_silent_trigger_issues_no_tokens() {
    // (function, the error_description)
    let cases = [
        (
            Function::Fails,
            "PreTokenGeneration failed with error request.scopes is missing.",
        ),
        (
            Function::Hangs,
            "PreTokenGeneration failed with error the function did not answer within 20ms.",
        ),
    ];
    for (function, description) in cases {
        let pool = pool(LambdaVersion::V3_0, function);
        // The hosted sign-in goes back to the callback with the error.
        let signed_in = pool.sign_in("editor@example.com").await;
        assert_eq!(signed_in.status, 302);
        assert!(
            signed_in.location.starts_with(CALLBACK),
            "{}",
            signed_in.location
        );
        assert_eq!(signed_in.param("code"), None);
        assert_eq!(signed_in.param("error").as_deref(), Some("invalid_request"));
        assert_eq!(
            signed_in.param("error_description").as_deref(),
            Some(description)
        );
        assert_eq!(signed_in.param("state").as_deref(), Some("st"));
        assert!(
            signed_in.cookie(SESSION_COOKIE).is_none(),
            "no session either"
        );
        // The token endpoint answers 400 with it.
        let answer = pool
            .token("grant_type=client_credentials", Some("m2m:secret"))
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.json,
            json!({"error": "invalid_request", "error_description": description})
        );
    }
}
