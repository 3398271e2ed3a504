//! Authorizer events (TOKEN and REQUEST JSON) through the whole decision:
//! event parsing, `Bearer` stripping, token checks, method ARN, policy.
#![no_main]

use std::sync::OnceLock;

use authorizer::{Authorizer, KeySet};
use libfuzzer_sys::fuzz_target;

fn setup() -> &'static (Authorizer, KeySet) {
    static SETUP: OnceLock<(Authorizer, KeySet)> = OnceLock::new();
    SETUP.get_or_init(|| (fuzz::authorizer(), KeySet::default()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(event) = authorizer::event::parse(text) {
        let _ = authorizer::event::bearer_token(&event.authorization);
    }
    let (authorizer, keys) = setup();
    if let Ok(decision) = authorizer.decide(text, keys, 1_750_000_000) {
        let _ = authorizer::policy::response(decision, authorizer.routes());
    }
});
