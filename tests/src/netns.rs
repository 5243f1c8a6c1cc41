//! Running a test inside its own network namespace, so multicast (mDNS) never leaves the
//! machine: the test re-executes its own binary under `unshare -n` with only loopback up and
//! multicast routed to it.

use std::process::Command;

const IN_NETNS: &str = "HEARTH_TEST_IN_NETNS";

/// Call first in a `#[test]`: outside a namespace it re-runs `test` (this binary, exact name)
/// inside a fresh one and returns `false` (the caller returns; the inner run's result is
/// asserted here). Inside, it checks only `lo` is visible and returns `true`. It never skips:
/// without `unshare` (util-linux, root or user namespaces) the test fails.
pub fn in_network_namespace(test: &str) -> bool {
    if std::env::var_os(IN_NETNS).is_some() {
        assert!(
            only_loopback(),
            "this test must run in its own network namespace"
        );
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let status = Command::new("unshare")
        .args(["-n", "--", "sh", "-c"])
        .arg("ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$@\"")
        .arg(&exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(IN_NETNS, "1")
        .status()
        .expect("unshare runs (util-linux; needs root or user namespaces)");
    assert!(
        status.success(),
        "the test inside the network namespace failed"
    );
    false
}

/// Whether this process sees no network interface but loopback (as inside the namespace
/// [`in_network_namespace`] makes).
pub fn only_loopback() -> bool {
    let devices = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    let names: Vec<&str> = devices
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    names == ["lo"]
}

/// Two network namespaces of the test's own — a "host" and a "player" — joined by a veth pair
/// with private addresses (`10.77.N.1` and `10.77.N.2`), each with loopback up: two machines on
/// one LAN, and nothing reaching the machine's real interfaces. Removed on drop. Needs root
/// and iproute2 (`ip netns`); [`NamespacePair::new`] says so when either is missing.
#[derive(Debug)]
pub struct NamespacePair {
    /// The host's namespace.
    pub host: String,
    /// The player's namespace.
    pub player: String,
    /// The host's address on the link.
    pub host_ip: std::net::Ipv4Addr,
    /// The player's address on the link.
    pub player_ip: std::net::Ipv4Addr,
}

impl NamespacePair {
    /// Makes both namespaces and the link between them.
    pub fn new() -> Result<NamespacePair, String> {
        let id = std::process::id();
        let subnet = (id % 250) as u8 + 1;
        let pair = NamespacePair {
            host: format!("hearth-h{id}"),
            player: format!("hearth-p{id}"),
            host_ip: std::net::Ipv4Addr::new(10, 77, subnet, 1),
            player_ip: std::net::Ipv4Addr::new(10, 77, subnet, 2),
        };
        let (vh, vp) = (format!("vh{id}"), format!("vp{id}"));
        let ip = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("ip")
                .args(args)
                .output()
                .map_err(|e| format!("cannot run `ip` (install iproute2): {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "`ip {}` failed (network namespaces need root): {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        ip(&["netns", "add", &pair.host])?;
        ip(&["netns", "add", &pair.player])?;
        let host_cidr = format!("{}/24", pair.host_ip);
        let player_cidr = format!("{}/24", pair.player_ip);
        let steps: [&[&str]; 9] = [
            &["link", "add", &vh, "type", "veth", "peer", "name", &vp],
            &["link", "set", &vh, "netns", &pair.host],
            &["link", "set", &vp, "netns", &pair.player],
            &["-n", &pair.host, "addr", "add", &host_cidr, "dev", &vh],
            &["-n", &pair.player, "addr", "add", &player_cidr, "dev", &vp],
            &["-n", &pair.host, "link", "set", &vh, "up"],
            &["-n", &pair.player, "link", "set", &vp, "up"],
            &["-n", &pair.host, "link", "set", "lo", "up"],
            &["-n", &pair.player, "link", "set", "lo", "up"],
        ];
        for step in steps {
            // On failure `pair` is dropped here, removing what was made.
            ip(step)?;
        }
        Ok(pair)
    }

    /// `program` to run inside namespace `ns` (`ip netns exec`).
    pub fn command(&self, ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).arg(program);
        c
    }
}

impl Drop for NamespacePair {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth pair, and so the pair.
        for ns in [&self.host, &self.player] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
