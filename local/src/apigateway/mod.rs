//! Amazon API Gateway: a REST API front with a Lambda TOKEN authorizer, its
//! result cache, the proxy events it sends the handler, and the answers it
//! makes itself (gateway responses, the CORS preflight mock).

pub mod api_front;
pub mod auth_cache;
pub mod authorizer_answer;
pub mod authorizer_event;
pub mod proxy_event;
pub mod responses;
