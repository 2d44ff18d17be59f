//! Folded stacks: every distinct call stack of the kept samples with its summed value,
//! after pprof's filters and at the report's granularity. The input of flame graphs
//! (`a;b;c N`) and of speedscope's sampled profiles.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::graph::{self, col_i64, col_u32, col_u64, node_names, rows};
use super::options::ReportOptions;
use crate::engine::{Engine, Param};
use crate::tools::{SampleType, ToolError};

canned!(STACKS, "stacks");

/// One distinct stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoldedStack {
    /// Indexes into `StackSet::names`, root first.
    pub frames: Vec<u32>,
    pub value: i64,
    /// Samples that had this stack.
    pub samples: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct StackSet {
    pub profile: String,
    pub sample_type: SampleType,
    /// pprof's report total of the profile (the whole profile unless relative_percentages).
    pub profile_total: i64,
    /// Sum of the stacks' values: what a flame graph draws.
    pub total: i64,
    /// Frame names, sorted; stacks index into them.
    pub names: Vec<String>,
    /// Sorted by their folded text, so equal inputs give equal output.
    pub stacks: Vec<FoldedStack>,
    /// Filter options that matched nothing.
    pub warnings: Vec<String>,
}

impl StackSet {
    /// A frame name safe in folded text: `;` separates frames and a line ends a stack.
    pub fn folded_name(&self, i: u32) -> String {
        self.names
            .get(i as usize)
            .map(|n| n.replace(';', ":").replace(['\n', '\r'], " "))
            .unwrap_or_default()
    }

    /// `a;b;c` of one stack.
    pub fn folded_path(&self, s: &FoldedStack) -> String {
        let mut out = String::new();
        for (k, &f) in s.frames.iter().enumerate() {
            if k > 0 {
                out.push(';');
            }
            out.push_str(&self.folded_name(f));
        }
        out
    }

    /// Stacks with a negative value (possible after `base`), which flame graphs cannot draw.
    pub fn negative(&self) -> usize {
        self.stacks.iter().filter(|s| s.value < 0).count()
    }
}

/// The distinct stacks of a profile under the report options (`mean` has no meaning
/// for a sum of stacks and is refused).
pub async fn stacks(
    engine: &Engine,
    profile_id: u32,
    o: &ReportOptions,
) -> Result<StackSet, ToolError> {
    if o.mean {
        return Err(ToolError::InvalidArgument(
            "mean is not supported here: stacks are summed".into(),
        ));
    }
    let lp = engine.profile(profile_id)?;
    let r = rows(lp, o, false)?;
    let sql = format!(
        "{}{}",
        r.with,
        STACKS.render(&[("input", Param::Sql("g".into()))])?
    );
    let (res, profile_total) = futures::join!(
        engine.sql_with_udfs(&sql, &r.udfs),
        graph::total(engine, &r, o)
    );
    let res = res?;
    let names = node_names(lp, &r, o.granularity);
    // (sample, depth, node) of every frame, then each sample's frames root first.
    let mut frames: Vec<(u64, u32, u32)> = Vec::new();
    let mut values: HashMap<u64, i64> = HashMap::new();
    for b in &res.batches {
        let (sample, depth, node) = (col_u64(b, 0)?, col_u32(b, 1)?, col_u32(b, 2)?);
        let v = col_i64(b, 3)?;
        for k in 0..b.num_rows() {
            frames.push((sample[k], depth[k], node[k]));
            values.insert(sample[k], v[k]);
        }
    }
    frames.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    // Samples with equal stacks summed, keyed by node ids.
    let mut by_stack: HashMap<Vec<u32>, (i64, i64)> = HashMap::new();
    for chunk in frames.chunk_by(|a, b| a.0 == b.0) {
        let stack: Vec<u32> = chunk.iter().map(|f| f.2).collect();
        let v = values.get(&chunk[0].0).copied().unwrap_or_default();
        let e = by_stack.entry(stack).or_default();
        e.0 += v;
        e.1 += 1;
    }
    let raw: Vec<(Vec<u32>, i64, i64)> = by_stack
        .into_iter()
        .map(|(ids, (v, n))| (ids, v, n))
        .collect();
    // Dense frame indexes in name order.
    let mut by_name: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (ids, _, _) in &raw {
        for &id in ids {
            by_name.entry(names.get(id)).or_default().push(id);
        }
    }
    let mut index: HashMap<u32, u32> = HashMap::new();
    let mut out_names = Vec::with_capacity(by_name.len());
    for (name, ids) in by_name {
        let i = out_names.len() as u32;
        out_names.push(name.to_string());
        for id in ids {
            index.insert(id, i);
        }
    }
    // Different nodes may share a name (e.g. at a coarser label): merge their stacks.
    let mut merged: BTreeMap<Vec<u32>, (i64, i64)> = BTreeMap::new();
    for (ids, v, n) in raw {
        let frames: Vec<u32> = ids
            .iter()
            .map(|id| index.get(id).copied().unwrap_or_default())
            .collect();
        let e = merged.entry(frames).or_default();
        e.0 += v;
        e.1 += n;
    }
    let mut stacks: Vec<FoldedStack> = merged
        .into_iter()
        .filter(|(_, (v, _))| *v != 0)
        .map(|(frames, (value, samples))| FoldedStack {
            frames,
            value,
            samples,
        })
        .collect();
    // Names are sorted, so index order is name order: frame-wise comparison of indexes
    // sorts as the folded text does, apart from `;` inside names (rare, and still
    // deterministic).
    stacks.sort_by(|a, b| a.frames.cmp(&b.frames));
    let total = stacks.iter().map(|s| s.value).sum();
    Ok(StackSet {
        profile: lp.source.clone(),
        sample_type: r.sample_type.clone(),
        profile_total: profile_total?,
        total,
        names: out_names,
        stacks,
        warnings: super::reports::warnings(&r.decisions.unmatched),
    })
}
