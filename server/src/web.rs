//! Serves a folder of static files (the browser client and its Wasm module) at `/`.
//!
//! Deliberately small: `GET` of files under one root, a content type by extension, no
//! directory listings, nothing outside the root (no `..`, no hidden files), and
//! `Cache-Control: no-cache` so a rebuilt module is picked up on the next reload. A file with
//! a gzipped copy beside it (`hearth_bg.wasm.gz`, made by scripts/build-web.sh) is sent
//! compressed to browsers that accept gzip, unless the copy is older than the file: a phone
//! on a LAN host's Wi-Fi downloads a third of the module's bytes.

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
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
pub(crate) async fn serve(State(root): State<PathBuf>, uri: Uri, request: HeaderMap) -> Response {
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
    let gzipped = if accepts_gzip(&request) {
        fresh_gzip(&real, &real_root).await
    } else {
        None
    };
    let read = match &gzipped {
        Some(gz) => tokio::fs::read(gz).await,
        None => tokio::fs::read(&real).await,
    };
    match read {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            if gzipped.is_some() {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        }
        Err(_) => not_found(),
    }
}

/// Whether the request's `Accept-Encoding` lists gzip (not refused with `q=0`).
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// `file.gz` beside `file`, if it is a regular file under the root no older than `file`.
async fn fresh_gzip(file: &Path, real_root: &Path) -> Option<PathBuf> {
    let mut name = file.file_name()?.to_os_string();
    name.push(".gz");
    let gz = tokio::fs::canonicalize(file.with_file_name(name))
        .await
        .ok()?;
    if !gz.starts_with(real_root) {
        return None;
    }
    let (plain, packed) = (
        tokio::fs::metadata(file).await.ok()?,
        tokio::fs::metadata(&gz).await.ok()?,
    );
    (packed.is_file() && packed.modified().ok()? >= plain.modified().ok()?).then_some(gz)
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
            async move {
                serve(State(root), uri.parse().expect("uri"), HeaderMap::new())
                    .await
                    .status()
            }
        };
        assert_eq!(get("/").await, StatusCode::OK);
        assert_eq!(get("/pkg/inside.html").await, StatusCode::OK);
        assert_eq!(get("/leak.txt").await, StatusCode::NOT_FOUND);
        assert_eq!(get("/up/secret.txt").await, StatusCode::NOT_FOUND);
        let _ = std::fs::remove_dir_all(&base);
    }

    /// A gzipped copy goes to browsers that accept gzip, only while it is as new as the file
    /// and inside the root; everyone else gets the file itself.
    #[tokio::test]
    async fn a_fresh_gzipped_copy_is_sent_to_browsers_that_accept_it() {
        let base = std::env::temp_dir().join(format!("hearth-web-gz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("web");
        std::fs::create_dir_all(&root).expect("dirs");
        std::fs::write(root.join("m.wasm"), "plain").expect("file");
        std::fs::write(root.join("m.wasm.gz"), "packed").expect("file");
        let fetch = |uri: &'static str, accept: Option<&'static str>| {
            let root = root.clone();
            async move {
                let mut headers = HeaderMap::new();
                if let Some(a) = accept {
                    headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(a));
                }
                let r = serve(State(root), uri.parse().expect("uri"), headers).await;
                let encoding = r
                    .headers()
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.to_str().unwrap_or("").to_string());
                let kind = r.headers().get(header::CONTENT_TYPE).cloned();
                let body = axum::body::to_bytes(r.into_body(), 1 << 20)
                    .await
                    .expect("body");
                (String::from_utf8_lossy(&body).to_string(), encoding, kind)
            }
        };
        let (body, encoding, kind) = fetch("/m.wasm", Some("gzip, deflate, br")).await;
        assert_eq!(
            (body.as_str(), encoding.as_deref()),
            ("packed", Some("gzip"))
        );
        assert_eq!(kind, Some(HeaderValue::from_static("application/wasm")));
        for refused in [None, Some("br"), Some("gzip;q=0, br")] {
            let (body, encoding, _) = fetch("/m.wasm", refused).await;
            assert_eq!((body.as_str(), encoding), ("plain", None), "{refused:?}");
        }
        // A copy older than the file (a rebuilt module, a stale copy) is not used.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(root.join("m.wasm.gz"))
            .and_then(|f| f.set_modified(old))
            .expect("mtime");
        let (body, encoding, _) = fetch("/m.wasm", Some("gzip")).await;
        assert_eq!((body.as_str(), encoding), ("plain", None));
        // Nor one whose link leads out of the root.
        #[cfg(unix)]
        {
            std::fs::write(base.join("out.gz"), "outside").expect("file");
            std::fs::remove_file(root.join("m.wasm.gz")).expect("rm");
            std::os::unix::fs::symlink(base.join("out.gz"), root.join("m.wasm.gz"))
                .expect("symlink");
            let (body, _, _) = fetch("/m.wasm", Some("gzip")).await;
            assert_eq!(body, "plain");
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}
