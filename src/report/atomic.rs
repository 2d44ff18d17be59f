//! Writes a file through a temporary sibling and a rename, so a failure never leaves a
//! partial file at the destination.

use std::io::Write;
use std::path::Path;

use super::ReportError;

/// Creates `path` by calling `write` on a temporary file in the same directory, then
/// renaming it into place. On any error the temporary file is removed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let file_err = |message: String| ReportError::File {
        path: path.display().to_string(),
        message,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".profsql-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            file_err(format!(
                "cannot create a temporary file in {}: {e}",
                dir.display()
            ))
        })?;
    write(tmp.as_file_mut())?;
    tmp.as_file_mut()
        .flush()
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| file_err(e.to_string()))?;
    // Temporary files are created private (0600); the result is an ordinary output file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| file_err(e.error.to_string()))?;
    Ok(())
}
