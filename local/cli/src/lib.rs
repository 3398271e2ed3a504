//! The dev stack's command lines, defined once: `local-stack`'s ports,
//! paths and time limits, from flags or environment variables (flags win),
//! and `scripts/event`'s ([`EventArgs`]), parsed by clap.
//!
//! A crate of its own, with clap and thiserror as its only dependencies, so
//! that [`scripts/dev`'s launcher](../local_stack_launcher/index.html) can
//! parse the same command line and find a busy port within seconds of a
//! clean clone, before `local-stack` itself (TLS, crypto, HTTP: minutes of
//! compiling) is built. `local` turns [`Args`] into its run options.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Arg, Parser};
use thiserror::Error;

mod event;

pub use event::{EventArgs, Kind};

/// Default port of the token endpoint.
pub const DEFAULT_TOKEN_PORT: u16 = 9100;
/// Default port of `cargo lambda watch`'s Invoke API.
pub const DEFAULT_WATCH_PORT: u16 = 9000;
/// Default port of the API front.
pub const DEFAULT_API_PORT: u16 = 3000;
/// Default port of the HTTP API front (payload 2.0), next to the REST one.
pub const DEFAULT_HTTP_API_PORT: u16 = 3001;
/// Default port of the web app (the template's default callback URL's).
pub const DEFAULT_WEB_PORT: u16 = 8080;
/// Default wait for the first build and warm-up.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The variable that holds users, one `EMAIL:PASSWORD[:GROUPS]` per line.
pub const USERS_VARIABLE: &str = "LOCAL_USERS";
/// The variable that names a file of users, one `EMAIL:PASSWORD[:GROUPS]` per line.
pub const USERS_FILE_VARIABLE: &str = "LOCAL_USERS_FILE";

/// The flags as clap reads them.
#[derive(Debug, Parser)]
#[command(
    name = "local-stack",
    about = "The whole system on this machine (user pool with hosted sign-in, Lambda functions under \
             cargo lambda watch, API Gateway fronts (a REST API with the TOKEN authorizer, an HTTP API with payload 2.0 events), and the web app).",
    after_help = "Environment variables are read when their flag is not given: flags win."
)]
pub struct Args {
    /// User pool: token endpoint, hosted sign-in, JWKS
    #[arg(long, value_name = "PORT", env = "LOCAL_TOKEN_PORT",
          default_value_t = DEFAULT_TOKEN_PORT, value_parser = PortParser)]
    pub token_port: u16,
    /// cargo lambda watch Invoke API
    #[arg(long, value_name = "PORT", env = "LOCAL_WATCH_PORT",
          default_value_t = DEFAULT_WATCH_PORT, value_parser = PortParser)]
    pub watch_port: u16,
    /// REST API front
    #[arg(long, value_name = "PORT", env = "LOCAL_API_PORT",
          default_value_t = DEFAULT_API_PORT, value_parser = PortParser)]
    pub api_port: u16,
    /// HTTP API front (payload 2.0 events, simple authorizer answers)
    #[arg(long, value_name = "PORT", env = "LOCAL_HTTP_API_PORT",
          default_value_t = DEFAULT_HTTP_API_PORT, value_parser = PortParser)]
    pub http_api_port: u16,
    /// Web app (web/), at http://localhost:<PORT>/
    #[arg(long, value_name = "PORT", env = "LOCAL_WEB_PORT",
          default_value_t = DEFAULT_WEB_PORT, value_parser = PortParser)]
    pub web_port: u16,
    /// Which API the web app's config.json points it at (rest: api_url, http: http_api_url)
    #[arg(long, value_name = "API", env = "LOCAL_WEB_API", value_enum,
          default_value_t = WebApi::Rest, hide_possible_values = true)]
    pub web_api: WebApi,
    /// SAM template [default: <workspace>/template.yaml]
    #[arg(long, value_name = "PATH")]
    pub template: Option<PathBuf>,
    /// Keys, ids, secrets, functions.env and stack.json [default: <workspace>/.local-state]
    #[arg(long, value_name = "PATH", env = "LOCAL_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Wait for the first build and warm-up, in seconds
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_READY_TIMEOUT.as_secs())]
    pub ready_timeout: u64,
    /// A user of the local pool, EMAIL:PASSWORD[:GROUP,GROUP...]; repeat for more.
    /// LOCAL_USERS holds one per line. Without either (or a users file): the
    /// users kept in the state folder, or a demo user with a generated
    /// password. On the command line, ps shows the password: prefer --users-file
    // The variable's value holds passwords: `--help` must not show it.
    #[arg(long = "user", value_name = "EMAIL:PASSWORD[:GROUPS]", env = USERS_VARIABLE,
          hide_env_values = true)]
    pub users: Vec<String>,
    /// A file of users, one EMAIL:PASSWORD[:GROUPS] per line, besides any --user:
    /// passwords kept off the command line
    #[arg(long, value_name = "PATH", env = USERS_FILE_VARIABLE)]
    pub users_file: Option<PathBuf>,
    /// A template parameter as deployed, KEY=VALUE (as `sam deploy
    /// --parameter-overrides`), e.g. PreTokenGenerationVersion=V2_0; repeat for more.
    /// Wins over the web-app parameters the stack sets itself
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    pub parameters: Vec<(String, String)>,
}

/// `KEY=VALUE`, with a non-empty key; the value may be empty or hold `=`.
fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// The API the web app calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WebApi {
    /// The REST API front (`api_url`).
    Rest,
    /// The HTTP API front (`http_api_url`).
    Http,
}

/// One port of the stack, with the flag and variable that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    /// The flag, e.g. `--api-port`.
    pub flag: &'static str,
    /// The environment variable, e.g. `LOCAL_API_PORT`.
    pub variable: &'static str,
    /// The port number.
    pub number: u16,
}

/// Ports that cannot be used.
#[derive(Debug, Error)]
pub enum PortError {
    /// Two ports are the same.
    #[error("{} and {} are both {}: the ports must differ", .0.flag, .1.flag, .0.number)]
    Same(Port, Port),
    /// A port is taken by another program, or cannot be bound.
    #[error(
        "127.0.0.1:{} ({} / {}) cannot be bound: {source}; stop what listens there, \
         or choose another port",
        .port.number, .port.flag, .port.variable
    )]
    Busy {
        /// The port.
        port: Port,
        /// The cause.
        source: std::io::Error,
    },
}

impl Args {
    /// Every port the stack listens on, in the order it binds them.
    pub fn ports(&self) -> [Port; 5] {
        [
            Port {
                flag: "--token-port",
                variable: "LOCAL_TOKEN_PORT",
                number: self.token_port,
            },
            Port {
                flag: "--api-port",
                variable: "LOCAL_API_PORT",
                number: self.api_port,
            },
            Port {
                flag: "--http-api-port",
                variable: "LOCAL_HTTP_API_PORT",
                number: self.http_api_port,
            },
            Port {
                flag: "--web-port",
                variable: "LOCAL_WEB_PORT",
                number: self.web_port,
            },
            Port {
                flag: "--watch-port",
                variable: "LOCAL_WATCH_PORT",
                number: self.watch_port,
            },
        ]
    }

    /// Fails when two of [`Args::ports`] are the same.
    pub fn distinct_ports(&self) -> Result<(), PortError> {
        let ports = self.ports();
        for (i, a) in ports.iter().enumerate() {
            if let Some(b) = ports[i + 1..].iter().find(|b| b.number == a.number) {
                return Err(PortError::Same(*a, *b));
            }
        }
        Ok(())
    }

    /// Fails on the first port that cannot be bound on 127.0.0.1 now. The
    /// ports are released again: `local-stack` binds them itself.
    pub fn free_ports(&self) -> Result<(), PortError> {
        self.distinct_ports()?;
        for port in self.ports() {
            TcpListener::bind((Ipv4Addr::LOCALHOST, port.number))
                .map_err(|source| PortError::Busy { port, source })?;
        }
        Ok(())
    }
}

/// A TCP port, 1 to 65535; a bad one is reported with its flag and its
/// variable, since the value may have come from either.
#[derive(Debug, Clone, Copy)]
pub struct PortParser;

impl TypedValueParser for PortParser {
    type Value = u16;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<u16, clap::Error> {
        let port = value
            .to_str()
            .and_then(|text| text.trim().parse::<u16>().ok())
            .filter(|port| *port != 0);
        port.ok_or_else(|| {
            let flag = arg.and_then(Arg::get_long).unwrap_or_default();
            let variable = arg.and_then(Arg::get_env).unwrap_or_default();
            command.clone().error(
                ErrorKind::ValueValidation,
                format!(
                    "--{flag} / {}: {value:?} is not a port (1-65535)",
                    variable.to_string_lossy()
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_port_twice_names_both_flags() {
        // (token, api, web, watch), and the start of the error if any
        let cases = [
            ((1, 2, 3, 4), None),
            ((1, 1, 3, 4), Some("--token-port and --api-port are both 1")),
            ((1, 2, 4, 4), Some("--web-port and --watch-port are both 4")),
            ((1, 2, 1, 4), Some("--token-port and --web-port are both 1")),
            ((1, 2, 3, 2), Some("--api-port and --watch-port are both 2")),
        ];
        for ((token, api, web, watch), want) in cases {
            let parsed = Args::try_parse_from([
                "local-stack".to_string(),
                format!("--token-port={token}"),
                format!("--api-port={api}"),
                format!("--web-port={web}"),
                format!("--watch-port={watch}"),
            ])
            .unwrap();
            let got = parsed.distinct_ports().err().map(|e| e.to_string());
            let matches = match (&got, want) {
                (None, None) => true,
                (Some(got), Some(want)) => got.starts_with(want),
                _ => false,
            };
            assert!(
                matches,
                "{token} {api} {web} {watch}: {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn parameters_are_key_value_pairs() {
        // (argument, parsed pair or the start of the error)
        type Case<'a> = (&'a str, Result<(&'a str, &'a str), &'a str>);
        let cases: [Case; 5] = [
            (
                "PreTokenGenerationVersion=V2_0",
                Ok(("PreTokenGenerationVersion", "V2_0")),
            ),
            ("Urls=a=b,c", Ok(("Urls", "a=b,c"))),
            ("Empty=", Ok(("Empty", ""))),
            (
                "NoValue",
                Err("error: invalid value 'NoValue' for '--parameter"),
            ),
            (
                "=V2_0",
                Err("error: invalid value '=V2_0' for '--parameter"),
            ),
        ];
        for (argument, want) in cases {
            let got = Args::try_parse_from(["local-stack", "--parameter", argument])
                .map(|a| a.parameters)
                .map_err(|e| e.to_string());
            match (got, want) {
                (Ok(pairs), Ok((key, value))) => {
                    assert_eq!(pairs, [(key.to_string(), value.to_string())], "{argument}");
                }
                (Err(error), Err(start)) => assert!(error.starts_with(start), "{error}"),
                (got, want) => panic!("{argument}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn a_busy_port_names_its_flag_and_variable() {
        // Held for the whole test, so nothing else can free or take it.
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let busy = taken.local_addr().unwrap().port();
        let parsed = Args::try_parse_from([
            "local-stack".to_string(),
            format!("--token-port={busy}"),
            "--api-port=1".to_string(),
            "--web-port=2".to_string(),
            "--watch-port=3".to_string(),
        ])
        .unwrap();
        // The token port is checked first, so the others are never bound.
        let error = parsed.free_ports().unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "127.0.0.1:{busy} (--token-port / LOCAL_TOKEN_PORT)"
            )),
            "{error}"
        );
        assert!(error.contains("choose another port"), "{error}");
    }
}
