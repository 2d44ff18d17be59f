//! The analysis tools (`pprof.storylines`, `pprof.goroutine_analysis`, ...): arguments,
//! the engine each call reads, and the payload `{command, result}` around the library's
//! analysis structs.

use std::path::PathBuf;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::download_tools::{bundle_payload, DatadogChoice};
use super::pprof_tools::warnings_suffix;
use super::truncate::Limits;
use super::{args, command_line, CallError, Context, JsonObject, ToolOutput, ToolSpec};
use crate::report::pprof_text;
use crate::tables::LoadedProfile;
use crate::tools::analysis::correlate::Member;
use crate::tools::analysis::overhead::DetailLevel;
use crate::tools::analysis::regression::Check;
use crate::tools::analysis::{
    alloc_paths, contention, correlate, discover as disc, goroutines, markdown, memory, overhead,
    profile_kind, regression, repo, storylines, suggest, temporal, trace_source,
};
use crate::tools::pprof::{ReportOptions, SourceOptions};
use crate::tools::{resolve_sample_type, ToolError};

/// A sample type by name or index.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
enum SampleIndex {
    Index(u64),
    Name(String),
}

impl SampleIndex {
    fn text(&self) -> String {
        match self {
            SampleIndex::Index(i) => i.to_string(),
            SampleIndex::Name(n) => n.clone(),
        }
    }
}

/// `{command, result}` with a one-line summary.
fn payload(
    command: String,
    summary: String,
    result: &impl serde::Serialize,
) -> Result<ToolOutput, CallError> {
    ToolOutput::new(summary, json!({ "command": command, "result": result }))
}

/// One profile argument in an engine of its own.
fn single(
    ctx: &Context,
    field: &str,
    given: &str,
) -> Result<(crate::engine::Engine, Arc<LoadedProfile>), CallError> {
    let lp = ctx.profile(field, given)?;
    let engine = ctx.engine_with(&[&lp])?;
    Ok((engine, lp))
}

/// A profile argument in an engine of its own, with the sample type `sample_index` names
/// (pprof's default when None).
fn single_typed(
    ctx: &Context,
    given: &str,
    sample_index: &Option<SampleIndex>,
) -> Result<
    (
        crate::engine::Engine,
        Arc<LoadedProfile>,
        crate::tools::SampleType,
    ),
    CallError,
> {
    let (engine, lp) = single(ctx, "profile", given)?;
    let st = resolve_sample_type(&lp, sample_index.as_ref().map(SampleIndex::text).as_deref())?;
    Ok((engine, lp, st))
}

/// A repository root argument (checked by the path rule), default the working folder
/// (or the base folder when confined).
fn repo_root(ctx: &Context, given: Option<&str>) -> Result<PathBuf, CallError> {
    match given {
        Some(g) => ctx.paths.input("repo_root", g),
        None => match ctx.paths.base() {
            Some(b) => Ok(b.to_path_buf()),
            None => Ok(PathBuf::from(".")),
        },
    }
}

/// The application prefixes: given, else detected (go.mod under repo_root, else the
/// profile's module paths), with `main.`; and a warning when they are only a guess.
async fn prefixes(
    engine: &crate::engine::Engine,
    id: u32,
    given: &Option<Vec<String>>,
    root: Option<&std::path::Path>,
) -> Result<(Vec<String>, Option<String>), CallError> {
    if let Some(p) = given.as_ref().filter(|p| !p.is_empty()) {
        return Ok((p.clone(), None));
    }
    let (found, from_go_mod) = repo::app_prefixes(engine, id, root).await?;
    let warning = (!from_go_mod).then(|| {
        format!(
            "no repo_prefix and no go.mod under repo_root: every module in the profile counts as \
             application code ({}); give repo_prefix or repo_root to narrow it",
            found.join(", ")
        )
    });
    Ok((found, warning))
}

// ---------------------------------------------------------------------------------------
// storylines

#[derive(Deserialize, JsonSchema)]
struct StorylinesArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// How many storylines (2 to 6, default 4).
    #[schemars(range(min = 0, max = 100))]
    n: Option<u64>,
    /// Keep samples with a frame matching this regex.
    focus: Option<String>,
    /// Drop samples with a frame matching this regex.
    ignore: Option<String>,
    /// Prefixes of the application's functions (default: the go.mod module under
    /// repo_root, else the module paths found in the profile; `main.` always counts).
    repo_prefix: Option<Vec<String>>,
    /// Repository root: source for list evidence and go.mod for the default repo_prefix.
    repo_root: Option<String>,
    /// Prefix removed from recorded source paths.
    trim_path: Option<String>,
    /// Sample type (default alloc_space when the profile has alloc_ and inuse_ types,
    /// else pprof's default).
    sample_index: Option<SampleIndex>,
    #[serde(flatten)]
    limits: Limits,
}

fn evidence_text(command: String, text: Option<String>, limits: &Limits) -> Value {
    match text {
        None => Value::Null,
        Some(t) => {
            let (raw, meta) = limits.apply(&t);
            json!({ "command": command, "raw": raw, "truncated": meta.truncated, "raw_meta": meta })
        }
    }
}

async fn storylines_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.storylines", &raw);
    let a: StorylinesArgs = args::parse(raw)?;
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let root = a
        .repo_root
        .as_deref()
        .map(|r| ctx.paths.input("repo_root", r))
        .transpose()?;
    let (repo_prefix, guessed) = prefixes(&engine, lp.id, &a.repo_prefix, root.as_deref()).await?;
    let n = match a.n.unwrap_or(4) {
        0 => 4,
        n => n.clamp(2, 6) as usize,
    };
    let report = ReportOptions {
        sample_index: a.sample_index.as_ref().map(SampleIndex::text),
        focus: a.focus.clone(),
        ignore: a.ignore.clone(),
        trim_path: a.trim_path.clone(),
        ..ReportOptions::default()
    };
    let source = root.as_ref().map(|r| SourceOptions {
        source_path: vec![r.display().to_string()],
        trim_path: a.trim_path.clone().unwrap_or_default(),
        confine: ctx.paths.base().map(|b| b.to_path_buf()),
    });
    let o = storylines::StorylineOptions {
        n,
        report,
        repo_prefix: repo_prefix.clone(),
        source,
    };
    let mut r = storylines::storylines(&engine, lp.id, &o).await?;
    r.warnings.extend(guessed);
    // Evidence defaults to 4000 bytes each, as in the original.
    let limits = Limits {
        max_bytes: a.limits.max_bytes.or(Some(4000)),
        ..a.limits.clone()
    };
    // A function's peek is often evidence of several storylines (a hotspot that is also
    // another's first application frame): each is rendered and cut once.
    let mut peek_evidence: std::collections::BTreeMap<String, Value> = Default::default();
    let mut peek_of = |name: Option<&str>, report: Option<&crate::tools::pprof::PeekReport>| {
        let (Some(name), Some(report)) = (name, report) else {
            return Value::Null;
        };
        peek_evidence
            .entry(name.to_string())
            .or_insert_with(|| {
                let command = format!("pprof.peek ^{}$", regex::escape(name));
                evidence_text(command, Some(pprof_text::peek(report)), &limits)
            })
            .clone()
    };
    let lines: Vec<Value> = r
        .storylines
        .iter()
        .map(|s| {
            let row = s.top_row.as_ref().map(|t| {
                json!({"flat": t.flat_fmt, "flat_pct": t.flat_pct, "sum_pct": t.sum_pct,
                       "cum": t.cum_fmt, "cum_pct": t.cum_pct, "name": t.name})
            });
            let peek_leaf = peek_of(Some(&s.leaf_hotspot), s.peek_leaf.as_deref());
            let peek_first_app = peek_of(s.first_app_frame.as_deref(), s.peek_first_app.as_deref());
            json!({
                "leaf_hotspot": s.leaf_hotspot,
                "flat": s.flat, "flat_pct": s.flat_pct,
                "cum": s.cum, "cum_pct": s.cum_pct,
                "call_chain": s.call_chain,
                "chain_value": s.chain_value,
                "first_app_frame": s.first_app_frame,
                "evidence": {
                    "top_row": row,
                    "peek_leaf": peek_leaf,
                    "peek_first_app": peek_first_app,
                    "list_first_app": evidence_text(
                        s.first_app_frame.as_deref().map(|f| format!("pprof.list ^{}$", regex::escape(f))).unwrap_or_default(),
                        s.list_first_app.as_ref().map(pprof_text::list), &limits),
                },
                "warnings": s.warnings,
            })
        })
        .collect();
    let summary = format!(
        "pprof.storylines: {} storylines of {} ({}){}",
        lines.len(),
        lp.source,
        r.sample_type,
        warnings_suffix(&r.warnings)
    );
    payload(
        command,
        summary,
        &json!({ "sample_type": r.sample_type, "repo_prefix": repo_prefix, "storylines": lines, "warnings": r.warnings }),
    )
}

// ---------------------------------------------------------------------------------------
// trace_source

#[derive(Deserialize, JsonSchema)]
struct TraceSourceArgs {
    /// Profile: a file path or a handle from profiles.load.
    profile: String,
    /// Regex over function names; the heaviest stack through a match is traced.
    function: String,
    /// Repository root searched for the frames' source files (default: working folder).
    repo_root: Option<String>,
    /// Frames shown around the match (default 10).
    #[schemars(range(min = 1, max = 200))]
    max_depth: Option<u64>,
    /// Show frames of vendored and module-cache code (default true).
    show_vendor: Option<bool>,
    /// Source lines shown before and after each frame's line (default 5).
    #[schemars(range(min = 0, max = 100))]
    context_lines: Option<u64>,
    /// Sample type (default: pprof's default).
    sample_index: Option<SampleIndex>,
}

async fn trace_source_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.trace_source", &raw);
    let a: TraceSourceArgs = args::parse(raw)?;
    let (engine, lp, st) = single_typed(&ctx, &a.profile, &a.sample_index)?;
    let o = trace_source::TraceOptions {
        max_depth: a.max_depth.unwrap_or(10).max(1) as usize,
        show_vendor: a.show_vendor.unwrap_or(true),
        context_lines: a.context_lines.unwrap_or(5) as usize,
        repo_root: repo_root(&ctx, a.repo_root.as_deref())?,
    };
    let r = match trace_source::trace(&engine, lp.id, &st, &a.function, &o).await {
        Err(ToolError::NoMatch(p)) => return Ok(ToolOutput::no_match("pprof.trace_source", &p)),
        r => r?,
    };
    let summary = format!(
        "pprof.trace_source: {} frames around {:?} on a stack holding {}% of {}{}",
        r.frames.len(),
        a.function,
        r.stack_pct,
        r.sample_type,
        warnings_suffix(&r.warnings)
    );
    payload(command, summary, &r)
}

// ---------------------------------------------------------------------------------------
// alloc_paths

#[derive(Deserialize, JsonSchema)]
struct AllocPathsArgs {
    /// Heap profile: a file path or a handle.
    profile: String,
    /// Leave out paths under this share of all allocations (default 1.0).
    #[schemars(range(min = 0.0, max = 100.0))]
    min_percent: Option<f64>,
    /// At most this many paths (default 20).
    #[schemars(range(min = 1))]
    max_paths: Option<u64>,
    /// Prefixes of the application's functions (default: go.mod module under repo_root,
    /// else the module paths found in the profile; `main.` always counts).
    repo_prefix: Option<Vec<String>>,
    /// Repository root whose go.mod names the application module.
    repo_root: Option<String>,
    /// Group by the application frame's source line instead of the allocation site.
    group_by_source: Option<bool>,
}

async fn alloc_paths_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.alloc_paths", &raw);
    let a: AllocPathsArgs = args::parse(raw)?;
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let root = a
        .repo_root
        .as_deref()
        .map(|r| ctx.paths.input("repo_root", r))
        .transpose()?;
    let (repo_prefix, guessed) = prefixes(&engine, lp.id, &a.repo_prefix, root.as_deref()).await?;
    let o = alloc_paths::AllocOptions {
        min_percent: a.min_percent.unwrap_or(1.0),
        max_paths: a.max_paths.unwrap_or(20).max(1) as usize,
        repo_prefix,
        group_by_source: a.group_by_source.unwrap_or(false),
    };
    let mut r = alloc_paths::analyse(&engine, lp.id, &o).await?;
    r.warnings.extend(guessed);
    let summary = format!(
        "Analyzed {} total allocations, found {} allocation paths above threshold.{}",
        r.total_alloc_str,
        r.paths.len(),
        warnings_suffix(&r.warnings)
    );
    payload(command, summary, &r)
}

// ---------------------------------------------------------------------------------------
// memory_sanity

#[derive(Deserialize, JsonSchema)]
struct MemorySanityArgs {
    /// Heap profile: a file path or a handle.
    heap_profile: String,
    /// Goroutine profile of the same process (stack memory).
    goroutine_profile: Option<String>,
    /// CPU profile of the same process (confirms off-heap allocators).
    cpu_profile: Option<String>,
    /// Repository root scanned for settings that cause off-heap memory.
    repo_root: Option<String>,
    /// The container's resident memory in MB, to compare with the heap.
    #[schemars(range(min = 0))]
    container_rss_mb: Option<i64>,
}

async fn memory_sanity_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.memory_sanity", &raw);
    let a: MemorySanityArgs = args::parse(raw)?;
    let heap = ctx.profile("heap_profile", &a.heap_profile)?;
    let gor = a
        .goroutine_profile
        .as_deref()
        .map(|g| ctx.profile("goroutine_profile", g))
        .transpose()?;
    let cpu = a
        .cpu_profile
        .as_deref()
        .map(|c| ctx.profile("cpu_profile", c))
        .transpose()?;
    let mut all = vec![&heap];
    all.extend(gor.iter());
    all.extend(cpu.iter());
    let engine = ctx.engine_with(&all)?;
    let root = a
        .repo_root
        .as_deref()
        .map(|r| ctx.paths.input("repo_root", r))
        .transpose()?;
    let g = match &gor {
        Some(g) => {
            let mut w = Vec::new();
            let s = goroutines::goroutine_stacks(&engine, g.id, &mut w).await?;
            Some(s.iter().map(|s| s.a).sum::<i64>())
        }
        None => None,
    };
    let r = memory::analyse(
        memory::Input {
            engine: &engine,
            id: heap.id,
        },
        g,
        cpu.as_ref().map(|c| memory::Input {
            engine: &engine,
            id: c.id,
        }),
        &memory::MemoryOptions {
            repo_root: root.as_deref(),
            container_rss_mb: a.container_rss_mb,
        },
    )
    .await?;
    payload(command, r.summary.replace('\n', " "), &r)
}

// ---------------------------------------------------------------------------------------
// overhead_report, explain_overhead

#[derive(Deserialize, JsonSchema)]
struct OverheadArgs {
    /// Profile: a file path or a handle.
    profile: String,
    /// Sample type (default: pprof's default).
    sample_index: Option<SampleIndex>,
}

async fn overhead_report_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.overhead_report", &raw);
    let a: OverheadArgs = args::parse(raw)?;
    let (engine, lp, st) = single_typed(&ctx, &a.profile, &a.sample_index)?;
    let r = overhead::report(&engine, lp.id, &st, profile_kind(&lp)).await?;
    let summary = format!(
        "pprof.overhead_report: {} categories detected, {}% of {} {} under framework or runtime code",
        r.detections.len(),
        r.total_overhead_pct,
        r.total_value_str,
        r.sample_type
    );
    payload(command, summary, &r)
}

#[derive(Deserialize, JsonSchema)]
struct ExplainArgs {
    /// An overhead category (as pprof.overhead_report names them).
    category: Option<String>,
    /// A function name to explain (or the category it belongs to).
    function: Option<String>,
    /// brief, standard (default) or detailed.
    detail_level: Option<DetailLevel>,
    /// A profile: adds where the category shows in it.
    profile: Option<String>,
    /// Sample type of the profile (default: pprof's default).
    sample_index: Option<SampleIndex>,
}

async fn explain_overhead_tool(
    ctx: Arc<Context>,
    raw: JsonObject,
) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.explain_overhead", &raw);
    let a: ExplainArgs = args::parse(raw)?;
    let mut e = overhead::explain(
        a.category.as_deref(),
        a.function.as_deref(),
        a.detail_level.unwrap_or_default(),
    )?;
    if let Some(p) = &a.profile {
        let (engine, lp, st) = single_typed(&ctx, p, &a.sample_index)?;
        e.in_your_profile = Some(overhead::in_profile(&engine, lp.id, &st, &e).await?);
    }
    let summary = match &e.in_your_profile {
        Some(p) => format!(
            "{}: {}% of this profile's {}",
            e.category, p.total_pct, p.sample_type
        ),
        None => format!("{} ({})", e.name, e.category),
    };
    payload(command, summary, &e)
}

// ---------------------------------------------------------------------------------------
// detect_repo, vendor_analyze, repo.services.discover

#[derive(Deserialize, JsonSchema)]
struct DetectRepoArgs {
    /// Profile: a file path or a handle.
    profile: String,
    /// Folders to look in (default: the working folder and its parent, or the base
    /// folder when confined).
    search_roots: Option<Vec<String>>,
}

async fn detect_repo_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.detect_repo", &raw);
    let a: DetectRepoArgs = args::parse(raw)?;
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let roots: Vec<PathBuf> = match &a.search_roots {
        Some(r) if !r.is_empty() => r
            .iter()
            .map(|d| ctx.paths.input("search_roots", d))
            .collect::<Result<_, _>>()?,
        _ => match ctx.paths.base() {
            Some(b) => vec![b.to_path_buf()],
            None => vec![PathBuf::from("."), PathBuf::from("..")],
        },
    };
    let r = repo::detect(&engine, lp.id, &roots).await?;
    let summary = format!(
        "pprof.detect_repo: {} (confidence {}), {} module paths",
        r.detected_root.as_deref().unwrap_or("no repository found"),
        r.confidence,
        r.module_paths.len()
    );
    payload(command, summary, &r)
}

#[derive(Deserialize, JsonSchema)]
struct VendorArgs {
    /// Profile: a file path or a handle.
    profile: String,
    /// Repository root holding go.mod (default: the working folder).
    repo_root: Option<String>,
    /// Leave out functions under this share in both flat and cum (default 1.0).
    #[schemars(range(min = 0.0, max = 100.0))]
    min_pct: Option<f64>,
    /// Also look up newer versions (needs network access; not done here).
    check_updates: Option<bool>,
    /// Sample type (default: pprof's default).
    sample_index: Option<SampleIndex>,
}

async fn vendor_analyze_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.vendor_analyze", &raw);
    let a: VendorArgs = args::parse(raw)?;
    let (engine, lp, st) = single_typed(&ctx, &a.profile, &a.sample_index)?;
    let root = repo_root(&ctx, a.repo_root.as_deref())?;
    let gomod = repo::read_go_mod(&root).ok_or_else(|| {
        CallError::not_found(format!("no go.mod in {}", root.display()))
            .field("repo_root")
            .hint("give repo_root: the folder holding the service's go.mod")
    })?;
    let o = ReportOptions {
        sample_index: Some(st.index.to_string()),
        nodecount: 0,
        nodefraction: 0.0,
        edgefraction: 0.0,
        ..ReportOptions::default()
    };
    let top = crate::tools::pprof::top(&engine, lp.id, &o).await?;
    let rows: Vec<(String, i64, i64)> = top
        .rows
        .iter()
        .map(|r| (r.name.clone(), r.flat, r.cum))
        .collect();
    let min = a.min_pct.unwrap_or(1.0);
    let (by_dep, app_flat, vendor_flat) = repo::vendor_rows(&gomod, &rows, top.total, min);
    // Each dependency's cum: samples with any frame in it, each once.
    let deps: Vec<(i64, String)> = by_dep
        .keys()
        .enumerate()
        .map(|(i, d)| (i as i64 + 1, format!("^{}[./]", regex::escape(d))))
        .collect();
    let shares = if deps.is_empty() {
        Default::default()
    } else {
        overhead::shares(&engine, lp.id, &st, &deps).await?
    };
    let total = shares.get(&-1).copied().unwrap_or(top.total);
    let mut hotspots: Vec<repo::VendorHotspot> = by_dep
        .iter()
        .enumerate()
        .map(|(i, (dep, rows))| {
            let cum = crate::tools::analysis::pct(
                shares.get(&(i as i64 + 1)).copied().unwrap_or(0),
                total,
            );
            repo::hotspot(dep, &gomod, rows, top.total, cum)
        })
        .collect();
    hotspots.sort_by(|x, y| {
        y.total_flat_pct
            .total_cmp(&x.total_flat_pct)
            .then(y.total_cum_pct.total_cmp(&x.total_cum_pct))
            .then_with(|| x.package.cmp(&y.package))
    });
    let mut warnings = top.warnings.clone();
    if a.check_updates.unwrap_or(false) {
        warnings.push(
            "check_updates needs network access (the module proxy); no versions were looked up"
                .into(),
        );
    }
    let r = repo::VendorAnalysis {
        module: Some(gomod.module.clone()).filter(|m| !m.is_empty()),
        vendor_hotspots: hotspots,
        total_vendor_pct: crate::tools::analysis::round2(crate::tools::analysis::pct(
            vendor_flat,
            top.total,
        )),
        total_app_pct: crate::tools::analysis::round2(crate::tools::analysis::pct(
            app_flat, top.total,
        )),
        warnings,
    };
    let summary = format!(
        "pprof.vendor_analyze: {} dependencies above {min}%, {}% of {} flat in dependencies, {}% in the application",
        r.vendor_hotspots.len(),
        r.total_vendor_pct,
        st.r#type,
        r.total_app_pct
    );
    payload(command, summary, &r)
}

#[derive(Deserialize, JsonSchema)]
struct ServicesArgs {
    /// Repository root (default: the working folder).
    repo_root: Option<String>,
}

async fn services_discover_tool(
    ctx: Arc<Context>,
    raw: JsonObject,
) -> Result<ToolOutput, CallError> {
    let command = command_line("repo.services.discover", &raw);
    let a: ServicesArgs = args::parse(raw)?;
    let root = repo_root(&ctx, a.repo_root.as_deref())?;
    if !root.is_dir() {
        return Err(
            CallError::not_found(format!("{} is not a folder", root.display())).field("repo_root"),
        );
    }
    let r = tokio::task::spawn_blocking(move || repo::discover_services(&root))
        .await
        .map_err(|e| CallError::internal(format!("scan: {e}")))?;
    let summary = format!(
        "repo.services.discover: {} services ({})",
        r.services.len(),
        r.services
            .iter()
            .map(|s| s.service.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    ToolOutput::new(
        summary,
        json!({ "command": command, "services": r.services, "result": r }),
    )
}

// ---------------------------------------------------------------------------------------
// goroutines

#[derive(Deserialize, JsonSchema)]
struct GoroutineArgs {
    /// Goroutine profile: a file path or a handle.
    profile: String,
}

async fn goroutine_analysis_tool(
    ctx: Arc<Context>,
    raw: JsonObject,
) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.goroutine_analysis", &raw);
    let a: GoroutineArgs = args::parse(raw)?;
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let r = goroutines::analyse(&engine, lp.id).await?;
    let summary = format!(
        "Found {} goroutines across {} states.{}",
        r.total_goroutines,
        r.by_state.len(),
        if r.potential_leaks.is_empty() {
            String::new()
        } else {
            format!(" {} potential leaks.", r.potential_leaks.len())
        }
    );
    payload(command, summary, &r)
}

/// Custom categories: an object `{name: regex}` (matched in name order) or a list of
/// `{name, pattern}` (matched in the order given).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum Categories {
    List(Vec<NamedPattern>),
    Map(std::collections::BTreeMap<String, String>),
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NamedPattern {
    name: String,
    pattern: String,
}

#[derive(Deserialize, JsonSchema)]
struct CategorizeArgs {
    /// Goroutine profile: a file path or a handle.
    profile: String,
    /// Preset groups: temporal, grpc, http, database, runtime, sync, observability
    /// (default: all of them when no categories are given).
    presets: Option<Vec<String>>,
    /// Custom categories, matched after the presets: `{name: regex}` or
    /// `[{name, pattern}]`; a preset's name replaces its regex.
    categories: Option<Categories>,
}

async fn goroutine_categorize_tool(
    ctx: Arc<Context>,
    raw: JsonObject,
) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.goroutine_categorize", &raw);
    let a: CategorizeArgs = args::parse(raw)?;
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let custom: Vec<(String, String)> = match a.categories {
        None => Vec::new(),
        Some(Categories::Map(m)) => m.into_iter().collect(),
        Some(Categories::List(l)) => l.into_iter().map(|c| (c.name, c.pattern)).collect(),
    };
    let r = goroutines::categorize(&engine, lp.id, &a.presets.unwrap_or_default(), &custom).await?;
    let summary = format!(
        "pprof.goroutine_categorize: {} goroutines, {} categories, {} uncategorized{}",
        r.total_goroutines,
        r.categories.len(),
        r.uncategorized,
        warnings_suffix(&r.warnings)
    );
    payload(command, summary, &r)
}

async fn temporal_analysis_tool(
    ctx: Arc<Context>,
    raw: JsonObject,
) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.temporal_analysis", &raw);
    let a: GoroutineArgs = args::parse(raw)?;
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let r = temporal::analyse(&engine, lp.id).await?;
    let s = &r.inferred_settings;
    let summary = format!(
        "pprof.temporal_analysis: {} activity pollers, {} workflow pollers, {} running activities, {} cached workflows{}",
        s.max_concurrent_activity_task_pollers,
        s.max_concurrent_workflow_task_pollers,
        s.active_activities,
        s.cached_workflows,
        warnings_suffix(&r.warnings)
    );
    payload(command, summary, &r)
}

// ---------------------------------------------------------------------------------------
// contention

async fn contention_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.contention_analysis", &raw);
    let a: GoroutineArgs = args::parse(raw)?;
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let r = contention::analyse(&engine, lp.id).await?;
    let summary = format!(
        "pprof.contention_analysis: {} profile, {} total delay over {} contentions at {} lock sites{}",
        r.profile_type,
        r.total_delay_str,
        r.total_contentions,
        r.by_lock_site.len(),
        r.patterns
            .first()
            .map(|p| format!("; {}", p.description))
            .unwrap_or_default()
    );
    payload(command, summary, &r)
}

// ---------------------------------------------------------------------------------------
// bundles: cross_correlate, hotspot_summary

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct BundleEntry {
    /// cpu, heap, mutex, block or goroutine (default: from the profile's sample types).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// A handle or a file path.
    handle: String,
    /// Ignored (the original's listing carried it).
    #[allow(dead_code)]
    bytes: Option<u64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum BundleItem {
    Path(String),
    Entry(BundleEntry),
}

/// A bundle: one handle (standing for every profile downloaded with it) or a list.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum BundleArg {
    One(String),
    Many(Vec<BundleItem>),
}

/// The bundle's profiles in one engine, with their kinds.
fn bundle_members(
    ctx: &Context,
    b: &BundleArg,
) -> Result<(crate::engine::Engine, Vec<Member>), CallError> {
    let items: Vec<(Option<String>, String)> = match b {
        BundleArg::One(h) => {
            let group = ctx
                .store
                .handles()
                .into_iter()
                .find(|i| &i.handle == h)
                .and_then(|i| i.origin.bundle.clone());
            match group {
                Some(g) => ctx
                    .store
                    .bundle(&g)
                    .into_iter()
                    .map(|i| (i.origin.kind.clone(), i.handle))
                    .collect(),
                None => vec![(None, h.clone())],
            }
        }
        BundleArg::Many(list) => list
            .iter()
            .map(|i| match i {
                BundleItem::Path(p) => (None, p.clone()),
                BundleItem::Entry(e) => (e.kind.clone(), e.handle.clone()),
            })
            .collect(),
    };
    if items.is_empty() {
        return Err(CallError::invalid("the bundle is empty").field("bundle"));
    }
    let mut loaded = Vec::new();
    for (kind, h) in &items {
        let lp = ctx.profile("bundle", h)?;
        // The sample types decide; a download's own label only fills in "unknown".
        let k = match profile_kind(&lp) {
            "unknown" => kind.clone().unwrap_or_else(|| "unknown".into()),
            "mutex" if kind.as_deref() == Some("block") => "block".into(),
            k => k.to_string(),
        };
        loaded.push((k, lp, h.clone()));
    }
    // A fixed order whatever order the files came in.
    let rank = |k: &str| {
        ["cpu", "heap", "mutex", "block", "goroutine"]
            .iter()
            .position(|x| *x == k)
            .unwrap_or(5)
    };
    loaded.sort_by_key(|(k, _, _)| rank(k));
    let refs: Vec<&Arc<LoadedProfile>> = loaded.iter().map(|(_, lp, _)| lp).collect();
    let engine = ctx.engine_with(&refs)?;
    let members = loaded
        .iter()
        .map(|(kind, lp, name)| Member {
            kind: kind.clone(),
            id: lp.id,
            name: name.clone(),
        })
        .collect();
    Ok((engine, members))
}

#[derive(Deserialize, JsonSchema)]
struct CorrelateArgs {
    /// A bundle handle (all profiles downloaded together) or a list of handles, paths or
    /// `{type, handle}` entries.
    bundle: BundleArg,
    /// Rows of each profile's top considered (default 20; 5 for hotspot_summary).
    #[schemars(range(min = 1, max = 1000))]
    nodecount: Option<u64>,
}

async fn cross_correlate_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.cross_correlate", &raw);
    let a: CorrelateArgs = args::parse(raw)?;
    let (engine, members) = bundle_members(&ctx, &a.bundle)?;
    let r =
        correlate::cross_correlate(&engine, &members, a.nodecount.unwrap_or(20) as usize).await?;
    let summary = format!(
        "pprof.cross_correlate: {} functions hot in more than one profile{}",
        r.correlations.len(),
        warnings_suffix(&r.warnings)
    );
    payload(command, summary, &r)
}

async fn hotspot_summary_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.hotspot_summary", &raw);
    let a: CorrelateArgs = args::parse(raw)?;
    let (engine, members) = bundle_members(&ctx, &a.bundle)?;
    let r =
        correlate::hotspot_summary(&engine, &members, a.nodecount.unwrap_or(5) as usize).await?;
    let summary = format!(
        "Hotspot summary generated{}.{}",
        r.goroutine_count
            .map(|n| format!(" with {n} goroutines"))
            .unwrap_or_default(),
        warnings_suffix(&r.warnings)
    );
    payload(command, summary, &r)
}

// ---------------------------------------------------------------------------------------
// regression_check

#[derive(Deserialize, JsonSchema)]
struct RegressionArgs {
    /// Profile: a file path or a handle.
    profile: String,
    /// Sample type (default: pprof's default).
    sample_index: Option<SampleIndex>,
    /// Checks: `[{"function": REGEX, "metric": "flat_pct"|"cum_pct", "max": PERCENT}]`.
    checks: Option<Vec<Check>>,
    /// A JSON or YAML file holding the checks (a list, or `{checks: [...]}`).
    checks_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ChecksFile {
    List(Vec<Check>),
    Wrapped { checks: Vec<Check> },
}

fn read_checks(ctx: &Context, given: &str) -> Result<Vec<Check>, CallError> {
    let path = ctx.paths.input("checks_file", given)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CallError::invalid(format!("{}: {e}", path.display())).field("checks_file"))?;
    let parsed: Result<ChecksFile, String> = if text.trim_start().starts_with(['[', '{']) {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_yaml_ng::from_str(&text).map_err(|e| e.to_string())
    };
    match parsed {
        Ok(ChecksFile::List(c)) | Ok(ChecksFile::Wrapped { checks: c }) => Ok(c),
        Err(e) => Err(
            CallError::invalid(format!("{}: not a list of checks: {e}", path.display()))
                .field("checks_file")
                .hint("each check is {function: REGEX, metric: flat_pct|cum_pct, max: PERCENT}"),
        ),
    }
}

async fn regression_check_tool(
    ctx: Arc<Context>,
    raw: JsonObject,
) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.regression_check", &raw);
    let a: RegressionArgs = args::parse(raw)?;
    let mut checks = a.checks.clone().unwrap_or_default();
    if let Some(f) = &a.checks_file {
        checks.extend(read_checks(&ctx, f)?);
    }
    if checks.is_empty() {
        return Err(CallError::invalid("give checks or checks_file").field("checks"));
    }
    let (engine, lp) = single(&ctx, "profile", &a.profile)?;
    let r = regression::check(
        &engine,
        lp.id,
        a.sample_index.as_ref().map(SampleIndex::text).as_deref(),
        &checks,
    )
    .await?;
    let summary = if r.passed {
        "All regression checks passed.".to_string()
    } else {
        let failed: Vec<&str> = r
            .checks
            .iter()
            .filter_map(|c| c.message.as_deref())
            .collect();
        format!(
            "One or more regression checks failed: {}",
            failed.join("; ")
        )
    };
    ToolOutput::new(
        summary,
        json!({ "command": command, "result": r, "passed": r.passed }),
    )
}

// ---------------------------------------------------------------------------------------
// generate_report, suggest_fix

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReportInput {
    /// The tool the data came from: discover, top, alloc_paths, memory_sanity,
    /// overhead_report, goroutine_analysis, contention_analysis, hotspot_summary,
    /// cross_correlate, regression_check, storylines, suggest_fix (`pprof.` optional).
    kind: String,
    /// The tool's payload (or its `result`).
    data: Value,
}

#[derive(Deserialize, JsonSchema)]
struct GenerateReportArgs {
    /// Report title (default "Profiling Report").
    title: Option<String>,
    /// Sections, in order.
    #[schemars(length(min = 1))]
    inputs: Vec<ReportInput>,
    #[serde(flatten)]
    limits: Limits,
}

async fn generate_report_tool(
    _ctx: Arc<Context>,
    raw: JsonObject,
) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.generate_report", &raw);
    let a: GenerateReportArgs = args::parse(raw)?;
    let inputs: Vec<(String, Value)> = a.inputs.into_iter().map(|i| (i.kind, i.data)).collect();
    let md = markdown::render(a.title.as_deref().unwrap_or("Profiling Report"), &inputs)?;
    let (text, meta) = a.limits.apply(&md);
    let summary = format!(
        "pprof.generate_report: {} sections, {} lines of Markdown",
        inputs.len(),
        md.lines().count()
    );
    ToolOutput::new(
        summary,
        json!({ "command": command, "result": { "markdown": text, "markdown_meta": meta }, "raw": text, "raw_meta": meta }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct SuggestArgs {
    /// Profile: a file path or a handle.
    profile: String,
    /// Only issues shown by functions matching this regex.
    function: Option<String>,
    /// Leave out issues under this share of the profile (default 1.0).
    #[schemars(range(min = 0.0, max = 100.0))]
    min_pct: Option<f64>,
    /// Sample type (default: pprof's default).
    sample_index: Option<SampleIndex>,
}

async fn suggest_fix_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.suggest_fix", &raw);
    let a: SuggestArgs = args::parse(raw)?;
    let (engine, lp, st) = single_typed(&ctx, &a.profile, &a.sample_index)?;
    let r = suggest::suggest(
        &engine,
        lp.id,
        &st,
        a.function.as_deref(),
        a.min_pct.unwrap_or(1.0),
    )
    .await?;
    let summary = format!(
        "pprof.suggest_fix: {} suggestions{}",
        r.suggestions.len(),
        r.suggestions
            .first()
            .map(|s| format!(", first: {} ({}%)", s.title, s.share_pct))
            .unwrap_or_default()
    );
    payload(command, summary, &r)
}

// ---------------------------------------------------------------------------------------
// discover

#[derive(Deserialize, JsonSchema)]
struct DiscoverArgs {
    /// Datadog service (with env: downloads its latest bundle). Not needed with bundle.
    service: Option<String>,
    /// Datadog environment.
    env: Option<String>,
    /// Folder for the download (default: a new temporary folder).
    out_dir: Option<String>,
    #[serde(flatten)]
    choice: DatadogChoice,
    /// Analyse these profiles instead of downloading: a bundle handle or a list of
    /// handles, paths or `{type, handle}` entries.
    bundle: Option<BundleArg>,
    /// Prefixes of the application's functions (default: detected).
    repo_prefix: Option<Vec<String>>,
    /// The container's resident memory in MB, for memory_sanity.
    #[schemars(range(min = 0))]
    container_rss_mb: Option<i64>,
}

async fn discover_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("pprof.discover", &raw);
    let a: DiscoverArgs = args::parse(raw)?;
    let (bundle, download) = match (&a.bundle, &a.service, &a.env) {
        (Some(b), _, _) => (bundle_members(&ctx, b)?, Value::Null),
        (None, Some(service), Some(env)) => {
            let (result, _) =
                bundle_payload(&ctx, service, env, a.out_dir.as_deref(), &a.choice).await?;
            let handle = result["files"]
                .as_array()
                .and_then(|f| f.first())
                .and_then(|f| f["handle"].as_str())
                .map(str::to_string)
                .ok_or_else(|| {
                    CallError::not_found(format!(
                        "the latest bundle of {service}/{env} holds no profiles"
                    ))
                })?;
            (bundle_members(&ctx, &BundleArg::One(handle))?, result)
        }
        _ => {
            return Err(CallError::invalid(
                "give service and env (to download the latest bundle) or bundle",
            )
            .field("service"))
        }
    };
    let (engine, members) = bundle;
    // The heap profile's modules decide what allocation paths count as the application's.
    let first = members
        .iter()
        .find(|m| m.kind == "heap")
        .or(members.first())
        .map(|m| m.id)
        .unwrap_or(0);
    let (repo_prefix, guessed) = prefixes(&engine, first, &a.repo_prefix, None).await?;
    let mut d = disc::discover(&engine, &members, repo_prefix, a.container_rss_mb).await?;
    d.warnings.extend(guessed);
    let files: Vec<Value> = members
        .iter()
        .map(|m| json!({"type": m.kind, "handle": m.name}))
        .collect();
    if let Some(w) = download["warnings"].as_array() {
        d.warnings
            .extend(w.iter().filter_map(|x| x.as_str().map(str::to_string)));
    }
    let summary = format!(
        "pprof.discover: {} profiles ({}), {} recommendations{}",
        members.len(),
        members
            .iter()
            .map(|m| m.kind.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        d.recommendations.len(),
        d.recommendations
            .first()
            .map(|r| format!("; first: {}", r.suggestion))
            .unwrap_or_default()
    );
    let mut result = serde_json::to_value(&d).map_err(|e| CallError::internal(e.to_string()))?;
    if let Value::Object(o) = &mut result {
        o.insert(
            "service".into(),
            json!(a.service.as_deref().or(download["service"].as_str())),
        );
        o.insert(
            "env".into(),
            json!(a.env.as_deref().or(download["env"].as_str())),
        );
        o.insert("timestamp".into(), download["timestamp"].clone());
        o.insert("profiles".into(), Value::Array(files));
        o.insert("download".into(), download);
    }
    payload(command, summary, &result)
}

// ---------------------------------------------------------------------------------------

macro_rules! spec {
    ($name:literal, $args:ty, $handler:ident, $desc:expr, $example:expr) => {
        tool_spec!($name, $args, $handler, false, $desc, $example)
    };
}

pub(super) fn specs() -> Vec<ToolSpec> {
    vec![
        spec!("pprof.storylines", StorylinesArgs, storylines_tool,
            "The n heaviest functions (by flat) each with the heaviest call path through it (summed over every sample), the application frame nearest the leaf, and peek/list evidence.",
            r#"{"profile": "cpu.pb.gz", "n": 4}"#),
        spec!("pprof.trace_source", TraceSourceArgs, trace_source_tool,
            "The heaviest stack through a function (regex), the frames around it with flat/cum shares, and their source lines from repo_root.",
            r#"{"profile": "cpu.pb.gz", "function": "main\\.handle", "repo_root": "."}"#),
        spec!("pprof.alloc_paths", AllocPathsArgs, alloc_paths_tool,
            "Allocation sites of a heap profile (alloc_space) with the application frame and source line behind each, heaviest first, with rates per minute.",
            r#"{"profile": "heap.pb.gz", "min_percent": 1}"#),
        spec!("pprof.memory_sanity", MemorySanityArgs, memory_sanity_tool,
            "Why RSS exceeds the Go heap: heap totals, churn, off-heap allocators (SQLite/libc, compression, cgo), goroutine stacks, and a repo scan for the settings behind them.",
            r#"{"heap_profile": "heap.pb.gz", "goroutine_profile": "goroutine.pb.gz", "container_rss_mb": 2048}"#),
        spec!("pprof.overhead_report", OverheadArgs, overhead_report_tool,
            "Share of a profile under framework and runtime code (tracing, logging, metrics, gRPC, protobuf, JSON, HTTP, context, GC); each sample counts once per category.",
            r#"{"profile": "cpu.pb.gz"}"#),
        spec!("pprof.explain_overhead", ExplainArgs, explain_overhead_tool,
            "What an overhead category (or a function) costs and how to reduce it; with a profile, its share and top functions there.",
            r#"{"category": "Runtime/GC", "detail_level": "detailed", "profile": "cpu.pb.gz"}"#),
        spec!("pprof.detect_repo", DetectRepoArgs, detect_repo_tool,
            "The Go module paths of a profile's functions and the repository (a go.mod naming one) among the search roots.",
            r#"{"profile": "cpu.pb.gz", "search_roots": ["."]}"#),
        spec!("pprof.vendor_analyze", VendorArgs, vendor_analyze_tool,
            "Time per go.mod dependency (flat, and cum counting each sample once), its hottest functions and known performance issues.",
            r#"{"profile": "cpu.pb.gz", "repo_root": "."}"#),
        spec!("repo.services.discover", ServicesArgs, services_discover_tool,
            "The services a repository builds: Go main packages, go.mod modules and Datadog service names (DD_SERVICE) in manifests.",
            r#"{"repo_root": "."}"#),
        spec!("pprof.goroutine_analysis", GoroutineArgs, goroutine_analysis_tool,
            "Goroutines by state and wait reason, and stacks shared by many goroutines (possible leaks).",
            r#"{"profile": "goroutine.pb.gz"}"#),
        spec!("pprof.goroutine_categorize", CategorizeArgs, goroutine_categorize_tool,
            "Goroutines sorted into categories by regexes over their stacks: presets (temporal, grpc, http, database, runtime, sync, observability) and custom ones, first match wins in a fixed order.",
            r#"{"profile": "goroutine.pb.gz", "presets": ["grpc"], "categories": [{"name": "workers", "pattern": "main\\.worker"}]}"#),
        spec!("pprof.temporal_analysis", GoroutineArgs, temporal_analysis_tool,
            "Temporal SDK worker state from a goroutine profile: pollers, running activities, cached workflows and the settings they imply.",
            r#"{"profile": "goroutine.pb.gz"}"#),
        spec!("pprof.contention_analysis", GoroutineArgs, contention_tool,
            "Mutex or block profile by lock site (with the waiting code's file:line), top waiters, and patterns: hot lock, convoy, high contention.",
            r#"{"profile": "mutex.pb.gz"}"#),
        spec!("pprof.cross_correlate", CorrelateArgs, cross_correlate_tool,
            "Functions hot in several profiles of a bundle (CPU, allocations, contention), scored by rank, and each profile's own hotspots.",
            r#"{"bundle": "handle:0123456789abcdef"}"#),
        spec!("pprof.hotspot_summary", CorrelateArgs, hotspot_summary_tool,
            "The top functions of each profile in a bundle (CPU, allocations, contention) and the goroutine count.",
            r#"{"bundle": [{"type": "cpu", "handle": "cpu.pb.gz"}, {"type": "heap", "handle": "heap.pb.gz"}]}"#),
        spec!("pprof.regression_check", RegressionArgs, regression_check_tool,
            "CI checks: each check's regex must keep its functions' flat or cum share under max; profctl exits 1 when one fails.",
            r#"{"profile": "cpu.pb.gz", "checks": [{"function": "^main\\.parse$", "metric": "flat_pct", "max": 5}]}"#),
        spec!("pprof.generate_report", GenerateReportArgs, generate_report_tool,
            "A Markdown report from tool results (top, alloc_paths, memory_sanity, overhead_report, goroutine_analysis, discover, ...).",
            r#"{"title": "checkout service", "inputs": [{"kind": "overhead_report", "data": {"...": "a pprof.overhead_report payload"}}]}"#),
        spec!("pprof.suggest_fix", SuggestArgs, suggest_fix_tool,
            "Known performance issues a profile shows (protojson, reflection JSON, zstd buffers, fmt, regexp compiles, allocation churn, ...) with the functions that show them and what to change.",
            r#"{"profile": "cpu.pb.gz"}"#),
        {
            let mut s = spec!("pprof.discover", DiscoverArgs, discover_tool,
                "One call: download a service's latest Datadog bundle (or take a bundle) and run the CPU, heap, contention and goroutine analyses, with deduplicated recommendations.",
                r#"{"service": "checkout", "env": "prod"}"#);
            // It may download.
            s.open_world = true;
            s.writes = true;
            s
        },
    ]
}
