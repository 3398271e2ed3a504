//! `stack.json`: what local-stack writes into the state folder once it is
//! ready, so that scripts and tests find the endpoints and app clients
//! without reading the banner. Every field is described, with an example,
//! in `docs/stack-json.md`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cognito::paths;
use crate::stack::urls::StackUrls;
use crate::state::{StateDir, StateError};
use crate::template::app_client::{AppClient, OAuthFlow};

/// The file's name in the state folder.
pub const STACK_FILE: &str = "stack.json";

/// Why `stack.json` could not be written or read.
#[derive(Debug, Error)]
pub enum StackInfoError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a stack description (local-stack rewrites it at every start).
    #[error("{path} is not a valid stack file (local-stack writes it anew when ready): {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause, naming the field, line and column.
        source: serde_json::Error,
    },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] StateError),
}

/// The running local stack: the user pool's endpoints, the API and the app clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackInfo {
    /// The local user pool id, e.g. `us-east-1_AbCdEf123`.
    pub user_pool_id: String,
    /// The tokens' `iss`.
    pub issuer: String,
    /// The JWKS with the signing keys.
    pub jwks_uri: String,
    /// `/oauth2/token`.
    pub token_endpoint: String,
    /// `/oauth2/authorize`.
    pub authorize_endpoint: String,
    /// `/oauth2/userInfo`.
    pub userinfo_endpoint: String,
    /// `/oauth2/revoke`.
    pub revocation_endpoint: String,
    /// `/logout`.
    pub logout_endpoint: String,
    /// The base URL clients call, ending in `/`.
    pub api_url: String,
    /// The REST API's id, as method ARNs name it.
    pub rest_api_id: String,
    /// The stage, as method ARNs name it.
    pub stage: String,
    /// The HTTP API's base URL (payload 2.0 events), ending in `/`; `null`
    /// when the template has no HTTP API.
    pub http_api_url: Option<String>,
    /// The HTTP API's id, as route ARNs name it (new at every start).
    pub http_api_id: Option<String>,
    /// The web app's URL, when one is served.
    pub web_url: Option<String>,
    /// Every app client of the template.
    pub clients: Vec<AppClient>,
}

impl StackInfo {
    /// The description of a stack serving `clients` at `urls`, its pool
    /// `user_pool_id`, its REST API `rest_api_id` and `stage`.
    pub fn new(
        urls: &StackUrls,
        user_pool_id: &str,
        rest_api_id: &str,
        stage: &str,
        http_api_id: Option<&str>,
        clients: &[AppClient],
    ) -> Self {
        Self {
            user_pool_id: user_pool_id.to_string(),
            issuer: urls.issuer.clone(),
            jwks_uri: urls.jwks(),
            token_endpoint: urls.pool_endpoint(paths::TOKEN),
            authorize_endpoint: urls.pool_endpoint(paths::AUTHORIZE),
            userinfo_endpoint: urls.pool_endpoint(paths::USER_INFO),
            revocation_endpoint: urls.pool_endpoint(paths::REVOKE),
            logout_endpoint: urls.pool_endpoint(paths::LOGOUT),
            api_url: urls.api_base(),
            rest_api_id: rest_api_id.to_string(),
            stage: stage.to_string(),
            http_api_url: urls.http_api_base(),
            http_api_id: http_api_id.map(str::to_string),
            web_url: Some(urls.web.clone()),
            clients: clients.to_vec(),
        }
    }

    /// The client named `name` (its logical id), or by default the first
    /// one allowed the client-credentials grant.
    pub fn client(&self, name: Option<&str>) -> Option<&AppClient> {
        match name {
            Some(name) => self.clients.iter().find(|c| c.name == name),
            None => self
                .clients
                .iter()
                .find(|c| c.allows(OAuthFlow::ClientCredentials)),
        }
    }

    /// Where the file lives in the state folder `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(STACK_FILE)
    }

    /// Writes `<dir>/stack.json` through a temporary file and a rename, so a
    /// reader never sees half a file; mode 0600, as it holds client secrets.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, StackInfoError> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|source| StackInfoError::Json {
            path: Self::path_in(dir),
            source,
        })?;
        json.push(b'\n');
        Ok(StateDir::new(dir).write_file(STACK_FILE, &json)?)
    }

    /// Reads a `stack.json`.
    pub fn read(path: &Path) -> Result<Self, StackInfoError> {
        let bytes = std::fs::read(path).map_err(|source| StackInfoError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|source| StackInfoError::Json {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::template::app_client::RefreshRotation;

    fn example() -> StackInfo {
        let pool = "http://127.0.0.1:9100";
        let issuer = format!("{pool}/us-east-1_AbCdEf123");
        StackInfo {
            user_pool_id: "us-east-1_AbCdEf123".into(),
            jwks_uri: format!("{issuer}/.well-known/jwks.json"),
            issuer,
            token_endpoint: format!("{pool}/oauth2/token"),
            authorize_endpoint: format!("{pool}/oauth2/authorize"),
            userinfo_endpoint: format!("{pool}/oauth2/userInfo"),
            revocation_endpoint: format!("{pool}/oauth2/revoke"),
            logout_endpoint: format!("{pool}/logout"),
            api_url: "http://127.0.0.1:3000/".into(),
            rest_api_id: "a1b2c3d4e5".into(),
            stage: "prod".into(),
            http_api_url: Some("http://127.0.0.1:3001/prod/".into()),
            http_api_id: Some("h1j2k3l4m5".into()),
            web_url: None,
            clients: vec![
                AppClient {
                    name: "M2MClient".into(),
                    client_id: "client-id-m2m".into(),
                    client_secret: Some("s3cret-value".into()),
                    flows: vec![OAuthFlow::ClientCredentials],
                    scopes: vec!["API/book.get".into()],
                    callback_urls: vec![],
                    logout_urls: vec![],
                    ..AppClient::default()
                },
                AppClient {
                    name: "WebClient".into(),
                    client_id: "client-id-web".into(),
                    client_secret: None,
                    flows: vec![OAuthFlow::Code],
                    scopes: vec!["openid".into()],
                    callback_urls: vec!["http://localhost:8080/".into()],
                    logout_urls: vec!["http://localhost:8080/".into()],
                    ..AppClient::default()
                },
            ],
        }
    }

    /// A scratch folder, removed when the guard returned with it drops.
    fn temp_dir(tag: &str) -> (testkit::TempDir, PathBuf) {
        let scratch = testkit::temp_dir(&format!("stack-info-test-{tag}-")).unwrap();
        let dir = scratch.path().to_path_buf();
        (scratch, dir)
    }

    #[test]
    fn written_file_reads_back_equal_and_is_private() {
        let (_scratch, dir) = temp_dir("roundtrip");
        let info = example();
        let path = info.write(&dir).unwrap();
        assert_eq!(path, dir.join(STACK_FILE));
        assert_eq!(StackInfo::read(&path).unwrap(), info);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn public_clients_and_missing_web_url_are_explicit_nulls() {
        let json: serde_json::Value = serde_json::to_value(example()).unwrap();
        assert_eq!(json["web_url"], serde_json::Value::Null);
        assert_eq!(json["clients"][1]["client_secret"], serde_json::Value::Null);
        assert!(
            json["clients"][1]
                .as_object()
                .unwrap()
                .contains_key("client_secret")
        );
        assert_eq!(json["clients"][0]["client_secret"], "s3cret-value");
    }

    #[test]
    fn rewriting_replaces_the_file_and_leaves_no_temporary_file() {
        let (_scratch, dir) = temp_dir("atomic");
        let mut info = example();
        info.write(&dir).unwrap();
        info.web_url = Some("http://localhost:8080/".into());
        let path = info.write(&dir).unwrap();
        assert_eq!(StackInfo::read(&path).unwrap(), info);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [STACK_FILE]);
    }

    #[test]
    fn malformed_or_missing_files_are_named_in_the_error() {
        let (_scratch, dir) = temp_dir("malformed");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(STACK_FILE);
        let cases: [(&str, &[u8], &str); 3] = [
            ("not json", b"{", "EOF"),
            ("missing field", br#"{"user_pool_id":"x"}"#, "missing field"),
            ("wrong type", br#"{"clients":3}"#, "invalid type"),
        ];
        for (name, contents, cause) in cases {
            std::fs::write(&path, contents).unwrap();
            let err = StackInfo::read(&path).unwrap_err();
            assert!(matches!(err, StackInfoError::Json { .. }), "{name}: {err}");
            let message = err.to_string();
            assert!(
                message.contains(path.to_str().unwrap()),
                "{name}: {message}"
            );
            assert!(message.contains(cause), "{name}: {message}");
        }
        let absent = dir.join("absent.json");
        let err = StackInfo::read(&absent).unwrap_err();
        assert!(matches!(err, StackInfoError::Read { .. }), "{err}");
        assert!(err.to_string().contains(absent.to_str().unwrap()), "{err}");
    }

    #[test]
    fn a_stack_is_described_by_its_pool_api_and_clients() {
        let expected = StackInfo {
            web_url: Some("http://localhost:8080/".into()),
            ..example()
        };
        // Settings stack.json leaves out do not change it.
        let clients: Vec<AppClient> = expected
            .clients
            .iter()
            .map(|c| AppClient {
                generate_secret: c.client_secret.is_some(),
                refresh_rotation: Some(RefreshRotation { grace_secs: 10 }),
                ..c.clone()
            })
            .collect();
        let urls = StackUrls {
            pool: "http://127.0.0.1:9100".into(),
            issuer: "http://127.0.0.1:9100/us-east-1_AbCdEf123".into(),
            issuers: [
                "http://127.0.0.1:9100/us-east-1_AbCdEf123".into(),
                "http://localhost:9100/us-east-1_AbCdEf123".into(),
            ],
            api: "http://127.0.0.1:3000".into(),
            http_api: Some("http://127.0.0.1:3001/prod".into()),
            web: "http://localhost:8080/".into(),
        };
        let built = StackInfo::new(
            &urls,
            "us-east-1_AbCdEf123",
            "a1b2c3d4e5",
            "prod",
            Some("h1j2k3l4m5"),
            &clients,
        );
        let file = |info: &StackInfo| serde_json::to_value(info).unwrap();
        assert_eq!(file(&built), file(&expected));
        assert_eq!(
            built.client(None).map(|c| c.name.as_str()),
            Some("M2MClient")
        );
        assert_eq!(
            built.client(Some("WebClient")).map(|c| c.name.as_str()),
            Some("WebClient")
        );
        assert!(built.client(Some("Nobody")).is_none());
    }

    #[test]
    fn debug_output_hides_client_secrets() {
        let shown = format!("{:?}", example());
        assert!(!shown.contains("s3cret-value"), "{shown}");
        assert!(shown.contains("client-id-m2m"), "{shown}");
    }
}
