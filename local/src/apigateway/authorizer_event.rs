//! The REQUEST event API Gateway sends a Lambda authorizer: the request as
//! the proxy integration would see it (same headers, parameters and request
//! context), without the body and the authorizer's own context, plus `type`
//! and `methodArn`. The TOKEN event is [`token_event`](crate::apigateway::api_front::token_event).

use serde_json::Value;

use crate::apigateway::proxy_event::{ProxyContext, ProxyRequest, build_event};

/// A REQUEST authorizer event for `request`, called as `method_arn`.
pub fn request_event(
    request: &ProxyRequest<'_>,
    context: &ProxyContext<'_>,
    method_arn: &str,
) -> Value {
    let mut event = build_event(request, context);
    if let Some(map) = event.as_object_mut() {
        map.remove("body");
        map.remove("isBase64Encoded");
        if let Some(request_context) = map.get_mut("requestContext").and_then(Value::as_object_mut)
        {
            request_context.remove("authorizer");
        }
        map.insert("type".into(), "REQUEST".into());
        map.insert("methodArn".into(), method_arn.into());
    }
    event
}

#[cfg(test)]
mod tests {
    use hyper::HeaderMap;
    use serde_json::Map;

    use super::*;

    #[test]
    fn request_events_carry_the_request_but_no_body_or_authorizer_context() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer t".parse().unwrap());
        let mut authorizer = Map::new();
        authorizer.insert("principalId".into(), "p".into());
        let event = request_event(
            &ProxyRequest {
                method: "GET",
                path: "/book/7",
                query: Some("a=1"),
                headers: &headers,
                body: b"ignored",
            },
            &ProxyContext {
                account_id: "000000000000",
                api_id: "api1",
                stage: "prod",
                resource: "/book/{id}",
                request_id: "r1",
                source_ip: "127.0.0.1",
                authorizer,
                now_ms: 0,
            },
            "arn:aws:execute-api:us-east-1:000000000000:api1/prod/GET/book/7",
        );
        assert_eq!(event["type"], "REQUEST");
        assert_eq!(
            event["methodArn"],
            "arn:aws:execute-api:us-east-1:000000000000:api1/prod/GET/book/7"
        );
        assert_eq!(event["headers"]["authorization"], "Bearer t");
        assert_eq!(event["pathParameters"]["id"], "7");
        assert_eq!(event["queryStringParameters"]["a"], "1");
        assert_eq!(event["resource"], "/book/{id}");
        for absent in ["body", "isBase64Encoded"] {
            assert!(event.get(absent).is_none(), "{absent}");
        }
        assert!(event["requestContext"].get("authorizer").is_none());
    }
}
