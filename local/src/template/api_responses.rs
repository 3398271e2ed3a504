//! What the template's `Cors` and `GatewayResponses` say, validated: the
//! mapping expressions API Gateway applies, per gateway response type and
//! for SAM's preflight mock. Plain data; `apigateway::responses` answers
//! with it.

use thiserror::Error;

use crate::template::sam::{ApiCors, GatewayResponseSpec};

/// A template value API Gateway cannot be given or local-stack cannot apply.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{at}: {problem}")]
pub struct ResponseConfigError {
    /// Where in the template.
    pub at: String,
    /// What is wrong.
    pub problem: String,
}

/// A response header's value as API Gateway maps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappedValue {
    /// `'text'`: the text, always.
    Static(String),
    /// `method.request.header.<name>`: the request's header, when it has one.
    RequestHeader(String),
}

impl MappedValue {
    /// Reads a mapping expression (`'text'` or `method.request.header.X`).
    pub fn parse(expression: &str, at: &str) -> Result<Self, ResponseConfigError> {
        let expression = expression.trim();
        if let Some(text) = expression
            .strip_prefix('\'')
            .and_then(|e| e.strip_suffix('\''))
        {
            return Ok(Self::Static(text.to_string()));
        }
        if let Some(name) = expression.strip_prefix("method.request.header.")
            && !name.is_empty()
        {
            return Ok(Self::RequestHeader(name.to_ascii_lowercase()));
        }
        Err(ResponseConfigError {
            at: at.to_string(),
            problem: format!(
                "{expression:?} is neither a quoted static value ('...') nor \
                 method.request.header.<name>, the mappings local-stack applies"
            ),
        })
    }
}

/// Headers as name and mapped value, in template order.
pub(crate) type MappedHeaders = Vec<(String, MappedValue)>;

/// The gateway response types API Gateway has.
const RESPONSE_TYPES: [&str; 21] = [
    "ACCESS_DENIED",
    "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS",
    "BAD_REQUEST_BODY",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
    "INVALID_API_KEY",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "QUOTA_EXCEEDED",
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "THROTTLED",
    "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE",
    "WAF_FILTERED",
];

/// The one gateway response REST APIs do not let a template customize.
pub const REQUEST_TOO_LARGE: &str = "REQUEST_TOO_LARGE";

/// The template's `GatewayResponses`: extra headers per response type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayResponses {
    pub(crate) by_type: Vec<(String, MappedHeaders)>,
}

impl GatewayResponses {
    /// Reads the template's entries; an unknown type or a mapping that
    /// cannot be applied is an error naming it.
    pub fn from_specs(specs: &[GatewayResponseSpec]) -> Result<Self, ResponseConfigError> {
        let mut by_type = Vec::new();
        for spec in specs {
            let at = format!("GatewayResponses.{}", spec.response_type);
            if !RESPONSE_TYPES.contains(&spec.response_type.as_str()) {
                return Err(ResponseConfigError {
                    at,
                    problem: format!(
                        "not a gateway response type (one of {})",
                        RESPONSE_TYPES.join(", ")
                    ),
                });
            }
            let headers = spec
                .headers
                .iter()
                .map(|(name, expression)| {
                    MappedValue::parse(expression, &format!("{at}.{name}"))
                        .map(|value| (name.clone(), value))
                })
                .collect::<Result<_, _>>()?;
            by_type.push((spec.response_type.clone(), headers));
        }
        Ok(Self { by_type })
    }
}

/// SAM's preflight mock: what `OPTIONS` on every resource answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsPreflight {
    pub(crate) allow_origin: MappedValue,
    pub(crate) allow_headers: Option<MappedValue>,
    pub(crate) allow_methods: Option<MappedValue>,
    pub(crate) max_age: Option<MappedValue>,
    pub(crate) allow_credentials: bool,
    /// Whether the default authorizer guards the preflight too
    /// (`AddDefaultAuthorizerToCorsPreflight`).
    pub authorize: bool,
}

/// The body of SAM's mock: its integration response's `application/json`
/// mapping template, `{}` and a line break.
pub const PREFLIGHT_BODY: &str = "{}\n";

impl CorsPreflight {
    /// Reads the template's `Cors`.
    pub fn from_spec(cors: &ApiCors) -> Result<Self, ResponseConfigError> {
        let parse = |value: &Option<String>, key: &str| {
            value
                .as_deref()
                .map(|v| MappedValue::parse(v, &format!("Cors.{key}")))
                .transpose()
        };
        Ok(Self {
            allow_origin: MappedValue::parse(&cors.allow_origin, "Cors.AllowOrigin")?,
            allow_headers: parse(&cors.allow_headers, "AllowHeaders")?,
            allow_methods: parse(&cors.allow_methods, "AllowMethods")?,
            max_age: parse(&cors.max_age, "MaxAge")?,
            allow_credentials: cors.allow_credentials,
            authorize: cors.authorize_preflight,
        })
    }
}
