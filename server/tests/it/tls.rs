//! `--tls-cert/--tls-key`: HTTPS and WSS through rustls, with a certificate made by openssl.

use std::process::Command;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use hearth_rules::protocol::{ClientMsg, Hello, PROTOCOL_VERSION, Request, to_json};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::tls::TlsFiles;
use hearth_server::{HostConfig, HostError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn https_and_wss_with_a_certificate() {
    let dir = std::env::temp_dir().join(format!("hearth-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = crate::common::self_signed(&dir);
    let host = hearth_server::official::start(
        HostConfig {
            tls: Some(TlsFiles {
                cert: cert.clone(),
                key,
            }),
            ..HostConfig::on(
                "127.0.0.1:0".parse().unwrap(),
                std::sync::Arc::new(hearth_games::catalog()),
            )
        },
        Arc::new(SqliteStore::memory().unwrap()),
    )
    .await
    .unwrap();
    assert!(host.ws_url().starts_with("wss://"));
    let tls = crate::common::connector(&cert);
    let name = rustls_pki_types::ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());

    // HTTPS: sign in.
    let tcp = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    let mut stream = tls.connect(name.clone(), tcp).await.expect("TLS handshake");
    let body = r#"{"device_id":"device-tls-0001","display_name":"Tia"}"#;
    stream
        .write_all(
            format!(
                "POST /v1/auth/device HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out).await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let token = out
        .split("\"token\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // WSS: the game protocol over the same certificate.
    let tcp = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    let stream = tls.connect(name, tcp).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(host.ws_url(), stream)
        .await
        .expect("wss upgrade");
    let hello = ClientMsg::<serde_json::Value> {
        id: 1,
        req: Request::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "x".into(),
            token: Some(token),
        }),
    };
    ws.send(Message::Text(to_json(&hello).into()))
        .await
        .unwrap();
    let welcome = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(welcome.contains("\"name\":\"Tia\""), "{welcome}");

    // Plain HTTP to the TLS port gets nowhere.
    let (status, _) = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut s = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf).await;
        (
            String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"),
            (),
        )
    })
    .await
    .unwrap();
    assert!(!status, "no plain HTTP answer on the TLS port");
    host.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unusable_certificate_files_are_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("hearth-tls-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let err = hearth_server::Host::start(HostConfig {
        tls: Some(TlsFiles {
            cert: junk.clone(),
            key: junk.clone(),
        }),
        ..HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        )
    })
    .await
    .err()
    .expect("refused");
    assert!(matches!(err, HostError::Tls(_)), "{err}");
    assert!(err.to_string().contains("junk.pem"), "{err}");
    let out = Command::new(crate::common::hearth_bin())
        .args(["serve", "--memory", "--bind", "127.0.0.1:0", "--tls-cert"])
        .arg(dir.join("missing.pem"))
        .arg("--tls-key")
        .arg(&junk)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.pem"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
