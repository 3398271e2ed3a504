//! The git-ignored state folder (`.local-state/`): the signing key, the
//! local pool and API ids and the app clients' ids and secrets, made at the
//! first start and kept so that restarts keep tokens and credentials valid.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cognito::ids::{self, RandomError};
use crate::cognito::issuer::{Issuer, IssuerError};
use crate::template::spec::ClientSpec;

/// The region local ids and ARNs name.
pub const REGION: &str = "us-east-1";

const STATE_FILE: &str = "state.json";
const KEY_FILE: &str = "signing-key.pk8";

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
    /// The stored key could not be loaded or a new one made.
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
    pub fn load_or_init(&self, clients: &[ClientSpec]) -> Result<(LocalState, Issuer), StateError> {
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
        let issuer = match fs::read(&key_path) {
            Ok(der) if !changed => Issuer::from_pkcs8(&der, &state.kid)?,
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

    /// Writes a file into the folder, readable by the owner only.
    pub fn write_file(&self, name: &str, contents: &[u8]) -> Result<PathBuf, StateError> {
        let path = self.dir.join(name);
        write_private(&path, contents)?;
        Ok(path)
    }
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

    fn client(name: &str, secret: bool) -> ClientSpec {
        ClientSpec {
            name: name.into(),
            flows: vec!["client_credentials".into()],
            scopes: vec!["API/book.get".into()],
            generate_secret: secret,
            ..ClientSpec::default()
        }
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("local-state-test-{tag}-{}", ids::api_id().unwrap()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn state_is_made_once_and_kept() {
        let dir = temp_dir("kept");
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
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn new_clients_are_added_and_secret_changes_followed() {
        let dir = temp_dir("clients");
        let store = StateDir::new(&dir);
        let (first, _) = store.load_or_init(&[client("A", true)]).unwrap();
        let (second, _) = store
            .load_or_init(&[client("A", false), client("B", false)])
            .unwrap();
        assert_eq!(second.clients["A"].client_id, first.clients["A"].client_id);
        assert_eq!(second.clients["A"].client_secret, None);
        assert!(second.clients.contains_key("B"));
        assert_eq!(second.kid, first.kid);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lost_key_is_replaced_with_a_new_kid() {
        let dir = temp_dir("lostkey");
        let store = StateDir::new(&dir);
        let (first, _) = store.load_or_init(&[]).unwrap();
        fs::remove_file(dir.join(KEY_FILE)).unwrap();
        let (second, issuer) = store.load_or_init(&[]).unwrap();
        assert_ne!(first.kid, second.kid);
        assert_eq!(issuer.kid(), second.kid);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_state_is_reported() {
        let dir = temp_dir("corrupt");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(STATE_FILE), b"{").unwrap();
        let err = StateDir::new(&dir)
            .load_or_init(&[])
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(err, StateError::Json { .. }), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
