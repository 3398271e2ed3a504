//! The answer Cognito reads: the event it sent, with `response` filled in.
//!
//! A changed token gets `response.claimsAndScopeOverrideDetails` with
//! `accessTokenGeneration` (aws_lambda_events' [`CognitoAccessTokenGenerationV2`])
//! and, for a user's token, `groupOverrideDetails`: Cognito replaces the
//! user's groups with it, and suppresses them when it is empty or null, so
//! the request's `groupConfiguration` is sent back unchanged, as Cognito's
//! guide says to do to keep them. An M2M token has no groups, so its answer
//! names none. aws_lambda_events' `ClaimsAndScopeOverrideDetailsV2` is not
//! used because its `groupOverrideDetails` cannot be left out and its
//! default is the empty one. An unchanged token gets an empty `response`,
//! which tells Cognito to issue it as it would.

use aws_lambda_events::event::cognito::{CognitoAccessTokenGenerationV2, GroupConfiguration};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Decision, MACHINE_CLAIM, MACHINE_CLAIM_VALUE, Rule, TokenEvent, TriggerError};

/// The trigger's answer to one event.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    #[serde(flatten)]
    event: Map<String, Value>,
    response: Response,
    #[serde(skip)]
    decision: Decision,
}

impl Answer {
    /// What the rule decided (for logs and tests).
    pub fn decision(&self) -> Decision {
        self.decision
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    claims_and_scope_override_details: Option<Overrides>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    group_override_details: Option<GroupConfiguration>,
    access_token_generation: CognitoAccessTokenGenerationV2,
}

/// Answers one event (its JSON): the event unchanged but for `response`.
pub fn answer(rule: &Rule, event: Value) -> Result<Answer, TriggerError> {
    let parsed = TokenEvent::from_json(&event)?;
    let decision = rule.decide(&parsed);
    let groups = parsed
        .source
        .is_user()
        .then_some(parsed.request.group_configuration);
    let Value::Object(mut event) = event else {
        return Err(TriggerError::NotAnObject);
    };
    event.remove("response");
    let response = Response {
        claims_and_scope_override_details: access_token_changes(rule, decision).map(
            |access_token_generation| Overrides {
                group_override_details: groups,
                access_token_generation,
            },
        ),
    };
    Ok(Answer {
        event,
        response,
        decision,
    })
}

fn access_token_changes(rule: &Rule, decision: Decision) -> Option<CognitoAccessTokenGenerationV2> {
    let mut changes = CognitoAccessTokenGenerationV2::default();
    match decision {
        Decision::Unchanged => return None,
        Decision::AddEditorScope => changes.scopes_to_add = vec![rule.editor_scope().to_string()],
        Decision::SuppressEditorScope => {
            changes.scopes_to_suppress = vec![rule.editor_scope().to_string()];
        }
        Decision::MarkMachine => {
            changes
                .claims_to_add_or_override
                .insert(MACHINE_CLAIM.into(), MACHINE_CLAIM_VALUE.into());
        }
    }
    Some(changes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Config;

    const SCOPE: &str = "API/book.post";

    fn rule() -> Rule {
        Rule::new(Config {
            editor_group: "editors".into(),
            editor_scope: SCOPE.into(),
        })
    }

    /// A V2_0/V3_0 event as Cognito sends it.
    fn event(version: &str, source: &str, groups: &[&str], scopes: &[&str]) -> Value {
        json!({
            "version": version,
            "triggerSource": source,
            "region": "us-east-1",
            "userPoolId": "us-east-1_EXAMPLE",
            "userName": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "webclient"},
            "request": {
                "userAttributes": {"sub": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "email": "ed@example.com"},
                "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": null},
                "scopes": scopes,
            },
            "response": {"claimsAndScopeOverrideDetails": null},
        })
    }

    fn answered(event: Value) -> Value {
        serde_json::to_value(answer(&rule(), event).unwrap()).unwrap()
    }

    const USER_SOURCES: [&str; 5] = [
        "TokenGeneration_HostedAuth",
        "TokenGeneration_Authentication",
        "TokenGeneration_NewPasswordChallenge",
        "TokenGeneration_AuthenticateDevice",
        "TokenGeneration_RefreshTokens",
    ];

    #[test]
    fn editors_get_the_scope_and_other_users_never_hold_it_for_every_user_source() {
        let openid = ["openid", "awesomeapi-resource-server/awesomeapi.read"];
        let with_scope = ["openid", SCOPE];
        // (groups, scopes asked for, decision)
        let cases: [(&[&str], &[&str], Decision); 8] = [
            (&["editors"], &openid, Decision::AddEditorScope),
            (&["admins", "editors"], &openid, Decision::AddEditorScope),
            (&["editors"], &with_scope, Decision::Unchanged),
            (&[], &openid, Decision::Unchanged),
            (&["admins"], &openid, Decision::Unchanged),
            // Exact and case-sensitive, as cognito:groups.
            (&["Editors", "editors-2"], &openid, Decision::Unchanged),
            (&[], &with_scope, Decision::SuppressEditorScope),
            (&["Editors"], &with_scope, Decision::SuppressEditorScope),
        ];
        for version in ["2", "3"] {
            for source in USER_SOURCES {
                for (groups, scopes, expected) in cases {
                    let sent = event(version, source, groups, scopes);
                    let answer = answer(&rule(), sent.clone()).unwrap();
                    let case = format!("V{version} {source} {groups:?} {scopes:?}");
                    assert_eq!(answer.decision(), expected, "{case}");
                    let body = serde_json::to_value(&answer).unwrap();
                    let details = &body["response"]["claimsAndScopeOverrideDetails"];
                    let access = &details["accessTokenGeneration"];
                    match expected {
                        Decision::AddEditorScope => {
                            assert_eq!(access["scopesToAdd"], json!([SCOPE]), "{case}");
                            assert_eq!(access["scopesToSuppress"], json!([]), "{case}");
                        }
                        Decision::SuppressEditorScope => {
                            assert_eq!(access["scopesToSuppress"], json!([SCOPE]), "{case}");
                            assert_eq!(access["scopesToAdd"], json!([]), "{case}");
                        }
                        _ => assert_eq!(body["response"], json!({}), "{case}"),
                    }
                    if !details.is_null() {
                        assert_eq!(access["claimsToAddOrOverride"], json!({}), "{case}");
                        assert_eq!(access["claimsToSuppress"], json!([]), "{case}");
                        // The user's groups go back as they came (an empty or
                        // null override would suppress them); the ID token is
                        // not touched.
                        assert_eq!(
                            details["groupOverrideDetails"], sent["request"]["groupConfiguration"],
                            "{case}"
                        );
                        let mut keys: Vec<&String> = details.as_object().unwrap().keys().collect();
                        keys.sort();
                        assert_eq!(
                            keys,
                            ["accessTokenGeneration", "groupOverrideDetails"],
                            "{case}"
                        );
                    }
                    // Everything but `response` is sent back as it came.
                    let mut rest = body.clone();
                    rest.as_object_mut().unwrap().remove("response");
                    let mut sent_rest = sent;
                    sent_rest.as_object_mut().unwrap().remove("response");
                    assert_eq!(rest, sent_rest, "{case}");
                }
            }
        }
    }

    #[test]
    fn client_credentials_tokens_get_the_machine_claim_and_keep_their_scopes() {
        // Whatever the groups or scopes say: an M2M token has no user.
        for (groups, scopes) in [
            (&[][..], &["API/book.get", SCOPE][..]),
            (&["editors"][..], &["API/book.get"][..]),
        ] {
            let body = answered(event(
                "3",
                "TokenGeneration_ClientCredentials",
                groups,
                scopes,
            ));
            assert_eq!(
                body["response"],
                json!({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {
                    "claimsToAddOrOverride": {MACHINE_CLAIM: MACHINE_CLAIM_VALUE},
                    "claimsToSuppress": [],
                    "scopesToAdd": [],
                    "scopesToSuppress": [],
                }}}),
                "{groups:?} {scopes:?}"
            );
        }
    }

    #[test]
    fn an_m2m_event_without_user_parts_is_answered() {
        // No userName, no userAttributes, groupConfiguration null.
        let sent = json!({
            "version": "3",
            "triggerSource": "TokenGeneration_ClientCredentials",
            "region": "us-east-1",
            "userPoolId": "us-east-1_EXAMPLE",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "m2mclient"},
            "request": {"groupConfiguration": null, "scopes": ["API/book.get"]},
            "response": {},
        });
        let answer = answer(&rule(), sent).unwrap();
        assert_eq!(answer.decision(), Decision::MarkMachine);
    }

    #[test]
    fn unknown_token_generation_sources_are_left_unchanged() {
        let body = answered(event("3", "TokenGeneration_Something", &["editors"], &[]));
        assert_eq!(body["response"], json!({}));
    }

    #[test]
    fn malformed_events_are_typed_errors_naming_the_problem() {
        let mut v1 = event("1", "TokenGeneration_HostedAuth", &["editors"], &[]);
        v1["request"].as_object_mut().unwrap().remove("scopes");
        let mut no_request = event("2", "TokenGeneration_HostedAuth", &[], &[]);
        no_request.as_object_mut().unwrap().remove("request");
        let mut no_source = event("2", "TokenGeneration_HostedAuth", &[], &[]);
        no_source.as_object_mut().unwrap().remove("triggerSource");
        let mut groups_not_a_list = event("2", "TokenGeneration_HostedAuth", &[], &[]);
        groups_not_a_list["request"]["groupConfiguration"]["groupsToOverride"] = json!("editors");
        let mut scopes_not_strings = event("2", "TokenGeneration_HostedAuth", &[], &[]);
        scopes_not_strings["request"]["scopes"] = json!([1, 2]);
        let mut number_source = event("2", "TokenGeneration_HostedAuth", &[], &[]);
        number_source["triggerSource"] = json!(7);
        let cases = [
            (json!(null), "the event is not a JSON object"),
            (json!([]), "the event is not a JSON object"),
            (json!("event"), "the event is not a JSON object"),
            (json!({}), "missing field `triggerSource`"),
            (v1, "missing field `scopes`"),
            (no_request, "missing field `request`"),
            (no_source, "missing field `triggerSource`"),
            (
                groups_not_a_list,
                "invalid type: string \"editors\", expected a sequence",
            ),
            (
                scopes_not_strings,
                "invalid type: integer `1`, expected a string",
            ),
            (
                number_source,
                "invalid type: integer `7`, expected a string",
            ),
            (
                event("1", "PreSignUp_SignUp", &[], &[]),
                "triggerSource \"PreSignUp_SignUp\" is not a token generation",
            ),
            (
                json!({"triggerSource": "PreSignUp_SignUp", "request": {}}),
                "triggerSource \"PreSignUp_SignUp\" is not a token generation",
            ),
        ];
        for (sent, expected) in cases {
            let error = answer(&rule(), sent.clone()).unwrap_err();
            assert!(error.to_string().contains(expected), "{sent}: {error}");
            let kind = if matches!(error, TriggerError::NotTokenGeneration(_)) {
                "PreTokenGeneration.WrongTrigger"
            } else {
                "PreTokenGeneration.MalformedEvent"
            };
            assert_eq!(error.kind(), kind, "{sent}");
        }
    }
}
