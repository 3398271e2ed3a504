//! Which browser origins may read the API's answers (CORS), and the headers
//! that say so.
//!
//! API Gateway's own answers (preflights, 401, 403, 5xx) get their CORS
//! headers from the template; answers of a Lambda proxy integration must
//! carry them themselves. This is the one place that decides them for the
//! handler (and for anything else that answers as the API).

use thiserror::Error;

/// The `Access-Control-Allow-Origin` header's name.
pub const ALLOW_ORIGIN: &str = "access-control-allow-origin";

/// An entry of an origin list that is not an origin.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum OriginError {
    /// Not `http(s)://host[:port]` in the form browsers send.
    #[error(
        "{0:?} is not an origin (lower-case http:// or https://, a host, an optional :port, no path or trailing slash)"
    )]
    NotAnOrigin(String),
    /// `*` together with named origins.
    #[error("\"*\" cannot be combined with other origins")]
    WildcardInList,
}

/// The origins whose scripts may read the API's answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AllowedOrigins {
    /// No browser origin: answers carry no CORS headers.
    #[default]
    None,
    /// Every origin (`*`): the same header on every answer.
    Any,
    /// Exactly these origins; an allowed request origin is echoed.
    List(Vec<String>),
}

/// The CORS headers for one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorsHeaders<'a> {
    /// The `Access-Control-Allow-Origin` value, when the origin may read the answer.
    pub allow_origin: Option<&'a str>,
    /// Whether to send `Vary: Origin`.
    pub vary_origin: bool,
}

impl AllowedOrigins {
    /// Parses a comma-separated list of origins (`http://localhost:8080,https://app.example.com`),
    /// or `*`. Blank means [`AllowedOrigins::None`].
    pub fn parse(value: &str) -> Result<Self, OriginError> {
        let entries: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        match entries.as_slice() {
            [] => Ok(Self::None),
            ["*"] => Ok(Self::Any),
            _ if entries.contains(&"*") => Err(OriginError::WildcardInList),
            _ => entries
                .iter()
                .map(|e| {
                    is_origin(e)
                        .then(|| (*e).to_string())
                        .ok_or_else(|| OriginError::NotAnOrigin((*e).to_string()))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Self::List),
        }
    }

    /// The headers for an answer to a request whose `Origin` header is `origin`.
    ///
    /// A listed origin is echoed; any other gets no `Access-Control-Allow-Origin`.
    /// Whenever the answer depends on the request's origin, it says
    /// `Vary: Origin`, also when it carries no allow header: otherwise a cache
    /// (the browser's own included) could hand an answer made for one origin,
    /// or for a request without one, to another (Fetch standard, "CORS protocol
    /// and HTTP caches").
    pub fn headers_for<'a>(&'a self, origin: Option<&'a str>) -> CorsHeaders<'a> {
        match self {
            Self::None => CorsHeaders {
                allow_origin: None,
                vary_origin: false,
            },
            Self::Any => CorsHeaders {
                allow_origin: Some("*"),
                vary_origin: false,
            },
            Self::List(origins) => CorsHeaders {
                allow_origin: origin.filter(|o| origins.iter().any(|a| a == o)),
                vary_origin: true,
            },
        }
    }
}

/// True for `scheme://host[:port]` as a browser serializes an origin.
fn is_origin(value: &str) -> bool {
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return false;
    };
    // An IPv6 host is bracketed and holds colons itself.
    let (host_ok, port) = match rest.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((v6, after)) => (
                !v6.is_empty()
                    && v6
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
                after,
            ),
            None => return false,
        },
        None => {
            let end = rest.find(':').unwrap_or(rest.len());
            let host = &rest[..end];
            let host_ok = !host.is_empty()
                && host.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            (host_ok, &rest[end..])
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_wildcard_and_blank() {
        let cases: [(&str, Result<AllowedOrigins, OriginError>); 9] = [
            ("", Ok(AllowedOrigins::None)),
            (" , ", Ok(AllowedOrigins::None)),
            ("*", Ok(AllowedOrigins::Any)),
            (
                "http://localhost:8080",
                Ok(AllowedOrigins::List(vec!["http://localhost:8080".into()])),
            ),
            (
                " http://localhost:8080 , https://app.example.com ",
                Ok(AllowedOrigins::List(vec![
                    "http://localhost:8080".into(),
                    "https://app.example.com".into(),
                ])),
            ),
            (
                "http://[::1]:3000",
                Ok(AllowedOrigins::List(vec!["http://[::1]:3000".into()])),
            ),
            ("*,http://a.example", Err(OriginError::WildcardInList)),
            (
                "http://localhost:8080/",
                Err(OriginError::NotAnOrigin("http://localhost:8080/".into())),
            ),
            (
                "localhost:8080",
                Err(OriginError::NotAnOrigin("localhost:8080".into())),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(AllowedOrigins::parse(value), expected, "{value:?}");
        }
    }

    #[test]
    fn refuses_what_a_browser_never_sends_as_origin() {
        for bad in [
            "ftp://a.example",
            "http://",
            "http://A.example",
            "HTTP://a.example",
            "http://a.example:",
            "http://a.example:80a",
            "http://a.example/path",
            "http://a.example?x",
            "http://user@a.example",
            "'http://a.example'",
            "http://a.example:123456",
        ] {
            assert!(
                matches!(AllowedOrigins::parse(bad), Err(OriginError::NotAnOrigin(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn echoes_listed_origins_and_varies_on_origin() {
        let list = AllowedOrigins::parse("http://localhost:8080,https://app.example.com").unwrap();
        let one = AllowedOrigins::parse("http://localhost:8080").unwrap();
        let cases = [
            (
                &list,
                Some("http://localhost:8080"),
                Some("http://localhost:8080"),
                true,
            ),
            (
                &list,
                Some("https://app.example.com"),
                Some("https://app.example.com"),
                true,
            ),
            (&list, Some("http://localhost:3000"), None, true),
            (&list, Some("http://localhost:8080/"), None, true),
            (&list, None, None, true),
            (
                &one,
                Some("http://localhost:8080"),
                Some("http://localhost:8080"),
                true,
            ),
            (&one, Some("http://127.0.0.1:8080"), None, true),
            (&one, Some("null"), None, true),
            (
                &AllowedOrigins::Any,
                Some("http://x.example"),
                Some("*"),
                false,
            ),
            (&AllowedOrigins::Any, None, Some("*"), false),
            (
                &AllowedOrigins::None,
                Some("http://localhost:8080"),
                None,
                false,
            ),
        ];
        for (origins, origin, allow, vary) in cases {
            assert_eq!(
                origins.headers_for(origin),
                CorsHeaders {
                    allow_origin: allow,
                    vary_origin: vary
                },
                "{origins:?} {origin:?}"
            );
        }
    }
}
