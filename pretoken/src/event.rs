//! The part of Cognito's V2_0/V3_0 pre-token-generation event the rule reads.
//!
//! The request is aws_lambda_events' [`CognitoEventUserPoolsPreTokenGenRequestV2`]
//! (user attributes, groups, scopes, client metadata). Its event type
//! (`CognitoEventUserPoolsPreTokenGenV2`, version 1.2) is not used: its
//! trigger-source enum has no `TokenGeneration_ClientCredentials` and no
//! catch-all, so every `V3_0` machine-to-machine event would fail to parse.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreTokenGenRequestV2;
use serde::Deserialize;
use serde_json::Value;

use crate::TriggerError;

/// Why Cognito is issuing tokens: the event's `triggerSource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerSource {
    /// `TokenGeneration_HostedAuth`: sign-in through managed login / the hosted UI.
    HostedAuth,
    /// `TokenGeneration_Authentication`: sign-in through the user-pool API.
    Authentication,
    /// `TokenGeneration_NewPasswordChallenge`: after an admin-created user set a password.
    NewPasswordChallenge,
    /// `TokenGeneration_AuthenticateDevice`: sign-in with a remembered device.
    AuthenticateDevice,
    /// `TokenGeneration_RefreshTokens`: a refresh-token grant.
    RefreshTokens,
    /// `TokenGeneration_ClientCredentials`: an M2M token (`V3_0` events only).
    ClientCredentials,
    /// Another `TokenGeneration_…` source Cognito may add later: left unchanged.
    Other(String),
}

impl TriggerSource {
    /// Reads a `triggerSource`; a source of another trigger is an error.
    pub fn parse(text: &str) -> Result<Self, TriggerError> {
        Ok(match text {
            "TokenGeneration_HostedAuth" => Self::HostedAuth,
            "TokenGeneration_Authentication" => Self::Authentication,
            "TokenGeneration_NewPasswordChallenge" => Self::NewPasswordChallenge,
            "TokenGeneration_AuthenticateDevice" => Self::AuthenticateDevice,
            "TokenGeneration_RefreshTokens" => Self::RefreshTokens,
            "TokenGeneration_ClientCredentials" => Self::ClientCredentials,
            other if other.starts_with("TokenGeneration_") => Self::Other(other.to_string()),
            other => return Err(TriggerError::NotTokenGeneration(other.to_string())),
        })
    }

    /// The tokens are a signed-in user's (not an M2M client's, not unknown).
    pub fn is_user(&self) -> bool {
        matches!(
            self,
            Self::HostedAuth
                | Self::Authentication
                | Self::NewPasswordChallenge
                | Self::AuthenticateDevice
                | Self::RefreshTokens
        )
    }
}

/// One pre-token-generation event, as far as the rule needs it.
#[derive(Debug, Clone)]
pub struct TokenEvent {
    /// `version` as sent ("2" or "3"); informational only, since the
    /// trigger source already says whether the token is an M2M one.
    pub version: Option<String>,
    /// Why the tokens are issued.
    pub source: TriggerSource,
    /// `callerContext.clientId`: the app client the tokens are for.
    pub client_id: Option<String>,
    /// `request`: the user's groups, attributes and the token's scopes.
    pub request: CognitoEventUserPoolsPreTokenGenRequestV2,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default)]
    version: Option<String>,
    trigger_source: String,
    #[serde(default)]
    caller_context: CallerContext,
    request: CognitoEventUserPoolsPreTokenGenRequestV2,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallerContext {
    #[serde(default)]
    client_id: Option<String>,
}

impl TokenEvent {
    /// Reads the event; a missing `triggerSource`, `request` or
    /// `request.scopes` (a `V1_0` event has none) is an error.
    pub fn from_json(event: &Value) -> Result<Self, TriggerError> {
        if !event.is_object() {
            return Err(TriggerError::NotAnObject);
        }
        // The source first: another trigger's event is named as such, not
        // as a malformed one.
        if let Some(source) = event.get("triggerSource").and_then(Value::as_str) {
            TriggerSource::parse(source)?;
        }
        let wire = Wire::deserialize(event).map_err(TriggerError::Shape)?;
        Ok(Self {
            version: wire.version,
            source: TriggerSource::parse(&wire.trigger_source)?,
            client_id: wire.caller_context.client_id,
            request: wire.request,
        })
    }

    /// The user's groups (`request.groupConfiguration.groupsToOverride`),
    /// which Cognito writes to `cognito:groups`.
    pub fn groups(&self) -> &[String] {
        &self.request.group_configuration.groups_to_override
    }

    /// The scopes the access token would carry (`request.scopes`).
    pub fn scopes(&self) -> &[String] {
        &self.request.scopes
    }
}
