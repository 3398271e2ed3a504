//! Structured logs as Lambda's advanced logging controls configure them:
//! JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`, level from `AWS_LAMBDA_LOG_LEVEL`
//! (or `RUST_LOG`), INFO otherwise.
//!
//! The same output as `lambda_runtime`'s `init_default_subscriber`, without
//! the `env-filter`/`regex` dependency it needs for per-module directives
//! (0.26 MB of the package); a plain level is all a single-purpose function needs.
//! The authorizer and the pre-token-generation trigger both call it.

use tracing_subscriber::filter::LevelFilter;

/// Installs the global subscriber; call once at start-up.
pub fn init() {
    let env = |name: &str| std::env::var(name).ok();
    let level = level(
        env("AWS_LAMBDA_LOG_LEVEL")
            .or_else(|| env("RUST_LOG"))
            .as_deref(),
    );
    let json = env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level);
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// The level named by `value` (any case, e.g. `debug`), or INFO.
fn level(value: Option<&str>) -> LevelFilter {
    value
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_falls_back_to_info() {
        let cases = [
            (None, LevelFilter::INFO),
            (Some("DEBUG"), LevelFilter::DEBUG),
            (Some("warn"), LevelFilter::WARN),
            (Some("off"), LevelFilter::OFF),
            (Some("authorizer=debug"), LevelFilter::INFO),
            (Some("loud"), LevelFilter::INFO),
        ];
        for (value, expected) in cases {
            assert_eq!(level(value), expected, "{value:?}");
        }
    }
}
