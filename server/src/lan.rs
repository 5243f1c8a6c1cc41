//! A LAN host: the host core with no accounts, advertised over mDNS as
//! `_hearth._tcp.local.` so clients on the same network find it by themselves. Given a web
//! folder (`HostConfig::web_root`), it also serves the browser client, so a phone in the
//! room joins by opening [`LanHost::page_urls`] (or scanning its [`Qr`] code): browsers
//! cannot browse mDNS, so the URL is how they find the host.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hearth_lan::{Interfaces, LanError, LanHostInfo, SERVICE_TYPE, daemon};
use hearth_rules::protocol::{PROTOCOL_VERSION, PhaseName};
use mdns_sd::{ServiceDaemon, ServiceInfo};
use tokio::sync::watch;

use crate::{Host, HostConfig, HostError, HostHandle};

/// What the page asks a host it was served by (`GET /v1/lan`): the host's name, games and page
/// URLs on LAN hosts, so the page knows to join with a name instead of signing in; 204 No
/// Content from the official server.
pub const LAN_INFO_PATH: &str = "/v1/lan";

/// How often the announcement is refreshed with the rooms and players.
const REFRESH: Duration = Duration::from_millis(500);

/// How a LAN host is set up.
#[derive(Clone)]
pub struct LanConfig {
    /// Shown to browsing players ("Living room").
    pub name: String,
    /// The host core's configuration (no accounts; `bind` is usually `0.0.0.0:7777`).
    pub host: HostConfig,
    /// Where to announce.
    pub interfaces: Interfaces,
}

/// Why a LAN host could not start.
#[derive(Debug, thiserror::Error)]
pub enum LanHostError {
    /// The host core failed.
    #[error(transparent)]
    Host(#[from] HostError),
    /// mDNS failed.
    #[error(transparent)]
    Mdns(#[from] LanError),
}

/// A running LAN host.
pub struct LanHost {
    host: HostHandle,
    daemon: ServiceDaemon,
    fullname: String,
    stop: watch::Sender<bool>,
    refresher: tokio::task::JoinHandle<()>,
    urls: Vec<String>,
}

/// The routes a LAN host adds to the embedder's: `GET /v1/lan` (its name, games and page
/// URLs, set once it runs).
fn lan_routes(
    theirs: Option<crate::config::RouteFactory>,
    info: std::sync::Arc<std::sync::OnceLock<serde_json::Value>>,
) -> crate::config::RouteFactory {
    std::sync::Arc::new(move |control| {
        let info = info.clone();
        let ours = axum::Router::new().route(
            LAN_INFO_PATH,
            axum::routing::get(move || {
                let info = info.get().cloned().unwrap_or(serde_json::Value::Null);
                async move { axum::Json(info) }
            }),
        );
        match &theirs {
            Some(theirs) => theirs(control).merge(ours),
            None => ours,
        }
    })
}

/// The page URLs for a host listening on `addr` (see [`LanHost::page_urls`]). Where it is
/// announced does not matter: a browser cannot browse mDNS, it needs an address.
fn page_urls(addr: SocketAddr, secure: bool) -> Vec<String> {
    let scheme = if secure { "https" } else { "http" };
    let url = |ip: IpAddr| format!("{scheme}://{}/", SocketAddr::new(ip, addr.port()));
    let loopback = || vec![url(IpAddr::from([127, 0, 0, 1]))];
    if !addr.ip().is_unspecified() {
        return vec![url(addr.ip())];
    }
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| match ip {
            IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local(),
            // Link-local IPv6 needs a zone a URL cannot carry for most browsers.
            IpAddr::V6(v6) => {
                addr.is_ipv6() && !v6.is_loopback() && (v6.segments()[0] & 0xffc0) != 0xfe80
            }
        })
        .collect();
    ips.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    ips.dedup();
    if ips.is_empty() {
        return loopback();
    }
    ips.into_iter().map(url).collect()
}

/// A QR code (e.g. of a [`LanHost::page_urls`] URL), as modules a game can draw: dark or
/// light, `width` × `width`, without the quiet zone (leave four light modules around it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    width: usize,
    dark: Vec<bool>,
}

/// The light border QR readers need, in modules.
pub const QR_QUIET_ZONE: usize = 4;

impl Qr {
    /// Encodes `text` (error correction level M: readable from a phone's screen at an angle).
    pub fn new(text: &str) -> Result<Qr, LanError> {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
            .map_err(|e| LanError(format!("cannot make a QR code of {text:?}: {e}")))?;
        let width = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Qr { width, dark })
    }

    /// Modules per side (without the quiet zone).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark (outside the code: light).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// 8-bit grey pixels (0 dark, 255 light), `scale` pixels per module, with the quiet zone:
    /// `(side, pixels)`, row by row. What the Godot extension makes its `Image` from.
    pub fn to_luma(&self, scale: usize) -> (usize, Vec<u8>) {
        let scale = scale.max(1);
        let side = (self.width + 2 * QR_QUIET_ZONE) * scale;
        let mut pixels = Vec::with_capacity(side * side);
        for py in 0..side {
            for px in 0..side {
                let (x, y) = (px / scale, py / scale);
                let dark = x >= QR_QUIET_ZONE
                    && y >= QR_QUIET_ZONE
                    && self.is_dark(x - QR_QUIET_ZONE, y - QR_QUIET_ZONE);
                pixels.push(if dark { 0 } else { 255 });
            }
        }
        (side, pixels)
    }

    /// The code as text for a terminal, two rows of modules per line: light modules are
    /// block glyphs (`█▀▄`), dark ones spaces, so it reads as dark-on-light on the usual
    /// light-on-dark terminal; with `ansi`, colours are set (white on black) so it also
    /// reads on a light-themed terminal.
    pub fn to_terminal(&self, ansi: bool) -> String {
        let side = self.width + 2 * QR_QUIET_ZONE;
        let light = |x: usize, y: usize| {
            !(x >= QR_QUIET_ZONE
                && y >= QR_QUIET_ZONE
                && self.is_dark(x - QR_QUIET_ZONE, y - QR_QUIET_ZONE))
        };
        let mut out = String::new();
        for y in (0..side).step_by(2) {
            if ansi {
                out.push_str("\x1b[97;40m");
            }
            for x in 0..side {
                let bottom = y + 1 >= side || light(x, y + 1);
                out.push(match (light(x, y), bottom) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            if ansi {
                out.push_str("\x1b[0m");
            }
            out.push('\n');
        }
        out
    }
}

fn addresses(bind: SocketAddr, interfaces: Interfaces) -> Vec<IpAddr> {
    if !bind.ip().is_unspecified() || interfaces == Interfaces::LoopbackOnly {
        let ip = if bind.ip().is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            bind.ip()
        };
        return vec![ip];
    }
    Vec::new()
}

impl LanHost {
    /// Starts the host core and announces it.
    pub async fn start(mut config: LanConfig) -> Result<LanHost, LanHostError> {
        let info = std::sync::Arc::new(std::sync::OnceLock::new());
        config.host.routes = Some(lan_routes(config.host.routes.take(), info.clone()));
        // A host serving its own page takes browsers only from it.
        config.host.same_origin_only |= config.host.web_root.is_some();
        let host = Host::start(config.host.clone()).await?;
        let urls = page_urls(host.addr(), host.is_secure());
        let daemon = daemon(config.interfaces)?;
        let fingerprints = config.host.catalog.fingerprints();
        let games: Vec<String> = config
            .host
            .catalog
            .games()
            .map(|g| g.name.clone())
            .collect();
        let instance = crate::names::display_name(&config.name).map_err(|e| LanError(e.message))?;
        let suffix = crate::secrets::random_token().map_err(|e| LanError(e.to_string()))?;
        let host_name = format!("hearth-{}.local.", &suffix[..8]);
        let addrs = addresses(host.addr(), config.interfaces);
        let port = host.addr().port();
        let make = move |rooms: usize, players: usize| -> Result<ServiceInfo, LanError> {
            let txt = LanHostInfo {
                fullname: String::new(),
                name: instance.clone(),
                addresses: vec![],
                port,
                protocol: Some(PROTOCOL_VERSION),
                fingerprints: fingerprints.clone(),
                games: games.clone(),
                open_rooms: u32::try_from(rooms).unwrap_or(u32::MAX),
                players: u32::try_from(players).unwrap_or(u32::MAX),
            }
            .txt(env!("CARGO_PKG_VERSION"));
            let info = ServiceInfo::new(SERVICE_TYPE, &instance, &host_name, &addrs[..], port, txt)
                .map_err(|e| LanError(e.to_string()))?;
            Ok(if addrs.is_empty() {
                info.enable_addr_auto()
            } else {
                info
            })
        };
        let first = make(0, 0)?;
        let fullname = first.get_fullname().to_string();
        daemon
            .register(first)
            .map_err(|e| LanError(e.to_string()))?;
        tracing::info!(%fullname, "announced on the local network");
        let (stop, mut stopped) = watch::channel(false);
        let control = host.control().clone();
        let d = daemon.clone();
        let refresher = tokio::spawn(async move {
            let mut last = (0, 0);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(REFRESH) => {}
                    _ = stopped.changed() => return,
                }
                let open = control
                    .rooms()
                    .iter()
                    .filter(|r| r.phase == PhaseName::Lobby)
                    .count();
                let now = (open, control.online().len());
                if now != last {
                    last = now;
                    if let Ok(info) = make(now.0, now.1) {
                        let _ = d.register(info);
                    }
                }
            }
        });
        let _ = info.set(serde_json::json!({
            "name": crate::names::display_name(&config.name).unwrap_or_default(),
            "games": config.host.catalog.games().map(|g| g.name.clone()).collect::<Vec<_>>(),
            "urls": urls,
        }));
        Ok(LanHost {
            host,
            daemon,
            fullname,
            stop,
            refresher,
            urls,
        })
    }

    /// The browser page's URL on each of the host's addresses other players can reach
    /// (`http://192.168.1.20:7777/`), IPv4 first: what to show, or encode as a [`Qr`], for
    /// phones in the room. The bound address if the host is bound to one; loopback only when
    /// the machine has no other address. The page is there only if the host serves a web
    /// folder (`HostConfig::web_root`).
    pub fn page_urls(&self) -> &[String] {
        &self.urls
    }

    /// The host core (address, rooms, shutdown).
    pub fn host(&self) -> &HostHandle {
        &self.host
    }

    /// The mDNS full name it is announced under.
    pub fn fullname(&self) -> &str {
        &self.fullname
    }

    /// Says goodbye on the network, then shuts the host down.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.refresher.await;
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = tokio::time::timeout(Duration::from_secs(2), done.recv_async()).await;
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = tokio::time::timeout(Duration::from_secs(2), done.recv_async()).await;
        }
        self.host.shutdown().await;
    }
}
