//! The pool with a pre-token-generation trigger, over HTTP: which event
//! each way of issuing tokens sends, how the answer shows in the tokens,
//! and what the client sees when the trigger fails. The function is a
//! fake answering like `pretoken/` (editors get `API/book.post`, M2M
//! tokens `caller_kind`), recording the events it gets.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use local::{
    AppClient, Clients, LambdaVersion, OAuthFlow, SESSION_COOKIE, TriggerFailure, UserPool,
};
use serde_json::{Value, json};

use crate::support::{
    Answer, Browser, Harness, ISSUER, PASSWORD, exchange_body, form_body, payload, pre_token,
    signing_keys, users,
};

const CALLBACK: &str = "http://localhost:8080/";
const POST: &str = "API/book.post";
const GET: &str = "API/book.get";

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

/// A pool with the fake function, and the events the function got.
struct Pool {
    served: Harness,
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
    let users = users(&[
        format!("editor@example.com:{PASSWORD}:editors"),
        format!("reader@example.com:{PASSWORD}:readers"),
    ]);
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
    let user_pool =
        UserPool::new(signing_keys(), ISSUER.into(), clients, users).with_pre_token(trigger);
    Pool {
        served: Harness::serve(user_pool),
        events,
    }
}

impl Pool {
    fn query() -> String {
        form_body(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("scope", &format!("{GET} openid")),
            ("state", "st"),
        ])
    }

    /// Signs `email` in on the hosted page: the redirect to the callback.
    async fn sign_in(&self, email: &str) -> Answer {
        Browser::new(&self.served)
            .sign_in(&Self::query(), email, PASSWORD)
            .await
    }

    async fn token(&self, form: &str, basic: Option<(&str, &str)>) -> Answer {
        self.served.token(form, basic).await
    }

    async fn exchange(&self, code: &str) -> Answer {
        self.token(&exchange_body("web", code, Some(CALLBACK), None), None)
            .await
    }

    fn sources(&self) -> Vec<String> {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .map(|e| e["triggerSource"].as_str().unwrap().to_string())
            .collect()
    }
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
        let code = signed_in.location_param("code").unwrap();
        let tokens = pool.exchange(&code).await;
        assert_eq!(tokens.status, 200, "{email}: {}", tokens.json());
        let access = payload(tokens.json()["access_token"].as_str().unwrap()).0;
        assert_eq!(access["scope"], scope.as_str(), "{email}");
        assert_eq!(access["cognito:groups"], json!([group]), "{email}");
        let id = payload(tokens.json()["id_token"].as_str().unwrap()).0;
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

        let refresh = tokens.json()["refresh_token"].as_str().unwrap().to_string();
        let refreshed = pool
            .token(
                &format!("grant_type=refresh_token&client_id=web&refresh_token={refresh}"),
                None,
            )
            .await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.json());
        assert_eq!(
            payload(refreshed.json()["access_token"].as_str().unwrap()).0["scope"],
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
        .served
        .send(
            Method::GET,
            &format!("/oauth2/authorize?{}", Pool::query()),
            &[("cookie", format!("{SESSION_COOKIE}={session}"))],
            "",
        )
        .await;
    let code = again
        .location_param("code")
        .expect("a code from the session");
    let tokens = pool.exchange(&code).await;
    let scope = payload(tokens.json()["access_token"].as_str().unwrap()).0["scope"].clone();
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
            .token("grant_type=client_credentials", Some(("m2m", "secret")))
            .await;
        assert_eq!(answer.status, 200, "{version:?}: {}", answer.json());
        let access = payload(answer.json()["access_token"].as_str().unwrap()).0;
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
            signed_in
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with(CALLBACK)),
            "{:?}",
            signed_in.location
        );
        assert_eq!(signed_in.location_param("code"), None);
        assert_eq!(
            signed_in.location_param("error").as_deref(),
            Some("invalid_request")
        );
        assert_eq!(
            signed_in.location_param("error_description").as_deref(),
            Some(description)
        );
        assert_eq!(signed_in.location_param("state").as_deref(), Some("st"));
        assert!(
            signed_in.cookie(SESSION_COOKIE).is_none(),
            "no session either"
        );
        // The token endpoint answers 400 with it.
        let answer = pool
            .token("grant_type=client_credentials", Some(("m2m", "secret")))
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.json(),
            json!({"error": "invalid_request", "error_description": description})
        );
    }
}
