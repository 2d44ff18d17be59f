//! Path confinement (`PPROF_MCP_BASEDIR`): with a base directory, every path argument is
//! resolved against it, symlinks followed, and refused when it leaves the base. Without
//! one, paths are used as given.

use std::path::{Component, Path, PathBuf};

use super::CallError;

pub const BASEDIR_ENV: &str = "PPROF_MCP_BASEDIR";

#[derive(Clone, Debug, Default)]
pub struct PathPolicy {
    /// The base directory, canonical.
    base: Option<PathBuf>,
}

impl PathPolicy {
    /// No confinement.
    pub fn open() -> Self {
        Self::default()
    }

    /// Confined to `base`, which must exist.
    pub fn confined(base: &Path) -> Result<Self, CallError> {
        let real = base.canonicalize().map_err(|e| {
            CallError::invalid(format!(
                "{BASEDIR_ENV}={}: cannot resolve: {e}",
                base.display()
            ))
        })?;
        Ok(Self { base: Some(real) })
    }

    /// From `PPROF_MCP_BASEDIR` (unset or empty: no confinement).
    pub fn from_env() -> Result<Self, CallError> {
        match std::env::var_os(BASEDIR_ENV) {
            Some(v) if !v.is_empty() => Self::confined(Path::new(&v)),
            _ => Ok(Self::open()),
        }
    }

    pub fn base(&self) -> Option<&Path> {
        self.base.as_deref()
    }

    /// A file to read: it must exist (NOT_FOUND otherwise) and, when confined, resolve
    /// inside the base.
    pub fn input(&self, field: &str, given: &str) -> Result<PathBuf, CallError> {
        let joined = self.join(field, given)?;
        let real = joined.canonicalize().map_err(|e| {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                super::ErrorCode::NotFound
            } else {
                super::ErrorCode::InvalidArgument
            };
            CallError::new(code, format!("{given}: {e}")).field(field)
        })?;
        self.inside(field, given, real)
    }

    /// A file to write: its nearest existing ancestor is resolved (symlinks followed) and
    /// must lie inside the base; the rest may not climb with `..`.
    pub fn output(&self, field: &str, given: &str) -> Result<PathBuf, CallError> {
        let joined = self.join(field, given)?;
        if self.base.is_none() {
            return Ok(joined);
        }
        let mut existing = joined.as_path();
        let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
        while !existing.exists() {
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name);
                    existing = parent;
                }
                _ => break,
            }
        }
        if joined
            .components()
            .any(|c| matches!(c, Component::ParentDir))
            && !rest.is_empty()
        {
            return Err(outside(field, given, self.base.as_deref()));
        }
        let real = existing
            .canonicalize()
            .map_err(|e| CallError::invalid(format!("{given}: {e}")).field(field))?;
        let mut out = self.inside(field, given, real)?;
        for part in rest.iter().rev() {
            out.push(part);
        }
        Ok(out)
    }

    fn join(&self, field: &str, given: &str) -> Result<PathBuf, CallError> {
        if given.is_empty() {
            return Err(CallError::invalid(format!("{field} is empty")).field(field));
        }
        let p = Path::new(given);
        Ok(match &self.base {
            Some(base) if p.is_relative() => base.join(p),
            _ => p.to_path_buf(),
        })
    }

    fn inside(&self, field: &str, given: &str, real: PathBuf) -> Result<PathBuf, CallError> {
        match &self.base {
            Some(base) if !real.starts_with(base) => Err(outside(field, given, Some(base))),
            _ => Ok(real),
        }
    }
}

fn outside(field: &str, given: &str, base: Option<&Path>) -> CallError {
    let base = base.map(|b| b.display().to_string()).unwrap_or_default();
    CallError::invalid(format!("path {given:?} is outside base dir {base:?}"))
        .field(field)
        .hint(format!("{BASEDIR_ENV} confines paths to {base}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_paths_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        std::fs::create_dir(&base).unwrap();
        std::fs::write(base.join("a.pb.gz"), b"x").unwrap();
        std::fs::write(dir.path().join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), base.join("link")).unwrap();
        let p = PathPolicy::confined(&base).unwrap();
        assert!(p.input("profile", "a.pb.gz").is_ok());
        for bad in ["../secret", "link", "/etc/passwd"] {
            let e = p.input("profile", bad).unwrap_err();
            assert!(e.message.contains("outside base dir"), "{bad}: {e}");
        }
        assert_eq!(
            p.input("profile", "missing").unwrap_err().code,
            super::super::ErrorCode::NotFound
        );
        assert!(p.output("output_path", "new/dir/out.pb.gz").is_ok());
        assert!(p.output("output_path", "../out.pb.gz").is_err());
        assert!(p.output("output_path", "link/x").is_err());
    }
}
