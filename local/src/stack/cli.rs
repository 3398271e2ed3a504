//! `local-stack`'s run options from its command line. The flags themselves
//! are defined once, in the `local-cli` crate, which `scripts/dev`'s
//! launcher and `scripts/event` share; this turns them into [`Options`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use thiserror::Error;

use crate::cognito::user_spec::{USERS_VARIABLE, UserSpec, UserSpecError, parse_user_list};

pub use local_cli::WebApi;
use local_cli::{Args, PortError, USERS_FILE_VARIABLE};

/// Settings of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Token endpoint port.
    pub token_port: u16,
    /// Watch Invoke API port.
    pub watch_port: u16,
    /// API front port.
    pub api_port: u16,
    /// HTTP API front port.
    pub http_api_port: u16,
    /// Web app port.
    pub web_port: u16,
    /// The API the web app calls.
    pub web_api: WebApi,
    /// The workspace root.
    pub workspace: PathBuf,
    /// The SAM template.
    pub template: PathBuf,
    /// The state folder.
    pub state_dir: PathBuf,
    /// How long to wait for the functions to build and answer.
    pub ready_timeout: Duration,
    /// The users given with `--user` or `LOCAL_USERS`, then those of the
    /// users file (`--users-file` or `LOCAL_USERS_FILE`).
    pub users: Vec<UserSpec>,
    /// Template parameter values given with `--parameter KEY=VALUE`.
    pub parameters: Vec<(String, String)>,
}

/// A command line that does not give [`Options`].
#[derive(Debug, Error)]
pub enum CliError {
    /// What clap refuses (unknown flag, missing or invalid value), and
    /// `--help`, which clap reports the same way: [`clap::Error::exit`]
    /// prints it where it belongs and exits with the right code.
    #[error(transparent)]
    Usage(#[from] clap::Error),
    /// Two ports are the same.
    #[error(transparent)]
    Ports(#[from] PortError),
    /// A user spec is malformed (the message never shows a password).
    #[error(transparent)]
    Users(#[from] UserSpecError),
    /// The users file cannot be read.
    #[error("{USERS_FILE_VARIABLE} / --users-file {path}: {source}")]
    UsersFile {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Parses `args` (with the program name first) and the `LOCAL_*_PORT`
/// variables; paths default to `workspace`.
pub fn parse<I, T>(args: I, workspace: PathBuf) -> Result<Options, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = Args::command().try_get_matches_from(args)?;
    let args = Args::from_arg_matches(&matches)?;
    args.distinct_ports()?;
    let mut users = match matches.value_source("users") {
        Some(ValueSource::EnvVariable) => parse_user_list(&args.users.join("\n"), USERS_VARIABLE)?,
        source => {
            if let Some(warning) = password_warning(source) {
                tracing::warn!("{warning}");
            }
            args.users
                .iter()
                .map(|spec| UserSpec::parse(spec, "--user"))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    if let Some(path) = &args.users_file {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::UsersFile {
            path: path.display().to_string(),
            source,
        })?;
        users.extend(parse_user_list(&text, &path.display().to_string())?);
    }
    let options = Options {
        token_port: args.token_port,
        watch_port: args.watch_port,
        api_port: args.api_port,
        http_api_port: args.http_api_port,
        web_port: args.web_port,
        web_api: args.web_api,
        template: args
            .template
            .unwrap_or_else(|| workspace.join("template.yaml")),
        state_dir: args
            .state_dir
            .unwrap_or_else(|| workspace.join(".local-state")),
        workspace,
        ready_timeout: Duration::from_secs(args.ready_timeout),
        users,
        parameters: args.parameters,
    };
    Ok(options)
}

/// The warning for users given where passwords show: every `--user` spec
/// has a password, and `ps` shows a command line to every user of the
/// machine.
fn password_warning(users_from: Option<ValueSource>) -> Option<String> {
    (users_from == Some(ValueSource::CommandLine)).then(|| {
        format!(
            "--user puts passwords on the command line, where ps shows them to every user of \
             this machine: give them in a file with {USERS_FILE_VARIABLE} or --users-file instead"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use std::process::Command;

    /// Where a child copy of this test binary finds the arguments to parse.
    const CHILD_ARGS: &str = "LOCAL_CLI_TEST_ARGS";
    const VARIABLES: [&str; 7] = [
        "LOCAL_TOKEN_PORT",
        "LOCAL_WATCH_PORT",
        "LOCAL_API_PORT",
        "LOCAL_HTTP_API_PORT",
        "LOCAL_WEB_PORT",
        "LOCAL_USERS",
        "LOCAL_USERS_FILE",
    ];

    /// What a parse gave, in a form a child can print.
    fn outcome(result: Result<Options, CliError>) -> String {
        match result {
            Ok(o) => {
                let users: Vec<String> = o
                    .users
                    .iter()
                    .map(|u| format!("{}/{}", u.email, u.groups.join(",")))
                    .collect();
                format!(
                    "ok {} {} {} users[{}] web {}",
                    o.token_port,
                    o.watch_port,
                    o.api_port,
                    users.join(" "),
                    o.web_port
                )
            }
            Err(CliError::Ports(e)) => format!("ports: {e}"),
            Err(CliError::Users(e)) => format!("users: {e}"),
            Err(e @ CliError::UsersFile { .. }) => format!("users file: {e}"),
            Err(CliError::Usage(e)) => format!("{:?}: {}", e.kind(), e.to_string().trim()),
        }
    }

    /// Parses `args` with exactly `env` among the port variables. clap reads
    /// the real environment, so the parse runs in a child copy of this test
    /// binary: a case sees neither the caller's variables nor another case's,
    /// and this process's environment is never changed.
    fn run(args: &[&str], env: &[(&str, &str)]) -> String {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "stack::cli::tests::parse_in_child",
                "--nocapture",
            ])
            .args(["--test-threads", "1", "--quiet"])
            .env(CHILD_ARGS, args.join("\n"));
        for variable in VARIABLES {
            child.env_remove(variable);
        }
        child.envs(env.iter().copied());
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let (_, rest) = stdout.split_once("CLI_OUTCOME<").unwrap_or(("", ""));
        rest.split_once(">CLI_OUTCOME")
            .map_or_else(|| format!("no outcome: {stdout}"), |(o, _)| o.to_string())
    }

    /// The child's side of [`run`]; does nothing in a normal test run.
    #[test]
    fn parse_in_child() {
        let Ok(args) = std::env::var(CHILD_ARGS) else {
            return;
        };
        let args = std::iter::once("local-stack").chain(args.split('\n').filter(|a| !a.is_empty()));
        let got = outcome(parse(args, PathBuf::from("/ws")));
        println!("CLI_OUTCOME<{got}>CLI_OUTCOME");
    }

    #[test]
    fn users_come_from_a_file_besides_the_command_line_and_the_variable() {
        let scratch = testkit::temp_dir("users-file-").unwrap();
        let file = scratch.path().join("users");
        std::fs::write(&file, "a@x.io:Pw1:admins\n\n  b@x.io:Pw2\n").unwrap();
        let bad = scratch.path().join("bad");
        std::fs::write(&bad, "a@x.io:Pw1\nnot-a-user\n").unwrap();
        let missing = scratch.path().join("missing");
        let (file, bad, missing) = (
            file.to_str().unwrap(),
            bad.to_str().unwrap(),
            missing.to_str().unwrap(),
        );
        /// (args, env, the outcome starts with, and contains)
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: [Case; 6] = [
            (
                &["--users-file", file],
                &[],
                "ok 9100 9000 3000 users[a@x.io/admins b@x.io/]",
                "",
            ),
            (
                &[],
                &[("LOCAL_USERS_FILE", file)],
                "ok 9100 9000 3000 users[a@x.io/admins b@x.io/]",
                "",
            ),
            (
                &["--user", "c@x.io:Pw3", "--users-file", file],
                &[],
                "ok 9100 9000 3000 users[c@x.io/ a@x.io/admins b@x.io/]",
                "",
            ),
            (
                &[],
                &[("LOCAL_USERS", "c@x.io:Pw3"), ("LOCAL_USERS_FILE", file)],
                "ok 9100 9000 3000 users[c@x.io/ a@x.io/admins b@x.io/]",
                "",
            ),
            (
                &["--users-file", bad],
                &[],
                "users: ",
                &format!("{bad} line 2"),
            ),
            (&["--users-file", missing], &[], "users file: ", missing),
        ];
        for (args, env, start, contains) in cases {
            let got = run(args, env);
            assert!(got.starts_with(start), "{args:?} {env:?}: {got}");
            assert!(got.contains(contains), "{args:?} {env:?}: {got}");
            assert!(!got.contains("Pw"), "{args:?}: a password in {got}");
        }
    }

    #[test]
    fn only_users_on_the_command_line_get_the_ps_warning() {
        for (source, warned) in [
            (Some(ValueSource::CommandLine), true),
            (Some(ValueSource::EnvVariable), false),
            (Some(ValueSource::DefaultValue), false),
            (None, false),
        ] {
            let warning = password_warning(source);
            assert_eq!(warning.is_some(), warned, "{source:?}");
            if let Some(warning) = warning {
                assert!(warning.contains("ps") && warning.contains("LOCAL_USERS_FILE"));
            }
        }
    }

    #[test]
    fn ports_come_from_flags_then_env_then_defaults() {
        // (args, env, the outcome starts with, and contains)
        type Case = (
            &'static [&'static str],
            &'static [(&'static str, &'static str)],
            &'static str,
            &'static str,
        );
        let cases: [Case; 22] = [
            (
                &["--user", "alice@example.com:Correct-Horse-9"],
                &[],
                "ok 9100 9000 3000 users[alice@example.com/]",
                "",
            ),
            (
                &["--user", "a@x.io:Pw1:admins,ops", "--user=b@x.io:Pw2"],
                &[],
                "ok 9100 9000 3000 users[a@x.io/admins,ops b@x.io/]",
                "",
            ),
            (
                &[],
                &[("LOCAL_USERS", "a@x.io:Pw1:admins\n\n b@x.io:Pw2 \n")],
                "ok 9100 9000 3000 users[a@x.io/admins b@x.io/]",
                "",
            ),
            (
                &["--user", "c@x.io:Pw3"],
                &[("LOCAL_USERS", "a@x.io:Pw1")],
                "ok 9100 9000 3000 users[c@x.io/]",
                "",
            ),
            (&["--user", "no-password"], &[], "users: ", "--user"),
            (
                &[],
                &[("LOCAL_USERS", "x:Secret-Pw-1\nbad")],
                "users: ",
                "LOCAL_USERS",
            ),
            (&[], &[], "ok 9100 9000 3000 users[]", ""),
            (&["--api-port", "8081"], &[], "ok 9100 9000 8081", ""),
            (
                &["--token-port=9200", "--watch-port", "9300"],
                &[],
                "ok 9200 9300 3000",
                "",
            ),
            (&[], &[("LOCAL_API_PORT", "4000")], "ok 9100 9000 4000", ""),
            (
                &["--api-port", "5000"],
                &[("LOCAL_API_PORT", "4000")],
                "ok 9100 9000 5000",
                "",
            ),
            (
                &["--api-port", "9000"],
                &[],
                "ports: ",
                "--api-port and --watch-port are both 9000",
            ),
            (&["--api-port"], &[], "InvalidValue", "--api-port"),
            (&["--api-port", "0"], &[], "ValueValidation", "--api-port"),
            (
                &["--api-port", "0"],
                &[],
                "ValueValidation",
                "LOCAL_API_PORT: \"0\" is not a port",
            ),
            (
                &[],
                &[("LOCAL_TOKEN_PORT", "x")],
                "ValueValidation",
                "LOCAL_TOKEN_PORT: \"x\" is not a port",
            ),
            (&["--bogus"], &[], "UnknownArgument", "--bogus"),
            (&[], &[], "ok 9100 9000 3000 users[] web 8080", ""),
            (
                &["--web-port", "8181"],
                &[],
                "ok 9100 9000 3000",
                "web 8181",
            ),
            (
                &[],
                &[("LOCAL_WEB_PORT", "8282")],
                "ok 9100 9000 3000",
                "web 8282",
            ),
            (
                &["--web-port", "3000"],
                &[],
                "ports: ",
                "--api-port and --web-port are both 3000",
            ),
            (
                &["--web-port", "0"],
                &[],
                "ValueValidation",
                "LOCAL_WEB_PORT: \"0\" is not a port",
            ),
        ];
        for (args, env, starts, contains) in cases {
            let got = run(args, env);
            assert!(
                got.starts_with(starts) && got.contains(contains),
                "{args:?} {env:?}: {got}"
            );
        }
    }

    #[test]
    fn paths_default_to_the_workspace() {
        let parse_args = |args: &[&str]| {
            let args = std::iter::once("local-stack").chain(args.iter().copied());
            parse(args, PathBuf::from("/ws"))
        };
        let Ok(o) = parse_args(&[
            "--ready-timeout",
            "60",
            "--token-port=1",
            "--watch-port=2",
            "--api-port=3",
            "--web-port=4",
        ]) else {
            panic!("expected options");
        };
        assert_eq!(o.template, PathBuf::from("/ws/template.yaml"));
        assert_eq!(o.state_dir, PathBuf::from("/ws/.local-state"));
        assert_eq!(o.ready_timeout, Duration::from_secs(60));
        let Err(CliError::Usage(help)) = parse_args(&["-h"]) else {
            panic!("expected help");
        };
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn the_usage_names_every_flag_its_variable_and_default() {
        let usage = Args::command().render_help().to_string();
        for needle in [
            "--token-port <PORT>",
            "LOCAL_TOKEN_PORT",
            "9100",
            "--watch-port <PORT>",
            "LOCAL_WATCH_PORT",
            "9000",
            "--api-port <PORT>",
            "LOCAL_API_PORT",
            "3000",
            "--http-api-port <PORT>",
            "LOCAL_HTTP_API_PORT",
            "3001",
            "--web-api <API>",
            "LOCAL_WEB_API",
            "--web-port <PORT>",
            "LOCAL_WEB_PORT",
            "8080",
            "--template <PATH>",
            "--state-dir <PATH>",
            "--ready-timeout <SECS>",
            "900",
            "--user <EMAIL:PASSWORD[:GROUPS]>",
            "[env: LOCAL_USERS]",
            "--users-file <PATH>",
            "[env: LOCAL_USERS_FILE=]",
            "-h, --help",
        ] {
            assert!(usage.contains(needle), "{needle}: {usage}");
        }
    }
}
