//! Serves a folder of static files (the browser client and its Wasm module) at `/`.
//!
//! Deliberately small: `GET` of files under one root, a content type by extension, no
//! directory listings, nothing outside the root (no `..`, no hidden files), and
//! `Cache-Control: no-cache` so a rebuilt module is picked up on the next reload.

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "ts" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The file `uri` names under `root`, or `None` if it may not be served.
pub(crate) fn resolve(root: &Path, uri: &Uri) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    let wanted = uri.path().trim_start_matches('/');
    let wanted = if wanted.is_empty() || wanted.ends_with('/') {
        format!("{wanted}index.html")
    } else {
        wanted.to_string()
    };
    for part in wanted.split('/') {
        // Only plain names: no `..`, no hidden files, no backslashes or percent-escapes.
        let plain = !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            return None;
        }
        path.push(part);
    }
    Some(path)
}

/// The fallback handler: a file of the web root, or 404.
pub(crate) async fn serve(State(root): State<PathBuf>, uri: Uri) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            "not found: the web client has no such file (build it with scripts/build-web.sh)",
        )
            .into_response()
    };
    let Some(path) = resolve(&root, &uri) else {
        return not_found();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(uri: &str) -> Option<PathBuf> {
        resolve(Path::new("/srv/web"), &uri.parse().expect("uri"))
    }

    #[test]
    fn files_under_the_root_and_nothing_else() {
        assert_eq!(at("/"), Some(PathBuf::from("/srv/web/index.html")));
        assert_eq!(
            at("/pkg/hearth.js"),
            Some(PathBuf::from("/srv/web/pkg/hearth.js"))
        );
        assert_eq!(at("/pkg/"), Some(PathBuf::from("/srv/web/pkg/index.html")));
        for bad in [
            "/../etc/passwd",
            "/pkg/../../x",
            "/.git/config",
            "/a//b",
            "/%2e%2e/x",
            "/a\\b",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
