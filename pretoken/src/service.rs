//! The Lambda edge: configuration at cold start, then one answer per event.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing::{error, info, warn};

use crate::{Config, Rule, answer};

/// Reads the configuration and answers events until the runtime stops. A
/// configuration error stops start-up, naming the variable.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env().inspect_err(|e| error!(error = %e, "invalid configuration"))?;
    let rule = Rule::new(config);
    let rule = &rule;
    // lambda_runtime's loop, without its per-invocation `set_var` of the
    // trace id (lambda-loop's docs).
    lambda_loop::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Only the decision and the trigger source: the event holds the
        // user's attributes (e-mail address, phone number).
        let source = event
            .payload
            .get("triggerSource")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let result = answer(rule, event.payload);
        match &result {
            Ok(answer) => {
                info!(trigger_source = source, decision = ?answer.decision(), "token customized")
            }
            Err(e) => {
                warn!(trigger_source = source, error = %e, "event refused; Cognito issues no token")
            }
        }
        result
    }))
    .await
}
