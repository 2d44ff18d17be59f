//! Files being downloaded: written to a temporary file beside the destination, checked,
//! then renamed into place, all or nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::SourceError;
use crate::decode::{self, DecodeOptions, Profile};

/// A file written in its destination folder under a temporary name; dropped without
/// `commit`, it is removed.
pub struct Staged {
    tmp: NamedTempFile,
    dest: PathBuf,
}

impl Staged {
    pub fn new(dest: &Path) -> Result<Self, SourceError> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| SourceError::io(dir, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".profsql-download-")
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(|e| SourceError::io(dir, format!("cannot create a temporary file: {e}")))?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Where the content is now (the temporary file).
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), SourceError> {
        let dest = self.dest.clone();
        self.file()
            .write_all(bytes)
            .map_err(|e| SourceError::io(dest, e))
    }

    fn commit(mut self) -> Result<PathBuf, SourceError> {
        let dest = self.dest.clone();
        self.tmp
            .as_file_mut()
            .flush()
            .and_then(|_| self.tmp.as_file().sync_all())
            .map_err(|e| SourceError::io(&dest, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(self.tmp.path(), std::fs::Permissions::from_mode(0o644));
        }
        self.tmp
            .persist(&dest)
            .map_err(|e| SourceError::io(&dest, e.error))?;
        Ok(dest)
    }
}

/// Renames every staged file into place; if one rename fails, the ones already renamed
/// are removed again, so a set lands whole or not at all.
pub fn commit_all(staged: Vec<Staged>) -> Result<Vec<PathBuf>, SourceError> {
    let mut done = Vec::with_capacity(staged.len());
    for s in staged {
        match s.commit() {
            Ok(p) => done.push(p),
            Err(e) => {
                for p in &done {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e);
            }
        }
    }
    Ok(done)
}

/// Checks that `bytes` decode as a profile; the error names `what`.
pub fn verify_profile(
    what: &str,
    bytes: &[u8],
    opts: &DecodeOptions,
) -> Result<Profile, SourceError> {
    decode::decode_bytes(what, bytes, opts).map_err(|e| SourceError::Corrupt {
        what: what.to_string(),
        detail: format!("not a profile: {}", e.reason),
    })
}

/// A name safe as one path component: letters, digits, `-`, `_` and `.`; others become `_`.
pub fn safe_component(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('.');
    if trimmed.is_empty() {
        "profile".into()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_land_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Staged::new(&dir.path().join("a")).unwrap();
        a.write_all(b"1").unwrap();
        let b = Staged::new(&dir.path().join("b")).unwrap();
        drop(b);
        let listed = |d: &Path| std::fs::read_dir(d).unwrap().count();
        assert_eq!(listed(dir.path()), 1, "the dropped file is gone");
        drop(a);
        assert_eq!(listed(dir.path()), 0);
        let mut a = Staged::new(&dir.path().join("a")).unwrap();
        a.write_all(b"1").unwrap();
        let mut b = Staged::new(&dir.path().join("missing/dir/b")).unwrap();
        b.write_all(b"2").unwrap();
        std::fs::remove_dir_all(dir.path().join("missing")).unwrap();
        assert!(commit_all(vec![a, b]).is_err());
        assert_eq!(listed(dir.path()), 0, "a was taken back");
        assert_eq!(safe_component("../a b/c"), "_a_b_c");
        assert_eq!(safe_component(".."), "profile");
    }
}
