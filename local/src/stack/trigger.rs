//! The pool's pre-token-generation trigger wired to its function: the
//! Cognito stand-in asks through its `PreTokenTrigger` trait, and this
//! answers by invoking the function under `cargo lambda watch` (the
//! Cognito folder does not import the Lambda one).

use std::sync::Arc;

use serde_json::Value;

use crate::cognito::pre_token::trigger::Invocation as TriggerInvocation;
use crate::cognito::pre_token::{
    COGNITO_TIMEOUT, PreToken, PreTokenTrigger, TokenEvent, TriggerFailure, TriggerSource,
};
use crate::lambda::invoke::{Invocation, Invoker, WatchInvoker};
use crate::state::REGION;
use crate::template::pre_token::PreTokenSpec;

/// Invokes the trigger's function by its binary name.
pub struct LambdaTrigger {
    invoker: WatchInvoker,
    function: String,
}

impl PreTokenTrigger for LambdaTrigger {
    fn invoke<'a>(&'a self, event: &'a Value) -> TriggerInvocation<'a> {
        Box::pin(async move {
            match self.invoker.invoke(&self.function, event).await {
                Ok(Invocation::Returned(answer)) => Ok(answer),
                Ok(Invocation::Failed {
                    error_type,
                    error_message,
                }) => Err(TriggerFailure::Function {
                    error_type,
                    message: error_message,
                }),
                Err(error) => Err(TriggerFailure::Unreachable(error.to_string())),
            }
        })
    }
}

/// The pool's trigger for `spec`, invoking through `invoker`, with
/// Cognito's 5-second limit.
pub fn pre_token(spec: &PreTokenSpec, invoker: WatchInvoker, user_pool_id: &str) -> PreToken {
    PreToken {
        version: spec.version,
        region: REGION.to_string(),
        user_pool_id: user_pool_id.to_string(),
        timeout: COGNITO_TIMEOUT,
        trigger: Arc::new(LambdaTrigger {
            invoker,
            function: spec.binary.clone(),
        }),
    }
}

/// A client-credentials event for the warm-up call, which builds the
/// function before the first sign-in needs it within 5 seconds.
pub fn warm_up_event(trigger: &PreToken, client_id: &str) -> Value {
    TokenEvent {
        version: trigger.version,
        source: TriggerSource::ClientCredentials,
        region: &trigger.region,
        user_pool_id: &trigger.user_pool_id,
        client_id,
        user: None,
        scopes: &[],
    }
    .to_json()
}
