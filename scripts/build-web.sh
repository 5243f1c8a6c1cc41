#!/usr/bin/env bash
# Builds the browser client's Wasm module into web/pkg (git-ignored), which `hearth serve
# --web web` serves at /pkg: the hearth-web crate (hearth-wasm over the example games) for
# wasm32 (profile wasm-release), then
# `wasm-bindgen --target web` at the crate's exact version (ES module + TypeScript types),
# then `wasm-opt -Oz` from npm binaryen (Debian's wasm-opt emits broken modules).
#
# Does nothing when web/pkg is newer than every input; `--force` rebuilds anyway.
# Installs what it lacks: the wasm32 target, wasm-bindgen-cli, the npm tools.
set -euo pipefail
cd "$(dirname "$0")/.."

out=web/pkg
wasm="$out/hearth_bg.wasm"
inputs=(rules/src rules/Cargo.toml games/src games/Cargo.toml client/core wasm/src wasm/Cargo.toml wasm/build wasm/module Cargo.lock Cargo.toml package-lock.json scripts/build-web.sh)

# Gzipped copies beside the page's files and the module, remade when older than the file:
# hosts send them to browsers that accept gzip (a phone's first visit on a LAN host;
# BENCHMARKS.md, *Page load*).
gzip_page() {
    for f in "$wasm" "$out/hearth.js" "$out"/snippets/*/*/*.js web/*.js web/*.css web/*.html; do
        if [[ -f "$f" && ! "$f.gz" -nt "$f" ]]; then gzip -9 -k -f "$f"; fi
    done
}

if [[ "${1:-}" != "--force" && -f "$wasm" && -f "$out/hearth.js" ]] \
    && [[ -z "$(find "${inputs[@]}" -newer "$wasm" -print -quit)" ]]; then
    gzip_page
    echo "build-web: $out is up to date"
    exit 0
fi

# The CLI must be the crate's own version (the lockfile names it).
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]]; then
    echo "build-web: installing wasm-bindgen-cli $want (once; a few minutes)"
    # Not --locked: its lockfile names a webpki-roots release the registry mirror lacks.
    cargo install wasm-bindgen-cli --version "$want"
fi
if [[ ! -x node_modules/.bin/wasm-opt || ! -d node_modules/playwright-core ]]; then
    npm ci --no-audit --no-fund
fi

cargo build --locked -p hearth-web --target wasm32-unknown-unknown --profile wasm-release
# Where cargo put it: CARGO_TARGET_DIR, a config file or the default, as cargo itself says.
target=$(cargo metadata --format-version 1 --no-deps --locked \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" --out-name hearth \
    "$target/wasm32-unknown-unknown/wasm-release/hearth_web.wasm"
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
gzip_page
echo "build-web: $out/ ($(stat -c %s "$wasm") bytes of wasm, $(gzip -9 -c "$wasm" | wc -c) gzipped)"
