//! The stage in an HTTP API request's path.
//!
//! A REST API's proxy event carries the resource path without the stage. An
//! HTTP API's payload 2.0 events carry `rawPath` as the client sent it,
//! which starts with `/<stage>` on a named stage (not on `$default`). The
//! authorizer (for a `$default` route) and the handler both need the path the
//! routes are written for; this is the one place that strips it.

/// The stage that has no path segment of its own.
pub const DEFAULT_STAGE: &str = "$default";

/// `raw_path` without a leading `/<stage>` segment, when `stage` is a named
/// stage and the path starts with it; otherwise `raw_path` as it is.
pub fn path_without_stage<'a>(raw_path: &'a str, stage: Option<&str>) -> &'a str {
    let Some(stage) = stage.filter(|s| !s.is_empty() && *s != DEFAULT_STAGE) else {
        return raw_path;
    };
    match raw_path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(stage))
    {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => raw_path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_stage_is_stripped_once_and_only_as_a_whole_segment() {
        let cases = [
            ("/prod/book", Some("prod"), "/book"),
            ("/prod", Some("prod"), "/"),
            ("/prod/", Some("prod"), "/"),
            ("/prod/prod/book", Some("prod"), "/prod/book"),
            ("/book", Some("prod"), "/book"),
            ("/production/book", Some("prod"), "/production/book"),
            ("/prod/book", Some("$default"), "/prod/book"),
            ("/prod/book", None, "/prod/book"),
            ("/prod/book", Some(""), "/prod/book"),
            ("", Some("prod"), ""),
        ];
        for (raw, stage, expected) in cases {
            assert_eq!(path_without_stage(raw, stage), expected, "{raw} {stage:?}");
        }
    }
}
