//! The pure decision: (method, path, caller) to an HTTP answer.

use lambda_http::http::StatusCode;
use lambda_http::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use shared::AuthorizerContext;

use crate::caller::Caller;
use crate::routes::{Endpoint, Lookup, lookup};

/// An answer before it becomes a Lambda HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `Allow` header, for 405 answers.
    pub allow: Option<&'static str>,
    /// The JSON body.
    pub body: Value,
}

impl Reply {
    fn message(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            allow: None,
            body: json!({ "message": message }),
        }
    }

    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            allow: None,
            body,
        }
    }

    /// The Lambda HTTP response: JSON body, `content-type: application/json`.
    pub fn into_response(self) -> Response<Body> {
        let mut response = Response::new(Body::Text(self.body.to_string()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// Decides the answer to `method` on `path` for `caller`.
///
/// The caller is checked first so an unauthenticated request learns nothing
/// about which routes exist; the answer mirrors API Gateway's own 401.
pub fn respond(method: &str, path: &str, caller: Option<&AuthorizerContext>) -> Reply {
    let Some(context) = caller else {
        return Reply::message(StatusCode::UNAUTHORIZED, "Unauthorized");
    };
    let caller = Caller::from(context);
    match lookup(method, path) {
        Lookup::NotFound => Reply::message(StatusCode::NOT_FOUND, "Not Found"),
        Lookup::MethodNotAllowed(allow) => Reply {
            allow: Some(allow),
            ..Reply::message(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        },
        Lookup::Found(Endpoint::AwesomeApi) => Reply::ok(json!({
            "statusCode": 200,
            "message": "Hello From Protected Resource",
            "caller": caller,
        })),
        Lookup::Found(Endpoint::Completed) => Reply::ok(json!({
            "Result": "Success",
            "Description": format!("your {method} for {path} is completed"),
            "caller": caller,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m2m() -> AuthorizerContext {
        AuthorizerContext {
            sub: "m2m-client".into(),
            client_id: "m2m-client".into(),
            scope: "awesomeapi-resource-server/awesomeapi.read API/book.get".into(),
            token_use: "access".into(),
            iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123".into(),
            user_pool_id: "us-east-1_AbCdEf123".into(),
            username: None,
            groups: None,
        }
    }

    fn user() -> AuthorizerContext {
        AuthorizerContext {
            sub: "6b1f-user".into(),
            client_id: "web-client".into(),
            scope: "openid awesomeapi-resource-server/awesomeapi.read".into(),
            token_use: "access".into(),
            iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123".into(),
            user_pool_id: "us-east-1_AbCdEf123".into(),
            username: Some("alice".into()),
            groups: None,
        }
    }

    fn m2m_caller() -> Value {
        json!({
            "client_id": "m2m-client",
            "sub": "m2m-client",
            "scopes": ["awesomeapi-resource-server/awesomeapi.read", "API/book.get"],
            "user_pool_id": "us-east-1_AbCdEf123",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
        })
    }

    fn completed(method: &str, path: &str) -> Value {
        json!({
            "Result": "Success",
            "Description": format!("your {method} for {path} is completed"),
            "caller": m2m_caller(),
        })
    }

    #[test]
    fn answers_every_route_and_every_miss() {
        let unauthorized = json!({"message": "Unauthorized"});
        let cases = [
            (
                "GET",
                "/awesomeapi",
                true,
                200,
                None,
                json!({
                    "statusCode": 200,
                    "message": "Hello From Protected Resource",
                    "caller": m2m_caller(),
                }),
            ),
            ("GET", "/book", true, 200, None, completed("GET", "/book")),
            ("POST", "/book", true, 200, None, completed("POST", "/book")),
            (
                "DELETE",
                "/book/42",
                true,
                200,
                None,
                completed("DELETE", "/book/42"),
            ),
            (
                "GET",
                "/book/42",
                true,
                405,
                Some("DELETE"),
                json!({"message": "Method Not Allowed"}),
            ),
            ("GET", "/user", true, 200, None, completed("GET", "/user")),
            ("POST", "/user", true, 200, None, completed("POST", "/user")),
            (
                "GET",
                "/nope",
                true,
                404,
                None,
                json!({"message": "Not Found"}),
            ),
            (
                "PUT",
                "/book",
                true,
                405,
                Some("GET, POST"),
                json!({"message": "Method Not Allowed"}),
            ),
            (
                "POST",
                "/awesomeapi",
                true,
                405,
                Some("GET"),
                json!({"message": "Method Not Allowed"}),
            ),
            ("GET", "/awesomeapi", false, 401, None, unauthorized.clone()),
            ("GET", "/book", false, 401, None, unauthorized.clone()),
            ("GET", "/nope", false, 401, None, unauthorized.clone()),
            ("DELETE", "/book/42", false, 401, None, unauthorized.clone()),
            ("PUT", "/book", false, 401, None, unauthorized),
        ];
        let context = m2m();
        for (method, path, authenticated, status, allow, body) in cases {
            let reply = respond(method, path, authenticated.then_some(&context));
            let name = format!("{method} {path} authenticated={authenticated}");
            assert_eq!(reply.status.as_u16(), status, "{name}");
            assert_eq!(reply.allow, allow, "{name}");
            assert_eq!(reply.body, body, "{name}");
        }
    }

    #[test]
    fn user_callers_are_named_with_their_username() {
        let reply = respond("GET", "/awesomeapi", Some(&user()));
        assert_eq!(
            reply.body["caller"],
            json!({
                "client_id": "web-client",
                "sub": "6b1f-user",
                "scopes": ["openid", "awesomeapi-resource-server/awesomeapi.read"],
                "username": "alice",
                "user_pool_id": "us-east-1_AbCdEf123",
                "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
            })
        );
    }

    #[test]
    fn responses_are_json_with_allow_only_on_405() {
        let ok = respond("GET", "/book", Some(&m2m())).into_response();
        assert_eq!(ok.headers()[CONTENT_TYPE], "application/json");
        assert!(ok.headers().get(ALLOW).is_none());

        let wrong = respond("DELETE", "/user", Some(&m2m())).into_response();
        assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(wrong.headers()[ALLOW], "GET, POST");
        assert_eq!(wrong.headers()[CONTENT_TYPE], "application/json");
        let Body::Text(text) = wrong.body() else {
            panic!("body is not text: {:?}", wrong.body());
        };
        assert_eq!(text, r#"{"message":"Method Not Allowed"}"#);
    }
}
