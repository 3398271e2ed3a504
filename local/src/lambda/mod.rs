//! AWS Lambda: running the functions (`cargo lambda watch`) and invoking
//! them. Their process trees are stopped with `testkit::process_tree`; the
//! Runtime API emulator for measurements is `testkit`'s too.

pub mod invoke;
pub mod watch;
