//! What one route requires of a token, as a `ROUTE_SCOPES` value says it:
//! a list of scopes, or `{"scopes": [...], "groups": [...]}`.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// What a route requires: every scope in `scopes` and, if `groups` is set,
/// at least one of those groups in the token's `cognito:groups`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    /// Scopes that are all required.
    pub scopes: Vec<String>,
    /// Groups of which the token must carry one; `None` for no group rule.
    /// An empty list is refused when the table is built.
    pub groups: Option<Vec<String>>,
}

impl From<Vec<String>> for Rule {
    /// A list of scopes: the rule of a `ROUTE_SCOPES` list value.
    fn from(scopes: Vec<String>) -> Self {
        Self {
            scopes,
            groups: None,
        }
    }
}

impl<'de> de::Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a list of scopes or {"scopes": [...], "groups": [...]}"#)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rule, A::Error> {
                let mut scopes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(scope) = seq.next_element::<String>()? {
                    scopes.push(scope);
                }
                Ok(scopes.into())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rule, A::Error> {
                let mut scopes: Option<Vec<String>> = None;
                let mut groups: Option<Vec<String>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "scopes" => &mut scopes,
                        "groups" => &mut groups,
                        _ => return Err(de::Error::unknown_field(&key, &["scopes", "groups"])),
                    };
                    if slot.is_some() {
                        return Err(de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    *slot = Some(map.next_value()?);
                }
                Ok(Rule {
                    scopes: scopes.unwrap_or_default(),
                    groups,
                })
            }
        }
        d.deserialize_any(V)
    }
}
