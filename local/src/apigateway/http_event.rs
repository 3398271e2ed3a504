//! The payload 2.0 events an HTTP API sends: the REQUEST event to its Lambda
//! authorizer (`routeArn`, `identitySource`, ...) and the proxy event to the
//! backend, both built with aws_lambda_events' types. Both carry the request
//! as HTTP APIs give it: lower-cased headers with repeated ones joined by
//! commas, cookies apart, repeated query parameters joined by commas, the
//! raw path (stage included) and `requestContext.http`.

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpRequest,
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::{HeaderMap, Method};
use serde_json::Value;

use crate::apigateway::proxy_event::path_parameters;

/// The request as it reached the HTTP API.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path as requested (stage included), without the query.
    pub raw_path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
    /// The caller's IP address.
    pub source_ip: &'a str,
}

/// Which API, stage and route took the request.
#[derive(Debug, Clone, Copy)]
pub struct HttpRoute<'a> {
    /// The account id.
    pub account_id: &'a str,
    /// The HTTP API's id.
    pub api_id: &'a str,
    /// The stage name (`$default` for the default stage).
    pub stage: &'a str,
    /// The matched route's key, e.g. `GET /book/{id}` or `$default`.
    pub route_key: &'a str,
    /// The route's path template (for path parameters), `None` for `$default`.
    pub route_path: Option<&'a str>,
    /// The path inside the stage, e.g. `/book/7`.
    pub path_in_stage: &'a str,
    /// The request id.
    pub request_id: &'a str,
    /// Milliseconds since the epoch.
    pub now_ms: i64,
}

/// The headers HTTP APIs pass on: names lower-cased (as `HeaderMap` keeps
/// them), repeated values joined with commas, without `cookie`.
fn joined_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in headers.keys() {
        if name == "cookie" {
            continue;
        }
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if let Ok(value) = values.join(",").parse() {
            out.insert(name.clone(), value);
        }
    }
    out
}

/// The `cookie` headers' cookies, one entry each.
fn cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Query parameters with repeated values joined by commas.
fn query_parameters(query: Option<&str>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        out.entry(key.into_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    out
}

/// `dd/Mon/yyyy:HH:mm:ss +0000`, the format of `requestContext.time`.
fn request_time(now_ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let month = &format!("{:?}", at.month())[..3];
    format!(
        "{:02}/{month}/{}:{:02}:{:02}:{:02} +0000",
        at.day(),
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn request_context(
    request: &HttpRequest<'_>,
    route: &HttpRoute<'_>,
) -> ApiGatewayV2httpRequestContext {
    let host = request
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = request.method.clone();
    http.path = Some(request.raw_path.to_owned());
    http.protocol = Some("HTTP/1.1".to_owned());
    http.source_ip = Some(request.source_ip.to_owned());
    http.user_agent = Some(
        request
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    );
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route.route_key.to_owned());
    context.account_id = Some(route.account_id.to_owned());
    context.stage = Some(route.stage.to_owned());
    context.request_id = Some(route.request_id.to_owned());
    context.apiid = Some(route.api_id.to_owned());
    context.domain_name = Some(host.to_owned());
    context.domain_prefix = Some(host.split(['.', ':']).next().unwrap_or(host).to_owned());
    context.time = Some(request_time(route.now_ms));
    context.time_epoch = route.now_ms;
    context.http = http;
    context
}

fn path_params(route: &HttpRoute<'_>) -> HashMap<String, String> {
    route
        .route_path
        .and_then(|template| path_parameters(template, route.path_in_stage))
        .map(|params| {
            params
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The route ARN the authorizer is given:
/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>`.
pub fn route_arn(region: &str, route: &HttpRoute<'_>, method: &Method) -> String {
    format!(
        "arn:aws:execute-api:{region}:{}:{}/{}/{}/{}",
        route.account_id,
        route.api_id,
        route.stage,
        method,
        route.path_in_stage.trim_start_matches('/')
    )
}

/// The payload 2.0 REQUEST event for the authorizer, with the identity
/// sources' values in their configured order.
pub fn authorizer_event(
    request: &HttpRequest<'_>,
    route: &HttpRoute<'_>,
    route_arn: &str,
    identity_source: Vec<String>,
) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
    event.version = Some("2.0".to_owned());
    event.type_ = Some("REQUEST".to_owned());
    event.route_arn = Some(route_arn.to_owned());
    event.identity_source = Some(identity_source);
    event.route_key = Some(route.route_key.to_owned());
    event.raw_path = Some(request.raw_path.to_owned());
    event.raw_query_string = Some(request.query.unwrap_or_default().to_owned());
    event.cookies = cookies(request.headers);
    event.headers = joined_headers(request.headers);
    event.query_string_parameters = query_parameters(request.query);
    event.request_context = request_context(request, route);
    event.path_parameters = path_params(route);
    event
}

/// The payload 2.0 proxy event for the backend; `lambda` is the
/// authorizer's context (`requestContext.authorizer.lambda`).
pub fn proxy_event(
    request: &HttpRequest<'_>,
    route: &HttpRoute<'_>,
    lambda: HashMap<String, Value>,
) -> ApiGatewayV2httpRequest {
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_owned());
    event.route_key = Some(route.route_key.to_owned());
    event.raw_path = Some(request.raw_path.to_owned());
    event.raw_query_string = Some(request.query.unwrap_or_default().to_owned());
    let cookies = cookies(request.headers);
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.headers = joined_headers(request.headers);
    let query: HashMap<String, Vec<String>> = query_parameters(request.query)
        .into_iter()
        .map(|(k, v)| (k, vec![v]))
        .collect();
    event.query_string_parameters = QueryMap::from(query);
    event.path_parameters = path_params(route);
    let mut context = request_context(request, route);
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.fields = lambda;
    context.authorizer = Some(authorizer);
    event.request_context = context;
    (event.body, event.is_base64_encoded) =
        match (request.body.is_empty(), std::str::from_utf8(request.body)) {
            (true, _) => (None, false),
            (false, Ok(text)) => (Some(text.to_owned()), false),
            (false, Err(_)) => (Some(STANDARD.encode(request.body)), true),
        };
    event
}

/// Fields aws_lambda_events keeps for payload 1.0 authorizer events, which
/// a 2.0 proxy event never has.
const NOT_IN_2_0: [&str; 5] = [
    "type",
    "methodArn",
    "httpMethod",
    "identitySource",
    "authorizationToken",
];

/// Fields HTTP APIs leave out when they are empty, which the types write as
/// `{}` or `[]`.
const OMITTED_WHEN_EMPTY: [&str; 4] = [
    "cookies",
    "queryStringParameters",
    "pathParameters",
    "stageVariables",
];

/// `event` as JSON, without `drop` and without the empty fields HTTP APIs omit.
fn as_sent(event: &impl serde::Serialize, drop: &[&str]) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        for field in drop {
            map.remove(*field);
        }
        for field in OMITTED_WHEN_EMPTY {
            let empty = match map.get(field) {
                Some(Value::Object(o)) => o.is_empty(),
                Some(Value::Array(a)) => a.is_empty(),
                _ => false,
            };
            if empty {
                map.remove(field);
            }
        }
    }
    value
}

/// A proxy event as JSON, as an HTTP API sends it.
pub fn proxy_event_json(event: &ApiGatewayV2httpRequest) -> Value {
    as_sent(event, &NOT_IN_2_0)
}

/// An authorizer event as JSON, as an HTTP API sends it.
pub fn authorizer_event_json(event: &ApiGatewayV2CustomAuthorizerV2Request) -> Value {
    as_sent(event, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers() -> HeaderMap {
        let mut map = HeaderMap::new();
        map.append("Authorization", "Bearer t".parse().unwrap());
        map.append("X-Multi", "a".parse().unwrap());
        map.append("X-Multi", "b".parse().unwrap());
        map.append("Cookie", "s=1; t=2".parse().unwrap());
        map.append("Host", "127.0.0.1:3001".parse().unwrap());
        map
    }

    fn route() -> HttpRoute<'static> {
        HttpRoute {
            account_id: "000000000000",
            api_id: "api1",
            stage: "Prod",
            route_key: "GET /book/{id}",
            route_path: Some("/book/{id}"),
            path_in_stage: "/book/7",
            request_id: "r1",
            now_ms: 1_700_000_000_123,
        }
    }

    #[test]
    fn authorizer_events_are_payload_2_0_requests() {
        let headers = headers();
        let request = HttpRequest {
            method: &Method::GET,
            raw_path: "/Prod/book/7",
            query: Some("a=1&a=2&b=x"),
            headers: &headers,
            body: b"ignored",
            source_ip: "127.0.0.1",
        };
        let arn = route_arn("us-east-1", &route(), &Method::GET);
        assert_eq!(
            arn,
            "arn:aws:execute-api:us-east-1:000000000000:api1/Prod/GET/book/7"
        );
        let event = authorizer_event_json(&authorizer_event(
            &request,
            &route(),
            &arn,
            vec!["Bearer t".into(), "GET /book/{id}".into()],
        ));
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["type"], "REQUEST");
        assert_eq!(event["routeArn"], arn);
        assert_eq!(event["routeKey"], "GET /book/{id}");
        assert_eq!(
            event["identitySource"],
            json!(["Bearer t", "GET /book/{id}"])
        );
        assert_eq!(event["rawPath"], "/Prod/book/7");
        assert_eq!(event["rawQueryString"], "a=1&a=2&b=x");
        assert_eq!(
            event["queryStringParameters"],
            json!({"a": "1,2", "b": "x"})
        );
        assert_eq!(event["headers"]["authorization"], "Bearer t");
        assert_eq!(event["headers"]["x-multi"], "a,b");
        assert!(event["headers"].get("cookie").is_none());
        assert_eq!(event["cookies"], json!(["s=1", "t=2"]));
        assert_eq!(event["pathParameters"], json!({"id": "7"}));
        assert_eq!(event["requestContext"]["http"]["method"], "GET");
        assert_eq!(event["requestContext"]["http"]["path"], "/Prod/book/7");
        assert_eq!(event["requestContext"]["routeKey"], "GET /book/{id}");
        assert_eq!(event["requestContext"]["stage"], "Prod");
        assert_eq!(event["requestContext"]["apiId"], "api1");
        assert_eq!(
            event["requestContext"]["time"],
            "14/Nov/2023:22:13:20 +0000"
        );
        assert_eq!(event["requestContext"]["timeEpoch"], 1_700_000_000_123_i64);
        assert!(event.get("body").is_none());
        assert!(event["requestContext"].get("authorizer").is_none());
    }

    #[test]
    fn proxy_events_carry_the_authorizer_context_under_lambda() {
        let headers = headers();
        let request = HttpRequest {
            method: &Method::POST,
            raw_path: "/Prod/book/7",
            query: None,
            headers: &headers,
            body: b"{\"a\":1}",
            source_ip: "127.0.0.1",
        };
        let lambda = HashMap::from([("sub".to_owned(), json!("c1")), ("n".to_owned(), json!(3))]);
        let event = proxy_event_json(&proxy_event(&request, &route(), lambda));
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "GET /book/{id}");
        assert_eq!(
            event["requestContext"]["authorizer"],
            json!({"lambda": {"sub": "c1", "n": 3}})
        );
        assert_eq!(event["body"], "{\"a\":1}");
        assert_eq!(event["isBase64Encoded"], false);
        assert_eq!(event["rawQueryString"], "");
        assert_eq!(event["requestContext"]["http"]["method"], "POST");
        for absent in NOT_IN_2_0
            .iter()
            .chain(&["queryStringParameters", "stageVariables"])
        {
            assert!(event.get(absent).is_none(), "{absent}");
        }
        // lambda_http reads it back as the 2.0 type.
        let back: ApiGatewayV2httpRequest = serde_json::from_value(event).unwrap();
        assert_eq!(back.request_context.http.method, Method::POST);
        assert_eq!(back.cookies.unwrap(), ["s=1", "t=2"]);
    }

    #[test]
    fn binary_bodies_are_base64() {
        let headers = HeaderMap::new();
        let request = HttpRequest {
            method: &Method::POST,
            raw_path: "/Prod/book/7",
            query: None,
            headers: &headers,
            body: &[0xff, 0x00],
            source_ip: "127.0.0.1",
        };
        let event = proxy_event_json(&proxy_event(&request, &route(), HashMap::new()));
        assert_eq!(event["body"], "/wA=");
        assert_eq!(event["isBase64Encoded"], true);
    }
}
