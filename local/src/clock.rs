//! The dev stack's wall clock: seconds since the epoch, the unit of every
//! token claim (`iat`, `exp`, `auth_time`) and grant expiry, and
//! milliseconds for events' request times. One trait, so
//! the pool's tests inject a time and the stack passes the system's; any
//! `Fn() -> i64` is a clock.

/// A source of the current time in seconds since the epoch.
pub trait Clock: Send + Sync + 'static {
    /// Now, in seconds since the epoch.
    fn unix_secs(&self) -> i64;
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
