//! The local user pool's users: who may sign in through the hosted sign-in
//! pages, with which password, and in which groups.
//!
//! # Usernames
//!
//! The template sets `UsernameAttributes: [email]`. Cognito then does not let
//! anyone choose a username: it generates one, the same UUID as the user's
//! `sub`, and the email becomes the sign-in alias. So the access token's
//! `username`, the ID token's `cognito:username` and `/oauth2/userInfo`'s
//! `username` all carry the UUID, never the email (which is the ID token's
//! and userInfo's `email`). [`User::username`] is therefore the sub. People
//! sign in with their email, case-insensitively (what Cognito does when the
//! pool's `UsernameConfiguration.CaseSensitive` is false, the console's
//! default); the UUID username works too, as it does in Cognito.
//!
//! User specs are read by [`crate::cognito::user_spec`], passwords checked
//! by [`crate::cognito::passwords`] and hashed by
//! [`crate::cognito::password_hash`].
//!
//! # Which users exist
//!
//! `users.json` in the state folder remembers the pool between runs, so each
//! user's `sub` stays the same across restarts. Users given at start define
//! the pool: a given email already in the file keeps its `sub` (its password
//! and groups are taken from the spec), emails not given are dropped. With
//! none given, the file's users stay. With none given and none in the file,
//! a demo user is made with a generated password that the banner prints on
//! every start ([`UserStore::demo_user`]); the plaintext is kept, for that
//! reason only, in `demo-user.txt` (mode 0600).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cognito::password_hash::PasswordHash;
use crate::cognito::passwords::{Password, PolicyViolation};
use crate::cognito::user_spec::{UserSpec, UserSpecError, check_email, check_group};
use crate::ids::RandomError;
use crate::state::{StateDir, StateError};
use crate::template::password_policy::PasswordPolicy;

/// The users file in the state folder.
pub const USERS_FILE: &str = "users.json";
/// The demo user's email and plaintext password, for the banner.
pub const DEMO_USER_FILE: &str = "demo-user.txt";
/// The email of the user made when nobody else is given.
pub const DEMO_EMAIL: &str = "demo@example.com";
/// What every error about a state file suggests.
const AFRESH: &str = "delete it, or the whole state folder, to start afresh";

/// Why users could not be parsed, loaded or saved.
#[derive(Debug, Error)]
pub enum UsersError {
    /// A user spec is malformed.
    #[error(transparent)]
    Spec(#[from] UserSpecError),
    /// A given password breaks the template's password policy.
    #[error("{origin}: password for {email} {violation}")]
    WeakPassword {
        /// Where the spec came from.
        origin: String,
        /// The user's email.
        email: String,
        /// The rule broken.
        violation: PolicyViolation,
    },
    /// The same email is given twice.
    #[error("{second}: {email} is already given by {first}; give each user once")]
    Duplicate {
        /// The email, as given the second time.
        email: String,
        /// Where it was given first.
        first: String,
        /// Where it was given again.
        second: String,
    },
    /// A state file is not valid JSON of the expected shape.
    #[error("{path} is not a valid users file ({AFRESH}): {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause, naming the field, line and column.
        source: serde_json::Error,
    },
    /// A field of a state file has a bad value.
    #[error("{path}: {field}: {problem} ({AFRESH})")]
    Field {
        /// The file.
        path: PathBuf,
        /// The field, e.g. `users[1].sub`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// A state file could not be read, written or removed.
    #[error(transparent)]
    State(#[from] StateError),
    /// No randomness for salts, subs or the demo password.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// A new user's sub: a UUID v4, as Cognito makes them.
fn new_sub() -> Result<String, RandomError> {
    crate::ids::uuid()
}

/// True for the 8-4-4-4-12 hex shape (any version: Cognito has made v7 too).
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A user of the local pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// A UUID, kept across restarts: the tokens' `sub`.
    pub sub: String,
    /// What Cognito puts in `username` / `cognito:username`: the sub, since
    /// the pool signs in by email (see the module documentation).
    pub username: String,
    /// The email, as given: the sign-in name and the ID token's `email`.
    pub email: String,
    /// Whether the email counts as verified (always true here: the
    /// template auto-verifies emails and the users are made by an admin).
    pub email_verified: bool,
    /// The groups, for `cognito:groups`, in the order given.
    pub groups: Vec<String>,
    /// Never shown: its `Debug` is redacted.
    password_hash: PasswordHash,
}

impl User {
    fn new(sub: String, email: String, groups: Vec<String>, password_hash: PasswordHash) -> Self {
        Self {
            username: sub.clone(),
            sub,
            email,
            email_verified: true,
            groups,
            password_hash,
        }
    }

    fn is_named(&self, name: &str) -> bool {
        same_email(&self.email, name) || self.sub.eq_ignore_ascii_case(name)
    }
}

fn same_email(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// The demo user's sign-in, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// The email to sign in with.
    pub email: String,
    /// The generated password.
    pub password: Password,
}

/// `users.json`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    users: Vec<StoredUser>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredUser {
    sub: String,
    email: String,
    email_verified: bool,
    #[serde(default)]
    groups: Vec<String>,
    password_hash: String,
}

/// The pool's users, loaded from the state folder and the users given at start.
#[derive(Debug)]
pub struct UserStore {
    users: Vec<User>,
    demo: Option<DemoUser>,
    /// Checked for unknown names, so they cost what a wrong password does.
    decoy: PasswordHash,
}

impl UserStore {
    /// Loads `users.json` from `state_dir`, applies `given` (checked against
    /// `policy`), makes the demo user if the pool would be empty, and saves
    /// what changed. See the module documentation for the rules.
    pub fn load(
        state_dir: &Path,
        given: &[UserSpec],
        policy: &PasswordPolicy,
    ) -> Result<Self, UsersError> {
        let users_path = state_dir.join(USERS_FILE);
        let demo_path = state_dir.join(DEMO_USER_FILE);
        let state = StateDir::new(state_dir);
        let stored_bytes = state.read_file(USERS_FILE)?;
        let stored = match &stored_bytes {
            Some(bytes) => parse_users_file(&users_path, bytes)?,
            None => Vec::new(),
        };
        let demo;
        let users = if !given.is_empty() {
            demo = None;
            merge_given(stored, given, policy)?
        } else if !stored.is_empty() {
            // The demo file is only believed while it still signs the user in.
            demo = read_demo_file(&state, &demo_path)?.filter(|d| {
                stored.iter().any(|u| {
                    same_email(&u.email, &d.email) && u.password_hash.verify(d.password.expose())
                })
            });
            stored
        } else {
            let password = policy.generate()?;
            let user = User::new(
                new_sub()?,
                DEMO_EMAIL.to_owned(),
                Vec::new(),
                PasswordHash::new(password.expose())?,
            );
            let made = DemoUser {
                email: DEMO_EMAIL.to_owned(),
                password,
            };
            // Written before users.json: a crash in between leaves no user
            // whose password is lost, so the next start simply makes a new one.
            state.write_file(DEMO_USER_FILE, demo_file_text(&made).as_bytes())?;
            demo = Some(made);
            vec![user]
        };
        if demo.is_none() {
            state.remove_file(DEMO_USER_FILE)?;
        }

        let file = UsersFile {
            users: users
                .iter()
                .map(|u| StoredUser {
                    sub: u.sub.clone(),
                    email: u.email.clone(),
                    email_verified: u.email_verified,
                    groups: u.groups.clone(),
                    password_hash: u.password_hash.to_stored(),
                })
                .collect(),
        };
        let mut json = serde_json::to_vec_pretty(&file).map_err(|source| UsersError::Json {
            path: users_path.clone(),
            source,
        })?;
        json.push(b'\n');
        if stored_bytes.as_deref() != Some(json.as_slice()) {
            state.write_file(USERS_FILE, &json)?;
        }
        Ok(Self {
            users,
            demo,
            decoy: PasswordHash::new("not a password of anyone")?,
        })
    }

    /// The user `username_or_email` names (an email, case-insensitively, or
    /// the UUID username) if `password` is theirs. Unknown names cost one
    /// PBKDF2 run like wrong passwords, so timing does not tell which
    /// emails exist.
    pub fn authenticate(&self, username_or_email: &str, password: &str) -> Option<&User> {
        match self.users.iter().find(|u| u.is_named(username_or_email)) {
            Some(user) => user.password_hash.verify(password).then_some(user),
            None => {
                std::hint::black_box(self.decoy.verify(password));
                None
            }
        }
    }

    /// The user with this `sub`.
    pub fn by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub == sub)
    }

    /// Every user, in the order given (or stored).
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The demo user's email and password while it is the pool's user made
    /// at first start, for the banner to print on every start.
    pub fn demo_user(&self) -> Option<&DemoUser> {
        self.demo.as_ref()
    }
}

/// The given users, keeping the sub (and, if the password is unchanged, the
/// hash) of stored users with the same email.
fn merge_given(
    stored: Vec<User>,
    given: &[UserSpec],
    policy: &PasswordPolicy,
) -> Result<Vec<User>, UsersError> {
    for (i, spec) in given.iter().enumerate() {
        if let Some(first) = given[..i]
            .iter()
            .find(|g| same_email(&g.email, &spec.email))
        {
            return Err(UsersError::Duplicate {
                email: spec.email.clone(),
                first: first.origin.clone(),
                second: spec.origin.clone(),
            });
        }
        policy
            .check(spec.password.expose())
            .map_err(|violation| UsersError::WeakPassword {
                origin: spec.origin.clone(),
                email: spec.email.clone(),
                violation,
            })?;
    }
    given
        .iter()
        .map(|spec| {
            let password = spec.password.expose();
            let existing = stored.iter().find(|u| same_email(&u.email, &spec.email));
            let sub = match existing {
                Some(user) => user.sub.clone(),
                None => new_sub()?,
            };
            // Rehashing an unchanged password would rewrite users.json at
            // every start for nothing; checking it costs the same as hashing.
            let hash = match existing {
                Some(user) if user.password_hash.verify(password) => user.password_hash.clone(),
                _ => PasswordHash::new(password)?,
            };
            Ok(User::new(
                sub,
                spec.email.clone(),
                spec.groups.clone(),
                hash,
            ))
        })
        .collect()
}

fn parse_users_file(path: &Path, bytes: &[u8]) -> Result<Vec<User>, UsersError> {
    let file: UsersFile = serde_json::from_slice(bytes).map_err(|source| UsersError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let mut users: Vec<User> = Vec::with_capacity(file.users.len());
    for (i, stored) in file.users.into_iter().enumerate() {
        let field = |name: &str, problem: String| UsersError::Field {
            path: path.to_path_buf(),
            field: format!("users[{i}].{name}"),
            problem,
        };
        if !is_uuid(&stored.sub) {
            return Err(field("sub", format!("{:?} is not a UUID", stored.sub)));
        }
        check_email(&stored.email)
            .map_err(|p| field("email", format!("{:?} {p}", stored.email)))?;
        for group in &stored.groups {
            check_group(group).map_err(|p| field("groups", format!("{group:?}: {p}")))?;
        }
        let hash = PasswordHash::from_stored(&stored.password_hash)
            .map_err(|p| field("password_hash", p))?;
        if let Some(other) = users.iter().position(|u| u.sub == stored.sub) {
            return Err(field("sub", format!("same as users[{other}].sub")));
        }
        if let Some(other) = users
            .iter()
            .position(|u| same_email(&u.email, &stored.email))
        {
            return Err(field("email", format!("same as users[{other}].email")));
        }
        let mut user = User::new(stored.sub, stored.email, stored.groups, hash);
        user.email_verified = stored.email_verified;
        users.push(user);
    }
    Ok(users)
}

fn demo_file_text(demo: &DemoUser) -> String {
    format!(
        "# The local pool's demo user (dev only; printed in the banner).\n\
         email: {}\npassword: {}\n",
        demo.email,
        demo.password.expose()
    )
}

fn read_demo_file(state: &StateDir, path: &Path) -> Result<Option<DemoUser>, UsersError> {
    let Some(bytes) = state.read_file(DEMO_USER_FILE)? else {
        return Ok(None);
    };
    let field = |name: &str, problem: &str| UsersError::Field {
        path: path.to_path_buf(),
        field: name.to_owned(),
        problem: problem.to_owned(),
    };
    let text = String::from_utf8(bytes).map_err(|_| field("text", "not UTF-8"))?;
    let (mut email, mut password) = (None, None);
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        match line.split_once(": ") {
            Some(("email", value)) => email = Some(value.to_owned()),
            Some(("password", value)) => password = Some(Password::new(value)),
            // The line may hold the password: never echo it.
            _ => return Err(field("line", "expected `email: …` or `password: …`")),
        }
    }
    Ok(Some(DemoUser {
        email: email.ok_or_else(|| field("email", "missing"))?,
        password: password.ok_or_else(|| field("password", "missing"))?,
    }))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A password the template's policy accepts.
    const GOOD: &str = "Correct-Horse-42";

    /// A scratch folder, removed when the guard returned with it drops.
    fn temp_dir(tag: &str) -> (testkit::TempDir, PathBuf) {
        let scratch = testkit::temp_dir(&format!("users-test-{tag}-")).unwrap();
        let dir = scratch.path().to_path_buf();
        (scratch, dir)
    }

    fn template_policy() -> PasswordPolicy {
        crate::template::password_policy::tests::template_policy()
    }

    fn spec(text: &str) -> UserSpec {
        UserSpec::parse(text, "--user").unwrap()
    }

    #[test]
    fn subs_are_uuid_v4() {
        let (a, b) = (new_sub().unwrap(), new_sub().unwrap());
        assert_ne!(a, b);
        for sub in [&a, &b] {
            assert!(is_uuid(sub), "{sub}");
            assert_eq!(&sub[14..15], "4", "{sub}");
            assert!("89ab".contains(&sub[19..20]), "{sub}");
        }
        for not in [
            "",
            "0000",
            &a.replace('-', "_"),
            &format!("{a}0"),
            &a.replace(&a[0..1], "g"),
        ] {
            assert!(!is_uuid(not), "{not}");
        }
    }

    #[test]
    fn first_start_makes_a_demo_user_kept_across_restarts() {
        let (_scratch, dir) = temp_dir("demo");
        let policy = template_policy();
        let store = UserStore::load(&dir, &[], &policy).unwrap();
        let demo = store.demo_user().unwrap().clone();
        assert_eq!(demo.email, DEMO_EMAIL);
        assert_eq!(policy.check(demo.password.expose()), Ok(()));
        let user = store
            .authenticate(DEMO_EMAIL, demo.password.expose())
            .unwrap();
        assert_eq!(user.username, user.sub);
        assert!(user.email_verified);
        assert!(user.groups.is_empty());
        let sub = user.sub.clone();

        for name in [DEMO_USER_FILE, USERS_FILE] {
            let mode = fs::metadata(dir.join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        let users_json = fs::read_to_string(dir.join(USERS_FILE)).unwrap();
        assert!(!users_json.contains(demo.password.expose()));
        let demo_txt = fs::read_to_string(dir.join(DEMO_USER_FILE)).unwrap();
        assert!(demo_txt.contains(&format!("password: {}\n", demo.password.expose())));

        let again = UserStore::load(&dir, &[], &policy).unwrap();
        assert_eq!(again.demo_user(), Some(&demo));
        assert_eq!(again.users().len(), 1);
        assert_eq!(again.by_sub(&sub).unwrap().email, DEMO_EMAIL);
        // Nothing changed, so nothing was rewritten.
        assert_eq!(
            fs::read_to_string(dir.join(USERS_FILE)).unwrap(),
            users_json
        );
    }

    #[test]
    fn given_users_replace_the_pool_and_keep_their_subs() {
        let (_scratch, dir) = temp_dir("given");
        let policy = template_policy();
        let first = UserStore::load(&dir, &[], &policy).unwrap();
        let demo_sub = first.users()[0].sub.clone();

        let alice = spec(&format!("Alice@Example.com:{GOOD}:admins,readers"));
        let bob = spec(&format!("bob@example.com:{GOOD}"));
        let store = UserStore::load(&dir, &[alice, bob.clone()], &policy).unwrap();
        assert_eq!(store.demo_user(), None);
        assert!(!dir.join(DEMO_USER_FILE).exists());
        assert!(store.by_sub(&demo_sub).is_none());
        let emails: Vec<&str> = store.users().iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails, ["Alice@Example.com", "bob@example.com"]);
        let alice_sub = store.users()[0].sub.clone();
        assert_eq!(store.users()[0].groups, ["admins", "readers"]);

        // Same email in another case: same user, new password and groups.
        let changed = spec("alice@example.com:Another-Pass-7:readers");
        let store = UserStore::load(&dir, &[changed, bob], &policy).unwrap();
        let alice = store.by_sub(&alice_sub).unwrap();
        assert_eq!(alice.groups, ["readers"]);
        assert!(
            store
                .authenticate("alice@example.com", "Another-Pass-7")
                .is_some()
        );
        assert!(store.authenticate("alice@example.com", GOOD).is_none());

        // Nobody given: the file's users stay, and no demo user appears.
        let store = UserStore::load(&dir, &[], &policy).unwrap();
        assert_eq!(store.users().len(), 2);
        assert_eq!(store.by_sub(&alice_sub).unwrap().email, "alice@example.com");
        assert_eq!(store.demo_user(), None);
    }

    #[test]
    fn sign_in_is_by_email_in_any_case_or_by_username() {
        let (_scratch, dir) = temp_dir("signin");
        let given = [
            spec(&format!("Carol@Example.com:{GOOD}:g")),
            spec("dave@example.com:Other-Pass-99"),
        ];
        let store = UserStore::load(&dir, &given, &template_policy()).unwrap();
        let carol = store.users()[0].sub.clone();
        let signed_in =
            |name: &str, password: &str| store.authenticate(name, password).map(|u| u.sub.clone());
        let carol_upper = carol.to_uppercase();
        // (name, password, signs in as carol)
        let cases = [
            ("Carol@Example.com", GOOD, true),
            ("carol@example.com", GOOD, true),
            ("CAROL@EXAMPLE.COM", GOOD, true),
            (carol.as_str(), GOOD, true),
            (carol_upper.as_str(), GOOD, true),
            ("carol@example.com", "correct-horse-42", false),
            ("carol@example.com", "", false),
            ("carol@example.com", "Other-Pass-99", false),
            (" carol@example.com", GOOD, false),
            ("nobody@example.com", GOOD, false),
            ("", GOOD, false),
        ];
        for (name, password, ok) in cases {
            let expected = ok.then(|| carol.clone());
            assert_eq!(
                signed_in(name, password),
                expected,
                "{name:?} / {password:?}"
            );
        }
        assert!(
            store
                .authenticate("dave@example.com", "Other-Pass-99")
                .is_some()
        );
    }

    #[test]
    fn weak_or_repeated_given_users_are_refused_without_the_password() {
        let (_scratch, dir) = temp_dir("refused");
        let policy = template_policy();
        let weak = spec("eve@example.com:short1A");
        let err = UserStore::load(&dir, &[weak], &policy).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--user (eve@example.com): password for eve@example.com must be at least 12 \
             characters long (template.yaml: UserPool.Policies.PasswordPolicy.MinimumLength)"
        );

        let twice = [
            spec(&format!("eve@example.com:{GOOD}")),
            UserSpec::parse(&format!("EVE@example.com:{GOOD}"), "LOCAL_USERS line 4").unwrap(),
        ];
        let err = UserStore::load(&dir, &twice, &policy).unwrap_err();
        assert!(matches!(err, UsersError::Duplicate { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "LOCAL_USERS line 4 (EVE@example.com): EVE@example.com is already given by \
             --user (eve@example.com); give each user once"
        );
        assert!(!dir.join(USERS_FILE).exists(), "nothing is saved on error");
    }

    #[test]
    fn malformed_users_files_name_the_file_and_field() {
        let (_scratch, dir) = temp_dir("malformed");
        fs::create_dir_all(&dir).unwrap();
        let sub = "6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c";
        let hash = PasswordHash::new(GOOD).unwrap().to_stored();
        let user = |sub: &str, email: &str, hash: &str| {
            format!(
                r#"{{"sub":"{sub}","email":"{email}","email_verified":true,"groups":[],"password_hash":"{hash}"}}"#
            )
        };
        let good = user(sub, "a@x.io", &hash);
        let other_sub = "6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5d";
        // (file contents, expected in the message)
        let cases = [
            ("{".to_owned(), "EOF".to_owned()),
            (
                r#"{"people":[]}"#.to_owned(),
                "unknown field `people`".to_owned(),
            ),
            (
                r#"{"users":[{"sub":"x"}]}"#.to_owned(),
                "missing field".to_owned(),
            ),
            (
                format!(r#"{{"users":[{}]}}"#, user("not-a-uuid", "a@x.io", &hash)),
                "users[0].sub: \"not-a-uuid\" is not a UUID".to_owned(),
            ),
            (
                format!(r#"{{"users":[{}]}}"#, user(sub, "nobody", &hash)),
                "users[0].email".to_owned(),
            ),
            (
                format!(r#"{{"users":[{}]}}"#, user(sub, "a@x.io", "md5$x")),
                "users[0].password_hash".to_owned(),
            ),
            (
                format!(r#"{{"users":[{good},{}]}}"#, user(sub, "b@x.io", &hash)),
                "users[1].sub: same as users[0].sub".to_owned(),
            ),
            (
                format!(
                    r#"{{"users":[{good},{}]}}"#,
                    user(other_sub, "A@X.io", &hash)
                ),
                "users[1].email: same as users[0].email".to_owned(),
            ),
            (
                format!(
                    r#"{{"users":[{}]}}"#,
                    good.replace(r#""groups":[]"#, r#""groups":["a b"]"#)
                ),
                "users[0].groups".to_owned(),
            ),
        ];
        let path = dir.join(USERS_FILE);
        for (contents, expected) in cases {
            fs::write(&path, &contents).unwrap();
            let err = UserStore::load(&dir, &[], &PasswordPolicy::default()).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains(path.to_str().unwrap()),
                "{contents}: {message}"
            );
            assert!(message.contains(&expected), "{contents}: {message}");
            assert!(message.contains("to start afresh"), "{contents}: {message}");
            // The broken file is left for the developer to look at.
            assert_eq!(fs::read_to_string(&path).unwrap(), contents);
        }
    }

    #[test]
    fn malformed_demo_files_name_the_file_without_echoing_lines() {
        let (_scratch, dir) = temp_dir("demofile");
        // A pool with its demo user, whose file is then damaged.
        UserStore::load(&dir, &[], &PasswordPolicy::default()).unwrap();
        let path = dir.join(DEMO_USER_FILE);
        let cases = [
            ("email: demo@example.com\n", "password: missing"),
            ("password: Secret-Pass-1\n", "email: missing"),
            (
                "# c\nemail: demo@example.com\nSecret-Pass-1\n",
                "line: expected",
            ),
        ];
        for (contents, expected) in cases {
            fs::write(&path, contents).unwrap();
            let message = UserStore::load(&dir, &[], &PasswordPolicy::default())
                .unwrap_err()
                .to_string();
            assert!(message.contains(path.to_str().unwrap()), "{message}");
            assert!(message.contains(expected), "{message}");
            assert!(!message.contains("Secret-Pass-1"), "{message}");
        }
    }

    #[test]
    fn a_demo_file_that_no_longer_signs_in_is_dropped() {
        let (_scratch, dir) = temp_dir("stale");
        let policy = template_policy();
        let given = [spec(&format!("{DEMO_EMAIL}:{GOOD}"))];
        UserStore::load(&dir, &given, &policy).unwrap();
        fs::write(
            dir.join(DEMO_USER_FILE),
            format!("email: {DEMO_EMAIL}\npassword: Not-The-Pass-1\n"),
        )
        .unwrap();
        let store = UserStore::load(&dir, &[], &policy).unwrap();
        assert_eq!(store.demo_user(), None);
        assert!(!dir.join(DEMO_USER_FILE).exists());
        assert!(store.authenticate(DEMO_EMAIL, GOOD).is_some());
    }

    #[test]
    fn debug_output_never_shows_passwords_or_hashes() {
        let (_scratch, dir) = temp_dir("debug");
        let given = spec(&format!("f@x.io:{GOOD}:g"));
        let store =
            UserStore::load(&dir, std::slice::from_ref(&given), &template_policy()).unwrap();
        let stored = fs::read_to_string(dir.join(USERS_FILE)).unwrap();
        let hash_b64 = stored.split('$').nth(3).unwrap().split('"').next().unwrap();
        for shown in [format!("{given:?}"), format!("{store:?}")] {
            assert!(!shown.contains(GOOD), "{shown}");
            assert!(!shown.contains(hash_b64), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }
}
