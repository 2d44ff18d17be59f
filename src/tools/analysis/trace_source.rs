//! From a function to its source: the heaviest stack through a function (regex), the
//! frames around it with their flat and cum shares, and each frame's source lines found
//! under the repository root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::stacks::{self, Frame};
use super::{pct, round2, user_regex};
use crate::engine::Engine;
use crate::tools::pprof::{self, ReportOptions};
use crate::tools::{SampleType, ToolError};

pub struct TraceOptions {
    pub max_depth: usize,
    pub show_vendor: bool,
    pub context_lines: usize,
    pub repo_root: PathBuf,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TraceFrame {
    pub function: String,
    pub file: String,
    pub line: i64,
    pub flat_pct: f64,
    pub cum_pct: f64,
    pub matched: bool,
    pub is_vendor: bool,
    /// The file found under the repository root, relative to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// Lines around `line`, each `NNNN  text`, the sampled line marked with `>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snippet: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TraceSource {
    pub function: String,
    pub sample_type: String,
    /// The heaviest stack through the function: its value and share.
    pub stack_value: i64,
    pub stack_pct: f64,
    /// Root to leaf, at most max_depth frames around the (root-most) match.
    pub frames: Vec<TraceFrame>,
    pub warnings: Vec<String>,
}

fn is_vendor(f: &Frame) -> bool {
    f.file.contains("/vendor/") || f.file.contains("/pkg/mod/") || f.file.starts_with("vendor/")
}

/// The file under `real_root` (canonical) that `recorded` names: the recorded path
/// itself when it is inside the root, else the longest suffix of it that exists there.
pub fn find_source(real_root: &Path, recorded: &str) -> Option<PathBuf> {
    // Paths come from the profile: never follow `..` out of the root.
    if recorded.is_empty() || recorded.split(['/', '\\']).any(|p| p == "..") {
        return None;
    }
    let inside = |c: PathBuf| {
        c.canonicalize()
            .ok()
            .filter(|r| r.starts_with(real_root) && r.is_file())
    };
    let p = Path::new(recorded);
    if p.is_absolute() {
        if let Some(found) = inside(p.to_path_buf()) {
            return Some(found);
        }
    }
    let parts: Vec<&str> = recorded.split('/').filter(|s| !s.is_empty()).collect();
    (0..parts.len()).find_map(|i| inside(real_root.join(parts[i..].join("/"))))
}

fn snippet(path: &Path, line: i64, context: usize) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    if line <= 0 || line as usize > lines.len() {
        return Vec::new();
    }
    let at = line as usize - 1;
    let start = at.saturating_sub(context);
    let end = (at + context + 1).min(lines.len());
    (start..end)
        .map(|i| {
            format!(
                "{}{:>5}  {}",
                if i == at { ">" } else { " " },
                i + 1,
                lines[i]
            )
        })
        .collect()
}

pub async fn trace(
    engine: &Engine,
    id: u32,
    st: &SampleType,
    function: &str,
    o: &TraceOptions,
) -> Result<TraceSource, ToolError> {
    let re = user_regex("function", function)?;
    let all = stacks::load(engine, id, st, st).await?;
    let total: i64 = all.iter().map(|s| s.a.abs()).sum();
    let Some(best) = all
        .iter()
        .find(|s| s.frames.iter().any(|f| re.is_match(&f.name)))
    else {
        return Err(ToolError::NoMatch(function.to_string()));
    };
    // Every function's flat and cum, as pprof.top counts them.
    let ropts = ReportOptions {
        sample_index: Some(st.index.to_string()),
        nodecount: 0,
        nodefraction: 0.0,
        edgefraction: 0.0,
        ..ReportOptions::default()
    };
    let top = pprof::top(engine, id, &ropts).await?;
    let shares: BTreeMap<&str, (i64, i64)> = top
        .rows
        .iter()
        .map(|r| (r.name.as_str(), (r.flat, r.cum)))
        .collect();
    let root_first: Vec<&Frame> = best.frames.iter().rev().collect();
    let at = root_first
        .iter()
        .position(|f| re.is_match(&f.name))
        .unwrap_or(0);
    let mut warnings = Vec::new();
    let kept: Vec<(usize, &Frame)> = root_first
        .iter()
        .enumerate()
        .filter(|(i, f)| o.show_vendor || *i == at || !is_vendor(f))
        .map(|(i, f)| (i, *f))
        .collect();
    let pos = kept.iter().position(|(i, _)| *i == at).unwrap_or(0);
    let half = o.max_depth / 2;
    let start = pos
        .saturating_sub(half)
        .min(kept.len().saturating_sub(o.max_depth));
    let window = &kept[start..(start + o.max_depth).min(kept.len())];
    let mut missing = 0;
    let real_root = o.repo_root.canonicalize().ok();
    let frames = window
        .iter()
        .map(|(i, f)| {
            let (flat, cum) = shares.get(&*f.name).copied().unwrap_or((0, 0));
            let found = real_root.as_deref().and_then(|r| find_source(r, &f.file));
            if found.is_none() && !f.file.is_empty() {
                missing += 1;
            }
            TraceFrame {
                function: f.name.to_string(),
                file: f.file.to_string(),
                line: f.line,
                flat_pct: round2(pct(flat, top.total)),
                cum_pct: round2(pct(cum, top.total)),
                matched: *i == at,
                is_vendor: is_vendor(f),
                source_file: found
                    .as_ref()
                    .zip(real_root.as_deref())
                    .map(|(p, root)| p.strip_prefix(root).unwrap_or(p).display().to_string()),
                snippet: found
                    .map(|p| snippet(&p, f.line, o.context_lines))
                    .unwrap_or_default(),
            }
        })
        .collect();
    if missing > 0 {
        warnings.push(format!(
            "{missing} frame(s) have no source under {}",
            o.repo_root.display()
        ));
    }
    Ok(TraceSource {
        function: function.to_string(),
        sample_type: st.r#type.clone(),
        stack_value: best.a,
        stack_pct: round2(pct(best.a, total)),
        frames,
        warnings,
    })
}
