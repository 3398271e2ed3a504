//! The trigger's answer as Cognito reads it: the event sent back with
//! `response.claimsAndScopeOverrideDetails` filled in, or left null (an
//! unchanged event: the tokens are issued as they would have been). An
//! answer of the wrong shape is Cognito's `InvalidLambdaResponseException`:
//! no tokens.

use serde_json::{Map, Value};
use thiserror::Error;

/// Why an answer cannot be read; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswerError {
    /// A field has the wrong JSON type.
    #[error("{field} must be {expected}")]
    WrongType {
        /// The path of the field, e.g. `response.claimsAndScopeOverrideDetails`.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// An ID-token claim Cognito keeps scalar was given an object or array
    /// (Cognito's guide: complex values are allowed "except for
    /// `phone_number_verified`, `email_verified`, `updated_at`, and `address`").
    #[error("idTokenGeneration.claimsToAddOrOverride.{0} cannot be an object or array")]
    ComplexValue(String),
}

/// The claims to add, override and suppress in one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimChanges {
    /// `claimsToAddOrOverride`, in the answer's order.
    pub add_or_override: Vec<(String, Value)>,
    /// `claimsToSuppress`.
    pub suppress: Vec<String>,
}

impl ClaimChanges {
    /// True if nothing changes.
    pub fn is_empty(&self) -> bool {
        self.add_or_override.is_empty() && self.suppress.is_empty()
    }
}

/// What `groupOverrideDetails` does to `cognito:groups`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum GroupOverride {
    /// Not in the answer: the user's groups stay.
    #[default]
    Keep,
    /// Replaced by these; empty (an empty or null object, or no
    /// `groupsToOverride`) suppresses the claim.
    Replace(Vec<String>),
}

/// Everything an answer changes; the default changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `idTokenGeneration`.
    pub id_token: ClaimChanges,
    /// `accessTokenGeneration`'s claims.
    pub access_token: ClaimChanges,
    /// `accessTokenGeneration.scopesToAdd`.
    pub scopes_to_add: Vec<String>,
    /// `accessTokenGeneration.scopesToSuppress`.
    pub scopes_to_suppress: Vec<String>,
    /// `groupOverrideDetails`.
    pub groups: GroupOverride,
}

impl Overrides {
    /// True if the tokens are issued as without a trigger.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Reads an answer. A missing or null `response` or
    /// `claimsAndScopeOverrideDetails` changes nothing; unknown fields are
    /// ignored, as Cognito ignores them.
    pub fn from_answer(answer: &Value) -> Result<Self, AnswerError> {
        let Value::Object(answer) = answer else {
            return Err(wrong("the answer", "an object"));
        };
        let Some(response) = field_object(answer, "response", "response")? else {
            return Ok(Self::default());
        };
        const DETAILS: &str = "response.claimsAndScopeOverrideDetails";
        let Some(details) = field_object(response, "claimsAndScopeOverrideDetails", DETAILS)?
        else {
            return Ok(Self::default());
        };
        let id = field_object(details, "idTokenGeneration", "idTokenGeneration")?;
        let access = field_object(details, "accessTokenGeneration", "accessTokenGeneration")?;
        let id_token = claim_changes(id, "idTokenGeneration")?;
        for (name, value) in &id_token.add_or_override {
            if SCALAR_ID_CLAIMS.contains(&name.as_str()) && (value.is_object() || value.is_array())
            {
                return Err(AnswerError::ComplexValue(name.clone()));
            }
        }
        let scopes = |key: &str| match access {
            Some(access) => strings(access.get(key), &format!("accessTokenGeneration.{key}")),
            None => Ok(Vec::new()),
        };
        Ok(Self {
            id_token,
            access_token: claim_changes(access, "accessTokenGeneration")?,
            scopes_to_add: scopes("scopesToAdd")?,
            scopes_to_suppress: scopes("scopesToSuppress")?,
            groups: group_override(details)?,
        })
    }
}

/// ID-token claims whose value must stay a scalar.
const SCALAR_ID_CLAIMS: [&str; 4] = [
    "phone_number_verified",
    "email_verified",
    "updated_at",
    "address",
];

fn wrong(field: &str, expected: &'static str) -> AnswerError {
    AnswerError::WrongType {
        field: field.to_owned(),
        expected,
    }
}

/// `value` as an object; `None` for null.
fn object<'v>(
    value: &'v Value,
    field: &str,
) -> Result<Option<&'v Map<String, Value>>, AnswerError> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        _ => Err(wrong(field, "an object or null")),
    }
}

/// `parent[key]` as an object; `None` when missing or null.
fn field_object<'v>(
    parent: &'v Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'v Map<String, Value>>, AnswerError> {
    parent.get(key).map_or(Ok(None), |v| object(v, field))
}

/// A list of strings; missing or null is empty.
fn strings(value: Option<&Value>, field: &str) -> Result<Vec<String>, AnswerError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong(field, "a list of strings"))
            })
            .collect(),
        Some(_) => Err(wrong(field, "a list of strings")),
    }
}

fn claim_changes(
    token: Option<&Map<String, Value>>,
    field: &str,
) -> Result<ClaimChanges, AnswerError> {
    let Some(token) = token else {
        return Ok(ClaimChanges::default());
    };
    let add = format!("{field}.claimsToAddOrOverride");
    let add_or_override = match field_object(token, "claimsToAddOrOverride", &add)? {
        Some(claims) => claims.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        None => Vec::new(),
    };
    Ok(ClaimChanges {
        add_or_override,
        suppress: strings(
            token.get("claimsToSuppress"),
            &format!("{field}.claimsToSuppress"),
        )?,
    })
}

fn group_override(details: &Map<String, Value>) -> Result<GroupOverride, AnswerError> {
    const FIELD: &str = "groupOverrideDetails";
    let Some(value) = details.get(FIELD) else {
        return Ok(GroupOverride::Keep);
    };
    let Some(groups) = object(value, FIELD)? else {
        return Ok(GroupOverride::Replace(Vec::new()));
    };
    // Read for their shape only: the local pool writes no role claims.
    strings(
        groups.get("iamRolesToOverride"),
        "groupOverrideDetails.iamRolesToOverride",
    )?;
    match groups.get("preferredRole") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => {
            return Err(wrong(
                "groupOverrideDetails.preferredRole",
                "a string or null",
            ));
        }
    }
    Ok(GroupOverride::Replace(strings(
        groups.get("groupsToOverride"),
        "groupOverrideDetails.groupsToOverride",
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(details: Value) -> Value {
        json!({"version": "2", "request": {}, "response": {"claimsAndScopeOverrideDetails": details}})
    }

    #[test]
    fn answers_are_read_by_cognitos_shape() {
        let scopes_only = Overrides {
            scopes_to_add: vec!["API/book.post".into()],
            groups: GroupOverride::Replace(vec!["editors".into()]),
            ..Overrides::default()
        };
        // (case, answer, what it changes or the error's message)
        let cases: Vec<(&str, Value, Result<Overrides, &str>)> = vec![
            (
                "unchanged event",
                answer(Value::Null),
                Ok(Overrides::default()),
            ),
            (
                "empty response",
                json!({"response": {}}),
                Ok(Overrides::default()),
            ),
            (
                "no response",
                json!({"version": "2"}),
                Ok(Overrides::default()),
            ),
            (
                "the example trigger's answer",
                answer(json!({
                    "groupOverrideDetails": {"groupsToOverride": ["editors"], "iamRolesToOverride": [], "preferredRole": null},
                    "accessTokenGeneration": {"scopesToAdd": ["API/book.post"], "scopesToSuppress": [], "claimsToAddOrOverride": {}, "claimsToSuppress": []},
                })),
                Ok(scopes_only),
            ),
            (
                "claims of both tokens",
                answer(json!({
                    "idTokenGeneration": {"claimsToAddOrOverride": {"tier": "gold"}, "claimsToSuppress": ["email"]},
                    "accessTokenGeneration": {"claimsToAddOrOverride": {"caller_kind": "machine", "n": [1, 2]}, "scopesToSuppress": ["openid"]},
                })),
                Ok(Overrides {
                    id_token: ClaimChanges {
                        add_or_override: vec![("tier".into(), json!("gold"))],
                        suppress: vec!["email".into()],
                    },
                    access_token: ClaimChanges {
                        add_or_override: vec![
                            ("caller_kind".into(), json!("machine")),
                            ("n".into(), json!([1, 2])),
                        ],
                        suppress: vec![],
                    },
                    scopes_to_suppress: vec!["openid".into()],
                    ..Overrides::default()
                }),
            ),
            (
                "null group override suppresses",
                answer(json!({"groupOverrideDetails": null})),
                Ok(Overrides {
                    groups: GroupOverride::Replace(vec![]),
                    ..Overrides::default()
                }),
            ),
            (
                "empty group override suppresses",
                answer(json!({"groupOverrideDetails": {}})),
                Ok(Overrides {
                    groups: GroupOverride::Replace(vec![]),
                    ..Overrides::default()
                }),
            ),
            (
                "not an object",
                json!("ok"),
                Err("the answer must be an object"),
            ),
            (
                "response a list",
                json!({"response": []}),
                Err("response must be an object or null"),
            ),
            (
                "details a string",
                answer(json!("x")),
                Err("response.claimsAndScopeOverrideDetails must be an object or null"),
            ),
            (
                "scopes not strings",
                answer(json!({"accessTokenGeneration": {"scopesToAdd": [1]}})),
                Err("accessTokenGeneration.scopesToAdd must be a list of strings"),
            ),
            (
                "suppress a string",
                answer(json!({"idTokenGeneration": {"claimsToSuppress": "email"}})),
                Err("idTokenGeneration.claimsToSuppress must be a list of strings"),
            ),
            (
                "claims a list",
                answer(json!({"accessTokenGeneration": {"claimsToAddOrOverride": ["a"]}})),
                Err("accessTokenGeneration.claimsToAddOrOverride must be an object or null"),
            ),
            (
                "groups not strings",
                answer(json!({"groupOverrideDetails": {"groupsToOverride": [true]}})),
                Err("groupOverrideDetails.groupsToOverride must be a list of strings"),
            ),
            (
                "complex email_verified",
                answer(
                    json!({"idTokenGeneration": {"claimsToAddOrOverride": {"email_verified": {"v": 1}}}}),
                ),
                Err(
                    "idTokenGeneration.claimsToAddOrOverride.email_verified cannot be an object or array",
                ),
            ),
        ];
        for (case, value, want) in cases {
            let got = Overrides::from_answer(&value).map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_owned), "{case}");
        }
    }
}
