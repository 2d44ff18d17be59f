//! The Datadog tools: list and pick profiles, download and merge several, compare two
//! time ranges, find profiles around an event, follow a function across profiles, and
//! look up metrics and services.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::downloads::{download_candidates, file_of_kind};
use super::store::Origin;
use super::truncate::Limits;
use super::{args, command_line, write_file, CallError, Context, JsonObject, ToolOutput, ToolSpec};
use crate::engine::Engine;
use crate::sources::datadog::list::{search_query, window, Candidate, ListQuery};
use crate::sources::datadog::metrics::{discover_patterns, scoped_query, Series, DEFAULT_METRICS};
use crate::sources::datadog::pick::{pick, Strategy};
use crate::sources::datadog::DatadogClient;
use crate::sources::time::{
    format_duration, parse_duration, parse_time, parse_time_or_unix, rfc3339,
};
use crate::tools::across;
use crate::tools::pprof::ValueFormat;
use crate::tools::resolve_sample_type;

/// Which Datadog site.
#[derive(Deserialize, JsonSchema)]
pub(super) struct Site {
    /// Datadog site, e.g. datadoghq.com, us3.datadoghq.com, datadoghq.eu (default
    /// DD_SITE, else us3.datadoghq.com).
    site: Option<String>,
    /// Same as site (the original's name).
    dd_site: Option<String>,
}

impl Site {
    pub(super) fn client(&self, ctx: &Context) -> Result<Arc<DatadogClient>, CallError> {
        ctx.datadog(self.site.as_deref().or(self.dd_site.as_deref()))
    }
}

/// Which Datadog service and where.
#[derive(Deserialize, JsonSchema)]
struct Target {
    /// Datadog service name (`service:` tag).
    service: String,
    /// Datadog environment (`env:` tag), e.g. prod.
    env: String,
    #[serde(flatten)]
    site: Site,
}

impl Target {
    fn client(&self, ctx: &Context) -> Result<Arc<DatadogClient>, CallError> {
        self.site.client(ctx)
    }

    fn prefix(&self) -> String {
        format!("{}_{}", self.service, self.env)
    }
}

#[derive(Deserialize, JsonSchema)]
struct Window {
    /// Start: now, a Go duration before now (-3h, -2h30m) or RFC 3339.
    from: Option<String>,
    /// End: now, a Go duration (-1h) or RFC 3339.
    to: Option<String>,
    /// Without from/to: the last N hours (default 72).
    #[schemars(range(min = 0.0))]
    hours: Option<f64>,
    /// Only profiles from hosts matching this (Datadog wildcards, e.g. *web-1*).
    host: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct ListArgs {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    window: Window,
    /// Most profiles to list (default 50).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<u32>,
}

#[derive(Serialize)]
struct Listed {
    service: String,
    env: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    dd_site: String,
    query: String,
    from_ts: String,
    to_ts: String,
    limit: u32,
    candidates: Vec<Candidate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

async fn list_profiles(
    ctx: &Context,
    target: &Target,
    w: &Window,
    limit: u32,
) -> Result<Listed, CallError> {
    let client = target.client(ctx)?;
    let mut warnings = Vec::new();
    let (from, to) = window(
        w.from.as_deref(),
        w.to.as_deref(),
        w.hours,
        Utc::now(),
        &mut warnings,
    );
    let query = search_query(&target.service, Some(&target.env), w.host.as_deref());
    let candidates = client
        .list(&ListQuery {
            query: query.clone(),
            from,
            to,
            limit,
            ascending: false,
        })
        .await?;
    Ok(Listed {
        service: target.service.clone(),
        env: target.env.clone(),
        host: w.host.clone(),
        dd_site: client.config().site.clone(),
        query,
        from_ts: rfc3339(from),
        to_ts: rfc3339(to),
        limit,
        candidates,
        warnings,
    })
}

const NO_PROFILES_HINT: &str =
    "No profiles found. Use datadog.services.search to find the correct service name.";

async fn list(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.profiles.list", &raw);
    let a: ListArgs = args::parse(raw)?;
    let l = list_profiles(&ctx, &a.target, &a.window, a.limit.unwrap_or(50)).await?;
    let summary = format!(
        "Found {} profiles for {}/{} from {} to {}.",
        l.candidates.len(),
        l.service,
        l.env,
        l.from_ts,
        l.to_ts
    );
    let mut payload = json!({ "command": command, "result": l });
    if l.candidates.is_empty() {
        payload["hint"] = json!(NO_PROFILES_HINT);
        payload["searched_service"] = json!(a.target.service);
        payload["searched_env"] = json!(a.target.env);
    }
    ToolOutput::new(summary, payload)
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum StrategyName {
    Latest,
    Oldest,
    ClosestToTs,
    ManualIndex,
    MostSamples,
    Anomaly,
}

#[derive(Deserialize, JsonSchema)]
struct PickArgs {
    /// The profiles to choose from.
    #[serde(flatten)]
    list: ListArgs,
    /// latest (default), oldest, closest_to_ts (needs target_ts), manual_index (needs
    /// index), most_samples, or anomaly (a profile at least 2 standard deviations from
    /// the others on a numeric field).
    strategy: Option<StrategyName>,
    /// For closest_to_ts: RFC 3339, now, or a Go duration (-2h).
    target_ts: Option<String>,
    /// For manual_index: position in the list (0 = newest).
    #[schemars(range(min = 0))]
    index: Option<u64>,
}

async fn pick_tool(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.profiles.pick", &raw);
    let a: PickArgs = args::parse(raw)?;
    let name = a.strategy.unwrap_or(if a.index.is_some() {
        StrategyName::ManualIndex
    } else {
        StrategyName::Latest
    });
    if a.index.is_some() && name != StrategyName::ManualIndex {
        return Err(
            CallError::invalid("index is only used with strategy manual_index").field("index"),
        );
    }
    let strategy = match name {
        StrategyName::Latest => Strategy::Latest,
        StrategyName::Oldest => Strategy::Oldest,
        StrategyName::MostSamples => Strategy::MostSamples,
        StrategyName::Anomaly => Strategy::Anomaly,
        StrategyName::ManualIndex => {
            let i = a.index.ok_or_else(|| {
                CallError::invalid("strategy manual_index needs index").field("index")
            })?;
            Strategy::Index(usize::try_from(i).unwrap_or(usize::MAX))
        }
        StrategyName::ClosestToTs => {
            let t = a.target_ts.as_deref().ok_or_else(|| {
                CallError::invalid("strategy closest_to_ts needs target_ts").field("target_ts")
            })?;
            Strategy::ClosestTo(
                parse_time(t, Utc::now()).map_err(|e| CallError::from(e).field("target_ts"))?,
            )
        }
    };
    let l = list_profiles(
        &ctx,
        &a.list.target,
        &a.list.window,
        a.list.limit.unwrap_or(50),
    )
    .await?;
    let mut picked = pick(&l.candidates, &strategy).map_err(|e| {
        CallError::from(e).hint(NO_PROFILES_HINT.trim_start_matches("No profiles found. "))
    })?;
    picked.warnings.splice(0..0, l.warnings.iter().cloned());
    let summary = format!(
        "Picked {} ({}) of {} profiles: profile_id {} event_id {}.",
        picked.candidate.timestamp,
        picked.reason,
        l.candidates.len(),
        picked.candidate.profile_id,
        picked.candidate.event_id
    );
    ToolOutput::new(
        summary,
        json!({ "command": command, "result": picked, "listed": l.candidates.len(),
                "from_ts": l.from_ts, "to_ts": l.to_ts }),
    )
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
enum ProfileType {
    Cpu,
    Heap,
    Mutex,
    Block,
    Goroutines,
}

impl ProfileType {
    fn name(self) -> &'static str {
        match self {
            ProfileType::Cpu => "cpu",
            ProfileType::Heap => "heap",
            ProfileType::Mutex => "mutex",
            ProfileType::Block => "block",
            ProfileType::Goroutines => "goroutines",
        }
    }
}

#[derive(Deserialize, JsonSchema)]
struct AggregateArgs {
    #[serde(flatten)]
    target: Target,
    /// How far back: a Go duration such as 1h or 30m.
    window: String,
    /// Most profiles to merge (default 10).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<u32>,
    /// Which profile of each bundle (default cpu).
    profile_type: Option<ProfileType>,
    /// Only profiles from hosts matching this.
    host: Option<String>,
    /// Folder for the downloads and the merged profile (default: a new temporary one).
    out_dir: Option<String>,
}

async fn aggregate(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.profiles.aggregate", &raw);
    let a: AggregateArgs = args::parse(raw)?;
    let span = parse_duration(&a.window).map_err(|e| CallError::from(e).field("window"))?;
    if span <= Duration::zero() {
        return Err(CallError::invalid("window must be positive, e.g. 1h").field("window"));
    }
    let kind = a.profile_type.unwrap_or(ProfileType::Cpu).name();
    let client = a.target.client(&ctx)?;
    let now = Utc::now();
    let from = now - span;
    let candidates = client
        .list(&ListQuery {
            query: search_query(&a.target.service, Some(&a.target.env), a.host.as_deref()),
            from,
            to: now,
            limit: a.limit.unwrap_or(10),
            ascending: false,
        })
        .await?;
    if candidates.is_empty() {
        return Err(CallError::not_found(format!(
            "no profiles of {}/{} in the last {}",
            a.target.service, a.target.env, a.window
        ))
        .hint("widen window, or check the name with datadog.services.search"));
    }
    let dir = ctx.out_dir(a.out_dir.as_deref(), "aggregate")?;
    let results = download_candidates(&ctx, &client, &candidates, &dir, &a.target.prefix(), |i| {
        format!("profile-{}", i + 1)
    })
    .await;
    let mut warnings = Vec::new();
    let mut files = Vec::new();
    let mut merged_from = Vec::new();
    for (c, r) in candidates.iter().zip(results) {
        match r {
            Ok(u) => match file_of_kind(&u, kind) {
                Some(f) => {
                    files.push(f.path.clone());
                    merged_from.push(json!({"profile_id": c.profile_id, "event_id": c.event_id,
                                            "timestamp": c.timestamp, "path": f.path}));
                }
                None => warnings.push(format!("{}: no {kind} profile in the bundle", c.timestamp)),
            },
            Err(e) => warnings.push(format!("{}: {e}", c.timestamp)),
        }
    }
    if files.is_empty() {
        return Err(CallError::not_found(format!(
            "no {kind} profile could be downloaded: {}",
            warnings.join("; ")
        )));
    }
    let merged_path = if files.len() == 1 {
        files[0].clone()
    } else {
        let profiles = ctx.profiles(
            "profiles",
            &files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>(),
        )?;
        let refs: Vec<&crate::decode::Profile> = profiles.iter().map(|p| &p.profile).collect();
        let (bytes, _) = crate::tools::pprof::merge_files::merge(&refs)?;
        let out = dir.join(format!("merged_{kind}_{}.pb.gz", now.timestamp()));
        write_file(&out, &bytes)?;
        out
    };
    let handle = ctx.store.register_origin(
        &merged_path,
        Origin {
            kind: Some(kind.into()),
            service: Some(a.target.service.clone()),
            env: Some(a.target.env.clone()),
            timestamp: Some(rfc3339(now)),
            ..Origin::default()
        },
    )?;
    let merged = ctx.profile("profiles", &handle)?;
    let duration = merged.profile.duration_nanos;
    let summary = format!(
        "Merged {} {kind} profiles of {}/{} from the last {} into {handle}.",
        files.len(),
        a.target.service,
        a.target.env,
        a.window
    );
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "result": {
                "handle": handle,
                "path": merged_path,
                "profile_type": kind,
                "profiles_merged": files.len(),
                "profiles": merged_from,
                "time_range": {"from": rfc3339(from), "to": rfc3339(now)},
                "total_duration": if duration > 0 { format!("{:.1}s", duration as f64 / 1e9) } else { String::new() },
                "samples": merged.profile.samples.len(),
                "hint": format!("Use pprof.top(profile=\"{handle}\") to analyze aggregated data."),
                "warnings": warnings,
            }
        }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct CompareArgs {
    #[serde(flatten)]
    target: Target,
    /// Start of the before range (now, -48h, RFC 3339).
    before_from: String,
    /// End of the before range (default: after_from).
    before_to: Option<String>,
    /// Start of the after range.
    after_from: String,
    /// End of the after range (default now).
    after_to: Option<String>,
    /// Which profile of each bundle (default cpu).
    profile_type: Option<ProfileType>,
    /// Sample type to compare (default pprof's: the last one, e.g. cpu).
    sample_index: Option<String>,
    /// How many top changes to report (default 10).
    #[schemars(range(min = 1))]
    top: Option<u32>,
    /// Folder for the two downloads (default: a new temporary one).
    out_dir: Option<String>,
    #[serde(flatten)]
    limits: Limits,
}

/// Orders candidates newest first by timestamp (unreadable ones last, in API order).
fn newest_first(c: &mut [Candidate]) {
    c.sort_by_key(|c| std::cmp::Reverse(c.time()));
}

fn side(c: &Candidate, handle: &str, path: &std::path::Path) -> serde_json::Value {
    json!({"timestamp": c.timestamp, "profile_id": c.profile_id, "event_id": c.event_id,
           "handle": handle, "file_path": path})
}

async fn compare_range(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.profiles.compare_range", &raw);
    let a: CompareArgs = args::parse(raw)?;
    let now = Utc::now();
    let t = |field: &str, v: &str| {
        parse_time(v, now).map_err(|e| CallError::from(e).field(field.to_string()))
    };
    let after_from = t("after_from", &a.after_from)?;
    let after_to = a
        .after_to
        .as_deref()
        .map(|v| t("after_to", v))
        .transpose()?
        .unwrap_or(now);
    let before_from = t("before_from", &a.before_from)?;
    let before_to = a
        .before_to
        .as_deref()
        .map(|v| t("before_to", v))
        .transpose()?
        .unwrap_or(after_from);
    let client = a.target.client(&ctx)?;
    let query = search_query(&a.target.service, Some(&a.target.env), None);
    let range = |from: DateTime<Utc>, to: DateTime<Utc>, ascending: bool| ListQuery {
        query: query.clone(),
        from,
        to,
        limit: 10,
        ascending,
    };
    // The before range is listed oldest first, so its first page holds the oldest
    // profile; both lists are then ordered by their timestamps, whatever order came back.
    let (before_q, after_q) = (
        range(before_from, before_to, true),
        range(after_from, after_to, false),
    );
    let (before_list, after_list) = futures::join!(client.list(&before_q), client.list(&after_q));
    let (mut before_list, mut after_list) = (before_list?, after_list?);
    newest_first(&mut before_list);
    newest_first(&mut after_list);
    let before = pick(&before_list, &Strategy::Oldest).map_err(|e| {
        CallError::from(e)
            .field("before_from")
            .hint("no profile in the before range; widen it")
    })?;
    let after = pick(&after_list, &Strategy::Latest).map_err(|e| {
        CallError::from(e)
            .field("after_from")
            .hint("no profile in the after range; widen it")
    })?;
    let kind = a.profile_type.unwrap_or(ProfileType::Cpu).name();
    let dir = ctx.out_dir(a.out_dir.as_deref(), "compare")?;
    let pair = [before.candidate.clone(), after.candidate.clone()];
    let results = download_candidates(&ctx, &client, &pair, &dir, &a.target.prefix(), |i| {
        ["before", "after"][i].to_string()
    })
    .await;
    let mut handles = Vec::new();
    let mut paths = Vec::new();
    for (c, r) in pair.iter().zip(results) {
        let u = r?;
        let f = file_of_kind(&u, kind).ok_or_else(|| {
            CallError::not_found(format!(
                "the bundle of {} has no {kind} profile",
                c.timestamp
            ))
        })?;
        let origin = Origin {
            service: Some(a.target.service.clone()),
            env: Some(a.target.env.clone()),
            timestamp: Some(c.timestamp.clone()),
            dd_profile_id: Some(c.profile_id.clone()),
            event_id: Some(c.event_id.clone()),
            ..Origin::default()
        };
        let (_, files) = ctx.register_files(&u.files, &origin)?;
        let h = files
            .iter()
            .find(|x| x.path == f.path.display().to_string())
            .map(|x| x.handle.clone())
            .unwrap_or_default();
        handles.push(h);
        paths.push(f.path.clone());
    }
    let b = ctx.profile("before", &handles[0])?;
    let af = ctx.profile("after", &handles[1])?;
    if b.id == af.id {
        return Err(CallError::invalid(
            "the before and after ranges picked the same profile; make them disjoint",
        ));
    }
    let sample = resolve_sample_type(&af, a.sample_index.as_deref())?;
    if b.profile.sample_types.len() != af.profile.sample_types.len()
        || resolve_sample_type(&b, Some(&sample.r#type)).is_err()
    {
        return Err(CallError::invalid(format!(
            "the before profile has no sample type {}",
            sample.r#type
        )));
    }
    let engine = ctx.engine_with(&[&b, &af])?;
    let cmp = across::compare(&engine, b.id, af.id, &sample).await?;
    let unit = ValueFormat::per_value(&sample.unit);
    let top_n = a.top.unwrap_or(10) as usize;
    let pct = |v: i64| {
        if cmp.before_total == 0 {
            String::new()
        } else {
            format!("{:+.2}%", v as f64 * 100.0 / cmp.before_total as f64)
        }
    };
    let changes: Vec<serde_json::Value> = cmp
        .rows
        .iter()
        .filter(|r| r.delta != 0)
        .take(top_n)
        .map(|r| {
            json!({
                "function": r.name,
                "before_flat": r.before_flat, "after_flat": r.after_flat, "delta": r.delta,
                "before_cum": r.before_cum, "after_cum": r.after_cum,
                "before_fmt": unit.format(r.before_flat), "after_fmt": unit.format(r.after_flat),
                "delta_fmt": unit.format(r.delta), "delta_pct_of_before": pct(r.delta),
                "severity": if r.delta > 0 { "increase" } else { "decrease" },
            })
        })
        .collect();
    let mut text = format!(
        "Profile Comparison: {} ({})\n{}\nBefore: {} (oldest in range)\nAfter:  {} (latest in range)\nTotal {}: {} -> {} ({})\n\n{:>12} {:>12} {:>12} {:>9}  function\n",
        a.target.service,
        a.target.env,
        "=".repeat(60),
        before.candidate.timestamp,
        after.candidate.timestamp,
        sample.r#type,
        unit.format(cmp.before_total),
        unit.format(cmp.after_total),
        pct(cmp.after_total - cmp.before_total),
        "before", "after", "delta", "of before",
    );
    for c in &changes {
        text.push_str(&format!(
            "{:>12} {:>12} {:>12} {:>9}  {} {}\n",
            c["before_fmt"].as_str().unwrap_or_default(),
            c["after_fmt"].as_str().unwrap_or_default(),
            c["delta_fmt"].as_str().unwrap_or_default(),
            c["delta_pct_of_before"].as_str().unwrap_or_default(),
            if c["delta"].as_i64().unwrap_or(0) > 0 {
                "+"
            } else {
                "-"
            },
            c["function"].as_str().unwrap_or_default(),
        ));
    }
    let (raw_text, meta) = a.limits.apply(&text);
    let summary = format!(
        "{}/{} {}: {} -> {} between {} and {}; {} functions changed.",
        a.target.service,
        a.target.env,
        sample.r#type,
        unit.format(cmp.before_total),
        unit.format(cmp.after_total),
        before.candidate.timestamp,
        after.candidate.timestamp,
        cmp.rows.iter().filter(|r| r.delta != 0).count()
    );
    let pick_warnings = [before.warnings.clone(), after.warnings.clone()].concat();
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "result": {
                "service": a.target.service, "env": a.target.env,
                "sample_type": sample.r#type, "unit": sample.unit,
                "before_profile": side(&before.candidate, &handles[0], &paths[0]),
                "after_profile": side(&after.candidate, &handles[1], &paths[1]),
                "before_total": cmp.before_total, "after_total": cmp.after_total,
                "top_changes": changes,
                "sql": cmp.sql,
                "warnings": pick_warnings,
            },
            "raw": raw_text,
            "raw_meta": meta,
        }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct NearEventArgs {
    #[serde(flatten)]
    target: Target,
    /// The moment of the event: RFC 3339, unix seconds, or a Go duration before now.
    event_time: String,
    /// How far either side to look: a Go duration (default 1h).
    window: Option<String>,
    /// Most profiles to report on each side (default 10).
    #[schemars(range(min = 1, max = 500))]
    limit: Option<u32>,
    /// Only profiles from hosts matching this.
    host: Option<String>,
}

async fn near_event(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.profiles.near_event", &raw);
    let a: NearEventArgs = args::parse(raw)?;
    let now = Utc::now();
    let event = parse_time_or_unix(&a.event_time, now)
        .map_err(|e| CallError::from(e).field("event_time"))?;
    let window_text = a.window.clone().unwrap_or_else(|| "1h".into());
    let span = parse_duration(&window_text).map_err(|e| CallError::from(e).field("window"))?;
    let span = if span < Duration::zero() { -span } else { span };
    let limit = a.limit.unwrap_or(10);
    let client = a.target.client(&ctx)?;
    // Two lists, newest-first before the event and oldest-first after it, so a busy
    // side cannot crowd the other out of one capped list.
    let query = search_query(&a.target.service, Some(&a.target.env), a.host.as_deref());
    let side = |from, to, ascending| ListQuery {
        query: query.clone(),
        from,
        to,
        limit,
        ascending,
    };
    let (before_q, after_q) = (
        side(event - span, event, false),
        side(event, event + span, true),
    );
    let (before_list, after_list) = futures::join!(client.list(&before_q), client.list(&after_q));
    let (before_list, after_list) = (before_list?, after_list?);
    let mut before: Vec<(DateTime<Utc>, Candidate)> = Vec::new();
    let mut after: Vec<(DateTime<Utc>, Candidate)> = Vec::new();
    let mut warnings = Vec::new();
    let times: Vec<Option<DateTime<Utc>>> = after_list.iter().map(Candidate::time).collect();
    if after_list.len() >= limit as usize && times.windows(2).any(|w| w[0] > w[1]) {
        warnings.push(
            "the profiles list came back newest first despite asking oldest first; the first \
             profile after the event may lie beyond this page: narrow window"
                .to_string(),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in before_list.into_iter().chain(after_list) {
        if !seen.insert(c.event_id.clone()) {
            continue;
        }
        match c.time() {
            Some(t) if t < event => before.push((t, c)),
            Some(t) => after.push((t, c)),
            None => warnings.push(format!(
                "skipped profile {}: unreadable timestamp {:?}",
                c.profile_id, c.timestamp
            )),
        }
    }
    before.sort_by_key(|x| std::cmp::Reverse(x.0));
    after.sort_by_key(|x| x.0);
    before.truncate(limit as usize);
    after.truncate(limit as usize);
    let gap = match (before.first(), after.first()) {
        (Some(b), Some(f)) => Some(f.0 - b.0),
        _ => None,
    };
    if let Some(g) = gap.filter(|g| *g > Duration::minutes(5)) {
        warnings.push(format!(
            "Large gap ({}) between profiles suggests service was down/restarting",
            format_duration(g)
        ));
    }
    let mut text = format!(
        "Profiles Near Event: {} ({})\nEvent Time: {} (±{} window)\n\n",
        a.target.service,
        a.target.env,
        rfc3339(event),
        window_text
    );
    match before.first() {
        Some((_, c)) => text.push_str(&format!(
            "Last profile BEFORE event:\n  {} profile_id={} event_id={}\n",
            c.timestamp, c.profile_id, c.event_id
        )),
        None => text.push_str("No profile BEFORE the event in the window.\n"),
    }
    match after.first() {
        Some((_, c)) => text.push_str(&format!(
            "First profile AFTER event:\n  {} profile_id={} event_id={}\n",
            c.timestamp, c.profile_id, c.event_id
        )),
        None => text.push_str("No profile AFTER the event in the window.\n"),
    }
    if let Some(g) = gap {
        text.push_str(&format!("Gap between profiles: {}\n", format_duration(g)));
    }
    text.push_str(&format!(
        "Total profiles: {} before, {} after\n",
        before.len(),
        after.len()
    ));
    for w in &warnings {
        text.push_str(&format!("Warning: {w}\n"));
    }
    let summary = format!(
        "{} profiles before and {} after {} (±{}).",
        before.len(),
        after.len(),
        rfc3339(event),
        window_text
    );
    let strip = |v: Vec<(DateTime<Utc>, Candidate)>| v.into_iter().map(|x| x.1).collect::<Vec<_>>();
    let (before, after) = (strip(before), strip(after));
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "result": {
                "service": a.target.service, "env": a.target.env,
                "event_time": rfc3339(event), "window": window_text,
                "closest_before": before.first(), "closest_after": after.first(),
                "before_event": before, "after_event": after,
                "gap_duration": gap.map(format_duration).unwrap_or_default(),
                "warnings": warnings,
            },
            "raw": text,
        }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct HistoryArgs {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    window: Window,
    /// Regex matched against function names (e.g. `^encoding/json\.`, `(?i)marshal`).
    function: String,
    /// Most profiles to analyse (default 10).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<u32>,
    /// Which profile of each bundle (default cpu).
    profile_type: Option<ProfileType>,
    /// Sample type (default pprof's: the last one, e.g. cpu).
    sample_index: Option<String>,
    /// Keep the downloads here (default: a temporary folder removed afterwards).
    out_dir: Option<String>,
    #[serde(flatten)]
    limits: Limits,
}

#[derive(Serialize)]
struct HistoryEntry {
    timestamp: String,
    profile_id: String,
    event_id: String,
    found: bool,
    /// The heaviest matching function (by flat, then name).
    #[serde(skip_serializing_if = "Option::is_none")]
    function: Option<String>,
    /// Functions matching in this profile.
    matches: usize,
    flat: i64,
    cum: i64,
    total: i64,
    flat_percent: f64,
    cum_percent: f64,
    flat_value: String,
    cum_value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn percent(v: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (v as f64 * 10000.0 / total as f64).round() / 100.0
    }
}

async fn function_history(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.function_history", &raw);
    let a: HistoryArgs = args::parse(raw)?;
    regex::Regex::new(&a.function).map_err(|e| {
        CallError::invalid(format!("function regex {:?}: {e}", a.function)).field("function")
    })?;
    let kind = a.profile_type.unwrap_or(ProfileType::Cpu).name();
    let l = list_profiles(&ctx, &a.target, &a.window, a.limit.unwrap_or(10)).await?;
    let mut warnings = l.warnings.clone();
    let client = a.target.client(&ctx)?;
    // Without out_dir the downloads live only as long as this call.
    let scratch;
    let dir = match a.out_dir.as_deref() {
        Some(d) => ctx.out_dir(Some(d), "history")?,
        None => {
            scratch = tempfile::Builder::new()
                .prefix("profsql-history-")
                .tempdir()
                .map_err(|e| CallError::internal(format!("temporary folder: {e}")))?;
            scratch.path().to_path_buf()
        }
    };
    let results = download_candidates(
        &ctx,
        &client,
        &l.candidates,
        &dir,
        &a.target.prefix(),
        |i| format!("profile-{}", i + 1),
    )
    .await;
    let mut engine = Engine::new(ctx.store.decode_options());
    let mut ids: Vec<Option<u32>> = Vec::new();
    let mut errors: Vec<Option<String>> = Vec::new();
    for (c, r) in l.candidates.iter().zip(results) {
        let loaded = r.map_err(|e| e.to_string()).and_then(|u| {
            let f =
                file_of_kind(&u, kind).ok_or_else(|| format!("no {kind} profile in the bundle"))?;
            engine.load_file(&f.path).map_err(|e| e.to_string())
        });
        match loaded {
            Ok(id) => {
                ids.push(Some(id));
                errors.push(None);
            }
            Err(e) => {
                warnings.push(format!("{}: {e}", c.timestamp));
                ids.push(None);
                errors.push(Some(e));
            }
        }
    }
    let present: Vec<u32> = ids.iter().flatten().copied().collect();
    let (sample, rows, sql) = match present.first() {
        Some(first) => {
            let lp = engine.profile(*first)?;
            let sample = resolve_sample_type(lp, a.sample_index.as_deref())?;
            let (rows, sql) =
                across::function_history(&engine, &present, &a.function, &sample).await?;
            (Some(sample), rows, sql)
        }
        None => (None, Vec::new(), String::new()),
    };
    if l.candidates.is_empty() {
        warnings.push("no profiles found in time range".into());
    }
    let unit = ValueFormat::per_value(sample.as_ref().map_or("", |s| s.unit.as_str()));
    let mut entries = Vec::new();
    for ((c, id), error) in l.candidates.iter().zip(&ids).zip(errors) {
        let mine: Vec<&across::HistoryRow> =
            rows.iter().filter(|r| Some(r.profile_id) == *id).collect();
        let hits: Vec<&&across::HistoryRow> = mine.iter().filter(|r| r.name.is_some()).collect();
        let total = mine.first().map_or(0, |r| r.total);
        let top = hits.first();
        let (flat, cum) = top.map_or((0, 0), |r| (r.flat, r.cum));
        entries.push(HistoryEntry {
            timestamp: c.timestamp.clone(),
            profile_id: c.profile_id.clone(),
            event_id: c.event_id.clone(),
            found: top.is_some(),
            function: top.and_then(|r| r.name.clone()),
            matches: hits.len(),
            flat,
            cum,
            total,
            flat_percent: percent(flat, total),
            cum_percent: percent(cum, total),
            flat_value: unit.format(flat),
            cum_value: unit.format(cum),
            error,
        });
    }
    let found: Vec<&HistoryEntry> = entries.iter().filter(|e| e.found).collect();
    let flats: Vec<f64> = found.iter().map(|e| e.flat_percent).collect();
    let summary_obj = json!({
        "total_profiles": entries.len(),
        "found_in_profiles": found.len(),
        "max_flat_percent": flats.iter().copied().fold(0.0, f64::max),
        "min_flat_percent": if flats.is_empty() { 0.0 } else { flats.iter().copied().fold(f64::MAX, f64::min) },
        "avg_flat_percent": if flats.is_empty() { 0.0 } else { (flats.iter().sum::<f64>() / flats.len() as f64 * 100.0).round() / 100.0 },
    });
    let mut table = format!(
        "Function: {}\n{:<4} {:<30} {:>8} {:>8} {:>12}  {}\n",
        a.function, "idx", "timestamp", "flat%", "cum%", "flat", "function"
    );
    for (i, e) in entries.iter().enumerate() {
        table.push_str(&format!(
            "{:<4} {:<30} {:>7.2}% {:>7.2}% {:>12}  {}\n",
            i,
            e.timestamp,
            e.flat_percent,
            e.cum_percent,
            e.flat_value,
            e.function.as_deref().unwrap_or(if e.error.is_some() {
                "(failed)"
            } else {
                "(not found)"
            })
        ));
    }
    let (table, meta) = a.limits.apply(&table);
    let summary = format!(
        "Function {} found in {}/{} profiles.",
        a.function,
        found.len(),
        entries.len()
    );
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "result": {
                "service": a.target.service, "env": a.target.env, "function": a.function,
                "from_ts": l.from_ts, "to_ts": l.to_ts,
                "sample_type": sample.as_ref().map(|s| s.r#type.clone()),
                "entries": entries, "summary": summary_obj,
                "sql": sql, "warnings": warnings,
            },
            "raw": table,
            "raw_meta": meta,
        }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct DiscoverArgs {
    /// Datadog service name; its own metric prefixes are searched too.
    service: String,
    /// Environment (reported back; metric names are not per environment).
    env: Option<String>,
    /// One more metric prefix to search, e.g. trace.http.
    query: Option<String>,
    #[serde(flatten)]
    site: Site,
    #[serde(flatten)]
    limits: Limits,
}

async fn metrics_discover(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.metrics.discover", &raw);
    let a: DiscoverArgs = args::parse(raw)?;
    let client = a.site.client(&ctx)?;
    let patterns = discover_patterns(&a.service, a.query.as_deref());
    let mut warnings = Vec::new();
    let metrics = client
        .discover_metrics(&a.service, &patterns, &mut warnings)
        .await;
    let mut table = format!("{:<60}  {}\n", "METRIC NAME", "TYPE");
    if metrics.is_empty() {
        table.push_str("No metrics found\n");
    }
    for m in &metrics {
        table.push_str(&format!(
            "{:<60}  {}\n",
            m.name,
            if m.kind.is_empty() { "-" } else { &m.kind }
        ));
    }
    let (table, meta) = a.limits.apply(&table);
    let summary = format!("{} metrics found for {}.", metrics.len(), a.service);
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "result": {"service": a.service, "env": a.env, "dd_site": client.config().site,
                       "query": a.query, "patterns": patterns, "metrics": metrics, "warnings": warnings},
            "raw": table,
            "raw_meta": meta,
        }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct MetricsAtArgs {
    /// Datadog service (`service:` tag).
    service: String,
    /// Datadog environment (`env:` tag).
    env: Option<String>,
    /// Centre of the window: RFC 3339, unix seconds, now (default), or -2h.
    timestamp: Option<String>,
    /// Half-width of the window, a Go duration (default 5m).
    window: Option<String>,
    /// Metric names (default: Go runtime, container and Kubernetes memory and CPU).
    metrics: Option<Vec<String>>,
    /// Scope to one pod (`pod_name:` tag).
    pod_name: Option<String>,
    #[serde(flatten)]
    site: Site,
}

/// The summary figure a metric feeds, by name, if any.
fn summary_key(name: &str) -> Option<(&'static str, f64)> {
    let rules: [(&[&str], &str, f64); 6] = [
        (&["go.goroutines"], "go_goroutines", 1.0),
        (&["heap_inuse"], "go_heap_inuse_bytes", 1.0),
        (&["alloc_bytes", "heap_alloc"], "go_alloc_bytes", 1.0),
        (&["gc_pause", "pause_ns"], "go_gc_pause_ns", 1.0),
        (
            &["container.memory.rss", "kubernetes.memory.rss"],
            "container_rss_mb",
            1.0 / 1048576.0,
        ),
        (
            &["container.cpu", "kubernetes.cpu"],
            "container_cpu_usage",
            1.0,
        ),
    ];
    rules
        .iter()
        .find(|(subs, _, _)| subs.iter().any(|s| name.contains(s)))
        .map(|(_, k, scale)| (*k, *scale))
}

async fn metrics_at(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.metrics_at_timestamp", &raw);
    let a: MetricsAtArgs = args::parse(raw)?;
    let now = Utc::now();
    let center = match a.timestamp.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => parse_time_or_unix(t, now).map_err(|e| CallError::from(e).field("timestamp"))?,
        None => now,
    };
    let half = parse_duration(a.window.as_deref().unwrap_or("5m"))
        .map_err(|e| CallError::from(e).field("window"))?;
    let half = if half < Duration::zero() { -half } else { half };
    let (from, to) = (center - half, center + half);
    let names: Vec<String> = a
        .metrics
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| DEFAULT_METRICS.iter().map(|s| s.to_string()).collect());
    let client = a.site.client(&ctx)?;
    let mut series: Vec<Series> = Vec::new();
    let mut warnings = Vec::new();
    for name in &names {
        let q = scoped_query(
            name,
            &[
                ("service", Some(&a.service)),
                ("env", a.env.as_deref()),
                ("pod_name", a.pod_name.as_deref()),
            ],
        );
        match client.metric_series(&q, from, to).await {
            Ok(Some(mut s)) => {
                if s.name.is_empty() {
                    s.name = name.clone();
                }
                series.push(s);
            }
            Ok(None) => {}
            Err(e) => warnings.push(format!("{name}: {e}")),
        }
    }
    series.sort_by(|x, y| x.name.cmp(&y.name));
    let mut summary_map: BTreeMap<&str, f64> = BTreeMap::new();
    for s in &series {
        if let Some((k, scale)) = summary_key(&s.name) {
            summary_map.entry(k).or_insert(s.last_value * scale);
        }
    }
    let summary = format!(
        "{} of {} metrics had points for {} around {}.",
        series.len(),
        names.len(),
        a.service,
        rfc3339(center)
    );
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "result": {
                "service": a.service, "env": a.env, "dd_site": client.config().site,
                "center_time": rfc3339(center), "from_time": rfc3339(from), "to_time": rfc3339(to),
                "pod_name": a.pod_name, "metrics": series, "summary": summary_map, "warnings": warnings,
            }
        }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct ServicesArgs {
    /// Part of the service name (case-insensitive; close spellings are ranked too).
    query: Option<String>,
    /// Only this environment (Datadog wildcards allowed, e.g. prod*).
    env: Option<String>,
    /// How far back to look, a Go duration (default 15m).
    window: Option<String>,
    #[serde(flatten)]
    site: Site,
}

/// Levenshtein distance, for ranking near-miss service names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// How well `name` matches `query`: 0 exact, 1 prefix, 2 substring, 3 close spelling;
/// None when unrelated.
fn match_rank(name: &str, query: &str) -> Option<(u8, usize)> {
    let (n, q) = (name.to_lowercase(), query.to_lowercase());
    if q.is_empty() || n == q {
        return Some((0, 0));
    }
    if n.starts_with(&q) {
        return Some((1, n.len() - q.len()));
    }
    if n.contains(&q) {
        return Some((2, n.len() - q.len()));
    }
    let d = edit_distance(&n, &q);
    (d <= (q.chars().count() / 3).max(1)).then_some((3, d))
}

async fn services_search(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("datadog.services.search", &raw);
    let a: ServicesArgs = args::parse(raw)?;
    let window_text = a.window.clone().unwrap_or_else(|| "15m".into());
    let span = parse_duration(&window_text).map_err(|e| CallError::from(e).field("window"))?;
    let span = if span < Duration::zero() { -span } else { span };
    let client = a.site.client(&ctx)?;
    let now = Utc::now();
    let query = match a.env.as_deref().filter(|e| !e.is_empty()) {
        Some(e) => format!("env:{e}"),
        None => "*".to_string(),
    };
    let rows = client
        .list(&ListQuery {
            query: query.clone(),
            from: now - span,
            to: now,
            limit: 500,
            ascending: false,
        })
        .await?;
    // (service, env) -> (profiles, latest timestamp)
    let mut seen: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    for c in &rows {
        let Some(s) = c.service.clone() else { continue };
        let e = seen
            .entry((s, c.env.clone().unwrap_or_default()))
            .or_insert((0, String::new()));
        e.0 += 1;
        if c.timestamp > e.1 {
            e.1 = c.timestamp.clone();
        }
    }
    let q = a.query.clone().unwrap_or_default();
    let mut found: Vec<((u8, usize), serde_json::Value)> = seen
        .into_iter()
        .filter_map(|((service, env), (n, latest))| {
            match_rank(&service, &q).map(|r| {
                let how = ["exact", "prefix", "substring", "similar"][usize::from(r.0)];
                (
                    r,
                    json!({"service": service, "env": env, "profiles": n, "latest": latest,
                           "match": how}),
                )
            })
        })
        .collect();
    found.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then_with(|| y.1["profiles"].as_u64().cmp(&x.1["profiles"].as_u64()))
            .then_with(|| x.1["service"].as_str().cmp(&y.1["service"].as_str()))
    });
    let services: Vec<serde_json::Value> = found.into_iter().map(|x| x.1).collect();
    let summary = format!(
        "{} services{} with profiles in the last {}.",
        services.len(),
        if q.is_empty() {
            String::new()
        } else {
            format!(" matching {q:?}")
        },
        window_text
    );
    ToolOutput::new(
        summary,
        json!({
            "command": command,
            "result": {"query": a.query, "env": a.env, "window": window_text, "searched": query,
                       "profiles_scanned": rows.len(), "services": services},
        }),
    )
}

pub(super) fn specs() -> Vec<ToolSpec> {
    vec![
        tool_spec!(
            "datadog.profiles.list",
            ListArgs,
            list,
            false,
            "List a service's Datadog profiles, newest first (profile_id, event_id, timestamp, version, numeric fields). Times take now, -3h, -2h30m or RFC 3339.",
            r#"{"service": "api", "env": "prod", "from": "-6h"}"#
        ),
        tool_spec!(
            "datadog.profiles.pick",
            PickArgs,
            pick_tool,
            false,
            "Choose one Datadog profile: latest, oldest, closest_to_ts, manual_index, most_samples, or anomaly (the profile at least 2 standard deviations from the rest).",
            r#"{"service": "api", "env": "prod", "strategy": "closest_to_ts", "target_ts": "2026-01-05T10:30:00Z"}"#
        ),
        tool_spec!(
            "datadog.profiles.aggregate",
            AggregateArgs,
            aggregate,
            true,
            "Download the last N Datadog profiles of a window and merge them into one profile (a handle), to smooth out noise.",
            r#"{"service": "api", "env": "prod", "window": "1h", "limit": 10}"#
        ),
        tool_spec!(
            "datadog.profiles.compare_range",
            CompareArgs,
            compare_range,
            true,
            "Compare the oldest profile of a before range with the latest of an after range: per-function before, after and change in the profile's own unit, computed by one SQL query over both.",
            r#"{"service": "api", "env": "prod", "before_from": "-48h", "before_to": "-24h", "after_from": "-2h"}"#
        ),
        tool_spec!(
            "datadog.profiles.near_event",
            NearEventArgs,
            near_event,
            false,
            "The Datadog profiles just before and just after an event (OOM, restart, incident), with the gap between them.",
            r#"{"service": "api", "env": "prod", "event_time": "2026-01-05T10:30:00Z", "window": "1h"}"#
        ),
        tool_spec!(
            "datadog.function_history",
            HistoryArgs,
            function_history,
            true,
            "Follow functions matching a regex across a service's recent Datadog profiles: flat and cum per profile, from one SQL query over all of them.",
            r#"{"service": "api", "env": "prod", "function": "encoding/json\\.", "hours": 24}"#
        ),
        tool_spec!(
            "datadog.metrics.discover",
            DiscoverArgs,
            metrics_discover,
            false,
            "Find the Datadog metrics a service reports (Go runtime, container, Kubernetes, its own), to correlate with profiles.",
            r#"{"service": "api"}"#
        ),
        tool_spec!(
            "datadog.metrics_at_timestamp",
            MetricsAtArgs,
            metrics_at,
            false,
            "Datadog metric values (avg, min, max, last and points) around a moment, e.g. the time of a profile.",
            r#"{"service": "api", "env": "prod", "timestamp": "2026-01-05T10:30:00Z", "window": "5m"}"#
        ),
        tool_spec!(
            "datadog.services.search",
            ServicesArgs,
            services_search,
            false,
            "Find Datadog service names that have profiles, ranked by how well they match a query.",
            r#"{"query": "checkout", "env": "prod"}"#
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_rank() {
        assert_eq!(match_rank("checkout", "checkout"), Some((0, 0)));
        assert_eq!(match_rank("checkout-api", "checkout").map(|r| r.0), Some(1));
        assert_eq!(match_rank("web-checkout", "checkout").map(|r| r.0), Some(2));
        assert_eq!(match_rank("chekout", "checkout").map(|r| r.0), Some(3));
        assert_eq!(match_rank("billing", "checkout"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
