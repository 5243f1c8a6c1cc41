//! The browser module: `scripts/build-web.sh` builds it into `web/www/pkg/hearth.js`, which
//! the page in `web/www/` (Hearth's browser client) loads.

hearth_wasm::export!(liars_dice_rules::games);
