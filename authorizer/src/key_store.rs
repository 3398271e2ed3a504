//! The trusted pools' keys, one [`KeyStore`] per pool: read from a snapshot
//! file shipped with the function or fetched, at cold start when there is
//! one pool and at a pool's first token when there are several; kept for
//! the life of the process, refetched (at most once per cooldown, per pool)
//! when a token names an unknown `kid`. A failed fetch, or a bad snapshot of
//! one of several pools, keeps the cached keys and touches no other pool.

use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use reqwest::Url;
use thiserror::Error;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{error, info, warn};

use crate::jwks::PoolKeys;
use crate::pools::{PoolIndex, Snapshot, TrustedPool, TrustedPools};
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
    client: JwksClient,
    url: Url,
}

/// The HTTP client the pools' JWKS sources share ([`HttpJwks::with_client`]),
/// so the trusted roots are loaded once however many pools there are.
#[derive(Debug, Clone, Default)]
pub struct JwksClient(Arc<OnceLock<reqwest::Client>>);

impl HttpJwks {
    /// A source for `url`, with [`FETCH_TIMEOUT`] on every request.
    pub fn new(url: Url) -> Self {
        Self::with_client(url, &JwksClient::default())
    }

    /// A source for `url` that uses `client` (shared with other pools' sources).
    pub fn with_client(url: Url, client: &JwksClient) -> Self {
        Self {
            client: client.clone(),
            url,
        }
    }

    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        if let Some(client) = self.client.0.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(self.client.0.get_or_init(|| client))
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

/// Reads a JWKS snapshot (`JWKS_FILE`, or a pool's `jwks_file` in
/// `TRUSTED_POOLS`): a JWKS document shipped with the function. A file that
/// cannot be read or parsed, or that holds no usable RS256 key, is a
/// configuration error naming the variable and the file.
pub fn read_snapshot(snapshot: &Snapshot) -> Result<KeySet, ConfigError> {
    let path = &snapshot.path;
    let invalid = |reason: String| ConfigError::Invalid {
        name: snapshot.variable,
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

/// One pool's cached key set and the refetch policy around it.
pub struct KeyStore<S> {
    source: S,
    /// The pool id, for the logs.
    pool: String,
    keys: RwLock<Arc<KeySet>>,
    /// A snapshot to read at the pool's first token ([`KeyStore::lazy_snapshot`]).
    snapshot: Option<Snapshot>,
    /// Set once that snapshot has been read (or found unusable).
    snapshot_read: OnceLock<()>,
    /// Held while fetching, so concurrent refetches merge into one; holds
    /// the time of the last fetch for the cooldown.
    last_fetch: Mutex<Option<Instant>>,
    cooldown: Duration,
}

impl<S: JwksSource> KeyStore<S> {
    /// Fetches the keys once (a failure leaves the set empty and is logged).
    pub async fn load(source: S, cooldown: Duration) -> Self {
        let store = Self::with_keys(source, cooldown, KeySet::default());
        store.prefetch().await;
        store
    }

    /// Fetches the keys now, starting the cooldown (a failure is logged).
    async fn prefetch(&self) {
        let mut last = self.last_fetch.lock().await;
        self.fetch(&mut last).await;
    }

    /// The keys at cold start: from the snapshot file if there is one (no
    /// fetch), fetched otherwise.
    pub async fn start(
        source: S,
        cooldown: Duration,
        snapshot: Option<&Snapshot>,
    ) -> Result<Self, ConfigError> {
        match snapshot {
            Some(snapshot) => Ok(Self::with_keys(source, cooldown, read_snapshot(snapshot)?)),
            None => Ok(Self::load(source, cooldown).await),
        }
    }

    /// Names the pool in this store's log lines.
    pub fn for_pool(mut self, user_pool_id: &str) -> Self {
        self.pool = user_pool_id.to_string();
        self
    }

    /// Reads `snapshot` at the pool's first token instead of now: the store
    /// starts without keys, so that token's `kid` is unknown and
    /// [`KeyStore::refresh_for`] reads the file (at the edge, never in the
    /// decision). A file that is unusable then is logged as an error naming
    /// its variable and file, and the keys are fetched instead (no cooldown
    /// has started).
    pub fn lazy_snapshot(mut self, snapshot: Snapshot) -> Self {
        self.snapshot = Some(snapshot);
        self
    }

    /// Starts from `keys` without fetching. The first token with a `kid`
    /// they lack refetches at once (no fetch has started a cooldown yet).
    pub fn with_keys(source: S, cooldown: Duration, keys: KeySet) -> Self {
        Self {
            source,
            pool: String::new(),
            keys: RwLock::new(Arc::new(keys)),
            snapshot: None,
            snapshot_read: OnceLock::new(),
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

    /// Reads the lazy snapshot, the first time only.
    fn read_lazy_snapshot(&self) {
        let Some(snapshot) = &self.snapshot else {
            return;
        };
        self.snapshot_read
            .get_or_init(|| match read_snapshot(snapshot) {
                Ok(keys) => self.replace(Arc::new(keys)),
                Err(error) => error!(
                    pool = %self.pool,
                    %error,
                    "JWKS snapshot unusable; this pool's keys will be fetched"
                ),
            });
    }

    fn replace(&self, set: Arc<KeySet>) {
        match self.keys.write() {
            Ok(mut keys) => *keys = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// Refetches the keys for an unknown `kid`, unless another caller just
    /// did or the cooldown has not passed; the first time, a lazy snapshot
    /// is read instead if it holds `kid`. Returns the keys if they now hold `kid`.
    pub async fn refresh_for(&self, kid: &str) -> Option<Arc<KeySet>> {
        let mut last = self.last_fetch.lock().await;
        self.read_lazy_snapshot();
        let keys = self.current();
        if keys.get(kid).is_some() {
            return Some(keys);
        }
        if last.is_some_and(|at| at.elapsed() < self.cooldown) {
            info!(pool = %self.pool, "unknown kid; JWKS refetch skipped during cooldown");
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
                info!(pool = %self.pool, keys = set.len(), skipped, "JWKS loaded");
                let set = Arc::new(set);
                self.replace(Arc::clone(&set));
                set
            }
            Ok((_, skipped)) => {
                warn!(
                    pool = %self.pool,
                    skipped,
                    "JWKS has no usable RS256 key; keeping the cached keys"
                );
                self.current()
            }
            Err(error) => {
                warn!(pool = %self.pool, %error, "JWKS fetch failed; keeping the cached keys");
                self.current()
            }
        }
    }
}

/// Every trusted pool's [`KeyStore`], by [`PoolIndex`]: what the decision
/// core reads keys from ([`PoolKeys`]) and where an unknown `kid` is refetched.
pub struct KeyStores<S> {
    stores: Vec<KeyStore<S>>,
}

impl<S: JwksSource> KeyStores<S> {
    /// The stores at cold start, `source` giving each pool's JWKS source.
    ///
    /// A single pool gets its keys now, as before there were several: its
    /// snapshot is read (a bad one stops start-up, naming its variable and
    /// file) or its JWKS fetched, in the init phase. With several pools
    /// nothing is read or fetched: each pool's first token reads its
    /// snapshot ([`KeyStore::lazy_snapshot`]) or fetches its keys (no
    /// cooldown has started), so start-up costs about the same for 1 or 100
    /// pools (even a file's existence check costs more than the 1.2× budget
    /// allows; docs/performance.md), and a pool that never sends a token, or
    /// whose JWKS or snapshot is bad, costs nothing and blocks no one.
    pub async fn start(
        pools: &TrustedPools,
        cooldown: Duration,
        mut source: impl FnMut(&TrustedPool) -> S,
    ) -> Result<Self, ConfigError> {
        let at_start = pools.len() == 1;
        let mut stores = Vec::with_capacity(pools.len());
        for pool in pools.pools() {
            let store = KeyStore::with_keys(source(pool), cooldown, KeySet::default())
                .for_pool(&pool.user_pool_id);
            let store = match (&pool.jwks_file, at_start) {
                (Some(snapshot), true) => {
                    let keys = Arc::new(read_snapshot(snapshot)?);
                    store.replace(keys);
                    store
                }
                (Some(snapshot), false) => store.lazy_snapshot(snapshot.clone()),
                (None, true) => {
                    store.prefetch().await;
                    store
                }
                (None, false) => store,
            };
            stores.push(store);
        }
        Ok(Self { stores })
    }

    /// Refetches `pool`'s keys for an unknown `kid` under that pool's
    /// cooldown; true if they now hold it. Other pools are not touched.
    pub async fn refresh_for(&self, pool: PoolIndex, kid: &str) -> bool {
        match self.stores.get(pool.0) {
            Some(store) => store.refresh_for(kid).await.is_some(),
            None => false,
        }
    }
}

/// A single pool's store.
impl<S> From<KeyStore<S>> for KeyStores<S> {
    fn from(store: KeyStore<S>) -> Self {
        Self {
            stores: vec![store],
        }
    }
}

impl<S: JwksSource> PoolKeys for KeyStores<S> {
    type Keys<'a>
        = Arc<KeySet>
    where
        S: 'a;

    fn pool_keys(&self, pool: PoolIndex) -> Option<Arc<KeySet>> {
        self.stores.get(pool.0).map(KeyStore::current)
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

    fn jwks_file(path: &std::path::Path) -> Snapshot {
        Snapshot {
            path: path.to_path_buf(),
            variable: "JWKS_FILE",
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_starts_without_fetching_and_an_unknown_kid_refetches_at_once() {
        let old = Issuer::generate("old").unwrap();
        let new = Issuer::generate("new").unwrap();
        let file = temp_file("key-store-snapshot", old.jwks().to_string().as_bytes()).unwrap();
        let both = serde_json::json!({"keys": [old.jwk(), new.jwk()]});
        let fake = Arc::new(Fake::serving(&old));
        fake.set(Ok(both.to_string().into_bytes()));

        let store = KeyStore::start(
            Arc::clone(&fake),
            REFETCH_COOLDOWN,
            Some(&jwks_file(file.path())),
        )
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
            let error =
                KeyStore::start(Arc::clone(&fake), REFETCH_COOLDOWN, Some(&jwks_file(&path)))
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

    fn pools(n: usize) -> TrustedPools {
        pools_with_files(&vec![None; n])
    }

    /// One pool per entry of `files`, with that `jwks_file` (in `TRUSTED_POOLS`).
    fn pools_with_files(files: &[Option<&std::path::Path>]) -> TrustedPools {
        let pools = files
            .iter()
            .enumerate()
            .map(|(i, file)| TrustedPool {
                user_pool_id: format!("us-east-1_P{i}"),
                issuers: vec![format!("https://issuer.example/{i}")],
                client_ids: vec!["c".into()],
                jwks_url: Url::parse(&format!("https://jwks.example/{i}")).unwrap(),
                jwks_file: file.map(|path| Snapshot {
                    path: path.to_path_buf(),
                    variable: "TRUSTED_POOLS",
                }),
            })
            .collect();
        TrustedPools::new(pools).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn several_pools_read_their_snapshots_at_first_use_only() {
        let issuer = Issuer::generate("k1").unwrap();
        let good = temp_file("key-store-good", issuer.jwks().to_string().as_bytes()).unwrap();
        let dir = testkit::temp_dir("key-store-lazy").unwrap();
        let missing = dir.path().join("written-after-start.json");
        let bad = temp_file("key-store-bad", b"{\"keys\": [").unwrap();
        let files = [Some(good.path()), Some(missing.as_path()), Some(bad.path())];
        let fakes: Vec<_> = (0..3).map(|_| Arc::new(Fake::serving(&issuer))).collect();
        let mut next = fakes.iter();
        let stores = KeyStores::start(&pools_with_files(&files), REFETCH_COOLDOWN, |_| {
            Arc::clone(next.next().unwrap())
        })
        .await
        .expect("no snapshot is read at start, so none can fail it");

        assert!(
            stores.pool_keys(PoolIndex(0)).unwrap().is_empty(),
            "no keys before the pool's first token"
        );
        // Written after start: proves the file is read at first use.
        std::fs::write(&missing, issuer.jwks().to_string()).unwrap();
        for pool in [PoolIndex(0), PoolIndex(1)] {
            assert!(stores.refresh_for(pool, "k1").await, "{pool:?}'s snapshot");
            assert!(stores.pool_keys(pool).unwrap().get("k1").is_some());
        }
        std::fs::remove_file(&missing).unwrap();
        assert!(
            stores.refresh_for(PoolIndex(1), "k1").await,
            "read once, then kept"
        );

        assert!(
            stores.refresh_for(PoolIndex(2), "k1").await,
            "a bad snapshot: its pool's keys are fetched at once"
        );
        let counts: Vec<usize> = fakes.iter().map(|f| f.count()).collect();
        assert_eq!(counts, [0, 0, 1], "only the bad snapshot's pool fetched");
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_pools_bad_snapshot_still_stops_start_up() {
        let bad = temp_file("key-store-bad-single", b"[]").unwrap();
        let issuer = Issuer::generate("k1").unwrap();
        let fake = Arc::new(Fake::serving(&issuer));
        let error = KeyStores::start(
            &pools_with_files(&[Some(bad.path())]),
            REFETCH_COOLDOWN,
            |_| Arc::clone(&fake),
        )
        .await
        .err()
        .expect("refused")
        .to_string();
        let prefix = format!("TRUSTED_POOLS is invalid: {}: ", bad.path().display());
        assert!(error.starts_with(&prefix), "{error}");
        assert_eq!(fake.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn one_pool_fetches_at_start_several_fetch_at_first_use() {
        let issuer = Issuer::generate("k1").unwrap();
        let one = Arc::new(Fake::serving(&issuer));
        let stores = KeyStores::start(&pools(1), REFETCH_COOLDOWN, |_| Arc::clone(&one))
            .await
            .unwrap();
        assert_eq!(one.count(), 1);
        assert!(stores.pool_keys(PoolIndex(0)).unwrap().get("k1").is_some());

        let fakes: Vec<_> = (0..3).map(|_| Arc::new(Fake::serving(&issuer))).collect();
        let mut next = fakes.iter();
        let stores = KeyStores::start(&pools(3), REFETCH_COOLDOWN, |_| {
            Arc::clone(next.next().unwrap())
        })
        .await
        .unwrap();
        assert!(
            fakes.iter().all(|f| f.count() == 0),
            "nothing fetched at start"
        );
        assert!(stores.pool_keys(PoolIndex(1)).unwrap().is_empty());
        assert!(
            stores.refresh_for(PoolIndex(1), "k1").await,
            "first use fetches at once"
        );
        let counts: Vec<usize> = fakes.iter().map(|f| f.count()).collect();
        assert_eq!(counts, [0, 1, 0], "only that pool's JWKS");
        assert!(stores.pool_keys(PoolIndex(3)).is_none());
        assert!(!stores.refresh_for(PoolIndex(3), "k1").await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_pool_and_its_cooldown_touch_no_other_pool() {
        let issuer = Issuer::generate("k1").unwrap();
        let (down, up) = (
            Arc::new(Fake::serving(&issuer)),
            Arc::new(Fake::serving(&issuer)),
        );
        down.set(Err(()));
        let sources = [Arc::clone(&down), Arc::clone(&up)];
        let mut next = sources.iter();
        let stores = KeyStores::start(&pools(2), REFETCH_COOLDOWN, |_| {
            Arc::clone(next.next().unwrap())
        })
        .await
        .unwrap();
        assert!(!stores.refresh_for(PoolIndex(0), "k1").await);
        for _ in 0..10 {
            assert!(!stores.refresh_for(PoolIndex(0), "k1").await);
        }
        assert_eq!(
            down.count(),
            1,
            "the failed pool waits out its own cooldown"
        );
        assert!(
            stores.refresh_for(PoolIndex(1), "k1").await,
            "the other pool is not in that cooldown"
        );
        assert_eq!(up.count(), 1);
        assert!(stores.pool_keys(PoolIndex(0)).unwrap().is_empty());
    }
}
