//! The generic part of reading a CloudFormation template offline: its
//! intrinsics in both forms (`!Ref X` and `{Ref: X}`), `!Ref` to a
//! parameter or a resource server and `!Sub` resolved as far as can be known
//! before a deploy, `!GetAtt` found (never resolved). The domain readers in
//! `sam.rs` use it; it knows no SAM resource but the resource server a
//! `!Ref` may name.

use std::collections::BTreeMap;

use yaml_serde::Value;

use crate::template::error::TemplateError;

const RESOURCE_SERVER: &str = "AWS::Cognito::UserPoolResourceServer";
/// `!Ref AWS::NoValue`: the property is left out.
const NO_VALUE: &str = "AWS::NoValue";
/// How deep conditions may name conditions.
const MAX_CONDITION_DEPTH: usize = 32;

/// Resolves values against a template's parameters (overridden or default)
/// and resource servers.
pub(crate) struct Resolver<'a> {
    /// The whole template.
    pub(crate) root: &'a Value,
    /// Parameter values that replace the defaults.
    pub(crate) overrides: &'a BTreeMap<String, String>,
}

impl Resolver<'_> {
    /// The `Properties` of the resource server `name`, if it is one.
    fn resource_server(&self, name: &str) -> Option<&Value> {
        static EMPTY: Value = Value::Null;
        let resource = self.root.get("Resources")?.get(name)?;
        (plain_str(resource.get("Type")) == Some(RESOURCE_SERVER))
            .then(|| resource.get("Properties").unwrap_or(&EMPTY))
    }

    /// A scalar, `!Ref` or `!Sub` resolved to text as far as possible offline.
    pub(crate) fn text(&self, value: &Value, at: &str) -> Result<String, TemplateError> {
        if let Some((function, argument)) = intrinsic(value) {
            return match function.as_str() {
                "Ref" => {
                    let target =
                        plain_str(Some(argument)).ok_or_else(|| TemplateError::Invalid {
                            at: at.to_owned(),
                            problem: "!Ref needs a logical id".into(),
                        })?;
                    self.reference(target, at)
                }
                "Fn::Sub" => self.sub(argument, at),
                other => Err(TemplateError::Unresolvable {
                    at: at.to_owned(),
                    reference: other.to_owned(),
                }),
            };
        }
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(TemplateError::Invalid {
                at: at.to_owned(),
                problem: "expected a scalar, !Ref or !Sub".into(),
            }),
        }
    }

    /// A boolean written as `true`/`false` (or a reference resolving to one).
    pub(crate) fn boolean(&self, value: &Value, at: &str) -> Result<bool, TemplateError> {
        match self.text(value, at)?.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(TemplateError::Invalid {
                at: at.to_owned(),
                problem: format!("{other:?} is not true or false"),
            }),
        }
    }

    /// `value` with a top-level `!If [condition, then, else]` decided, as
    /// CloudFormation does at deploy time; `None` for `!Ref AWS::NoValue`.
    pub(crate) fn chosen<'v>(
        &self,
        value: &'v Value,
        at: &str,
    ) -> Result<Option<&'v Value>, TemplateError> {
        if ref_target(value) == Some(NO_VALUE) {
            return Ok(None);
        }
        let Some((function, argument)) = intrinsic(value) else {
            return Ok(Some(value));
        };
        if function != "Fn::If" {
            return Ok(Some(value));
        }
        let [name, then, otherwise] = sequence(argument, at)? else {
            return Err(TemplateError::Invalid {
                at: at.to_owned(),
                problem: "!If needs [condition, value if true, value if false]".into(),
            });
        };
        let name = plain_str(Some(name)).ok_or_else(|| TemplateError::Invalid {
            at: at.to_owned(),
            problem: "!If needs a condition name first".into(),
        })?;
        let branch = if self.condition(name, at, 0)? {
            then
        } else {
            otherwise
        };
        self.chosen(branch, at)
    }

    /// The value of the condition `name` in `Conditions`.
    fn condition(&self, name: &str, at: &str, depth: usize) -> Result<bool, TemplateError> {
        let definition = self
            .root
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| TemplateError::Missing(format!("Conditions.{name} (named at {at})")))?;
        self.condition_value(definition, &format!("Conditions.{name}"), depth + 1)
    }

    /// `!Equals`, `!Not`, `!And`, `!Or` and `!Condition`, the condition
    /// functions CloudFormation has.
    fn condition_value(
        &self,
        value: &Value,
        at: &str,
        depth: usize,
    ) -> Result<bool, TemplateError> {
        // Conditions naming each other in a loop would never end.
        if depth > MAX_CONDITION_DEPTH {
            return Err(TemplateError::Invalid {
                at: at.to_owned(),
                problem: "conditions nest too deep (a loop?)".into(),
            });
        }
        let invalid = |problem: &str| TemplateError::Invalid {
            at: at.to_owned(),
            problem: problem.to_owned(),
        };
        let (function, argument) = intrinsic(value)
            .ok_or_else(|| invalid("expected !Equals, !Not, !And, !Or or !Condition"))?;
        let each = |items: &[Value]| -> Result<Vec<bool>, TemplateError> {
            items
                .iter()
                .map(|item| self.condition_value(item, at, depth + 1))
                .collect()
        };
        match function.as_str() {
            "Fn::Equals" => match sequence(argument, at)? {
                [a, b] => Ok(self.text(a, at)? == self.text(b, at)?),
                _ => Err(invalid("!Equals needs two values")),
            },
            "Fn::Not" => match sequence(argument, at)? {
                [inner] => Ok(!self.condition_value(inner, at, depth + 1)?),
                _ => Err(invalid("!Not needs one condition")),
            },
            "Fn::And" => Ok(each(sequence(argument, at)?)?.into_iter().all(|b| b)),
            "Fn::Or" => Ok(each(sequence(argument, at)?)?.into_iter().any(|b| b)),
            "Condition" => {
                let name = plain_str(Some(argument))
                    .ok_or_else(|| invalid("!Condition needs a condition name"))?;
                self.condition(name, at, depth)
            }
            _ => Err(invalid("expected !Equals, !Not, !And, !Or or !Condition")),
        }
    }

    /// `!Ref name`: a parameter's value (its override, else its default) or
    /// a resource server's identifier.
    fn reference(&self, name: &str, at: &str) -> Result<String, TemplateError> {
        if let Some(value) = self.overrides.get(name) {
            return Ok(value.clone());
        }
        let parameter = self.root.get("Parameters").and_then(|p| p.get(name));
        if let Some(parameter) = parameter {
            let default = parameter
                .get("Default")
                .ok_or_else(|| TemplateError::Unresolvable {
                    at: at.to_owned(),
                    reference: format!("parameter {name} (no Default)"),
                })?;
            return self.text(default, &format!("Parameters.{name}.Default"));
        }
        if let Some(properties) = self.resource_server(name) {
            let id = name;
            let identifier = properties
                .get("Identifier")
                .ok_or_else(|| TemplateError::Missing(format!("{id}.Identifier")))?;
            return self.text(identifier, &format!("{id}.Identifier"));
        }
        Err(TemplateError::Unresolvable {
            at: at.to_owned(),
            reference: format!("!Ref {name}"),
        })
    }

    /// `!Sub "text"` or `!Sub ["text", {Var: value}]`.
    fn sub(&self, argument: &Value, at: &str) -> Result<String, TemplateError> {
        let (text, variables) = match argument {
            Value::Sequence(items) => match items.as_slice() {
                [text, Value::Mapping(vars)] => (text, Some(vars)),
                _ => {
                    return Err(TemplateError::Invalid {
                        at: at.to_owned(),
                        problem: "!Sub list must be [text, variables]".into(),
                    });
                }
            },
            other => (other, None),
        };
        let text = plain_str(Some(text)).ok_or_else(|| TemplateError::Invalid {
            at: at.to_owned(),
            problem: "!Sub needs a string".into(),
        })?;
        let mut out = String::with_capacity(text.len());
        for piece in sub_pieces(text) {
            match piece {
                SubPiece::Text(t) => out.push_str(t),
                SubPiece::Escaped(name) => {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
                SubPiece::Variable(name) => {
                    let bound = variables.and_then(|v| v.get(name));
                    let resolved = match bound {
                        Some(value) => self.text(value, at)?,
                        None if name.contains('.') || name.starts_with("AWS::") => {
                            return Err(TemplateError::Unresolvable {
                                at: at.to_owned(),
                                reference: format!("${{{name}}}"),
                            });
                        }
                        None => self.reference(name, at)?,
                    };
                    out.push_str(&resolved);
                }
            }
        }
        Ok(out)
    }
}

/// A part of a `!Sub` string.
enum SubPiece<'a> {
    Text(&'a str),
    /// `${Name}` or `${Resource.Attribute}`.
    Variable(&'a str),
    /// `${!Literal}`, which CloudFormation writes as `${Literal}`.
    Escaped(&'a str),
}

fn sub_pieces(text: &str) -> Vec<SubPiece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        if start > 0 {
            pieces.push(SubPiece::Text(&rest[..start]));
        }
        let name = &rest[start + 2..start + 2 + len];
        pieces.push(match name.strip_prefix('!') {
            Some(literal) => SubPiece::Escaped(literal),
            None => SubPiece::Variable(name.trim()),
        });
        rest = &rest[start + 3 + len..];
    }
    if !rest.is_empty() {
        pieces.push(SubPiece::Text(rest));
    }
    pieces
}

/// The intrinsic function a value applies, as `(long name, argument)`:
/// `!Sub x` and `{Fn::Sub: x}` both give `("Fn::Sub", x)`.
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.strip_prefix('!').unwrap_or(&tag);
            let long = if name == "Ref" || name == "Condition" {
                name.to_owned()
            } else {
                format!("Fn::{name}")
            };
            Some((long, &tagged.value))
        }
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next()?;
            let key = plain_str(Some(key))?;
            (key == "Ref" || key.starts_with("Fn::")).then(|| (key.to_owned(), argument))
        }
        _ => None,
    }
}

/// The text of a `!Sub "text"` (the one-argument form), unresolved.
pub(crate) fn sub_text(value: &Value) -> Option<&str> {
    match intrinsic(value)? {
        (name, argument) if name == "Fn::Sub" => plain_str(Some(argument)),
        _ => None,
    }
}

/// The target of a `!Ref`.
pub(crate) fn ref_target(value: &Value) -> Option<&str> {
    match intrinsic(value)? {
        (name, argument) if name == "Ref" => plain_str(Some(argument)),
        _ => None,
    }
}

/// `(resource, attribute)` of a `!GetAtt`, in either argument form.
pub(crate) fn get_att(value: &Value) -> Option<(String, String)> {
    let (name, argument) = intrinsic(value)?;
    if name != "Fn::GetAtt" {
        return None;
    }
    match argument {
        Value::Sequence(items) => match items.as_slice() {
            [resource, attribute] => Some((
                plain_str(Some(resource))?.to_owned(),
                plain_str(Some(attribute))?.to_owned(),
            )),
            _ => None,
        },
        other => {
            let (resource, attribute) = plain_str(Some(other))?.split_once('.')?;
            Some((resource.to_owned(), attribute.to_owned()))
        }
    }
}

/// Every `!GetAtt` and `${X.Attr}` under `value`.
pub(crate) fn collect_attributes(value: &Value, out: &mut Vec<(String, String)>) {
    if let Some(pair) = get_att(value) {
        out.push(pair);
        return;
    }
    if let Some((name, argument)) = intrinsic(value) {
        if name == "Fn::Sub" {
            let text = match argument {
                Value::Sequence(items) => items.first(),
                other => Some(other),
            };
            for piece in sub_pieces(plain_str(text).unwrap_or_default()) {
                if let SubPiece::Variable(v) = piece
                    && let Some((resource, attribute)) = v.split_once('.')
                {
                    out.push((resource.to_owned(), attribute.to_owned()));
                }
            }
        }
        collect_attributes(argument, out);
        return;
    }
    match value {
        Value::Sequence(items) => items.iter().for_each(|v| collect_attributes(v, out)),
        Value::Mapping(map) => map.values().for_each(|v| collect_attributes(v, out)),
        _ => {}
    }
}

/// Every logical id referenced by `!Ref` or `${Name}` under `value`
/// (pseudo parameters excluded), each once, in order of appearance.
pub(crate) fn collect_references(value: &Value, out: &mut Vec<String>) {
    let mut push = |name: &str| {
        if !name.starts_with("AWS::") && !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    };
    if let Some((name, argument)) = intrinsic(value) {
        match name.as_str() {
            "Ref" => {
                if let Some(target) = plain_str(Some(argument)) {
                    push(target);
                }
                return;
            }
            "Fn::Sub" => {
                let text = match argument {
                    Value::Sequence(items) => items.first(),
                    other => Some(other),
                };
                for piece in sub_pieces(plain_str(text).unwrap_or_default()) {
                    if let SubPiece::Variable(v) = piece {
                        push(v.split('.').next().unwrap_or(v));
                    }
                }
            }
            _ => {}
        }
        collect_references(argument, out);
        return;
    }
    match value {
        Value::Sequence(items) => items.iter().for_each(|v| collect_references(v, out)),
        Value::Mapping(map) => map.values().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

/// A string that is not behind a tag (`as_str` alone would see through
/// `!Ref X` and return `X`).
pub(crate) fn plain_str(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

pub(crate) fn key_text<'a>(key: &'a Value, at: &str) -> Result<&'a str, TemplateError> {
    plain_str(Some(key)).ok_or_else(|| TemplateError::Invalid {
        at: at.to_owned(),
        problem: "expected string keys".into(),
    })
}

pub(crate) fn sequence<'a>(value: &'a Value, at: &str) -> Result<&'a [Value], TemplateError> {
    match value {
        Value::Sequence(items) => Ok(items),
        _ => Err(TemplateError::Invalid {
            at: at.to_owned(),
            problem: "expected a list".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_picks_the_branch_its_condition_gives() {
        let root: Value = yaml_serde::from_str(
            "Parameters:\n  V: {Type: String, Default: NONE}\n\
             Conditions:\n  On: !Not [!Equals [!Ref V, NONE]]\n\
             \x20 Both: !And [!Condition On, !Or [!Equals [a, b], !Equals [c, c]]]\n\
             \x20 Loop: !Condition Loop\n",
        )
        .unwrap();
        let value = |text: &str| -> Value { yaml_serde::from_str(text).unwrap() };
        // (parameter V, the value, the chosen text or None, or an error's start)
        type Case<'a> = (&'a str, &'a str, Result<Option<&'a str>, &'a str>);
        let cases: [Case; 6] = [
            ("NONE", "!If [On, yes, !Ref AWS::NoValue]", Ok(None)),
            ("V2_0", "!If [On, yes, !Ref AWS::NoValue]", Ok(Some("yes"))),
            ("V2_0", "!If [Both, yes, no]", Ok(Some("yes"))),
            ("V2_0", "plain", Ok(Some("plain"))),
            (
                "V2_0",
                "!If [Nope, yes, no]",
                Err("Conditions.Nope (named at x) is missing"),
            ),
            (
                "V2_0",
                "!If [Loop, yes, no]",
                Err("Conditions.Loop: conditions nest too deep"),
            ),
        ];
        for (parameter, text, want) in cases {
            let overrides = BTreeMap::from([("V".to_string(), parameter.to_string())]);
            let resolver = Resolver {
                root: &root,
                overrides: &overrides,
            };
            let input = value(text);
            let got = resolver
                .chosen(&input, "x")
                .map(|v| v.and_then(|v| plain_str(Some(v))).map(str::to_owned))
                .map_err(|e| e.to_string());
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got.as_deref(), want, "{parameter} {text}"),
                (Err(got), Err(start)) => assert!(got.starts_with(start), "{text}: {got}"),
                (got, want) => panic!("{parameter} {text}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn sub_pieces_split_variables_and_escapes() {
        let pieces: Vec<String> = sub_pieces("a${B}c${!D}${ E }${unclosed")
            .into_iter()
            .map(|p| match p {
                SubPiece::Text(t) => format!("T{t}"),
                SubPiece::Variable(v) => format!("V{v}"),
                SubPiece::Escaped(e) => format!("E{e}"),
            })
            .collect();
        assert_eq!(pieces, ["Ta", "VB", "Tc", "ED", "VE", "T${unclosed"]);
    }
}
