//! The text printed once the stack is ready: where everything listens, the
//! local credentials, the routes, and the walkthrough as curl commands.

use std::fmt::Write;

use crate::cognito::clients::AppClient;
use crate::template::spec::RouteSpec;

/// What the banner shows.
#[derive(Debug, Clone, Copy)]
pub struct Banner<'a> {
    /// e.g. `http://127.0.0.1:3000`.
    pub api_url: &'a str,
    /// e.g. `http://127.0.0.1:9100`.
    pub pool_url: &'a str,
    /// The issuer written into tokens.
    pub issuer: &'a str,
    /// e.g. `http://127.0.0.1:9000`.
    pub watch_url: &'a str,
    /// The stage name.
    pub stage: &'a str,
    /// The app clients with their local credentials.
    pub clients: &'a [AppClient],
    /// The API routes.
    pub routes: &'a [RouteSpec],
    /// The client the walkthrough uses.
    pub m2m: Option<&'a AppClient>,
    /// A single scope for step 6's narrower token.
    pub narrow_scope: Option<&'a str>,
}

/// Extracts `access_token` from the token endpoint's JSON without jq.
const EXTRACT: &str = r#"sed -E 's/.*"access_token":"([^"]+)".*/\1/'"#;

impl Banner<'_> {
    /// The full text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        let api = self.api_url;
        let token_url = format!("{}/oauth2/token", self.pool_url);
        writeln!(out, "\nLocal stack (everything on 127.0.0.1):")?;
        writeln!(
            out,
            "  API (stage {}, served at the root):  {api}",
            self.stage
        )?;
        writeln!(out, "  Token endpoint:                      {token_url}")?;
        writeln!(
            out,
            "  Issuer:                              {}",
            self.issuer
        )?;
        writeln!(
            out,
            "  JWKS:                                {}/.well-known/jwks.json",
            self.issuer
        )?;
        writeln!(
            out,
            "  Lambda Invoke API (cargo lambda):    {}",
            self.watch_url
        )?;
        writeln!(
            out,
            "\nApp clients (local dev credentials, kept in .local-state/):"
        )?;
        for client in self.clients {
            let secret = client
                .client_secret
                .as_deref()
                .unwrap_or("(public client, no secret)");
            writeln!(out, "  {}", client.name)?;
            writeln!(out, "    client_id:     {}", client.client_id)?;
            writeln!(out, "    client_secret: {secret}")?;
            writeln!(out, "    flows:         {}", client.flows.join(" "))?;
            writeln!(out, "    scopes:        {}", client.scopes.join(" "))?;
        }
        writeln!(out, "\nRoutes and the scopes they require:")?;
        for route in self.routes {
            writeln!(
                out,
                "  {:<8}{:<16}{}",
                route.method,
                route.path,
                route.scopes.join(" ")
            )?;
        }
        let Some(m2m) = self.m2m else {
            return writeln!(
                out,
                "\nNo app client allows client_credentials: no walkthrough."
            );
        };
        let credentials = format!(
            "{}:{}",
            m2m.client_id,
            m2m.client_secret.as_deref().unwrap_or_default()
        );
        let bearer = r#"-H "Authorization: Bearer $TOKEN""#;
        writeln!(out, "\nWalkthrough:")?;
        writeln!(out, "  # 1. No token: 401 Unauthorized")?;
        writeln!(out, "  curl -i {api}/awesomeapi")?;
        writeln!(
            out,
            "  # 2. A token by client credentials (every scope the client is allowed)"
        )?;
        writeln!(
            out,
            "  TOKEN=$(curl -s -u '{credentials}' -d grant_type=client_credentials {token_url} | {EXTRACT})"
        )?;
        writeln!(
            out,
            "  # 3. With the token: 200 \"Hello From Protected Resource\""
        )?;
        writeln!(out, "  curl -i {bearer} {api}/awesomeapi")?;
        writeln!(out, "  # 4. Books: 200")?;
        writeln!(out, "  curl -i {bearer} {api}/book")?;
        writeln!(
            out,
            "  curl -i -X POST {bearer} -H 'Content-Type: application/json' -d '{{\"title\":\"Dune\"}}' {api}/book"
        )?;
        writeln!(out, "  # 5. The client has no user scope: 403")?;
        writeln!(out, "  curl -i {bearer} {api}/user")?;
        if let Some(scope) = self.narrow_scope {
            writeln!(out, "  # 6. A token with only {scope}: 403 on /book")?;
            writeln!(
                out,
                "  NARROW=$(curl -s -u '{credentials}' -d grant_type=client_credentials -d scope={scope} {token_url} | {EXTRACT})"
            )?;
            writeln!(
                out,
                "  curl -i -H \"Authorization: Bearer $NARROW\" {api}/book"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walkthrough_names_the_real_credentials_and_steps() {
        let m2m = AppClient {
            name: "M2MClient".into(),
            client_id: "cid".into(),
            client_secret: Some("csecret".into()),
            flows: vec!["client_credentials".into()],
            scopes: vec!["awesomeapi-resource-server/awesomeapi.read".into()],
        };
        let routes = [RouteSpec {
            method: "GET".into(),
            path: "/awesomeapi".into(),
            scopes: vec!["awesomeapi-resource-server/awesomeapi.read".into()],
        }];
        let clients = [m2m.clone()];
        let text = Banner {
            api_url: "http://127.0.0.1:3000",
            pool_url: "http://127.0.0.1:9100",
            issuer: "http://127.0.0.1:9100/us-east-1_x",
            watch_url: "http://127.0.0.1:9000",
            stage: "prod",
            clients: &clients,
            routes: &routes,
            m2m: Some(&m2m),
            narrow_scope: Some("awesomeapi-resource-server/awesomeapi.read"),
        }
        .render();
        for expected in [
            "curl -i http://127.0.0.1:3000/awesomeapi",
            "curl -s -u 'cid:csecret' -d grant_type=client_credentials http://127.0.0.1:9100/oauth2/token",
            "-d scope=awesomeapi-resource-server/awesomeapi.read",
            "http://127.0.0.1:3000/user",
            "client_secret: csecret",
            "http://127.0.0.1:9100/us-east-1_x/.well-known/jwks.json",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }
}
