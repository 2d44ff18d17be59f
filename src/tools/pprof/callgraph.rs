//! pprof's call graph for `-dot` (visual mode): nodes trimmed by cum fraction, ordered by
//! pprof's entropy score, cut to `nodecount` (80 by default), edges rebuilt between the
//! kept nodes (residual where frames were skipped), low-weight edges dropped and
//! redundant residual edges removed.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::Serialize;

use super::graph::{
    all_nodes, col_bool, col_i64, col_u32, cut_nodes, kept_query, rows, sort_nodes, total, Node,
    Rows,
};
use super::nodelets::{node_tags, nodelets, NodeTags, Nodelet, MAX_NODELETS};
use super::options::ReportOptions;
use super::reports::{report_labels_with_edges, warnings, GraphCounts};
use super::{profile_labels, type_label, ValueFormat};
use crate::engine::Engine;
use crate::tables::LoadedProfile;
use crate::tools::{SampleType, ToolError};

canned!(CALLGRAPH_EDGES, "callgraph_edges");

/// pprof's node limit for graph outputs.
pub const DEFAULT_NODECOUNT: usize = 80;

/// An edge between two nodes of `CallGraph::nodes` (indexes).
#[derive(Clone, Debug, Serialize)]
pub struct GraphEdge {
    pub src: usize,
    pub dst: usize,
    pub weight: i64,
    /// Every contribution was an inlined call.
    pub inline: bool,
    /// Frames between caller and callee were trimmed away.
    pub residual: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct GraphNode {
    pub name: String,
    pub flat: i64,
    pub cum: i64,
    /// Label sets under the node (pprof's nodelets), each with its `bytes` buckets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodelets: Vec<Nodelet>,
    /// `bytes` buckets of samples without string labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub numeric: Vec<Nodelet>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallGraph {
    pub profile: String,
    /// pprof's graph title: the main binary's base name.
    pub title: Option<String>,
    pub sample_type: SampleType,
    pub unit: ValueFormat,
    pub total: i64,
    /// pprof's legend: profile labels, filters, Showing/Dropped lines.
    pub legend: Vec<String>,
    /// In pprof's entropy order (node `N<i+1>` in DOT).
    pub nodes: Vec<GraphNode>,
    /// Heaviest first, then by caller and callee name.
    pub edges: Vec<GraphEdge>,
    pub dropped_nodes: usize,
    pub dropped_edges: usize,
    pub warnings: Vec<String>,
}

/// Builds the call graph of a profile (`o.nodecount` 0 means pprof's 80).
pub async fn callgraph(
    engine: &Engine,
    profile_id: u32,
    o: &ReportOptions,
) -> Result<CallGraph, ToolError> {
    let lp = engine.profile(profile_id)?;
    let r = rows(lp, o, false)?;
    let (nodes, report_total) = futures::join!(
        all_nodes(engine, lp, &r, o.granularity),
        total(engine, &r, o)
    );
    let mut nodes = nodes?;
    let report_total = report_total?;
    let cut = cut_nodes(&mut nodes, o, true);
    let (node_cutoff, edge_cutoff, dropped_nodes) = (cut.node_cutoff, cut.edge_cutoff, cut.dropped);
    let orig_count = nodes.len();
    // Sorted first by pprof's flat order so ties in the entropy score break the same way.
    sort_nodes(&mut nodes, false);
    let mut tags: HashMap<u32, NodeTags> = node_tags(engine, lp, &r, o, &nodes)
        .await?
        .map(|t| nodes.iter().map(|n| n.id).zip(t).collect())
        .unwrap_or_default();
    for t in tags.values_mut() {
        t.trim(node_cutoff);
    }
    let mut edges = kept_edges(engine, &r, &nodes).await?;
    entropy_sort(&mut nodes, &mut edges);
    let nodecount = if o.nodecount == 0 {
        DEFAULT_NODECOUNT
    } else {
        o.nodecount
    };
    // pprof trims light edges before selecting nodes; when no node is cut, the final
    // trim finds nothing left to drop, so only a cut graph reports dropped edges.
    edges.retain(|e| e.edge.weight.abs() >= edge_cutoff);
    let mut dropped_edges = 0;
    // pprof counts each node's tags (at most four) as nodes of their own.
    let mut keep = nodecount;
    let mut count = 0;
    for (i, n) in nodes.iter().enumerate() {
        let t = tags.get(&n.id).map_or(0, |t| t.count().min(MAX_NODELETS));
        count += t + 1;
        if count >= nodecount {
            keep = i + 1;
            break;
        }
    }
    if nodes.len() > keep {
        nodes.truncate(keep);
        edges = kept_edges(engine, &r, &nodes).await?;
        entropy_sort(&mut nodes, &mut edges);
        let before = edges.len();
        edges.retain(|e| e.edge.weight.abs() >= edge_cutoff);
        dropped_edges = before - edges.len();
    }
    remove_redundant_edges(&nodes, &mut edges);
    sort_edges(&nodes, &mut edges);

    let unit = ValueFormat::for_report(
        &r.sample_type.unit,
        nodes.iter().map(|n| (n.flat_value(), n.cum_value())),
        report_total,
    );
    let tl = type_label(&r.sample_type, o.mean);
    let shown: i64 = nodes.iter().map(|n| n.flat_value()).sum();
    let legend = report_labels_with_edges(
        profile_labels(lp, &tl, report_total, &unit),
        o,
        &unit,
        GraphCounts {
            shown,
            total: report_total,
            node_count: nodes.len(),
            orig_count,
            dropped_nodes,
            dropped_edges,
        },
    );
    Ok(CallGraph {
        profile: lp.source.clone(),
        title: main_binary(lp),
        sample_type: r.sample_type.clone(),
        unit,
        total: report_total,
        legend,
        nodes: nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let has_callees = edges.iter().any(|e| e.edge.src == i);
                let (nodelets, numeric) = tags
                    .get(&n.id)
                    .map(|t| nodelets(t, has_callees))
                    .unwrap_or_default();
                GraphNode {
                    name: n.name.clone(),
                    flat: n.flat_value(),
                    cum: n.cum_value(),
                    nodelets,
                    numeric,
                }
            })
            .collect(),
        edges: edges
            .into_iter()
            .map(|e| GraphEdge {
                weight: e.value(),
                ..e.edge
            })
            .collect(),
        dropped_nodes,
        dropped_edges,
        warnings: warnings(&r.decisions.unmatched),
    })
}

/// The base name of the profile's first mapping, pprof's graph title.
fn main_binary(lp: &LoadedProfile) -> Option<String> {
    let p = &lp.profile;
    let m = p.mappings.first()?;
    let file = p.str_i64(m.filename);
    (!file.is_empty()).then(|| crate::tables::symbols::path_base(file).to_string())
}

/// An edge with its raw weight and mean divisor.
#[derive(Clone, Debug)]
struct RawEdge {
    edge: GraphEdge,
    weight_div: i64,
}

impl RawEdge {
    fn value(&self) -> i64 {
        if self.weight_div == 0 {
            self.edge.weight
        } else {
            // checked: i64::MIN / -1 overflows.
            self.edge
                .weight
                .checked_div(self.weight_div)
                .unwrap_or(i64::MAX)
        }
    }
}

/// The edges pprof builds from the samples when only `nodes` are kept.
async fn kept_edges(engine: &Engine, r: &Rows, nodes: &[Node]) -> Result<Vec<RawEdge>, ToolError> {
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let index: HashMap<u32, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let res = kept_query(engine, r, nodes, &CALLGRAPH_EDGES).await?;
    let mut out = Vec::new();
    for b in &res.batches {
        let (src, dst) = (col_u32(b, 0)?, col_u32(b, 1)?);
        let (w, wd) = (col_i64(b, 2)?, col_i64(b, 3)?);
        let (inl, res) = (col_bool(b, 4)?, col_bool(b, 5)?);
        for k in 0..b.num_rows() {
            let (Some(&s), Some(&d)) = (index.get(&src[k]), index.get(&dst[k])) else {
                continue;
            };
            out.push(RawEdge {
                edge: GraphEdge {
                    src: s,
                    dst: d,
                    weight: w[k],
                    inline: inl[k],
                    residual: res[k],
                },
                weight_div: wd[k],
            });
        }
    }
    Ok(out)
}

/// Sorts nodes by pprof's `EntropyOrder` and renumbers the edges to follow.
fn entropy_sort(nodes: &mut Vec<Node>, edges: &mut [RawEdge]) {
    let n = nodes.len();
    let mut ins: Vec<Vec<i64>> = vec![Vec::new(); n];
    let mut outs: Vec<Vec<i64>> = vec![Vec::new(); n];
    for e in edges.iter() {
        outs[e.edge.src].push(e.edge.weight);
        ins[e.edge.dst].push(e.edge.weight);
    }
    let scores: Vec<i64> = (0..n)
        .map(|i| entropy_score(&nodes[i], &ins[i], &outs[i]))
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    // Stable: equal keys keep the flat order the nodes came in (pprof compares the
    // node info last, which the flat order's name comparison already settled).
    order.sort_by(|&a, &b| {
        scores[b]
            .abs()
            .cmp(&scores[a].abs())
            .then_with(|| nodes[a].name.cmp(&nodes[b].name))
            .then_with(|| nodes[b].flat.abs().cmp(&nodes[a].flat.abs()))
    });
    let mut new_index = vec![0; n];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut taken: Vec<Option<Node>> = std::mem::take(nodes).into_iter().map(Some).collect();
    *nodes = order.iter().filter_map(|&old| taken[old].take()).collect();
    for e in edges.iter_mut() {
        e.edge.src = new_index[e.edge.src];
        e.edge.dst = new_index[e.edge.dst];
    }
}

/// pprof's `entropyScore`: favours entry and leaf nodes and nodes whose weight spreads
/// over several edges, over pass-through nodes.
fn entropy_score(n: &Node, ins: &[i64], outs: &[i64]) -> i64 {
    let mut score = 0.0;
    if ins.is_empty() {
        score += 1.0;
    } else {
        score += edge_entropy(ins, 0);
    }
    if outs.is_empty() {
        score += 1.0;
    } else {
        score += edge_entropy(outs, n.flat);
    }
    (score * n.cum as f64) as i64 + n.flat
}

fn edge_entropy(weights: &[i64], own: i64) -> f64 {
    let mut total = own;
    for &w in weights {
        if w > 0 {
            total += w.abs();
        }
    }
    let mut score = 0.0;
    if total != 0 {
        for &w in weights {
            let frac = w.abs() as f64 / total as f64;
            score += -frac * frac.log2();
        }
        if own > 0 {
            let frac = own.abs() as f64 / total as f64;
            score += -frac * frac.log2();
        }
    }
    score
}

/// pprof's `RemoveRedundantEdges`: from the lightest node up, drop residual incoming
/// edges whose caller still reaches the callee another way, stopping at the first
/// non-residual one.
fn remove_redundant_edges(nodes: &[Node], edges: &mut Vec<RawEdge>) {
    let mut removed: HashSet<usize> = HashSet::new();
    for node in (0..nodes.len()).rev() {
        // Incoming edges in pprof's edge order (heaviest first), walked lightest first.
        let mut ins: Vec<usize> = (0..edges.len())
            .filter(|&k| edges[k].edge.dst == node && !removed.contains(&k))
            .collect();
        ins.sort_by(|&a, &b| edge_order(nodes, &edges[a], &edges[b]));
        for &k in ins.iter().rev() {
            if !edges[k].edge.residual {
                break;
            }
            if reachable_without(edges, &removed, k) {
                removed.insert(k);
            }
        }
    }
    let mut k = 0;
    edges.retain(|_| {
        let keep = !removed.contains(&k);
        k += 1;
        keep
    });
}

/// Whether edge `skip`'s caller reaches its callee through other edges.
fn reachable_without(edges: &[RawEdge], removed: &HashSet<usize>, skip: usize) -> bool {
    let (src, dst) = (edges[skip].edge.src, edges[skip].edge.dst);
    let mut seen: HashSet<usize> = HashSet::from([dst]);
    let mut queue = VecDeque::from([dst]);
    while let Some(n) = queue.pop_front() {
        for (k, e) in edges.iter().enumerate() {
            if k == skip || removed.contains(&k) || e.edge.dst != n || seen.contains(&e.edge.src) {
                continue;
            }
            if e.edge.src == src {
                return true;
            }
            seen.insert(e.edge.src);
            queue.push_back(e.edge.src);
        }
    }
    false
}

/// pprof's edge list order: |weight| descending, then caller name, then callee name.
fn edge_order(nodes: &[Node], a: &RawEdge, b: &RawEdge) -> std::cmp::Ordering {
    let name = |i: usize| nodes.get(i).map_or("", |n| n.name.as_str());
    b.edge
        .weight
        .abs()
        .cmp(&a.edge.weight.abs())
        .then_with(|| name(a.edge.src).cmp(name(b.edge.src)))
        .then_with(|| name(a.edge.dst).cmp(name(b.edge.dst)))
}

fn sort_edges(nodes: &[Node], edges: &mut [RawEdge]) {
    edges.sort_by(|a, b| edge_order(nodes, a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u32, flat: i64, cum: i64) -> Node {
        Node {
            id,
            name: format!("f{id}"),
            flat,
            flat_div: 0,
            cum,
            cum_div: 0,
            inline: Default::default(),
            inline_frames: false,
        }
    }

    fn edge(src: usize, dst: usize, weight: i64, residual: bool) -> RawEdge {
        RawEdge {
            edge: GraphEdge {
                src,
                dst,
                weight,
                inline: false,
                residual,
            },
            weight_div: 0,
        }
    }

    #[test]
    fn pass_through_nodes_score_below_branching_ones() {
        // root -> a -> b (leaf): a passes everything through.
        let root = node(0, 0, 100);
        let a = node(1, 0, 100);
        let leaf = node(2, 100, 100);
        assert_eq!(entropy_score(&a, &[100], &[100]), 0);
        assert_eq!(entropy_score(&root, &[], &[100]), 100);
        assert_eq!(entropy_score(&leaf, &[100], &[]), 200);
    }

    #[test]
    fn a_residual_edge_with_another_path_is_removed() {
        // 0 -> 1 -> 2 and a residual 0 ... 2: the residual one goes.
        let nodes = vec![node(0, 0, 10), node(1, 0, 10), node(2, 10, 10)];
        let mut edges = vec![
            edge(0, 1, 10, false),
            edge(1, 2, 10, false),
            edge(0, 2, 5, true),
        ];
        remove_redundant_edges(&nodes, &mut edges);
        assert_eq!(edges.len(), 2);
        assert!(edges.iter().all(|e| !e.edge.residual));
        // Without the other path it stays.
        let mut edges = vec![edge(0, 2, 5, true)];
        remove_redundant_edges(&nodes, &mut edges);
        assert_eq!(edges.len(), 1);
    }
}
