//! The users given at start: `EMAIL:PASSWORD[:GROUP,GROUP…]`, with `--user`
//! (repeatable) or in `LOCAL_USERS`, one spec per line ([`parse_user_list`]).
//!
//! - The email runs up to the first `:` (so an email cannot contain `:`).
//! - Groups come after the **last** `:`, but only when the rest has a `:` at
//!   all; everything between is the password. A password may hold `,`
//!   freely; one that holds `:` must be followed by a group part, which may
//!   be empty: `alice@example.com:pa:ss:` is password `pa:ss` with no groups,
//!   while `alice@example.com:pa:ss` is password `pa` in group `ss`.
//! - Groups are separated by `,`; a name is non-empty, has no space and no
//!   `:` (Cognito's own names have no white space either).
//! - `LOCAL_USERS` separates specs by line breaks: every printable character
//!   may appear in a password, but a sign-in form's password field strips
//!   line breaks, so no usable password holds one. Blank lines are skipped
//!   and white space around a line is dropped (no email, password or group
//!   can start or end with any), e.g. `LOCAL_USERS=$'a@x.io:Pw1:admins\nb@x.io:Pw2'`.
//!
//! Errors name where the spec came from and its email, never its password.

use thiserror::Error;

use crate::cognito::passwords::Password;

/// The environment variable holding user specs, one per line.
pub use local_cli::USERS_VARIABLE;

/// A user spec is malformed.
#[derive(Debug, Error)]
#[error("{origin}: {problem} (expected EMAIL:PASSWORD[:GROUP,GROUP...])")]
pub struct UserSpecError {
    /// Where the spec came from, e.g. `LOCAL_USERS line 2 (alice@example.com)`.
    pub origin: String,
    /// What is wrong.
    pub problem: String,
}

/// One user given at start: `EMAIL:PASSWORD[:GROUP,GROUP…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// The email, as given.
    pub email: String,
    /// The password.
    pub password: Password,
    /// Groups, in the order given, without repeats.
    pub groups: Vec<String>,
    /// Where the spec came from, for errors (never contains the password).
    pub origin: String,
}

impl UserSpec {
    /// Parses one spec; `origin` says where it came from in errors (e.g.
    /// `--user`). See the module documentation for the syntax.
    pub fn parse(spec: &str, origin: impl Into<String>) -> Result<Self, UserSpecError> {
        let origin = origin.into();
        let Some((email, rest)) = spec.split_once(':') else {
            // Without a `:` the text may be a bare password: never echo it.
            return Err(UserSpecError {
                origin,
                problem: "no ':' after the email".into(),
            });
        };
        // The email is echoed only once it looks like one: text before the
        // first `:` could be a password given in the wrong place.
        check_email(email).map_err(|problem| UserSpecError {
            origin: origin.clone(),
            problem: format!("the email {problem}"),
        })?;
        let origin = format!("{origin} ({email})");
        let bad = |problem: String| UserSpecError {
            origin: origin.clone(),
            problem,
        };
        let (password, groups) = match rest.rsplit_once(':') {
            // Group names are not echoed either: they may be the end of a
            // password holding `:`.
            Some((password, groups)) => (
                password,
                parse_groups(groups).map_err(|problem| {
                    bad(format!(
                        "{problem} (a password holding ':' needs a group part after it, \
                         possibly empty: EMAIL:PASSWORD:)"
                    ))
                })?,
            ),
            None => (rest, Vec::new()),
        };
        if password.is_empty() {
            return Err(bad("the password is empty".into()));
        }
        Ok(Self {
            email: email.to_owned(),
            password: Password::new(password),
            groups,
            origin,
        })
    }
}

/// Parses a list of specs, one per line, as `LOCAL_USERS` holds them;
/// `variable` names the source in errors.
pub fn parse_user_list(text: &str, variable: &str) -> Result<Vec<UserSpec>, UserSpecError> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .map(|(number, line)| UserSpec::parse(line, format!("{variable} line {number}")))
        .collect()
}

/// `Ok` if `email` can name a user; otherwise what is wrong with it
/// (without the value, which the caller may not want to echo).
pub(crate) fn check_email(email: &str) -> Result<(), &'static str> {
    if email.is_empty() {
        return Err("is empty");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains white space");
    }
    if email.contains(':') {
        return Err("contains ':'");
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(())
        }
        _ => Err("is not of the form name@domain"),
    }
}

fn parse_groups(text: &str) -> Result<Vec<String>, &'static str> {
    let mut groups: Vec<String> = Vec::new();
    if text.is_empty() {
        return Ok(groups);
    }
    for group in text.split(',') {
        check_group(group)?;
        if !groups.iter().any(|g| g == group) {
            groups.push(group.to_owned());
        }
    }
    Ok(groups)
}

/// Like [`check_email`], for a group name.
pub(crate) fn check_group(group: &str) -> Result<(), &'static str> {
    if group.is_empty() {
        return Err("a group name is empty");
    }
    if group.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a group name contains white space");
    }
    if group.contains(':') {
        return Err("a group name contains ':'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> UserSpec {
        UserSpec::parse(text, "--user").unwrap()
    }

    #[test]
    fn specs_split_email_password_and_groups() {
        // (spec, email, password, groups)
        let cases: [(&str, &str, &str, &[&str]); 8] = [
            ("a@x.io:Pw", "a@x.io", "Pw", &[]),
            ("a@x.io:Pw:admins", "a@x.io", "Pw", &["admins"]),
            (
                "a@x.io:Pw:admins,readers",
                "a@x.io",
                "Pw",
                &["admins", "readers"],
            ),
            ("a@x.io:Pw:b,a,b", "a@x.io", "Pw", &["b", "a"]),
            ("a@x.io:Pw:", "a@x.io", "Pw", &[]),
            ("a@x.io:p,w,d", "a@x.io", "p,w,d", &[]),
            ("a@x.io:pa:ss:", "a@x.io", "pa:ss", &[]),
            ("a@x.io:pa:ss:g1", "a@x.io", "pa:ss", &["g1"]),
        ];
        for (text, email, password, groups) in cases {
            let parsed = spec(text);
            assert_eq!(parsed.email, email, "{text}");
            assert_eq!(parsed.password.expose(), password, "{text}");
            assert_eq!(parsed.groups, groups, "{text}");
        }
    }

    #[test]
    fn a_colon_in_the_password_without_a_group_part_starts_the_groups() {
        let parsed = spec("a@x.io:pa:ss");
        assert_eq!(parsed.password.expose(), "pa");
        assert_eq!(parsed.groups, ["ss"]);
    }

    #[test]
    fn bad_specs_say_what_is_wrong_without_the_password() {
        // (spec, expected in the message)
        let cases = [
            ("hunter2secret", "no ':' after the email"),
            (":hunter2secret", "the email is empty"),
            ("alice:hunter2secret", "not of the form name@domain"),
            ("a@b@c:hunter2secret", "not of the form name@domain"),
            ("a@.x:hunter2secret", "not of the form name@domain"),
            ("a b@x.io:hunter2secret", "white space"),
            ("a@x.io:", "the password is empty"),
            ("a@x.io::admins", "the password is empty"),
            ("a@x.io:hunter2secret:admins,", "a group name is empty"),
            ("a@x.io:hunter2secret:,admins", "a group name is empty"),
            ("a@x.io:hunter2secret:my group", "white space"),
            ("a@x.io:hunter2:secret x", "needs a group part after it"),
            ("hunter2secret:a@x.io", "the email is not of the form"),
            ("hunter2 secret:a@x.io", "the email contains white space"),
        ];
        for (text, expected) in cases {
            let err = UserSpec::parse(text, "--user").unwrap_err();
            let message = err.to_string();
            assert!(matches!(err, UserSpecError { .. }), "{text}: {message}");
            assert!(message.contains(expected), "{text}: {message}");
            assert!(message.starts_with("--user"), "{text}: {message}");
            for part in ["hunter2", "secret"] {
                assert!(!message.contains(part), "{text}: {message}");
            }
        }
    }

    #[test]
    fn user_lists_take_one_spec_per_line_and_name_the_bad_line() {
        let list = "\n  a@x.io:Pw:g1  \r\nb@x.io:P w,d\n\n";
        let specs = parse_user_list(list, USERS_VARIABLE).unwrap();
        let emails: Vec<&str> = specs.iter().map(|s| s.email.as_str()).collect();
        assert_eq!(emails, ["a@x.io", "b@x.io"]);
        assert_eq!(specs[1].password.expose(), "P w,d");
        assert_eq!(specs[1].origin, "LOCAL_USERS line 3 (b@x.io)");

        let err = parse_user_list("a@x.io:Pw\nbroken", USERS_VARIABLE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "LOCAL_USERS line 2: no ':' after the email (expected EMAIL:PASSWORD[:GROUP,GROUP...])"
        );
        assert!(parse_user_list(" \n", USERS_VARIABLE).unwrap().is_empty());
    }
}
