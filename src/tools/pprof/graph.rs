//! pprof's call graph from canned SQL: the row pipeline (filters as masks and cut
//! stages), nodes with flat/cum, trimming and sorting by pprof's rules, and edges.

use std::borrow::Cow;
use std::collections::HashMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Int64Type, UInt32Type, UInt64Type,
};
use datafusion::logical_expr::ScalarUDF;

use super::filters::{decide, Decisions};
use super::options::{Granularity, ReportOptions};
use crate::engine::{CannedQuery, Engine, Param};
use crate::tables::mask::{lookup_udf, mask_udf};
use crate::tables::LoadedProfile;
use crate::tools::{resolve_sample_type, SampleType, ToolError};

canned!(ROWS_FAST, "rows_fast");
canned!(EDGES_FAST, "edges_fast");
canned!(ROWS_GENERAL, "rows_general");
canned!(CUT_SHOW_FROM, "cut_show_from");
canned!(CUT_PRUNE_FROM, "cut_prune_from");
canned!(NODES_FAST, "nodes_fast");
canned!(NODES_GENERAL, "nodes_general");
canned!(NODES_WHOLE, "nodes_whole");
canned!(LABELS, "labels");
canned!(EDGES, "edges");
canned!(WITH_PARENT, "with_parent");
canned!(TOTALS, "totals");

/// pprof's `(inline)` / `(partial-inline)` marker of a node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InlineLabel {
    #[default]
    None,
    Inline,
    PartialInline,
}

impl InlineLabel {
    fn from_flags(any_inline: bool, any_call: bool) -> Self {
        match (any_inline, any_call) {
            (true, true) => Self::PartialInline,
            (true, false) => Self::Inline,
            _ => Self::None,
        }
    }
    pub fn text(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Inline => "(inline)",
            Self::PartialInline => "(partial-inline)",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: u32,
    pub name: String,
    pub flat: i64,
    pub flat_div: i64,
    pub cum: i64,
    pub cum_div: i64,
    pub inline: InlineLabel,
    /// Some frame of the node is an inlined line (only then can it be labelled inline).
    pub inline_frames: bool,
}

impl Node {
    /// Value shown for flat (mean mode divides).
    pub fn flat_value(&self) -> i64 {
        if self.flat_div == 0 {
            self.flat
        } else {
            self.flat / self.flat_div
        }
    }
    pub fn cum_value(&self) -> i64 {
        if self.cum_div == 0 {
            self.cum
        } else {
            self.cum / self.cum_div
        }
    }
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub src: u32,
    pub dst: u32,
    pub weight: i64,
    pub weight_div: i64,
    pub inline: bool,
}

impl Edge {
    pub fn value(&self) -> i64 {
        if self.weight_div == 0 {
            self.weight
        } else {
            self.weight / self.weight_div
        }
    }
}

/// Everything a graph report needs.
pub struct Graph {
    pub sample_type: SampleType,
    /// The report total (pprof's `rpt.total`).
    pub total: i64,
    /// Nodes shown, in report order.
    pub nodes: Vec<Node>,
    /// Node count after the cum cutoff, before nodecount (pprof's origCount).
    pub orig_count: usize,
    pub dropped_nodes: usize,
    /// Filter options that matched nothing.
    pub unmatched: Vec<&'static str>,
}

/// How the graph is trimmed.
#[derive(Clone, Copy, Debug)]
pub struct Trim {
    pub enabled: bool,
    pub nodecount: usize,
    /// Compute the nodes' `(inline)` labels (top prints them; peek and list do not).
    pub labels: bool,
    /// Put the nodes in report order. diff_top only sums its before and after graphs by
    /// name, and most nodes tie on a zero flat, so their order would cost a name
    /// comparison each.
    pub sorted: bool,
}

/// A prepared pipeline: the SQL of the graph rows plus the masks it uses.
pub struct Rows {
    pub profile_id: u32,
    pub sample_type: SampleType,
    /// `WITH` clause defining `g` (the rows).
    pub with: String,
    pub udfs: Vec<ScalarUDF>,
    pub fast: bool,
    pub decisions: Decisions,
    pub value: String,
    pub divisor: String,
    /// Mean mode: the divisor sums are needed (else the queries let them fold away).
    pub mean: bool,
    /// No frame was removed (no hide/show/prune_from/noinlines): each sample's leaf is
    /// still its depth-0 frame.
    pub whole_stacks: bool,
    /// Nodes built for this request's trim_path/source_path (else the profile's cached ones).
    pub nodes: Option<std::sync::Arc<crate::tables::nodes::NodeMap>>,
    /// No show_from/prune_from stage cut the stacks (the generated edge marks still hold).
    pub uncut: bool,
}

impl Rows {
    /// The `mean` parameter of the node and edge queries.
    pub fn mean_param(&self) -> (&'static str, Param) {
        (
            "mean",
            Param::Sql(if self.mean { "TRUE" } else { "FALSE" }.into()),
        )
    }
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Builds the row pipeline for a profile and options.
pub fn rows(lp: &LoadedProfile, o: &ReportOptions, force_general: bool) -> Result<Rows, ToolError> {
    rows_of(lp, o, force_general, None)
}

/// `rows`, keeping only the frames `only_frames` marks (by frame key) when that cannot
/// change any kept node's numbers: on the general path with whole stacks, where a leaf is
/// depth 0 whatever else is dropped. For reports that need a few nodes (list).
pub fn rows_of(
    lp: &LoadedProfile,
    o: &ReportOptions,
    force_general: bool,
    only_frames: Option<Vec<bool>>,
) -> Result<Rows, ToolError> {
    o.validate()?;
    let sample_type = resolve_sample_type(lp, o.sample_index.as_deref())?;
    let decisions = decide(lp, o)?;
    let whole_stacks =
        decisions.frame_alive.is_none() && decisions.prune_from.is_none() && !o.noinlines;
    let pid = lp.id;
    let value = q(&sample_type.column);
    let divisor = if o.mean {
        lp.value_column(0).map(q).unwrap_or_else(|| "0".into())
    } else {
        "CAST(0 AS BIGINT)".to_string()
    };
    let fast = !force_general
        && o.granularity == Granularity::Functions
        && !o.noinlines
        && decisions.frame_alive.is_none();
    let mut udfs = Vec::new();
    let mut filters = String::new();
    let prefix = if fast { "" } else { "f." };
    if let Some((udf, clause)) = decisions.sample_filter(&format!("{prefix}sample_id")) {
        udfs.push(udf);
        filters.push_str(&clause);
    }
    if let Some(alive) = &decisions.frame_alive {
        udfs.push(mask_udf("pprof_frame_alive", alive.clone()));
        filters.push_str(" AND pprof_frame_alive(f.frame_key)");
    }
    if o.noinlines {
        filters.push_str(" AND NOT f.is_inline");
    }
    if let Some(only) = only_frames.filter(|_| !fast && whole_stacks) {
        udfs.push(mask_udf("pprof_only_frame", only));
        filters.push_str(" AND pprof_only_frame(f.frame_key)");
    }
    let base = [
        ("profile_id", Param::Int(pid.into())),
        ("value", Param::Ident(sample_type.column.clone())),
        (
            "divisor",
            Param::Sql(if o.mean {
                format!("{prefix}{divisor}")
            } else {
                divisor.clone()
            }),
        ),
        ("filters", Param::Sql(filters)),
    ];
    let mut stages: Vec<(String, String)> = Vec::new();
    let mut custom_nodes = None;
    if fast {
        stages.push(("r0".into(), ROWS_FAST.render(&base)?));
    } else {
        let g = o.granularity.as_str();
        let trim = o.trim_path.as_deref().unwrap_or("");
        if !trim.is_empty() || !o.source_path.is_empty() {
            custom_nodes = Some(std::sync::Arc::new(crate::tables::nodes::build_with(
                &lp.profile,
                &lp.symbols,
                g,
                trim,
                &o.source_path,
            )));
        }
        let node_of = match &custom_nodes {
            Some(m) => m.node_of.clone(),
            None => lp.node_map(g).node_of.clone(),
        };
        udfs.push(lookup_udf("pprof_node", node_of));
        stages.push(("r0".into(), ROWS_GENERAL.render(&base)?));
    }
    let mut cut = |name: &str, query: &CannedQuery, bits: &Option<Vec<bool>>| {
        if let Some(bits) = bits {
            let input = stages.last().map(|s| s.0.clone()).unwrap_or_default();
            udfs.push(mask_udf(&format!("pprof_{name}"), bits.clone()));
            let sql = query.render(&[
                ("input", Param::Sql(input)),
                ("profile_id", Param::Int(pid.into())),
            ])?;
            stages.push((format!("r{}", stages.len()), sql));
        }
        Ok::<_, ToolError>(())
    };
    cut("show_from", &CUT_SHOW_FROM, &decisions.show_from)?;
    cut("prune_from", &CUT_PRUNE_FROM, &decisions.prune_from)?;
    let uncut = stages.len() == 1;
    let last = stages.last().map(|s| s.0.clone()).unwrap_or_default();
    let mut with = String::from("WITH ");
    for (name, sql) in &stages {
        with.push_str(&format!("{name} AS ({sql}),\n"));
    }
    with.push_str(&format!("g AS (SELECT * FROM {last})\n"));
    Ok(Rows {
        profile_id: pid,
        sample_type,
        with,
        udfs,
        fast,
        decisions,
        value,
        divisor,
        mean: o.mean,
        nodes: custom_nodes,
        whole_stacks,
        uncut,
    })
}

/// An integer column as `T`: borrowed when it already has that type and no nulls (the
/// common case, and traces read millions of rows), else cast with nulls as 0.
fn col_prim<T: ArrowPrimitiveType>(
    b: &RecordBatch,
    i: usize,
) -> Result<Cow<'_, [T::Native]>, ToolError> {
    let col = b.column(i);
    if let Some(a) = col.as_primitive_opt::<T>() {
        if a.null_count() == 0 {
            return Ok(Cow::Borrowed(a.values()));
        }
    }
    let a = datafusion::arrow::compute::cast(col, &T::DATA_TYPE)
        .map_err(|e| internal("graph", e.to_string()))?;
    let a = a.as_primitive::<T>();
    Ok(Cow::Owned(
        (0..a.len())
            .map(|k| {
                if a.is_null(k) {
                    T::Native::default()
                } else {
                    a.value(k)
                }
            })
            .collect(),
    ))
}

pub(crate) fn col_i64(b: &RecordBatch, i: usize) -> Result<Cow<'_, [i64]>, ToolError> {
    col_prim::<Int64Type>(b, i)
}

pub(crate) fn col_u32(b: &RecordBatch, i: usize) -> Result<Cow<'_, [u32]>, ToolError> {
    col_prim::<UInt32Type>(b, i)
}

pub(crate) fn col_u64(b: &RecordBatch, i: usize) -> Result<Cow<'_, [u64]>, ToolError> {
    col_prim::<UInt64Type>(b, i)
}

/// A string column (any string encoding) as owned values.
pub(crate) fn col_str(b: &RecordBatch, i: usize) -> Result<Vec<Option<String>>, ToolError> {
    let a = datafusion::arrow::compute::cast(b.column(i), &DataType::Utf8)
        .map_err(|e| internal("graph", e.to_string()))?;
    let a = a.as_string::<i32>();
    Ok((0..a.len())
        .map(|k| (!a.is_null(k)).then(|| a.value(k).to_string()))
        .collect())
}

pub(crate) fn col_bool(b: &RecordBatch, i: usize) -> Result<Vec<bool>, ToolError> {
    let a = b
        .column(i)
        .as_boolean_opt()
        .ok_or_else(|| internal("graph", "expected a boolean column".into()))?;
    Ok((0..a.len()).map(|k| !a.is_null(k) && a.value(k)).collect())
}

pub(crate) fn internal(query: &'static str, detail: String) -> ToolError {
    ToolError::Internal { query, detail }
}

/// Node names of a profile at a granularity, by node id.
pub fn node_names<'a>(lp: &'a LoadedProfile, rows: &'a Rows, g: Granularity) -> NodeNames<'a> {
    if rows.fast {
        NodeNames::Functions(&lp.symbols.names)
    } else if let Some(m) = &rows.nodes {
        NodeNames::Nodes(&m.names)
    } else {
        NodeNames::Nodes(&lp.node_map(g.as_str()).names)
    }
}

/// Names by node id: function names on the fast path, pprof's nodes otherwise.
pub enum NodeNames<'a> {
    Functions(&'a datafusion::arrow::array::StringArray),
    Nodes(&'a [String]),
}

impl NodeNames<'_> {
    pub fn get(&self, id: u32) -> &str {
        let i = id as usize;
        match self {
            NodeNames::Functions(a) if i < a.len() => a.value(i),
            NodeNames::Nodes(n) => n.get(i).map_or("", String::as_str),
            _ => "",
        }
    }
}

/// pprof's report total for the rows' profile and sample type.
pub async fn total(engine: &Engine, rows: &Rows, o: &ReportOptions) -> Result<i64, ToolError> {
    let mut udfs = Vec::new();
    let mut filters = String::new();
    if o.relative_percentages {
        if let Some((udf, clause)) = rows.decisions.sample_filter("sample_id") {
            udfs.push(udf);
            filters.push_str(&clause);
        }
    }
    let pid = rows.profile_id;
    if let Some(base) = super::labels::base_samples(&engine.profile(pid)?.profile) {
        udfs.push(mask_udf("pprof_base_sample", base));
        filters.push_str(" AND pprof_base_sample(sample_id)");
    }
    let sql = TOTALS.render(&[
        ("profile_id", Param::Int(pid.into())),
        ("value", Param::Sql(rows.value.clone())),
        ("divisor", Param::Sql(rows.divisor.clone())),
        ("filters", Param::Sql(filters)),
    ])?;
    let r = if udfs.is_empty() {
        engine.sql_memoized(engine.profile(pid)?, &sql).await?
    } else {
        engine.sql_with_udfs(&sql, &udfs).await?
    };
    let b = r
        .batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| internal("totals", "no row".into()))?;
    let total = col_i64(b, 0)?[0];
    let div = col_i64(b, 1)?[0];
    Ok(if div != 0 { total / div } else { total })
}

/// All nodes of the graph (untrimmed, unsorted).
pub async fn all_nodes(
    engine: &Engine,
    lp: &LoadedProfile,
    rows: &Rows,
    g: Granularity,
) -> Result<Vec<Node>, ToolError> {
    let query = if rows.fast {
        &NODES_FAST
    } else if rows.whole_stacks {
        &NODES_WHOLE
    } else {
        &NODES_GENERAL
    };
    let sql = format!(
        "{}{}",
        rows.with,
        query.render(&[("input", Param::Sql("g".into())), rows.mean_param()])?
    );
    // Unfiltered aggregations are the same on every call: remembered on the profile.
    let r = if rows.udfs.is_empty() {
        engine.sql_memoized(lp, &sql).await?
    } else {
        engine.sql_with_udfs(&sql, &rows.udfs).await?
    };
    let names = node_names(lp, rows, g);
    let mut out = Vec::new();
    for b in &r.batches {
        let id = col_u32(b, 0)?;
        let (flat, flat_div, cum, cum_div) = (
            col_i64(b, 1)?,
            col_i64(b, 2)?,
            col_i64(b, 3)?,
            col_i64(b, 4)?,
        );
        let inline_frames = col_bool(b, 5)?;
        for k in 0..b.num_rows() {
            out.push(Node {
                id: id[k],
                name: names.get(id[k]).to_string(),
                flat: flat[k],
                flat_div: flat_div[k],
                cum: cum[k],
                cum_div: cum_div[k],
                inline: InlineLabel::None,
                inline_frames: inline_frames[k],
            });
        }
    }
    Ok(out)
}

/// What `cut_nodes` decided: pprof's cutoffs (0 when not trimming) and the nodes dropped.
pub struct NodeCut {
    pub node_cutoff: i64,
    pub edge_cutoff: i64,
    pub dropped: usize,
}

/// pprof's first trimming step: nodes without weight (and negative ones with
/// drop_negative) go; with `trim`, so do nodes whose |cum| is under the node fraction
/// of the graph's (signed) flat sum.
pub fn cut_nodes(nodes: &mut Vec<Node>, o: &ReportOptions, trim: bool) -> NodeCut {
    nodes.retain(|n| {
        !(n.flat == 0 && n.cum == 0)
            && !(o.drop_negative && (n.flat < 0 || (n.flat == 0 && n.cum < 0)))
    });
    let graph_total: i64 = nodes.iter().map(|n| n.flat).sum();
    let cutoff = |fraction: f64| {
        if trim {
            (((graph_total as f64) * fraction) as i64).abs()
        } else {
            0
        }
    };
    let (node_cutoff, edge_cutoff) = (cutoff(o.nodefraction), cutoff(o.edgefraction));
    let before = nodes.len();
    if node_cutoff > 0 {
        nodes.retain(|n| n.cum.abs() >= node_cutoff);
    }
    NodeCut {
        node_cutoff,
        edge_cutoff,
        dropped: before - nodes.len(),
    }
}

/// A canned query over the graph rows with `pprof_kept_node` marking `nodes`.
pub async fn kept_query(
    engine: &Engine,
    r: &Rows,
    nodes: &[Node],
    query: &CannedQuery,
) -> Result<crate::engine::QueryResult, ToolError> {
    let ids: Vec<u32> = nodes.iter().map(|n| n.id).collect();
    let mut udfs = r.udfs.clone();
    udfs.push(mask_udf("pprof_kept_node", id_mask(&ids)));
    let sql = format!(
        "{}{}",
        r.with,
        query.render(&[("input", Param::Sql("g".into()))])?
    );
    Ok(engine.sql_with_udfs(&sql, &udfs).await?)
}

/// pprof's node order: flat (or cum) magnitude, then name, then the other magnitude.
pub fn sort_nodes(nodes: &mut [Node], by_cum: bool) {
    nodes.sort_by(|a, b| {
        let (pa, pb, sa, sb) = if by_cum {
            (a.cum.abs(), b.cum.abs(), a.flat.abs(), b.flat.abs())
        } else {
            (a.flat.abs(), b.flat.abs(), a.cum.abs(), b.cum.abs())
        };
        pb.cmp(&pa)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| sb.cmp(&sa))
    });
}

/// Builds the trimmed, sorted graph of a report (pprof's `newTrimmedGraph`); unsorted when
/// `trim.sorted` is false and nothing is cut to a node count.
pub async fn graph(
    engine: &Engine,
    lp: &LoadedProfile,
    o: &ReportOptions,
    trim: Trim,
) -> Result<(Graph, Rows), ToolError> {
    graph_of(engine, lp, o, trim, None).await
}

/// `graph` over `rows_of(.., only_frames)`: numbers of the other nodes may be missing.
pub async fn graph_of(
    engine: &Engine,
    lp: &LoadedProfile,
    o: &ReportOptions,
    trim: Trim,
    only_frames: Option<Vec<bool>>,
) -> Result<(Graph, Rows), ToolError> {
    let rows = rows_of(lp, o, false, only_frames)?;
    let g = graph_from_rows(engine, lp, o, trim, &rows).await?;
    Ok((g, rows))
}

/// pprof's graph over rows already built (callers that also run other queries on them).
pub async fn graph_from_rows(
    engine: &Engine,
    lp: &LoadedProfile,
    o: &ReportOptions,
    trim: Trim,
    rows: &Rows,
) -> Result<Graph, ToolError> {
    let (nodes, total) = futures::join!(
        all_nodes(engine, lp, rows, o.granularity),
        total(engine, rows, o)
    );
    let mut nodes = nodes?;
    let total = total?;
    let cut = cut_nodes(&mut nodes, o, trim.enabled);
    let (dropped, edge_cutoff, orig_count) = (cut.dropped, cut.edge_cutoff, nodes.len());
    let truncating = trim.enabled && trim.nodecount > 0;
    if trim.sorted || truncating {
        sort_nodes(&mut nodes, o.cum);
    }
    let mut cut = dropped > 0;
    if truncating && nodes.len() > trim.nodecount {
        nodes.truncate(trim.nodecount);
        cut = true;
    }
    if trim.labels {
        label(engine, rows, &mut nodes, cut, edge_cutoff).await?;
    }
    Ok(Graph {
        sample_type: rows.sample_type.clone(),
        total,
        nodes,
        orig_count,
        dropped_nodes: dropped,
        unmatched: rows.decisions.unmatched.clone(),
    })
}

/// Sets pprof's inline labels. After trimming (`kept_only`), pprof rebuilds the graph
/// from the kept nodes, so a frame's caller is the nearest kept frame above it.
async fn label(
    engine: &Engine,
    rows: &Rows,
    nodes: &mut [Node],
    kept_only: bool,
    edge_cutoff: i64,
) -> Result<(), ToolError> {
    let candidates: Vec<u32> = nodes
        .iter()
        .filter(|n| n.inline_frames)
        .map(|n| n.id)
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let mut udfs = rows.udfs.clone();
    udfs.push(mask_udf("pprof_label_node", id_mask(&candidates)));
    let input = if rows.fast && !kept_only {
        "g".to_string()
    } else {
        // Only samples through a candidate can give it an incoming edge.
        let mut filters = String::from(
            " AND sample_id IN (SELECT sample_id FROM g WHERE pprof_label_node(node_id))",
        );
        if kept_only {
            let kept: Vec<u32> = nodes.iter().map(|n| n.id).collect();
            udfs.push(mask_udf("pprof_kept_node", id_mask(&kept)));
            filters.push_str(" AND pprof_kept_node(node_id)");
        }
        format!(
            "({})",
            WITH_PARENT.render(&[
                ("input", Param::Sql("g".into())),
                ("filters", Param::Sql(filters)),
            ])?
        )
    };
    let sql = format!(
        "{}{}",
        rows.with,
        LABELS.render(&[
            ("input", Param::Sql(input)),
            ("edge_cutoff", Param::Int(edge_cutoff)),
        ])?
    );
    let r = engine.sql_with_udfs(&sql, &udfs).await?;
    let mut labels: HashMap<u32, InlineLabel> = HashMap::new();
    for b in &r.batches {
        let id = col_u32(b, 0)?;
        let (ai, ac) = (col_bool(b, 1)?, col_bool(b, 2)?);
        for k in 0..b.num_rows() {
            labels.insert(id[k], InlineLabel::from_flags(ai[k], ac[k]));
        }
    }
    for n in nodes.iter_mut() {
        n.inline = labels.get(&n.id).copied().unwrap_or_default();
    }
    Ok(())
}

/// A mask with the bits of `ids` set.
fn id_mask(ids: &[u32]) -> Vec<bool> {
    let max = ids.iter().copied().max().unwrap_or(0) as usize;
    let mut mask = vec![false; max + 1];
    for &i in ids {
        mask[i as usize] = true;
    }
    mask
}

/// Edges into and out of the nodes `of` (untrimmed graph), with pprof's per-sample dedup.
pub async fn edges(engine: &Engine, rows: &Rows, of: &[u32]) -> Result<Vec<Edge>, ToolError> {
    let mut udfs = rows.udfs.clone();
    udfs.push(mask_udf("pprof_edge_node", id_mask(of)));
    let input = if rows.fast {
        "g".to_string()
    } else {
        format!(
            "({})",
            WITH_PARENT.render(&[
                ("input", Param::Sql("g".into())),
                ("filters", Param::Sql(String::new())),
            ])?
        )
    };
    let query = if rows.fast && rows.uncut {
        &EDGES_FAST
    } else {
        &EDGES
    };
    let sql = format!(
        "{}{}",
        rows.with,
        query.render(&[("input", Param::Sql(input)), rows.mean_param()])?
    );
    let r = engine.sql_with_udfs(&sql, &udfs).await?;
    let mut out = Vec::new();
    for b in &r.batches {
        let (src, dst) = (col_u32(b, 0)?, col_u32(b, 1)?);
        let (w, wd) = (col_i64(b, 2)?, col_i64(b, 3)?);
        let inl = col_bool(b, 4)?;
        for k in 0..b.num_rows() {
            out.push(Edge {
                src: src[k],
                dst: dst[k],
                weight: w[k],
                weight_div: wd[k],
                inline: inl[k],
            });
        }
    }
    Ok(out)
}
