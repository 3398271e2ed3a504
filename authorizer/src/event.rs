//! Reading API Gateway authorizer events leniently: REST TOKEN and REQUEST
//! events (and HTTP API payload 1.0, which has their shape) and HTTP API
//! payload 2.0 REQUEST events, told apart by `version`. Any shape problem
//! becomes a [`BadEvent`], never a runtime deserialization error.
//!
//! The events are read borrowing from their text and skipping what the
//! decision does not need (a 2.0 event is mostly headers and request
//! context), so a 2.0 event costs about what a TOKEN event does; the
//! aws_lambda_events request types would copy every header into a map.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use thiserror::Error;

/// The payload format version of HTTP API events with `routeArn` and `routeKey`.
pub const HTTP_PAYLOAD_VERSION: &str = "2.0";

/// The `routeKey` of an HTTP API's catch-all route.
pub const DEFAULT_ROUTE_KEY: &str = "$default";

/// Why an event could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BadEvent {
    /// Not a JSON object of the expected shape.
    #[error("event is not an authorizer event: {0}")]
    Shape(String),
    /// `type` is neither `TOKEN` nor `REQUEST` (only `REQUEST` for payload 2.0).
    #[error("unsupported event type")]
    Type,
    /// `version` is neither `1.0` nor `2.0`.
    #[error("unsupported payload format version")]
    Version,
    /// `methodArn` is missing or null.
    #[error("event has no methodArn")]
    NoMethodArn,
    /// A payload 2.0 event's `routeArn` is missing or null.
    #[error("event has no routeArn")]
    NoRouteArn,
    /// A payload 2.0 event names no route: no `routeKey`, or `$default`
    /// without `requestContext.http.method` and `rawPath`.
    #[error("event names no route (routeKey, or requestContext.http.method and rawPath)")]
    NoRoute,
    /// No token in `authorizationToken`, the identity source or the `Authorization` header.
    #[error("event carries no token")]
    NoToken,
}

/// Which kind of API Gateway API sent an event, hence the answer it expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// A REST API (TOKEN or REQUEST), or an HTTP API with payload 1.0:
    /// an IAM policy, or the `Unauthorized` error.
    Rest,
    /// An HTTP API with payload 2.0: a simple answer or an IAM policy.
    Http,
}

/// How an event names the called route.
#[derive(Debug, PartialEq, Eq)]
pub enum CalledRoute<'a> {
    /// By the method and path in the method ARN (REST).
    Arn,
    /// By an HTTP API `routeKey` such as `GET /book/{id}`.
    Key(Cow<'a, str>),
    /// By the request itself, for the `$default` route: the method and the
    /// raw path, which starts with the stage on a named stage.
    Request {
        /// `requestContext.http.method`.
        method: Cow<'a, str>,
        /// `rawPath`.
        raw_path: Cow<'a, str>,
        /// `requestContext.stage`.
        stage: Option<Cow<'a, str>>,
    },
}

/// The parts of an authorizer event the decision needs, borrowed from the event text.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthorizerEvent<'a> {
    /// The identity source value: `Bearer <jwt>` or a raw JWT.
    pub authorization: Cow<'a, str>,
    /// The ARN of the method being called: `methodArn`, or a 2.0 event's
    /// `routeArn` (the same shape).
    pub method_arn: Cow<'a, str>,
    /// How the event names the called route.
    pub route: CalledRoute<'a>,
}

impl AuthorizerEvent<'_> {
    /// The kind of API that sent the event.
    pub fn payload(&self) -> Payload {
        match self.route {
            CalledRoute::Arn => Payload::Rest,
            CalledRoute::Key(_) | CalledRoute::Request { .. } => Payload::Http,
        }
    }
}

/// A JSON string, borrowed from the input unless it has escapes.
///
/// serde only borrows a `Cow` that is a field of its own; inside an
/// `Option` it would always allocate.
#[derive(Debug, Deserialize)]
pub(crate) struct Text<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow, default)]
    version: Option<Text<'a>>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(borrow, default, rename = "authorizationToken")]
    authorization_token: Option<Text<'a>>,
    #[serde(borrow, default, rename = "methodArn")]
    method_arn: Option<Text<'a>>,
    #[serde(borrow, default)]
    headers: Option<AuthorizationHeader<'a>>,
    #[serde(borrow, default, rename = "routeArn")]
    route_arn: Option<Text<'a>>,
    #[serde(borrow, default, rename = "routeKey")]
    route_key: Option<Text<'a>>,
    #[serde(borrow, default, rename = "identitySource")]
    identity_source: Option<Vec<Option<Text<'a>>>>,
    #[serde(borrow, default, rename = "rawPath")]
    raw_path: Option<Text<'a>>,
    #[serde(borrow, default, rename = "requestContext")]
    request_context: Option<RawRequestContext<'a>>,
}

/// The parts of a 2.0 event's `requestContext` that name a `$default` request.
#[derive(Deserialize)]
struct RawRequestContext<'a> {
    #[serde(borrow, default)]
    http: Option<RawHttp<'a>>,
    #[serde(borrow, default)]
    stage: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawHttp<'a> {
    #[serde(borrow, default)]
    method: Option<Text<'a>>,
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
    match raw.version.as_ref().map(|v| v.0.as_ref()) {
        None | Some("1.0") => parse_rest(raw),
        Some(HTTP_PAYLOAD_VERSION) => parse_http(raw),
        Some(_) => Err(BadEvent::Version),
    }
}

/// A REST TOKEN or REQUEST event (or HTTP API payload 1.0, a REQUEST event).
fn parse_rest(raw: RawEvent<'_>) -> Result<AuthorizerEvent<'_>, BadEvent> {
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
        route: CalledRoute::Arn,
    })
}

/// An HTTP API payload 2.0 REQUEST event.
///
/// The token is the first identity-source value that is not the route key
/// (a `$context.routeKey` source): with caching on, the identity sources
/// are the cache key, so the answer must depend on them alone. Without
/// identity sources the `authorization` header is used.
fn parse_http(raw: RawEvent<'_>) -> Result<AuthorizerEvent<'_>, BadEvent> {
    if raw.kind.as_ref().map(|k| k.0.as_ref()) != Some("REQUEST") {
        return Err(BadEvent::Type);
    }
    let method_arn = raw.route_arn.ok_or(BadEvent::NoRouteArn)?.0;
    let route_key = raw.route_key.map(|k| k.0).ok_or(BadEvent::NoRoute)?;
    let sources = raw.identity_source.unwrap_or_default();
    let from_sources = sources
        .into_iter()
        .flatten()
        .map(|t| t.0)
        .find(|v| !v.trim().is_empty() && *v != route_key);
    let authorization = from_sources
        .or_else(|| raw.headers.and_then(|h| h.0))
        .filter(|a| !a.trim().is_empty())
        .ok_or(BadEvent::NoToken)?;
    let route = if route_key == DEFAULT_ROUTE_KEY {
        let context = raw.request_context.ok_or(BadEvent::NoRoute)?;
        let method = context
            .http
            .and_then(|h| h.method)
            .ok_or(BadEvent::NoRoute)?
            .0;
        let raw_path = raw.raw_path.ok_or(BadEvent::NoRoute)?.0;
        CalledRoute::Request {
            method,
            raw_path,
            stage: context.stage.map(|s| s.0),
        }
    } else {
        CalledRoute::Key(route_key)
    };
    Ok(AuthorizerEvent {
        authorization,
        method_arn,
        route,
    })
}

/// What answering an unusable event needs: which kind of API sent it, and
/// its method or route ARN if it has one.
#[derive(Debug, PartialEq, Eq)]
pub struct Outline<'a> {
    /// The kind of API, from `version`.
    pub payload: Payload,
    /// `methodArn` (REST) or `routeArn` (payload 2.0).
    pub arn: Option<Cow<'a, str>>,
}

/// Reads only `version` and the ARN of an event, however unusable the rest
/// is: `None` if even that is not a JSON object of strings there.
pub fn outline(json: &str) -> Option<Outline<'_>> {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow, default)]
        version: Option<Text<'a>>,
        #[serde(borrow, default, rename = "methodArn")]
        method_arn: Option<Text<'a>>,
        #[serde(borrow, default, rename = "routeArn")]
        route_arn: Option<Text<'a>>,
    }
    let raw: Raw<'_> = serde_json::from_str(json).ok()?;
    let (payload, arn) = match raw.version.as_ref().map(|v| v.0.as_ref()) {
        None | Some("1.0") => (Payload::Rest, raw.method_arn),
        Some(HTTP_PAYLOAD_VERSION) => (Payload::Http, raw.route_arn),
        Some(_) => return None,
    };
    Some(Outline {
        payload,
        arn: arn.map(|t| t.0),
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
    use serde_json::json;

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
            assert_eq!(event.route, CalledRoute::Arn, "{json}");
            assert_eq!(event.payload(), Payload::Rest, "{json}");
        }
    }

    /// An HTTP API payload 2.0 REQUEST event for `GET /book` on stage
    /// `prod`, in the developer guide's shape, with identity sources
    /// `$request.header.Authorization` and `$context.routeKey`.
    fn http_event() -> serde_json::Value {
        json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": ARN,
            "identitySource": ["Bearer t", "GET /book"],
            "routeKey": "GET /book",
            "rawPath": "/prod/book",
            "rawQueryString": "a=1",
            "cookies": ["c=1"],
            "headers": {"authorization": "Bearer t", "host": "abc.execute-api.us-east-1.amazonaws.com"},
            "queryStringParameters": {"a": "1"},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc",
                "domainName": "abc.execute-api.us-east-1.amazonaws.com",
                "http": {"method": "GET", "path": "/prod/book", "protocol": "HTTP/1.1",
                         "sourceIp": "203.0.113.1", "userAgent": "curl/8"},
                "requestId": "id",
                "routeKey": "GET /book",
                "stage": "prod",
                "time": "12/Mar/2020:19:03:58 +0000",
                "timeEpoch": 1583348638390_i64
            },
            "pathParameters": null,
            "stageVariables": {"v": "1"}
        })
    }

    /// `http_event()` with `changes` applied (a `null` removes the key).
    fn http_event_with(changes: serde_json::Value) -> String {
        let mut event = http_event();
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                event.as_object_mut().unwrap().remove(key);
            } else {
                event[key] = value.clone();
            }
        }
        event.to_string()
    }

    #[test]
    fn http_events_yield_token_route_arn_and_route() {
        fn key(k: &'static str) -> CalledRoute<'static> {
            CalledRoute::Key(k.into())
        }
        fn default(method: &'static str, raw_path: &'static str) -> CalledRoute<'static> {
            CalledRoute::Request {
                method: method.into(),
                raw_path: raw_path.into(),
                stage: Some("prod".into()),
            }
        }

        let cases = [
            ("as sent", json!({}), "Bearer t", key("GET /book")),
            (
                "route key first among the sources",
                json!({"identitySource": ["GET /book", "Bearer s"]}),
                "Bearer s",
                key("GET /book"),
            ),
            (
                "the identity source, not another header value",
                json!({"identitySource": ["raw.jwt"], "headers": {"authorization": "Bearer other"}}),
                "raw.jwt",
                key("GET /book"),
            ),
            (
                "no identity sources: the authorization header",
                json!({"identitySource": null}),
                "Bearer t",
                key("GET /book"),
            ),
            (
                "null and blank sources are skipped",
                json!({"identitySource": [null, " ", "GET /book", "t"]}),
                "t",
                key("GET /book"),
            ),
            (
                "a parameterized route",
                json!({"routeKey": "DELETE /book/{id}"}),
                "Bearer t",
                key("DELETE /book/{id}"),
            ),
            (
                "$default: method and raw path",
                json!({"routeKey": "$default", "identitySource": ["Bearer t", "$default"]}),
                "Bearer t",
                default("GET", "/prod/book"),
            ),
        ];
        for (name, changes, token, route) in cases {
            let text = http_event_with(changes);
            let event = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(event.authorization, token, "{name}");
            assert_eq!(event.method_arn, ARN, "{name}");
            assert_eq!(event.route, route, "{name}");
            assert_eq!(event.payload(), Payload::Http, "{name}");
        }
    }

    #[test]
    fn what_aws_lambda_events_writes_is_read() {
        use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
        let mut request = ApiGatewayV2CustomAuthorizerV2Request::default();
        request.version = Some("2.0".into());
        request.type_ = Some("REQUEST".into());
        request.route_arn = Some(ARN.into());
        request.route_key = Some("GET /book".into());
        request.identity_source = Some(vec!["Bearer t".into()]);
        request.raw_path = Some("/prod/book".into());
        request
            .headers
            .insert("authorization", "Bearer t".parse().unwrap());
        let text = serde_json::to_string(&request).unwrap();
        let event = parse(&text).unwrap();
        assert_eq!(event.authorization, "Bearer t");
        assert_eq!(event.route, CalledRoute::Key("GET /book".into()));
    }

    #[test]
    fn unusable_http_events_are_bad_requests_not_errors() {
        type Check = fn(&BadEvent) -> bool;
        let cases: [(&str, serde_json::Value, Check); 11] = [
            (
                "no token anywhere",
                json!({"identitySource": null, "headers": {}}),
                |e| *e == BadEvent::NoToken,
            ),
            (
                "only the route key",
                json!({"identitySource": ["GET /book"], "headers": null}),
                |e| *e == BadEvent::NoToken,
            ),
            ("no routeArn", json!({"routeArn": null}), |e| {
                *e == BadEvent::NoRouteArn
            }),
            ("no routeKey", json!({"routeKey": null}), |e| {
                *e == BadEvent::NoRoute
            }),
            (
                "$default without a method",
                json!({"routeKey": "$default", "requestContext": {"stage": "prod"}}),
                |e| *e == BadEvent::NoRoute,
            ),
            (
                "$default without rawPath",
                json!({"routeKey": "$default", "rawPath": null}),
                |e| *e == BadEvent::NoRoute,
            ),
            ("type TOKEN", json!({"type": "TOKEN"}), |e| {
                *e == BadEvent::Type
            }),
            ("no type", json!({"type": null}), |e| *e == BadEvent::Type),
            ("version 3.0", json!({"version": "3.0"}), |e| {
                *e == BadEvent::Version
            }),
            (
                "identitySource not a list",
                json!({"identitySource": "t"}),
                |e| matches!(e, BadEvent::Shape(_)),
            ),
            ("a number as routeKey", json!({"routeKey": 7}), |e| {
                matches!(e, BadEvent::Shape(_))
            }),
        ];
        for (name, changes, check) in cases {
            let text = http_event_with(changes);
            let err = parse(&text).unwrap_err();
            assert!(check(&err), "{name}: {err:?}");
        }
    }

    #[test]
    fn the_outline_of_an_unusable_event_names_its_api_and_arn() {
        let arn = Some(Cow::Borrowed(ARN));
        let cases = [
            (
                http_event_with(json!({"routeKey": 7})),
                Some((Payload::Http, arn.clone())),
            ),
            (
                http_event_with(json!({"routeArn": null})),
                Some((Payload::Http, None)),
            ),
            (
                format!(r#"{{"type":"TOKEN","authorizationToken":5,"methodArn":"{ARN}"}}"#),
                Some((Payload::Rest, arn)),
            ),
            (r#"{"version":"9"}"#.to_string(), None),
            (r#"{"version":2}"#.to_string(), None),
            ("{".to_string(), None),
        ];
        for (text, expected) in cases {
            let got = outline(&text).map(|o| (o.payload, o.arn));
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn payload_1_0_events_are_read_as_rest_request_events() {
        let text = format!(
            r#"{{"version":"1.0","type":"REQUEST","methodArn":"{ARN}","headers":{{"Authorization":"t"}}}}"#
        );
        let event = parse(&text).unwrap();
        assert_eq!(event.authorization, "t");
        assert_eq!(event.payload(), Payload::Rest);
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
