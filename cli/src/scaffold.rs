//! `hearth new`: a new game project.

use std::path::Path;

/// Creates a new game project at `path`.
pub fn create(path: &Path, hearth: Option<&Path>) -> Result<(), String> {
    let _ = (path, hearth);
    Err("not yet".into())
}
