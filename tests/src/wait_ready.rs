//! Waiting for a server a test started to accept connections.

use std::net::{Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

/// Polls 127.0.0.1:`port` until it accepts a connection or `timeout`
/// passes; `alive` is asked between attempts so that a server that died
/// fails the wait at once instead of at the timeout.
pub fn wait_for_port(
    port: u16,
    timeout: Duration,
    mut alive: impl FnMut() -> bool,
) -> Result<Duration, String> {
    let started = Instant::now();
    loop {
        let addr = (Ipv4Addr::LOCALHOST, port).into();
        if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
            return Ok(started.elapsed());
        }
        if !alive() {
            return Err(format!(
                "the server for port {port} exited before it answered"
            ));
        }
        if started.elapsed() > timeout {
            return Err(format!(
                "nothing answered on port {port} within {timeout:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// True if nothing accepts connections on 127.0.0.1:`port`.
pub fn port_is_closed(port: u16) -> bool {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err()
}
