//! Types shared by the authorizer, the handler and the local tools.
//!
//! Everything here is pure: no I/O, no clocks, no environment.

pub mod claims;
pub mod context;
pub mod cors;
pub mod iam;
pub mod routes;
pub mod scopes;
pub mod stage;

pub use claims::AccessTokenClaims;
pub use context::{AuthorizerContext, ContextError};
pub use cors::AllowedOrigins;
pub use routes::{Method, PolicyPlan, Route, RouteError, RouteSet, RouteTable, Rule};
pub use scopes::Scopes;
