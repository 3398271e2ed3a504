//! The text printed once the stack is ready: where everything listens, the
//! local credentials, the routes, and the walkthrough as curl commands.

use std::fmt::Write;

use crate::cognito::passwords::Password;
use crate::cognito::paths;
use crate::template::app_client::AppClient;
use crate::template::route::ApiRoute;

/// What the banner shows.
#[derive(Debug, Clone, Copy)]
pub struct Banner<'a> {
    /// The stage's base URL without the final `/`, e.g. `http://127.0.0.1:3000/prod`.
    pub api_url: &'a str,
    /// The HTTP API stage's base URL without the final `/`, if the template has one.
    pub http_api_url: Option<&'a str>,
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
    /// The REST API's routes.
    pub routes: &'a [ApiRoute],
    /// The route the walkthrough calls ([`crate::template::spec::StackSpec::tutorial_route`]).
    pub tutorial: Option<&'a ApiRoute>,
    /// The client the walkthrough uses.
    pub m2m: Option<&'a AppClient>,
    /// The client the sign-in walkthrough uses (the first allowing `code`).
    pub web: Option<&'a AppClient>,
    /// The web app's URL, e.g. `http://localhost:8080/`.
    pub web_url: &'a str,
    /// Who signs in: an email, with the password when it is the generated
    /// demo user's (a password given with `--user` is never printed).
    pub user: Option<(&'a str, Option<&'a Password>)>,
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

    /// The tutorial route's path (`/` without one).
    fn tutorial_path(&self) -> &str {
        self.tutorial.map_or("/", |r| r.path.as_str())
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        let api = self.api_url;
        let token_url = format!("{}{}", self.pool_url, paths::TOKEN);
        writeln!(out, "\nLocal stack (everything on 127.0.0.1):")?;
        writeln!(
            out,
            "  API (stage {}):{:<width$}{api}/",
            self.stage,
            "",
            width = 24usize.saturating_sub(self.stage.len())
        )?;
        if let Some(http_api) = self.http_api_url {
            writeln!(out, "  HTTP API (payload 2.0):              {http_api}/")?;
        }
        writeln!(out, "  Token endpoint:                      {token_url}")?;
        writeln!(
            out,
            "  Issuer:                              {}",
            self.issuer
        )?;
        writeln!(
            out,
            "  JWKS:                                {}{}",
            self.issuer,
            paths::JWKS
        )?;
        writeln!(
            out,
            "  Lambda Invoke API (cargo lambda):    {}",
            self.watch_url
        )?;
        writeln!(
            out,
            "  Web app (open it in a browser):      {}",
            self.web_url
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
            writeln!(out, "    flows:         {}", client.flow_names())?;
            writeln!(out, "    scopes:        {}", client.scopes.join(" "))?;
        }
        writeln!(out, "\nRoutes and the scopes (and groups) they require:")?;
        for route in self.routes {
            let groups = route
                .rule
                .groups
                .as_ref()
                .map(|g| format!(" (groups: one of {})", g.join(" ")))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<8}{:<16}{}{groups}",
                route.method.as_str(),
                route.path,
                route.rule.scopes.join(" ")
            )?;
        }
        self.write_m2m(out, &token_url)?;
        self.write_sign_in(out, &token_url)
    }

    fn write_m2m(&self, out: &mut String, token_url: &str) -> std::fmt::Result {
        let api = self.api_url;
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
        let tutorial = self.tutorial_path();
        writeln!(out, "  curl -i {api}{tutorial}")?;
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
        writeln!(out, "  curl -i {bearer} {api}{tutorial}")?;
        writeln!(out, "  # 4. Books: 200")?;
        writeln!(out, "  curl -i {bearer} {api}/book")?;
        writeln!(
            out,
            "  curl -i -X POST {bearer} -H 'Content-Type: application/json' -d '{{\"title\":\"Dune\"}}' {api}/book"
        )?;
        writeln!(out, "  # 5. The client has no user scope: 403")?;
        writeln!(out, "  curl -i {bearer} {api}/user")?;
        if let Some(scope) = self.tutorial.and_then(|r| r.rule.scopes.first()) {
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
        if let Some(http_api) = self.http_api_url {
            writeln!(
                out,
                "  # 7. The same through the HTTP API (payload 2.0 events, simple answers):"
            )?;
            writeln!(out, "  #    401 without a token, 200 with it, 403 on /user")?;
            writeln!(out, "  curl -i {http_api}{tutorial}")?;
            writeln!(out, "  curl -i {bearer} {http_api}{tutorial}")?;
            writeln!(out, "  curl -i {bearer} {http_api}/user")?;
        }
        Ok(())
    }

    /// The authorization-code walkthrough: PKCE, the authorize URL for a
    /// browser, the same sign-in with curl, the exchange, the API calls,
    /// userInfo, refresh, revocation and sign-out.
    fn write_sign_in(&self, out: &mut String, token_url: &str) -> std::fmt::Result {
        let (Some(web), Some((email, password))) = (self.web, self.user) else {
            return writeln!(
                out,
                "\nNo app client allows the code flow, or no user: no sign-in walkthrough."
            );
        };
        let Some(callback) = web.callback_urls.first() else {
            return writeln!(
                out,
                "\n{} has no CallbackURLs: no sign-in walkthrough.",
                web.name
            );
        };
        let api = self.api_url;
        let pool = self.pool_url;
        let client_id = &web.client_id;
        let scope = crate::cognito::authorize::select_scopes(web, None)
            .unwrap_or_default()
            .join(" ");
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", &scope)
            .append_pair("redirect_uri", callback)
            .append_pair("state", "xyz")
            .append_pair("nonce", "n-0S6_WzA2Mj")
            .append_pair("code_challenge_method", "S256");
        let query = query.finish();
        let user_bearer = r#"-H "Authorization: Bearer $USER_TOKEN""#;
        // The client's id, for public clients; confidential ones send Basic auth.
        let auth = match &web.client_secret {
            None => format!("-d client_id={client_id}"),
            Some(secret) => format!("-u '{client_id}:{secret}'"),
        };
        writeln!(
            out,
            "\nSign-in walkthrough ({}, authorization code + PKCE):",
            web.name
        )?;
        match password {
            Some(p) => writeln!(out, "  # Demo user: {email}, password {}", p.expose())?,
            None => writeln!(
                out,
                "  # User: {email} (the password given with --users-file, LOCAL_USERS or --user)"
            )?,
        }
        writeln!(out, "  # 1. A PKCE verifier and its S256 challenge")?;
        writeln!(
            out,
            "  VERIFIER=$(openssl rand -base64 48 | tr -d '=+/\\n' | cut -c1-64)"
        )?;
        writeln!(
            out,
            "  CHALLENGE=$(printf %s \"$VERIFIER\" | openssl dgst -sha256 -binary | openssl base64 | tr '+/' '-_' | tr -d '=\\n')"
        )?;
        writeln!(out, "  QUERY=\"{query}&code_challenge=$CHALLENGE\"")?;
        writeln!(
            out,
            "  # 2. In a browser: open the URL below and sign in; it lands on {callback}?code=…&state=xyz"
        )?;
        writeln!(
            out,
            "  #    (if nothing serves that page, copy the code from the address bar: CODE=…)"
        )?;
        writeln!(out, "  echo \"{pool}{}?$QUERY\"", paths::AUTHORIZE)?;
        writeln!(
            out,
            "  #    or with curl, keeping cookies (XSRF-TOKEN, then the session) in a jar:"
        )?;
        writeln!(out, "  JAR=$(mktemp)")?;
        writeln!(
            out,
            "  curl -s -c $JAR -b $JAR -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' \"{pool}{}?$QUERY\"",
            paths::AUTHORIZE
        )?;
        writeln!(
            out,
            "  CSRF=$(curl -s -c $JAR -b $JAR \"{pool}{}?$QUERY\" | sed -nE 's/.*name=\"_csrf\" value=\"([^\"]+)\".*/\\1/p')",
            paths::LOGIN
        )?;
        match password {
            Some(p) => writeln!(out, "  PASSWORD='{}'", p.expose())?,
            None => writeln!(out, "  read -rsp 'Password: ' PASSWORD; echo")?,
        }
        writeln!(
            out,
            "  CODE=$(curl -s -c $JAR -b $JAR -o /dev/null -w '%{{redirect_url}}' --data-urlencode \"_csrf=$CSRF\" --data-urlencode 'username={email}' --data-urlencode \"password=$PASSWORD\" \"{pool}{}?$QUERY\" | sed -E 's/.*[?&]code=([^&]+).*/\\1/')",
            paths::LOGIN
        )?;
        writeln!(
            out,
            "  # 3. The code for tokens (ID, access, refresh); the code works once, for 5 minutes"
        )?;
        writeln!(
            out,
            "  TOKENS=$(curl -s {auth} -d grant_type=authorization_code -d \"code=$CODE\" --data-urlencode 'redirect_uri={callback}' -d \"code_verifier=$VERIFIER\" {token_url})"
        )?;
        writeln!(
            out,
            "  USER_TOKEN=$(printf %s \"$TOKENS\" | {EXTRACT}); REFRESH=$(printf %s \"$TOKENS\" | sed -E 's/.*\"refresh_token\":\"([^\"]+)\".*/\\1/')"
        )?;
        writeln!(
            out,
            "  # 4. The API: 200 naming the user on {}, 403 on /book (no book scope)",
            self.tutorial_path()
        )?;
        writeln!(out, "  curl -i {user_bearer} {api}{}", self.tutorial_path())?;
        writeln!(out, "  curl -i {user_bearer} {api}/book")?;
        if let Some(http_api) = self.http_api_url {
            writeln!(out, "  #    the same through the HTTP API:")?;
            writeln!(
                out,
                "  curl -i {user_bearer} {http_api}{}",
                self.tutorial_path()
            )?;
        }
        writeln!(out, "  # 5. The user's attributes (needs openid)")?;
        writeln!(out, "  curl -s {user_bearer} {pool}{}", paths::USER_INFO)?;
        match web.refresh_rotation {
            Some(rotation) => {
                writeln!(
                    out,
                    "  # 6. New ID, access and refresh tokens (the client rotates refresh tokens):"
                )?;
                writeln!(
                    out,
                    "  #    keep the new refresh token; the old one works {} s more, then never",
                    rotation.grace_secs
                )?;
                writeln!(
                    out,
                    "  TOKENS=$(curl -s {auth} -d grant_type=refresh_token -d \"refresh_token=$REFRESH\" {token_url}); echo \"$TOKENS\""
                )?;
                writeln!(
                    out,
                    "  REFRESH=$(printf %s \"$TOKENS\" | sed -E 's/.*\"refresh_token\":\"([^\"]+)\".*/\\1/')"
                )?;
            }
            None => {
                writeln!(
                    out,
                    "  # 6. New ID and access tokens from the refresh token"
                )?;
                writeln!(
                    out,
                    "  curl -s {auth} -d grant_type=refresh_token -d \"refresh_token=$REFRESH\" {token_url}"
                )?;
            }
        }
        writeln!(
            out,
            "  # 7. Revoke it: refreshing is refused (invalid_grant), userInfo answers 401"
        )?;
        writeln!(
            out,
            "  curl -i {auth} -d \"token=$REFRESH\" {pool}{}",
            paths::REVOKE
        )?;
        writeln!(
            out,
            "  curl -s {auth} -d grant_type=refresh_token -d \"refresh_token=$REFRESH\" {token_url}"
        )?;
        writeln!(out, "  curl -s {user_bearer} {pool}{}", paths::USER_INFO)?;
        writeln!(
            out,
            "  #    Like API Gateway's built-in Cognito authorizer, the API's authorizer does not"
        )?;
        writeln!(
            out,
            "  #    see revocation: the access token keeps working on the API until it expires."
        )?;
        writeln!(out, "  curl -i {user_bearer} {api}{}", self.tutorial_path())?;
        if let Some(logout) = web.logout_urls.first() {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("client_id", client_id)
                .append_pair("logout_uri", logout);
            writeln!(
                out,
                "  # 8. Sign out (ends the browser session) and land on {logout}"
            )?;
            writeln!(
                out,
                "  curl -s -c $JAR -b $JAR -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' \"{pool}{}?{}\"",
                paths::LOGOUT,
                q.finish()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::app_client::OAuthFlow;
    use crate::template::app_client::RefreshRotation;
    use crate::template::route::OnApi;

    #[test]
    fn the_walkthrough_names_the_real_credentials_and_steps() {
        let m2m = AppClient {
            name: "M2MClient".into(),
            client_id: "cid".into(),
            client_secret: Some("csecret".into()),
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec!["awesomeapi-resource-server/awesomeapi.read".into()],
            ..AppClient::example()
        };
        let routes = [ApiRoute {
            function: "Handler".into(),
            event: "Awesome".into(),
            api: OnApi::Rest(Some("Api".into())),
            method: shared::Method::Get,
            path: "/awesomeapi".into(),
            rule: shared::Rule {
                scopes: vec!["awesomeapi-resource-server/awesomeapi.read".into()],
                groups: None,
            },
        }];
        let clients = [m2m.clone()];
        let text = Banner {
            api_url: "http://127.0.0.1:3000/prod",
            http_api_url: Some("http://127.0.0.1:3001/prod"),
            pool_url: "http://127.0.0.1:9100",
            issuer: "http://127.0.0.1:9100/us-east-1_x",
            watch_url: "http://127.0.0.1:9000",
            stage: "prod",
            clients: &clients,
            routes: &routes,
            tutorial: routes.first(),
            m2m: Some(&m2m),
            web: None,
            web_url: "http://localhost:8080/",
            user: None,
        }
        .render();
        for expected in [
            "curl -i http://127.0.0.1:3000/prod/awesomeapi",
            "API (stage prod):                    http://127.0.0.1:3000/prod/\n",
            "curl -s -u 'cid:csecret' -d grant_type=client_credentials http://127.0.0.1:9100/oauth2/token",
            "-d scope=awesomeapi-resource-server/awesomeapi.read",
            "http://127.0.0.1:3000/prod/user",
            "client_secret: csecret",
            "http://127.0.0.1:9100/us-east-1_x/.well-known/jwks.json",
            "Web app (open it in a browser):      http://localhost:8080/",
            "HTTP API (payload 2.0):              http://127.0.0.1:3001/prod/\n",
            "curl -i http://127.0.0.1:3001/prod/awesomeapi\n",
            "curl -i -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:3001/prod/user",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn the_sign_in_walkthrough_uses_the_templates_web_client_and_hides_given_passwords() {
        let web = AppClient {
            name: "WebClient".into(),
            client_id: "webid".into(),
            flows: vec![OAuthFlow::Code],
            scopes: vec![
                "openid".into(),
                "awesomeapi-resource-server/awesomeapi.read".into(),
            ],
            callback_urls: vec!["http://localhost:5173/cb".into()],
            logout_urls: vec!["http://localhost:5173/".into()],
            ..AppClient::example()
        };
        let demo = Password::new("Demo-Pass-123");
        let banner = |user| {
            Banner {
                api_url: "http://127.0.0.1:3000/prod",
                http_api_url: Some("http://127.0.0.1:3001/prod"),
                pool_url: "http://127.0.0.1:9100",
                issuer: "http://127.0.0.1:9100/us-east-1_x",
                watch_url: "http://127.0.0.1:9000",
                stage: "prod",
                clients: &[],
                routes: &[],
                tutorial: None,
                m2m: None,
                web: Some(&web),
                web_url: "http://localhost:5173/",
                user,
            }
            .render()
        };
        let given = banner(Some(("alice@example.com", None)));
        for expected in [
            "QUERY=\"client_id=webid&response_type=code&scope=awesomeapi-resource-server%2Fawesomeapi.read+openid&redirect_uri=http%3A%2F%2Flocalhost%3A5173%2Fcb&state=xyz",
            "code_challenge_method=S256&code_challenge=$CHALLENGE\"",
            "echo \"http://127.0.0.1:9100/oauth2/authorize?$QUERY\"",
            "\"http://127.0.0.1:9100/login?$QUERY\"",
            "read -rsp 'Password: ' PASSWORD",
            "username=alice@example.com",
            "-d client_id=webid -d grant_type=authorization_code",
            "--data-urlencode 'redirect_uri=http://localhost:5173/cb'",
            "http://127.0.0.1:3000/prod/book",
            "curl -i -H \"Authorization: Bearer $USER_TOKEN\" http://127.0.0.1:3001/prod/\n",
            "http://127.0.0.1:9100/oauth2/revoke",
            "logout_uri=http%3A%2F%2Flocalhost%3A5173%2F",
            "does not\n  #    see revocation",
        ] {
            assert!(given.contains(expected), "missing {expected:?} in\n{given}");
        }
        let with_demo = banner(Some(("demo@example.com", Some(&demo))));
        assert!(
            with_demo.contains("PASSWORD='Demo-Pass-123'"),
            "{with_demo}"
        );
        assert!(banner(None).contains("no sign-in walkthrough"));
    }

    #[test]
    fn with_rotation_the_walkthrough_keeps_the_new_refresh_token() {
        let client = |refresh_rotation| AppClient {
            client_id: "webid".into(),
            flows: vec![OAuthFlow::Code],
            scopes: vec!["openid".into()],
            callback_urls: vec!["http://localhost:5173/cb".into()],
            logout_urls: vec!["http://localhost:5173/".into()],
            refresh_rotation,
            ..AppClient::example()
        };
        let render = |web: &AppClient| {
            Banner {
                api_url: "http://127.0.0.1:3000/prod",
                http_api_url: None,
                pool_url: "http://127.0.0.1:9100",
                issuer: "http://127.0.0.1:9100/us-east-1_x",
                watch_url: "http://127.0.0.1:9000",
                stage: "prod",
                clients: &[],
                routes: &[],
                tutorial: None,
                m2m: None,
                web: Some(web),
                web_url: "http://localhost:5173/",
                user: Some(("alice@example.com", None)),
            }
            .render()
        };
        let rotating = render(&client(Some(RefreshRotation { grace_secs: 10 })));
        let step = rotating
            .split("# 6.")
            .nth(1)
            .and_then(|rest| rest.split("# 7.").next())
            .unwrap();
        assert!(step.contains("old one works 10 s more"), "{step}");
        assert!(
            step.contains("TOKENS=$(curl -s -d client_id=webid -d grant_type=refresh_token"),
            "{step}"
        );
        assert!(step.contains("REFRESH=$(printf %s \"$TOKENS\""), "{step}");
        let plain = render(&client(None));
        let step = plain.split("# 6.").nth(1).unwrap();
        assert!(
            !step.split("# 7.").next().unwrap().contains("REFRESH=$("),
            "{step}"
        );
    }
}
