#!/usr/bin/env bash
# The README's run command: builds the browser client's Wasm module when it is missing or
# older than its sources (scripts/build-web.sh), then runs the official server — SQLite in
# ./hearth-data, accounts, leaderboards, admin page — serving the browser client at
# http://127.0.0.1:7777/. Extra arguments go to `hearth serve` (e.g. --memory, --bind).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-web.sh
exec cargo run --release --locked -p hearth-cli --bin hearth -- serve --web web "$@"
