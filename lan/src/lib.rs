//! The LAN contract between Hearth hosts and clients: hosts announce
//! `_hearth._tcp.local.` over mDNS with a TXT record ([`txt`]) that
//! [`LanHostInfo`] writes and reads back, so the two sides cannot disagree on a key. The host
//! (`hearth-server`, announcing) and the client (`hearth-client`, browsing mDNS) both build on
//! this crate and on nothing of each other.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::HashMap;
use std::net::IpAddr;

use hearth_rules::protocol::PROTOCOL_VERSION;
use hearth_rules::{Catalog, Fingerprint};
use mdns_sd::{IfKind, ServiceDaemon};

pub use mdns_sd;

/// The keys of a host's TXT record.
pub mod txt {
    /// The protocol version the host speaks.
    pub const PROTOCOL: &str = "protocol";
    /// The host's display name.
    pub const NAME: &str = "name";
    /// The rules it carries, as comma-separated fingerprints.
    pub const RULES: &str = "rules";
    /// The games it offers, comma-separated.
    pub const GAMES: &str = "games";
    /// Rooms waiting in their lobby.
    pub const ROOMS: &str = "rooms";
    /// Players connected.
    pub const PLAYERS: &str = "players";
    /// The host software's version.
    pub const VERSION: &str = "version";
}

/// The DNS-SD service type Hearth LAN hosts advertise.
pub const SERVICE_TYPE: &str = "_hearth._tcp.local.";

/// Why browsing or announcing could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the local network: {0}")]
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

/// Why a LAN host cannot be played on with this client's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Incompatible {
    /// It speaks another protocol version.
    #[error(
        "it speaks Hearth protocol {host}, this client {PROTOCOL_VERSION}; update the {}",
        if *host > PROTOCOL_VERSION { "client" } else { "host" }
    )]
    Protocol {
        /// The host's version.
        host: u32,
    },
    /// Its announcement does not say which protocol it speaks.
    #[error("it does not say which protocol it speaks")]
    NoProtocol,
    /// Some of its games' rules differ from this client's (the games, with both fingerprints).
    #[error("its rules differ for {0}; update whichever is older")]
    Rules(String),
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
    /// The TXT record announcing this host (`version`: the host software's version).
    pub fn txt(&self, version: &str) -> HashMap<String, String> {
        let fingerprints: Vec<String> = self.fingerprints.iter().map(|f| f.to_string()).collect();
        let protocol = self.protocol.unwrap_or(PROTOCOL_VERSION);
        [
            (txt::PROTOCOL, protocol.to_string()),
            (txt::NAME, self.name.clone()),
            (txt::RULES, fingerprints.join(",")),
            (txt::GAMES, self.games.join(",")),
            (txt::ROOMS, self.open_rooms.to_string()),
            (txt::PLAYERS, self.players.to_string()),
            (txt::VERSION, version.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// A host as a resolved announcement describes it: its full name, addresses and port,
    /// and its TXT record through `txt` (missing or unreadable keys get defaults).
    pub fn from_txt(
        fullname: &str,
        mut addresses: Vec<IpAddr>,
        port: u16,
        txt: impl Fn(&str) -> Option<String>,
    ) -> LanHostInfo {
        addresses.sort();
        let list = |key: &str| -> Vec<String> {
            txt(key)
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        LanHostInfo {
            fullname: fullname.to_string(),
            name: txt(txt::NAME).unwrap_or_else(|| fullname.to_string()),
            addresses,
            port,
            protocol: txt(txt::PROTOCOL).and_then(|p| p.parse().ok()),
            fingerprints: list(txt::RULES)
                .iter()
                .filter_map(|f| f.parse().ok())
                .collect(),
            games: list(txt::GAMES),
            open_rooms: txt(txt::ROOMS).and_then(|p| p.parse().ok()).unwrap_or(0),
            players: txt(txt::PLAYERS).and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    }

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

    /// Whether this client can play there; otherwise why not (its message is for people).
    pub fn compatibility(&self, catalog: &Catalog) -> Result<(), Incompatible> {
        match self.protocol {
            Some(PROTOCOL_VERSION) => {}
            Some(p) => return Err(Incompatible::Protocol { host: p }),
            None => return Err(Incompatible::NoProtocol),
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
            return Err(Incompatible::Rules(mismatched.join(", ")));
        }
        Ok(())
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
                .to_string()
                .contains("update the client")
        );
        assert!(info(None, vec![]).compatibility(&catalog).is_err());
        let mut other = catalog.get("tanks").unwrap().fingerprint.clone();
        other.schema ^= 1;
        let why = info(Some(PROTOCOL_VERSION), vec![other])
            .compatibility(&catalog)
            .unwrap_err()
            .to_string();
        assert!(
            why.contains("tanks") && why.contains("rules differ"),
            "{why}"
        );
    }

    #[test]
    fn an_announcement_reads_back_as_it_was_written() {
        let catalog = hearth_games::catalog();
        let host = info(Some(PROTOCOL_VERSION), catalog.fingerprints());
        let record = host.txt("9.9.9");
        assert_eq!(record[txt::VERSION], "9.9.9");
        let back = LanHostInfo::from_txt(&host.fullname, host.addresses.clone(), host.port, |k| {
            record.get(k).cloned()
        });
        assert_eq!(back, host);
        // A host that says nothing is still listed, by its full name, and not compatible.
        let bare = LanHostInfo::from_txt("X._hearth._tcp.local.", vec![], 1, |_| None);
        assert_eq!(bare.name, "X._hearth._tcp.local.");
        assert!(bare.compatibility(&catalog).is_err());
    }
}
