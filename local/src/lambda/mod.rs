//! AWS Lambda: running the functions (`cargo lambda watch`), invoking them,
//! stopping their process trees, and a Runtime API emulator for measurements.

pub mod invoke;
pub mod watch;
