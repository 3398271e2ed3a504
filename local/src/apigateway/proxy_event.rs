//! The REST API (payload 1.0) Lambda proxy integration: the event API
//! Gateway sends the backend, and the answer it expects back.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::HeaderMap;
use serde_json::{Map, Value, json};
use thiserror::Error;

/// Where the request came from and which API, stage and route took it.
#[derive(Debug, Clone)]
pub struct ProxyContext<'a> {
    /// The account id written into the event.
    pub account_id: &'a str,
    /// The REST API id.
    pub api_id: &'a str,
    /// The stage name.
    pub stage: &'a str,
    /// The matched route's path template, e.g. `/book/{id}`.
    pub resource: &'a str,
    /// A fresh request id.
    pub request_id: &'a str,
    /// The caller's IP address.
    pub source_ip: &'a str,
    /// `requestContext.authorizer`: `principalId` and context strings.
    pub authorizer: Map<String, Value>,
    /// Milliseconds since the epoch.
    pub now_ms: i64,
}

/// The HTTP request being proxied.
#[derive(Debug, Clone, Copy)]
pub struct ProxyRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The raw query string.
    pub query: Option<&'a str>,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
}

/// Builds the proxy event for `request`.
///
/// As JSON rather than with aws_lambda_events' `ApiGatewayProxyRequest`
/// (the HTTP API front uses that crate's 2.0 types): serialized, 1.2.1's
/// type writes `{}` for absent headers, query and path parameters and stage
/// variables, where REST APIs send `null`, and has no `extendedRequestId`
/// or `identity.principalOrgId` (measured with `serde_json::to_string` of
/// its `Default`).
pub fn build_event(request: &ProxyRequest<'_>, context: &ProxyContext<'_>) -> Value {
    let (headers, multi_headers) = header_maps(request.headers);
    let (query, multi_query) = query_maps(request.query);
    let host = request
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let user_agent = request
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok());
    let (body, is_base64) = match (request.body.is_empty(), std::str::from_utf8(request.body)) {
        (true, _) => (Value::Null, false),
        (false, Ok(text)) => (Value::String(text.to_string()), false),
        (false, Err(_)) => (Value::String(STANDARD.encode(request.body)), true),
    };
    let path_parameters =
        path_parameters(context.resource, request.path).map_or(Value::Null, Value::Object);
    json!({
        "resource": context.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "accountId": context.account_id,
            "apiId": context.api_id,
            "authorizer": context.authorizer,
            "domainName": host,
            "domainPrefix": host.split(['.', ':']).next().unwrap_or(host),
            "extendedRequestId": context.request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": null, "accountId": null, "caller": null, "cognitoAuthenticationProvider": null,
                "cognitoAuthenticationType": null, "cognitoIdentityId": null, "cognitoIdentityPoolId": null,
                "principalOrgId": null, "sourceIp": context.source_ip, "user": null, "userAgent": user_agent,
                "userArn": null,
            },
            "path": format!("/{}{}", context.stage, request.path),
            "protocol": "HTTP/1.1",
            "requestId": context.request_id,
            "requestTime": request_time(context.now_ms),
            "requestTimeEpoch": context.now_ms,
            "resourceId": "local",
            "resourcePath": context.resource,
            "stage": context.stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// Single-value headers keep the last value, as API Gateway does; both
/// maps are `null` when there are no headers.
fn header_maps(headers: &HeaderMap) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        single.insert(name.as_str().to_string(), Value::String(value.clone()));
        push(&mut multi, name.as_str(), value);
    }
    nullable(single, multi)
}

fn query_maps(query: Option<&str>) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        single.insert(key.to_string(), Value::String(value.to_string()));
        push(&mut multi, &key, value.into_owned());
    }
    nullable(single, multi)
}

fn push(multi: &mut Map<String, Value>, key: &str, value: String) {
    match multi.get_mut(key) {
        Some(Value::Array(list)) => list.push(Value::String(value)),
        _ => {
            multi.insert(key.to_string(), Value::Array(vec![Value::String(value)]));
        }
    }
}

fn nullable(single: Map<String, Value>, multi: Map<String, Value>) -> (Value, Value) {
    if single.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (Value::Object(single), Value::Object(multi))
    }
}

/// Values of `{name}` and `{name+}` segments of `resource` in `path`, or
/// `None` when the route has no parameters (API Gateway sends `null`).
pub fn path_parameters(resource: &str, path: &str) -> Option<Map<String, Value>> {
    let mut params = Map::new();
    let mut values = path.trim_start_matches('/').split('/');
    for segment in resource.trim_start_matches('/').split('/') {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            values.next();
            continue;
        };
        let value = match name.strip_suffix('+') {
            Some(greedy) => {
                let rest: Vec<&str> = values.by_ref().collect();
                params.insert(greedy.to_string(), Value::String(rest.join("/")));
                continue;
            }
            None => values.next().unwrap_or_default(),
        };
        params.insert(name.to_string(), Value::String(value.to_string()));
    }
    (!params.is_empty()).then_some(params)
}

/// `dd/Mon/yyyy:HH:mm:ss +0000`, the format of `requestContext.requestTime`.
fn request_time(now_ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // A clock outside time's range (year ±9999) is no clock a test runs on.
    let at = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let month = MONTHS[usize::from(u8::from(at.month()) - 1)];
    format!(
        "{:02}/{month}/{}:{:02}:{:02}:{:02} +0000",
        at.day(),
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Why a backend's answer is not a proxy integration response.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProxyResponseError {
    /// Not an object with an integer `statusCode` in 100..=599.
    #[error("statusCode is missing or invalid")]
    Status,
    /// `headers` or `multiValueHeaders` hold non-string values.
    #[error("headers must map names to strings (or lists of strings)")]
    Headers,
    /// `body` is not a string, or not base64 while `isBase64Encoded` says it is.
    #[error("body is not a string or not valid base64")]
    Body,
}

/// A backend's answer, ready to send to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers in order; multi-value headers repeat the name.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

/// Reads the backend's `{statusCode, headers, multiValueHeaders, body, isBase64Encoded}`.
pub fn parse_response(answer: &Value) -> Result<ProxyResponse, ProxyResponseError> {
    let status = answer
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s))
        .ok_or(ProxyResponseError::Status)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(multi) = non_null(answer.get("multiValueHeaders")) {
        for (name, values) in multi.as_object().ok_or(ProxyResponseError::Headers)? {
            for value in values.as_array().ok_or(ProxyResponseError::Headers)? {
                headers.push(header(name, value)?);
            }
        }
    }
    if let Some(single) = non_null(answer.get("headers")) {
        for (name, value) in single.as_object().ok_or(ProxyResponseError::Headers)? {
            // Like API Gateway, a name in both maps is sent with the
            // multi-value list only.
            if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                headers.push(header(name, value)?);
            }
        }
    }
    let body = match non_null(answer.get("body")) {
        None => Vec::new(),
        Some(Value::String(text)) if answer.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            STANDARD
                .decode(text)
                .map_err(|_| ProxyResponseError::Body)?
        }
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(_) => return Err(ProxyResponseError::Body),
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}

/// One header of a proxy answer; values must be strings.
fn header(name: &str, value: &Value) -> Result<(String, String), ProxyResponseError> {
    let value = value.as_str().ok_or(ProxyResponseError::Headers)?;
    Ok((name.to_string(), value.to_string()))
}

fn non_null(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn path_parameters_follow_the_template() {
        let cases = [
            ("/book", "/book", None),
            ("/book/{id}", "/book/42", Some(json!({"id": "42"}))),
            (
                "/a/{x}/b/{y}",
                "/a/1/b/2",
                Some(json!({"x": "1", "y": "2"})),
            ),
            (
                "/files/{path+}",
                "/files/a/b/c",
                Some(json!({"path": "a/b/c"})),
            ),
        ];
        for (resource, path, expected) in cases {
            assert_eq!(
                path_parameters(resource, path).map(Value::Object),
                expected,
                "{resource}"
            );
        }
    }

    #[test]
    fn request_time_uses_api_gateway_format() {
        let cases = [
            (0, "01/Jan/1970:00:00:00 +0000"),
            (1_709_210_096_000, "29/Feb/2024:12:34:56 +0000"),
        ];
        for (ms, expected) in cases {
            assert_eq!(request_time(ms), expected);
        }
    }

    #[test]
    fn events_carry_request_and_authorizer() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        headers.append("x-multi", HeaderValue::from_static("a"));
        headers.append("x-multi", HeaderValue::from_static("b"));
        let request = ProxyRequest {
            method: "POST",
            path: "/book/7",
            query: Some("q=1&q=2&x=a%20b"),
            headers: &headers,
            body: br#"{"title":"x"}"#,
        };
        let mut authorizer = Map::new();
        authorizer.insert("principalId".into(), json!("c1"));
        let context = ProxyContext {
            account_id: "000000000000",
            api_id: "abc",
            stage: "Prod",
            resource: "/book/{id}",
            request_id: "rid",
            source_ip: "127.0.0.1",
            authorizer,
            now_ms: 0,
        };
        let event = build_event(&request, &context);
        assert_eq!(event["resource"], "/book/{id}");
        assert_eq!(event["pathParameters"], json!({"id": "7"}));
        assert_eq!(event["headers"]["x-multi"], "b");
        assert_eq!(event["multiValueHeaders"]["x-multi"], json!(["a", "b"]));
        assert_eq!(
            event["queryStringParameters"],
            json!({"q": "2", "x": "a b"})
        );
        assert_eq!(
            event["multiValueQueryStringParameters"]["q"],
            json!(["1", "2"])
        );
        assert_eq!(event["body"], r#"{"title":"x"}"#);
        assert_eq!(event["isBase64Encoded"], false);
        assert_eq!(event["requestContext"]["authorizer"]["principalId"], "c1");
        assert_eq!(event["requestContext"]["path"], "/Prod/book/7");
        assert_eq!(event["requestContext"]["resourcePath"], "/book/{id}");

        let empty = HeaderMap::new();
        let bare = ProxyRequest {
            method: "GET",
            path: "/book",
            query: None,
            headers: &empty,
            body: b"",
        };
        let event = build_event(&bare, &context);
        for key in [
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "body",
        ] {
            assert!(event[key].is_null(), "{key}");
        }
    }

    #[test]
    fn responses_are_read_or_rejected() {
        let ok = parse_response(&json!({
            "statusCode": 201,
            "headers": {"content-type": "text/plain", "x-a": "single"},
            "multiValueHeaders": {"x-a": ["1", "2"]},
            "body": "aGk=",
            "isBase64Encoded": true
        }))
        .unwrap();
        assert_eq!(ok.status, 201);
        assert_eq!(ok.body, b"hi");
        let names: Vec<(&str, &str)> = ok
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            names,
            [("x-a", "1"), ("x-a", "2"), ("content-type", "text/plain")]
        );

        let cases = [
            (json!({"body": "x"}), ProxyResponseError::Status),
            (json!({"statusCode": "200"}), ProxyResponseError::Status),
            (json!({"statusCode": 99}), ProxyResponseError::Status),
            (
                json!({"statusCode": 200, "headers": {"a": 1}}),
                ProxyResponseError::Headers,
            ),
            (
                json!({"statusCode": 200, "multiValueHeaders": {"a": "x"}}),
                ProxyResponseError::Headers,
            ),
            (
                json!({"statusCode": 200, "body": {"a": 1}}),
                ProxyResponseError::Body,
            ),
            (
                json!({"statusCode": 200, "body": "@@", "isBase64Encoded": true}),
                ProxyResponseError::Body,
            ),
        ];
        for (answer, expected) in cases {
            assert_eq!(parse_response(&answer), Err(expected), "{answer}");
        }
    }
}
