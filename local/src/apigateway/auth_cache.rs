//! API Gateway's authorizer result cache: valid answers are kept per key
//! for the authorizer's TTL and reused for every route called with that key.
//! The REST front keys by token, the HTTP API front by the identity
//! sources' values. Errors (including `Unauthorized`) are not cached.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::apigateway::authorizer_answer::AuthorizerAnswer;
use crate::clock::Clock;

/// Authorizer answers (REST's by default) by key, each with its expiry.
pub struct AuthCache<C: Clock, A = AuthorizerAnswer> {
    ttl: Duration,
    clock: C,
    entries: HashMap<String, (Instant, Arc<A>)>,
}

impl<C: Clock, A> AuthCache<C, A> {
    /// A cache keeping answers for `ttl` (zero disables caching).
    pub fn new(ttl: Duration, clock: C) -> Self {
        Self {
            ttl,
            clock,
            entries: HashMap::new(),
        }
    }

    /// The cached answer for `token`, if it has not expired.
    pub fn get(&self, token: &str) -> Option<Arc<A>> {
        let (expires, answer) = self.entries.get(token)?;
        (self.clock.monotonic() < *expires).then(|| Arc::clone(answer))
    }

    /// Keeps `answer` for `token` and drops expired entries.
    pub fn insert(&mut self, token: &str, answer: Arc<A>) {
        if self.ttl.is_zero() {
            return;
        }
        let now = self.clock.monotonic();
        // Pruning on insert bounds the map by the tokens seen in one TTL.
        self.entries.retain(|_, (expires, _)| now < *expires);
        self.entries
            .insert(token.to_string(), (now + self.ttl, answer));
    }

    /// How many entries are held, expired or not.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if nothing is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    /// A clock tests move by hand.
    #[derive(Clone)]
    struct FakeClock(Arc<Mutex<Instant>>);

    impl FakeClock {
        fn new() -> Self {
            Self(Arc::new(Mutex::new(Instant::now())))
        }

        fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap();
            *now += by;
        }
    }

    impl Clock for FakeClock {
        fn unix_secs(&self) -> i64 {
            crate::clock::unix_secs()
        }

        fn monotonic(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }

    fn answer(principal: &str) -> Arc<AuthorizerAnswer> {
        Arc::new(AuthorizerAnswer {
            principal_id: principal.into(),
            policy: json!({"Statement": []}),
            context: Default::default(),
        })
    }

    #[test]
    fn entries_live_exactly_for_the_ttl() {
        let clock = FakeClock::new();
        let mut cache: AuthCache<_> = AuthCache::new(Duration::from_secs(300), clock.clone());
        cache.insert("t1", answer("a"));
        let cases = [(0, true), (299, true), (1, false)];
        for (advance, present) in cases {
            clock.advance(Duration::from_secs(advance));
            assert_eq!(cache.get("t1").is_some(), present, "after +{advance}s");
        }
        assert!(cache.get("other").is_none());
    }

    #[test]
    fn zero_ttl_disables_caching() {
        let mut cache: AuthCache<_> = AuthCache::new(Duration::ZERO, FakeClock::new());
        cache.insert("t", answer("a"));
        assert!(cache.get("t").is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn expired_entries_are_pruned_on_insert() {
        let clock = FakeClock::new();
        let mut cache: AuthCache<_> = AuthCache::new(Duration::from_secs(10), clock.clone());
        cache.insert("old", answer("a"));
        clock.advance(Duration::from_secs(11));
        cache.insert("new", answer("b"));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("new").unwrap().principal_id, "b");
    }
}
