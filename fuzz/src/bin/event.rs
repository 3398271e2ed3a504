//! Authorizer events (REST TOKEN and REQUEST, HTTP API payload 2.0 JSON)
//! through the whole decision: event parsing, `Bearer` stripping, token
//! checks, method or route ARN, the route key, and every answer shape
//! (REST policy, simple answer, HTTP IAM policy, refusals).
#![no_main]

use std::sync::OnceLock;

use authorizer::config::HttpAnswers;
use authorizer::{Authorizer, KeySet, policy};
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
    let outline = authorizer::event::outline(text);
    for http in [HttpAnswers::Simple, HttpAnswers::Iam] {
        let _ = policy::refusal(outline.as_ref(), http);
    }
    let (authorizer, keys) = setup();
    for http in [HttpAnswers::Simple, HttpAnswers::Iam] {
        if let Ok(decision) = authorizer.decide(text, keys, 1_750_000_000) {
            let _ = policy::answer(decision, authorizer.routes(), http);
        }
    }
});
