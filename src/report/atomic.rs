//! Writes a file through a temporary sibling and a rename, so a failure never leaves a
//! partial file at the destination.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::ReportError;

/// A file being written next to its destination; it appears there only on `commit`.
/// Dropped without `commit`, the temporary file is removed.
pub struct AtomicFile {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<Self, ReportError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".profsql-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| ReportError::File {
                path: path.display().to_string(),
                message: format!("cannot create a temporary file in {}: {e}", dir.display()),
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
        })
    }

    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<(), ReportError> {
        let file_err = |message: String| ReportError::File {
            path: self.path.display().to_string(),
            message,
        };
        self.tmp
            .as_file_mut()
            .flush()
            .and_then(|_| self.tmp.as_file().sync_all())
            .map_err(|e| file_err(e.to_string()))?;
        // Temporary files are created private (0600); the result is an ordinary output file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(self.tmp.path(), std::fs::Permissions::from_mode(0o644));
        }
        let path = self.path.clone();
        self.tmp
            .persist(&path)
            .map_err(|e| file_err(e.error.to_string()))?;
        Ok(())
    }
}

/// Creates `path` by calling `write` on a temporary file in the same directory, then
/// renaming it into place. On any error the temporary file is removed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let mut out = AtomicFile::create(path)?;
    write(out.file())?;
    out.commit()
}
