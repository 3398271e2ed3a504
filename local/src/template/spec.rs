//! What the local stack needs to know about the deployed system, in plain
//! data: the API's routes, the user pool's app clients and the authorizer's
//! settings. It is read from template.yaml so that local runs mirror a deploy.

use shared::{RouteTable, Rule};
use thiserror::Error;

use crate::template::api_responses::{CorsPreflight, GatewayResponses, ResponseConfigError};
use crate::template::app_client::{AppClient, OAuthFlow};
use crate::template::http_api::HttpApiSpec;
use crate::template::password_policy::PasswordPolicy;
use crate::template::pre_token::PreTokenSpec;
use crate::template::route::ApiRoute;
use crate::template::sam::{Template, TemplateError};

/// The output holding the web app's Content-Security-Policy header.
pub const WEB_APP_CSP_OUTPUT: &str = "WebAppContentSecurityPolicy";

/// Everything the local stack takes from the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSpec {
    /// The REST API's routes, in template order, each with its rule.
    pub routes: Vec<ApiRoute>,
    /// The user pool's app clients (without local ids and secrets).
    pub clients: Vec<AppClient>,
    /// The authorizer's `ROUTE_SCOPES`, resolved, exactly as deployed.
    pub route_scopes: String,
    /// Logical ids of the clients in the authorizer's `APP_CLIENT_IDS`.
    pub authorizer_clients: Vec<String>,
    /// The authorizer's `ReauthorizeEvery` in seconds (0 = no caching).
    pub reauthorize_every: u64,
    /// The API stage name, e.g. `Prod`.
    pub stage: String,
    /// The user pool's password policy (Cognito's default without a pool).
    pub password_policy: PasswordPolicy,
    /// The user pool's issuer form (`IssuerConfiguration.Type`).
    pub issuer_form: shared::IssuerForm,
    /// The API's CORS preflight mock, when the template has `Cors`.
    pub cors: Option<CorsPreflight>,
    /// The headers `GatewayResponses` add to API Gateway's own answers.
    pub gateway_responses: GatewayResponses,
    /// The handler's environment variables, as the template sets them.
    pub handler_environment: Vec<(String, String)>,
    /// The pool's pre-token-generation trigger, when the template (with its
    /// parameters) attaches one.
    pub pre_token: Option<PreTokenSpec>,
    /// The `WebAppContentSecurityPolicy` output's `!Sub` text, placeholders
    /// left in: the header the web app is served with.
    pub web_app_csp: Option<String>,
    /// The template's HTTP API (payload 2.0), if it declares one.
    pub http_api: Option<HttpApiSpec>,
}

impl StackSpec {
    /// The tutorial's route, `GET /awesomeapi` in the seed template: the
    /// template's first REST API route. The stack warms up with it and the
    /// banner's walkthrough calls it.
    pub fn tutorial_route(&self) -> Option<&ApiRoute> {
        self.routes.first()
    }

    /// The first client allowed the client-credentials grant: the one the
    /// walkthrough uses.
    pub fn m2m_client(&self) -> Option<&AppClient> {
        self.clients
            .iter()
            .find(|c| c.allows(OAuthFlow::ClientCredentials))
    }
}

/// Why the template does not describe a stack that can run locally.
#[derive(Debug, Error)]
pub enum SpecError {
    /// The template could not be read or resolved.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The authorizer's `ROUTE_SCOPES` is not a route table the authorizer would accept.
    #[error("the authorizer's ROUTE_SCOPES: {0}")]
    RouteScopes(String),
    /// The API's `Cors` or `GatewayResponses` cannot be applied.
    #[error(transparent)]
    Responses(#[from] ResponseConfigError),
}

impl StackSpec {
    /// Reads what the stack needs from a parsed template: the routes of
    /// its `Api` events (with the scopes `ROUTE_SCOPES` gives them), the
    /// app clients, `ReauthorizeEvery`, the stage, the API's `Cors` and
    /// `GatewayResponses`, and the handler's environment.
    pub fn from_template(template: &Template) -> Result<Self, SpecError> {
        let route_scopes = template.route_scopes_json()?;
        // Read by the authorizer's own parser, so local refuses what a deploy would.
        let table = RouteTable::from_json(&route_scopes)
            .map_err(|e| SpecError::RouteScopes(e.to_string()))?;
        let routes = template
            .api_routes()?
            .into_iter()
            .map(|route| {
                let configured = table.routes().iter().find(|r| r.key == route.key());
                let rule = configured.map_or_else(Rule::default, |r| Rule {
                    scopes: r.scopes.clone(),
                    groups: r.groups.clone(),
                });
                ApiRoute { rule, ..route }
            })
            .collect();
        let clients = template.app_clients()?;
        let (password_policy, issuer_form) = match template.user_pool() {
            Ok(pool) => (pool.password_policy, pool.issuer_form),
            Err(TemplateError::Missing(_)) => Default::default(),
            Err(error) => return Err(error.into()),
        };
        Ok(Self {
            routes,
            clients,
            route_scopes,
            authorizer_clients: template.authorizer_variable_references("APP_CLIENT_IDS")?,
            reauthorize_every: template.reauthorize_every()?,
            stage: template.stage_name_default()?,
            password_policy,
            issuer_form,
            cors: template
                .api_cors()?
                .map(|cors| CorsPreflight::from_spec(&cors))
                .transpose()?,
            gateway_responses: GatewayResponses::from_specs(&template.gateway_responses()?)?,
            handler_environment: template.handler_variables()?,
            pre_token: template.pre_token_trigger()?,
            web_app_csp: template.output_sub_text(WEB_APP_CSP_OUTPUT)?,
            http_api: template.http_api()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_template_gives_the_walkthrough_its_routes_and_clients() {
        let template =
            Template::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
        let spec = StackSpec::from_template(&template).unwrap();
        let keys: Vec<String> = spec.routes.iter().map(ApiRoute::key).collect();
        for key in ["GET /awesomeapi", "GET /book", "POST /book", "GET /user"] {
            assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
        }
        let awesome = spec.tutorial_route().unwrap();
        assert_eq!(awesome.key(), "GET /awesomeapi");
        assert_eq!(
            awesome.rule.scopes,
            ["awesomeapi-resource-server/awesomeapi.read"]
        );
        let m2m = spec.m2m_client().unwrap();
        assert!(m2m.generate_secret);
        assert!(m2m.scopes.iter().any(|s| s == "API/book.get"));
        assert!(!m2m.scopes.iter().any(|s| s.starts_with("API/user.")));
        assert!(spec.authorizer_clients.contains(&m2m.name));
        assert!(spec.reauthorize_every <= 3600);
        assert!(!spec.stage.is_empty());
        assert!(shared::RouteTable::from_json(&spec.route_scopes).is_ok());
        let web = spec.clients.iter().find(|c| c.name == "WebClient").unwrap();
        assert_eq!(web.callback_urls, ["http://localhost:8080/"]);
        assert_eq!(web.logout_urls, ["http://localhost:8080/"]);
        assert_eq!(
            (
                web.validity.access_secs,
                web.validity.id_secs,
                web.validity.refresh_secs
            ),
            (900, 900, 30 * 86_400)
        );
        // The API's CORS parts and the handler's origin come from one parameter.
        let routes = shared::RouteTable::from_json(&spec.route_scopes).unwrap();
        let cors = spec.cors.as_ref().expect("the template has Cors");
        assert!(
            !cors.authorize,
            "AddDefaultAuthorizerToCorsPreflight: false"
        );
        let preflight: Vec<(String, String)> =
            cors.headers(&routes, "/book", &hyper::HeaderMap::new());
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            preflight,
            pairs(&[
                ("Access-Control-Allow-Origin", "http://localhost:8080"),
                ("Access-Control-Allow-Headers", "Authorization,Content-Type"),
                ("Access-Control-Allow-Methods", "GET,POST,DELETE,OPTIONS"),
                ("Access-Control-Max-Age", "600"),
            ])
        );
        for (kind, status) in [
            ("UNAUTHORIZED", 401),
            ("ACCESS_DENIED", 403),
            ("MISSING_AUTHENTICATION_TOKEN", 403),
            ("AUTHORIZER_CONFIGURATION_ERROR", 500),
        ] {
            assert_eq!(
                spec.gateway_responses
                    .headers_for(kind, status, &hyper::HeaderMap::new()),
                pairs(&[("Access-Control-Allow-Origin", "http://localhost:8080")]),
                "{kind}"
            );
        }
        assert_eq!(
            spec.handler_environment,
            pairs(&[("CORS_ALLOWED_ORIGINS", "http://localhost:8080")])
        );
        let policy = &spec.password_policy;
        assert!(policy.check("Correct-Horse-9").is_ok());
        for (password, setting) in [
            (
                "Short-Pw-9",
                "UserPool.Policies.PasswordPolicy.MinimumLength",
            ),
            (
                "Correct-Horse-X",
                "UserPool.Policies.PasswordPolicy.RequireNumbers",
            ),
            (
                "correct-horse-9",
                "UserPool.Policies.PasswordPolicy.RequireUppercase",
            ),
        ] {
            let refused = policy.check(password).unwrap_err().to_string();
            assert!(refused.contains(setting), "{password}: {refused}");
        }
    }

    #[test]
    fn token_validity_follows_the_units_and_cognitos_limits() {
        let client = |props: &str| {
            let yaml = format!(
                "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n    Properties: {props}\n"
            );
            Template::from_yaml(&yaml)
                .unwrap()
                .app_clients()
                .map(|c| c[0].validity)
        };
        let v = client("{}").unwrap();
        assert_eq!(
            (v.access_secs, v.id_secs, v.refresh_secs),
            (3600, 3600, 2_592_000)
        );
        let v = client("{AccessTokenValidity: 2, IdTokenValidity: 30, RefreshTokenValidity: 90, TokenValidityUnits: {IdToken: minutes, RefreshToken: minutes}}").unwrap();
        assert_eq!(
            (v.access_secs, v.id_secs, v.refresh_secs),
            (7200, 1800, 5400)
        );
        for bad in [
            "{AccessTokenValidity: 2, TokenValidityUnits: {AccessToken: days}}",
            "{AccessTokenValidity: 4, TokenValidityUnits: {AccessToken: minutes}}",
            "{RefreshTokenValidity: 30, TokenValidityUnits: {RefreshToken: minutes}}",
            "{AccessTokenValidity: soon}",
            "{AccessTokenValidity: 1, TokenValidityUnits: {AccessToken: weeks}}",
        ] {
            let error = client(bad).unwrap_err().to_string();
            assert!(error.starts_with("C."), "{bad}: {error}");
        }
    }

    #[test]
    fn flows_are_read_into_their_enums_and_unknown_names_are_refused() {
        let client = |props: &str| {
            let yaml = format!(
                "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n    Properties: {props}\n"
            );
            Template::from_yaml(&yaml).unwrap().app_clients()
        };
        let read = client(
            "{AllowedOAuthFlows: [code, client_credentials], ExplicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH]}",
        )
        .unwrap();
        assert_eq!(
            read[0].flows,
            [OAuthFlow::Code, OAuthFlow::ClientCredentials]
        );
        assert_eq!(
            read[0].auth_flows,
            [
                crate::template::app_client::AuthFlow::UserSrpAuth,
                crate::template::app_client::AuthFlow::RefreshTokenAuth
            ]
        );
        for (props, at, name) in [
            (
                "{AllowedOAuthFlows: [authorization_code]}",
                "C.AllowedOAuthFlows",
                "authorization_code",
            ),
            (
                "{ExplicitAuthFlows: [USER_SRP_AUTH]}",
                "C.ExplicitAuthFlows",
                "USER_SRP_AUTH",
            ),
        ] {
            let error = client(props).unwrap_err().to_string();
            assert!(
                error.contains(at) && error.contains(name),
                "{props}: {error}"
            );
        }
    }

    #[test]
    fn refresh_rotation_is_on_only_when_enabled_with_a_grace_period_cognito_allows() {
        let client = |props: &str| {
            let yaml = format!(
                "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n    Properties: {props}\n"
            );
            Template::from_yaml(&yaml)
                .unwrap()
                .app_clients()
                .map(|c| c[0].refresh_rotation.map(|r| r.grace_secs))
                .map_err(|e| e.to_string())
        };
        let cases: [(&str, Result<Option<i64>, &str>); 8] = [
            ("{}", Ok(None)),
            (
                "{RefreshTokenRotation: {Feature: DISABLED, RetryGracePeriodSeconds: 10}}",
                Ok(None),
            ),
            ("{RefreshTokenRotation: {}}", Ok(None)),
            ("{RefreshTokenRotation: {Feature: ENABLED}}", Ok(Some(0))),
            (
                "{RefreshTokenRotation: {Feature: ENABLED, RetryGracePeriodSeconds: 60}}",
                Ok(Some(60)),
            ),
            (
                "{RefreshTokenRotation: {Feature: ENABLED, RetryGracePeriodSeconds: 61}}",
                Err("C.RefreshTokenRotation.RetryGracePeriodSeconds"),
            ),
            (
                "{RefreshTokenRotation: {Feature: ENABLED, RetryGracePeriodSeconds: soon}}",
                Err("C.RefreshTokenRotation.RetryGracePeriodSeconds"),
            ),
            (
                "{RefreshTokenRotation: {Feature: ON}}",
                Err("C.RefreshTokenRotation.Feature"),
            ),
        ];
        for (props, expected) in cases {
            match (client(props), expected) {
                (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{props}"),
                (Err(error), Err(at)) => assert!(error.contains(at), "{props}: {error}"),
                (got, expected) => panic!("{props}: {got:?}, expected {expected:?}"),
            }
        }
        // The template's web client rotates with a 10 s grace.
        let template =
            Template::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
        let spec = StackSpec::from_template(&template).unwrap();
        let web = spec.clients.iter().find(|c| c.name == "WebClient").unwrap();
        assert_eq!(
            web.refresh_rotation,
            Some(crate::template::app_client::RefreshRotation { grace_secs: 10 })
        );
        assert_eq!(spec.m2m_client().unwrap().refresh_rotation, None);
    }

    #[test]
    fn callback_urls_come_from_lists_or_comma_delimited_parameters() {
        let yaml = r#"
Parameters:
  Urls: {Type: CommaDelimitedList, Default: "http://localhost:8080/cb, https://app.example.com/cb"}
Resources:
  C:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      CallbackURLs: !Ref Urls
      LogoutURLs: [http://localhost:8080/, !Sub "https://${AWS::NoValue}x"]
"#;
        let template = Template::from_yaml(yaml).unwrap();
        let error = template.app_clients().unwrap_err().to_string();
        assert!(error.contains("C.LogoutURLs"), "{error}");
        let fixed = yaml.replace(", !Sub \"https://${AWS::NoValue}x\"", "");
        let clients = Template::from_yaml(&fixed).unwrap().app_clients().unwrap();
        assert_eq!(
            clients[0].callback_urls,
            ["http://localhost:8080/cb", "https://app.example.com/cb"]
        );
        assert_eq!(clients[0].logout_urls, ["http://localhost:8080/"]);
    }

    #[test]
    fn cors_and_gateway_responses_that_cannot_be_applied_are_named() {
        let base = r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      CORS_PLACE
      Auth:
        DefaultAuthorizer: A
        Authorizers:
          A: {FunctionArn: !GetAtt Auth.Arn}
  Auth:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables: {ROUTE_SCOPES: '{"GET /a":[]}', APP_CLIENT_IDS: x}
  H:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables: {POOL: !Ref Pool}
      Events:
        A: {Type: Api, Properties: {Path: /a, Method: get}}
  Pool:
    Type: AWS::Cognito::UserPool
"#;
        let cases = [
            (
                "Cors: {AllowHeaders: \"'a'\"}",
                "Api.Cors.AllowOrigin is missing",
            ),
            (
                "Cors: \"http://a\"",
                "Cors.AllowOrigin: \"http://a\" is neither",
            ),
            (
                "GatewayResponses: {NOPE: {}}",
                "GatewayResponses.NOPE: not a gateway response type",
            ),
            (
                "Cors: \"'*'\"",
                "H.Environment.Variables.POOL: cannot resolve !Ref Pool",
            ),
        ];
        for (cors, expected) in cases {
            let yaml = base.replace("CORS_PLACE", cors);
            let error = StackSpec::from_template(&Template::from_yaml(&yaml).unwrap())
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{cors}: {error}");
        }
    }

    #[test]
    fn routes_take_their_rules_from_route_scopes_through_the_authorizers_parser() {
        let yaml = r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Cors: "'*'"
      GatewayResponses:
        UNAUTHORIZED:
          ResponseParameters:
            Headers: {X-Origin: method.request.header.origin}
      Auth:
        DefaultAuthorizer: A
        Authorizers:
          A: {FunctionArn: !GetAtt Auth.Arn}
  Auth:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          ROUTE_SCOPES: '{"GET /a":["s/a"],"POST /b":{"scopes":[],"groups":["admins"]}}'
          APP_CLIENT_IDS: !Ref C
  H:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        A: {Type: Api, Properties: {Path: /a, Method: get}}
        B: {Type: Api, Properties: {Path: /b, Method: post}}
  C:
    Type: AWS::Cognito::UserPoolClient
    Properties: {AllowedOAuthFlows: [client_credentials], AllowedOAuthScopes: [s/a], GenerateSecret: true}
"#;
        let spec = StackSpec::from_template(&Template::from_yaml(yaml).unwrap()).unwrap();
        let routes: Vec<(String, Vec<String>)> = spec
            .routes
            .iter()
            .map(|r| (r.key(), r.rule.scopes.clone()))
            .collect();
        assert_eq!(
            routes,
            [
                ("GET /a".to_string(), vec!["s/a".to_string()]),
                ("POST /b".to_string(), vec![])
            ]
        );
        assert_eq!(spec.routes[0].rule.groups, None);
        assert_eq!(spec.routes[1].rule.groups, Some(vec!["admins".to_string()]));
        assert_eq!((spec.reauthorize_every, spec.stage.as_str()), (300, "dev"));
        assert_eq!(spec.authorizer_clients, ["C"]);
        // Cors as a plain string: the origin alone, and the authorizer on
        // the preflight (SAM's default); no handler variables.
        let cors = spec.cors.as_ref().unwrap();
        assert!(cors.authorize);
        let table = shared::RouteTable::from_json(&spec.route_scopes).unwrap();
        let headers = cors.headers(&table, "/a", &hyper::HeaderMap::new());
        assert_eq!(
            headers,
            [
                ("Access-Control-Allow-Origin".to_string(), "*".to_string()),
                (
                    "Access-Control-Allow-Methods".to_string(),
                    "GET,OPTIONS".to_string()
                )
            ]
        );
        let mut request = hyper::HeaderMap::new();
        request.insert("origin", "http://x".parse().unwrap());
        assert_eq!(
            spec.gateway_responses
                .headers_for("UNAUTHORIZED", 401, &request),
            [("X-Origin".to_string(), "http://x".to_string())]
        );
        assert!(spec.handler_environment.is_empty());
    }
}
