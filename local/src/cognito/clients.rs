//! The local user pool's app clients: their credentials, grants and scopes,
//! and client authentication as Cognito's token endpoint performs it.

use aws_lc_rs::constant_time::verify_slices_are_equal;

use crate::state::LocalState;
use crate::template::sam::{RefreshRotation, TokenValidity};
use crate::template::spec::ClientSpec;

/// One app client with its local credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClient {
    /// The template's logical id.
    pub name: String,
    /// The client id.
    pub client_id: String,
    /// The client secret; public clients have none.
    pub client_secret: Option<String>,
    /// `AllowedOAuthFlows`.
    pub flows: Vec<String>,
    /// `AllowedOAuthScopes`, in template order.
    pub scopes: Vec<String>,
    /// `CallbackURLs`; a sign-in redirect must equal one of them exactly.
    pub callback_urls: Vec<String>,
    /// `LogoutURLs`; `/logout`'s `logout_uri` must equal one of them.
    pub logout_urls: Vec<String>,
    /// Token lifetimes.
    pub validity: TokenValidity,
    /// Refresh-token rotation, when the template enables it.
    pub refresh_rotation: Option<RefreshRotation>,
}

impl AppClient {
    /// True if the client may use the client-credentials grant.
    pub fn allows_client_credentials(&self) -> bool {
        self.flows.iter().any(|f| f == "client_credentials")
    }

    /// True if the client may use the authorization-code grant.
    pub fn allows_code(&self) -> bool {
        self.flows.iter().any(|f| f == "code")
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
}

impl AppClient {
    /// A public client with no flows, scopes or URLs and Cognito's default
    /// lifetimes: a base for tests' `..AppClient::example()`.
    pub fn example() -> Self {
        Self {
            name: "Example".into(),
            client_id: "example".into(),
            client_secret: None,
            flows: Vec::new(),
            scopes: Vec::new(),
            callback_urls: Vec::new(),
            logout_urls: Vec::new(),
            validity: TokenValidity::default(),
            refresh_rotation: None,
        }
    }
}

/// The pool's app clients.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    clients: Vec<AppClient>,
}

impl Clients {
    /// Clients from a list.
    pub fn new(clients: Vec<AppClient>) -> Self {
        Self { clients }
    }

    /// Pairs the template's clients with their stored credentials; clients
    /// without stored credentials are left out.
    pub fn from_state(specs: &[ClientSpec], state: &LocalState) -> Self {
        let clients = specs
            .iter()
            .filter_map(|spec| {
                let creds = state.clients.get(&spec.name)?;
                Some(AppClient {
                    name: spec.name.clone(),
                    client_id: creds.client_id.clone(),
                    client_secret: creds.client_secret.clone(),
                    flows: spec.flows.clone(),
                    scopes: spec.scopes.clone(),
                    callback_urls: spec.callback_urls.clone(),
                    logout_urls: spec.logout_urls.clone(),
                    validity: spec.validity,
                    refresh_rotation: spec.refresh_rotation,
                })
            })
            .collect();
        Self { clients }
    }

    /// Every client.
    pub fn all(&self) -> &[AppClient] {
        &self.clients
    }

    /// The client with this id.
    pub fn find(&self, client_id: &str) -> Option<&AppClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The client if `secret` is right for it: clients with a secret must
    /// present it, public clients must present none.
    pub fn authenticate(&self, client_id: &str, secret: Option<&str>) -> Option<&AppClient> {
        let client = self.find(client_id)?;
        match (client.client_secret.as_deref(), secret) {
            // Constant-time so that response timing does not reveal how much
            // of a guessed secret was right.
            (Some(expected), Some(given)) => {
                verify_slices_are_equal(expected.as_bytes(), given.as_bytes())
                    .ok()
                    .map(|()| client)
            }
            (None, None) => Some(client),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients() -> Clients {
        Clients::new(vec![
            AppClient {
                name: "M2M".into(),
                client_id: "m2m".into(),
                client_secret: Some("s3cret".into()),
                flows: vec!["client_credentials".into()],
                scopes: vec!["API/book.get".into(), "openid".into()],
                ..AppClient::example()
            },
            AppClient {
                name: "Web".into(),
                client_id: "web".into(),
                client_secret: None,
                flows: vec!["code".into()],
                scopes: vec!["openid".into()],
                ..AppClient::example()
            },
        ])
    }

    #[test]
    fn authentication_needs_exactly_the_right_secret() {
        let c = clients();
        let cases = [
            ("m2m", Some("s3cret"), Some("M2M")),
            ("m2m", Some("s3cre"), None),
            ("m2m", Some("s3cret "), None),
            ("m2m", None, None),
            ("web", None, Some("Web")),
            ("web", Some("x"), None),
            ("nobody", None, None),
        ];
        for (id, secret, expected) in cases {
            let got = c.authenticate(id, secret).map(|c| c.name.as_str());
            assert_eq!(got, expected, "{id} {secret:?}");
        }
    }

    #[test]
    fn machines_get_only_custom_scopes() {
        let c = clients();
        let m2m = c.find("m2m").unwrap();
        assert!(m2m.allows_client_credentials());
        assert_eq!(m2m.custom_scopes().collect::<Vec<_>>(), ["API/book.get"]);
        assert!(!c.find("web").unwrap().allows_client_credentials());
    }
}
