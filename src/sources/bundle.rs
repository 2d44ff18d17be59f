//! A Datadog profile bundle (a zip of `cpu.pprof`, `delta-heap.pprof`, ..., `metrics.json`,
//! possibly in folders, members gzip, zstd or raw) unpacked into `{prefix}_{name}` files.
//! Entries that would leave the folder (`..`, absolute names) or are links refuse the
//! whole bundle; every member is checked before any file appears.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::fetch::{commit_all, safe_component, verify_profile, Staged};
use super::{DownloadedFile, SourceError};
use crate::decode::{Container, DecodeOptions};

/// The profile type of a bundle member, by file name.
pub fn member_type(base: &str) -> &'static str {
    match base {
        "cpu.pprof" => "cpu",
        "delta-heap.pprof" | "heap.pprof" => "heap",
        "delta-mutex.pprof" | "mutex.pprof" => "mutex",
        "delta-block.pprof" | "block.pprof" => "block",
        "goroutines.pprof" => "goroutines",
        "goroutineswait.pprof" => "goroutineswait",
        "delta-allocs.pprof" | "allocs.pprof" => "allocs",
        _ => "unknown",
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Unpacked {
    /// Profiles, by member path.
    pub files: Vec<DownloadedFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Why a member name is refused, if it is.
fn unsafe_name(name: &str) -> Option<&'static str> {
    let parts: Vec<&str> = name.split(['/', '\\']).collect();
    if name.starts_with('/') || name.starts_with('\\') || name.as_bytes().get(1) == Some(&b':') {
        return Some("an absolute name");
    }
    if parts.contains(&"..") {
        return Some("a `..` component");
    }
    None
}

fn corrupt(detail: impl Into<String>) -> SourceError {
    SourceError::Corrupt {
        what: "profile bundle".into(),
        detail: detail.into(),
    }
}

/// Unpacks the zip in `zip` into `out_dir` as `{prefix}_{basename}`; at most `max_total`
/// bytes unpacked in all. zstd members are stored gzipped, so `go tool pprof` reads them.
pub fn unpack(
    zip: impl Read + Seek,
    out_dir: &Path,
    prefix: &str,
    opts: &DecodeOptions,
    max_total: u64,
) -> Result<Unpacked, SourceError> {
    let mut archive =
        zip::ZipArchive::new(zip).map_err(|e| corrupt(format!("not a valid zip: {e}")))?;
    let mut entries: Vec<(String, usize)> = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| corrupt(format!("entry {i}: {e}")))?;
        let name = entry.name().to_string();
        if let Some(why) = unsafe_name(&name) {
            return Err(corrupt(format!("entry {name:?} has {why}: refused")));
        }
        let is_link = entry.unix_mode().is_some_and(|m| m & 0o170000 == 0o120000);
        if is_link {
            return Err(corrupt(format!("entry {name:?} is a link: refused")));
        }
        if !entry.is_dir() {
            entries.push((name, i));
        }
    }
    entries.sort();
    let prefix = safe_component(prefix);
    let mut staged: Vec<Staged> = Vec::new();
    let mut files = Vec::new();
    let mut metrics_path = None;
    let mut warnings = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut total: u64 = 0;
    for (name, i) in entries {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string();
        let is_profile = base.ends_with(".pprof");
        if !is_profile && base != "metrics.json" {
            warnings.push(format!("skipped {name} (not a profile)"));
            continue;
        }
        let mut entry = archive
            .by_index(i)
            .map_err(|e| corrupt(format!("{name}: {e}")))?;
        let mut bytes = Vec::new();
        let room = max_total.saturating_sub(total);
        (&mut entry)
            .take(room.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| corrupt(format!("{name}: {e}")))?;
        total += bytes.len() as u64;
        if total > max_total {
            return Err(corrupt(format!(
                "unpacks to more than {max_total} bytes (PPROF_MCP_DD_MAX_BUNDLE_BYTES): refused"
            )));
        }
        if !is_profile {
            if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() {
                warnings.push(format!("skipped {name}: not JSON"));
                continue;
            }
            let mut s = Staged::new(&out_dir.join(format!("{prefix}_metrics.json")))?;
            s.write_all(&bytes)?;
            metrics_path = Some(s.dest().to_path_buf());
            staged.push(s);
            continue;
        }
        verify_profile(&format!("bundle member {name}"), &bytes, opts)?;
        if Container::sniff(&bytes) == Container::Zstd {
            let raw = crate::decode::decompress(&bytes, opts.max_decompressed)
                .map_err(|e| corrupt(format!("{name}: {e}")))?;
            bytes = gzip(&raw).map_err(|e| corrupt(format!("{name}: {e}")))?;
        }
        let mut file_name = format!("{prefix}_{}", safe_component(&base));
        let mut n = 2;
        while used.contains(&file_name) {
            file_name = format!("{prefix}_{n}_{}", safe_component(&base));
            n += 1;
        }
        used.push(file_name.clone());
        let mut s = Staged::new(&out_dir.join(&file_name))?;
        s.write_all(&bytes)?;
        files.push(DownloadedFile {
            kind: member_type(&base).to_string(),
            path: s.dest().to_path_buf(),
            bytes: bytes.len() as u64,
        });
        staged.push(s);
    }
    if files.is_empty() {
        return Err(corrupt("no .pprof files found in bundle"));
    }
    commit_all(staged)?;
    Ok(Unpacked {
        files,
        metrics_path,
        warnings,
    })
}

fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(raw)?;
    enc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_are_refused() {
        assert!(unsafe_name("../evil.pprof").is_some());
        assert!(unsafe_name("a/../../b").is_some());
        assert!(unsafe_name("/etc/passwd").is_some());
        assert!(unsafe_name("C:\\x").is_some());
        assert!(unsafe_name("a/b/cpu.pprof").is_none());
        assert!(unsafe_name("..cpu.pprof").is_none());
        assert_eq!(member_type("delta-heap.pprof"), "heap");
        assert_eq!(member_type("x.pprof"), "unknown");
    }
}
