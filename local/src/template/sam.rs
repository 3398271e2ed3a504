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

use shared::Rule;
use yaml_serde::Value;

use crate::template::app_client::{AppClient, AuthFlow, OAuthFlow, RefreshRotation, TokenValidity};
pub use crate::template::error::TemplateError;
use crate::template::password_policy::PasswordPolicy;
use crate::template::pre_token::{LambdaVersion, PreTokenSpec};
use crate::template::resolve::{
    Resolver, collect_attributes, collect_references, get_att, key_text, plain_str, ref_target,
    sequence, sub_text,
};
use crate::template::route::{ApiRoute, OnApi, parse_method};

pub(crate) const FUNCTION: &str = "AWS::Serverless::Function";
const API: &str = "AWS::Serverless::Api";
const USER_POOL: &str = "AWS::Cognito::UserPool";
const USER_POOL_CLIENT: &str = "AWS::Cognito::UserPoolClient";
const RESOURCE_SERVER: &str = "AWS::Cognito::UserPoolResourceServer";

/// API Gateway's authorizer cache TTL when `ReauthorizeEvery` is not set.
const DEFAULT_REAUTHORIZE_EVERY: u64 = 300;

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

/// The list property `key` of resource `id` (read with `list`) as values
/// of a closed set; a name `parse` does not know is an error naming it.
fn closed_set<T>(
    id: &str,
    key: &str,
    list: impl Fn(&str) -> Result<Vec<String>, TemplateError>,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, TemplateError> {
    list(key)?
        .iter()
        .map(|name| {
            parse(name).ok_or_else(|| TemplateError::Invalid {
                at: format!("{id}.{key}"),
                problem: format!("{name:?} is not one of Cognito's values"),
            })
        })
        .collect()
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
    /// `IssuerConfiguration.Type`, `ORIGINAL` when absent.
    pub issuer_form: shared::IssuerForm,
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
            let value = value.into();
            let allowed = self
                .root
                .get("Parameters")
                .and_then(|p| p.get(&name))
                .and_then(|p| p.get("AllowedValues"))
                .and_then(Value::as_sequence);
            if let Some(allowed) = allowed {
                let texts: Vec<String> = allowed
                    .iter()
                    .filter_map(|v| self.resolve_text(v, &name).ok())
                    .collect();
                if !texts.contains(&value) {
                    return Err(TemplateError::Invalid {
                        at: format!("parameter override {name}"),
                        problem: format!("{value:?} is not one of its AllowedValues {texts:?}"),
                    });
                }
            }
            self.overrides.insert(name, value);
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
                    api: OnApi::Rest(
                        props
                            .get("RestApiId")
                            .and_then(ref_target)
                            .map(str::to_owned),
                    ),
                    method: parse_method(&text("Method")?, &format!("{at}.Properties.Method"))?,
                    path: text("Path")?,
                    rule: Rule::default(),
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
                    name: id.to_owned(),
                    scopes: list("AllowedOAuthScopes")?,
                    flows: closed_set(id, "AllowedOAuthFlows", list, OAuthFlow::parse)?,
                    auth_flows: closed_set(id, "ExplicitAuthFlows", list, AuthFlow::parse)?,
                    generate_secret,
                    callback_urls: self.url_list(id, properties, "CallbackURLs")?,
                    logout_urls: self.url_list(id, properties, "LogoutURLs")?,
                    validity: self.token_validity(id, properties)?,
                    refresh_rotation: self.refresh_rotation(id, properties)?,
                    ..AppClient::default()
                })
            })
            .collect()
    }

    /// `RefreshTokenRotation`: `Some` when `Feature` is `ENABLED`, with
    /// `RetryGracePeriodSeconds` in Cognito's range of 0 to 60.
    fn refresh_rotation(
        &self,
        id: &str,
        properties: &Value,
    ) -> Result<Option<RefreshRotation>, TemplateError> {
        let Some(rotation) = properties.get("RefreshTokenRotation") else {
            return Ok(None);
        };
        let at = format!("{id}.RefreshTokenRotation");
        let feature = match rotation.get("Feature") {
            Some(feature) => self.resolve_text(feature, &format!("{at}.Feature"))?,
            None => "DISABLED".to_owned(),
        };
        match feature.as_str() {
            "ENABLED" => {}
            "DISABLED" => return Ok(None),
            other => {
                return Err(TemplateError::Invalid {
                    at: format!("{at}.Feature"),
                    problem: format!("expected ENABLED or DISABLED, found {other:?}"),
                });
            }
        }
        let grace_at = format!("{at}.RetryGracePeriodSeconds");
        let grace_secs = match rotation.get("RetryGracePeriodSeconds") {
            None => 0,
            Some(value) => {
                let text = self.resolve_text(value, &grace_at)?;
                text.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|secs| (0..=60).contains(secs))
                    .ok_or_else(|| TemplateError::Invalid {
                        at: grace_at,
                        problem: format!(
                            "expected a whole number of 0 to 60 seconds, found {text:?}"
                        ),
                    })?
            }
        };
        Ok(Some(RefreshRotation { grace_secs }))
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
        let at = format!("{id}.IssuerConfiguration.Type");
        let issuer_form = match properties
            .get("IssuerConfiguration")
            .and_then(|c| c.get("Type"))
        {
            None => shared::IssuerForm::default(),
            Some(value) => {
                let text = self.resolve_text(value, &at)?;
                shared::IssuerForm::from_type(&text).ok_or_else(|| TemplateError::Invalid {
                    problem: format!("{text:?} is not ORIGINAL or UPDATED"),
                    at,
                })?
            }
        };
        Ok(UserPool {
            logical_id: id.to_owned(),
            username_attributes,
            password_policy,
            issuer_form,
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

    /// The user pool's pre-token-generation trigger, if a deploy with these
    /// parameters would attach one: `LambdaConfig.PreTokenGenerationConfig`
    /// with `!If` decided, its `LambdaVersion`, and the function its
    /// `LambdaArn` names (binary and environment). `None` without a pool or
    /// without the trigger; `V1_0` (the older `LambdaConfig.PreTokenGeneration`
    /// or `LambdaVersion: V1_0`) is an error: the local pool runs only V2_0/V3_0.
    pub fn pre_token_trigger(&self) -> Result<Option<PreTokenSpec>, TemplateError> {
        let (pool, properties) = match self.single(USER_POOL) {
            Ok(found) => found,
            Err(TemplateError::Missing(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let resolver = self.resolver();
        let config_at = format!("{pool}.LambdaConfig");
        let Some(config) = properties.get("LambdaConfig") else {
            return Ok(None);
        };
        let Some(config) = resolver.chosen(config, &config_at)? else {
            return Ok(None);
        };
        let v1_only = || TemplateError::Invalid {
            at: config_at.clone(),
            problem: "a V1_0 pre-token-generation trigger: the local pool runs only \
                      PreTokenGenerationConfig with LambdaVersion V2_0 or V3_0"
                .into(),
        };
        if config.get("PreTokenGeneration").is_some() {
            return Err(v1_only());
        }
        let Some(trigger) = config.get("PreTokenGenerationConfig") else {
            return Ok(None);
        };
        let at = format!("{config_at}.PreTokenGenerationConfig");
        let Some(trigger) = resolver.chosen(trigger, &at)? else {
            return Ok(None);
        };
        let field = |key: &str| {
            trigger
                .get(key)
                .ok_or_else(|| TemplateError::Missing(format!("{at}.{key}")))
        };
        let version_text = self.resolve_text(field("LambdaVersion")?, &at)?;
        let version = match LambdaVersion::parse(&version_text) {
            Some(version) => version,
            None if version_text == "V1_0" => return Err(v1_only()),
            None => {
                return Err(TemplateError::Invalid {
                    at: format!("{at}.LambdaVersion"),
                    problem: format!("expected V2_0 or V3_0, found {version_text:?}"),
                });
            }
        };
        let arn_at = format!("{at}.LambdaArn");
        let (function_id, _) =
            get_att(field("LambdaArn")?).ok_or_else(|| TemplateError::Invalid {
                at: arn_at.clone(),
                problem: "expected !GetAtt <Function>.Arn".into(),
            })?;
        let (_, resource) = self
            .resources()
            .find(|(id, r)| *id == function_id && plain_str(r.get("Type")) == Some(FUNCTION))
            .ok_or_else(|| {
                TemplateError::Missing(format!("function {function_id} named by {arn_at}"))
            })?;
        let binary = plain_str(
            resource
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary")),
        )
        .ok_or_else(|| {
            TemplateError::Missing(format!("{function_id}.Metadata.BuildProperties.Binary"))
        })?
        .to_owned();
        let mut environment = Vec::new();
        let variables = resource
            .get("Properties")
            .and_then(|p| p.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping);
        let var_at = format!("{function_id}.Environment.Variables");
        for (name, value) in variables.into_iter().flatten() {
            let name = key_text(name, &var_at)?;
            let value = self.resolve_text(value, &format!("{var_at}.{name}"))?;
            environment.push((name.to_owned(), value));
        }
        Ok(Some(PreTokenSpec {
            function_id,
            binary,
            version,
            environment,
        }))
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

    /// The `!Sub` text of the output `name` (placeholders such as `${Api}`
    /// left in), or `None` without that output; an output of another form
    /// is an error naming it.
    pub fn output_sub_text(&self, name: &str) -> Result<Option<String>, TemplateError> {
        let Some(output) = self.root.get("Outputs").and_then(|o| o.get(name)) else {
            return Ok(None);
        };
        let value = output.get("Value").unwrap_or(&Value::Null);
        sub_text(value)
            .map(|text| Some(text.to_owned()))
            .ok_or_else(|| TemplateError::Invalid {
                at: format!("Outputs.{name}.Value"),
                problem: "expected !Sub \"text\"".into(),
            })
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
        assert_eq!(clients[0].scopes, ["openid", "beta-api/read"]);
        assert!(!clients[0].generate_secret && !clients[0].allows(OAuthFlow::ClientCredentials));
    }

    fn project_template() -> Template {
        Template::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")).unwrap()
    }

    #[test]
    fn the_trigger_is_attached_as_pre_token_generation_version_says() {
        // (parameter value, the version attached, or an error's start)
        let cases: [(&str, Result<Option<LambdaVersion>, &str>); 4] = [
            ("NONE", Ok(None)),
            ("V2_0", Ok(Some(LambdaVersion::V2_0))),
            ("V3_0", Ok(Some(LambdaVersion::V3_0))),
            (
                "V1_0",
                Err("parameter override PreTokenGenerationVersion: \"V1_0\" is not one"),
            ),
        ];
        for (value, want) in cases {
            let got = project_template()
                .with_parameters([("PreTokenGenerationVersion", value)])
                .and_then(|t| t.pre_token_trigger())
                .map_err(|e| e.to_string());
            match (got, want) {
                (Ok(None), Ok(None)) => {}
                (Ok(Some(spec)), Ok(Some(version))) => {
                    assert_eq!(spec.version, version, "{value}");
                    assert_eq!(spec.function_id, "PreTokenFunction");
                    assert_eq!(spec.binary, "pretoken");
                    assert_eq!(
                        spec.environment,
                        [
                            ("EDITOR_GROUP".to_string(), "editors".to_string()),
                            ("EDITOR_SCOPE".to_string(), "API/book.post".to_string()),
                        ]
                    );
                }
                (Err(error), Err(start)) => assert!(error.starts_with(start), "{error}"),
                (got, want) => panic!("{value}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn a_v1_trigger_is_refused_by_name() {
        let yaml = "Resources:\n  Pool:\n    Type: AWS::Cognito::UserPool\n    Properties:\n\
                    \x20     LambdaConfig: {PreTokenGeneration: !GetAtt F.Arn}\n";
        let error = Template::from_yaml(yaml)
            .unwrap()
            .pre_token_trigger()
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("Pool.LambdaConfig: a V1_0"), "{error}");
    }

    #[test]
    fn api_events_only_and_methods_upper_case() {
        let routes = mini().api_routes().unwrap();
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].key(), "GET /x");
        assert_eq!(routes[0].api, OnApi::Rest(Some("Api".into())));
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
    fn the_pool_issuer_form_follows_issuer_configuration() {
        let pool = |config: &str| {
            let yaml = format!(
                "Parameters:\n  IssuerType: {{Type: String, Default: UPDATED}}\n\
                 Resources:\n  Pool:\n    Type: AWS::Cognito::UserPool\n    Properties: {config}\n"
            );
            Template::from_yaml(&yaml)
                .unwrap()
                .user_pool()
                .map(|p| p.issuer_form)
        };
        use shared::IssuerForm::{Original, Updated};
        assert_eq!(pool("{}").unwrap(), Original);
        assert_eq!(
            pool("{IssuerConfiguration: {Type: ORIGINAL}}").unwrap(),
            Original
        );
        assert_eq!(
            pool("{IssuerConfiguration: {Type: !Ref IssuerType}}").unwrap(),
            Updated
        );
        let error = pool("{IssuerConfiguration: {Type: NEWEST}}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("Pool.IssuerConfiguration.Type"), "{error}");
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
        assert_eq!(t.app_clients().unwrap()[0].scopes[1], "gamma-api/read");
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
