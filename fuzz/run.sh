#!/usr/bin/env bash
# Runs every fuzz target (or the TARGETs named after SECONDS) for SECONDS seconds each
# (default 5: the test command's smoke; hours for the long mode, see fuzz/README.md), starting
# from the committed seeds; new inputs go to
# fuzz/corpus/<target>/ (not committed), crashes to fuzz/artifacts/<target>/. Exits non-zero
# on the first crash, leak or timeout, naming the reproducer.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-5}
# cargo-fuzz needs nightly flags (sanitizers, coverage); this stable toolchain allows them so.
export RUSTC_BOOTSTRAP=1
target=${CARGO_TARGET_DIR:-$(cd .. && pwd)/target}/fuzz
targets=(wire_host ws_frames wire_client game_values snapshot match_log c_abi vector)
if [ $# -gt 1 ]; then
  targets=("${@:2}")
fi
# Release with debug assertions (overflow checks on) and AddressSanitizer, one build for all.
build_log=$(mktemp)
cargo fuzz build -O -a --target-dir "$target" 2>&1 | tee "$build_log"
# The targets are held to the workspace's standard: no warnings.
if grep -q '^warning' "$build_log"; then
  echo "the fuzz targets build with warnings; fix them"
  exit 1
fi
rm -f "$build_log"
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  dirs=("corpus/$t")
  [ -d "seeds/$t" ] && dirs+=("seeds/$t")
  log=$(mktemp)
  if ! cargo fuzz run -O -a --target-dir "$target" "$t" "${dirs[@]}" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $t failed; the reproducer is in fuzz/artifacts/$t/ (cargo fuzz run -O -a $t <file>)"
    exit 1
  fi
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  echo "fuzz $t: $runs runs in ${seconds} s, no crash"
  rm -f "$log"
done
