//! The local user pool's app clients (the template's, with the ids and
//! secrets the state folder keeps), and client authentication as
//! Cognito's token endpoint performs it.

use aws_lc_rs::constant_time::verify_slices_are_equal;

use crate::state::LocalState;
use crate::template::app_client::AppClient;

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

    /// The template's clients with their stored ids and secrets; clients
    /// without stored credentials are left out.
    pub fn from_state(declared: &[AppClient], state: &LocalState) -> Self {
        let clients = declared
            .iter()
            .filter_map(|client| {
                let creds = state.clients.get(&client.name)?;
                Some(AppClient {
                    client_id: creds.client_id.clone(),
                    client_secret: creds.client_secret.clone(),
                    ..client.clone()
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
    use crate::template::app_client::OAuthFlow;

    fn clients() -> Clients {
        Clients::new(vec![
            AppClient {
                name: "M2M".into(),
                client_id: "m2m".into(),
                client_secret: Some("s3cret".into()),
                flows: vec![OAuthFlow::ClientCredentials],
                scopes: vec!["API/book.get".into(), "openid".into()],
                ..AppClient::example()
            },
            AppClient {
                name: "Web".into(),
                client_id: "web".into(),
                client_secret: None,
                flows: vec![OAuthFlow::Code],
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
        assert!(m2m.allows(OAuthFlow::ClientCredentials));
        assert_eq!(m2m.custom_scopes().collect::<Vec<_>>(), ["API/book.get"]);
        assert!(!c.find("web").unwrap().allows(OAuthFlow::ClientCredentials));
    }
}
