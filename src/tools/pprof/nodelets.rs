//! pprof's nodelets: the label tags a DOT call graph hangs under its nodes. A node's tags
//! are its samples' string labels joined (`key:value` sorted, one per line) and their
//! `bytes` numeric label; they count toward the node limit and are drawn as small boxes.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::graph::{col_bool, col_i64, col_u32, col_u64, kept_query, Node, Rows};
use super::labels::{num_label_units, sample_labels};
use super::measurement;
use super::merge::BASE_LABEL;
use super::options::{ReportOptions, TagKeys};
use crate::engine::Engine;
use crate::tables::LoadedProfile;
use crate::tools::ToolError;

canned!(NODE_SAMPLES, "node_samples");

/// pprof's limit of nodelets per node (and of numeric buckets per label group).
pub const MAX_NODELETS: usize = 4;

#[derive(Clone, Debug, Default)]
pub struct Tag {
    pub name: String,
    pub unit: String,
    pub value: i64,
    pub flat: i64,
    pub flat_div: i64,
    pub cum: i64,
    pub cum_div: i64,
}

impl Tag {
    fn flat_value(&self) -> i64 {
        if self.flat_div == 0 {
            self.flat
        } else {
            self.flat.checked_div(self.flat_div).unwrap_or(i64::MAX)
        }
    }
    fn cum_value(&self) -> i64 {
        if self.cum_div == 0 {
            self.cum
        } else {
            self.cum.checked_div(self.cum_div).unwrap_or(i64::MAX)
        }
    }
}

/// One node's tags: string label sets, and per label set (`""` for none) the `bytes`
/// values, keyed by their formatted text as pprof keys them.
#[derive(Clone, Debug, Default)]
pub struct NodeTags {
    pub labels: BTreeMap<String, Tag>,
    pub numeric: BTreeMap<String, BTreeMap<String, Tag>>,
}

impl NodeTags {
    /// pprof's `TrimLowFrequencyTags`.
    pub fn trim(&mut self, cutoff: i64) {
        let keep = |t: &Tag| t.flat.abs() >= cutoff || t.cum.abs() >= cutoff;
        self.labels.retain(|_, t| keep(t));
        for m in self.numeric.values_mut() {
            m.retain(|_, t| keep(t));
        }
    }

    /// pprof's `countTags`: tags with a flat weight.
    pub fn count(&self) -> usize {
        self.labels.values().filter(|t| t.flat != 0).count()
            + self
                .numeric
                .values()
                .flat_map(|m| m.values())
                .filter(|t| t.flat != 0)
                .count()
    }
}

/// What each sample contributes: its joined string labels and its `bytes` values.
struct SampleTags {
    labels: String,
    bytes: Vec<(i64, String)>,
}

fn sample_tags(
    lp: &LoadedProfile,
    o: &ReportOptions,
) -> Result<Vec<Option<SampleTags>>, ToolError> {
    let p = &lp.profile;
    let units = num_label_units(p);
    let keys = TagKeys::new(o)?;
    let mut out = Vec::with_capacity(p.samples.len());
    for s in 0..p.samples.len() {
        let (strings, numbers) = sample_labels(p, s, &units);
        let mut labels: Vec<String> = strings
            .iter()
            .filter(|(k, _)| *k != BASE_LABEL && keys.keeps(k))
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        labels.sort();
        let bytes: Vec<(i64, String)> = numbers
            .iter()
            .filter(|(k, _, _)| *k == "bytes" && keys.keeps(k))
            .map(|(_, v, unit)| (*v, unit.to_string()))
            .collect();
        out.push(
            (!labels.is_empty() || !bytes.is_empty()).then(|| SampleTags {
                labels: labels.join("\\n"),
                bytes,
            }),
        );
    }
    Ok(out)
}

/// The tags of `nodes` (by position), or None when no sample has any.
pub async fn node_tags(
    engine: &Engine,
    lp: &LoadedProfile,
    r: &Rows,
    o: &ReportOptions,
    nodes: &[Node],
) -> Result<Option<Vec<NodeTags>>, ToolError> {
    let per_sample = sample_tags(lp, o)?;
    if per_sample.iter().all(Option::is_none) || nodes.is_empty() {
        return Ok(None);
    }
    let index: HashMap<u32, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let res = kept_query(engine, r, nodes, &NODE_SAMPLES).await?;
    let mut out = vec![NodeTags::default(); nodes.len()];
    for b in &res.batches {
        let (node, sample) = (col_u32(b, 0)?, col_u64(b, 1)?);
        let (v, d, leaf) = (col_i64(b, 2)?, col_i64(b, 3)?, col_bool(b, 4)?);
        for k in 0..b.num_rows() {
            let Some(&i) = index.get(&node[k]) else {
                continue;
            };
            let Some(Some(st)) = usize::try_from(sample[k])
                .ok()
                .and_then(|s| per_sample.get(s))
            else {
                continue;
            };
            let t = &mut out[i];
            // As pprof's addSample: once for cum, and again for flat at the leaf.
            for flat in [false, true] {
                if flat && !leaf[k] {
                    continue;
                }
                let add = |t: &mut Tag| {
                    if flat {
                        t.flat += v[k];
                        t.flat_div += d[k];
                    } else {
                        t.cum += v[k];
                        t.cum_div += d[k];
                    }
                };
                if !st.labels.is_empty() {
                    add(t.labels.entry(st.labels.clone()).or_insert_with(|| Tag {
                        name: st.labels.clone(),
                        ..Tag::default()
                    }));
                }
                let group = t.numeric.entry(st.labels.clone()).or_default();
                for (value, unit) in &st.bytes {
                    let name = measurement::scaled_label(*value, unit, "minimum");
                    add(group.entry(name.clone()).or_insert_with(|| Tag {
                        name,
                        unit: unit.clone(),
                        value: *value,
                        ..Tag::default()
                    }));
                }
            }
        }
    }
    Ok(Some(out))
}

/// pprof's `SortTags`: by cum (unless flat), then flat, then name.
fn sort_tags(ts: &mut [Tag], flat: bool) {
    ts.sort_by(|a, b| {
        let by_cum = if flat {
            std::cmp::Ordering::Equal
        } else {
            b.cum.abs().cmp(&a.cum.abs())
        };
        by_cum
            .then_with(|| b.flat.abs().cmp(&a.flat.abs()))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// A box under a node: its label and weight (flat for inner nodes, cum for leaves).
#[derive(Clone, Debug, Serialize)]
pub struct Nodelet {
    /// Position among the node's candidates (pprof numbers skipped ones too).
    pub index: usize,
    pub name: String,
    pub weight: i64,
    /// A cum weight drawn for a node with callees (pprof dots its edge).
    pub dotted: bool,
    /// `bytes` buckets of this label set.
    pub numeric: Vec<Nodelet>,
}

/// The nodelets pprof draws for a node; `has_callees` picks flat over cum weights.
pub fn nodelets(tags: &NodeTags, has_callees: bool) -> (Vec<Nodelet>, Vec<Nodelet>) {
    let flat = has_callees;
    let mut ts: Vec<Tag> = tags.labels.values().cloned().collect();
    sort_tags(&mut ts, flat);
    ts.truncate(MAX_NODELETS);
    let mut out = Vec::new();
    for (index, t) in ts.into_iter().enumerate() {
        let w = if flat { t.flat_value() } else { t.cum_value() };
        if w == 0 {
            continue;
        }
        let numeric = tags
            .numeric
            .get(&t.name)
            .map(|m| numeric_nodelets(m, flat))
            .unwrap_or_default();
        out.push(Nodelet {
            index,
            name: t.name.clone(),
            weight: w,
            dotted: false,
            numeric,
        });
    }
    let plain = tags
        .numeric
        .get("")
        .map(|m| numeric_nodelets(m, flat))
        .unwrap_or_default();
    (out, plain)
}

/// pprof's `numericNodelets`: at most four buckets, nearby values grouped `min..max`.
fn numeric_nodelets(tags: &BTreeMap<String, Tag>, flat: bool) -> Vec<Nodelet> {
    let mut ts: Vec<Tag> = tags.values().cloned().collect();
    let ts = collapse(&mut ts, flat);
    ts.into_iter()
        .enumerate()
        .filter_map(|(index, t)| {
            let (w, dotted) = if flat || t.flat_value() == t.cum_value() {
                (t.flat_value(), false)
            } else {
                (t.cum_value(), true)
            };
            (w != 0).then(|| Nodelet {
                index,
                name: t.name,
                weight: w,
                dotted,
                numeric: Vec::new(),
            })
        })
        .collect()
}

fn distance(t: &Tag, u: &Tag) -> f64 {
    let (v, _) = measurement::scale(u.value, &u.unit, &t.unit);
    (v - t.value as f64).abs()
}

/// pprof's `collapsedTags`.
fn collapse(ts: &mut [Tag], flat: bool) -> Vec<Tag> {
    sort_tags(ts, flat);
    if ts.len() <= MAX_NODELETS {
        return ts.to_vec();
    }
    let mut groups: Vec<Vec<Tag>> = ts[..MAX_NODELETS].iter().map(|t| vec![t.clone()]).collect();
    for t in &ts[MAX_NODELETS..] {
        let (mut g, mut d) = (0, distance(t, &groups[0][0]));
        for (i, group) in groups.iter().enumerate().skip(1) {
            let nd = distance(t, &group[0]);
            if nd < d {
                g = i;
                d = nd;
            }
        }
        groups[g].push(t.clone());
    }
    let mut out: Vec<Tag> = groups.iter().map(|g| group_label(g)).collect();
    sort_tags(&mut out, flat);
    out
}

/// pprof's `tagGroupLabel`: one bucket's label and summed weights.
fn group_label(g: &[Tag]) -> Tag {
    if g.len() == 1 {
        let t = &g[0];
        return Tag {
            name: measurement::label(t.value, &t.unit),
            flat: t.flat_value(),
            cum: t.cum_value(),
            ..Tag::default()
        };
    }
    let (mut min, mut max) = (&g[0], &g[0]);
    let (mut f, mut df, mut c, mut dc) = (g[0].flat, g[0].flat_div, g[0].cum, g[0].cum_div);
    for t in &g[1..] {
        if (measurement::scale(t.value, &t.unit, &min.unit).0 as i64) < min.value {
            min = t;
        }
        if (measurement::scale(t.value, &t.unit, &max.unit).0 as i64) > max.value {
            max = t;
        }
        f += t.flat;
        df += t.flat_div;
        c += t.cum;
        dc += t.cum_div;
    }
    if df != 0 {
        f = f.checked_div(df).unwrap_or(i64::MAX);
    }
    if dc != 0 {
        c = c.checked_div(dc).unwrap_or(i64::MAX);
    }
    Tag {
        name: format!(
            "{}..{}",
            measurement::label(min.value, &min.unit),
            measurement::label(max.value, &max.unit)
        ),
        flat: f,
        cum: c,
        ..Tag::default()
    }
}
