//! The Lambda edge: configuration and keys at cold start, then one decision per event.

use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;
use tracing::{debug, error, warn};

use crate::event;
use crate::key_store::{HttpJwks, JwksSource, KeyStore, REFETCH_COOLDOWN};
use crate::policy::{self, Answer, Unauthorized};
use crate::{Authorizer, Config};

/// The authorizer with its keys: what one Lambda process holds.
pub struct App<S> {
    authorizer: Authorizer,
    keys: KeyStore<S>,
}

impl<S: JwksSource> App<S> {
    /// Pairs a configured authorizer with its key store.
    pub fn new(authorizer: Authorizer, keys: KeyStore<S>) -> Self {
        Self { authorizer, keys }
    }

    /// Answers one event (its JSON text) at `now` (Unix seconds).
    pub async fn handle(&self, event: &str, now: i64) -> Result<Answer, Unauthorized> {
        let keys = self.keys.current();
        let mut result = self.authorizer.decide(event, &keys, now);
        if let Some(kid) = result.as_ref().err().and_then(|r| r.unknown_kid())
            && let Some(fresh) = self.keys.refresh_for(kid).await
        {
            result = self.authorizer.decide(event, &fresh, now);
        }
        match result {
            Ok(decision) => {
                let routes = self.authorizer.routes();
                if decision.called_route.is_none() {
                    error!(
                        method_arn = decision.method_arn.full(),
                        "configuration error: no route in the route table serves the called method; denied"
                    );
                }
                // DEBUG, not INFO: API Gateway's access log records every
                // caller (cached answers included), and this line costs
                // 5-18 µs of CPU per invocation (docs/performance.md).
                debug!(
                    principal = decision.claims.sub.as_deref().unwrap_or(""),
                    client_id = decision.claims.client_id.as_deref().unwrap_or(""),
                    route = decision
                        .called_route
                        .map(|i| routes.routes()[i].key.as_str()),
                    allowed = decision.allows_called_route(),
                    "token accepted"
                );
                Ok(policy::answer(
                    decision,
                    routes,
                    self.authorizer.http_answers(),
                ))
            }
            Err(reason) => {
                warn!(%reason, "token rejected");
                // Read again for its kind of API: rejections are not the hot path.
                let outline = event::outline(event);
                policy::refusal(outline.as_ref(), self.authorizer.http_answers())
            }
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Reads the configuration, loads the keys and serves events until the
/// runtime stops. A configuration error stops start-up, naming the variable.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env().inspect_err(|e| error!(error = %e, "invalid configuration"))?;
    for (a, b) in config.routes.inexact() {
        warn!(
            routes = %format_args!("{} | {}", a.key, b.key),
            "IAM wildcards cannot allow these routes exactly in one cached policy: a cached answer may deny (403) the one that was not called; use a REQUEST authorizer whose identity sources include the route, or turn the authorizer cache off"
        );
    }
    let source = HttpJwks::new(config.jwks_url.clone());
    let keys = KeyStore::start(source, REFETCH_COOLDOWN, config.jwks_file.as_deref())
        .await
        .inspect_err(|e| error!(error = %e, "invalid configuration"))?;
    let app = App::new(Authorizer::from_config(config), keys);
    let app = &app;
    // lambda_runtime's loop, without its per-invocation `set_var` of the
    // trace id (unbounded growth under glibc; lambda-loop's docs).
    lambda_loop::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            app.handle(event.payload.get(), now()).await
        },
    ))
    .await
}
