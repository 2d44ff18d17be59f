//! The pprof parity tools (`pprof.top`, `pprof.peek`, ...): arguments, the engine each
//! call reads, and the payload: `{command, result, raw, raw_meta}` where `raw` is pprof's
//! own text, cut to the call's limits.

use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::truncate::Limits;
use super::{args, command_line, CallError, Context, JsonObject, ToolOutput, ToolSpec};
use crate::engine::Engine;
use crate::report::pprof_text;
use crate::tools::pprof::combine::{self, BaseMode, Derivation};
use crate::tools::pprof::{self, Granularity, ReportOptions, SourceOptions};
use crate::tools::ToolError;

/// A sample type by name (`alloc_space`) or index.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
enum SampleIndex {
    Index(u64),
    Name(String),
}

/// The report options every pprof tool takes, with pprof's names.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
pub(super) struct ReportArgs {
    /// Sample type name or index (default: pprof's rule, the profile's default type).
    sample_index: Option<SampleIndex>,
    /// Average values over the first sample type (count).
    mean: Option<bool>,
    /// Keep samples with a frame matching this regex.
    focus: Option<String>,
    /// Drop samples with a frame matching this regex.
    ignore: Option<String>,
    /// Remove frames matching this regex.
    hide: Option<String>,
    /// Keep only frames matching this regex.
    show: Option<String>,
    /// Drop frames above the root-most frame matching this regex.
    show_from: Option<String>,
    /// Drop frames below the leaf-most frame matching this regex.
    prune_from: Option<String>,
    /// Keep samples whose labels match `[key=]regex,...` or a numeric range (`bytes=1kb:`).
    tagfocus: Option<String>,
    /// Drop samples whose labels match, as tagfocus.
    tagignore: Option<String>,
    /// Only consider label keys matching this regex.
    tagshow: Option<String>,
    /// Ignore label keys matching this regex.
    taghide: Option<String>,
    /// The original tool's name for tagfocus.
    tag_focus: Option<String>,
    /// The original tool's name for tagignore.
    tag_ignore: Option<String>,
    /// The original tool's name for tagshow.
    tag_show: Option<String>,
    /// Add frames named after these labels' values at the root (comma-separated keys).
    tagroot: Option<String>,
    /// Add frames named after these labels' values at the leaf (comma-separated keys).
    tagleaf: Option<String>,
    /// Percentages of the filtered total instead of the whole profile's.
    relative_percentages: Option<bool>,
    /// Node granularity (default functions).
    granularity: Option<Granularity>,
    /// Attribute inlined frames to the function they were inlined into.
    noinlines: Option<bool>,
    /// Hide nodes with negative values (comparisons).
    drop_negative: Option<bool>,
    /// Prefix removed from recorded source paths (':'-separated).
    trim_path: Option<String>,
    /// Source folders: file names are shortened after their base name; list searches them.
    source_path: Option<Vec<String>>,
}

/// What a report compares its profile with.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
pub(super) struct CompareArgs {
    /// Subtract these profiles (pprof's -base): equal samples cancel, the total shrinks.
    base: Option<Vec<String>>,
    /// Compare with these profiles (pprof's -diff_base): percentages of the base's total.
    diff_base: Option<Vec<String>>,
    /// Scale the profile to the base's total before comparing.
    normalize: Option<bool>,
}

fn either(a: &Option<String>, b: &Option<String>) -> Option<String> {
    a.clone().or_else(|| b.clone())
}

impl ReportArgs {
    pub(super) fn options(&self) -> ReportOptions {
        let on = |b: Option<bool>| b.unwrap_or(false);
        ReportOptions {
            sample_index: self.sample_index.as_ref().map(|s| match s {
                SampleIndex::Index(i) => i.to_string(),
                SampleIndex::Name(n) => n.clone(),
            }),
            mean: on(self.mean),
            focus: self.focus.clone(),
            ignore: self.ignore.clone(),
            hide: self.hide.clone(),
            show: self.show.clone(),
            show_from: self.show_from.clone(),
            prune_from: self.prune_from.clone(),
            tagfocus: either(&self.tagfocus, &self.tag_focus),
            tagignore: either(&self.tagignore, &self.tag_ignore),
            tagshow: either(&self.tagshow, &self.tag_show),
            taghide: self.taghide.clone(),
            relative_percentages: on(self.relative_percentages),
            granularity: self.granularity.unwrap_or_default(),
            noinlines: on(self.noinlines),
            drop_negative: on(self.drop_negative),
            trim_path: self.trim_path.clone(),
            source_path: self.source_path.clone().unwrap_or_default(),
            ..ReportOptions::default()
        }
    }
}

/// An engine holding the profile a report reads, its id, and warnings of the preparation.
pub(super) struct Prepared {
    pub(super) engine: Engine,
    pub(super) id: u32,
    pub(super) warnings: Vec<String>,
}

/// The report's profile: the cached one as it is, or (with bases or label frames) a
/// profile derived from it for this call only.
pub(super) fn prepare(
    ctx: &Context,
    profile: &str,
    a: &ReportArgs,
    c: &CompareArgs,
) -> Result<Prepared, CallError> {
    let source = ctx.profile("profile", profile)?;
    let (field, bases, mode) = match (&c.base, &c.diff_base) {
        (Some(b), Some(d)) if !b.is_empty() && !d.is_empty() => {
            return Err(CallError::invalid(
                "base and diff_base cannot both be given",
            ))
        }
        (Some(b), _) if !b.is_empty() => ("base", b.clone(), BaseMode::Subtract),
        (_, Some(d)) => ("diff_base", d.clone(), BaseMode::Diff),
        _ => ("diff_base", Vec::new(), BaseMode::Diff),
    };
    let bases = ctx.profiles(field, &bases)?;
    let base_refs: Vec<&crate::decode::Profile> = bases.iter().map(|b| &b.profile).collect();
    let d = Derivation {
        mode,
        normalize: c.normalize.unwrap_or(false),
        tagroot: a.tagroot.as_deref(),
        tagleaf: a.tagleaf.as_deref(),
    };
    let (derived, warnings) = combine::derive(&source.profile, &base_refs, &d)?;
    let (engine, id) = match derived {
        None => (ctx.engine_with(&[&source])?, source.id),
        Some(p) => {
            let mut engine = ctx.engine_with(&[])?;
            let id = engine.add_profile(source.source.clone(), p)?;
            (engine, id)
        }
    };
    Ok(Prepared {
        engine,
        id,
        warnings,
    })
}

/// `{command, result, raw, raw_meta}` with `raw` cut to the limits.
pub(super) fn text_payload(
    command: String,
    summary: String,
    result: &impl Serialize,
    raw: &str,
    limits: &Limits,
) -> Result<ToolOutput, CallError> {
    let (raw, meta) = limits.apply(raw);
    ToolOutput::new(
        summary,
        json!({ "command": command, "result": result, "raw": raw, "raw_meta": meta }),
    )
}

fn with_warnings(mut warnings: Vec<String>, more: &[String]) -> Vec<String> {
    warnings.extend(more.iter().cloned());
    warnings
}

pub(super) fn warnings_suffix(w: &[String]) -> String {
    if w.is_empty() {
        String::new()
    } else {
        format!(" ({})", w.join("; "))
    }
}

#[derive(Deserialize, JsonSchema)]
struct TopArgs {
    /// Profile: a file path (.pb.gz, .pprof, raw or zstd) or a handle from profiles.load.
    profile: String,
    /// Sort by cum instead of flat.
    cum: Option<bool>,
    /// Show at most this many nodes (0 = all kept by trimming).
    #[schemars(range(min = 0))]
    nodecount: Option<u64>,
    /// Drop nodes whose cum is at most this fraction of the total (pprof's default 0.005).
    #[schemars(range(min = 0.0, max = 1.0))]
    nodefraction: Option<f64>,
    /// Edge trimming fraction (pprof's default 0.001; text reports show no edges).
    #[schemars(range(min = 0.0, max = 1.0))]
    edgefraction: Option<f64>,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
    #[serde(flatten)]
    limits: Limits,
}

async fn top(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.top", &raw);
    let a: TopArgs = args::parse(raw)?;
    let mut o = a.report.options();
    o.cum = a.cum.unwrap_or(false);
    o.nodecount = usize::try_from(a.nodecount.unwrap_or(0)).unwrap_or(usize::MAX);
    o.nodefraction = a.nodefraction.unwrap_or(o.nodefraction);
    o.edgefraction = a.edgefraction.unwrap_or(o.edgefraction);
    let p = prepare(&ctx, &a.profile, &a.report, &a.compare)?;
    let mut r = pprof::top(&p.engine, p.id, &o).await?;
    r.warnings = with_warnings(p.warnings, &r.warnings);
    let summary = format!(
        "pprof.top: {} rows of {}, {} total {}{}",
        r.rows.len(),
        r.profile,
        r.sample_type,
        r.total_fmt,
        warnings_suffix(&r.warnings)
    );
    text_payload(command, summary, &r, &pprof_text::top(&r), &a.limits)
}

#[derive(Deserialize, JsonSchema)]
struct PeekArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Regex matched against node names; each match is shown with its callers and callees.
    regex: String,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
    #[serde(flatten)]
    limits: Limits,
}

async fn peek(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.peek", &raw);
    let a: PeekArgs = args::parse(raw)?;
    let o = a.report.options();
    let p = prepare(&ctx, &a.profile, &a.report, &a.compare)?;
    let mut r = match pprof::peek(&p.engine, p.id, &o, &a.regex).await {
        Err(ToolError::NoMatch(pattern)) => {
            return Ok(ToolOutput::no_match("pprof.peek", &pattern))
        }
        r => r?,
    };
    r.warnings = with_warnings(p.warnings, &r.warnings);
    let summary = format!(
        "pprof.peek: {} nodes match {:?} in {}{}",
        r.entries.len(),
        a.regex,
        r.profile,
        warnings_suffix(&r.warnings)
    );
    text_payload(command, summary, &r, &pprof_text::peek(&r), &a.limits)
}

#[derive(Deserialize, JsonSchema)]
struct ListArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Regex matched against function names.
    function: String,
    /// Repository root, searched for sources before source_paths.
    repo_root: Option<String>,
    /// More source folders to search.
    source_paths: Option<Vec<String>>,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
    #[serde(flatten)]
    limits: Limits,
}

async fn list(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.list", &raw);
    let a: ListArgs = args::parse(raw)?;
    let o = a.report.options();
    let mut search = Vec::new();
    if let Some(root) = &a.repo_root {
        search.push(ctx.paths.input("repo_root", root)?);
    }
    for (field, dirs) in [
        ("source_paths", &a.source_paths),
        ("source_path", &a.report.source_path),
    ] {
        for d in dirs.iter().flatten() {
            search.push(ctx.paths.input(field, d)?);
        }
    }
    if search.is_empty() {
        if let Some(base) = ctx.paths.base() {
            // Confined: the working directory may lie outside the base.
            search.push(base.to_path_buf());
        }
    }
    let src = SourceOptions {
        source_path: search.iter().map(|p| p.display().to_string()).collect(),
        trim_path: o.trim_path.clone().unwrap_or_default(),
        confine: ctx.paths.base().map(Path::to_path_buf),
    };
    let p = prepare(&ctx, &a.profile, &a.report, &a.compare)?;
    let mut r = match pprof::list(&p.engine, p.id, &o, &a.function, &src).await {
        Err(ToolError::NoMatch(pattern)) => {
            return Ok(ToolOutput::no_match("pprof.list", &pattern))
        }
        r => r?,
    };
    r.warnings = with_warnings(p.warnings, &r.warnings);
    let summary = format!(
        "pprof.list: {} routines match {:?} in {}{}",
        r.routines.len(),
        a.function,
        r.profile,
        warnings_suffix(&r.warnings)
    );
    text_payload(command, summary, &r, &pprof_text::list(&r), &a.limits)
}

#[derive(Deserialize, JsonSchema)]
struct TracesArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Lines of pprof's text to keep (0 = all; the original's max_lines also works).
    #[schemars(range(min = 0))]
    lines: Option<u64>,
    /// Samples to include in the structured result (default 100, 0 = all).
    #[schemars(range(min = 0))]
    max_samples: Option<u64>,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
    #[serde(flatten)]
    limits: Limits,
}

#[derive(Deserialize, JsonSchema)]
struct FocusPathsArgs {
    /// Regex of the function whose stacks to show (pprof's -focus).
    function: String,
    #[serde(flatten)]
    traces: TracesArgs,
}

const DEFAULT_TRACE_LINES: u64 = 200;
const DEFAULT_TRACE_SAMPLES: u64 = 100;

async fn run_traces(
    ctx: &Context,
    tool: &str,
    command: String,
    a: &TracesArgs,
    o: &ReportOptions,
) -> Result<ToolOutput, CallError> {
    let p = prepare(ctx, &a.profile, &a.report, &a.compare)?;
    let (lines, max_samples, limits) = (a.lines, a.max_samples, &a.limits);
    let max_samples = max_samples.unwrap_or(DEFAULT_TRACE_SAMPLES);
    let mut r = pprof::traces(
        &p.engine,
        p.id,
        o,
        usize::try_from(max_samples).unwrap_or(usize::MAX),
    )
    .await?;
    r.warnings = with_warnings(p.warnings, &r.warnings);
    let mut text = String::new();
    let limit = usize::try_from(lines.unwrap_or(DEFAULT_TRACE_LINES)).unwrap_or(usize::MAX);
    let mut head = pprof_text::Head::new(&mut text, limit);
    pprof_text::write_traces(&mut head, &r)
        .and_then(|()| head.finish().map(drop))
        .map_err(|_| CallError::internal("could not format the traces"))?;
    let summary = format!(
        "{tool}: {} samples with a stack in {}{}{}",
        r.total_samples,
        r.profile,
        if r.truncated {
            format!(", first {} in the result", r.samples.len())
        } else {
            String::new()
        },
        warnings_suffix(&r.warnings)
    );
    text_payload(command, summary, &r, &text, limits)
}

async fn traces_head(ctx: Arc<Context>, mut raw: JsonObject) -> Result<ToolOutput, CallError> {
    // The original tool's name for `lines`.
    if let Some(v) = raw.remove("max_lines") {
        raw.entry("lines").or_insert(v);
    }
    let command = command_line("pprof.traces_head", &raw);
    let a: TracesArgs = args::parse(raw)?;
    let o = a.report.options();
    run_traces(&ctx, "pprof.traces_head", command, &a, &o).await
}

async fn focus_paths(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.focus_paths", &raw);
    let a: FocusPathsArgs = args::parse(raw)?;
    let mut o = a.traces.report.options();
    o.focus = Some(pprof::traces::focus_with(&a.function, o.focus.take()));
    run_traces(&ctx, "pprof.focus_paths", command, &a.traces, &o).await
}

#[derive(Deserialize, JsonSchema)]
struct TagsArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    compare: CompareArgs,
    #[serde(flatten)]
    limits: Limits,
}

async fn tags(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.tags", &raw);
    let a: TagsArgs = args::parse(raw)?;
    let o = a.report.options();
    let p = prepare(&ctx, &a.profile, &a.report, &a.compare)?;
    let mut r = pprof::tags(&p.engine, p.id, &o).await?;
    r.warnings = with_warnings(p.warnings, &r.warnings);
    let keys: Vec<&str> = r.keys.iter().map(|k| k.key.as_str()).collect();
    let summary = format!(
        "pprof.tags: {} label keys in {}{}{}",
        keys.len(),
        r.profile,
        if keys.is_empty() {
            String::new()
        } else {
            format!(": {}", keys.join(", "))
        },
        warnings_suffix(&r.warnings)
    );
    let (raw_text, meta) = a.limits.apply(&pprof_text::tags(&r));
    ToolOutput::new(
        summary,
        json!({ "command": command, "result": r, "tags": keys, "raw": raw_text, "raw_meta": meta }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct MetaArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
}

async fn meta(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.meta", &raw);
    let a: MetaArgs = args::parse(raw)?;
    let lp = ctx.profile("profile", &a.profile)?;
    let engine = ctx.engine_with(&[&lp])?;
    let r = pprof::meta::meta(&engine, lp.id).await?;
    let types: Vec<String> = r
        .sample_types
        .iter()
        .map(|t| format!("{}/{}", t.r#type, t.unit))
        .collect();
    let summary = format!(
        "pprof.meta: {} profile, {} samples, sample types {}",
        r.detected_profile_kind,
        r.num_samples,
        types.join(" ")
    );
    ToolOutput::new(summary, json!({ "command": command, "result": r }))
}

#[derive(Deserialize, JsonSchema)]
struct MergeArgs {
    /// Profiles to merge (paths or handles), at least two.
    #[schemars(length(min = 2))]
    profiles: Vec<String>,
    /// Where to write the merged profile (gzipped profile.proto), atomically.
    output_path: String,
}

async fn merge(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.merge", &raw);
    let a: MergeArgs = args::parse(raw)?;
    let out = ctx.paths.output("output_path", &a.output_path)?;
    let loaded = ctx.profiles("profiles", &a.profiles)?;
    let refs: Vec<&crate::decode::Profile> = loaded.iter().map(|lp| &lp.profile).collect();
    let (bytes, r) = pprof::merge_files::merge(&refs)?;
    super::write_file(&out, &bytes).map_err(|e| e.field("output_path"))?;
    // Registered under its real path, as every loaded file is, so one file has one handle.
    let out = out.canonicalize().unwrap_or(out);
    let message = format!("Merged {} profiles into {}", r.input_count, out.display());
    let handle = ctx.store.register(&out)?;
    ToolOutput::new(
        message.clone(),
        json!({
            "command": command,
            "output_path": out.display().to_string(),
            "handle": handle,
            "input_count": r.input_count,
            "message": message,
            "result": r,
        }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct DiffTopArgs {
    /// The earlier profile (path or handle).
    before: String,
    /// The later profile (path or handle).
    after: String,
    /// Compare cum instead of flat.
    cum: Option<bool>,
    /// Keep the first N functions (0 = all that changed).
    #[schemars(range(min = 0))]
    nodecount: Option<u64>,
    #[serde(flatten)]
    report: ReportArgs,
    #[serde(flatten)]
    limits: Limits,
}

async fn diff_top(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.diff_top", &raw);
    let a: DiffTopArgs = args::parse(raw)?;
    let mut o = a.report.options();
    o.cum = a.cum.unwrap_or(false);
    o.nodecount = usize::try_from(a.nodecount.unwrap_or(0)).unwrap_or(usize::MAX);
    let before = ctx.profile("before", &a.before)?;
    let after = ctx.profile("after", &a.after)?;
    if before.id == after.id {
        // The same file twice: one engine cannot hold it under two ids.
        return Err(CallError::invalid("before and after are the same profile").field("after"));
    }
    let mut engine = ctx.engine_with(&[&before, &after])?;
    let r = pprof::diff_top::diff_top(&mut engine, before.id, after.id, &o).await?;
    let summary = format!(
        "pprof.diff_top: {} functions changed ({} {}), {} -> {}",
        r.changed,
        r.sample_type,
        r.compared,
        r.unit.format(r.before_total),
        r.unit.format(r.after_total)
    );
    text_payload(command, summary, &r, &pprof_text::diff_top(&r), &a.limits)
}

/// pprof's tools; only merge writes a file.
macro_rules! spec {
    ($name:literal, $args:ty, $handler:ident, $desc:literal, $example:literal) => {
        tool_spec!(
            $name,
            $args,
            $handler,
            $name == "pprof.merge",
            $desc,
            $example
        )
    };
}

pub(super) fn specs() -> Vec<ToolSpec> {
    vec![
        spec!(
            "pprof.top",
            TopArgs,
            top,
            "Flat and cum per function, as `go tool pprof -top` (same numbers, trimming and text). \
             Takes pprof's filters (focus, ignore, hide, show, tagfocus, ...), sample_index, \
             granularity, and base/diff_base to compare with other profiles.",
            r#"{"profile": "cpu.pb.gz", "nodecount": 20, "cum": true}"#
        ),
        spec!(
            "pprof.peek",
            PeekArgs,
            peek,
            "Callers and callees of the functions matching a regex, as `go tool pprof -peek`.",
            r#"{"profile": "handle:0123456789abcdef", "regex": "^runtime\\.mallocgc$"}"#
        ),
        spec!(
            "pprof.list",
            ListArgs,
            list,
            "Source of the functions matching a regex, annotated with flat and cum per line \
             (`go tool pprof -list`). Sources are searched under repo_root and source_paths.",
            r#"{"profile": "cpu.pb.gz", "function": "^main\\.handle$", "repo_root": "."}"#
        ),
        spec!(
            "pprof.traces_head",
            TracesArgs,
            traces_head,
            "Each sample's labels and stack, as `go tool pprof -traces`, cut to the first lines.",
            r#"{"profile": "cpu.pb.gz", "lines": 100}"#
        ),
        spec!(
            "pprof.focus_paths",
            FocusPathsArgs,
            focus_paths,
            "The stacks of the samples passing through a function (`go tool pprof -traces -focus F`).",
            r#"{"profile": "cpu.pb.gz", "function": "encoding/json"}"#
        ),
        spec!(
            "pprof.tags",
            TagsArgs,
            tags,
            "Sample value per label key and value, as `go tool pprof -tags`.",
            r#"{"profile": "cpu.pb.gz", "tagshow": "endpoint"}"#
        ),
        spec!(
            "pprof.meta",
            MetaArgs,
            meta,
            "What a profile holds: kind, sample types and totals, default sample type, period, \
             time, duration, label keys, Go version and build id.",
            r#"{"profile": "heap.pb.gz"}"#
        ),
        spec!(
            "pprof.merge",
            MergeArgs,
            merge,
            "Merge profiles into one gzipped profile, as `go tool pprof -proto P1 P2 ...`; returns \
             a handle to the result.",
            r#"{"profiles": ["cpu1.pb.gz", "cpu2.pb.gz"], "output_path": "merged.pb.gz"}"#
        ),
        spec!(
            "pprof.diff_top",
            DiffTopArgs,
            diff_top,
            "Per-function change between two profiles in their own unit (time, bytes or counts): \
             before, after and delta, largest increase first, plus pprof's -diff_base top.",
            r#"{"before": "old.pb.gz", "after": "new.pb.gz", "nodecount": 20}"#
        ),
    ]
}
