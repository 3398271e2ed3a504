//! Route tables of the template's shape, for tests and benchmarks that
//! need the real routes or many more of them.

use serde_json::{Value, json};

/// The template's routes, with its resource-server identifiers.
pub const ROUTE_SCOPES: &str = r#"{"GET /awesomeapi":["awesomeapi-resource-server/awesomeapi.read"],"GET /book":["API/book.get"],"POST /book":["API/book.post"],"GET /user":["API/user.get"],"POST /user":["API/user.post"]}"#;
/// A route table of `n` routes (at least the template's five) of the
/// template's shape: the template's routes, then `GET /resource<i>` and
/// `GET /resource<i>/{id}` pairs, each with its own scope.
pub fn route_scopes(n: usize) -> String {
    let mut table: serde_json::Map<String, Value> =
        serde_json::from_str(ROUTE_SCOPES).unwrap_or_default();
    let mut i = 0;
    while table.len() < n {
        let key = if i % 2 == 0 {
            format!("GET /resource{}", i / 2)
        } else {
            format!("GET /resource{}/{{id}}", i / 2)
        };
        table.insert(key, json!([format!("API/resource{}.read", i / 2)]));
        i += 1;
    }
    Value::Object(table).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tables_have_the_size_asked_for_and_keep_the_template_routes() {
        for n in [5, 10, 1000] {
            let table = shared::RouteTable::from_json(&route_scopes(n)).unwrap();
            assert_eq!(table.routes().len(), n);
            assert!(table.find("GET", "book").is_some());
        }
    }
}
