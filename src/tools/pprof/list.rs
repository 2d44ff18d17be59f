//! `go tool pprof -list REGEX`: annotated source of the matching functions, line by line
//! (pprof's `printSource`), with pprof's source search and windows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Serialize;

use super::graph::{graph_of, Trim};
use super::measurement::percentage;
use super::options::{Granularity, ReportOptions};
use super::ValueFormat;
use crate::engine::Engine;
use crate::tables::nodes::{clean_path, trim_path};
use crate::tools::ToolError;

/// Lines shown before the first and after the last sampled line.
const MARGIN: i64 = 5;

#[derive(Clone, Debug, Serialize)]
pub struct SourceLine {
    pub line: i64,
    pub flat: i64,
    pub cum: i64,
    /// `.` for zero, as pprof prints it.
    pub flat_fmt: String,
    pub cum_fmt: String,
    pub text: String,
}

/// One (function, file) block.
#[derive(Clone, Debug, Serialize)]
pub struct Routine {
    pub function: String,
    /// The file as pprof names it (after trim_path); empty when the function has none.
    pub file: String,
    pub flat: i64,
    pub cum: i64,
    pub flat_fmt: String,
    pub cum_fmt: String,
    pub cum_pct: String,
    /// Set when the source could not be read (pprof's " Error: ..." line).
    pub error: Option<String>,
    pub lines: Vec<SourceLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ListReport {
    pub profile: String,
    pub sample_type: String,
    pub unit: ValueFormat,
    pub total: i64,
    pub total_fmt: String,
    /// The search path used (pprof's source_path, or the working directory).
    pub search_path: String,
    pub routines: Vec<Routine>,
    pub warnings: Vec<String>,
}

/// Where sources are looked up.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    /// Directories searched (pprof's `-source_path` list); empty = working directory.
    pub source_path: Vec<String>,
    /// Prefixes removed from recorded paths (pprof's `-trim_path`, ':'-separated).
    pub trim_path: String,
    /// When set (canonical), a source is read only if it resolves inside this folder: the
    /// file names come from the profile, so they may point anywhere.
    pub confine: Option<PathBuf>,
}

struct NodeSym {
    name: String,
    file: String,
    line: i64,
    start_line: i64,
}

/// pprof's `openSourceFile`: an absolute path must exist; a relative one is tried under
/// each search directory and each of its parents.
fn find_source(
    path: &str,
    search: &str,
    trim: &str,
    confine: Option<&Path>,
) -> Result<PathBuf, String> {
    let found = find_anywhere(path, search, trim)?;
    match confine {
        Some(root) => match found.canonicalize() {
            Ok(real) if real.starts_with(root) => Ok(real),
            _ => Err(format!(
                "could not find file {path} inside {}",
                root.display()
            )),
        },
        None => Ok(found),
    }
}

fn find_anywhere(path: &str, search: &str, trim: &str) -> Result<PathBuf, String> {
    let dirs: Vec<String> = search
        .split(':')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let path = trim_path(path, trim, &dirs);
    if Path::new(path).is_absolute() {
        return if Path::new(path).is_file() {
            Ok(PathBuf::from(path))
        } else {
            Err(format!("open {path}: no such file or directory"))
        };
    }
    for dir in &dirs {
        let mut dir = PathBuf::from(dir);
        loop {
            let candidate = dir.join(path);
            if candidate.is_file() {
                return Ok(candidate);
            }
            if !dir.pop() {
                break;
            }
        }
    }
    Err(format!("could not find file {path} on path {search}"))
}

/// Lines of a source file, 1-based (Go's line scanner: `\n` splits, a trailing `\r` goes).
fn read_lines(path: &Path) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .split_terminator('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect())
}

/// `go tool pprof -list REGEX`.
pub async fn list(
    engine: &Engine,
    profile_id: u32,
    o: &ReportOptions,
    regex: &str,
    src: &SourceOptions,
) -> Result<ListReport, ToolError> {
    let rx = Regex::new(regex)
        .map_err(|e| ToolError::InvalidArgument(format!("parsing argument regexp {regex}: {e}")))?;
    let lp = engine.profile(profile_id)?;
    let mut o = o.clone();
    o.granularity = Granularity::Lines;
    // Paths are trimmed below for display and search; nodes keep the recorded names.
    o.trim_path = None;
    o.source_path.clear();
    let trim = Trim {
        enabled: false,
        nodecount: 0,
        labels: false,
        sorted: true,
    };
    // Only the matching functions' frames matter here.
    let p = &lp.profile;
    let only: Vec<bool> = lp
        .symbols
        .frames
        .iter()
        .map(|f| {
            let name = p
                .function(f.function_id)
                .map_or("", |fun| p.str_i64(fun.name));
            rx.is_match(name)
        })
        .collect();
    let (g, _) = graph_of(engine, lp, &o, trim, Some(only)).await?;
    let fmt = ValueFormat::per_value(&g.sample_type.unit);
    // What each lines-granularity node is: function, file, line, start line.
    let map = lp.node_map(Granularity::Lines.as_str());
    let search = src.source_path.join(":");
    let search_dirs: Vec<String> = src.source_path.clone();
    let mut syms: Vec<Option<NodeSym>> = Vec::new();
    syms.resize_with(map.names.len(), || None);
    for (key, f) in lp.symbols.frames.iter().enumerate() {
        let Some(&id) = map.node_of.get(key) else {
            continue;
        };
        let Some(slot) = syms.get_mut(id as usize) else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        let func = p.function(f.function_id);
        *slot = Some(NodeSym {
            name: func.map_or("", |fun| p.str_i64(fun.name)).to_string(),
            file: func
                .map(|fun| p.str_i64(fun.filename))
                .filter(|s| !s.is_empty())
                .map(|s| clean_path(trim_path(s, &src.trim_path, &search_dirs)).into_owned())
                .unwrap_or_default(),
            line: f.line,
            start_line: func.map_or(0, |fun| fun.start_line),
        });
    }
    // function -> file -> [(line, start line, flat, cum)]
    type Hits = Vec<(i64, i64, i64, i64)>;
    let mut by_fn: BTreeMap<&str, BTreeMap<&str, Hits>> = BTreeMap::new();
    for n in &g.nodes {
        let Some(Some(s)) = syms.get(n.id as usize) else {
            continue;
        };
        if !rx.is_match(&s.name) {
            continue;
        }
        by_fn
            .entry(&s.name)
            .or_default()
            .entry(&s.file)
            .or_default()
            .push((s.line, s.start_line, n.flat_value(), n.cum_value()));
    }
    if by_fn.is_empty() {
        return Err(ToolError::NoMatch(regex.to_string()));
    }
    let search_shown = if search.is_empty() {
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    } else {
        search.clone()
    };
    let mut files: BTreeMap<String, Result<Vec<String>, String>> = BTreeMap::new();
    let mut routines = Vec::new();
    for (name, by_file) in by_fn {
        let with_files: Vec<(&str, &Hits)> = by_file
            .iter()
            .filter(|(f, _)| !f.is_empty())
            .map(|(f, h)| (*f, h))
            .collect();
        if with_files.is_empty() {
            routines.push(Routine {
                function: name.to_string(),
                file: String::new(),
                flat: 0,
                cum: 0,
                flat_fmt: String::new(),
                cum_fmt: String::new(),
                cum_pct: String::new(),
                error: None,
                lines: Vec::new(),
            });
            continue;
        }
        for (file, hits) in with_files {
            let flat: i64 = hits.iter().map(|h| h.2).sum();
            let cum: i64 = hits.iter().map(|h| h.3).sum();
            let source = files
                .entry(file.to_string())
                .or_insert_with(|| {
                    find_source(file, &search_shown, &src.trim_path, src.confine.as_deref())
                        .and_then(|p| read_lines(&p))
                })
                .clone();
            let mut routine = Routine {
                function: name.to_string(),
                file: file.to_string(),
                flat,
                cum,
                flat_fmt: fmt.format(flat),
                cum_fmt: fmt.format(cum),
                cum_pct: percentage(cum, g.total),
                error: None,
                lines: Vec::new(),
            };
            match source {
                Err(e) => routine.error = Some(e),
                Ok(text) => routine.lines = window(&text, hits, &fmt),
            }
            routines.push(routine);
        }
    }
    Ok(ListReport {
        profile: lp.source.clone(),
        sample_type: super::type_label(&g.sample_type, o.mean),
        total_fmt: fmt.format(g.total),
        unit: fmt,
        total: g.total,
        search_path: search_shown,
        routines,
        warnings: super::reports::warnings(&g.unmatched),
    })
}

/// pprof's window: from the function's start line (else the first sampled line − 5) to
/// the last sampled line + 5, stopping at the end of the file.
fn window(text: &[String], hits: &[(i64, i64, i64, i64)], fmt: &ValueFormat) -> Vec<SourceLine> {
    let mut hits = hits.to_vec();
    hits.sort_unstable();
    let Some(first) = hits.first() else {
        return Vec::new();
    };
    let mut start = if first.1 != 0 {
        first.1
    } else {
        first.0 - MARGIN
    };
    let mut end = first.0 + MARGIN;
    let mut per_line: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for &(line, start_line, flat, cum) in &hits {
        let node_start = if start_line != 0 {
            start_line
        } else {
            line - MARGIN
        };
        if node_start < start {
            start = node_start;
        } else if line + MARGIN > end {
            end = line + MARGIN;
        }
        let e = per_line.entry(line).or_default();
        e.0 += flat;
        e.1 += cum;
    }
    let dot = |v: i64| {
        if v == 0 {
            ".".to_string()
        } else {
            fmt.format(v)
        }
    };
    let mut out = Vec::new();
    for line in start.max(1)..=end {
        let Some(text) = usize::try_from(line - 1).ok().and_then(|i| text.get(i)) else {
            break;
        };
        let (flat, cum) = per_line.get(&line).copied().unwrap_or_default();
        out.push(SourceLine {
            line,
            flat,
            cum,
            flat_fmt: dot(flat),
            cum_fmt: dot(cum),
            text: text.clone(),
        });
    }
    out
}
