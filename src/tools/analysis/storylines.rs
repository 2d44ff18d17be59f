//! Storylines: for each of the heaviest functions, the path that leads to it and on from
//! it, following the heaviest branch (summed over every sample through the function) at
//! each step, and the application frame nearest the leaf, with peek/list evidence.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::stacks::{self, Stack};
use crate::engine::Engine;
use crate::tools::pprof::{self, ListReport, PeekReport, ReportOptions, SourceOptions, TopReport};
use crate::tools::{resolve_sample_type, SampleType, ToolError};

/// Frames of a call chain shown.
const CHAIN: usize = 12;

pub struct StorylineOptions {
    pub n: usize,
    pub report: ReportOptions,
    pub repo_prefix: Vec<String>,
    /// Source folders for the list evidence; None: no list evidence.
    pub source: Option<SourceOptions>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Storyline {
    pub leaf_hotspot: String,
    pub flat: i64,
    pub flat_pct: String,
    pub cum: i64,
    pub cum_pct: String,
    /// Root to leaf, at most 12 frames, starting at the hotspot when the path is longer.
    pub call_chain: Vec<String>,
    /// Value through the whole chain (the heaviest path's weight at its leaf end).
    pub chain_value: i64,
    pub first_app_frame: Option<String>,
    #[serde(skip)]
    pub top_row: Option<pprof::reports::TopRow>,
    #[serde(skip)]
    pub peek_leaf: Option<Arc<PeekReport>>,
    #[serde(skip)]
    pub peek_first_app: Option<Arc<PeekReport>>,
    #[serde(skip)]
    pub list_first_app: Option<ListReport>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Storylines {
    pub sample_type: String,
    pub storylines: Vec<Storyline>,
    #[serde(skip)]
    pub top: Option<TopReport>,
    pub warnings: Vec<String>,
}

/// Stacks with frame names as small integers, root first, for walking many paths.
pub struct Paths<'a> {
    names: Vec<&'a str>,
    ids: foldhash::HashMap<&'a str, u32>,
    stacks: Vec<(Vec<u32>, i64)>,
}

impl<'a> Paths<'a> {
    pub fn new(stacks: &'a [Stack]) -> Self {
        let mut names = Vec::new();
        let mut ids: foldhash::HashMap<&'a str, u32> = Default::default();
        // Frames of one load share one string per name: its address finds the id without
        // hashing the text again.
        let mut by_address: foldhash::HashMap<usize, u32> = Default::default();
        let stacks = stacks
            .iter()
            .map(|s| {
                let root_first = s
                    .frames
                    .iter()
                    .rev()
                    .map(|f| {
                        *by_address
                            .entry(f.name.as_ptr() as usize)
                            .or_insert_with(|| {
                                *ids.entry(&*f.name).or_insert_with(|| {
                                    names.push(&*f.name);
                                    names.len() as u32 - 1
                                })
                            })
                    })
                    .collect();
                (root_first, s.a.abs())
            })
            .collect();
        Self { names, ids, stacks }
    }

    /// The heaviest of `groups` (ties: the smaller name), if any.
    fn heaviest(&self, groups: &std::collections::HashMap<u32, i64>) -> Option<(u32, i64)> {
        groups
            .iter()
            .max_by(|a, b| {
                a.1.cmp(b.1)
                    .then_with(|| self.names[*b.0 as usize].cmp(self.names[*a.0 as usize]))
            })
            .map(|(k, v)| (*k, *v))
    }

    /// The heaviest path through `name`, root to leaf, and its weight at the leaf end.
    pub fn through(&self, name: &str) -> (Vec<String>, i64) {
        let Some(&target) = self.ids.get(name) else {
            return (Vec::new(), 0);
        };
        // Each stack through `name`, with the position of its root-most occurrence.
        let mut alive: Vec<(&[u32], usize, i64)> = self
            .stacks
            .iter()
            .filter_map(|(s, v)| {
                s.iter()
                    .position(|f| *f == target)
                    .map(|at| (s.as_slice(), at, *v))
            })
            .collect();
        if alive.is_empty() {
            return (Vec::new(), 0);
        }
        // Upward: from the root, the heaviest next frame among stacks sharing the prefix.
        let mut path: Vec<u32> = Vec::new();
        loop {
            let depth = path.len();
            let mut groups = std::collections::HashMap::new();
            for s in alive.iter().filter(|s| s.1 >= depth) {
                *groups.entry(s.0[depth]).or_insert(0) += s.2;
            }
            let Some((next, _)) = self.heaviest(&groups) else {
                break;
            };
            path.push(next);
            alive.retain(|s| s.1 >= depth && s.0[depth] == next);
            if next == target && alive.iter().any(|s| s.1 == depth) {
                alive.retain(|s| s.1 == depth);
                break;
            }
        }
        // Downward: from the hotspot, the heaviest callee while it outweighs stopping here.
        let mut weight: i64 = alive.iter().map(|s| s.2).sum();
        loop {
            let depth = path.len();
            let mut groups = std::collections::HashMap::new();
            let mut here = 0i64;
            for s in &alive {
                match s.0.get(depth) {
                    Some(f) => *groups.entry(*f).or_insert(0) += s.2,
                    None => here += s.2,
                }
            }
            let Some((next, w)) = self.heaviest(&groups) else {
                break;
            };
            if w < here {
                break;
            }
            path.push(next);
            weight = w;
            alive.retain(|s| s.0.get(depth) == Some(&next));
        }
        (
            path.iter()
                .map(|i| self.names[*i as usize].to_string())
                .collect(),
            weight,
        )
    }
}

fn window(chain: &[String], name: &str) -> Vec<String> {
    if chain.len() <= CHAIN {
        return chain.to_vec();
    }
    let at = chain.iter().position(|f| f == name).unwrap_or(0);
    let start = at.min(chain.len() - CHAIN);
    chain[start..start + CHAIN].to_vec()
}

fn escaped(name: &str) -> String {
    format!("^{}$", regex::escape(name))
}

pub async fn storylines(
    engine: &Engine,
    id: u32,
    o: &StorylineOptions,
) -> Result<Storylines, ToolError> {
    let lp = engine.profile(id)?;
    let mut report = o.report.clone();
    if report.sample_index.is_none() {
        let names = super::sample_type_names(lp);
        if names.iter().any(|n| n == "alloc_space") && names.iter().any(|n| n == "inuse_space") {
            report.sample_index = Some("alloc_space".into());
        }
    }
    let st: SampleType = resolve_sample_type(lp, report.sample_index.as_deref())?;
    let mut top_opts = report.clone();
    top_opts.nodecount = o.n;
    let top = pprof::top(engine, id, &top_opts).await?;
    // The evidence peeks of the hotspots run on another thread while the stacks are
    // loaded and walked (a hot function's peek can be the slowest part).
    let hot: Vec<String> = top.rows.iter().take(o.n).map(|r| r.name.clone()).collect();
    let hot_peeks = {
        let (engine, report, hot) = (engine.clone(), report.clone(), hot.clone());
        tokio::spawn(async move {
            let names: Vec<&str> = hot.iter().map(String::as_str).collect();
            peek_each(&engine, id, &report, &names).await
        })
    };
    let focus = report
        .focus
        .as_deref()
        .map(|r| super::user_regex("focus", r))
        .transpose()?;
    let ignore = report
        .ignore
        .as_deref()
        .map(|r| super::user_regex("ignore", r))
        .transpose()?;
    let all: Vec<Stack> = stacks::load(engine, id, &st, &st)
        .await?
        .into_iter()
        .filter(|s| {
            let any = |re: &regex::Regex| s.frames.iter().any(|f| re.is_match(&f.name));
            focus.as_ref().is_none_or(any) && !ignore.as_ref().is_some_and(any)
        })
        .collect();
    let paths = Paths::new(&all);
    let mut found = Vec::new();
    for row in top.rows.iter().take(o.n) {
        let (chain, chain_value) = paths.through(&row.name);
        let first_app = chain
            .iter()
            .rev()
            .find(|f| {
                o.repo_prefix
                    .iter()
                    .any(|p| f.starts_with(p.as_str()) || super::repo::owned_by(f, p))
            })
            .cloned();
        found.push((row, chain, chain_value, first_app));
    }
    let mut peeks = hot_peeks.await.map_err(|e| ToolError::Internal {
        query: "storylines evidence",
        detail: e.to_string(),
    })??;
    // Application frames that are not hotspots themselves: one more peek.
    let mut more: Vec<&str> = found
        .iter()
        .filter_map(|f| f.3.as_deref())
        .filter(|n| !hot.iter().any(|h| h == n))
        .collect();
    more.sort_unstable();
    more.dedup();
    peeks.extend(peek_each(engine, id, &report, &more).await?);
    let mut out = Vec::new();
    for (row, chain, chain_value, first_app) in found {
        let mut warnings = Vec::new();
        if chain.is_empty() {
            warnings.push("no call chain inferred; leaf not found in samples".to_string());
        }
        if first_app.is_none() {
            warnings.push("no app-owned frame found".to_string());
        }
        let peek_leaf = peeks.get(row.name.as_str()).cloned();
        let peek_first_app = match &first_app {
            Some(f) if f != &row.name => peeks.get(f.as_str()).cloned(),
            _ => None,
        };
        let list_first_app = match (&first_app, &o.source) {
            (Some(f), Some(src)) => {
                match pprof::list(engine, id, &report, &escaped(f), src).await {
                    Ok(l) => Some(l),
                    Err(ToolError::NoMatch(_)) => None,
                    Err(e) => return Err(e),
                }
            }
            _ => None,
        };
        out.push(Storyline {
            leaf_hotspot: row.name.to_string(),
            flat: row.flat,
            flat_pct: row.flat_pct.clone(),
            cum: row.cum,
            cum_pct: row.cum_pct.clone(),
            call_chain: window(&chain, &row.name),
            chain_value,
            first_app_frame: first_app,
            top_row: Some(row.clone()),
            peek_leaf,
            peek_first_app,
            list_first_app,
            warnings,
        });
    }
    Ok(Storylines {
        sample_type: st.r#type,
        storylines: out,
        warnings: top.warnings.clone(),
        top: Some(top),
    })
}

/// `pprof -peek ^name$` for each name, from one peek over all of them: the graph and its
/// header do not depend on the regex, and each entry's running sum is its own flat.
/// Shared, as a hotspot's peek can also be another storyline's application frame.
async fn peek_each(
    engine: &Engine,
    id: u32,
    o: &ReportOptions,
    names: &[&str],
) -> Result<BTreeMap<String, Arc<PeekReport>>, ToolError> {
    let mut out = BTreeMap::new();
    if names.is_empty() {
        return Ok(out);
    }
    let alternatives: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
    let mut all =
        match pprof::peek(engine, id, o, &format!("^(?:{})$", alternatives.join("|"))).await {
            Ok(p) => p,
            Err(ToolError::NoMatch(_)) => return Ok(out),
            Err(e) => return Err(e),
        };
    // Entries moved, not copied: a hot function can have tens of thousands of callers.
    let entries = std::mem::take(&mut all.entries);
    for mut one in entries {
        one.row.sum_pct = one.row.flat_pct.clone();
        let name = one.row.name.to_string();
        let report = PeekReport {
            entries: vec![one],
            ..all.clone()
        };
        out.insert(name, Arc::new(report));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::stacks::Frame;
    use super::*;

    fn heaviest_path(stacks: &[Stack], name: &str) -> (Vec<String>, i64) {
        Paths::new(stacks).through(name)
    }

    fn stack(root_first: &[&str], v: i64) -> Stack {
        Stack {
            frames: root_first
                .iter()
                .rev()
                .map(|n| Frame {
                    name: (*n).into(),
                    file: "".into(),
                    line: 0,
                })
                .collect(),
            locations: Vec::new(),
            state: None,
            a: v,
            a_min1: v,
            b: v,
            samples: 1,
        }
    }

    #[test]
    fn follows_the_heaviest_branch_summed_over_samples() {
        // Through h: via a (3+3 = 6) beats via b (5), though b's single sample is the
        // heaviest; below h, c (4) beats d (2).
        let s = vec![
            stack(&["main", "a", "h", "c"], 3),
            stack(&["main", "a", "h", "d"], 2),
            stack(&["main", "a", "h", "c"], 1),
            stack(&["main", "b", "h"], 5),
            stack(&["main", "x"], 100),
        ];
        let (chain, w) = heaviest_path(&s, "h");
        assert_eq!(chain, ["main", "a", "h", "c"]);
        assert_eq!(w, 4);
        assert_eq!(heaviest_path(&s, "nope").0, Vec::<String>::new());
    }
}
