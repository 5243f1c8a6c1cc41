//! A LAN host: the host core with no accounts, advertised over mDNS as
//! `_hearth._tcp.local.` so clients on the same network find it by themselves.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hearth_lan::{Interfaces, LanError, LanHostInfo, SERVICE_TYPE, daemon};
use hearth_rules::protocol::{PROTOCOL_VERSION, PhaseName};
use mdns_sd::{ServiceDaemon, ServiceInfo};
use tokio::sync::watch;

use crate::{Host, HostConfig, HostError, HostHandle};

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
    pub async fn start(config: LanConfig) -> Result<LanHost, LanHostError> {
        let host = Host::start(config.host.clone()).await?;
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
        Ok(LanHost {
            host,
            daemon,
            fullname,
            stop,
            refresher,
        })
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
