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
    // Names are checked above; symlinks could still lead out of the root, so the file's real
    // path must lie under the root's.
    let (Ok(real), Ok(real_root)) = (
        tokio::fs::canonicalize(&path).await,
        tokio::fs::canonicalize(&root).await,
    ) else {
        return not_found();
    };
    if !real.starts_with(&real_root) {
        return not_found();
    }
    match tokio::fs::read(&real).await {
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

    /// Symlinks are followed only while they stay inside the root.
    #[cfg(unix)]
    #[tokio::test]
    async fn no_symlink_leads_out_of_the_root() {
        use std::os::unix::fs::symlink;
        let base = std::env::temp_dir().join(format!("hearth-web-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("web");
        std::fs::create_dir_all(root.join("pkg")).expect("dirs");
        std::fs::write(root.join("index.html"), "page").expect("file");
        std::fs::write(base.join("secret.txt"), "secret").expect("file");
        symlink(base.join("secret.txt"), root.join("leak.txt")).expect("symlink");
        symlink(&base, root.join("up")).expect("symlink");
        symlink(root.join("index.html"), root.join("pkg/inside.html")).expect("symlink");
        let get = |uri: &'static str| {
            let root = root.clone();
            async move { serve(State(root), uri.parse().expect("uri")).await.status() }
        };
        assert_eq!(get("/").await, StatusCode::OK);
        assert_eq!(get("/pkg/inside.html").await, StatusCode::OK);
        assert_eq!(get("/leak.txt").await, StatusCode::NOT_FOUND);
        assert_eq!(get("/up/secret.txt").await, StatusCode::NOT_FOUND);
        let _ = std::fs::remove_dir_all(&base);
    }
}
