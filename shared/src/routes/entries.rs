//! Reading `ROUTE_SCOPES`: a JSON object read in order, refusing a key
//! given twice (which a plain map would silently overwrite), each value a
//! [`Rule`] whose errors name the route.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::error::RouteError;
use super::rule::Rule;

/// Reads the JSON object into ordered pairs, rejecting duplicate keys
/// (a plain map would silently keep the last one).
pub(super) fn parse_entries(json: &str) -> Result<Vec<(String, Rule)>, RouteError> {
    struct Entries(Vec<(String, Rule)>);
    impl<'de> de::Deserialize<'de> for Entries {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Entries;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object from \"METHOD /path\" to a list of scopes or a rule")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                    let mut out: Vec<(String, Rule)> = Vec::new();
                    let mut keys = HashSet::new();
                    while let Some(key) = map.next_key::<String>()? {
                        let rule = map
                            .next_value::<Rule>()
                            .map_err(|e| de::Error::custom(format!("route {key:?}: {e}")))?;
                        if !keys.insert(key.clone()) {
                            return Err(de::Error::custom(format!("duplicate route {key:?}")));
                        }
                        out.push((key, rule));
                    }
                    Ok(Entries(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Entries>(json)
        .map(|e| e.0)
        .map_err(|e| RouteError::Json(e.to_string()))
}
