//! A server at its open-file limit: sockets that never speak and requests trickled a byte at
//! a time can neither lock new players out nor stop `/healthz`, over plain HTTP and over TLS.
//! The server runs as its own process under `prlimit --nofile`, as an operator's would.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// The server's open-file limit: it fits 120 sockets (the rest is kept for its own files).
const FILES: u32 = 160;
/// More silent sockets than the server has file descriptors.
const SILENT: usize = 200;
/// Requests sent a byte every [`TRICKLE`].
const TRICKLING: usize = 8;
const TRICKLE: Duration = Duration::from_millis(250);
/// The server's handshake deadline, in seconds (a trickled request needs ~9 s).
const HANDSHAKE_SECS: &str = "3";

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Server {
    child: Child,
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsConnector>,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn start(tls: bool) -> Server {
        let dir =
            std::env::temp_dir().join(format!("hearth-saturation-{}-{}", std::process::id(), tls));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = Command::new("prlimit");
        cmd.arg(format!("--nofile={FILES}:{FILES}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_hearth"))
            .args([
                "serve",
                "--memory",
                "--handshake-timeout-secs",
                HANDSHAKE_SECS,
            ])
            .args(["--sign-ins-per-minute", "1000"]);
        let mut connector = None;
        if tls {
            let (cert, key) = crate::common::self_signed(&dir);
            cmd.arg("--tls-cert").arg(&cert).arg("--tls-key").arg(&key);
            connector = Some(crate::common::connector(&cert));
        }
        // (prlimit (util-linux) runs hearth serve with the lowered limit.)
        let (child, addr) = crate::common::spawn_serving(cmd);
        Server {
            child,
            addr,
            tls: connector,
            dir,
        }
    }

    /// A connection that has finished its TLS handshake, if the server speaks TLS.
    async fn open(&self) -> std::io::Result<Box<dyn Io>> {
        let tcp = TcpStream::connect(self.addr).await?;
        Ok(match &self.tls {
            Some(tls) => {
                let name =
                    rustls_pki_types::ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
                Box::new(tls.connect(name, tcp).await?)
            }
            None => Box::new(tcp),
        })
    }

    /// One HTTP/1.1 request on a new connection: the status and the body.
    async fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut io = tokio::time::timeout(crate::common::WAIT, self.open())
            .await
            .expect("the server lets a new connection in")
            .expect("connects");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        io.write_all(head.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(crate::common::WAIT, io.read_to_end(&mut out))
            .await
            .expect("an answer in time");
        let text = String::from_utf8_lossy(&out).to_string();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        (status, body.to_string())
    }

    /// Signs a device in and says hello over a WebSocket: the welcome.
    async fn new_player(&self, n: usize) -> String {
        let body = format!(r#"{{"device_id":"saturation-{n:04}","display_name":"P{n}"}}"#);
        let (status, body) = self.request("POST", "/v1/auth/device", &body).await;
        assert_eq!(status, 200, "{body}");
        let token = body
            .split("\"token\":\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .expect("a token")
            .to_string();
        let io = self.open().await.expect("connects");
        let scheme = if self.tls.is_some() { "wss" } else { "ws" };
        let (mut ws, _) = tokio::time::timeout(
            crate::common::WAIT,
            tokio_tungstenite::client_async(format!("{scheme}://{}/ws", self.addr), io),
        )
        .await
        .expect("upgraded in time")
        .expect("upgraded");
        let hello = format!(
            r#"{{"id":1,"req":{{"hello":{{"protocol":1,"fingerprints":[],"name":"x","token":"{token}"}}}}}}"#
        );
        ws.send(Message::Text(hello.into())).await.unwrap();
        let welcome = tokio::time::timeout(crate::common::WAIT, ws.next())
            .await
            .expect("a welcome in time")
            .expect("a frame")
            .expect("a frame");
        welcome.into_text().unwrap().to_string()
    }
}

/// Sends `GET /healthz` a byte at a time; true if the server closed the connection before
/// the request was complete.
async fn trickle(mut io: Box<dyn Io>) -> bool {
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut buf = [0u8; 256];
    for byte in request {
        if io.write_all(&[*byte]).await.is_err() {
            return true;
        }
        match tokio::time::timeout(TRICKLE, io.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) | Err(_) => {}
        }
    }
    false
}

/// True once the server has closed `tcp` (read gives end-of-file or an error).
async fn closed_by_server(tcp: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(crate::common::WAIT, tcp.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

async fn saturate(tls: bool) {
    let server = Server::start(tls);
    // Connections that never send a byte (not even a TLS hello), more than the server
    // could hold even if it had nothing else open.
    let mut silent = Vec::new();
    for _ in 0..SILENT {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut tricklers = Vec::new();
    for _ in 0..TRICKLING {
        let io = server.open().await.expect("a trickler gets in");
        tricklers.push(tokio::spawn(trickle(io)));
    }

    // While they are held: new players sign in and shake hands, and /healthz answers.
    for n in 0..3 {
        let welcome = server.new_player(n).await;
        assert!(welcome.contains("welcome"), "{welcome}");
    }
    let (status, body) = server.request("GET", "/healthz", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");

    // Every trickled request is cut off before it completes (the deadline is for the whole
    // head, not per read), and every silent socket is closed.
    for t in tricklers {
        assert!(
            t.await.unwrap(),
            "a request trickled a byte at a time was let run to its end"
        );
    }
    for tcp in &mut silent {
        assert!(
            closed_by_server(tcp).await,
            "a silent socket was never closed"
        );
    }
    let (_, metrics) = server.request("GET", "/metrics", "").await;
    let count = |name: &str| -> u64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    assert!(count("hearth_evicted_total") > 0, "{metrics}");
    assert!(count("hearth_handshake_timeouts_total") > 0, "{metrics}");
    // Still open for business.
    let welcome = server.new_player(9).await;
    assert!(welcome.contains("welcome"), "{welcome}");
}

#[tokio::test]
async fn silent_and_trickling_sockets_cannot_lock_out_players_over_plain_http() {
    saturate(false).await;
}

#[tokio::test]
async fn silent_and_trickling_sockets_cannot_lock_out_players_over_tls() {
    saturate(true).await;
}
