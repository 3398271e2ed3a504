//! The HTTP methods a route names, with API Gateway's `ANY`, and what each
//! one serves and writes in a policy.

/// HTTP methods API Gateway routes on, plus `ANY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Every method.
    Any,
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// Every concrete method (not `ANY`).
    pub const CONCRETE: [Method; 7] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
    ];

    /// Parses an upper-case method name, as API Gateway writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "ANY" => Method::Any,
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }

    /// The method's name (`ANY` for [`Method::Any`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Any => "ANY",
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// How the method appears in an execute-api ARN (`*` for `ANY`).
    pub fn arn_str(self) -> &'static str {
        match self {
            Method::Any => "*",
            other => other.as_str(),
        }
    }

    /// True if a request with `method` is served by a route with this one.
    pub(super) fn matches(self, method: &str) -> bool {
        match self {
            // API Gateway's ANY: the concrete methods, not any string.
            Method::Any => Method::parse(method).is_some_and(|m| m != Method::Any),
            named => named.as_str() == method,
        }
    }

    /// The concrete methods a route with this method serves.
    pub(super) fn served(self) -> &'static [Method] {
        match self {
            Method::Any => &Method::CONCRETE,
            Method::Get => &[Method::Get],
            Method::Post => &[Method::Post],
            Method::Put => &[Method::Put],
            Method::Patch => &[Method::Patch],
            Method::Delete => &[Method::Delete],
            Method::Head => &[Method::Head],
            Method::Options => &[Method::Options],
        }
    }

    /// True if some request is served by both methods.
    pub(super) fn meets(self, other: Method) -> bool {
        self == other || self == Method::Any || other == Method::Any
    }

    /// The policy pattern of the API's root path for this method, e.g. `GET/`.
    pub(super) fn root_pattern(self) -> &'static str {
        match self {
            Method::Any => "*/",
            Method::Get => "GET/",
            Method::Post => "POST/",
            Method::Put => "PUT/",
            Method::Patch => "PATCH/",
            Method::Delete => "DELETE/",
            Method::Head => "HEAD/",
            Method::Options => "OPTIONS/",
        }
    }
}
