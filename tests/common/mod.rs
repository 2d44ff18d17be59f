//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use profsql::decode::DecodeOptions;
use profsql::Engine;

/// Every table a session has, sorted.
pub const ALL_TABLES: [&str; 13] = [
    "frames",
    "function_names",
    "functions",
    "labels",
    "lines",
    "locations",
    "mappings",
    "node_names",
    "nodes",
    "profiles",
    "sample_types",
    "samples",
    "stacks",
];

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `../shared/corpus` beside the repository, if present. Tests that need it skip (and say
/// so) when it is absent.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

pub fn engine() -> Engine {
    Engine::new(DecodeOptions::default())
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Every `P.exact.T.tsv` in `dir`, as (profile path, sample type, tsv path).
pub fn exact_references(dir: &Path) -> Vec<(PathBuf, String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".tsv") {
            if let Some(pos) = stem.rfind(".exact.") {
                let profile = dir.join(&stem[..pos]);
                let ty = stem[pos + ".exact.".len()..].to_string();
                out.push((profile, ty, e.path()));
            }
        }
    }
    out.sort();
    out
}

/// Rows of an exact reference: (name, flat, cum).
pub fn read_exact(path: &Path) -> Vec<(String, i64, i64)> {
    let text = std::fs::read_to_string(path).expect("read reference");
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.rsplitn(3, '\t');
            let cum = parts.next().unwrap().parse().unwrap();
            let flat = parts.next().unwrap().parse().unwrap();
            let name = parts.next().unwrap().to_string();
            (name, flat, cum)
        })
        .collect()
}

/// A sample as printed by `go tool pprof -raw`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawSample {
    pub values: Vec<i64>,
    pub locations: Vec<u64>,
    /// String labels as `key:[v1 v2]` tokens, in pprof's (sorted) order.
    pub labels: Vec<String>,
}

/// The sample types line and samples of a `-raw` listing.
pub fn read_raw(path: &Path) -> (Vec<String>, Vec<RawSample>) {
    let text = std::fs::read_to_string(path).expect("read raw");
    let mut lines = text.lines();
    for l in lines.by_ref() {
        if l.trim() == "Samples:" {
            break;
        }
    }
    let types: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(|t| t.trim_end_matches("[dflt]").to_string())
        .collect();
    let mut samples: Vec<RawSample> = Vec::new();
    for l in lines {
        if !l.starts_with(' ') {
            break; // "Locations" or another section
        }
        if let Some((vals, locs)) = l.split_once(':') {
            let values: Option<Vec<i64>> =
                vals.split_whitespace().map(|v| v.parse().ok()).collect();
            if let Some(values) = values {
                if !values.is_empty() {
                    samples.push(RawSample {
                        values,
                        locations: locs
                            .split_whitespace()
                            .map(|x| x.parse().unwrap())
                            .collect(),
                        labels: Vec::new(),
                    });
                    continue;
                }
            }
        }
        // A label line: string labels `k:[v]`; numeric labels come on their own line and
        // are recognised by their numeric values.
        if let Some(last) = samples.last_mut() {
            let t = l.trim();
            // Numeric labels print as `key:[128]` or, with a unit, `key:[128 bytes]`.
            let numeric = t
                .split_once(":[")
                .and_then(|(_, rest)| rest.split([' ', ']']).next())
                .is_some_and(|v| v.parse::<i64>().is_ok());
            if !numeric {
                last.labels.extend(split_label_tokens(t));
            }
        }
    }
    (types, samples)
}

fn split_label_tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find(":[") {
        let close = rest[open..]
            .find(']')
            .map(|c| open + c)
            .unwrap_or(rest.len() - 1);
        out.push(rest[..=close].trim().to_string());
        rest = &rest[close + 1..];
    }
    out
}
