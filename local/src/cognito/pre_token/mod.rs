//! Amazon Cognito's pre-token-generation trigger (`V2_0`, `V3_0`), as the
//! local pool runs it before it issues tokens: the event Cognito sends
//! ([`event`]), the answer read back ([`answer`]), Cognito's rules for
//! applying it to the tokens' claims and scopes ([`apply`]), and the call
//! itself with Cognito's 5-second limit ([`trigger`]). The function is
//! reached through the [`PreTokenTrigger`] trait: this service does not
//! import `lambda/`; the stack wires an implementation that invokes the
//! function under `cargo lambda watch`. docs/pre-token-generation.md is the
//! spec; docs/local-fidelity.md lists what differs from Cognito.

pub mod answer;
pub mod apply;
pub mod event;
pub mod trigger;

pub use answer::Overrides;
pub use apply::{TokenUse, apply_claims, claims_of};
pub use event::{TokenEvent, TriggerSource};
pub use trigger::{COGNITO_TIMEOUT, PreToken, PreTokenTrigger, TriggerError, TriggerFailure};
