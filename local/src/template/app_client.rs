//! An app client of the user pool, the one type for it: the template
//! reader fills in what `AWS::Cognito::UserPoolClient` declares, the state
//! folder adds the local id and secret, and the pool, `stack.json`, the
//! banner and the web app's `config.json` all read this. Closed sets
//! (OAuth flows, auth flows) are enums.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An `AllowedOAuthFlows` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFlow {
    /// `code`: the authorization-code grant (the hosted sign-in).
    Code,
    /// `implicit`: tokens in the redirect (not served locally).
    Implicit,
    /// `client_credentials`: machine-to-machine tokens.
    ClientCredentials,
}

impl OAuthFlow {
    /// Every flow, in the order Cognito's documentation lists them.
    pub const ALL: [Self; 3] = [Self::Code, Self::Implicit, Self::ClientCredentials];

    /// The name as the template and Cognito write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Implicit => "implicit",
            Self::ClientCredentials => "client_credentials",
        }
    }

    /// The flow named `name`, as the template writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl fmt::Display for OAuthFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `ExplicitAuthFlows` entry: a sign-in of the user-pool API
/// (`InitiateAuth`), not the hosted page's. The local pool serves none of
/// them; they are read so that a typo fails at start-up, as a deploy would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthFlow {
    /// `ALLOW_USER_AUTH`: choice-based sign-in.
    UserAuth,
    /// `ALLOW_USER_SRP_AUTH`: SRP.
    UserSrpAuth,
    /// `ALLOW_USER_PASSWORD_AUTH`: the plain password.
    UserPasswordAuth,
    /// `ALLOW_ADMIN_USER_PASSWORD_AUTH`: the plain password, server-side.
    AdminUserPasswordAuth,
    /// `ALLOW_CUSTOM_AUTH`: Lambda-driven challenges.
    CustomAuth,
    /// `ALLOW_REFRESH_TOKEN_AUTH`: `REFRESH_TOKEN_AUTH` (off with rotation).
    RefreshTokenAuth,
    /// `ADMIN_NO_SRP_AUTH`: the legacy name of `ALLOW_ADMIN_USER_PASSWORD_AUTH`.
    LegacyAdminNoSrpAuth,
    /// `CUSTOM_AUTH_FLOW_ONLY`: the legacy custom flow.
    LegacyCustomAuthFlowOnly,
    /// `USER_PASSWORD_AUTH`: the legacy name of `ALLOW_USER_PASSWORD_AUTH`.
    LegacyUserPasswordAuth,
}

impl AuthFlow {
    /// Every flow.
    pub const ALL: [Self; 9] = [
        Self::UserAuth,
        Self::UserSrpAuth,
        Self::UserPasswordAuth,
        Self::AdminUserPasswordAuth,
        Self::CustomAuth,
        Self::RefreshTokenAuth,
        Self::LegacyAdminNoSrpAuth,
        Self::LegacyCustomAuthFlowOnly,
        Self::LegacyUserPasswordAuth,
    ];

    /// The name as the template and Cognito write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserAuth => "ALLOW_USER_AUTH",
            Self::UserSrpAuth => "ALLOW_USER_SRP_AUTH",
            Self::UserPasswordAuth => "ALLOW_USER_PASSWORD_AUTH",
            Self::AdminUserPasswordAuth => "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            Self::CustomAuth => "ALLOW_CUSTOM_AUTH",
            Self::RefreshTokenAuth => "ALLOW_REFRESH_TOKEN_AUTH",
            Self::LegacyAdminNoSrpAuth => "ADMIN_NO_SRP_AUTH",
            Self::LegacyCustomAuthFlowOnly => "CUSTOM_AUTH_FLOW_ONLY",
            Self::LegacyUserPasswordAuth => "USER_PASSWORD_AUTH",
        }
    }

    /// The flow named `name`, as the template writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
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

/// Refresh-token rotation on an app client: each refresh grant answers a
/// new refresh token, and the one it replaces works `grace_secs` more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshRotation {
    /// `RetryGracePeriodSeconds` (0 to 60; 0 when left out).
    pub grace_secs: i64,
}

/// A user-pool app client. Serialized, it is a client of `stack.json`
/// (docs/stack-json.md): the settings the pool alone needs are left out.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClient {
    /// The template's logical id, e.g. `WebClient`; local ids and secrets
    /// are kept under it.
    pub name: String,
    /// The local client id (from the state folder; empty as read from the template).
    pub client_id: String,
    /// The local secret (from the state folder); public clients have none.
    pub client_secret: Option<String>,
    /// `AllowedOAuthFlows`.
    pub flows: Vec<OAuthFlow>,
    /// `AllowedOAuthScopes`, resolved, in template order.
    pub scopes: Vec<String>,
    /// `CallbackURLs`, resolved; a sign-in redirect must equal one exactly.
    pub callback_urls: Vec<String>,
    /// `LogoutURLs`, resolved; `/logout`'s `logout_uri` must equal one.
    pub logout_urls: Vec<String>,
    /// `ExplicitAuthFlows`.
    #[serde(skip)]
    pub auth_flows: Vec<AuthFlow>,
    /// `GenerateSecret`.
    #[serde(skip)]
    pub generate_secret: bool,
    /// The token lifetimes, from `*TokenValidity` and `TokenValidityUnits`.
    #[serde(skip)]
    pub validity: TokenValidity,
    /// `RefreshTokenRotation`, when its `Feature` is `ENABLED`.
    #[serde(skip)]
    pub refresh_rotation: Option<RefreshRotation>,
}

impl AppClient {
    /// True if the client may use `flow`.
    pub fn allows(&self, flow: OAuthFlow) -> bool {
        self.flows.contains(&flow)
    }

    /// True for a client with a secret (it must authenticate at the token endpoint).
    pub fn is_confidential(&self) -> bool {
        self.client_secret.is_some()
    }

    /// The scopes a client-credentials token may carry: Cognito grants only
    /// custom `<resource-server>/<scope>` scopes to machines, never `openid`
    /// and the like.
    pub fn custom_scopes(&self) -> impl Iterator<Item = &str> {
        self.scopes
            .iter()
            .map(String::as_str)
            .filter(|s| s.contains('/'))
    }

    /// The flows' names, space-separated, for people.
    pub fn flow_names(&self) -> String {
        let names: Vec<&str> = self.flows.iter().map(|f| f.as_str()).collect();
        names.join(" ")
    }

    /// A public client with no flows, scopes or URLs and Cognito's default
    /// lifetimes: a base for tests' `..AppClient::example()`.
    pub fn example() -> Self {
        Self {
            name: "Example".into(),
            client_id: "example".into(),
            ..Self::default()
        }
    }
}

impl fmt::Debug for AppClient {
    // The secret must not reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppClient")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("flows", &self.flows)
            .field("scopes", &self.scopes)
            .field("callback_urls", &self.callback_urls)
            .field("logout_urls", &self.logout_urls)
            .field("auth_flows", &self.auth_flows)
            .field("generate_secret", &self.generate_secret)
            .field("validity", &self.validity)
            .field("refresh_rotation", &self.refresh_rotation)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_read_and_write_the_templates_names() {
        for flow in OAuthFlow::ALL {
            assert_eq!(OAuthFlow::parse(flow.as_str()), Some(flow));
            let json = serde_json::to_string(&flow).unwrap();
            assert_eq!(json, format!("\"{flow}\""));
        }
        for flow in AuthFlow::ALL {
            assert_eq!(AuthFlow::parse(flow.as_str()), Some(flow));
        }
        for unknown in ["Code", "authorization_code", ""] {
            assert_eq!(OAuthFlow::parse(unknown), None, "{unknown}");
        }
        assert_eq!(AuthFlow::parse("USER_SRP_AUTH"), None);
        assert_eq!(AuthFlow::parse("allow_user_srp_auth"), None);
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let client = AppClient {
            client_secret: Some("s3cret-value".into()),
            flows: vec![OAuthFlow::ClientCredentials, OAuthFlow::Code],
            ..AppClient::example()
        };
        let debug = format!("{client:?}");
        assert!(!debug.contains("s3cret-value"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert_eq!(client.flow_names(), "client_credentials code");
        assert!(client.allows(OAuthFlow::Code));
        assert!(!client.allows(OAuthFlow::Implicit));
    }
}
