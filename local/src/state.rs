//! The git-ignored state folder (`.local-state/`): the signing key, the
//! local pool and API ids and the app clients' ids and secrets, made at the
//! first start and kept so that restarts keep tokens and credentials valid.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{self, RandomError};
use crate::template::app_client::AppClient;
use testkit::{Issuer, IssuerError};

/// The region local ids and ARNs name.
pub const REGION: &str = "us-east-1";

const STATE_FILE: &str = "state.json";
const KEY_FILE: &str = "signing-key.pk8";
const LOCK_FILE: &str = "lock";

/// Why the state folder could not be read or written.
#[derive(Debug, Error)]
pub enum StateError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `state.json` is not valid; delete the folder to start afresh.
    #[error("{path} is not valid state (delete the folder to start afresh): {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A stored value is not one local-stack could have written.
    #[error("{path}: {field} {problem}; delete {dir}/ to start afresh (new ids, secrets and key)")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field, e.g. `pool_id` or `clients.M2MClient.client_id`.
        field: String,
        /// What is wrong with its value.
        problem: String,
        /// The state folder, named in the fix.
        dir: PathBuf,
    },
    /// The folder is in use by another local-stack.
    #[error(
        "{dir}/ is in use by another local-stack{holder}: stop it, or give this one its own folder with --state-dir (or LOCAL_STATE_DIR)"
    )]
    InUse {
        /// The state folder.
        dir: PathBuf,
        /// ` (pid N)` when the other process wrote its pid.
        holder: String,
    },
    /// A new key could not be made.
    #[error("signing key: {0}")]
    Key(#[from] IssuerError),
    /// No randomness for new ids.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// One app client's local credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredentials {
    /// The generated client id.
    pub client_id: String,
    /// The generated secret, for clients the template gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Ids made once and kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalState {
    /// The local user pool id, e.g. `us-east-1_AbCdEf123`.
    pub pool_id: String,
    /// The local REST API id used in method ARNs.
    pub api_id: String,
    /// The signing key's id.
    pub kid: String,
    /// Credentials by the client's logical id in the template.
    pub clients: BTreeMap<String, ClientCredentials>,
}

/// A state folder claimed by this process (see [`StateDir::lock`]); the
/// claim ends when this is dropped.
#[derive(Debug)]
pub struct StateLock {
    _file: fs::File,
}

/// The state folder.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// A state folder at `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Loads the state and key, making whatever is missing: a new folder, a
    /// new key, or credentials for clients added to the template since.
    pub fn load_or_init(&self, clients: &[AppClient]) -> Result<(LocalState, Issuer), StateError> {
        let state_path = self.dir.join(STATE_FILE);
        let key_path = self.dir.join(KEY_FILE);
        let mut changed = false;
        let mut state = match fs::read(&state_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StateError::Json {
                path: state_path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                changed = true;
                LocalState {
                    pool_id: ids::pool_id(REGION)?,
                    api_id: ids::api_id()?,
                    kid: ids::key_id()?,
                    clients: BTreeMap::new(),
                }
            }
            Err(source) => {
                return Err(StateError::Io {
                    path: state_path,
                    source,
                });
            }
        };
        if !changed {
            check_state(&state).map_err(|(field, problem)| StateError::Invalid {
                path: state_path.clone(),
                field,
                problem,
                dir: self.dir.clone(),
            })?;
        }
        let issuer = match fs::read(&key_path) {
            Ok(der) if !changed => {
                Issuer::from_pkcs8(&der, &state.kid).map_err(|e| StateError::Invalid {
                    path: key_path.clone(),
                    field: "the key".into(),
                    problem: describe_key_error(&e),
                    dir: self.dir.clone(),
                })?
            }
            Ok(_) | Err(_) => {
                // A key without its state (or the reverse) cannot be trusted
                // to match the kid, so both start afresh together.
                state.kid = ids::key_id()?;
                let issuer = Issuer::generate(&state.kid)?;
                write_private(&key_path, &issuer.to_pkcs8()?)?;
                changed = true;
                issuer
            }
        };
        for client in clients {
            let entry = match state.clients.get(&client.name) {
                Some(existing) if existing.client_secret.is_some() == client.generate_secret => {
                    continue;
                }
                Some(existing) => ClientCredentials {
                    client_id: existing.client_id.clone(),
                    client_secret: client
                        .generate_secret
                        .then(ids::client_secret)
                        .transpose()?,
                },
                None => ClientCredentials {
                    client_id: ids::client_id()?,
                    client_secret: client
                        .generate_secret
                        .then(ids::client_secret)
                        .transpose()?,
                },
            };
            state.clients.insert(client.name.clone(), entry);
            changed = true;
        }
        if changed {
            let json = serde_json::to_vec_pretty(&state).map_err(|source| StateError::Json {
                path: state_path.clone(),
                source,
            })?;
            write_private(&state_path, &json)?;
        }
        Ok((state, issuer))
    }

    /// Claims the folder for this process until the returned lock is
    /// dropped (or the process ends): two stacks sharing one folder would
    /// rewrite each other's env file and `stack.json`.
    pub fn lock(&self) -> Result<StateLock, StateError> {
        let path = self.dir.join(LOCK_FILE);
        let io = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(&self.dir).map_err(|source| StateError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        // flock(2) through rustix: std's `File::try_lock` needs Rust 1.89,
        // above the workspace's rust-version.
        if let Err(errno) = flock(&file, FlockOperation::NonBlockingLockExclusive) {
            if errno != Errno::WOULDBLOCK {
                return Err(io(errno.into()));
            }
            let holder = fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok())
                .map(|pid| format!(" (pid {pid})"))
                .unwrap_or_default();
            return Err(StateError::InUse {
                dir: self.dir.clone(),
                holder,
            });
        }
        file.set_len(0).map_err(io)?;
        file.write_all(format!("{}\n", std::process::id()).as_bytes())
            .map_err(io)?;
        Ok(StateLock { _file: file })
    }

    /// Loads the signing key kept in `file`, or makes and keeps a new one;
    /// its `kid` is derived from the public key
    /// ([`Issuer::with_derived_kid`]).
    pub fn load_or_generate_key(&self, file: &str) -> Result<Issuer, StateError> {
        let path = self.dir.join(file);
        let with_path = |error| match error {
            IssuerError::Key(problem) => IssuerError::Key(format!("{}: {problem}", path.display())),
            other => other,
        };
        let der = match self.read_file(file)? {
            Some(der) => der,
            None => {
                let der = Issuer::generate("")?.to_pkcs8()?;
                self.write_file(file, &der)?;
                der
            }
        };
        Ok(Issuer::from_pkcs8(&der, "")
            .map_err(with_path)?
            .with_derived_kid())
    }

    /// The contents of a file of the folder, `None` when there is none.
    pub fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io { path, source }),
        }
    }

    /// Removes a file of the folder, if there is one.
    pub fn remove_file(&self, name: &str) -> Result<(), StateError> {
        let path = self.dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StateError::Io { path, source }),
        }
    }

    /// Writes a file into the folder, readable by the owner only.
    pub fn write_file(&self, name: &str, contents: &[u8]) -> Result<PathBuf, StateError> {
        let path = self.dir.join(name);
        write_private(&path, contents)?;
        Ok(path)
    }
}

/// Checks every value of a loaded `state.json` against the shape
/// local-stack gives it, so a hand-edited file fails here, naming the field,
/// rather than later in a function or a client: `Err((field, problem))`.
fn check_state(state: &LocalState) -> Result<(), (String, String)> {
    let fail = |field: &str, problem: String| Err((field.to_string(), problem));
    let suffix = state.pool_id.strip_prefix(&format!("{REGION}_"));
    if !suffix.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return fail(
            "pool_id",
            format!(
                "is {:?}, not {REGION}_ followed by letters and digits (the authorizer would refuse it at start-up)",
                state.pool_id
            ),
        );
    }
    if state.api_id.is_empty()
        || !state
            .api_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return fail(
            "api_id",
            format!(
                "is {:?}, not lower-case letters and digits (it is a part of every method ARN)",
                state.api_id
            ),
        );
    }
    if state.kid.is_empty() || !state.kid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return fail("kid", format!("is {:?}, not letters and digits", state.kid));
    }
    // Cognito's own pattern for ids and secrets is `[\w+]+`; `:` in
    // particular would break `curl -u id:secret` and Basic authentication.
    let cognito_word = |v: &str| {
        !v.is_empty()
            && v.len() <= 128
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+')
    };
    for (name, creds) in &state.clients {
        if !cognito_word(&creds.client_id) {
            return fail(
                &format!("clients.{name}.client_id"),
                format!(
                    "is {:?}, not 1 to 128 letters, digits, `_` or `+` (as Cognito's client ids)",
                    creds.client_id
                ),
            );
        }
        if let Some(secret) = &creds.client_secret
            && !cognito_word(secret)
        {
            // The value is a secret: say what is wrong, never what it is.
            return fail(
                &format!("clients.{name}.client_secret"),
                "is not 1 to 128 letters, digits, `_` or `+` (as Cognito's client secrets)"
                    .to_string(),
            );
        }
    }
    Ok(())
}

/// What is wrong with a stored key, for the message.
fn describe_key_error(error: &IssuerError) -> String {
    format!("is not the RSA PKCS#8 key local-stack writes ({error})")
}

/// Writes through a temporary file and a rename, so a crash never leaves a
/// half-written key; mode 0600 because the files hold secrets.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), StateError> {
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(contents).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::app_client::OAuthFlow;

    fn client(name: &str, secret: bool) -> AppClient {
        AppClient {
            name: name.into(),
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec!["API/book.get".into()],
            generate_secret: secret,
            ..AppClient::default()
        }
    }

    /// A scratch folder, removed when the guard returned with it drops.
    fn temp_dir(tag: &str) -> (testkit::TempDir, PathBuf) {
        let scratch = testkit::temp_dir(&format!("local-state-test-{tag}-")).unwrap();
        let dir = scratch.path().to_path_buf();
        (scratch, dir)
    }

    #[test]
    fn state_is_made_once_and_kept() {
        let (_scratch, dir) = temp_dir("kept");
        let store = StateDir::new(&dir);
        let (first, issuer) = store.load_or_init(&[client("M2M", true)]).unwrap();
        assert!(first.pool_id.starts_with("us-east-1_"));
        let creds = &first.clients["M2M"];
        assert_eq!(creds.client_secret.as_ref().map(String::len), Some(51));

        let (again, issuer_again) = store.load_or_init(&[client("M2M", true)]).unwrap();
        assert_eq!(first, again);
        assert_eq!(issuer.jwks(), issuer_again.jwks());

        let mode = fs::metadata(dir.join(KEY_FILE)).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }

    #[test]
    fn new_clients_are_added_and_secret_changes_followed() {
        let (_scratch, dir) = temp_dir("clients");
        let store = StateDir::new(&dir);
        let (first, _) = store.load_or_init(&[client("A", true)]).unwrap();
        let (second, _) = store
            .load_or_init(&[client("A", false), client("B", false)])
            .unwrap();
        assert_eq!(second.clients["A"].client_id, first.clients["A"].client_id);
        assert_eq!(second.clients["A"].client_secret, None);
        assert!(second.clients.contains_key("B"));
        assert_eq!(second.kid, first.kid);
    }

    #[test]
    fn a_lost_key_is_replaced_with_a_new_kid() {
        let (_scratch, dir) = temp_dir("lostkey");
        let store = StateDir::new(&dir);
        let (first, _) = store.load_or_init(&[]).unwrap();
        fs::remove_file(dir.join(KEY_FILE)).unwrap();
        let (second, issuer) = store.load_or_init(&[]).unwrap();
        assert_ne!(first.kid, second.kid);
        assert_eq!(issuer.kid(), second.kid);
    }

    #[test]
    fn hand_edited_values_are_refused_naming_file_field_and_fix() {
        type Edit = fn(&mut serde_json::Value);
        // (case, edit of a valid state.json, file, field named)
        let cases: [(&str, Edit, &str, &str); 8] = [
            (
                "pool id without region",
                |s| s["pool_id"] = "mypool".into(),
                STATE_FILE,
                "pool_id",
            ),
            (
                "pool id of another region",
                |s| s["pool_id"] = "eu-west-1_abc".into(),
                STATE_FILE,
                "pool_id",
            ),
            (
                "api id with a slash",
                |s| s["api_id"] = "my/api".into(),
                STATE_FILE,
                "api_id",
            ),
            (
                "empty api id",
                |s| s["api_id"] = "".into(),
                STATE_FILE,
                "api_id",
            ),
            (
                "kid with a quote",
                |s| s["kid"] = "k\"1".into(),
                STATE_FILE,
                "kid",
            ),
            (
                "client id with a colon",
                |s| s["clients"]["M2M"]["client_id"] = "a:b".into(),
                STATE_FILE,
                "clients.M2M.client_id",
            ),
            (
                "secret with a space",
                |s| s["clients"]["M2M"]["client_secret"] = "a b".into(),
                STATE_FILE,
                "clients.M2M.client_secret",
            ),
            ("garbage key", |_| {}, KEY_FILE, "the key"),
        ];
        for (case, edit, file, field) in cases {
            let (_scratch, dir) = temp_dir("edited");
            let store = StateDir::new(&dir);
            store.load_or_init(&[client("M2M", true)]).unwrap();
            let path = dir.join(STATE_FILE);
            let mut json: serde_json::Value =
                serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
            edit(&mut json);
            fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
            if file == KEY_FILE {
                fs::write(dir.join(KEY_FILE), b"not a key").unwrap();
            }
            let err = store
                .load_or_init(&[client("M2M", true)])
                .map(|_| ())
                .unwrap_err();
            let message = err.to_string();
            let expected_path = dir.join(file);
            assert!(
                matches!(err, StateError::Invalid { .. }),
                "{case}: {message}"
            );
            assert!(
                message.starts_with(&format!("{}: {field} ", expected_path.display())),
                "{case}: {message}"
            );
            assert!(
                message.contains(&format!("delete {}/ to start afresh", dir.display())),
                "{case}: {message}"
            );
            assert!(
                !message.contains("a b"),
                "{case}: a secret was shown: {message}"
            );
        }
    }

    #[test]
    fn a_folder_serves_one_stack_at_a_time() {
        let (_scratch, dir) = temp_dir("lock");
        let store = StateDir::new(&dir);
        let lock = store.lock().unwrap();
        let err = StateDir::new(&dir).lock().unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, StateError::InUse { .. }), "{message}");
        assert!(
            message.contains(&format!("(pid {})", std::process::id())),
            "{message}"
        );
        assert!(message.contains("--state-dir"), "{message}");
        drop(lock);
        assert!(store.lock().is_ok(), "released when dropped");
    }

    #[test]
    fn corrupt_state_is_reported() {
        let (_scratch, dir) = temp_dir("corrupt");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(STATE_FILE), b"{").unwrap();
        let err = StateDir::new(&dir)
            .load_or_init(&[])
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(err, StateError::Json { .. }), "{err}");
    }
}
