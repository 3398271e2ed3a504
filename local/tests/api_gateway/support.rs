//! What the fronts' suites share: a clock the tests move, an invoker whose
//! authorizer and handler are scripts and which records every call, and an
//! answer's headers read back.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use local::{Clock, FrontResponse, Invocation, InvokeError, Invoker};
use serde_json::Value;

/// What a scripted function answers.
pub type Answer = Result<Invocation, InvokeError>;

/// A script standing in for a function: the event in, its outcome out.
pub type Script = Box<dyn Fn(&Value) -> Answer + Send + Sync>;

/// A clock tests move by hand, so that cache TTLs are exact.
#[derive(Clone)]
pub struct FakeClock(Arc<Mutex<Instant>>);

impl FakeClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for FakeClock {
    fn unix_secs(&self) -> i64 {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        i64::try_from(since.as_secs()).unwrap()
    }

    fn monotonic(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

/// The functions behind a front: the function named `authorizer` runs
/// `authorizer`, every other one `handler`; each call is recorded.
pub struct FakeInvoker {
    pub authorizer: Script,
    pub handler: Script,
    pub calls: Mutex<Vec<(String, Value)>>,
}

impl FakeInvoker {
    pub fn new(
        authorizer: impl Fn(&Value) -> Answer + Send + Sync + 'static,
        handler: impl Fn(&Value) -> Answer + Send + Sync + 'static,
    ) -> Self {
        Self {
            authorizer: Box::new(authorizer),
            handler: Box::new(handler),
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The events `function` was sent, in order.
    pub fn calls_to(&self, function: &str) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

impl Invoker for FakeInvoker {
    async fn invoke(&self, function: &str, event: &Value) -> Answer {
        self.calls
            .lock()
            .unwrap()
            .push((function.to_string(), event.clone()));
        if function == "authorizer" {
            (self.authorizer)(event)
        } else {
            (self.handler)(event)
        }
    }
}

/// A header of an answer, by name in any case.
pub fn header<'a>(response: &'a FrontResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
