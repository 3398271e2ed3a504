//! The answers API Gateway makes without calling a function, as the
//! template configures them: the headers `GatewayResponses` add to its own
//! errors, and the CORS preflight `OPTIONS` mock SAM generates from `Cors`.

use hyper::HeaderMap;
use shared::{Method, RouteTable};

pub use crate::template::api_responses::{
    CorsPreflight, GatewayResponses, MappedValue, PREFLIGHT_BODY, REQUEST_TOO_LARGE,
};

impl MappedValue {
    /// The value for a request with `headers`.
    pub fn value<'a>(&'a self, headers: &'a HeaderMap) -> Option<&'a str> {
        match self {
            Self::Static(text) => Some(text),
            Self::RequestHeader(name) => headers.get(name).and_then(|v| v.to_str().ok()),
        }
    }
}

impl GatewayResponses {
    /// The headers the template adds to an answer of `response_type` with
    /// `status`: that type's own entry, else `DEFAULT_4XX`/`DEFAULT_5XX` for
    /// its status class. `REQUEST_TOO_LARGE` gets none: API Gateway does not
    /// apply customizations to it.
    pub fn headers_for(
        &self,
        response_type: &str,
        status: u16,
        request: &HeaderMap,
    ) -> Vec<(String, String)> {
        if response_type == REQUEST_TOO_LARGE {
            return Vec::new();
        }
        let fallback = if status >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        let entry = self
            .entry(response_type)
            .or_else(|| self.entry(fallback))
            .unwrap_or_default();
        entry
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), value.value(request)?.to_string())))
            .collect()
    }

    fn entry(&self, response_type: &str) -> Option<&[(String, MappedValue)]> {
        self.by_type
            .iter()
            .find(|(t, _)| t == response_type)
            .map(|(_, headers)| headers.as_slice())
    }
}

impl CorsPreflight {
    /// The mock's headers for `resource`, in SAM's order. The origin is the
    /// configured one whatever the request's `Origin`: the mock does not
    /// compare them (the browser does). Without `AllowMethods`, SAM lists
    /// the resource's methods and `OPTIONS`, sorted.
    pub fn headers(
        &self,
        routes: &RouteTable,
        resource: &str,
        request: &HeaderMap,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut push = |name: &str, value: Option<&str>| {
            if let Some(value) = value {
                out.push((name.to_string(), value.to_string()));
            }
        };
        push(
            "Access-Control-Allow-Origin",
            self.allow_origin.value(request),
        );
        push(
            "Access-Control-Allow-Headers",
            self.allow_headers.as_ref().and_then(|v| v.value(request)),
        );
        let derived;
        let methods = match &self.allow_methods {
            Some(value) => value.value(request),
            None => {
                derived = derived_methods(routes, resource);
                Some(derived.as_str())
            }
        };
        push("Access-Control-Allow-Methods", methods);
        push(
            "Access-Control-Max-Age",
            self.max_age.as_ref().and_then(|v| v.value(request)),
        );
        if self.allow_credentials {
            push("Access-Control-Allow-Credentials", Some("true"));
        }
        out
    }
}

/// SAM's `AllowMethods` when the template gives none: the resource's
/// methods plus `OPTIONS` (every method for `ANY`), upper case, sorted.
fn derived_methods(routes: &RouteTable, resource: &str) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for route in routes.routes().iter().filter(|r| r.path == resource) {
        match route.method {
            Method::Any => methods.extend(Method::CONCRETE.iter().map(|m| m.as_str())),
            named => methods.push(named.as_str()),
        }
    }
    methods.push(Method::Options.as_str());
    methods.sort_unstable();
    methods.dedup();
    methods.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::sam::{ApiCors, GatewayResponseSpec};
    use hyper::header::HeaderValue;

    fn spec(kind: &str, headers: &[(&str, &str)]) -> GatewayResponseSpec {
        GatewayResponseSpec {
            response_type: kind.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn origin_request(origin: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_str(origin).unwrap());
        headers
    }

    #[test]
    fn mapping_expressions_are_static_or_request_headers() {
        let cases = [
            ("'http://a'", Ok(MappedValue::Static("http://a".into()))),
            (" '' ", Ok(MappedValue::Static(String::new()))),
            (
                "method.request.header.Origin",
                Ok(MappedValue::RequestHeader("origin".into())),
            ),
        ];
        for (expression, expected) in cases {
            assert_eq!(
                MappedValue::parse(expression, "X"),
                expected,
                "{expression}"
            );
        }
        for bad in [
            "http://a",
            "'unclosed",
            "method.request.header.",
            "context.x",
        ] {
            let error = MappedValue::parse(bad, "Cors.AllowOrigin").unwrap_err();
            assert!(
                error.to_string().starts_with("Cors.AllowOrigin: "),
                "{error}"
            );
        }
    }

    #[test]
    fn each_type_takes_its_entry_or_its_status_class_default() {
        let responses = GatewayResponses::from_specs(&[
            spec(
                "DEFAULT_4XX",
                &[("Access-Control-Allow-Origin", "'http://a'")],
            ),
            spec("DEFAULT_5XX", &[("X-Five", "'5'")]),
            spec(
                "UNAUTHORIZED",
                &[("X-Echo", "method.request.header.origin")],
            ),
            spec(REQUEST_TOO_LARGE, &[("X-Never", "'n'")]),
        ])
        .unwrap();
        let request = origin_request("http://b");
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        let cases = [
            (
                "MISSING_AUTHENTICATION_TOKEN",
                403,
                pairs(&[("Access-Control-Allow-Origin", "http://a")]),
            ),
            (
                "ACCESS_DENIED",
                403,
                pairs(&[("Access-Control-Allow-Origin", "http://a")]),
            ),
            ("UNAUTHORIZED", 401, pairs(&[("X-Echo", "http://b")])),
            (
                "AUTHORIZER_CONFIGURATION_ERROR",
                500,
                pairs(&[("X-Five", "5")]),
            ),
            ("DEFAULT_5XX", 502, pairs(&[("X-Five", "5")])),
            (REQUEST_TOO_LARGE, 413, vec![]),
        ];
        for (kind, status, expected) in cases {
            assert_eq!(
                responses.headers_for(kind, status, &request),
                expected,
                "{kind}"
            );
        }
        // A request header that is absent maps to no header.
        assert!(
            responses
                .headers_for("UNAUTHORIZED", 401, &HeaderMap::new())
                .is_empty()
        );
        assert!(
            GatewayResponses::default()
                .headers_for("UNAUTHORIZED", 401, &request)
                .is_empty()
        );
    }

    #[test]
    fn unknown_types_and_unmappable_values_are_refused() {
        let cases = [
            (
                spec("DEFAULT_4xx", &[]),
                "GatewayResponses.DEFAULT_4xx: not a gateway response type",
            ),
            (
                spec("UNAUTHORIZED", &[("A", "context.error")]),
                "GatewayResponses.UNAUTHORIZED.A: \"context.error\" is neither",
            ),
        ];
        for (bad, expected) in cases {
            let error = GatewayResponses::from_specs(&[bad])
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(expected), "{error}");
        }
    }

    fn cors(allow_methods: Option<&str>, allow_credentials: bool) -> CorsPreflight {
        CorsPreflight::from_spec(&ApiCors {
            allow_origin: "'http://localhost:8080'".into(),
            allow_headers: Some("'Authorization,Content-Type'".into()),
            allow_methods: allow_methods.map(str::to_string),
            max_age: Some("'600'".into()),
            allow_credentials,
            authorize_preflight: false,
        })
        .unwrap()
    }

    #[test]
    fn the_preflight_sends_the_configured_values_whatever_the_origin() {
        let routes = RouteTable::from_json(
            r#"{"GET /book":[],"POST /book":[],"ANY /files/{p+}":[],"DELETE /book/{id}":[]}"#,
        )
        .unwrap();
        let expected = |methods: &str| -> Vec<(String, String)> {
            [
                ("Access-Control-Allow-Origin", "http://localhost:8080"),
                ("Access-Control-Allow-Headers", "Authorization,Content-Type"),
                ("Access-Control-Allow-Methods", methods),
                ("Access-Control-Max-Age", "600"),
            ]
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
        };
        let cases = [
            (Some("'GET,POST,OPTIONS'"), "/book/{id}", "GET,POST,OPTIONS"),
            (None, "/book", "GET,OPTIONS,POST"),
            (None, "/book/{id}", "DELETE,OPTIONS"),
            (
                None,
                "/files/{p+}",
                "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT",
            ),
        ];
        for origin in ["http://localhost:8080", "http://evil.example"] {
            for (methods, resource, allow) in cases {
                assert_eq!(
                    cors(methods, false).headers(&routes, resource, &origin_request(origin)),
                    expected(allow),
                    "{origin} {resource}"
                );
            }
        }
        let with_credentials = cors(None, true).headers(&routes, "/book", &HeaderMap::new());
        assert_eq!(
            with_credentials.last(),
            Some(&(
                "Access-Control-Allow-Credentials".to_string(),
                "true".to_string()
            ))
        );
    }
}
