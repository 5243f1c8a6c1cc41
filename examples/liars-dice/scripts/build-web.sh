#!/usr/bin/env bash
# Builds liars-dice's browser module into web/www/pkg (hearth.js, hearth_bg.wasm, hearth.d.ts),
# which the page in web/www loads: the liars-dice-web crate for wasm32 (profile wasm-release),
# then `wasm-bindgen --target web --out-name hearth` at the exact version the crate uses, then
# `wasm-opt -Oz` if it is installed. Installs the wasm32 target and wasm-bindgen-cli when
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]]; then
    echo "build-web: installing wasm-bindgen-cli $want (once; a few minutes)"
    cargo install wasm-bindgen-cli --version "$want"
fi
cargo build -p liars-dice-web --target wasm32-unknown-unknown --profile wasm-release
# Where cargo put it: CARGO_TARGET_DIR, a config file or the default, as cargo itself says.
target=$(cargo metadata --format-version 1 --no-deps \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
out=web/www/pkg
mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" --out-name hearth \
    "$target/wasm32-unknown-unknown/wasm-release/liars_dice_web.wasm"
if command -v wasm-opt >/dev/null 2>&1; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals "$out/hearth_bg.wasm" -o "$out/hearth_bg.wasm.opt"
    mv "$out/hearth_bg.wasm.opt" "$out/hearth_bg.wasm"
fi
# Gzipped copies beside the module and the page's files: hosts send them to browsers that
# accept gzip.
for f in "$out/hearth_bg.wasm" "$out/hearth.js" "$out"/snippets/*/*/*.js web/www/*.js web/www/*.css web/www/*.html; do
    gzip -9 -k -f "$f"
done
echo "build-web: $out/ ($(stat -c %s "$out/hearth_bg.wasm") bytes of wasm)"
