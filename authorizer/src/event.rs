//! Reading API Gateway REST authorizer events (TOKEN and REQUEST) leniently:
//! any shape problem becomes a [`BadEvent`], never a runtime deserialization error.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use thiserror::Error;

/// Why an event could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BadEvent {
    /// Not a JSON object of the expected shape.
    #[error("event is not an authorizer event: {0}")]
    Shape(String),
    /// `type` is neither `TOKEN` nor `REQUEST`.
    #[error("unsupported event type")]
    Type,
    /// `methodArn` is missing or null.
    #[error("event has no methodArn")]
    NoMethodArn,
    /// No token in `authorizationToken` or the `Authorization` header.
    #[error("event carries no token")]
    NoToken,
}

/// The parts of an authorizer event the decision needs, borrowed from the event text.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthorizerEvent<'a> {
    /// The identity source value: `Bearer <jwt>` or a raw JWT.
    pub authorization: Cow<'a, str>,
    /// The ARN of the method being called.
    pub method_arn: Cow<'a, str>,
}

/// A JSON string, borrowed from the input unless it has escapes.
///
/// serde only borrows a `Cow` that is a field of its own; inside an
/// `Option` it would always allocate.
#[derive(Debug, Deserialize)]
pub(crate) struct Text<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(borrow, default, rename = "authorizationToken")]
    authorization_token: Option<Text<'a>>,
    #[serde(borrow, default, rename = "methodArn")]
    method_arn: Option<Text<'a>>,
    #[serde(borrow, default)]
    headers: Option<AuthorizationHeader<'a>>,
}

/// The value of the `Authorization` header in any letter case; other headers are skipped.
struct AuthorizationHeader<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for AuthorizationHeader<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = AuthorizationHeader<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of headers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = None;
                while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
                    if name.eq_ignore_ascii_case("authorization") {
                        let value: Option<Text<'de>> = map.next_value()?;
                        found = found.or(value.map(|t| t.0));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(AuthorizationHeader(found))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Parses an event's JSON text.
pub fn parse(json: &str) -> Result<AuthorizerEvent<'_>, BadEvent> {
    let raw: RawEvent<'_> =
        serde_json::from_str(json).map_err(|e| BadEvent::Shape(e.to_string()))?;
    let token = raw.authorization_token.map(|t| t.0);
    let header = raw.headers.and_then(|h| h.0);
    let authorization = match raw.kind.as_ref().map(|k| k.0.as_ref()) {
        Some("TOKEN") => token,
        Some("REQUEST") => header,
        None => token.or(header),
        Some(_) => return Err(BadEvent::Type),
    };
    let method_arn = raw.method_arn.ok_or(BadEvent::NoMethodArn)?.0;
    let authorization = authorization
        .filter(|a| !a.trim().is_empty())
        .ok_or(BadEvent::NoToken)?;
    Ok(AuthorizerEvent {
        authorization,
        method_arn,
    })
}

/// Strips an optional `Bearer ` scheme (any letter case); the rest must be one word.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let value = authorization.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_start(),
        Some(_) => return None,
        None => value,
    };
    (!token.is_empty() && !has_whitespace(token)).then_some(token)
}

/// `text.contains(char::is_whitespace)`, as a byte scan when the text is
/// ASCII (as every well-formed token is): the ASCII characters that
/// `char::is_whitespace` accepts are exactly `\t`, `\n`, `\x0B`, `\x0C`, `\r`
/// and space. Chunks of 32 bytes without an early exit inside let the
/// compiler vectorize the scan; the char-by-char search costs ~1.2 ns a byte.
fn has_whitespace(text: &str) -> bool {
    let is_space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    if !text.is_ascii() {
        return text.contains(char::is_whitespace);
    }
    let mut chunks = text.as_bytes().chunks_exact(32);
    for chunk in &mut chunks {
        if chunk
            .iter()
            .fold(0u8, |hits, &b| hits | u8::from(is_space(b)))
            != 0
        {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| is_space(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/book";

    #[test]
    fn token_and_request_events_yield_the_token() {
        let cases = [
            (
                format!(
                    r#"{{"type":"TOKEN","authorizationToken":"Bearer t","methodArn":"{ARN}"}}"#
                ),
                "Bearer t",
            ),
            (
                format!(
                    r#"{{"type":"REQUEST","methodArn":"{ARN}","headers":{{"Authorization":"t"}}}}"#
                ),
                "t",
            ),
            (
                format!(
                    r#"{{"type":"REQUEST","methodArn":"{ARN}","headers":{{"host":"h","authorization":"t"}},"multiValueHeaders":{{"a":["b"]}}}}"#
                ),
                "t",
            ),
            (
                format!(
                    r#"{{"type":"REQUEST","methodArn":"{ARN}","headers":{{"AUTHORIZATION":"t","x":null}}}}"#
                ),
                "t",
            ),
            (
                format!(r#"{{"authorizationToken":"t","methodArn":"{ARN}"}}"#),
                "t",
            ),
            (
                format!(
                    r#"{{"type":"TOKEN","authorizationToken":"esc\u0061ped","methodArn":"{ARN}"}}"#
                ),
                "escaped",
            ),
            (
                format!(
                    r#"{{"type":"TOKEN","authorizationToken":"t","methodArn":"{}"}}"#,
                    ARN.replace('/', "\\/")
                ),
                "t",
            ),
        ];
        for (json, token) in cases {
            let event = parse(&json).unwrap();
            assert_eq!(event.authorization, token, "{json}");
            assert_eq!(event.method_arn, ARN);
        }
    }

    #[test]
    fn unusable_events_are_bad_requests_not_errors() {
        type Check = fn(&BadEvent) -> bool;
        let cases: [(String, Check); 10] = [
            ("".into(), |e| matches!(e, BadEvent::Shape(_))),
            // serde reads a struct from a sequence too; an empty one has no fields.
            ("[]".into(), |e| *e == BadEvent::NoMethodArn),
            ("null".into(), |e| matches!(e, BadEvent::Shape(_))),
            (
                r#"{"type":"TOKEN","authorizationToken":5,"methodArn":"a"}"#.into(),
                |e| matches!(e, BadEvent::Shape(_)),
            ),
            (
                r#"{"type":"OTHER","authorizationToken":"t","methodArn":"a"}"#.into(),
                |e| *e == BadEvent::Type,
            ),
            (r#"{"type":"TOKEN","authorizationToken":"t"}"#.into(), |e| {
                *e == BadEvent::NoMethodArn
            }),
            (
                r#"{"type":"TOKEN","authorizationToken":"t","methodArn":null}"#.into(),
                |e| *e == BadEvent::NoMethodArn,
            ),
            (
                r#"{"type":"TOKEN","authorizationToken":null,"methodArn":"a"}"#.into(),
                |e| *e == BadEvent::NoToken,
            ),
            (
                r#"{"type":"REQUEST","methodArn":"a","headers":null}"#.into(),
                |e| *e == BadEvent::NoToken,
            ),
            (
                r#"{"type":"REQUEST","methodArn":"a","headers":{"Authorization":"  "}}"#.into(),
                |e| *e == BadEvent::NoToken,
            ),
        ];
        for (json, check) in cases {
            let err = parse(&json).unwrap_err();
            assert!(check(&err), "{json}: {err:?}");
        }
    }

    #[test]
    fn the_whitespace_scan_agrees_with_char_is_whitespace() {
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            // In the tail, and inside a 32-byte chunk (ASCII or not).
            let texts = [
                format!("ab{c}cd"),
                format!("{}{c}{}", "x".repeat(20), "y".repeat(40)),
            ];
            for text in texts {
                let expected = text.contains(char::is_whitespace);
                assert_eq!(has_whitespace(&text), expected, "{c:?} in {text:?}");
            }
        }
        assert!(!has_whitespace("a.b.c"));
        assert!(!has_whitespace(""));
        assert!(!has_whitespace(&"x".repeat(64)));
    }

    #[test]
    fn bearer_scheme_is_optional_and_case_insensitive() {
        let cases = [
            ("a.b.c", Some("a.b.c")),
            ("Bearer a.b.c", Some("a.b.c")),
            ("bearer a.b.c", Some("a.b.c")),
            ("BEARER   a.b.c", Some("a.b.c")),
            (" Bearer a.b.c ", Some("a.b.c")),
            ("Basic a.b.c", None),
            ("Bearer", Some("Bearer")),
            ("Bearer a b", None),
            ("Bearer ", Some("Bearer")),
        ];
        for (value, expected) in cases {
            assert_eq!(bearer_token(value), expected, "{value:?}");
        }
    }
}
