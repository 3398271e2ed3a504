//! Loopback ports for the servers a test starts: free ones to hand out, and
//! waiting until one answers (or is closed again).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// `n` distinct ports that were free a moment ago. Each is found by binding
/// port 0; all are held until the last is found so none repeats.
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// One port that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_and_bindable() {
        let ports = free_ports(3).unwrap();
        assert_eq!(ports.len(), 3);
        assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, free_port().unwrap())).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(wait_for_port(port, Duration::from_secs(1), || true).is_ok());
        drop(listener);
        assert!(port_is_closed(port));
        let died = wait_for_port(port, Duration::from_secs(5), || false).unwrap_err();
        assert!(died.contains("exited"), "{died}");
    }
}
