//! The local API Gateway, driven only through `local`'s public facade: the
//! REST front and the HTTP API front each answering requests as API Gateway
//! does, in front of scripted functions and a clock the tests move, and the
//! HTTP API as local-stack serves it from the seed template, over a socket.

mod http_front;
mod rest_front;
mod support;
mod template_http_api;
