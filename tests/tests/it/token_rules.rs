//! Every token rule, table-driven: what is accepted and why everything else is not.

use authorizer::Rejection;
use authorizer::event::BadEvent;
use authorizer::verify::{MAX_TOKEN_BYTES, TokenError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::fixtures::{
    Fixture, ISSUER, M2M_CLIENT, NOW, WEB_CLIENT, method_arn, request_event, token_event,
    user_claims,
};
use serde_json::{Value, json};
use testkit::{Issuer, m2m_claims};

const SCOPE: &str = "API/book.get";

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn claims_json(fx: &Fixture) -> Value {
    let _ = fx;
    serde_json::to_value(m2m_claims(ISSUER, M2M_CLIENT, SCOPE, NOW - 60, 3600)).unwrap()
}

/// Signs arbitrary claims JSON under the fixture's standard header.
fn signed(fx: &Fixture, claims: Value) -> String {
    fx.issuer
        .sign_raw(&fx.issuer.header(), claims.to_string().as_bytes())
        .unwrap()
}

/// Modifies one claim of an otherwise valid token.
fn with_claim(fx: &Fixture, name: &str, value: Value) -> String {
    let mut claims = claims_json(fx);
    if value.is_null() {
        claims.as_object_mut().unwrap().remove(name);
    } else {
        claims[name] = value;
    }
    signed(fx, claims)
}

/// Signs valid claims under a header with extra members.
fn with_header(fx: &Fixture, extra: Value) -> String {
    let mut header = fx.issuer.header();
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            header.as_object_mut().unwrap().remove(k);
        } else {
            header[k] = v.clone();
        }
    }
    fx.issuer
        .sign_raw(&header, claims_json(fx).to_string().as_bytes())
        .unwrap()
}

fn hs256_with_public_key(fx: &Fixture) -> String {
    let n = URL_SAFE_NO_PAD
        .decode(fx.issuer.jwk()["n"].as_str().unwrap())
        .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("kid-1".into());
    let claims = m2m_claims(ISSUER, M2M_CLIENT, SCOPE, NOW - 60, 3600);
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&n),
    )
    .unwrap()
}

fn tampered_payload(fx: &Fixture) -> String {
    let token = fx.m2m_token(SCOPE);
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut payload: Vec<u8> = URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
    // Change the granted scope by one byte: "API\/book.get" -> "API\/book.gex"
    // (the issuer writes `/` as `\/`, as Cognito does).
    let at = payload.windows(8).position(|w| w == b"book.get").unwrap() + 7;
    payload[at] = b'x';
    parts[1] = URL_SAFE_NO_PAD.encode(payload);
    parts.join(".")
}

fn shape() -> Rejection {
    Rejection::Event(BadEvent::Shape(String::new()))
}

fn token_err(e: TokenError) -> Result<(), Rejection> {
    Err(Rejection::Token(e))
}

#[test]
fn token_rules_table() {
    let fx = Fixture::seeds();
    let other_key = Issuer::generate("kid-1").unwrap();
    let valid = fx.m2m_token(SCOPE);
    let (h, p, s) = {
        let parts: Vec<&str> = valid.split('.').collect();
        (
            parts[0].to_string(),
            parts[1].to_string(),
            parts[2].to_string(),
        )
    };
    let none_header = b64(&json!({"alg": "none", "kid": "kid-1"}));

    let cases: Vec<(&str, String, Result<(), Rejection>)> = vec![
        ("valid m2m token", valid.clone(), Ok(())),
        ("valid user token", fx.token(&user_claims(SCOPE)), Ok(())),
        (
            "exp within the leeway",
            with_claim(&fx, "exp", json!(NOW - 3)),
            Ok(()),
        ),
        (
            "nbf in the past",
            with_claim(&fx, "nbf", json!(NOW - 10)),
            Ok(()),
        ),
        (
            "alg none, no signature",
            format!("{none_header}.{p}."),
            token_err(TokenError::Structure),
        ),
        (
            "alg none with a signature",
            format!("{none_header}.{p}.{s}"),
            token_err(TokenError::Algorithm),
        ),
        (
            "HS256 keyed with the public key",
            hs256_with_public_key(&fx),
            token_err(TokenError::Algorithm),
        ),
        (
            "RS512 header",
            with_header(&fx, json!({"alg": "RS512"})),
            token_err(TokenError::Algorithm),
        ),
        (
            "lower-case rs256",
            with_header(&fx, json!({"alg": "rs256"})),
            token_err(TokenError::Algorithm),
        ),
        (
            "signed by another key with the same kid",
            other_key
                .access_token(&m2m_claims(ISSUER, M2M_CLIENT, SCOPE, NOW, 60))
                .unwrap(),
            token_err(TokenError::Signature),
        ),
        (
            "unknown kid",
            with_header(&fx, json!({"kid": "kid-2"})),
            token_err(TokenError::UnknownKid("kid-2".into())),
        ),
        (
            "no kid",
            with_header(&fx, json!({"kid": null})),
            token_err(TokenError::NoKid),
        ),
        (
            "jku header",
            with_header(&fx, json!({"jku": "https://evil/jwks.json"})),
            token_err(TokenError::KeyHeader("jku")),
        ),
        (
            "x5u header",
            with_header(&fx, json!({"x5u": "https://evil/cert"})),
            token_err(TokenError::KeyHeader("x5u")),
        ),
        (
            "embedded jwk",
            with_header(&fx, json!({"jwk": other_key.jwk()})),
            token_err(TokenError::KeyHeader("jwk")),
        ),
        (
            "x5c chain",
            with_header(&fx, json!({"x5c": ["MII..."]})),
            token_err(TokenError::KeyHeader("x5c")),
        ),
        (
            "null jku still counts",
            with_header(&fx, json!({"jku": Value::Null, "x5u": Value::Null})),
            Ok(()),
        ),
        (
            "crit header",
            with_header(&fx, json!({"crit": ["exp"]})),
            token_err(TokenError::Critical),
        ),
        (
            "expired",
            with_claim(&fx, "exp", json!(NOW - 10)),
            token_err(TokenError::Expired),
        ),
        (
            "no exp",
            with_claim(&fx, "exp", Value::Null),
            token_err(TokenError::NoExpiry),
        ),
        (
            "exp as a string",
            with_claim(&fx, "exp", json!("9999999999")),
            token_err(TokenError::Claims),
        ),
        (
            "future nbf",
            with_claim(&fx, "nbf", json!(NOW + 60)),
            token_err(TokenError::NotYetValid),
        ),
        (
            "wrong iss",
            with_claim(
                &fx,
                "iss",
                json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
            ),
            token_err(TokenError::Issuer),
        ),
        (
            "iss with a trailing slash",
            with_claim(&fx, "iss", json!(format!("{ISSUER}/"))),
            token_err(TokenError::Issuer),
        ),
        (
            "no iss",
            with_claim(&fx, "iss", Value::Null),
            token_err(TokenError::Issuer),
        ),
        (
            "ID token",
            with_claim(&fx, "token_use", json!("id")),
            token_err(TokenError::NotAccessToken),
        ),
        (
            "no token_use",
            with_claim(&fx, "token_use", Value::Null),
            token_err(TokenError::NotAccessToken),
        ),
        (
            "foreign client",
            with_claim(&fx, "client_id", json!("someoneelse000000000000000")),
            token_err(TokenError::Client),
        ),
        (
            "client id differing in case",
            with_claim(&fx, "client_id", json!(M2M_CLIENT.to_uppercase())),
            token_err(TokenError::Client),
        ),
        (
            "no client_id",
            with_claim(&fx, "client_id", Value::Null),
            token_err(TokenError::Client),
        ),
        (
            "no sub",
            with_claim(&fx, "sub", Value::Null),
            token_err(TokenError::NoSubject),
        ),
        (
            "tampered payload",
            tampered_payload(&fx),
            token_err(TokenError::Signature),
        ),
        (
            "tampered signature",
            format!(
                "{h}.{p}.{}{}",
                if s.starts_with('A') { 'B' } else { 'A' },
                &s[1..]
            ),
            token_err(TokenError::Signature),
        ),
        (
            "payload is not JSON",
            fx.issuer
                .sign_raw(&fx.issuer.header(), b"not json")
                .unwrap(),
            token_err(TokenError::Claims),
        ),
        (
            "payload is a JSON array",
            fx.issuer.sign_raw(&fx.issuer.header(), b"[1]").unwrap(),
            token_err(TokenError::Claims),
        ),
        (
            "header is not JSON",
            format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode("nope")),
            token_err(TokenError::Header),
        ),
        (
            "duplicate alg in header",
            format!(
                "{}.{p}.{s}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"none","alg":"RS256","kid":"kid-1"}"#)
            ),
            token_err(TokenError::Header),
        ),
        (
            "two parts",
            format!("{h}.{p}"),
            token_err(TokenError::Structure),
        ),
        (
            "four parts",
            format!("{h}.{p}.{s}.{s}"),
            token_err(TokenError::Structure),
        ),
        ("empty parts", "..".into(), token_err(TokenError::Structure)),
        (
            "padded base64",
            format!("{h}=.{p}.{s}"),
            token_err(TokenError::Structure),
        ),
        (
            "standard base64 alphabet",
            format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/")),
            if s.contains(['-', '_']) {
                token_err(TokenError::Structure)
            } else {
                Ok(())
            },
        ),
        (
            "not base64",
            format!("{h}.{p}.%%%"),
            token_err(TokenError::Structure),
        ),
        (
            "oversized",
            format!("{h}.{}.{s}", "A".repeat(MAX_TOKEN_BYTES)),
            token_err(TokenError::TooLarge),
        ),
        (
            "100 KB",
            "x".repeat(100 * 1024),
            token_err(TokenError::TooLarge),
        ),
    ];
    for (name, token, expected) in cases {
        let event = token_event(&format!("Bearer {token}"), "GET", "/book");
        let got = fx.authorizer.decide(&event, &fx.keys, NOW).map(|_| ());
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn authorization_values_table() {
    let fx = Fixture::seeds();
    let token = fx.m2m_token(SCOPE);
    let cases: Vec<(&str, String, Result<(), Rejection>)> = vec![
        ("raw token", token.clone(), Ok(())),
        ("Bearer", format!("Bearer {token}"), Ok(())),
        ("bearer", format!("bearer {token}"), Ok(())),
        ("BEARER", format!("BEARER {token}"), Ok(())),
        (
            "Basic scheme",
            format!("Basic {token}"),
            token_err(TokenError::NotBearer),
        ),
        (
            "two tokens",
            format!("Bearer {token} {token}"),
            token_err(TokenError::NotBearer),
        ),
        (
            "scheme only",
            "Bearer".into(),
            token_err(TokenError::Structure),
        ),
    ];
    for (name, value, expected) in cases {
        let got = fx
            .authorizer
            .decide(&token_event(&value, "GET", "/book"), &fx.keys, NOW)
            .map(|_| ());
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn bad_events_table() {
    let fx = Fixture::seeds();
    let token = fx.m2m_token(SCOPE);
    let arn = method_arn("GET", "/book");
    let cases: Vec<(&str, String, Result<(), Rejection>)> = vec![
        (
            "REQUEST event, Authorization",
            request_event("Authorization", &token, "GET", "/book"),
            Ok(()),
        ),
        (
            "REQUEST event, authorization",
            request_event("authorization", &format!("Bearer {token}"), "GET", "/book"),
            Ok(()),
        ),
        (
            "REQUEST event, no header",
            request_event("X-Other", &token, "GET", "/book"),
            Err(BadEvent::NoToken.into()),
        ),
        (
            "empty object",
            "{}".into(),
            Err(BadEvent::NoMethodArn.into()),
        ),
        ("not JSON", "{".into(), Err(shape())),
        (
            "null token",
            json!({"type":"TOKEN","authorizationToken":null,"methodArn":arn}).to_string(),
            Err(BadEvent::NoToken.into()),
        ),
        (
            "numeric token",
            json!({"type":"TOKEN","authorizationToken":1,"methodArn":arn}).to_string(),
            Err(shape()),
        ),
        (
            "unknown type",
            json!({"type":"WEBSOCKET","authorizationToken":token,"methodArn":arn}).to_string(),
            Err(BadEvent::Type.into()),
        ),
        (
            "no methodArn",
            json!({"type":"TOKEN","authorizationToken":token}).to_string(),
            Err(BadEvent::NoMethodArn.into()),
        ),
        (
            "methodArn not execute-api",
            json!({"type":"TOKEN","authorizationToken":token,"methodArn":"arn:aws:s3:::b"})
                .to_string(),
            Err(authorizer::arn::ArnError::Shape.into()),
        ),
    ];
    for (name, event, expected) in cases {
        let got = fx
            .authorizer
            .decide(&event, &fx.keys, NOW)
            .map(|_| ())
            .map_err(|e| match e {
                // The parser's wording is not part of the contract.
                Rejection::Event(BadEvent::Shape(_)) => shape(),
                other => other,
            });
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn tokens_from_an_independent_encoder_verify() {
    // jsonwebtoken signs here, so the verifier is not only checked against our own issuer.
    let fx = Fixture::seeds();
    let der = fx.issuer.to_pkcs8().unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("kid-1".into());
    let token = jsonwebtoken::encode(&header, &user_claims("openid API/book.get"), &key).unwrap();
    let policy = fx.decide(&token, "GET", "/book").unwrap();
    assert_eq!(
        policy["principalId"],
        "6b1c2a8e-1111-4c3b-9d6e-000000000001"
    );
    assert_eq!(policy["context"]["client_id"], WEB_CLIENT);
    assert_eq!(policy["context"]["username"], "alice");
    assert_eq!(policy["context"]["groups"], "readers,admins");
}
