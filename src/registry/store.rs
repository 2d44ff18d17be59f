//! Profiles a server has loaded. Each file is decoded once and shared by every call (an
//! `Arc`, so an eviction never pulls a profile from under a running call); past a memory
//! budget the least recently used are dropped and decoded again on their next use.
//! Handles (`handle:` + 16 hex) name files across calls.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use serde::Serialize;

use super::CallError;
use crate::decode::{self, DecodeOptions};
use crate::tables::LoadedProfile;

pub const HANDLE_PREFIX: &str = "handle:";
pub const BUDGET_ENV: &str = "PPROF_MCP_CACHE_BYTES";
const DEFAULT_BUDGET: u64 = 2 << 30;

/// Where a downloaded file came from; empty for local files.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Origin {
    /// cpu, heap, mutex, block, goroutines, ...
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Datadog's profile and event ids.
    #[serde(rename = "dd_profile_id", skip_serializing_if = "Option::is_none")]
    pub dd_profile_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Files downloaded together (one Datadog bundle, one endpoint fetch) share it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

/// What a handle names.
#[derive(Clone, Debug, Serialize)]
pub struct HandleInfo {
    pub handle: String,
    pub path: String,
    pub bytes: u64,
    /// Profile id in `sql.query` tables while loaded.
    pub profile_id: Option<u32>,
    pub loaded: bool,
    #[serde(flatten)]
    pub origin: Origin,
}

struct Entry {
    handle: String,
    path: PathBuf,
    stamp: Option<(u64, SystemTime)>,
    file_bytes: u64,
    loaded: Option<Arc<LoadedProfile>>,
    /// Profile id, kept when the profile is evicted and decoded again, so the id
    /// `profiles.load` reported stays right.
    id: Option<u32>,
    origin: Origin,
    /// Estimated memory while loaded.
    cost: u64,
    last_used: u64,
}

#[derive(Default)]
struct Inner {
    entries: Vec<Entry>,
    next_id: u32,
    tick: u64,
}

pub struct ProfileStore {
    inner: Mutex<Inner>,
    decode: DecodeOptions,
    budget: u64,
}

fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// `prefix` + 16 random lowercase hex digits.
pub fn random_id(prefix: &str) -> Result<String, CallError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| CallError::internal(format!("no randomness for an id: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}{hex}"))
}

fn new_handle() -> Result<String, CallError> {
    random_id(HANDLE_PREFIX)
}

/// True for `handle:` + 16 lowercase hex digits.
pub fn is_handle(s: &str) -> bool {
    s.strip_prefix(HANDLE_PREFIX).is_some_and(|h| {
        h.len() == 16
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

impl ProfileStore {
    pub fn new(decode: DecodeOptions, budget: u64) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            decode,
            budget,
        }
    }

    /// Budget from `PPROF_MCP_CACHE_BYTES` (default 2 GiB).
    pub fn from_env() -> Result<Self, CallError> {
        let decode = DecodeOptions::from_env()
            .map_err(|e| CallError::invalid(format!("{}: {e}", decode::MAX_DECOMPRESSED_ENV)))?;
        let budget = match std::env::var(BUDGET_ENV) {
            Ok(v) if !v.is_empty() => v.trim().parse().map_err(|_| {
                CallError::invalid(format!("{BUDGET_ENV}={v:?} is not a number of bytes"))
            })?,
            _ => DEFAULT_BUDGET,
        };
        Ok(Self::new(decode, budget))
    }

    pub fn decode_options(&self) -> DecodeOptions {
        self.decode
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking holder cannot leave the list half-changed: every change is one push
        // or one field assignment.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file a handle names.
    pub fn path_of(&self, handle: &str) -> Result<PathBuf, CallError> {
        let inner = self.lock();
        inner
            .entries
            .iter()
            .find(|e| e.handle == handle)
            .map(|e| e.path.clone())
            .ok_or_else(|| {
                CallError::not_found(format!("unknown handle {handle}"))
                    .hint("handles come from profiles.load; a restarted server forgets them")
            })
    }

    /// The handle of a (resolved) file, registering it without decoding.
    pub fn register(&self, path: &Path) -> Result<String, CallError> {
        let mut inner = self.lock();
        if let Some(e) = inner.entries.iter().find(|e| e.path == path) {
            return Ok(e.handle.clone());
        }
        let handle = new_handle()?;
        let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        inner.entries.push(Entry {
            handle: handle.clone(),
            path: path.to_path_buf(),
            stamp: None,
            file_bytes,
            loaded: None,
            id: None,
            origin: Origin::default(),
            cost: 0,
            last_used: 0,
        });
        Ok(handle)
    }

    /// The handle of a downloaded file, recording where it came from.
    pub fn register_origin(&self, path: &Path, origin: Origin) -> Result<String, CallError> {
        let handle = self.register(path)?;
        let mut inner = self.lock();
        if let Some(e) = inner.entries.iter_mut().find(|e| e.handle == handle) {
            e.origin = origin;
            // A file downloaded again under the same name is a new file.
            e.file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        }
        Ok(handle)
    }

    /// The handles downloaded together with `bundle`, in registration order.
    pub fn bundle(&self, bundle: &str) -> Vec<HandleInfo> {
        self.handles()
            .into_iter()
            .filter(|h| h.origin.bundle.as_deref() == Some(bundle))
            .collect()
    }

    /// The decoded profile of a (resolved) file: cached, or decoded now. A file changed
    /// since it was decoded is decoded again.
    pub fn load(&self, path: &Path) -> Result<(String, Arc<LoadedProfile>), CallError> {
        let handle = self.register(path)?;
        let now = stamp(path);
        {
            let mut inner = self.lock();
            inner.tick += 1;
            let tick = inner.tick;
            if let Some(e) = inner.entries.iter_mut().find(|e| e.handle == handle) {
                if let (Some(lp), true) = (&e.loaded, e.stamp == now) {
                    e.last_used = tick;
                    return Ok((handle, lp.clone()));
                }
            }
        }
        // Decoded outside the lock: other calls go on meanwhile. Two calls may decode the
        // same file at once; the first to finish is kept.
        let profile = match decode::decode_file(path, &self.decode) {
            Ok(p) => p,
            Err(e) => {
                // A file that never decoded is not kept as a handle (nor listed as a
                // resource).
                let mut inner = self.lock();
                inner
                    .entries
                    .retain(|e| e.handle != handle || e.loaded.is_some() || e.stamp.is_some());
                return Err(CallError::from(crate::engine::EngineError::from(e)));
            }
        };
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let Some(pos) = inner.entries.iter().position(|e| e.handle == handle) else {
            return Err(CallError::internal("a registered handle vanished"));
        };
        let id = match inner.entries[pos].id {
            Some(id) => id,
            None => {
                let id = inner.next_id;
                inner.next_id += 1;
                inner.entries[pos].id = Some(id);
                id
            }
        };
        if let (Some(lp), true) = (&inner.entries[pos].loaded, inner.entries[pos].stamp == now) {
            let lp = lp.clone();
            inner.entries[pos].last_used = tick;
            return Ok((handle, lp));
        }
        let lp = Arc::new(
            LoadedProfile::new(id, path.display().to_string(), profile)
                .map_err(|e| CallError::internal(format!("{}: {e}", path.display())))?,
        );
        let e = &mut inner.entries[pos];
        e.cost = lp.approx_bytes();
        e.loaded = Some(lp.clone());
        e.stamp = now;
        e.last_used = tick;
        evict(&mut inner, self.budget, pos);
        Ok((handle, lp))
    }

    /// Every profile loaded now.
    pub fn loaded(&self) -> Vec<Arc<LoadedProfile>> {
        let inner = self.lock();
        inner
            .entries
            .iter()
            .filter_map(|e| e.loaded.clone())
            .collect()
    }

    /// Every handle, in registration order.
    pub fn handles(&self) -> Vec<HandleInfo> {
        let inner = self.lock();
        inner
            .entries
            .iter()
            .map(|e| HandleInfo {
                handle: e.handle.clone(),
                path: e.path.display().to_string(),
                bytes: e.file_bytes,
                profile_id: e.loaded.as_ref().map(|lp| lp.id),
                loaded: e.loaded.is_some(),
                origin: e.origin.clone(),
            })
            .collect()
    }

    /// Memory the loaded profiles are estimated to hold.
    pub fn loaded_bytes(&self) -> u64 {
        self.lock().entries.iter().map(|e| e.cost).sum()
    }
}

/// Drops least recently used profiles until the rest fit the budget; `keep` stays.
fn evict(inner: &mut Inner, budget: u64, keep: usize) {
    loop {
        let total: u64 = inner.entries.iter().map(|e| e.cost).sum();
        if total <= budget {
            return;
        }
        let victim = inner
            .entries
            .iter()
            .enumerate()
            .filter(|(i, e)| *i != keep && e.loaded.is_some())
            .min_by_key(|(_, e)| e.last_used)
            .map(|(i, _)| i);
        let Some(v) = victim else { return };
        let e = &mut inner.entries[v];
        e.loaded = None;
        e.cost = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_sixteen_lowercase_hex() {
        let h = new_handle().unwrap();
        assert!(is_handle(&h), "{h}");
        assert!(!is_handle("handle:0123456789ABCDEF"));
        assert!(!is_handle("handle:0123"));
    }
}
