//! The `scope` claim: a space-separated list matched exactly and case-sensitively.

/// A view over a space-separated scope string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes<'a>(&'a str);

impl<'a> Scopes<'a> {
    /// Wraps a `scope` claim value.
    pub fn new(scope: &'a str) -> Self {
        Self(scope)
    }

    /// Each scope, in order; runs of spaces do not make empty scopes.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0.split(' ').filter(|s| !s.is_empty())
    }

    /// True if `scope` is one of the scopes, compared byte for byte.
    pub fn contains(&self, scope: &str) -> bool {
        self.iter().any(|s| s == scope)
    }

    /// The original string.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_exact_and_case_sensitive() {
        let cases = [
            ("API/book.get", "API/book.get", true),
            ("API/book.gets", "API/book.get", false),
            ("API/book.ge", "API/book.get", false),
            ("api/book.get", "API/book.get", false),
            ("openid API/book.get email", "API/book.get", true),
            ("openid  API/book.get", "API/book.get", true),
            ("", "API/book.get", false),
        ];
        for (scope, wanted, expected) in cases {
            assert_eq!(
                Scopes::new(scope).contains(wanted),
                expected,
                "{scope:?} ∋ {wanted:?}"
            );
        }
    }

    #[test]
    fn empty_scopes_yield_nothing() {
        assert_eq!(Scopes::new("  ").iter().count(), 0);
    }
}
