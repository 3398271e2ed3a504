//! Reads the SAM template (template.yaml) offline, one domain reader per
//! thing the stack needs: the API's routes, the authorizer's `ROUTE_SCOPES`,
//! the resource servers' scopes, the app clients and the API's settings.
//! The intrinsics they meet are resolved by [`crate::template::resolve`].
//!
//! CloudFormation intrinsics are understood in both forms (`!Ref X` and
//! `{Ref: X}`). Only what can be known before a deploy is resolved: `!Ref`
//! to a parameter gives the value it is deployed with (an override given to
//! [`Template::with_parameters`], else its default), `!Ref` to a resource server gives its
//! `Identifier`, and `!Sub` substitutes those. Anything else (another
//! resource's id, `!GetAtt`, pseudo parameters) is reported as unresolvable
//! rather than guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use yaml_serde::Value;

pub use crate::template::error::TemplateError;
use crate::template::password_policy::PasswordPolicy;
use crate::template::resolve::{
    Resolver, collect_attributes, collect_references, get_att, key_text, plain_str, ref_target,
    sequence,
};

pub(crate) const FUNCTION: &str = "AWS::Serverless::Function";
const API: &str = "AWS::Serverless::Api";
const USER_POOL: &str = "AWS::Cognito::UserPool";
const USER_POOL_CLIENT: &str = "AWS::Cognito::UserPoolClient";
const RESOURCE_SERVER: &str = "AWS::Cognito::UserPoolResourceServer";

/// API Gateway's authorizer cache TTL when `ReauthorizeEvery` is not set.
const DEFAULT_REAUTHORIZE_EVERY: u64 = 300;

/// One `Type: Api` event of a function: a route of the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
    /// The function's logical id.
    pub function: String,
    /// The event's name.
    pub event: String,
    /// Upper-case method (`ANY` for SAM's `any`).
    pub method: String,
    /// The path, e.g. `/book`.
    pub path: String,
    /// The logical id in `RestApiId: !Ref ...`, if set.
    pub rest_api: Option<String>,
}

impl ApiRoute {
    /// The route's key as `ROUTE_SCOPES` writes it, e.g. `GET /book`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A Cognito resource server and the scopes it defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServer {
    /// The resource's logical id.
    pub logical_id: String,
    /// Its `Identifier`, the prefix of its scopes in tokens.
    pub identifier: String,
    /// Its `ScopeName`s.
    pub scope_names: Vec<String>,
}

impl ResourceServer {
    /// Scopes as they appear in tokens: `<identifier>/<scope name>`.
    pub fn scopes(&self) -> impl Iterator<Item = String> + '_ {
        self.scope_names
            .iter()
            .map(|name| format!("{}/{name}", self.identifier))
    }
}

/// A user-pool app client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClient {
    /// The resource's logical id.
    pub logical_id: String,
    /// `AllowedOAuthScopes`, resolved.
    pub allowed_scopes: Vec<String>,
    /// `AllowedOAuthFlows`, e.g. `client_credentials` or `code`.
    pub flows: Vec<String>,
    /// `GenerateSecret`.
    pub generate_secret: bool,
    /// `CallbackURLs`, resolved (a `!Ref` to a `CommaDelimitedList` is split).
    pub callback_urls: Vec<String>,
    /// `LogoutURLs`, resolved like `callback_urls`.
    pub logout_urls: Vec<String>,
    /// The token lifetimes, from `*TokenValidity` and `TokenValidityUnits`.
    pub validity: TokenValidity,
}

/// An app client's token lifetimes in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenValidity {
    /// Access tokens' lifetime.
    pub access_secs: i64,
    /// ID tokens' lifetime.
    pub id_secs: i64,
    /// Refresh tokens' lifetime.
    pub refresh_secs: i64,
}

impl Default for TokenValidity {
    /// Cognito's defaults: one hour for access and ID tokens, 30 days for
    /// refresh tokens.
    fn default() -> Self {
        Self {
            access_secs: 3600,
            id_secs: 3600,
            refresh_secs: 30 * 86_400,
        }
    }
}

impl AppClient {
    /// True if the client may use the client-credentials grant.
    pub fn allows_client_credentials(&self) -> bool {
        self.flows.iter().any(|f| f == "client_credentials")
    }
}

/// The user pool's sign-in settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    /// The resource's logical id.
    pub logical_id: String,
    /// `UsernameAttributes`, e.g. `email`.
    pub username_attributes: Vec<String>,
    /// `Policies.PasswordPolicy`, or Cognito's default.
    pub password_policy: PasswordPolicy,
}

/// A `!GetAtt` (or `${X.Attr}` in a `!Sub`) found in an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputAttribute {
    /// The output's name.
    pub output: String,
    /// The referenced resource.
    pub resource: String,
    /// The referenced attribute, e.g. `ClientSecret`.
    pub attribute: String,
}

/// The API's `Cors` setting as written, each value resolved to the
/// mapping expression API Gateway gets (static values keep their quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCors {
    /// `AllowOrigin` (or `Cors` itself when it is a plain string).
    pub allow_origin: String,
    /// `AllowHeaders`, if set.
    pub allow_headers: Option<String>,
    /// `AllowMethods`, if set (SAM derives it per path otherwise).
    pub allow_methods: Option<String>,
    /// `MaxAge`, if set.
    pub max_age: Option<String>,
    /// `AllowCredentials: true`.
    pub allow_credentials: bool,
    /// `Auth.AddDefaultAuthorizerToCorsPreflight` (SAM's default: true).
    pub authorize_preflight: bool,
}

/// One entry of the API's `GatewayResponses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponseSpec {
    /// The response type, e.g. `DEFAULT_4XX` or `UNAUTHORIZED`.
    pub response_type: String,
    /// `ResponseParameters.Headers`: name and mapping expression, in template order.
    pub headers: Vec<(String, String)>,
}

/// A parsed SAM template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
    /// Parameter values that replace the defaults, as `sam deploy
    /// --parameter-overrides` gives them.
    overrides: BTreeMap<String, String>,
}

impl Template {
    /// Reads and parses the template at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, TemplateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_yaml(&text)
    }

    /// Parses template text.
    pub fn from_yaml(text: &str) -> Result<Self, TemplateError> {
        let root: Value = yaml_serde::from_str(text)?;
        if root.get("Resources").and_then(Value::as_mapping).is_none() {
            return Err(TemplateError::Missing("Resources".into()));
        }
        Ok(Self {
            root,
            overrides: BTreeMap::new(),
        })
    }

    /// True if the template declares the parameter `name`.
    pub fn declares_parameter(&self, name: &str) -> bool {
        self.root
            .get("Parameters")
            .and_then(|p| p.get(name))
            .is_some()
    }

    /// The template as deployed with these parameter values (`sam deploy
    /// --parameter-overrides Name=Value`): `!Ref Name` then gives `Value`
    /// instead of the default. A `CommaDelimitedList` value is written with
    /// commas, as on the command line. Naming a parameter the template does
    /// not declare is an error, as it is for CloudFormation.
    pub fn with_parameters<I, K, V>(mut self, values: I) -> Result<Self, TemplateError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        for (name, value) in values {
            let name = name.into();
            if !self.declares_parameter(&name) {
                return Err(TemplateError::UnknownParameter(name));
            }
            self.overrides.insert(name, value.into());
        }
        Ok(self)
    }

    /// Every `Type: Api` event of every function, in template order.
    pub fn api_routes(&self) -> Result<Vec<ApiRoute>, TemplateError> {
        let mut routes = Vec::new();
        for (function, properties) in self.resources_of(FUNCTION) {
            let Some(events) = properties.get("Events").and_then(Value::as_mapping) else {
                continue;
            };
            for (event, spec) in events {
                let event = key_text(event, function)?;
                if plain_str(spec.get("Type")) != Some("Api") {
                    continue;
                }
                let at = format!("{function}.Events.{event}");
                let props = spec
                    .get("Properties")
                    .ok_or_else(|| TemplateError::Missing(format!("{at}.Properties")))?;
                let text = |key: &str| {
                    plain_str(props.get(key))
                        .map(str::to_owned)
                        .ok_or_else(|| TemplateError::Missing(format!("{at}.Properties.{key}")))
                };
                routes.push(ApiRoute {
                    function: function.to_owned(),
                    event: event.to_owned(),
                    method: text("Method")?.to_ascii_uppercase(),
                    path: text("Path")?,
                    rest_api: props
                        .get("RestApiId")
                        .and_then(ref_target)
                        .map(str::to_owned),
                });
            }
        }
        Ok(routes)
    }

    /// The authorizer's `ROUTE_SCOPES`, with resource-server identifiers and
    /// parameter defaults substituted.
    pub fn route_scopes_json(&self) -> Result<String, TemplateError> {
        let (function, value) = self.authorizer_variable("ROUTE_SCOPES")?;
        self.resolve_text(
            value,
            &format!("{function}.Environment.Variables.ROUTE_SCOPES"),
        )
    }

    /// Logical ids the authorizer's environment variable `name` refers to
    /// (e.g. the app clients in `APP_CLIENT_IDS`), in order of appearance.
    pub fn authorizer_variable_references(&self, name: &str) -> Result<Vec<String>, TemplateError> {
        let (_, value) = self.authorizer_variable(name)?;
        let mut out = Vec::new();
        collect_references(value, &mut out);
        Ok(out)
    }

    /// Every resource server with its identifier and scope names.
    pub fn resource_server_scopes(&self) -> Result<Vec<ResourceServer>, TemplateError> {
        self.resources_of(RESOURCE_SERVER)
            .map(|(id, properties)| {
                let identifier = properties
                    .get("Identifier")
                    .ok_or_else(|| TemplateError::Missing(format!("{id}.Identifier")))?;
                let scope_names = match properties.get("Scopes") {
                    None => Vec::new(),
                    Some(scopes) => sequence(scopes, &format!("{id}.Scopes"))?
                        .iter()
                        .map(|scope| {
                            let at = format!("{id}.Scopes.ScopeName");
                            let name = scope
                                .get("ScopeName")
                                .ok_or_else(|| TemplateError::Missing(at.clone()))?;
                            self.resolve_text(name, &at)
                        })
                        .collect::<Result<_, _>>()?,
                };
                Ok(ResourceServer {
                    logical_id: id.to_owned(),
                    identifier: self.resolve_text(identifier, &format!("{id}.Identifier"))?,
                    scope_names,
                })
            })
            .collect()
    }

    /// Every user-pool app client.
    pub fn app_clients(&self) -> Result<Vec<AppClient>, TemplateError> {
        self.resources_of(USER_POOL_CLIENT)
            .map(|(id, properties)| {
                let list = |key: &str| -> Result<Vec<String>, TemplateError> {
                    match properties.get(key) {
                        None => Ok(Vec::new()),
                        Some(items) => sequence(items, &format!("{id}.{key}"))?
                            .iter()
                            .map(|item| self.resolve_text(item, &format!("{id}.{key}")))
                            .collect(),
                    }
                };
                let generate_secret = match properties.get("GenerateSecret") {
                    None => false,
                    Some(value) => {
                        self.resolve_text(value, &format!("{id}.GenerateSecret"))? == "true"
                    }
                };
                Ok(AppClient {
                    logical_id: id.to_owned(),
                    allowed_scopes: list("AllowedOAuthScopes")?,
                    flows: list("AllowedOAuthFlows")?,
                    generate_secret,
                    callback_urls: self.url_list(id, properties, "CallbackURLs")?,
                    logout_urls: self.url_list(id, properties, "LogoutURLs")?,
                    validity: self.token_validity(id, properties)?,
                })
            })
            .collect()
    }

    /// The user pool (exactly one is expected).
    pub fn user_pool(&self) -> Result<UserPool, TemplateError> {
        let (id, properties) = self.single(USER_POOL)?;
        let username_attributes = match properties.get("UsernameAttributes") {
            None => Vec::new(),
            Some(items) => sequence(items, &format!("{id}.UsernameAttributes"))?
                .iter()
                .map(|item| self.resolve_text(item, &format!("{id}.UsernameAttributes")))
                .collect::<Result<_, _>>()?,
        };
        let password_policy =
            PasswordPolicy::from_user_pool(id, properties, |v, at| self.resolve_text(v, at))?;
        Ok(UserPool {
            logical_id: id.to_owned(),
            username_attributes,
            password_policy,
        })
    }

    /// A list of URLs: a YAML list, or one value (such as a `!Ref` to a
    /// `CommaDelimitedList` parameter) split on commas.
    fn url_list(
        &self,
        id: &str,
        properties: &Value,
        key: &str,
    ) -> Result<Vec<String>, TemplateError> {
        let at = format!("{id}.{key}");
        let Some(value) = properties.get(key) else {
            return Ok(Vec::new());
        };
        let texts = match value {
            Value::Sequence(items) => items
                .iter()
                .map(|item| self.resolve_text(item, &at))
                .collect::<Result<Vec<_>, _>>()?,
            other => vec![self.resolve_text(other, &at)?],
        };
        Ok(texts
            .iter()
            .flat_map(|t| t.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// `AccessTokenValidity`, `IdTokenValidity` and `RefreshTokenValidity`
    /// in the units `TokenValidityUnits` gives them (Cognito's defaults:
    /// hours, hours, days), within Cognito's limits.
    fn token_validity(&self, id: &str, properties: &Value) -> Result<TokenValidity, TemplateError> {
        let defaults = TokenValidity::default();
        let one = |key: &str,
                   unit_key: &str,
                   default_unit: &str,
                   default_secs: i64,
                   range: (i64, i64)| {
            let Some(value) = properties.get(key) else {
                return Ok(default_secs);
            };
            let at = format!("{id}.{key}");
            let text = self.resolve_text(value, &at)?;
            let amount: i64 = text.trim().parse().map_err(|_| TemplateError::Invalid {
                at: at.clone(),
                problem: format!("expected a whole number, found {text:?}"),
            })?;
            let unit = match properties
                .get("TokenValidityUnits")
                .and_then(|u| u.get(unit_key))
            {
                Some(unit) => {
                    self.resolve_text(unit, &format!("{id}.TokenValidityUnits.{unit_key}"))?
                }
                None => default_unit.to_owned(),
            };
            let scale = match unit.as_str() {
                "seconds" => 1,
                "minutes" => 60,
                "hours" => 3600,
                "days" => 86_400,
                other => {
                    return Err(TemplateError::Invalid {
                        at: format!("{id}.TokenValidityUnits.{unit_key}"),
                        problem: format!(
                            "expected seconds, minutes, hours or days, found {other:?}"
                        ),
                    });
                }
            };
            let secs = amount.saturating_mul(scale);
            if secs < range.0 || secs > range.1 {
                return Err(TemplateError::Invalid {
                    at,
                    problem: format!(
                        "{amount} {unit} is outside Cognito's range of {} to {} seconds",
                        range.0, range.1
                    ),
                });
            }
            Ok(secs)
        };
        Ok(TokenValidity {
            access_secs: one(
                "AccessTokenValidity",
                "AccessToken",
                "hours",
                defaults.access_secs,
                (300, 86_400),
            )?,
            id_secs: one(
                "IdTokenValidity",
                "IdToken",
                "hours",
                defaults.id_secs,
                (300, 86_400),
            )?,
            refresh_secs: one(
                "RefreshTokenValidity",
                "RefreshToken",
                "days",
                defaults.refresh_secs,
                (3600, 10 * 365 * 86_400),
            )?,
        })
    }

    /// The default authorizer's `ReauthorizeEvery` in seconds, with a
    /// parameter reference resolved to its default; 300 when unset, as in
    /// API Gateway.
    pub fn reauthorize_every(&self) -> Result<u64, TemplateError> {
        let (api, authorizer) = self.default_authorizer()?;
        let at = format!("{api}.Auth.Authorizers.Identity.ReauthorizeEvery");
        match authorizer
            .get("Identity")
            .and_then(|i| i.get("ReauthorizeEvery"))
        {
            None => Ok(DEFAULT_REAUTHORIZE_EVERY),
            Some(value) => {
                let text = self.resolve_text(value, &at)?;
                text.parse().map_err(|_| TemplateError::Invalid {
                    at,
                    problem: format!("{text:?} is not a number of seconds"),
                })
            }
        }
    }

    /// The API's `StageName`, with a parameter reference resolved to its default.
    pub fn stage_name_default(&self) -> Result<String, TemplateError> {
        let (api, properties) = self.single(API)?;
        let at = format!("{api}.StageName");
        let stage = properties
            .get("StageName")
            .ok_or_else(|| TemplateError::Missing(at.clone()))?;
        self.resolve_text(stage, &at)
    }

    /// The API's `Cors`, if it has one.
    pub fn api_cors(&self) -> Result<Option<ApiCors>, TemplateError> {
        let (api, properties) = self.single(API)?;
        let Some(cors) = properties.get("Cors") else {
            return Ok(None);
        };
        let authorize_preflight = match properties
            .get("Auth")
            .and_then(|a| a.get("AddDefaultAuthorizerToCorsPreflight"))
        {
            None => true,
            Some(value) => self.resolve_bool(
                value,
                &format!("{api}.Auth.AddDefaultAuthorizerToCorsPreflight"),
            )?,
        };
        let at = format!("{api}.Cors");
        if !matches!(cors, Value::Mapping(_)) {
            return Ok(Some(ApiCors {
                allow_origin: self.resolve_text(cors, &at)?,
                allow_headers: None,
                allow_methods: None,
                max_age: None,
                allow_credentials: false,
                authorize_preflight,
            }));
        }
        let text = |key: &str| {
            cors.get(key)
                .map(|value| self.resolve_text(value, &format!("{at}.{key}")))
                .transpose()
        };
        Ok(Some(ApiCors {
            allow_origin: text("AllowOrigin")?
                .ok_or_else(|| TemplateError::Missing(format!("{at}.AllowOrigin")))?,
            allow_headers: text("AllowHeaders")?,
            allow_methods: text("AllowMethods")?,
            max_age: text("MaxAge")?,
            allow_credentials: match cors.get("AllowCredentials") {
                None => false,
                Some(value) => self.resolve_bool(value, &format!("{at}.AllowCredentials"))?,
            },
            authorize_preflight,
        }))
    }

    /// The API's `GatewayResponses` with their `ResponseParameters.Headers`.
    pub fn gateway_responses(&self) -> Result<Vec<GatewayResponseSpec>, TemplateError> {
        let (api, properties) = self.single(API)?;
        let Some(responses) = properties.get("GatewayResponses") else {
            return Ok(Vec::new());
        };
        let at = format!("{api}.GatewayResponses");
        let responses = responses
            .as_mapping()
            .ok_or_else(|| TemplateError::Invalid {
                at: at.clone(),
                problem: "expected a map of response types".into(),
            })?;
        let mut out = Vec::new();
        for (kind, response) in responses {
            let kind = key_text(kind, &at)?;
            let at = format!("{at}.{kind}.ResponseParameters.Headers");
            let mut headers = Vec::new();
            if let Some(map) = response
                .get("ResponseParameters")
                .and_then(|p| p.get("Headers"))
            {
                let map = map.as_mapping().ok_or_else(|| TemplateError::Invalid {
                    at: at.clone(),
                    problem: "expected a map of header names".into(),
                })?;
                for (name, value) in map {
                    let name = key_text(name, &at)?;
                    headers.push((
                        name.to_owned(),
                        self.resolve_text(value, &format!("{at}.{name}"))?,
                    ));
                }
            }
            out.push(GatewayResponseSpec {
                response_type: kind.to_owned(),
                headers,
            });
        }
        Ok(out)
    }

    /// The environment variables of the functions that serve the API's
    /// routes, resolved (a value only a deploy knows is an error naming it).
    pub fn handler_variables(&self) -> Result<Vec<(String, String)>, TemplateError> {
        let mut functions: Vec<String> = Vec::new();
        for route in self.api_routes()? {
            if !functions.contains(&route.function) {
                functions.push(route.function);
            }
        }
        let mut out: Vec<(String, String)> = Vec::new();
        for (function, properties) in self.resources_of(FUNCTION) {
            if !functions.iter().any(|f| f == function) {
                continue;
            }
            let Some(variables) = properties
                .get("Environment")
                .and_then(|e| e.get("Variables"))
                .and_then(Value::as_mapping)
            else {
                continue;
            };
            let at = format!("{function}.Environment.Variables");
            for (name, value) in variables {
                let name = key_text(name, &at)?;
                let value = self.resolve_text(value, &format!("{at}.{name}"))?;
                match out.iter().find(|(n, _)| n == name) {
                    Some((_, seen)) if *seen == value => {}
                    Some(_) => {
                        return Err(TemplateError::Invalid {
                            at: format!("{at}.{name}"),
                            problem: "another function serving the API sets it differently, \
                                      and local runs give them one environment"
                                .into(),
                        });
                    }
                    None => out.push((name.to_owned(), value)),
                }
            }
        }
        Ok(out)
    }

    /// Every resource attribute the outputs expose, from `!GetAtt` and from
    /// `${Resource.Attribute}` in `!Sub` strings.
    pub fn output_attributes(&self) -> Vec<OutputAttribute> {
        let Some(outputs) = self.root.get("Outputs").and_then(Value::as_mapping) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for (name, output) in outputs {
            let name = plain_str(Some(name)).unwrap_or_default();
            let mut pairs = Vec::new();
            collect_attributes(output, &mut pairs);
            found.extend(
                pairs
                    .into_iter()
                    .map(|(resource, attribute)| OutputAttribute {
                        output: name.to_owned(),
                        resource,
                        attribute,
                    }),
            );
        }
        found
    }

    /// The names of all outputs.
    pub fn output_names(&self) -> Vec<String> {
        self.root
            .get("Outputs")
            .and_then(Value::as_mapping)
            .map(|outputs| {
                outputs
                    .keys()
                    .filter_map(|k| plain_str(Some(k)).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(id, resource)| Some((plain_str(Some(id))?, resource)))
    }

    /// `(logical id, Properties)` of every resource of type `kind`.
    pub(crate) fn resources_of<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        static EMPTY: Value = Value::Null;
        self.resources()
            .filter(move |(_, r)| plain_str(r.get("Type")) == Some(kind))
            .map(|(id, r)| (id, r.get("Properties").unwrap_or(&EMPTY)))
    }

    fn single(&self, kind: &'static str) -> Result<(&str, &Value), TemplateError> {
        let mut all = self.resources_of(kind);
        let first = all
            .next()
            .ok_or_else(|| TemplateError::Missing(format!("a {kind}")))?;
        if let Some((other, _)) = all.next() {
            return Err(TemplateError::Invalid {
                at: other.to_owned(),
                problem: format!("expected exactly one {kind}, found {} and {other}", first.0),
            });
        }
        Ok(first)
    }

    /// The API's default authorizer: `(api logical id, authorizer spec)`.
    fn default_authorizer(&self) -> Result<(&str, &Value), TemplateError> {
        let (api, properties) = self.single(API)?;
        let auth = properties
            .get("Auth")
            .ok_or_else(|| TemplateError::Missing(format!("{api}.Auth")))?;
        let name = plain_str(auth.get("DefaultAuthorizer"))
            .ok_or_else(|| TemplateError::Missing(format!("{api}.Auth.DefaultAuthorizer")))?;
        let authorizer = auth
            .get("Authorizers")
            .and_then(|a| a.get(name))
            .ok_or_else(|| TemplateError::Missing(format!("{api}.Auth.Authorizers.{name}")))?;
        Ok((api, authorizer))
    }

    /// The default authorizer's function: `(logical id, Properties)`.
    fn authorizer_function(&self) -> Result<(&str, &Value), TemplateError> {
        let (api, authorizer) = self.default_authorizer()?;
        let at = format!("{api}.Auth.Authorizers.FunctionArn");
        let arn = authorizer
            .get("FunctionArn")
            .ok_or_else(|| TemplateError::Missing(at.clone()))?;
        let (resource, _) = get_att(arn).ok_or_else(|| TemplateError::Invalid {
            at: at.clone(),
            problem: "expected !GetAtt <Function>.Arn".into(),
        })?;
        self.resources_of(FUNCTION)
            .find(|(id, _)| *id == resource)
            .ok_or_else(|| TemplateError::Missing(format!("function {resource} named by {at}")))
    }

    fn authorizer_variable(&self, name: &str) -> Result<(&str, &Value), TemplateError> {
        let (function, properties) = self.authorizer_function()?;
        let value = properties
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(|v| v.get(name))
            .ok_or_else(|| {
                TemplateError::Missing(format!("{function}.Environment.Variables.{name}"))
            })?;
        Ok((function, value))
    }

    /// The resolver of this template's intrinsics.
    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            root: &self.root,
            overrides: &self.overrides,
        }
    }

    /// A scalar, `!Ref` or `!Sub` resolved to text as far as possible offline.
    pub(crate) fn resolve_text(&self, value: &Value, at: &str) -> Result<String, TemplateError> {
        self.resolver().text(value, at)
    }

    /// A boolean written as `true`/`false` (or a reference resolving to one).
    pub(crate) fn resolve_bool(&self, value: &Value, at: &str) -> Result<bool, TemplateError> {
        self.resolver().boolean(value, at)
    }
}

/// Scopes Cognito defines itself (not through a resource server).
pub const STANDARD_SCOPES: [&str; 5] = [
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// The set of every scope the template's resource servers define.
pub fn defined_scopes(servers: &[ResourceServer]) -> BTreeSet<String> {
    servers.iter().flat_map(ResourceServer::scopes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
Parameters:
  Stage: {Type: String, Default: beta}
  Ttl: {Type: Number, Default: 60}
  Pool: {Type: String}
Resources:
  Server:
    Type: AWS::Cognito::UserPoolResourceServer
    Properties:
      Identifier: !Sub "${Stage}-api"
      Scopes: [{ScopeName: read, ScopeDescription: r}]
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      AllowedOAuthFlows: [code]
      AllowedOAuthScopes: [openid, {"Fn::Sub": "${Server}/read"}]
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: {Ref: Stage}
      Auth:
        DefaultAuthorizer: A
        Authorizers:
          A:
            FunctionArn: {"Fn::GetAtt": [Fn, Arn]}
            Identity: {ReauthorizeEvery: !Ref Ttl}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          ROUTE_SCOPES: !Sub
            - '{"get /x":["${Server}/read"],"k":"${!Literal}","s":"${S}"}'
            - S: !Ref Stage
          APP_CLIENT_IDS: !Sub "${Client},${AWS::Region}"
          BAD: !Sub "${Pool}"
      Events:
        X: {Type: Api, Properties: {Path: /x, Method: get, RestApiId: !Ref Api}}
        Q: {Type: SQS, Properties: {Queue: q}}
Outputs:
  A: {Value: !GetAtt Client.ClientSecret}
  B: {Value: !Sub "x${Fn.Arn}y${Client}"}
"#;

    fn mini() -> Template {
        Template::from_yaml(MINI).unwrap()
    }

    #[test]
    fn long_and_short_intrinsics_resolve_the_same() {
        let t = mini();
        assert_eq!(t.stage_name_default().unwrap(), "beta");
        assert_eq!(t.reauthorize_every().unwrap(), 60);
        assert_eq!(
            t.route_scopes_json().unwrap(),
            r#"{"get /x":["beta-api/read"],"k":"${Literal}","s":"beta"}"#
        );
        let clients = t.app_clients().unwrap();
        assert_eq!(clients[0].allowed_scopes, ["openid", "beta-api/read"]);
        assert!(!clients[0].generate_secret && !clients[0].allows_client_credentials());
    }

    #[test]
    fn api_events_only_and_methods_upper_case() {
        let routes = mini().api_routes().unwrap();
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].key(), "GET /x");
        assert_eq!(routes[0].rest_api.as_deref(), Some("Api"));
    }

    #[test]
    fn deploy_time_values_are_unresolvable_not_guessed() {
        let t = mini();
        let (_, bad) = t.authorizer_variable("BAD").unwrap();
        let err = t.resolve_text(bad, "BAD").unwrap_err();
        assert!(matches!(err, TemplateError::Unresolvable { .. }), "{err}");
        let (_, ids) = t.authorizer_variable("APP_CLIENT_IDS").unwrap();
        assert!(matches!(
            t.resolve_text(ids, "ids").unwrap_err(),
            TemplateError::Unresolvable { .. }
        ));
        assert_eq!(
            t.authorizer_variable_references("APP_CLIENT_IDS").unwrap(),
            ["Client"]
        );
    }

    #[test]
    fn outputs_report_every_attribute_they_expose() {
        let found: Vec<(String, String, String)> = mini()
            .output_attributes()
            .into_iter()
            .map(|a| (a.output, a.resource, a.attribute))
            .collect();
        let expected = [("A", "Client", "ClientSecret"), ("B", "Fn", "Arn")]
            .map(|(o, r, a)| (o.to_owned(), r.to_owned(), a.to_owned()));
        assert_eq!(found, expected);
    }

    #[test]
    fn parameter_overrides_replace_defaults_where_referenced() {
        let t = mini()
            .with_parameters([("Stage", "gamma"), ("Pool", "p1")])
            .unwrap();
        assert_eq!(t.stage_name_default().unwrap(), "gamma");
        assert_eq!(t.reauthorize_every().unwrap(), 60, "not overridden");
        assert_eq!(
            t.route_scopes_json().unwrap(),
            r#"{"get /x":["gamma-api/read"],"k":"${Literal}","s":"gamma"}"#
        );
        assert_eq!(
            t.app_clients().unwrap()[0].allowed_scopes[1],
            "gamma-api/read"
        );
        // A parameter without a default resolves once it is given a value.
        let (_, pool) = t.authorizer_variable("BAD").unwrap();
        assert_eq!(t.resolve_text(pool, "BAD").unwrap(), "p1");
        let err = mini().with_parameters([("Nope", "x")]).unwrap_err();
        assert!(
            matches!(&err, TemplateError::UnknownParameter(n) if n == "Nope"),
            "{err}"
        );
        assert!(mini().declares_parameter("Ttl") && !mini().declares_parameter("Server"));
    }

    #[test]
    fn templates_without_resources_are_rejected() {
        assert!(matches!(
            Template::from_yaml("Outputs: {}").unwrap_err(),
            TemplateError::Missing(_)
        ));
        assert!(matches!(
            Template::from_yaml("a: [").unwrap_err(),
            TemplateError::Yaml(_)
        ));
    }
}
