//! Pictures and exports: `pprof.flamegraph` (inferno SVG, differential with a base),
//! `pprof.callgraph` (pprof's DOT; SVG/PNG through Graphviz), `pprof.folded` and
//! `pprof.speedscope`. Files are written atomically under the output policy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::pprof_tools::{prepare, text_payload, warnings_suffix, CompareArgs, ReportArgs};
use super::truncate::Limits;
use super::{args, command_line, CallError, Context, JsonObject, ToolOutput, ToolSpec};
use crate::report::flamegraph::FlameOptions;
use crate::report::{dot, flamegraph, folded, speedscope};
use crate::tools::pprof::callgraph::callgraph as build_callgraph;
use crate::tools::pprof::stacks::{stacks, StackSet};
use crate::tools::pprof::ValueFormat;

/// The stacks of a profile prepared as the pprof tools prepare theirs (bases, label
/// frames), with the preparation's warnings first.
async fn stacks_of(
    ctx: &Context,
    profile: &str,
    report: &ReportArgs,
    compare: &CompareArgs,
    o: &crate::tools::pprof::ReportOptions,
) -> Result<StackSet, CallError> {
    let p = prepare(ctx, profile, report, compare)?;
    let mut set = stacks(&p.engine, p.id, o).await?;
    set.warnings.splice(0..0, p.warnings);
    Ok(set)
}

fn stack_summary(set: &StackSet) -> serde_json::Value {
    json!({
        "profile": set.profile,
        "sample_type": set.sample_type.r#type,
        "unit": set.sample_type.unit,
        "total": set.total,
        "total_fmt": ValueFormat::per_value(&set.sample_type.unit).format(set.total),
        "profile_total": set.profile_total,
        "stacks": set.stacks.len(),
        "frames": set.names.len(),
        "negative_stacks": set.negative(),
        "warnings": set.warnings,
    })
}

/// A flame graph that cannot be drawn (nothing positive to draw) is the caller's input.
fn drawing(e: crate::report::ReportError) -> CallError {
    CallError::invalid(e.to_string())
}

#[derive(Deserialize, JsonSchema)]
struct FlamegraphArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Where to write the SVG.
    output_path: String,
    /// A profile to compare with: a differential flame graph (widths from `profile`,
    /// red frames grew and blue ones shrank since `base`).
    base: Option<String>,
    /// Scale the base to the profile's total before comparing.
    normalize: Option<bool>,
    /// Icicle graph: roots at the top.
    icicle: Option<bool>,
    /// Reverse the stacks: leaf functions at the base, their callers above.
    reverse: Option<bool>,
    /// Title (default: sample type and total).
    title: Option<String>,
    /// Image width in pixels (default 1200).
    #[schemars(range(min = 100, max = 100000))]
    width: Option<u64>,
    /// Leave out frames narrower than this many pixels (default 0.1).
    #[schemars(range(min = 0.0, max = 1000.0))]
    min_width: Option<f64>,
    #[serde(flatten)]
    report: ReportArgs,
}

async fn flamegraph_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.flamegraph", &raw);
    let a: FlamegraphArgs = args::parse(raw)?;
    let o = a.report.options();
    let set = stacks_of(&ctx, &a.profile, &a.report, &CompareArgs::default(), &o).await?;
    let filters = o.active_filters();
    let mut fo = FlameOptions {
        title: a.title.clone(),
        icicle: a.icicle.unwrap_or(false),
        reverse: a.reverse.unwrap_or(false),
        width: a.width.and_then(|w| usize::try_from(w).ok()),
        min_width: a.min_width,
        subtitle: (!filters.is_empty()).then(|| filters.join(" ")),
    };
    let (svg, base_summary) = match &a.base {
        None => (flamegraph::flamegraph(&set, &fo).map_err(drawing)?, None),
        Some(base) => {
            let mut bo = o.clone();
            bo.sample_index = Some(set.sample_type.r#type.clone());
            let base_set = stacks_of(&ctx, base, &a.report, &CompareArgs::default(), &bo)
                .await
                .map_err(|e| e.field("base"))?;
            if a.normalize.unwrap_or(false) {
                let mut s = fo.subtitle.take().unwrap_or_default();
                s.push_str(" (base scaled to the profile's total)");
                fo.subtitle = Some(s.trim().to_string());
            }
            let svg = flamegraph::differential(&set, &base_set, &fo, a.normalize.unwrap_or(false))
                .map_err(drawing)?;
            (svg, Some(stack_summary(&base_set)))
        }
    };
    let out = ctx.write_output("output_path", &a.output_path, &svg)?;
    let summary = format!(
        "pprof.flamegraph: wrote {} ({} bytes, {} stacks, {} total){}",
        out.display(),
        svg.len(),
        set.stacks.len(),
        ValueFormat::per_value(&set.sample_type.unit).format(set.total),
        warnings_suffix(&set.warnings)
    );
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "output_path": out.display().to_string(),
            "bytes": svg.len(),
            "differential": a.base.is_some(),
            "result": stack_summary(&set),
            "base": base_summary,
        }),
    )
}

/// Output formats of pprof.callgraph.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum GraphFormat {
    #[default]
    Dot,
    Svg,
    Png,
}

#[derive(Deserialize, JsonSchema)]
struct CallgraphArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Where to write the graph.
    output_path: String,
    /// dot (always available), or svg/png rendered by Graphviz `dot` from PATH.
    format: Option<GraphFormat>,
    /// Show at most this many nodes (pprof's default for graphs: 80).
    #[schemars(range(min = 1))]
    nodecount: Option<u64>,
    /// Drop nodes whose cum is at most this fraction of the total (default 0.005).
    #[schemars(range(min = 0.0, max = 1.0))]
    nodefraction: Option<f64>,
    /// Drop edges lighter than this fraction of the total (default 0.001).
    #[schemars(range(min = 0.0, max = 1.0))]
    edgefraction: Option<f64>,
    /// The original tool's name for nodefraction.
    #[schemars(range(min = 0.0, max = 1.0))]
    node_frac: Option<f64>,
    /// The original tool's name for edgefraction.
    #[schemars(range(min = 0.0, max = 1.0))]
    edge_frac: Option<f64>,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
}

async fn callgraph_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.callgraph", &raw);
    let a: CallgraphArgs = args::parse(raw)?;
    let mut o = a.report.options();
    o.nodecount = a
        .nodecount
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    o.nodefraction = a.nodefraction.or(a.node_frac).unwrap_or(o.nodefraction);
    o.edgefraction = a.edgefraction.or(a.edge_frac).unwrap_or(o.edgefraction);
    let format = a.format.unwrap_or_default();
    let out = ctx.paths.output("output_path", &a.output_path)?;
    let p = prepare(&ctx, &a.profile, &a.report, &a.compare)?;
    let mut g = build_callgraph(&p.engine, p.id, &o).await?;
    g.warnings.splice(0..0, p.warnings);
    let text = dot::dot(&g, o.granularity);
    let written = match format {
        GraphFormat::Dot => {
            super::write_file(&out, text.as_bytes()).map_err(|e| e.field("output_path"))?;
            out.clone()
        }
        GraphFormat::Svg | GraphFormat::Png => render(&ctx, &out, &text, format)?,
    };
    let written = written.canonicalize().unwrap_or(written);
    let summary = format!(
        "pprof.callgraph: wrote {} ({} nodes, {} edges){}",
        written.display(),
        g.nodes.len(),
        g.edges.len(),
        warnings_suffix(&g.warnings)
    );
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "output_path": written.display().to_string(),
            "format": format,
            "result": g,
        }),
    )
}

/// Renders DOT with Graphviz into `out`. Without `dot` on PATH, the DOT text is written
/// beside `out` (same name, `.dot`) and the error names both.
fn render(
    ctx: &Context,
    out: &Path,
    text: &str,
    format: GraphFormat,
) -> Result<PathBuf, CallError> {
    let kind = if format == GraphFormat::Svg {
        "svg"
    } else {
        "png"
    };
    let rendered = crate::report::graphviz::render(text, kind);
    match rendered {
        Ok(bytes) => {
            super::write_file(out, &bytes).map_err(|e| e.field("output_path"))?;
            Ok(out.to_path_buf())
        }
        Err(e) => {
            let dot_path = out.with_extension("dot");
            let dot_path = ctx
                .paths
                .output("output_path", &dot_path.display().to_string())?;
            super::write_file(&dot_path, text.as_bytes()).map_err(|e| e.field("output_path"))?;
            Err(CallError::not_found(format!(
                "cannot render {kind}: {e}; the DOT graph was written to {}",
                dot_path.display()
            ))
            .field("format")
            .hint("Install Graphviz (Debian: apt-get install graphviz), or use format \"dot\"."))
        }
    }
}

#[derive(Deserialize, JsonSchema)]
struct FoldedArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Write the folded stacks here instead of returning them.
    output_path: Option<String>,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
    #[serde(flatten)]
    limits: Limits,
}

async fn folded_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.folded", &raw);
    let a: FoldedArgs = args::parse(raw)?;
    let o = a.report.options();
    let set = stacks_of(&ctx, &a.profile, &a.report, &a.compare, &o).await?;
    let text = folded::folded(&set);
    let result = stack_summary(&set);
    match &a.output_path {
        Some(path) => {
            let out = ctx.write_output("output_path", path, text.as_bytes())?;
            ToolOutput::new(
                format!(
                    "pprof.folded: wrote {} ({} stacks){}",
                    out.display(),
                    set.stacks.len(),
                    warnings_suffix(&set.warnings)
                ),
                json!({
                    "command": command,
                    "output_path": out.display().to_string(),
                    "result": result,
                }),
            )
        }
        None => text_payload(
            command,
            format!(
                "pprof.folded: {} stacks of {}{}",
                set.stacks.len(),
                set.profile,
                warnings_suffix(&set.warnings)
            ),
            &result,
            &text,
            &a.limits,
        ),
    }
}

#[derive(Deserialize, JsonSchema)]
struct SpeedscopeArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Where to write the speedscope JSON (open it at https://www.speedscope.app).
    output_path: String,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
}

async fn speedscope_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.speedscope", &raw);
    let a: SpeedscopeArgs = args::parse(raw)?;
    let o = a.report.options();
    let set = stacks_of(&ctx, &a.profile, &a.report, &a.compare, &o).await?;
    let text = speedscope::speedscope(&set);
    let out = ctx.write_output("output_path", &a.output_path, text.as_bytes())?;
    let mut warnings = set.warnings.clone();
    if set.negative() > 0 {
        warnings.push(format!(
            "{} stacks with negative values left out (speedscope weights cannot be negative)",
            set.negative()
        ));
    }
    ToolOutput::new(
        format!(
            "pprof.speedscope: wrote {} ({} stacks){}",
            out.display(),
            set.stacks.len(),
            warnings_suffix(&warnings)
        ),
        json!({
            "command": command,
            "output_path": out.display().to_string(),
            "result": stack_summary(&set),
            "warnings": warnings,
        }),
    )
}

/// Every tool here can write a file.
macro_rules! spec {
    ($name:literal, $args:ty, $handler:ident, $desc:expr, $example:expr) => {
        tool_spec!($name, $args, $handler, true, $desc, $example)
    };
}

pub(super) fn specs() -> Vec<ToolSpec> {
    vec![
        spec!(
            "pprof.flamegraph",
            FlamegraphArgs,
            flamegraph_tool,
            "A flame graph SVG (inferno; search and zoom in a browser) of any sample type, after \
             pprof's filters. With `base`, a differential flame graph: red grew, blue shrank. \
             `icicle` and `reverse` change the layout.",
            r#"{"profile": "cpu.pb.gz", "output_path": "cpu.svg", "focus": "main\\."}"#
        ),
        spec!(
            "pprof.callgraph",
            CallgraphArgs,
            callgraph_tool,
            "The call graph as `go tool pprof -dot` draws it (80 nodes by default, node and edge \
             fractions, `flat (pct) of cum (pct)` labels); svg or png need Graphviz `dot` on PATH.",
            r#"{"profile": "cpu.pb.gz", "output_path": "cpu.svg", "format": "svg"}"#
        ),
        spec!(
            "pprof.folded",
            FoldedArgs,
            folded_tool,
            "Folded stacks (`root;caller;leaf value` per line), the input of flamegraph.pl and \
             inferno, after pprof's filters; returned, or written to output_path.",
            r#"{"profile": "cpu.pb.gz", "focus": "main\\.", "max_lines": 50}"#
        ),
        spec!(
            "pprof.speedscope",
            SpeedscopeArgs,
            speedscope_tool,
            "A speedscope JSON file (open at https://www.speedscope.app): one sampled profile \
             of the chosen sample type, weights summing to the total.",
            r#"{"profile": "heap.pb.gz", "output_path": "heap.speedscope.json", "sample_index": "inuse_space"}"#
        ),
    ]
}
