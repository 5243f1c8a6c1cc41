//! Finding LAN hosts: `_hearth._tcp.local.` over mDNS, with what each host's TXT record says.

use std::net::IpAddr;

use hearth_rules::protocol::PROTOCOL_VERSION;
use hearth_rules::{Catalog, Fingerprint};
use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent};
use tokio::sync::mpsc;

/// The DNS-SD service type Hearth LAN hosts advertise.
pub const SERVICE_TYPE: &str = "_hearth._tcp.local.";

/// Why browsing could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot browse the local network: {0}")]
pub struct LanError(pub String);

/// Which interfaces to browse (or announce) on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interfaces {
    /// Every interface (the default on a real network).
    #[default]
    All,
    /// IPv4 loopback only (tests, inside their own network namespace).
    LoopbackOnly,
}

/// Starts an mDNS daemon restricted to `interfaces`.
pub fn daemon(interfaces: Interfaces) -> Result<ServiceDaemon, LanError> {
    let d = ServiceDaemon::new().map_err(|e| LanError(e.to_string()))?;
    if interfaces == Interfaces::LoopbackOnly {
        d.disable_interface(IfKind::All)
            .map_err(|e| LanError(e.to_string()))?;
        d.enable_interface(IfKind::LoopbackV4)
            .map_err(|e| LanError(e.to_string()))?;
    }
    Ok(d)
}

/// A LAN host as its announcement describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanHostInfo {
    /// mDNS instance full name (stable while the host runs).
    pub fullname: String,
    /// The host's display name.
    pub name: String,
    /// Its addresses.
    pub addresses: Vec<IpAddr>,
    /// Its port.
    pub port: u16,
    /// The protocol version it speaks, if it said.
    pub protocol: Option<u32>,
    /// The rules it carries.
    pub fingerprints: Vec<Fingerprint>,
    /// The games it offers.
    pub games: Vec<String>,
    /// Open (lobby) rooms.
    pub open_rooms: u32,
    /// Players connected.
    pub players: u32,
}

impl LanHostInfo {
    /// A WebSocket URL for it (IPv4 preferred).
    pub fn ws_url(&self) -> Option<String> {
        let ip = self
            .addresses
            .iter()
            .find(|a| a.is_ipv4())
            .or(self.addresses.first())?;
        Some(match ip {
            IpAddr::V4(v4) => format!("ws://{v4}:{}/ws", self.port),
            IpAddr::V6(v6) => format!("ws://[{v6}]:{}/ws", self.port),
        })
    }

    /// Whether this client can play there; otherwise the reason, for people.
    pub fn compatibility(&self, catalog: &Catalog) -> Result<(), String> {
        match self.protocol {
            Some(PROTOCOL_VERSION) => {}
            Some(p) => {
                return Err(format!(
                    "it speaks Hearth protocol {p}, this client {PROTOCOL_VERSION}; update the {}",
                    if p > PROTOCOL_VERSION {
                        "client"
                    } else {
                        "host"
                    }
                ));
            }
            None => return Err("it does not say which protocol it speaks".into()),
        }
        let mut mismatched = Vec::new();
        for theirs in &self.fingerprints {
            if let Ok(ours) = catalog.get(&theirs.game)
                && ours.fingerprint != *theirs
            {
                mismatched.push(format!(
                    "{} (host {theirs}, here {})",
                    theirs.game, ours.fingerprint
                ));
            }
        }
        if !mismatched.is_empty() {
            return Err(format!(
                "its rules differ for {}; update whichever is older",
                mismatched.join(", ")
            ));
        }
        Ok(())
    }
}

/// What browsing reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LanEvent {
    /// A host appeared, or its announcement changed.
    Found(LanHostInfo),
    /// A host went away (its full name).
    Lost(String),
}

/// A running browse; dropping it stops browsing.
pub struct Browser {
    daemon: ServiceDaemon,
    rx: mpsc::UnboundedReceiver<LanEvent>,
}

/// Starts looking for Hearth hosts on the local network.
pub fn browse(interfaces: Interfaces) -> Result<Browser, LanError> {
    let daemon = daemon(interfaces)?;
    let events = daemon
        .browse(SERVICE_TYPE)
        .map_err(|e| LanError(e.to_string()))?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = events.recv_async().await {
            let out = match event {
                ServiceEvent::ServiceResolved(s) => {
                    let txt = |k: &str| s.get_property_val_str(k).map(str::to_string);
                    let fingerprints = txt("rules")
                        .unwrap_or_default()
                        .split(',')
                        .filter_map(|f| f.parse().ok())
                        .collect();
                    let mut addresses: Vec<IpAddr> =
                        s.addresses.iter().map(|a| a.to_ip_addr()).collect();
                    addresses.sort();
                    LanEvent::Found(LanHostInfo {
                        fullname: s.fullname.clone(),
                        name: txt("name").unwrap_or_else(|| s.fullname.clone()),
                        addresses,
                        port: s.port,
                        protocol: txt("protocol").and_then(|p| p.parse().ok()),
                        fingerprints,
                        games: txt("games")
                            .unwrap_or_default()
                            .split(',')
                            .filter(|g| !g.is_empty())
                            .map(str::to_string)
                            .collect(),
                        open_rooms: txt("rooms").and_then(|p| p.parse().ok()).unwrap_or(0),
                        players: txt("players").and_then(|p| p.parse().ok()).unwrap_or(0),
                    })
                }
                ServiceEvent::ServiceRemoved(_, fullname) => LanEvent::Lost(fullname),
                _ => continue,
            };
            if tx.send(out).is_err() {
                break;
            }
        }
    });
    Ok(Browser { daemon, rx })
}

impl Browser {
    /// The next host appearing, changing or going away.
    pub async fn next(&mut self) -> Option<LanEvent> {
        self.rx.recv().await
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.daemon.stop_browse(SERVICE_TYPE);
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(protocol: Option<u32>, fingerprints: Vec<Fingerprint>) -> LanHostInfo {
        LanHostInfo {
            fullname: "Den._hearth._tcp.local.".into(),
            name: "Den".into(),
            addresses: vec![
                IpAddr::from([192, 168, 1, 9]),
                IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            ],
            port: 7777,
            protocol,
            fingerprints,
            games: vec!["connect-four".into()],
            open_rooms: 1,
            players: 2,
        }
    }

    #[test]
    fn incompatible_hosts_are_shown_with_a_reason() {
        let catalog = hearth_games::catalog();
        let good = info(Some(PROTOCOL_VERSION), catalog.fingerprints());
        assert_eq!(good.compatibility(&catalog), Ok(()));
        assert_eq!(good.ws_url().as_deref(), Some("ws://192.168.1.9:7777/ws"));
        let newer = info(Some(PROTOCOL_VERSION + 1), catalog.fingerprints());
        assert!(
            newer
                .compatibility(&catalog)
                .unwrap_err()
                .contains("update the client")
        );
        assert!(info(None, vec![]).compatibility(&catalog).is_err());
        let mut other = catalog.get("tanks").unwrap().fingerprint.clone();
        other.schema ^= 1;
        let why = info(Some(PROTOCOL_VERSION), vec![other])
            .compatibility(&catalog)
            .unwrap_err();
        assert!(
            why.contains("tanks") && why.contains("rules differ"),
            "{why}"
        );
    }
}
