//! top and peek: graph reports with pprof's headers, units and percentages.

use datafusion::arrow::array::Array;
use regex::Regex;
use serde::Serialize;

use super::graph::{edges, graph, graph_from_rows, Graph, InlineLabel, Node, Trim};
use super::measurement::percentage;
use super::options::ReportOptions;
use super::{profile_labels, type_label, ValueFormat};
use crate::engine::Engine;
use crate::tables::LoadedProfile;
use crate::tools::ToolError;

/// One row of `top`.
#[derive(Clone, Debug, Serialize)]
pub struct TopRow {
    pub name: String,
    pub inline: InlineLabel,
    pub flat: i64,
    pub cum: i64,
    pub flat_fmt: String,
    pub flat_pct: String,
    pub sum_pct: String,
    pub cum_fmt: String,
    pub cum_pct: String,
}

/// The `top` report.
#[derive(Clone, Debug, Serialize)]
pub struct TopReport {
    pub profile: String,
    pub sample_type: String,
    pub unit: ValueFormat,
    pub total: i64,
    pub total_fmt: String,
    /// Header lines as pprof prints them (profile labels, filters, Showing/Dropped).
    pub header: Vec<String>,
    pub rows: Vec<TopRow>,
    /// pprof's stderr warnings (e.g. "Focus expression matched no samples").
    pub warnings: Vec<String>,
}

pub(crate) fn warnings(unmatched: &[&str]) -> Vec<String> {
    unmatched
        .iter()
        .map(|w| format!("{w} expression matched no samples"))
        .collect()
}

/// The counts a graph report's legend states.
pub(crate) struct GraphCounts {
    /// Flat sum of the shown nodes.
    pub shown: i64,
    pub total: i64,
    pub node_count: usize,
    pub orig_count: usize,
    pub dropped_nodes: usize,
    /// Only graph outputs drop edges (text reports pass 0).
    pub dropped_edges: usize,
}

/// pprof's `reportLabels` (the CLI's non-compact form).
pub(crate) fn report_labels_with_edges(
    profile: Vec<String>,
    o: &ReportOptions,
    fmt: &ValueFormat,
    c: GraphCounts,
) -> Vec<String> {
    let mut out = profile;
    let filters = o.active_filters();
    if !filters.is_empty() {
        out.push("Active filters:".to_string());
        for f in filters {
            let f = if f.chars().count() > 80 {
                format!("{}…", f.chars().take(80).collect::<String>())
            } else {
                f
            };
            out.push(format!("   {f}"));
        }
    }
    out.push(format!(
        "Showing nodes accounting for {}, {} of {} total",
        fmt.format(c.shown),
        percentage(c.shown, c.total).trim(),
        fmt.format(c.total)
    ));
    if c.total != 0 {
        let plural = |n: usize, one: &str| {
            if n > 1 {
                format!("{one}s")
            } else {
                one.to_string()
            }
        };
        if c.dropped_nodes > 0 {
            let cutoff = ((c.total as f64) * o.nodefraction) as i64;
            out.push(format!(
                "Dropped {} {} (cum <= {})",
                c.dropped_nodes,
                plural(c.dropped_nodes, "node"),
                fmt.format(cutoff.abs())
            ));
        }
        if c.dropped_edges > 0 {
            let cutoff = ((c.total as f64) * o.edgefraction) as i64;
            out.push(format!(
                "Dropped {} {} (freq <= {})",
                c.dropped_edges,
                plural(c.dropped_edges, "edge"),
                fmt.format(cutoff.abs())
            ));
        }
        if c.node_count > 0 && c.node_count < c.orig_count {
            out.push(format!(
                "Showing top {} nodes out of {}",
                c.node_count, c.orig_count
            ));
        }
    }
    out
}

/// A report row of node `n`; `sum` is the running flat sum including it.
fn top_row(n: &Node, fmt: &ValueFormat, total: i64, sum: i64) -> TopRow {
    let (flat, cum) = (n.flat_value(), n.cum_value());
    TopRow {
        name: n.name.clone(),
        inline: n.inline,
        flat,
        cum,
        flat_fmt: fmt.format(flat),
        flat_pct: percentage(flat, total),
        sum_pct: percentage(sum, total),
        cum_fmt: fmt.format(cum),
        cum_pct: percentage(cum, total),
    }
}

/// The report-wide unit and the header lines of a graph report.
fn graph_header(
    lp: &LoadedProfile,
    g: &Graph,
    o: &ReportOptions,
    dropped: usize,
) -> (ValueFormat, String, Vec<String>) {
    let fmt = ValueFormat::for_report(
        &g.sample_type.unit,
        g.nodes.iter().map(|n| (n.flat_value(), n.cum_value())),
        g.total,
    );
    let shown: i64 = g.nodes.iter().map(|n| n.flat_value()).sum();
    let tl = type_label(&g.sample_type, o.mean);
    let header = report_labels_with_edges(
        profile_labels(lp, &tl, g.total, &fmt),
        o,
        &fmt,
        GraphCounts {
            shown,
            total: g.total,
            node_count: g.nodes.len(),
            orig_count: g.orig_count,
            dropped_nodes: dropped,
            dropped_edges: 0,
        },
    );
    (fmt, tl, header)
}

/// `go tool pprof -top`.
pub async fn top(
    engine: &Engine,
    profile_id: u32,
    o: &ReportOptions,
) -> Result<TopReport, ToolError> {
    let lp = engine.profile(profile_id)?;
    let trim = Trim {
        enabled: true,
        nodecount: o.nodecount,
        labels: true,
        sorted: true,
    };
    let (g, _) = graph(engine, lp, o, trim).await?;
    let (fmt, tl, header) = graph_header(lp, &g, o, g.dropped_nodes);
    let mut sum = 0i64;
    let rows = g
        .nodes
        .iter()
        .map(|n| {
            sum += n.flat_value();
            top_row(n, &fmt, g.total, sum)
        })
        .collect();
    Ok(TopReport {
        profile: lp.source.clone(),
        sample_type: tl,
        total_fmt: fmt.format(g.total),
        unit: fmt,
        total: g.total,
        header,
        rows,
        warnings: warnings(&g.unmatched),
    })
}

/// One caller or callee line of `peek`.
#[derive(Clone, Debug, Serialize)]
pub struct PeekEdge {
    pub name: String,
    pub weight: i64,
    pub weight_fmt: String,
    /// Share of the node's cum.
    pub pct: String,
    pub inline: bool,
}

/// One matched node of `peek` with its callers and callees.
#[derive(Clone, Debug, Serialize)]
pub struct PeekEntry {
    pub row: TopRow,
    pub callers: Vec<PeekEdge>,
    pub callees: Vec<PeekEdge>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PeekReport {
    pub profile: String,
    pub sample_type: String,
    pub unit: ValueFormat,
    pub total: i64,
    pub header: Vec<String>,
    pub entries: Vec<PeekEntry>,
    pub warnings: Vec<String>,
}

/// `go tool pprof -peek REGEX`: untrimmed graph, matched nodes with their edges.
pub async fn peek(
    engine: &Engine,
    profile_id: u32,
    o: &ReportOptions,
    regex: &str,
) -> Result<PeekReport, ToolError> {
    let rx = Regex::new(regex)
        .map_err(|e| ToolError::InvalidArgument(format!("parsing argument regexp {regex}: {e}")))?;
    let lp = engine.profile(profile_id)?;
    let trim = Trim {
        enabled: false,
        nodecount: 0,
        labels: false,
        sorted: true,
    };
    // At functions granularity node ids are function name ids, so the matching nodes are
    // known before the graph and its edges can be computed alongside it.
    let pre = super::graph::rows(lp, o, false)?;
    let predicted: Option<Vec<u32>> = pre.fast.then(|| {
        let names = &lp.symbols.names;
        (0..names.len() as u32)
            .filter(|&i| rx.is_match(names.value(i as usize)))
            .collect()
    });
    let (g, all_edges) = match &predicted {
        Some(ids) => {
            let (g, e) = futures::join!(
                graph_from_rows(engine, lp, o, trim, &pre),
                edges(engine, &pre, ids)
            );
            (g?, Some(e?))
        }
        None => (graph_from_rows(engine, lp, o, trim, &pre).await?, None),
    };
    let (fmt, tl, header) = graph_header(lp, &g, o, 0);
    let matched: Vec<&Node> = g.nodes.iter().filter(|n| rx.is_match(&n.name)).collect();
    if matched.is_empty() {
        return Err(ToolError::NoMatch(regex.to_string()));
    }
    let all_edges = match all_edges {
        Some(e) => e,
        None => {
            let ids: Vec<u32> = matched.iter().map(|n| n.id).collect();
            edges(engine, &pre, &ids).await?
        }
    };
    // Edges name their ends by id: one lookup table, not a search per edge.
    let names: std::collections::HashMap<u32, &str> =
        g.nodes.iter().map(|n| (n.id, n.name.as_str())).collect();
    let name_of = |id: u32| names.get(&id).map(|n| n.to_string()).unwrap_or_default();
    let mut sum = 0i64;
    let mut entries = Vec::new();
    for n in matched {
        let cum = n.cum_value();
        let mk = |id: u32, e: &super::graph::Edge| PeekEdge {
            name: name_of(id),
            weight: e.value(),
            weight_fmt: fmt.format(e.value()),
            pct: percentage(e.value(), cum),
            inline: e.inline,
        };
        let sort = |v: &mut Vec<PeekEdge>| {
            v.sort_by(|a, b| {
                b.weight
                    .abs()
                    .cmp(&a.weight.abs())
                    .then_with(|| a.name.cmp(&b.name))
            })
        };
        let mut callers: Vec<PeekEdge> = all_edges
            .iter()
            .filter(|e| e.dst == n.id)
            .map(|e| mk(e.src, e))
            .collect();
        let mut callees: Vec<PeekEdge> = all_edges
            .iter()
            .filter(|e| e.src == n.id)
            .map(|e| mk(e.dst, e))
            .collect();
        sort(&mut callers);
        sort(&mut callees);
        sum += n.flat_value();
        entries.push(PeekEntry {
            row: top_row(n, &fmt, g.total, sum),
            callers,
            callees,
        });
    }
    Ok(PeekReport {
        profile: lp.source.clone(),
        sample_type: tl,
        unit: fmt,
        total: g.total,
        header,
        entries,
        warnings: warnings(&g.unmatched),
    })
}
