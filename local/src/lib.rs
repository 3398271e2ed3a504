//! Dev-only tools for running the system offline. Never deployed.
//!
//! Grouped by the AWS service each part stands in for: `cognito` (the user
//! pool), `apigateway` (the REST and HTTP APIs and their authorizer) and `lambda` (the
//! functions' runtimes), beside the web app's host (`web_app`; not an AWS
//! service: any static host serves `web/` when deployed). Below them, the
//! plain data read from the SAM template (`template`), the one module that
//! reads and writes the state folder (`state`) and support code (`ids`,
//! `http_server`, `clock`). On top, the `stack` that wires them together, with its
//! command line (`stack::cli`). docs/design.md, "Who may import what", gives the
//! rule; the modules are private and this facade is what other crates use.

mod apigateway;
mod clock;
mod cognito;
mod http_server;
mod ids;
mod lambda;
mod stack;
mod state;
mod template;
mod web_app;

pub use apigateway::api_front::{
    ApiFront, ApiRequest, FrontConfig, FrontResponse, MAX_REQUEST_LINE_AND_HEADERS, Payload,
    token_event,
};
pub use apigateway::authorizer_answer::AuthorizerAnswer;
pub use apigateway::authorizer_event::request_event;
pub use apigateway::http_cors::HttpCors;
pub use apigateway::http_front::{HttpAuthorizer, HttpFront, HttpFrontConfig};
pub use apigateway::proxy_event::{ProxyContext, ProxyRequest, build_event};
pub use apigateway::responses::{MappedValue, PREFLIGHT_BODY};
pub use clock::Clock;
pub use cognito::authorize::{AuthorizeError, pkce_matches, validate as validate_authorize};
pub use cognito::clients::Clients;
pub use cognito::hosted_ui::{SESSION_COOKIE, XSRF_COOKIE, cookie, login_page};
pub use cognito::issuers::local_issuer;
pub use cognito::pool::{ID_KEY_FILE, SigningKeys, UserPool};
pub use cognito::pool_server::PoolServer;
pub use cognito::pre_token::trigger::Invocation as TriggerInvocation;
pub use cognito::pre_token::{COGNITO_TIMEOUT, PreToken, PreTokenTrigger, TriggerFailure};
pub use cognito::token_endpoint::{TokenRequest, grant};
pub use cognito::user_spec::UserSpec;
pub use cognito::user_tokens::at_hash;
pub use cognito::users::UserStore;
pub use http_server::{MAX_BODY_BYTES, serve};
pub use lambda::invoke::{Invocation, InvokeError, Invoker};
pub use stack::cli::{CliError, Options, parse as parse_command_line};
pub use stack::event::{EventArgs, event};
pub use stack::http_api::{HttpApiError, template_router as http_api_router};
pub use stack::info::StackInfo;
pub use stack::{ACCOUNT_ID, READY_LINE, run_from_template};
pub use state::StateDir;
pub use template::api_responses::{CorsPreflight, GatewayResponses};
pub use template::app_client::{AppClient, AuthFlow, OAuthFlow, RefreshRotation};
pub use template::http_api::{DEFAULT_STAGE, HttpCorsSpec, IdentitySource};
/// The user pool's password policy, which [`UserStore::load`] checks given
/// users against (`PasswordPolicy::default()` is Cognito's default policy).
pub use template::password_policy::PasswordPolicy;
pub use template::pre_token::LambdaVersion;
pub use template::sam::{ApiCors, GatewayResponseSpec, STANDARD_SCOPES, Template, defined_scopes};
pub use template::spec::StackSpec;
pub use web_app::{
    WebApp, WebConfig, origin as web_origin, template_parameters as web_template_parameters,
};
