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
