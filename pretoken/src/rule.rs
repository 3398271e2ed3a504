//! The decision: which change, if any, one event's access token gets.
//!
//! Pure: the event and the configuration in, a [`Decision`] out.

use crate::{Config, TokenEvent, TriggerSource};

/// The claim client-credentials (M2M) tokens get with `V3_0`: it tells an
/// API, in one claim, that no user is behind the token (Cognito's M2M
/// tokens otherwise show it only by lacking `username`).
pub const MACHINE_CLAIM: &str = "caller_kind";
/// The value of [`MACHINE_CLAIM`].
pub const MACHINE_CLAIM_VALUE: &str = "machine";

/// What the trigger does to one access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Issue the token as Cognito would.
    Unchanged,
    /// A member of the editor group whose token lacks the editor scope: add it.
    AddEditorScope,
    /// A user outside the editor group whose token has the editor scope:
    /// suppress it, so only editors' user tokens ever carry it.
    SuppressEditorScope,
    /// A client-credentials token: add [`MACHINE_CLAIM`].
    MarkMachine,
}

/// Who gets what, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    config: Config,
}

impl Rule {
    /// The rule for `config`.
    pub fn new(config: Config) -> Self {
        Self { config }
    }

    /// The scope editors get.
    pub fn editor_scope(&self) -> &str {
        &self.config.editor_scope
    }

    /// Decides for one event. Groups are compared exactly (case-sensitive),
    /// as Cognito writes them to `cognito:groups`. M2M tokens keep the scopes
    /// their client was granted; unknown token-generation sources are left
    /// alone rather than guessed at.
    pub fn decide(&self, event: &TokenEvent) -> Decision {
        if event.source == TriggerSource::ClientCredentials {
            return Decision::MarkMachine;
        }
        if !event.source.is_user() {
            return Decision::Unchanged;
        }
        let editor = event.groups().contains(&self.config.editor_group);
        let has_scope = event.scopes().contains(&self.config.editor_scope);
        match (editor, has_scope) {
            (true, false) => Decision::AddEditorScope,
            (false, true) => Decision::SuppressEditorScope,
            _ => Decision::Unchanged,
        }
    }
}
