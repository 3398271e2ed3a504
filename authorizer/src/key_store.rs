//! The user pool's keys: fetched at cold start (or read from a snapshot
//! file shipped with the function), kept for the life of the process,
//! refetched (at most once per cooldown) when a token names an unknown
//! `kid`. A failed refetch keeps the cached keys.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use reqwest::Url;
use thiserror::Error;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::{ConfigError, KeySet};

/// Time allowed for one JWKS fetch, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

/// Minimum time between two fetches caused by unknown `kid`s. Cognito
/// rotates keys rarely, so a token with an unknown `kid` is almost always
/// forged; the cooldown stops such tokens from turning into JWKS traffic.
pub const REFETCH_COOLDOWN: Duration = Duration::from_secs(10);

/// JWKS documents larger than this are refused; Cognito's is about 1 KB.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Why a fetch failed.
#[derive(Debug, Error)]
pub enum FetchError {
    /// Connection, timeout or HTTP status error.
    #[error("JWKS request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The body is larger than [`MAX_JWKS_BYTES`].
    #[error("JWKS is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    /// Any answer but 200–299, redirects included: the keys must come from
    /// the configured URL itself, never from wherever it points.
    #[error("JWKS answered with HTTP status {0}; redirects are not followed")]
    Status(u16),
}

/// Where key sets come from; tests substitute their own.
pub trait JwksSource: Send + Sync {
    /// Fetches the JWKS document.
    fn fetch(&self) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// A JWKS served over HTTP(S).
#[derive(Debug)]
pub struct HttpJwks {
    /// Built at the first fetch: building it loads the trusted roots (about
    /// 3 ms with the system bundle), which a snapshot start never needs.
    client: OnceLock<reqwest::Client>,
    url: Url,
}

impl HttpJwks {
    /// A source for `url`, with [`FETCH_TIMEOUT`] on every request.
    pub fn new(url: Url) -> Self {
        Self {
            client: OnceLock::new(),
            url,
        }
    }

    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(self.client.get_or_init(|| client))
    }
}

impl JwksSource for HttpJwks {
    async fn fetch(&self) -> Result<Vec<u8>, FetchError> {
        let response = self.client()?.get(self.url.clone()).send().await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let body = response.bytes().await?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(FetchError::TooLarge);
        }
        Ok(body.to_vec())
    }
}

/// Reads a JWKS snapshot (`JWKS_FILE`): a JWKS document shipped with the
/// function. A file that cannot be read or parsed, or that holds no usable
/// RS256 key, is a configuration error naming the variable and the file.
pub fn read_snapshot(path: &Path) -> Result<KeySet, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: "JWKS_FILE",
        reason: format!("{}: {reason}", path.display()),
    };
    let body = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
    let (keys, skipped) = KeySet::from_jwks(&body).map_err(|e| invalid(e.to_string()))?;
    if keys.is_empty() {
        return Err(invalid(format!(
            "no usable RS256 signing key ({skipped} skipped)"
        )));
    }
    info!(keys = keys.len(), skipped, file = %path.display(), "JWKS snapshot loaded");
    Ok(keys)
}

/// The cached key set and the refetch policy around it.
pub struct KeyStore<S> {
    source: S,
    keys: RwLock<Arc<KeySet>>,
    /// Held while fetching, so concurrent refetches merge into one; holds
    /// the time of the last fetch for the cooldown.
    last_fetch: Mutex<Option<Instant>>,
    cooldown: Duration,
}

impl<S: JwksSource> KeyStore<S> {
    /// Fetches the keys once (a failure leaves the set empty and is logged).
    pub async fn load(source: S, cooldown: Duration) -> Self {
        let store = Self::with_keys(source, cooldown, KeySet::default());
        let mut last = store.last_fetch.lock().await;
        store.fetch(&mut last).await;
        drop(last);
        store
    }

    /// The keys at cold start: from the snapshot file if there is one (no
    /// fetch), fetched otherwise.
    pub async fn start(
        source: S,
        cooldown: Duration,
        snapshot: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        match snapshot {
            Some(path) => Ok(Self::with_keys(source, cooldown, read_snapshot(path)?)),
            None => Ok(Self::load(source, cooldown).await),
        }
    }

    /// Starts from `keys` without fetching. The first token with a `kid`
    /// they lack refetches at once (no fetch has started a cooldown yet).
    pub fn with_keys(source: S, cooldown: Duration, keys: KeySet) -> Self {
        Self {
            source,
            keys: RwLock::new(Arc::new(keys)),
            last_fetch: Mutex::new(None),
            cooldown,
        }
    }

    /// The keys as they are now.
    pub fn current(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Refetches the keys for an unknown `kid`, unless another caller just
    /// did or the cooldown has not passed. Returns the keys if they now hold `kid`.
    pub async fn refresh_for(&self, kid: &str) -> Option<Arc<KeySet>> {
        let mut last = self.last_fetch.lock().await;
        let keys = self.current();
        if keys.get(kid).is_some() {
            return Some(keys);
        }
        if last.is_some_and(|at| at.elapsed() < self.cooldown) {
            info!("unknown kid; JWKS refetch skipped during cooldown");
            return None;
        }
        let keys = self.fetch(&mut last).await;
        keys.get(kid).is_some().then_some(keys)
    }

    async fn fetch(&self, last: &mut Option<Instant>) -> Arc<KeySet> {
        *last = Some(Instant::now());
        let fetched = match self.source.fetch().await {
            Ok(body) => KeySet::from_jwks(&body).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match fetched {
            Ok((set, skipped)) if !set.is_empty() => {
                info!(keys = set.len(), skipped, "JWKS loaded");
                let set = Arc::new(set);
                match self.keys.write() {
                    Ok(mut keys) => *keys = Arc::clone(&set),
                    Err(poisoned) => *poisoned.into_inner() = Arc::clone(&set),
                }
                set
            }
            Ok((_, skipped)) => {
                warn!(
                    skipped,
                    "JWKS has no usable RS256 key; keeping the cached keys"
                );
                self.current()
            }
            Err(error) => {
                warn!(%error, "JWKS fetch failed; keeping the cached keys");
                self.current()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use testkit::{Issuer, temp_file};

    /// Serves whatever JWKS it holds, counting fetches.
    struct Fake {
        body: std::sync::Mutex<Result<Vec<u8>, ()>>,
        fetches: AtomicUsize,
    }

    impl Fake {
        fn serving(issuer: &Issuer) -> Self {
            Self {
                body: std::sync::Mutex::new(Ok(issuer.jwks().to_string().into_bytes())),
                fetches: AtomicUsize::new(0),
            }
        }
        fn set(&self, body: Result<Vec<u8>, ()>) {
            *self.body.lock().unwrap() = body;
        }
        fn count(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    impl JwksSource for Arc<Fake> {
        async fn fetch(&self) -> Result<Vec<u8>, FetchError> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            match &*self.body.lock().unwrap() {
                Ok(body) => Ok(body.clone()),
                Err(()) => Err(FetchError::TooLarge),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn fetches_once_at_start_and_at_most_once_per_cooldown() {
        let issuer = Issuer::generate("k1").unwrap();
        let fake = Arc::new(Fake::serving(&issuer));
        let store = KeyStore::load(Arc::clone(&fake), REFETCH_COOLDOWN).await;
        assert_eq!(fake.count(), 1);
        assert!(store.current().get("k1").is_some());

        for _ in 0..20 {
            assert!(store.refresh_for("unknown").await.is_none());
        }
        assert_eq!(
            fake.count(),
            1,
            "still within the cooldown of the start-up fetch"
        );

        tokio::time::advance(REFETCH_COOLDOWN).await;
        for _ in 0..20 {
            assert!(store.refresh_for("unknown").await.is_none());
        }
        assert_eq!(fake.count(), 2, "one refetch per cooldown window");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_refetches_merge_into_one() {
        let old = Issuer::generate("old").unwrap();
        let new = Issuer::generate("new").unwrap();
        let fake = Arc::new(Fake::serving(&old));
        let store = Arc::new(KeyStore::load(Arc::clone(&fake), REFETCH_COOLDOWN).await);
        tokio::time::advance(REFETCH_COOLDOWN).await;
        fake.set(Ok(new.jwks().to_string().into_bytes()));

        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.refresh_for("new").await.is_some() })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap(), "every waiter sees the rotated key");
        }
        assert_eq!(fake.count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_or_empty_refetches_keep_the_cached_keys() {
        let issuer = Issuer::generate("k1").unwrap();
        let fake = Arc::new(Fake::serving(&issuer));
        let store = KeyStore::load(Arc::clone(&fake), REFETCH_COOLDOWN).await;
        for body in [
            Err(()),
            Ok(b"not json".to_vec()),
            Ok(br#"{"keys":[]}"#.to_vec()),
        ] {
            fake.set(body);
            tokio::time::advance(REFETCH_COOLDOWN).await;
            assert!(store.refresh_for("k2").await.is_none());
            assert!(store.current().get("k1").is_some());
        }
        assert_eq!(fake.count(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_start_leaves_an_empty_set_and_recovers_later() {
        let issuer = Issuer::generate("k1").unwrap();
        let fake = Arc::new(Fake::serving(&issuer));
        fake.set(Err(()));
        let store = KeyStore::load(Arc::clone(&fake), REFETCH_COOLDOWN).await;
        assert!(store.current().is_empty());
        fake.set(Ok(issuer.jwks().to_string().into_bytes()));
        assert!(
            store.refresh_for("k1").await.is_none(),
            "cooldown applies after the failed start"
        );
        tokio::time::advance(REFETCH_COOLDOWN).await;
        assert!(store.refresh_for("k1").await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_starts_without_fetching_and_an_unknown_kid_refetches_at_once() {
        let old = Issuer::generate("old").unwrap();
        let new = Issuer::generate("new").unwrap();
        let file = temp_file("key-store-snapshot", old.jwks().to_string().as_bytes()).unwrap();
        let both = serde_json::json!({"keys": [old.jwk(), new.jwk()]});
        let fake = Arc::new(Fake::serving(&old));
        fake.set(Ok(both.to_string().into_bytes()));

        let store = KeyStore::start(Arc::clone(&fake), REFETCH_COOLDOWN, Some(file.path()))
            .await
            .unwrap();
        assert_eq!(fake.count(), 0, "the snapshot replaces the start-up fetch");
        assert!(store.current().get("old").is_some());

        assert!(
            store.refresh_for("new").await.is_some(),
            "a kid the snapshot lacks is fetched without waiting for a cooldown"
        );
        assert_eq!(fake.count(), 1);
        for _ in 0..10 {
            assert!(store.refresh_for("forged").await.is_none());
        }
        assert_eq!(fake.count(), 1, "then the cooldown applies as usual");
    }

    #[tokio::test]
    async fn a_bad_snapshot_fails_start_up_naming_the_variable_and_the_file() {
        let issuer = Issuer::generate("k1").unwrap();
        let mut ec_only = issuer.jwk();
        ec_only["kty"] = serde_json::json!("EC");
        let cases: [(&str, Option<String>, &str); 5] = [
            ("missing", None, "No such file"),
            (
                "not-json",
                Some("not json".into()),
                "JWKS is not a JSON object",
            ),
            (
                "no-keys-list",
                Some("{}".into()),
                "JWKS is not a JSON object",
            ),
            (
                "empty",
                Some(r#"{"keys":[]}"#.into()),
                "no usable RS256 signing key (0 skipped)",
            ),
            (
                "no-rs256-key",
                Some(serde_json::json!({"keys": [ec_only]}).to_string()),
                "no usable RS256 signing key (1 skipped)",
            ),
        ];
        for (name, contents, reason) in cases {
            let file = contents.map(|c| temp_file(name, c.as_bytes()).unwrap());
            let path = file.as_ref().map_or_else(
                || std::env::temp_dir().join("key-store-does-not-exist.json"),
                |f| f.path().to_path_buf(),
            );
            let fake = Arc::new(Fake::serving(&issuer));
            let error = KeyStore::start(Arc::clone(&fake), REFETCH_COOLDOWN, Some(&path))
                .await
                .err()
                .unwrap_or_else(|| panic!("{name}: accepted"))
                .to_string();
            let prefix = format!("JWKS_FILE is invalid: {}: ", path.display());
            assert!(error.starts_with(&prefix), "{name}: {error}");
            assert!(error.contains(reason), "{name}: {error}");
            assert_eq!(fake.count(), 0, "{name}: no fetch instead");
        }
    }
}
