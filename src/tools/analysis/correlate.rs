//! One look across a bundle's profiles: functions hot in CPU, allocations and lock
//! contention at once (`cross_correlate`), and each profile's top few (`hotspot_summary`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{round2, sample_type_named};
use crate::engine::Engine;
use crate::tools::pprof::{self, ReportOptions, TopReport};
use crate::tools::{resolve_sample_type, SampleType, ToolError};

/// A profile of a bundle, loaded in the bundle's engine.
#[derive(Clone, Debug)]
pub struct Member {
    /// cpu, heap, mutex, block, goroutine (from the sample types).
    pub kind: String,
    pub id: u32,
    /// The handle or path it was given as.
    pub name: String,
}

/// The sample type a bundle analysis reads: CPU's default, allocations for heap, delay
/// (else contentions) for mutex and block.
pub fn bundle_sample_type(engine: &Engine, m: &Member) -> Result<SampleType, ToolError> {
    let lp = engine.profile(m.id)?;
    let named = match m.kind.as_str() {
        "heap" => sample_type_named(lp, &["alloc_space"]),
        "mutex" | "block" => sample_type_named(lp, &["delay", "contentions"]),
        _ => None,
    };
    match named {
        Some(st) => Ok(st),
        None => resolve_sample_type(lp, None),
    }
}

/// pprof's top (default trimming) of a member at its bundle sample type.
pub async fn member_top(
    engine: &Engine,
    m: &Member,
    nodecount: usize,
) -> Result<(TopReport, SampleType), ToolError> {
    let st = bundle_sample_type(engine, m)?;
    let o = ReportOptions {
        sample_index: Some(st.index.to_string()),
        nodecount,
        ..ReportOptions::default()
    };
    Ok((pprof::top(engine, m.id, &o).await?, st))
}

fn pct_of(v: i64, total: i64) -> f64 {
    round2(super::pct(v, total))
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Ranked {
    pub pct: f64,
    pub rank: usize,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Correlation {
    pub function: String,
    pub combined_score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Ranked>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heap: Option<Ranked>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutex: Option<Ranked>,
    pub insight: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Only {
    pub function: String,
    pub flat_pct: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CrossCorrelation {
    pub correlations: Vec<Correlation>,
    pub cpu_only_hotspots: Vec<Only>,
    pub heap_only_hotspots: Vec<Only>,
    pub mutex_only_hotspots: Vec<Only>,
    /// The sample type read from each profile kind.
    pub sample_types: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

/// The first member of each kind (mutex, else block, answers for contention).
pub fn pick<'a>(members: &'a [Member], kind: &str) -> Option<&'a Member> {
    members.iter().find(|m| m.kind == kind).or_else(|| {
        (kind == "mutex")
            .then(|| members.iter().find(|m| m.kind == "block"))
            .flatten()
    })
}

/// A profile's ranked rows: (function, flat%, rank).
type Ranks = Vec<(String, f64, usize)>;

/// Ranked flat rows: (function, flat%, rank), skipping rows with zero flat; ranks count
/// every row, as the report shows them.
fn ranked(top: &TopReport) -> Ranks {
    top.rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.flat != 0)
        .map(|(i, r)| (r.name.clone(), pct_of(r.flat, top.total), i + 1))
        .collect()
}

pub async fn cross_correlate(
    engine: &Engine,
    members: &[Member],
    nodecount: usize,
) -> Result<CrossCorrelation, ToolError> {
    let mut warnings = Vec::new();
    let mut lists: Vec<(&str, Ranks)> = Vec::new();
    let mut sample_types = BTreeMap::new();
    for kind in ["cpu", "heap", "mutex"] {
        match pick(members, kind) {
            Some(m) => {
                let (top, st) = member_top(engine, m, nodecount).await?;
                sample_types.insert(kind.to_string(), st.r#type.clone());
                lists.push((kind, ranked(&top)));
            }
            None => {
                warnings.push(format!("{kind} profile missing from bundle"));
                lists.push((kind, Vec::new()));
            }
        }
    }
    let mut seen: BTreeMap<String, [Option<(f64, usize)>; 3]> = BTreeMap::new();
    for (k, (_, rows)) in lists.iter().enumerate() {
        for (f, p, rank) in rows {
            seen.entry(f.clone()).or_default()[k] = Some((*p, *rank));
        }
    }
    let max_rank: Vec<usize> = lists
        .iter()
        .map(|(_, r)| r.iter().map(|x| x.2).max().unwrap_or(0))
        .collect();
    let mut correlations = Vec::new();
    for (f, slots) in &seen {
        let present: Vec<usize> = (0..3).filter(|k| slots[*k].is_some()).collect();
        if present.len() < 2 {
            continue;
        }
        let score: f64 = present
            .iter()
            .map(|k| {
                let rank = slots[*k].map_or(0, |s| s.1);
                let max = max_rank[*k].max(1);
                (max - rank + 1) as f64 / max as f64
            })
            .sum::<f64>()
            / present.len() as f64;
        let insight = match (slots[0].is_some(), slots[1].is_some(), slots[2].is_some()) {
            (true, true, true) => {
                "High CPU, allocations, and lock contention - prime optimization target."
            }
            (true, true, false) => "Hot in CPU and allocations.",
            (true, false, true) => "Hot in CPU and contention.",
            _ => "Hot in allocations and contention.",
        };
        let r = |k: usize| slots[k].map(|(pct, rank)| Ranked { pct, rank });
        correlations.push(Correlation {
            function: f.clone(),
            combined_score: round2(score),
            cpu: r(0),
            heap: r(1),
            mutex: r(2),
            insight: insight.to_string(),
        });
    }
    correlations.sort_by(|a, b| {
        b.combined_score
            .total_cmp(&a.combined_score)
            .then_with(|| a.function.cmp(&b.function))
    });
    let only = |k: usize| -> Vec<Only> {
        lists[k]
            .1
            .iter()
            .filter(|(f, _, _)| {
                seen.get(f)
                    .is_some_and(|s| s.iter().filter(|x| x.is_some()).count() == 1)
            })
            .take(5)
            .map(|(f, p, _)| Only {
                function: f.clone(),
                flat_pct: *p,
            })
            .collect()
    };
    Ok(CrossCorrelation {
        cpu_only_hotspots: only(0),
        heap_only_hotspots: only(1),
        mutex_only_hotspots: only(2),
        correlations,
        sample_types,
        warnings,
    })
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Hot {
    pub function: String,
    pub flat: i64,
    pub flat_str: String,
    pub flat_pct: f64,
    pub cum: i64,
    pub cum_pct: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HotspotSummary {
    pub cpu_top: Vec<Hot>,
    pub heap_top: Vec<Hot>,
    pub mutex_top: Vec<Hot>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goroutine_count: Option<i64>,
    pub sample_types: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

pub async fn hotspot_summary(
    engine: &Engine,
    members: &[Member],
    nodecount: usize,
) -> Result<HotspotSummary, ToolError> {
    let mut warnings = Vec::new();
    let mut tops: Vec<Vec<Hot>> = Vec::new();
    let mut sample_types = BTreeMap::new();
    for kind in ["cpu", "heap", "mutex"] {
        let Some(m) = pick(members, kind) else {
            warnings.push(format!("{kind} profile missing from bundle"));
            tops.push(Vec::new());
            continue;
        };
        let (top, st) = member_top(engine, m, nodecount).await?;
        sample_types.insert(kind.to_string(), st.r#type.clone());
        tops.push(
            top.rows
                .iter()
                .take(nodecount)
                .map(|r| Hot {
                    function: r.name.clone(),
                    flat: r.flat,
                    flat_str: r.flat_fmt.clone(),
                    flat_pct: pct_of(r.flat, top.total),
                    cum: r.cum,
                    cum_pct: pct_of(r.cum, top.total),
                })
                .collect(),
        );
    }
    let goroutine_count = match members.iter().find(|m| m.kind == "goroutine") {
        Some(m) => Some(
            super::goroutines::analyse(engine, m.id)
                .await?
                .total_goroutines,
        ),
        None => None,
    };
    let mut it = tops.into_iter();
    Ok(HotspotSummary {
        cpu_top: it.next().unwrap_or_default(),
        heap_top: it.next().unwrap_or_default(),
        mutex_top: it.next().unwrap_or_default(),
        goroutine_count,
        sample_types,
        warnings,
    })
}
