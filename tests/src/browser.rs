//! What the browser tests need (the module built, playwright-core, Chromium), checked first so
//! a missing piece fails with what to do instead of a stack trace from node.

use std::path::Path;

/// Panics naming what is missing under `repo` (the Hearth checkout), or returns the Chromium
/// to drive (`CHROMIUM`, else Debian's `/usr/bin/chromium`).
pub fn prerequisites(repo: &Path) -> String {
    require(
        &repo.join("web/pkg/hearth.js"),
        "build the module with scripts/build-web.sh",
    );
    require(
        &repo.join("node_modules/playwright-core"),
        "run `npm ci` in the repository",
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    require(
        Path::new(&chromium),
        "install Debian's chromium (scripts/test.sh does)",
    );
    chromium
}

/// Panics with `how` if `path` is missing.
pub fn require(path: &Path, how: &str) {
    assert!(path.exists(), "{} is missing: {how}", path.display());
}
