//! A JWKS endpoint on 127.0.0.1 that counts requests and can be told to
//! answer, fail, or hang; stopped when dropped.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How the server answers.
#[derive(Debug, Clone)]
pub enum Mode {
    /// 200 with this body.
    Serve(String),
    /// 500.
    Fail,
    /// Accept the connection and never answer.
    Hang,
}

/// A running JWKS server.
pub struct JwksServer {
    /// `http://127.0.0.1:<port>/pool/.well-known/jwks.json`
    pub url: String,
    requests: Arc<AtomicUsize>,
    mode: Arc<Mutex<Mode>>,
    task: JoinHandle<()>,
}

impl JwksServer {
    /// Starts serving in `mode` on a free loopback port.
    pub async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let mode = Arc::new(Mutex::new(mode));
        let (count, current) = (Arc::clone(&requests), Arc::clone(&mode));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let mode = current.lock().expect("mode lock").clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf).await;
                    let reply = match mode {
                        Mode::Serve(body) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                        Mode::Fail => "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
                        Mode::Hang => {
                            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                            return;
                        }
                    };
                    let _ = stream.write_all(reply.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/pool/.well-known/jwks.json"),
            requests,
            mode,
            task,
        }
    }

    /// How many requests arrived so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Changes how later requests are answered.
    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().expect("mode lock") = mode;
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
