//! moto's server as a local stand-in for the Cognito user-pool API, driven
//! through the same JSON protocol the AWS SDKs speak (`X-Amz-Target`).
//! moto does not check request signatures, so no credentials are needed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use testkit::{ProcessGuard, free_port, wait_for_port};

/// A running `moto_server`, stopped when dropped.
pub struct Moto {
    _guard: ProcessGuard,
    port: u16,
    http: reqwest::Client,
}

impl Moto {
    /// Starts moto on a free port of 127.0.0.1 and waits until it answers.
    /// The binary comes from the workspace's `.venv` (made by
    /// `scripts/tools`), else from `PATH`.
    pub fn start() -> Result<Self, String> {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
        let program = if venv.is_file() {
            venv.into_os_string()
        } else {
            "moto_server".into()
        };
        let port = free_port().map_err(|e| format!("free port: {e}"))?;
        let mut guard = ProcessGuard::spawn(
            "moto_server",
            Command::new(&program)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .map_err(|e| format!("starting {program:?} (run scripts/tools): {e}"))?;
        wait_for_port(port, Duration::from_secs(60), || guard.is_running())?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            _guard: guard,
            port,
            http,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Calls a Cognito user-pool action, e.g. `CreateUserPool`.
    pub async fn cognito(&self, action: &str, body: Value) -> Result<Value, String> {
        let response = self
            .http
            .post(format!("{}/", self.url()))
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{action}"),
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{action}: {e}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| format!("{action}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{action}: HTTP {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{action}: {e}: {text}"))
    }
}
