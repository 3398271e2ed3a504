//! The URL paths the user pool serves, as Cognito's domain serves them: the
//! pool's server routes them, and the stack builds its URLs from them.

/// Starts a sign-in.
pub const AUTHORIZE: &str = "/oauth2/authorize";
/// The sign-in form.
pub const LOGIN: &str = "/login";
/// Signs a browser out.
pub const LOGOUT: &str = "/logout";
/// The pool's error page.
pub const ERROR: &str = "/error";
/// The token endpoint.
pub const TOKEN: &str = "/oauth2/token";
/// The signed-in user's attributes.
pub const USER_INFO: &str = "/oauth2/userInfo";
/// Refresh-token revocation.
pub const REVOKE: &str = "/oauth2/revoke";
/// The signing keys, under the issuer (`<pool url>/<pool id>`).
pub const JWKS: &str = "/.well-known/jwks.json";
