//! The running stack's URLs, built once from its ports, pool id and stage
//! with the pool's paths ([`crate::cognito::paths`]): the stack, its banner,
//! `stack.json` and the functions' environment all take them from here.

use shared::IssuerForm;

use crate::cognito::issuers::local_issuer;
use crate::cognito::paths;
use crate::stack::cli::Options;
use crate::template::http_api::DEFAULT_STAGE;
use crate::web_app;

/// Where the running stack answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackUrls {
    /// The user pool's base URL, e.g. `http://127.0.0.1:9100`.
    pub pool: String,
    /// The tokens' `iss`: the pool's URL and its id, in the form the
    /// template's `IssuerType` sets ([`local_issuer`]).
    pub issuer: String,
    /// The issuer in each form, in [`IssuerForm::ALL`]'s order: what the
    /// functions accept, so their variables do not depend on `IssuerType`.
    pub issuers: [String; 2],
    /// The stage's base URL without a final `/`, as the template's `ApiUrl`
    /// output names it.
    pub api: String,
    /// The HTTP API stage's base URL without a final `/` (no stage part
    /// for `$default`), as the template's `HttpApiUrl` output names it; none
    /// without an HTTP API.
    pub http_api: Option<String>,
    /// The web app's URL, ending in `/`.
    pub web: String,
}

impl StackUrls {
    /// The URLs of a stack run with `options`, its pool `pool_id` signing
    /// in `form`, its API's `stage` and its HTTP API's stage, if it has one;
    /// everything listens on 127.0.0.1.
    pub fn new(
        options: &Options,
        pool_id: &str,
        form: IssuerForm,
        stage: &str,
        http_stage: Option<&str>,
    ) -> Self {
        let pool = format!("http://127.0.0.1:{}", options.token_port);
        let http_api = http_stage.map(|stage| {
            let root = format!("http://127.0.0.1:{}", options.http_api_port);
            if stage == DEFAULT_STAGE {
                root
            } else {
                format!("{root}/{stage}")
            }
        });
        Self {
            http_api,
            issuer: local_issuer(form, options.token_port, pool_id),
            issuers: IssuerForm::ALL.map(|form| local_issuer(form, options.token_port, pool_id)),
            pool,
            api: format!("http://127.0.0.1:{}/{stage}", options.api_port),
            web: format!("{}/", web_app::origin(options.web_port)),
        }
    }

    /// One of the pool's endpoints, by its path in [`paths`].
    pub fn pool_endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.pool)
    }

    /// The JWKS with the signing keys, under the issuer the pool signs with.
    pub fn jwks(&self) -> String {
        format!("{}{}", self.issuer, paths::JWKS)
    }

    /// The JWKS the functions are given: the original form's, which serves
    /// the same keys as the updated form's (as Cognito's two do), whatever
    /// `IssuerType` says.
    pub fn functions_jwks(&self) -> String {
        format!("{}{}", self.issuers[0], paths::JWKS)
    }

    /// The base URL clients call, ending in `/`.
    pub fn api_base(&self) -> String {
        format!("{}/", self.api)
    }

    /// The HTTP API's base URL, ending in `/`.
    pub fn http_api_base(&self) -> Option<String> {
        self.http_api.as_ref().map(|url| format!("{url}/"))
    }
}
