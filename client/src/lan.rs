//! Finding LAN hosts: `_hearth._tcp.local.` over mDNS, with what each host's TXT record says
//! (the contract itself is `hearth-lan`, shared with the host).

use hearth_lan::mdns_sd::{ServiceDaemon, ServiceEvent};
pub use hearth_lan::{Incompatible, Interfaces, LanError, LanHostInfo, SERVICE_TYPE, daemon};
use tokio::sync::mpsc;

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
                ServiceEvent::ServiceResolved(s) => LanEvent::Found(LanHostInfo::from_txt(
                    &s.fullname,
                    s.addresses.iter().map(|a| a.to_ip_addr()).collect(),
                    s.port,
                    |k| s.get_property_val_str(k).map(str::to_string),
                )),
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
