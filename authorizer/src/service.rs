//! The Lambda edge: configuration and keys at cold start, then one decision per event.

use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;
use tracing::{debug, error, warn};

use crate::event;
use crate::key_store::{HttpJwks, JwksClient, JwksSource, KeyStores, REFETCH_COOLDOWN};
use crate::policy::{self, Answer, Unauthorized};
use crate::{Authorizer, Config};

/// The authorizer with its keys: what one Lambda process holds.
pub struct App<S> {
    authorizer: Authorizer,
    keys: KeyStores<S>,
}

impl<S: JwksSource> App<S> {
    /// Pairs a configured authorizer with its pools' key stores (or the
    /// one store of a single pool).
    pub fn new(authorizer: Authorizer, keys: impl Into<KeyStores<S>>) -> Self {
        Self {
            authorizer,
            keys: keys.into(),
        }
    }

    /// Answers one event (its JSON text) at `now` (Unix seconds).
    pub async fn handle(&self, event: &str, now: i64) -> Result<Answer, Unauthorized> {
        let mut result = self.authorizer.decide(event, &self.keys, now);
        // Only the pool the token's `iss` selects is refetched; a token
        // whose `iss` selects none was refused without a fetch.
        if let Some(kid) = result.as_ref().err().and_then(|r| r.unknown_kid())
            && let Some(pool) = self.authorizer.pool_of(event)
            && self.keys.refresh_for(pool, kid).await
        {
            result = self.authorizer.decide(event, &self.keys, now);
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
                    user_pool_id = decision.pool.user_pool_id.as_str(),
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
    let client = JwksClient::default();
    let keys = KeyStores::start(&config.pools, REFETCH_COOLDOWN, |pool| {
        HttpJwks::with_client(pool.jwks_url.clone(), &client)
    })
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
