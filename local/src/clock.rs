//! The dev stack's one clock: wall-clock seconds since the epoch, the unit
//! of every token claim (`iat`, `exp`, `auth_time`) and grant expiry;
//! milliseconds for events' request times; and a monotonic instant for the
//! API fronts' authorizer-cache TTLs, which must not jump with the wall
//! clock. One trait, so tests inject a time and the stack passes the
//! system's; any `Fn() -> i64` is a clock (of wall-clock seconds).

use std::time::Instant;

/// A source of the current time in seconds since the epoch.
pub trait Clock: Send + Sync + 'static {
    /// Now, in seconds since the epoch.
    fn unix_secs(&self) -> i64;

    /// Now, on a monotonic clock: what TTLs are measured on.
    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_secs(&self) -> i64 {
        unix_secs()
    }
}

impl<F: Fn() -> i64 + Send + Sync + 'static> Clock for F {
    fn unix_secs(&self) -> i64 {
        self()
    }
}

/// The system's time in seconds since the epoch (0 before it, which no
/// machine running this has).
pub fn unix_secs() -> i64 {
    since_epoch().map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The system's time in milliseconds since the epoch: events' `requestTimeEpoch`.
pub fn unix_millis() -> i64 {
    since_epoch().map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn since_epoch() -> Option<std::time::Duration> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
}
