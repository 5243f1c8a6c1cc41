#!/usr/bin/env bash
# Runs every Hearth test: formatting, clippy, unit, property, golden-vector and purity tests,
# the server's tests (real WebSockets on loopback, a SIGKILLed server, the admin page in
# headless Chromium), the cross-mode suite (in its own network namespace), the C library's
# consumers (a C program, valgrind, LuaJIT), the Godot extension's checks (no Godot binary
# needed), the Wasm module (golden vectors under node) and the browser client (Playwright
# driving Chromium against a real server), the benchmarks once in test mode, the terminal
# demo, and a few seconds of every fuzz target; then a project made with `hearth new` and the
# Liar's Dice example, each through its own crates. Installs what it needs (Debian packages,
# cargo-fuzz) only when missing. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# One build from a fresh machine gains nothing from incremental caches, and they are gigabytes
# of target/ (CI machines' disks are not large; see the profile notes in Cargo.toml).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "toolchain"
# rustfmt and clippy ship with the machine's toolchain; add them only if a machine lacks them.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component"
  fi
done
cargo --version

step "system packages (chromium: admin page and browser client tests; node, npm: the Wasm build and Playwright; openssl: TLS certificate; cc, valgrind, luajit: the C library's consumers; postgresql: the PostgreSQL store's tests; iproute2, zbar-tools: phones joining a LAN host's page, across network namespaces, and its QR code decoded)"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v c++ >/dev/null 2>&1 || need+=(g++)
command -v nm >/dev/null 2>&1 || need+=(binutils)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v luajit >/dev/null 2>&1 || need+=(luajit)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# PostgreSQL: the store tests start a private server of their own (never the system's).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}"
fi
echo "node $(node --version); chromium: $(command -v chromium); openssl: $(openssl version); $(cc --version | head -1); $(valgrind --version); $(luajit -v)"

step "browser module (scripts/build-web.sh: wasm32 target, wasm-bindgen-cli, npm tools when missing)"
./scripts/build-web.sh

step "format (cargo fmt --check)"
cargo fmt --all --check

step "lints (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p hearth-wasm -p hearth-web --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
# The host core as a game's Godot extension links it: without the official services and TLS.
cargo clippy -p hearth-server --no-default-features --lib --locked -- -D warnings

step "unit, property, vector and purity tests; benchmarks and examples once in test mode"
# --no-fail-fast: a failure in one test binary still lets the others run, so one CI run
# reports every failing test, not only the first binary's.
cargo test --workspace --all-targets --locked --no-fail-fast

step "the Wasm module under node: every golden vector, step by step"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p hearth-web --target wasm32-unknown-unknown --locked

step "doc tests"
cargo test --workspace --doc --locked

step "terminal demo: bots play each game to the end, and typed input is handled"
for game in connect-four chameleon tanks; do
  out=$(cargo run -q --locked -p hearth-games --example demo -- --game "$game" --auto)
  grep -Eq '^(Winner|Draw)' <<<"$out" || { echo "demo $game did not finish:"; tail -5 <<<"$out"; exit 1; }
  echo "demo $game: $(grep -E '^(Winner|Draw)' <<<"$out")"
done
out=$(printf '4\n9\nx\n' | cargo run -q --locked -p hearth-games --example demo -- --game connect-four)
grep -q 'type a column number from 1 to 7' <<<"$out" && grep -q '^bye' <<<"$out" \
  || { echo "demo did not handle bad input and end of input:"; tail -5 <<<"$out"; exit 1; }
echo "demo input handling: ok"

# Where cargo puts builds (CARGO_TARGET_DIR, a config file or target/): the game workspaces
# below share it, so they rebuild only their own crates.
target=$(cargo metadata --format-version 1 --no-deps --locked \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
repo=$(pwd)

step "fuzzing smoke: every decoder's fuzz target for a few seconds (fuzz/run.sh; the long mode is in fuzz/README.md)"
if ! cargo fuzz --version 2>/dev/null | grep -q '0\.13\.2'; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
(cd fuzz && cargo fmt --check)
CARGO_TARGET_DIR="$target" fuzz/run.sh 5

step "hearth new: a new game's workspace builds and passes its own tests (sharing target/)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
start=$(date +%s)
"$target/debug/hearth" new dice-race --dir "$scratch/dice-race"
# Unset CI: a new project records its golden vectors on its first run.
(cd "$scratch/dice-race" && env -u CI CARGO_TARGET_DIR="$target" cargo test)
echo "hearth new → cargo test passing: $(($(date +%s) - start)) s"
(cd "$scratch/dice-race" && CARGO_TARGET_DIR="$target" ./scripts/build-web.sh \
  && node "$repo/scripts/check-vectors.mjs" web/www/pkg/hearth.js rules/vectors)

step "examples/liars-dice (made with hearth new): its own server, LAN host, Wasm module in node and Chromium, C library, Godot extension"
(
  cd examples/liars-dice
  cargo fmt --check
  CARGO_TARGET_DIR="$target" cargo clippy --workspace --all-targets --locked -- -D warnings
  CARGO_TARGET_DIR="$target" ./scripts/build-web.sh
  node "$repo/scripts/check-vectors.mjs" web/www/pkg/hearth.js rules/vectors
  CARGO_TARGET_DIR="$target" cargo test --workspace --locked
)

step "all tests passed"
