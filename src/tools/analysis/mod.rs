//! The higher-level analyses (storylines, goroutines, contention, memory, overheads,
//! regressions, ...). Each reads the engine's tables through canned SQL under
//! `sql/analysis/` (or the pprof reports' own queries) and returns a plain struct; the
//! registry turns those into tool payloads and no analysis reads another one's text.

/// A canned query from `sql/analysis/<file>.sql`.
macro_rules! analysis_sql {
    ($name:ident, $file:literal) => {
        pub const $name: crate::engine::CannedQuery = crate::engine::CannedQuery {
            name: $file,
            template: include_str!(concat!("../../../sql/analysis/", $file, ".sql")),
        };
    };
}

pub mod alloc_paths;
pub mod contention;
pub mod correlate;
pub mod discover;
pub mod goroutines;
pub mod knowledge;
pub mod markdown;
pub mod memory;
pub mod overhead;
pub mod regression;
pub mod repo;
pub mod stacks;
pub mod storylines;
pub mod suggest;
pub mod temporal;
pub mod trace_source;
pub mod values;

use crate::tables::LoadedProfile;

use super::{SampleType, ToolError};

/// The first sample type whose name is one of `names` (in that order of preference).
pub fn sample_type_named(lp: &LoadedProfile, names: &[&str]) -> Option<SampleType> {
    let p = &lp.profile;
    names.iter().find_map(|want| {
        (0..p.sample_types.len())
            .find(|&i| p.sample_type_name(i) == *want)
            .and_then(|i| super::resolve_sample_type(lp, Some(&i.to_string())).ok())
    })
}

/// The sample types of a profile, `name` each.
pub fn sample_type_names(lp: &LoadedProfile) -> Vec<String> {
    let p = &lp.profile;
    (0..p.sample_types.len())
        .map(|i| p.sample_type_name(i).to_string())
        .collect()
}

/// What kind of profile this is, from its sample types (names of files are not trusted).
pub fn profile_kind(lp: &LoadedProfile) -> &'static str {
    let types = sample_type_names(lp);
    let has = |n: &str| types.iter().any(|t| t == n);
    if has("cpu") {
        "cpu"
    } else if has("alloc_space") || has("inuse_space") {
        "heap"
    } else if has("delay") || has("contentions") {
        // Mutex and block profiles have the same sample types; only the name tells
        // them apart (as in the original).
        if lp.source.to_lowercase().contains("block") {
            "block"
        } else {
            "mutex"
        }
    } else if has("goroutine") || has("goroutines") {
        "goroutine"
    } else if has("samples") {
        "cpu"
    } else {
        "unknown"
    }
}

/// Percentage `part / total * 100`, 0 when the total is 0.
pub fn pct(part: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

/// Rounded to two decimals (what the payloads show).
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A regex from user input, with the field it came from named in the error.
pub fn user_regex(field: &str, pattern: &str) -> Result<regex::Regex, ToolError> {
    regex::Regex::new(pattern)
        .map_err(|e| ToolError::InvalidArgument(format!("{field} regex {pattern:?}: {e}")))
}
