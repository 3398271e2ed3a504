//! `local-stack`'s command line: ports, paths and time limits, from flags
//! or environment variables (flags win).

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// Default port of the token endpoint.
pub const DEFAULT_TOKEN_PORT: u16 = 9100;
/// Default port of `cargo lambda watch`'s Invoke API.
pub const DEFAULT_WATCH_PORT: u16 = 9000;
/// Default port of the API front.
pub const DEFAULT_API_PORT: u16 = 3000;
/// Default wait for the first build and warm-up.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The usage text.
pub const USAGE: &str = "\
local-stack: the whole system on this machine (token endpoint, Lambda functions under
cargo lambda watch, and an API Gateway front with the TOKEN authorizer).

Usage: local-stack [OPTIONS]

Options (environment variable in brackets; flags win):
  --token-port <PORT>     token endpoint and JWKS [LOCAL_TOKEN_PORT, default 9100]
  --watch-port <PORT>     cargo lambda watch Invoke API [LOCAL_WATCH_PORT, default 9000]
  --api-port <PORT>       API front [LOCAL_API_PORT, default 3000]
  --template <PATH>       SAM template [default: <workspace>/template.yaml]
  --state-dir <PATH>      keys, ids and secrets [default: <workspace>/.local-state]
  --ready-timeout <SECS>  wait for the first build and warm-up [default 900]
  -h, --help              print this text
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Print the usage text.
    Help,
    /// Run the stack.
    Run(Options),
}

/// Settings of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Token endpoint port.
    pub token_port: u16,
    /// Watch Invoke API port.
    pub watch_port: u16,
    /// API front port.
    pub api_port: u16,
    /// The workspace root.
    pub workspace: PathBuf,
    /// The SAM template.
    pub template: PathBuf,
    /// The state folder.
    pub state_dir: PathBuf,
    /// How long to wait for the functions to build and answer.
    pub ready_timeout: Duration,
}

/// A bad command line.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CliError {
    /// An unknown argument.
    #[error("unknown argument {0:?} (try --help)")]
    Unknown(String),
    /// A flag without its value.
    #[error("{0} needs a value")]
    MissingValue(String),
    /// A value that is not valid for its flag or variable.
    #[error("{name}: {value:?} is not valid")]
    Invalid {
        /// The flag or variable.
        name: String,
        /// The value given.
        value: String,
    },
    /// Two ports are the same.
    #[error("the token, watch and API ports must differ")]
    SamePorts,
}

/// Parses `args` (without the program name), reading defaults through `env`.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
    workspace: PathBuf,
) -> Result<Command, CliError> {
    let port_default = |name: &str, fallback: u16| -> Result<u16, CliError> {
        env(name).map_or(Ok(fallback), |value| parse_port(name, &value))
    };
    let mut options = Options {
        token_port: port_default("LOCAL_TOKEN_PORT", DEFAULT_TOKEN_PORT)?,
        watch_port: port_default("LOCAL_WATCH_PORT", DEFAULT_WATCH_PORT)?,
        api_port: port_default("LOCAL_API_PORT", DEFAULT_API_PORT)?,
        template: workspace.join("template.yaml"),
        state_dir: workspace.join(".local-state"),
        workspace,
        ready_timeout: DEFAULT_READY_TIMEOUT,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let known = [
            "--token-port",
            "--watch-port",
            "--api-port",
            "--template",
            "--state-dir",
            "--ready-timeout",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(CliError::Unknown(arg));
        }
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| CliError::MissingValue(flag.clone()))?;
        match flag.as_str() {
            "--token-port" => options.token_port = parse_port(&flag, &value)?,
            "--watch-port" => options.watch_port = parse_port(&flag, &value)?,
            "--api-port" => options.api_port = parse_port(&flag, &value)?,
            "--template" => options.template = PathBuf::from(value),
            "--state-dir" => options.state_dir = PathBuf::from(value),
            _ => {
                let secs: u64 = value.parse().map_err(|_| CliError::Invalid {
                    name: flag.clone(),
                    value: value.clone(),
                })?;
                options.ready_timeout = Duration::from_secs(secs);
            }
        }
    }
    let ports = [options.token_port, options.watch_port, options.api_port];
    if ports[0] == ports[1] || ports[1] == ports[2] || ports[0] == ports[2] {
        return Err(CliError::SamePorts);
    }
    Ok(Command::Run(options))
}

fn parse_port(name: &str, value: &str) -> Result<u16, CliError> {
    value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| CliError::Invalid {
            name: name.to_string(),
            value: value.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Command, CliError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(
            args.iter().map(|a| a.to_string()),
            |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            PathBuf::from("/ws"),
        )
    }

    fn ports(command: Result<Command, CliError>) -> Result<(u16, u16, u16), CliError> {
        command.map(|c| match c {
            Command::Run(o) => (o.token_port, o.watch_port, o.api_port),
            Command::Help => (0, 0, 0),
        })
    }

    #[test]
    fn ports_come_from_flags_then_env_then_defaults() {
        type Case = (
            &'static [&'static str],
            &'static [(&'static str, &'static str)],
            Result<(u16, u16, u16), CliError>,
        );
        let cases: [Case; 8] = [
            (&[], &[], Ok((9100, 9000, 3000))),
            (&["--api-port", "8080"], &[], Ok((9100, 9000, 8080))),
            (
                &["--token-port=9200", "--watch-port", "9300"],
                &[],
                Ok((9200, 9300, 3000)),
            ),
            (&[], &[("LOCAL_API_PORT", "4000")], Ok((9100, 9000, 4000))),
            (
                &["--api-port", "5000"],
                &[("LOCAL_API_PORT", "4000")],
                Ok((9100, 9000, 5000)),
            ),
            (&["--api-port", "9000"], &[], Err(CliError::SamePorts)),
            (
                &["--api-port"],
                &[],
                Err(CliError::MissingValue("--api-port".into())),
            ),
            (
                &["--api-port", "0"],
                &[],
                Err(CliError::Invalid {
                    name: "--api-port".into(),
                    value: "0".into(),
                }),
            ),
        ];
        for (args, env, expected) in cases {
            assert_eq!(ports(run(args, env)), expected, "{args:?} {env:?}");
        }
    }

    #[test]
    fn paths_default_to_the_workspace() {
        let Ok(Command::Run(o)) = run(&["--ready-timeout", "60"], &[]) else {
            panic!("expected options");
        };
        assert_eq!(o.template, PathBuf::from("/ws/template.yaml"));
        assert_eq!(o.state_dir, PathBuf::from("/ws/.local-state"));
        assert_eq!(o.ready_timeout, Duration::from_secs(60));
        assert_eq!(run(&["-h"], &[]), Ok(Command::Help));
        assert_eq!(
            run(&["--bogus"], &[]),
            Err(CliError::Unknown("--bogus".into()))
        );
        assert!(matches!(
            run(&[], &[("LOCAL_TOKEN_PORT", "x")]),
            Err(CliError::Invalid { .. })
        ));
    }
}
