//! A real browser for tests: Debian's Chromium, driven through chromedriver
//! (WebDriver) with the fantoccini crate. chromedriver runs on a free
//! 127.0.0.1 port in a process group of its own, and is stopped with the
//! browser under it when the [`Browser`] drops, also when a test fails.
//!
//! Where no browser is installed, [`Browser::start`] fails with a message
//! saying so: a browser test must never pass without a browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use testkit::{ProcessGuard, TempDir, free_port, temp_dir, wait_for_port};

/// Debian's `chromium-driver` package.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's `chromium` package.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long chromedriver may take to listen, and a session to open.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Flags for a headless browser that runs as root in a container and talks
/// to nothing but the servers a test starts.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1100,1100",
];

/// Why a browser could not be started.
#[derive(Debug)]
pub struct BrowserError(pub String);

impl std::fmt::Display for BrowserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A browser session, its chromedriver, its profile directory and where its
/// screenshots go.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    shots: PathBuf,
    step: usize,
    // Dropped after `client`: stops chromedriver and Chromium, then removes the profile.
    _driver: ProcessGuard,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and opens a session in a fresh Chromium profile.
    /// Screenshots go to `target/screenshots/<shots>/` (`shots` may be empty).
    pub async fn start(shots: &str) -> Result<Self, BrowserError> {
        Self::start_with(CHROMEDRIVER, CHROMIUM, shots).await
    }

    /// [`Browser::start`] with other chromedriver and Chromium binaries.
    pub async fn start_with(
        chromedriver: &str,
        chromium: &str,
        shots: &str,
    ) -> Result<Self, BrowserError> {
        for (path, package) in [(chromedriver, "chromium-driver"), (chromium, "chromium")] {
            if !Path::new(path).exists() {
                return Err(BrowserError(format!(
                    "{path} is not installed, so this real-browser test cannot run: \
                     install Debian's {package} (scripts/browser-tools does it as root)"
                )));
            }
        }
        let fail = |what: &str, e: &dyn std::fmt::Display| BrowserError(format!("{what}: {e}"));
        let port = free_port().map_err(|e| fail("no free port for chromedriver", &e))?;
        let mut driver = ProcessGuard::spawn(
            "chromedriver",
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null()),
        )
        .map_err(|e| fail(&format!("cannot start {chromedriver}"), &e))?;
        wait_for_port(port, START_TIMEOUT, || driver.is_running())
            .map_err(|e| fail("chromedriver did not start", &e))?;

        let profile = temp_dir("chromium-profile")
            .map_err(|e| fail("cannot create a Chromium profile directory", &e))?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal");
        };
        let client = tokio::time::timeout(
            START_TIMEOUT,
            ClientBuilder::rustls()
                .map_err(|e| fail("no TLS roots for the WebDriver client", &e))?
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .map_err(|_| BrowserError("Chromium did not open a session within 60 s".into()))?
        .map_err(|e| fail("chromedriver could not open a Chromium session", &e))?;

        let shots = screenshot_root().join(shots);
        std::fs::create_dir_all(&shots)
            .map_err(|e| fail(&format!("cannot create {}", shots.display()), &e))?;
        Ok(Self {
            client,
            shots,
            step: 0,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Saves a screenshot of the page as `NN-<name>.png` (NN counts the
    /// steps) and returns its path.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        self.step += 1;
        let path = self.shots.join(format!("{:02}-{name}.png", self.step));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// The rendered text of the element with `id`.
    pub async fn text(&self, id: &str) -> String {
        match self.client.find(Locator::Id(id)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Clicks the element with `id`.
    pub async fn click(&self, id: &str) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no element #{id}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click #{id}: {e}"));
    }

    /// Waits until the text of `id` satisfies `done`, and returns it; panics
    /// with the last text seen after `timeout`.
    pub async fn wait_for_text(
        &self,
        id: &str,
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text(id).await;
            if done(&text) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("#{id} still reads {text:?} after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's URL satisfies `done`, and returns it.
    pub async fn wait_for_url(
        &self,
        timeout: Duration,
        done: impl Fn(&reqwest::Url) -> bool,
    ) -> reqwest::Url {
        let deadline = Instant::now() + timeout;
        loop {
            let url = self.client.current_url().await.expect("current url");
            if done(&url) {
                return url;
            }
            if Instant::now() > deadline {
                panic!("the page is still at {url} after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs in on a hosted sign-in page shaped like Cognito's classic one:
    /// a form with `username` and `password` fields (and a hidden `_csrf`)
    /// and a submit button.
    pub async fn sign_in_on_hosted_page(&self, username: &str, password: &str) {
        for (name, value) in [("username", username), ("password", password)] {
            self.client
                .find(Locator::Css(&format!("input[name={name}]")))
                .await
                .unwrap_or_else(|e| panic!("the hosted page has no {name} field: {e}"))
                .send_keys(value)
                .await
                .unwrap_or_else(|e| panic!("cannot type into {name}: {e}"));
        }
        self.client
            .find(Locator::Css("form [type=submit]"))
            .await
            .unwrap_or_else(|e| panic!("the hosted page has no submit button: {e}"))
            .click()
            .await
            .expect("submit the sign-in form");
    }

    /// Ends the WebDriver session (chromedriver itself stops on drop).
    pub async fn close(self) {
        let Self { client, .. } = self;
        let _ = client.close().await;
    }
}

/// `target/screenshots` of this workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshot_root() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("screenshots")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_browser_fails_and_says_what_to_install() {
        let cases = [
            (
                "/nonexistent/chromedriver",
                "/bin/sh",
                "/nonexistent/chromedriver",
                "chromium-driver",
            ),
            (
                "/bin/sh",
                "/nonexistent/chromium",
                "/nonexistent/chromium",
                "chromium",
            ),
        ];
        for (driver, chromium, missing, package) in cases {
            let Err(BrowserError(message)) = Browser::start_with(driver, chromium, "").await else {
                panic!("started without {missing}");
            };
            assert!(
                message.starts_with(&format!("{missing} is not installed")),
                "{message}"
            );
            assert!(
                message.contains(&format!("Debian's {package} ")),
                "{message}"
            );
            assert!(message.contains("scripts/browser-tools"), "{message}");
        }
    }
}
