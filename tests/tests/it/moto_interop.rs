//! Interop with moto's Cognito: a user signs in with admin auth, and the
//! authorizer (configuration, JWKS fetch over HTTP and decision, in
//! process) treats moto's access token as it would Cognito's: allowed
//! where the token's scope suffices, a policy without the route where it
//! does not, and `Unauthorized` once a single payload byte changes.
//!
//! Where moto's tokens differ from Cognito's (checked below so that a moto
//! upgrade that changes them is noticed): the header has `typ: JWT` and
//! the fixed `kid` "dummy" (one key for every pool); the payload has no
//! `version` and no `event_id`; pool ids end in 32 hex digits instead of
//! nine letters and digits. None of these is a claim the authorizer needs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::moto::Moto;
use local::AuthorizerAnswer;
use serde_json::{Value, json};
use shared::iam::Evaluation;

use authorizer::key_store::{HttpJwks, KeyStore, REFETCH_COOLDOWN};
use authorizer::service::{App, now};
use authorizer::{Authorizer, Config, Unauthorized};

const USER_SCOPE: &str = "aws.cognito.signin.user.admin";
const ARN_PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:moto0api/prod";

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// A user's access token from moto, with the pool and client it came from.
async fn sign_in(moto: &Moto) -> (String, String, String) {
    let pool = moto
        .cognito("CreateUserPool", json!({"PoolName": "interop"}))
        .await
        .expect("pool");
    let pool_id = pool["UserPool"]["Id"]
        .as_str()
        .expect("pool id")
        .to_string();
    moto.cognito(
        "CreateResourceServer",
        json!({"UserPoolId": pool_id, "Identifier": "API", "Name": "API",
               "Scopes": [{"ScopeName": "book.get", "ScopeDescription": "GET /book"}]}),
    )
    .await
    .expect("resource server");
    let client = moto
        .cognito(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool_id, "ClientName": "interop",
                   "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
        )
        .await
        .expect("client");
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .expect("client id")
        .to_string();
    let user = json!({"UserPoolId": pool_id, "Username": "alice", "TemporaryPassword": "Temp-Passw0rd!",
                      "MessageAction": "SUPPRESS"});
    moto.cognito("AdminCreateUser", user).await.expect("user");
    let password = json!({"UserPoolId": pool_id, "Username": "alice", "Password": "Real-Passw0rd!", "Permanent": true});
    moto.cognito("AdminSetUserPassword", password)
        .await
        .expect("password");
    let auth = moto
        .cognito(
            "AdminInitiateAuth",
            json!({"UserPoolId": pool_id, "ClientId": client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": "Real-Passw0rd!"}}),
        )
        .await
        .expect("sign-in");
    let token = auth["AuthenticationResult"]["AccessToken"]
        .as_str()
        .expect("access token")
        .to_string();
    (token, pool_id, client_id)
}

/// Changes one byte of the decoded payload (a letter of the user name),
/// keeping the token well-formed so that only the signature can fail.
fn tamper(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("payload");
    let at = payload
        .windows(7)
        .position(|w| w == b"\"alice\"")
        .expect("username in payload")
        + 1;
    payload[at] = b'b';
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload),
        parts[2]
    )
}

async fn decide<S: authorizer::key_store::JwksSource>(
    app: &App<S>,
    token: &str,
    route: &str,
) -> Result<Evaluation, Unauthorized> {
    let (method, path) = route.split_once(' ').expect("METHOD /path");
    let arn = format!("{ARN_PREFIX}/{method}{path}");
    let event =
        json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": arn});
    let response = app.handle(&event.to_string(), now()).await?;
    // Read the answer back as API Gateway would and evaluate it for the route.
    let answer = AuthorizerAnswer::parse(&serde_json::to_value(&response).expect("answer JSON"))
        .expect("an answer API Gateway accepts");
    Ok(answer.evaluate(&arn).expect("well-formed policy"))
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs moto_server from .venv; run scripts/test"]
async fn motos_access_tokens_pass_the_authorizer_like_cognitos() {
    let moto = Moto::start().expect("moto starts");
    let (token, pool_id, client_id) = sign_in(&moto).await;

    let parts: Vec<&str> = token.split('.').collect();
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], "dummy", "moto signs with one fixed key");
    assert_eq!(
        claims["iss"],
        format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}")
    );
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["client_id"], client_id);
    assert_eq!(claims["scope"], USER_SCOPE);
    assert_eq!(claims["username"], "alice");
    assert!(claims["sub"].is_string() && claims["exp"].is_i64() && claims["jti"].is_string());
    assert!(
        claims.get("version").is_none() && claims.get("event_id").is_none(),
        "moto now writes {claims}"
    );

    // TOKEN_ISSUER stays unset: the Cognito default must equal moto's iss.
    let vars = [
        ("USER_POOL_ID", pool_id.clone()),
        ("APP_CLIENT_IDS", client_id.clone()),
        (
            "ROUTE_SCOPES",
            format!(r#"{{"GET /profile":["{USER_SCOPE}"],"GET /book":["API/book.get"]}}"#),
        ),
        (
            "JWKS_URL",
            format!("{}/{pool_id}/.well-known/jwks.json", moto.url()),
        ),
    ];
    let config = Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("configuration");
    let source = HttpJwks::new(config.pools.pools()[0].jwks_url.clone());
    let app = App::new(
        Authorizer::new(&config),
        KeyStore::load(source, REFETCH_COOLDOWN).await,
    );

    assert_eq!(
        decide(&app, &token, "GET /profile").await,
        Ok(Evaluation::Allow)
    );
    let book = decide(&app, &token, "GET /book").await;
    assert!(
        matches!(
            book,
            Ok(Evaluation::ImplicitDeny | Evaluation::ExplicitDeny)
        ),
        "{book:?}"
    );
    assert_eq!(
        decide(&app, &tamper(&token), "GET /profile").await,
        Err(Unauthorized)
    );
}
