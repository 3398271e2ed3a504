//! Amazon API Gateway: a REST API front with a Lambda TOKEN authorizer, its
//! result cache, the proxy events it sends the handler, and the answers it
//! makes itself (gateway responses, the CORS preflight mock); beside it an
//! HTTP API front (payload 2.0 events, simple or IAM answers, its CORS).

pub mod api_front;
pub mod auth_cache;
pub mod authorizer_answer;
pub mod authorizer_event;
pub mod http_answer;
pub mod http_cors;
pub mod http_event;
pub mod http_front;
pub mod proxy_event;
pub mod responses;
