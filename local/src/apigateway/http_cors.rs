//! An HTTP API's CORS, from its `CorsConfiguration`: API Gateway answers
//! preflights itself (204, before routing and without the authorizer) and
//! puts the CORS headers on every answer to an allowed origin, its own 401,
//! 403, 404 and 500 included, replacing any the backend sent.

use hyper::HeaderMap;

use crate::template::http_api::HttpCorsSpec;

/// The CORS headers API Gateway owns once CORS is configured: a backend's
/// are dropped ("API Gateway ignores CORS headers returned from your
/// backend integration").
const OWNED: [&str; 6] = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
];

/// An HTTP API's CORS configuration, ready to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCors {
    spec: HttpCorsSpec,
}

impl HttpCors {
    /// CORS as `spec` configures it.
    pub fn new(spec: HttpCorsSpec) -> Self {
        Self { spec }
    }

    /// True for a CORS preflight: `OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`.
    pub fn is_preflight(method: &str, headers: &HeaderMap) -> bool {
        method == "OPTIONS"
            && headers.contains_key("origin")
            && headers.contains_key("access-control-request-method")
    }

    /// The `Access-Control-Allow-Origin` value for the request's `Origin`,
    /// if it is allowed: the origin itself, or `*` when every origin is
    /// allowed without credentials.
    fn allowed_origin(&self, headers: &HeaderMap) -> Option<String> {
        let origin = headers.get("origin")?.to_str().ok()?;
        let any = self.spec.allow_origins.iter().any(|o| o == "*");
        if any && !self.spec.allow_credentials {
            return Some("*".to_owned());
        }
        (any || self.spec.allow_origins.iter().any(|o| o == origin)).then(|| origin.to_owned())
    }

    /// The headers of API Gateway's 204 answer to a preflight: none for an
    /// origin that is not allowed (the browser then refuses the request).
    pub fn preflight_headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        let Some(origin) = self.allowed_origin(headers) else {
            return Vec::new();
        };
        let mut out = vec![("access-control-allow-origin".to_owned(), origin)];
        if self.spec.allow_credentials {
            out.push((
                "access-control-allow-credentials".to_owned(),
                "true".to_owned(),
            ));
        }
        let requested = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        // `*` allows whatever the browser asks for.
        let list = |configured: &[String], asked: &str| -> Option<String> {
            if configured.iter().any(|v| v == "*") {
                requested(asked).or_else(|| Some("*".to_owned()))
            } else {
                (!configured.is_empty()).then(|| configured.join(","))
            }
        };
        if let Some(methods) = list(&self.spec.allow_methods, "access-control-request-method") {
            out.push(("access-control-allow-methods".to_owned(), methods));
        }
        if let Some(allowed) = list(&self.spec.allow_headers, "access-control-request-headers") {
            out.push(("access-control-allow-headers".to_owned(), allowed));
        }
        if let Some(max_age) = self.spec.max_age {
            out.push(("access-control-max-age".to_owned(), max_age.to_string()));
        }
        out
    }

    /// The headers on every other answer to an allowed origin.
    pub fn response_headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        let Some(origin) = self.allowed_origin(headers) else {
            return Vec::new();
        };
        let mut out = vec![("access-control-allow-origin".to_owned(), origin)];
        if self.spec.allow_credentials {
            out.push((
                "access-control-allow-credentials".to_owned(),
                "true".to_owned(),
            ));
        }
        if !self.spec.expose_headers.is_empty() {
            out.push((
                "access-control-expose-headers".to_owned(),
                self.spec.expose_headers.join(","),
            ));
        }
        out
    }

    /// `answer`'s headers without the CORS headers API Gateway owns, then
    /// its own for the request.
    pub fn apply(&self, answer: &mut Vec<(String, String)>, request: &HeaderMap) {
        answer.retain(|(name, _)| !OWNED.iter().any(|o| name.eq_ignore_ascii_case(o)));
        answer.extend(self.response_headers(request));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors() -> HttpCors {
        HttpCors::new(HttpCorsSpec {
            allow_origins: vec!["http://localhost:8080".into()],
            allow_headers: vec!["Authorization".into(), "Content-Type".into()],
            allow_methods: vec!["GET".into(), "POST".into(), "OPTIONS".into()],
            expose_headers: Vec::new(),
            max_age: Some(600),
            allow_credentials: false,
        })
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn preflights_are_options_with_origin_and_requested_method() {
        let cases = [
            (
                "OPTIONS",
                &[("origin", "o"), ("access-control-request-method", "GET")][..],
                true,
            ),
            ("OPTIONS", &[("origin", "o")][..], false),
            (
                "OPTIONS",
                &[("access-control-request-method", "GET")][..],
                false,
            ),
            (
                "GET",
                &[("origin", "o"), ("access-control-request-method", "GET")][..],
                false,
            ),
        ];
        for (method, pairs, expected) in cases {
            assert_eq!(
                HttpCors::is_preflight(method, &headers(pairs)),
                expected,
                "{method} {pairs:?}"
            );
        }
    }

    #[test]
    fn preflights_get_the_configured_lists_for_allowed_origins_only() {
        let allowed = headers(&[
            ("origin", "http://localhost:8080"),
            ("access-control-request-method", "POST"),
        ]);
        assert_eq!(
            cors().preflight_headers(&allowed),
            owned(&[
                ("access-control-allow-origin", "http://localhost:8080"),
                ("access-control-allow-methods", "GET,POST,OPTIONS"),
                ("access-control-allow-headers", "Authorization,Content-Type"),
                ("access-control-max-age", "600"),
            ])
        );
        let other = headers(&[
            ("origin", "http://evil.example"),
            ("access-control-request-method", "POST"),
        ]);
        assert!(cors().preflight_headers(&other).is_empty());
    }

    #[test]
    fn wildcards_allow_any_origin_and_echo_what_is_asked() {
        let any = HttpCors::new(HttpCorsSpec {
            allow_origins: vec!["*".into()],
            allow_headers: vec!["*".into()],
            allow_methods: vec!["*".into()],
            ..HttpCorsSpec::default()
        });
        let request = headers(&[
            ("origin", "http://a.example"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "x-a"),
        ]);
        assert_eq!(
            any.preflight_headers(&request),
            owned(&[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "PUT"),
                ("access-control-allow-headers", "x-a"),
            ])
        );
    }

    #[test]
    fn answers_get_api_gateways_cors_headers_instead_of_the_backends() {
        let mut answer = owned(&[
            ("content-type", "application/json"),
            ("Access-Control-Allow-Origin", "http://backend.example"),
        ]);
        cors().apply(
            &mut answer,
            &headers(&[("origin", "http://localhost:8080")]),
        );
        assert_eq!(
            answer,
            owned(&[
                ("content-type", "application/json"),
                ("access-control-allow-origin", "http://localhost:8080"),
            ])
        );
        let mut answer = owned(&[("Access-Control-Allow-Origin", "*")]);
        cors().apply(&mut answer, &HeaderMap::new());
        assert!(answer.is_empty(), "no Origin: no CORS headers");
    }
}
