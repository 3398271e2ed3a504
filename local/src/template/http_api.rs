//! The template's HTTP API (`AWS::Serverless::HttpApi`), as plain data: its
//! stage, the routes of its `Type: HttpApi` events, its default Lambda
//! authorizer (payload version, simple answers, identity sources, cache TTL)
//! and its `CorsConfiguration`. What the local HTTP API front does with them
//! lives in `apigateway/`.

use yaml_serde::Value;

use crate::template::error::TemplateError;
use crate::template::resolve::{get_att, key_text, plain_str, sequence};
use crate::template::route::{ApiRoute, DEFAULT_ROUTE, OnApi, parse_method};
use crate::template::sam::{FUNCTION, Template};
use shared::{Method, Rule};

const HTTP_API: &str = "AWS::Serverless::HttpApi";
/// The stage SAM creates when `StageName` is not set: no prefix in paths.
pub const DEFAULT_STAGE: &str = "$default";

/// One value an HTTP API Lambda authorizer reads from a request: its
/// identity sources (and so its cache key) in SAM's `Identity` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `$request.header.<name>` (matched case-insensitively).
    Header(String),
    /// `$request.querystring.<name>`.
    QueryString(String),
    /// `$stageVariables.<name>`.
    StageVariable(String),
    /// `$context.<name>`, e.g. `routeKey`.
    Context(String),
}

impl IdentitySource {
    /// The selection expression as API Gateway writes it.
    pub fn expression(&self) -> String {
        match self {
            IdentitySource::Header(name) => format!("$request.header.{name}"),
            IdentitySource::QueryString(name) => format!("$request.querystring.{name}"),
            IdentitySource::StageVariable(name) => format!("$stageVariables.{name}"),
            IdentitySource::Context(name) => format!("$context.{name}"),
        }
    }
}

/// How one `Identity` list's entries become identity sources.
type MakeSource = fn(String) -> IdentitySource;

/// The HTTP API's default Lambda authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAuthorizerSpec {
    /// The authorizer's name under `Auth.Authorizers`.
    pub name: String,
    /// The function's logical id (`FunctionArn: !GetAtt <id>.Arn`).
    pub function: String,
    /// `AuthorizerPayloadFormatVersion` (`"2.0"` or `"1.0"`).
    pub payload_version: String,
    /// `EnableSimpleResponses` (SAM's default: false, IAM answers).
    pub simple_responses: bool,
    /// `Identity` in SAM's order: headers, query strings, stage variables, context.
    pub identity_sources: Vec<IdentitySource>,
    /// `Identity.ReauthorizeEvery` in seconds (0 = no caching).
    pub ttl_secs: u64,
}

/// `CorsConfiguration`; `true` allows every origin, header and method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpCorsSpec {
    /// `AllowOrigins`.
    pub allow_origins: Vec<String>,
    /// `AllowHeaders`.
    pub allow_headers: Vec<String>,
    /// `AllowMethods`.
    pub allow_methods: Vec<String>,
    /// `ExposeHeaders`.
    pub expose_headers: Vec<String>,
    /// `MaxAge` in seconds.
    pub max_age: Option<u64>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

/// The template's HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpApiSpec {
    /// Its logical id.
    pub logical_id: String,
    /// `StageName`, or [`DEFAULT_STAGE`].
    pub stage: String,
    /// The routes of the functions' `Type: HttpApi` events.
    pub routes: Vec<ApiRoute>,
    /// The default authorizer, if the API has one.
    pub authorizer: Option<HttpAuthorizerSpec>,
    /// `CorsConfiguration`, if set (and not `false`).
    pub cors: Option<HttpCorsSpec>,
}

impl Template {
    /// The template's one HTTP API, or `None` if it declares none.
    pub fn http_api(&self) -> Result<Option<HttpApiSpec>, TemplateError> {
        let mut apis = self.resources_of(HTTP_API);
        let Some((api, properties)) = apis.next() else {
            return Ok(None);
        };
        if let Some((other, _)) = apis.next() {
            return Err(TemplateError::Invalid {
                at: other.to_owned(),
                problem: format!("expected one {HTTP_API}, found {api} and {other}"),
            });
        }
        let stage = match properties.get("StageName") {
            None => DEFAULT_STAGE.to_owned(),
            Some(value) => self.resolve_text(value, &format!("{api}.StageName"))?,
        };
        Ok(Some(HttpApiSpec {
            logical_id: api.to_owned(),
            stage,
            routes: self.http_api_routes()?,
            authorizer: self.http_authorizer(api, properties)?,
            cors: self.http_cors(api, properties)?,
        }))
    }

    /// Every `Type: HttpApi` event of every function, in template order.
    fn http_api_routes(&self) -> Result<Vec<ApiRoute>, TemplateError> {
        let mut routes = Vec::new();
        for (function, properties) in self.resources_of(FUNCTION) {
            let Some(events) = properties.get("Events").and_then(Value::as_mapping) else {
                continue;
            };
            for (event, spec) in events {
                let event = key_text(event, function)?;
                if plain_str(spec.get("Type")) != Some("HttpApi") {
                    continue;
                }
                let at = format!("{function}.Events.{event}.Properties");
                let props = spec.get("Properties");
                // SAM's default for an HttpApi event without a path is the
                // `$default` route.
                let text = |key: &str| match props.and_then(|p| p.get(key)) {
                    None => Ok(None),
                    Some(value) => self.resolve_text(value, &format!("{at}.{key}")).map(Some),
                };
                let (method, path) = match (text("Method")?, text("Path")?) {
                    (Some(method), Some(path)) => {
                        (parse_method(&method, &format!("{at}.Method"))?, path)
                    }
                    (None, None) => (Method::Any, DEFAULT_ROUTE.to_owned()),
                    _ => return Err(TemplateError::Missing(format!("{at}.Method and Path"))),
                };
                let api_id = props
                    .and_then(|p| p.get("ApiId"))
                    .and_then(crate::template::resolve::ref_target)
                    .map(str::to_owned);
                routes.push(ApiRoute {
                    function: function.to_owned(),
                    event: event.to_owned(),
                    api: OnApi::Http(api_id),
                    method,
                    path,
                    rule: Rule::default(),
                });
            }
        }
        Ok(routes)
    }

    fn http_authorizer(
        &self,
        api: &str,
        properties: &Value,
    ) -> Result<Option<HttpAuthorizerSpec>, TemplateError> {
        let Some(auth) = properties.get("Auth") else {
            return Ok(None);
        };
        let Some(name) = plain_str(auth.get("DefaultAuthorizer")) else {
            return Ok(None);
        };
        let at = format!("{api}.Auth.Authorizers.{name}");
        let authorizer = auth
            .get("Authorizers")
            .and_then(|a| a.get(name))
            .ok_or_else(|| TemplateError::Missing(at.clone()))?;
        let arn = authorizer
            .get("FunctionArn")
            .ok_or_else(|| TemplateError::Invalid {
                at: at.clone(),
                problem: "only Lambda authorizers (FunctionArn) run locally".into(),
            })?;
        let (function, _) = get_att(arn).ok_or_else(|| TemplateError::Invalid {
            at: format!("{at}.FunctionArn"),
            problem: "expected !GetAtt <Function>.Arn".into(),
        })?;
        let payload_version = match authorizer.get("AuthorizerPayloadFormatVersion") {
            Some(value) => {
                let version =
                    self.resolve_text(value, &format!("{at}.AuthorizerPayloadFormatVersion"))?;
                // YAML may read an unquoted 2.0 as the number 2.
                if version == "2" {
                    "2.0".into()
                } else {
                    version
                }
            }
            None => {
                return Err(TemplateError::Missing(format!(
                    "{at}.AuthorizerPayloadFormatVersion"
                )));
            }
        };
        let simple_responses = match authorizer.get("EnableSimpleResponses") {
            None => false,
            Some(value) => self.resolve_bool(value, &format!("{at}.EnableSimpleResponses"))?,
        };
        let identity = authorizer.get("Identity");
        let mut identity_sources = Vec::new();
        let kinds: [(&str, MakeSource); 4] = [
            ("Headers", IdentitySource::Header),
            ("QueryStrings", IdentitySource::QueryString),
            ("StageVariables", IdentitySource::StageVariable),
            ("Context", IdentitySource::Context),
        ];
        for (key, make) in kinds {
            let Some(list) = identity.and_then(|i| i.get(key)) else {
                continue;
            };
            let list_at = format!("{at}.Identity.{key}");
            for item in sequence(list, &list_at)? {
                identity_sources.push(make(self.resolve_text(item, &list_at)?));
            }
        }
        let ttl_at = format!("{at}.Identity.ReauthorizeEvery");
        let ttl_secs = match identity.and_then(|i| i.get("ReauthorizeEvery")) {
            None => 0,
            Some(value) => {
                let text = self.resolve_text(value, &ttl_at)?;
                text.parse().map_err(|_| TemplateError::Invalid {
                    at: ttl_at,
                    problem: format!("{text:?} is not a number of seconds"),
                })?
            }
        };
        Ok(Some(HttpAuthorizerSpec {
            name: name.to_owned(),
            function,
            payload_version,
            simple_responses,
            identity_sources,
            ttl_secs,
        }))
    }

    fn http_cors(
        &self,
        api: &str,
        properties: &Value,
    ) -> Result<Option<HttpCorsSpec>, TemplateError> {
        let at = format!("{api}.CorsConfiguration");
        let Some(cors) = properties.get("CorsConfiguration") else {
            return Ok(None);
        };
        if !matches!(cors, Value::Mapping(_)) {
            let all = || vec!["*".to_owned()];
            return Ok(self.resolve_bool(cors, &at)?.then(|| HttpCorsSpec {
                allow_origins: all(),
                allow_headers: all(),
                allow_methods: all(),
                ..HttpCorsSpec::default()
            }));
        }
        let list = |key: &str| -> Result<Vec<String>, TemplateError> {
            let Some(value) = cors.get(key) else {
                return Ok(Vec::new());
            };
            let at = format!("{at}.{key}");
            sequence(value, &at)?
                .iter()
                .map(|item| self.resolve_text(item, &at))
                .collect()
        };
        let max_age = match cors.get("MaxAge") {
            None => None,
            Some(value) => {
                let at = format!("{at}.MaxAge");
                let text = self.resolve_text(value, &at)?;
                Some(text.parse().map_err(|_| TemplateError::Invalid {
                    at,
                    problem: format!("{text:?} is not a number of seconds"),
                })?)
            }
        };
        Ok(Some(HttpCorsSpec {
            allow_origins: list("AllowOrigins")?,
            allow_headers: list("AllowHeaders")?,
            allow_methods: list("AllowMethods")?,
            expose_headers: list("ExposeHeaders")?,
            max_age,
            allow_credentials: match cors.get("AllowCredentials") {
                None => false,
                Some(value) => self.resolve_bool(value, &format!("{at}.AllowCredentials"))?,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  WebAppOrigin: {Type: String, Default: "http://localhost:8080"}
  StageName: {Type: String, Default: Prod}
  Ttl: {Type: Number, Default: 300}
Resources:
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: !Ref StageName
      CorsConfiguration:
        AllowOrigins: [!Ref WebAppOrigin]
        AllowHeaders: [Authorization, Content-Type]
        AllowMethods: [GET, POST, OPTIONS]
        MaxAge: 600
      Auth:
        DefaultAuthorizer: Lambda
        Authorizers:
          Lambda:
            FunctionArn: !GetAtt AuthorizerFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity:
              Headers: [Authorization]
              Context: [routeKey]
              ReauthorizeEvery: !Ref Ttl
  AuthorizerFunction:
    Type: AWS::Serverless::Function
    Properties: {}
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Book:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Path: /book/{id}
            Method: get
        Rest:
          Type: Api
          Properties: {Path: /rest, Method: get}
"#;

    #[test]
    fn the_http_api_is_read_as_plain_data() {
        let api = Template::from_yaml(TEMPLATE).unwrap().http_api().unwrap();
        let api = api.expect("an HttpApi");
        assert_eq!(api.stage, "Prod");
        let keys: Vec<String> = api.routes.iter().map(ApiRoute::key).collect();
        assert_eq!(keys, ["GET /book/{id}"]);
        assert_eq!(api.routes[0].api, OnApi::Http(Some("HttpApi".into())));
        let authorizer = api.authorizer.unwrap();
        assert_eq!(authorizer.function, "AuthorizerFunction");
        assert_eq!(authorizer.payload_version, "2.0");
        assert!(authorizer.simple_responses);
        assert_eq!(authorizer.ttl_secs, 300);
        let expressions: Vec<String> = authorizer
            .identity_sources
            .iter()
            .map(IdentitySource::expression)
            .collect();
        assert_eq!(
            expressions,
            ["$request.header.Authorization", "$context.routeKey"]
        );
        let cors = api.cors.unwrap();
        assert_eq!(cors.allow_origins, ["http://localhost:8080"]);
        assert_eq!(cors.allow_methods, ["GET", "POST", "OPTIONS"]);
        assert_eq!(cors.max_age, Some(600));
    }

    #[test]
    fn sam_defaults_apply() {
        let text = TEMPLATE
            .replace("      StageName: !Ref StageName\n", "")
            .replace("            EnableSimpleResponses: true\n", "")
            .replace("              ReauthorizeEvery: !Ref Ttl\n", "");
        let api = Template::from_yaml(&text)
            .unwrap()
            .http_api()
            .unwrap()
            .unwrap();
        assert_eq!(api.stage, DEFAULT_STAGE);
        let authorizer = api.authorizer.unwrap();
        assert!(!authorizer.simple_responses);
        assert_eq!(authorizer.ttl_secs, 0);
    }

    #[test]
    fn bad_http_apis_name_the_failed_part() {
        let cases = [
            (
                TEMPLATE.replace("            AuthorizerPayloadFormatVersion: \"2.0\"\n", ""),
                "AuthorizerPayloadFormatVersion is missing",
            ),
            (
                TEMPLATE.replace("Default: 300", "Default: soon"),
                "\"soon\" is not a number of seconds",
            ),
            (
                TEMPLATE.replace("MaxAge: 600", "MaxAge: [1]"),
                "CorsConfiguration.MaxAge",
            ),
        ];
        for (text, expected) in cases {
            let error = Template::from_yaml(&text)
                .unwrap()
                .http_api()
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{error} lacks {expected}");
        }
    }

    #[test]
    fn the_seed_templates_http_api_caches_per_route_key() {
        let template =
            Template::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
        let api = template.http_api().unwrap().expect("the seed's HttpApi");
        let authorizer = api.authorizer.expect("a Lambda authorizer");
        assert!(authorizer.simple_responses);
        assert!(
            authorizer
                .identity_sources
                .contains(&IdentitySource::Context("routeKey".into()))
        );
        assert_eq!(authorizer.function, "AuthorizerFunction");
        let keys: Vec<String> = api.routes.iter().map(ApiRoute::key).collect();
        for key in ["GET /awesomeapi", "GET /book", "POST /book", "GET /user"] {
            assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
        }
        assert!(api.cors.is_some());
    }

    #[test]
    fn a_template_without_an_http_api_has_none() {
        let text = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n";
        assert_eq!(Template::from_yaml(text).unwrap().http_api().unwrap(), None);
    }
}
