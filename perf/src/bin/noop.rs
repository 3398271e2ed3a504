//! The floor of the Lambda runtime loop: a function on the authorizer's
//! loop (`lambda-loop`, on `lambda_runtime`'s version and features) and
//! release profile that answers every event with the event itself. `invoke` measures it next to the authorizer,
//! so what the authorizer costs beyond it is its own work.
//!
//! Like the authorizer it reads each event into a `RawValue` on a
//! current-thread runtime; unlike it, it installs no log subscriber, so
//! `lambda_runtime`'s per-invocation span is free here.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_loop::run(service_fn(|event: LambdaEvent<Box<RawValue>>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
