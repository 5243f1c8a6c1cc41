//! The admin page, driven in headless Chromium over the DevTools protocol: sign in, see a
//! live room appear, close it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use hearth_rules::protocol::codes;
use hearth_server::HostConfig;
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::official::store::{Role, Store};
use hearth_server::official::{accounts, start};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

struct Browser {
    child: Child,
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Starts headless Chromium with a fresh profile; returns it and its DevTools address.
fn chromium() -> (Browser, String) {
    let profile = std::env::temp_dir().join(format!("hearth-chromium-{}", std::process::id()));
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium is installed (scripts/test.sh installs the Debian package)");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let devtools = loop {
        let line = lines
            .next()
            .expect("chromium prints its DevTools address")
            .unwrap();
        if let Some(rest) = line.split("DevTools listening on ").nth(1) {
            break rest.trim().to_string();
        }
    };
    // Keep draining stderr so Chromium never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Browser { child, profile }, devtools)
}

/// A DevTools protocol session with one page.
struct Page {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Page {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let msg = json!({"id": id, "method": method, "params": params});
        self.ws
            .send(Message::Text(msg.to_string().into()))
            .await
            .unwrap();
        loop {
            let m = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("DevTools answers")
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["id"] == id {
                    assert!(v.get("error").is_none(), "{method}: {v}");
                    return v["result"].clone();
                }
            }
        }
    }

    async fn eval(&mut self, js: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(r.get("exceptionDetails").is_none(), "{js}: {r}");
        r["result"]["value"].clone()
    }

    /// Polls `js` until it is true.
    async fn until(&mut self, what: &str, js: &str) {
        for _ in 0..200 {
            if self.eval(js).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let body = self.eval("document.body.innerText").await;
        panic!("the page never showed {what}; it shows:\n{body}");
    }
}

#[tokio::test]
async fn an_admin_signs_in_sees_a_live_room_and_closes_it() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::memory().unwrap());
    let hash = accounts::hash_password("admin password").unwrap();
    store
        .create_user("root", "Root", &hash, Role::Admin, accounts::now())
        .unwrap();
    let host = start(
        HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        ),
        store,
    )
    .await
    .unwrap();

    let (browser, devtools) = chromium();
    // The page target Chromium opened with about:blank.
    let port: u16 = devtools
        .trim_start_matches("ws://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, targets) = http(
        format!("127.0.0.1:{port}").parse().unwrap(),
        "GET",
        "/json/list",
        None,
        None,
    )
    .await;
    let page_ws = targets
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "page")
        .expect("a page")["webSocketDebuggerUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let (ws, _) = tokio_tungstenite::connect_async(page_ws).await.unwrap();
    let mut page = Page { ws, next: 0 };
    page.call("Page.enable", json!({})).await;
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/admin", host.http_url())}),
    )
    .await;
    page.until(
        "the sign-in form",
        "!!document.querySelector('#login-form') && document.readyState === 'complete'",
    )
    .await;

    // A wrong password is refused on the page.
    page.eval("document.querySelector('#username').value = 'root'; document.querySelector('#password').value = 'nope'; document.querySelector('#login-button').click(); true").await;
    page.until(
        "the refusal",
        "document.querySelector('#login-error').textContent.includes('wrong username or password')",
    )
    .await;
    page.eval("document.querySelector('#password').value = 'admin password'; document.querySelector('#login-button').click(); true").await;
    page.until("the console", "!document.querySelector('#console').hidden")
        .await;
    assert_eq!(
        page.eval("document.querySelector('#who').textContent")
            .await,
        "signed in as Root"
    );

    // A player opens a room; the console shows it within its refresh.
    let (token, _) = device_login(host.addr(), "device-admin-page", "Pia").await;
    let mut pia = Client::with_token(&host.ws_url(), &token).await;
    pia.create("Live Room", "connect-four", Value::Null).await;
    page.until(
        "the live room",
        "[...document.querySelectorAll('#rooms tbody tr')].some(r => r.textContent.includes('Live Room') && r.textContent.includes('Pia (seat 0)'))",
    )
    .await;
    page.until(
        "Pia online",
        "document.querySelector('#online tbody').textContent.includes('Pia')",
    )
    .await;

    // Close it from the page: Pia is told, and the room is gone from the console.
    page.eval(
        "document.querySelector('tr[data-room=\"Live Room\"] button.close-room').click(); true",
    )
    .await;
    let e = pia.expect_where("error", |e| e["id"].is_null()).await;
    assert_eq!(e["error"]["code"], codes::ROOM_CLOSED);
    assert_eq!(pia.expect("left").await["reason"], "room_closed");
    page.until(
        "the room gone",
        "![...document.querySelectorAll('#rooms tbody tr')].some(r => r.textContent.includes('Live Room'))",
    )
    .await;
    assert!(host.rooms().is_empty());
    drop(browser);
    host.shutdown().await;
}
