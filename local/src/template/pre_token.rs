//! The pool's pre-token-generation trigger as the template configures it
//! (`LambdaConfig.PreTokenGenerationConfig`): plain data, read by
//! [`crate::template::sam::Template::pre_token_trigger`] and run by the
//! local pool (`cognito::pre_token`).

/// `LambdaVersion`: which tokens the trigger customizes. `V1_0` (ID tokens
/// only, another answer shape) is not run locally; the template offers
/// only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaVersion {
    /// Users' ID and access tokens.
    V2_0,
    /// Also access tokens of client-credentials (M2M) grants.
    V3_0,
}

impl LambdaVersion {
    /// Reads `V2_0` or `V3_0`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "V2_0" => Some(Self::V2_0),
            "V3_0" => Some(Self::V3_0),
            _ => None,
        }
    }

    /// The event's `version` field (`"2"`, `"3"`).
    pub fn event_version(self) -> &'static str {
        match self {
            Self::V2_0 => "2",
            Self::V3_0 => "3",
        }
    }

    /// True if client-credentials tokens go through the trigger too.
    pub fn covers_client_credentials(self) -> bool {
        self == Self::V3_0
    }
}

/// The trigger a deploy of the template would attach to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreTokenSpec {
    /// The function's logical id, e.g. `PreTokenFunction`.
    pub function_id: String,
    /// Its binary (`Metadata.BuildProperties.Binary`): the name `cargo
    /// lambda watch` serves it under.
    pub binary: String,
    /// The event version.
    pub version: LambdaVersion,
    /// Its `Environment.Variables`, resolved.
    pub environment: Vec<(String, String)>,
}
