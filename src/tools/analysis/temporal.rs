//! Temporal SDK workers seen through their goroutines: pollers, running activities,
//! cached workflows and what the worker's settings must be to produce them.

use std::collections::BTreeMap;

use regex::RegexSet;
use serde::Serialize;

use super::goroutines::goroutine_stacks;
use crate::engine::Engine;
use crate::tools::ToolError;

/// Counters, each a regex over the stack text ("f1 | f2 | ...", leaf first).
const COUNTERS: [(&str, &str); 13] = [
    (
        "activity_pollers",
        r"activityTaskPoller\)?\.(PollTask|doPoll)",
    ),
    ("activity_poll_rpcs", r"PollActivityTaskQueue"),
    (
        "workflow_pollers",
        r"workflowTaskPoller\)?\.(PollTask|doPoll)",
    ),
    ("workflow_poll_rpcs", r"PollWorkflowTaskQueue"),
    ("local_activity_pollers", r"localActivityTaskPoller"),
    ("active_activities", r"activityTaskPoller\)?\.ProcessTask"),
    (
        "active_local_activities",
        r"localActivityTaskPoller\)?\.ProcessTask|localActivityTaskHandler",
    ),
    (
        "cached_workflows",
        r"coroutineState\)?\.(initialYield|yield)|syncWorkflowDefinition.*Execute",
    ),
    (
        "sessions",
        r"sessionEnvironment|createSession|sessionTokenBucket",
    ),
    (
        "heartbeats",
        r"temporalInvoker.*Heartbeat|internal\.heartbeat",
    ),
    ("http2_read_loops", r"http2Client.*reader|http2.*readLoop"),
    ("task_dispatchers", r"baseWorker\)?\.runTaskDispatcher"),
    (
        "eager_dispatchers",
        r"baseWorker\)?\.runEagerTaskDispatcher",
    ),
];

/// The SDK's package prefix: frames under it are the SDK, not the user's code.
const SDK: &str = "go.temporal.io/sdk";

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Breakdown {
    pub name: String,
    pub count: i64,
    pub state: String,
    pub sample_stack: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct InferredSettings {
    pub max_concurrent_activity_task_pollers: i64,
    pub max_concurrent_workflow_task_pollers: i64,
    pub active_activities: i64,
    pub cached_workflows: i64,
    pub active_local_activities: i64,
    pub active_sessions: i64,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TemporalAnalysis {
    pub inferred_settings: InferredSettings,
    /// Goroutines matching each counter.
    pub counts: BTreeMap<String, i64>,
    pub workflow_breakdown: Vec<Breakdown>,
    pub activity_breakdown: Vec<Breakdown>,
    pub total_goroutines: i64,
    pub warnings: Vec<String>,
}

/// The user's function that a goroutine runs: the leaf-most frame outside the SDK whose
/// name contains one of `words`, as its last `.` segment.
fn user_function(names: &[String], words: &[&str]) -> Option<String> {
    names
        .iter()
        .filter(|n| !n.starts_with(SDK))
        .find(|n| words.iter().any(|w| n.contains(w)))
        .map(|n| n.rsplit('.').next().unwrap_or(n).to_string())
}

fn workflow_state(text: &str) -> &'static str {
    if text.contains("selectorImpl") || text.contains("Selector") {
        "selector"
    } else if text.contains("decodeFutureImpl") || text.contains("futureImpl") {
        "awaiting_future"
    } else if text.contains("coroutineState") {
        "yielded"
    } else {
        "executing"
    }
}

fn poller_note(kind: &str, n: i64) -> String {
    match n {
        0 => format!("no {kind} pollers found"),
        2 => format!("{kind} task pollers: 2 (the SDK default)"),
        n => format!("{kind} task pollers: configured to {n} (non-default)"),
    }
}

fn breakdown(map: BTreeMap<(String, String), (i64, Vec<String>)>) -> Vec<Breakdown> {
    let mut out: Vec<Breakdown> = map
        .into_iter()
        .map(|((name, state), (count, sample_stack))| Breakdown {
            name,
            count,
            state,
            sample_stack,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    out
}

pub async fn analyse(engine: &Engine, id: u32) -> Result<TemporalAnalysis, ToolError> {
    let mut warnings = Vec::new();
    let all = goroutine_stacks(engine, id, &mut warnings).await?;
    // Every counter in one pass over each stack's text.
    let set = RegexSet::new(COUNTERS.iter().map(|(_, re)| *re))
        .map_err(|e| ToolError::InvalidArgument(format!("temporal counters: {e}")))?;
    let mut counts: BTreeMap<String, i64> =
        COUNTERS.iter().map(|(n, _)| (n.to_string(), 0)).collect();
    let mut workflows = BTreeMap::new();
    let mut activities = BTreeMap::new();
    let total: i64 = all.iter().map(|s| s.a).sum();
    for s in &all {
        let text = s.signature(usize::MAX);
        let hits = set.matches(&text);
        if !hits.matched_any() {
            continue;
        }
        for i in hits.iter() {
            *counts.entry(COUNTERS[i].0.to_string()).or_insert(0) += s.a;
        }
        let names = s.names(usize::MAX);
        if hits.matched(7) {
            let name = user_function(&names, &["Workflow", "workflow"])
                .unwrap_or_else(|| "unknown".into());
            let e = workflows
                .entry((name, workflow_state(&text).to_string()))
                .or_insert((0, s.names(6)));
            e.0 += s.a;
        }
        if hits.matched(5) {
            let name = user_function(&names, &["Activity", "activity"])
                .unwrap_or_else(|| "unknown".into());
            let e = activities
                .entry((name, "executing".to_string()))
                .or_insert((0, s.names(6)));
            e.0 += s.a;
        }
    }
    let c = |k: &str| counts.get(k).copied().unwrap_or(0);
    let activity_pollers = c("activity_pollers").max(c("activity_poll_rpcs"));
    let workflow_pollers = c("workflow_pollers").max(c("workflow_poll_rpcs"));
    let mut notes = vec![
        poller_note("activity", activity_pollers),
        poller_note("workflow", workflow_pollers),
    ];
    if c("cached_workflows") > 0 {
        notes.push(format!(
            "{} workflow coroutines are parked in the sticky cache",
            c("cached_workflows")
        ));
    }
    if total > 0 && activity_pollers + workflow_pollers + c("cached_workflows") == 0 {
        warnings.push("no Temporal SDK goroutines found in this profile".to_string());
    }
    Ok(TemporalAnalysis {
        inferred_settings: InferredSettings {
            max_concurrent_activity_task_pollers: activity_pollers,
            max_concurrent_workflow_task_pollers: workflow_pollers,
            active_activities: c("active_activities"),
            cached_workflows: c("cached_workflows"),
            active_local_activities: c("active_local_activities"),
            active_sessions: c("sessions"),
            notes,
        },
        counts,
        workflow_breakdown: breakdown(workflows),
        activity_breakdown: breakdown(activities),
        total_goroutines: total,
        warnings,
    })
}
