//! `pprof.diff_top`: flat and cum of every function before and after, with the change,
//! in the sample type's own unit (time, bytes or counts), plus pprof's `-diff_base` top.

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};

use serde::Serialize;

use super::graph::{graph, Trim};
use super::measurement::percentage;
use super::options::ReportOptions;
use super::reports::{top, TopReport};
use super::ValueFormat;
use crate::decode::Profile;
use crate::engine::{Engine, EngineError};
use crate::tables::LoadedProfile;
use crate::tools::ToolError;

#[derive(Clone, Debug, Serialize)]
pub struct DiffRow {
    pub name: String,
    pub before_flat: i64,
    pub after_flat: i64,
    pub before_cum: i64,
    pub after_cum: i64,
    /// after − before of flat (or of cum with `cum`).
    pub delta: i64,
    pub before_fmt: String,
    pub after_fmt: String,
    pub delta_fmt: String,
    /// The change as a share of the before total.
    pub delta_pct: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiffTopReport {
    pub before: String,
    pub after: String,
    pub sample_type: String,
    pub unit: ValueFormat,
    /// What `delta` compares: "flat" or "cum".
    pub compared: String,
    pub before_total: i64,
    pub after_total: i64,
    /// Functions by delta, largest increase first (nodecount rows when set).
    pub deltas: Vec<DiffRow>,
    /// Functions that grew, shrank, appeared or vanished (before nodecount).
    pub changed: usize,
    /// `go tool pprof -top -diff_base=BEFORE AFTER` with the same options.
    pub diff_base: TopReport,
    pub warnings: Vec<String>,
}

/// AFTER minus BEFORE as pprof's `-diff_base` builds it: `diff_top`'s third profile.
pub fn diff_profile(before: &Profile, after: &Profile) -> Result<Profile, ToolError> {
    super::combine::subtract(after, &[before], super::combine::BaseMode::Diff, false)
}

/// `before` and `after` are profile ids of `engine`. The `-diff_base` profile (AFTER minus
/// BEFORE) is built from them and added to `engine` for pprof's own report.
pub async fn diff_top(
    engine: &mut Engine,
    before: u32,
    after: u32,
    o: &ReportOptions,
) -> Result<DiffTopReport, ToolError> {
    let all = Trim {
        enabled: false,
        nodecount: 0,
        labels: false,
        sorted: false,
    };
    let (lb, la) = (
        Arc::clone(engine.profile(before)?),
        Arc::clone(engine.profile(after)?),
    );
    // pprof's merge for `-diff_base` is the slowest step and needs neither graph, so it
    // runs on a thread of its own while the before and after graphs are built.
    let (id, name) = (
        engine.next_profile_id(),
        format!("{} - {}", la.source, lb.source),
    );
    let (mb, ma) = (Arc::clone(&lb), Arc::clone(&la));
    let merged = tokio::task::spawn_blocking(move || -> Result<LoadedProfile, ToolError> {
        let p = diff_profile(&mb.profile, &ma.profile).map_err(|e| match e {
            ToolError::InvalidArgument(m) => {
                ToolError::InvalidArgument(format!("{}, {}: {m}", ma.source, mb.source))
            }
            other => other,
        })?;
        Ok(LoadedProfile::new(id, name, p).map_err(EngineError::from)?)
    });
    let (gb, ga) = futures::join!(graph(engine, &lb, o, all), graph(engine, &la, o, all));
    let ((gb, _), (ga, _)) = (gb?, ga?);
    let merged = merged.await.map_err(|e| ToolError::Internal {
        query: "diff_base merge",
        detail: e.to_string(),
    })??;
    let diff = engine.add_loaded(Arc::new(merged))?;
    let diff_base = top(engine, diff, o).await?;
    if (gb.sample_type.r#type.as_str(), gb.sample_type.unit.as_str())
        != (ga.sample_type.r#type.as_str(), ga.sample_type.unit.as_str())
    {
        return Err(ToolError::InvalidArgument(format!(
            "sample types differ: {} has {}/{}, {} has {}/{}",
            lb.source,
            gb.sample_type.r#type,
            gb.sample_type.unit,
            la.source,
            ga.sample_type.r#type,
            ga.sample_type.unit
        )));
    }
    // name -> (before flat, before cum, after flat, after cum). Hashed, not ordered: the
    // rows are sorted once below, and only the changed ones.
    let mut by_name: HashMap<&str, [i64; 4]> =
        HashMap::with_capacity(gb.nodes.len().max(ga.nodes.len()));
    for n in &gb.nodes {
        let e = by_name.entry(&n.name).or_default();
        e[0] += n.flat_value();
        e[1] += n.cum_value();
    }
    for n in &ga.nodes {
        let e = by_name.entry(&n.name).or_default();
        e[2] += n.flat_value();
        e[3] += n.cum_value();
    }
    let compared = |[bf, bc, af, ac]: [i64; 4]| if o.cum { (bc, ac) } else { (bf, af) };
    let mut changed_rows: Vec<(&str, [i64; 4])> = by_name
        .into_iter()
        .filter(|&(_, v)| {
            let (b, a) = compared(v);
            a != b
        })
        .collect();
    let delta = |v: [i64; 4]| {
        let (b, a) = compared(v);
        a - b
    };
    // Largest increase first; names are unique, so this order is total.
    changed_rows.sort_unstable_by_key(|&(name, v)| (std::cmp::Reverse(delta(v)), name));
    let changed = changed_rows.len();
    if o.nodecount > 0 {
        changed_rows.truncate(o.nodecount);
    }
    // Formatted last: only the rows reported.
    let fmt = ValueFormat::per_value(&ga.sample_type.unit);
    let deltas: Vec<DiffRow> = changed_rows
        .into_iter()
        .map(|(name, v @ [bf, bc, af, ac])| {
            let (b, a) = compared(v);
            DiffRow {
                name: name.to_string(),
                before_flat: bf,
                after_flat: af,
                before_cum: bc,
                after_cum: ac,
                delta: a - b,
                before_fmt: fmt.format(b),
                after_fmt: fmt.format(a),
                delta_fmt: fmt.format(a - b),
                delta_pct: percentage(a - b, gb.total),
            }
        })
        .collect();
    let mut warnings = diff_base.warnings.clone();
    warnings.dedup();
    Ok(DiffTopReport {
        before: lb.source.clone(),
        after: la.source.clone(),
        sample_type: super::type_label(&ga.sample_type, o.mean),
        unit: fmt,
        compared: if o.cum { "cum" } else { "flat" }.into(),
        before_total: gb.total,
        after_total: ga.total,
        deltas,
        changed,
        diff_base,
        warnings,
    })
}
