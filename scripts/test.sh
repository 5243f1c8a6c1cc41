#!/usr/bin/env bash
# Runs every Hearth test: formatting, clippy, unit, property, golden-vector and purity tests,
# the benchmarks once in test mode, and the terminal demo. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
# rustfmt and clippy ship with the machine's toolchain; add them only if a machine lacks them.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component"
  fi
done
cargo --version

step "format (cargo fmt --check)"
cargo fmt --all --check

step "lints (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "unit, property, vector and purity tests; benchmarks and examples once in test mode"
cargo test --workspace --all-targets --locked

step "doc tests"
cargo test --workspace --doc --locked

step "terminal demo: bots play each game to the end, and typed input is handled"
for game in connect-four chameleon tanks; do
  out=$(cargo run -q --locked -p hearth-rules --example demo -- --game "$game" --auto)
  grep -Eq '^(Winner|Draw)' <<<"$out" || { echo "demo $game did not finish:"; tail -5 <<<"$out"; exit 1; }
  echo "demo $game: $(grep -E '^(Winner|Draw)' <<<"$out")"
done
out=$(printf '4\n9\nx\n' | cargo run -q --locked -p hearth-rules --example demo -- --game connect-four)
grep -q 'type a column number from 1 to 7' <<<"$out" && grep -q '^bye' <<<"$out" \
  || { echo "demo did not handle bad input and end of input:"; tail -5 <<<"$out"; exit 1; }
echo "demo input handling: ok"

step "all tests passed"
