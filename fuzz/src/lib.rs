//! What the fuzz targets share: a fixed authorizer configuration.

use authorizer::{Authorizer, Config};

/// The pool of [`config`].
pub const POOL: &str = "us-east-1_FuzzPool1";
/// The accepted client of [`config`].
pub const CLIENT: &str = "fuzzclient000000000000000a";
/// The issuer of [`config`].
pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_FuzzPool1";

/// The seeds' routes, with nested parameters, a catch-all and group rules added.
pub const ROUTES: &str = r#"{"GET /awesomeapi":["awesomeapi-resource-server/awesomeapi.read"],
"GET /book":["API/book.get"],"POST /book":["API/book.post"],"GET /book/{id}":["API/book.get"],
"DELETE /book/{id}":{"scopes":["API/book.delete"],"groups":["admins"]},
"PUT /book/{id}":{"scopes":["API/book.post"],"groups":["editors","admins"]},"GET /book/{id}/pages":["API/book.get"],
"ANY /files/{path+}":["API/files"],"GET /user":["API/user.get"],"POST /user":["API/user.post"]}"#;

/// A valid configuration for [`ROUTES`].
pub fn config() -> Config {
    Config::from_lookup(|name| match name {
        "USER_POOL_ID" => Some(POOL.to_string()),
        "APP_CLIENT_IDS" => Some(CLIENT.to_string()),
        "ROUTE_SCOPES" => Some(ROUTES.to_string()),
        _ => None,
    })
    .expect("the fuzz configuration is valid")
}

/// An authorizer for [`config`].
pub fn authorizer() -> Authorizer {
    Authorizer::new(&config())
}
