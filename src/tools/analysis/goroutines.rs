//! Goroutine profiles: where goroutines wait, likely leaks (`goroutine_analysis`), and
//! goroutines sorted into named categories by regexes over their stacks
//! (`goroutine_categorize`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::stacks::{self, Stack};
use super::{round2, sample_type_named, user_regex};
use crate::engine::Engine;
use crate::tools::{resolve_sample_type, ToolError};

/// Why a goroutine waits, from its frames: the first rule (in this order) that matches
/// any frame, case-insensitively. Rules are checked in priority order over the whole
/// stack, not frame by frame: every parked goroutine's leaf is `runtime.gopark`, and
/// `sync.(*RWMutex)` sits above the `runtime.semacquire` its wait goes through.
const WAIT_RULES: [(&[&str], &str); 13] = [
    (&["runtime.chanrecv"], "chan receive"),
    (&["runtime.chansend"], "chan send"),
    (&["runtime.selectgo", "runtime.block"], "select"),
    (
        &["sync.(*rwmutex).", "runtime.semacquirerwmutex"],
        "rwmutex",
    ),
    (&["sync.(*mutex).lock", "runtime.semacquiremutex"], "mutex"),
    (&["sync.(*waitgroup).wait"], "waitgroup"),
    (&["sync.(*cond).wait", "runtime.notifylistwait"], "cond"),
    (&["runtime.semacquire"], "semaphore"),
    (
        &["time.sleep", "runtime.usleep", "runtime.timesleep"],
        "sleep",
    ),
    (&["net.(*polldesc).wait", "internal/poll."], "io wait"),
    (&["runtime.netpoll"], "network poll"),
    (&["syscall.", "runtime.cgocall"], "syscall"),
    (&["runtime.gopark"], "parked"),
];

/// The rules each distinct function name matches, as a bit mask, computed once per name.
#[derive(Default)]
pub struct WaitClassifier {
    seen: std::collections::HashMap<String, u16>,
}

impl WaitClassifier {
    pub fn rules_of(&mut self, name: &str) -> u16 {
        if let Some(m) = self.seen.get(name) {
            return *m;
        }
        let lower = name.to_lowercase();
        let mut mask = 0u16;
        for (i, (needles, _)) in WAIT_RULES.iter().enumerate() {
            if needles.iter().any(|n| lower.contains(n)) {
                mask |= 1 << i;
            }
        }
        self.seen.insert(name.to_string(), mask);
        mask
    }

    pub fn reason(&mut self, s: &Stack) -> &'static str {
        let mask = s
            .frames
            .iter()
            .fold(0u16, |m, f| m | self.rules_of(&f.name));
        reason_of(mask)
    }
}

/// The first rule (in priority order) set in `mask`.
fn reason_of(mask: u16) -> &'static str {
    match mask.trailing_zeros() as usize {
        i if i < WAIT_RULES.len() => WAIT_RULES[i].1,
        _ => "unknown",
    }
}

fn state_of(stack: &Stack, reason: &str) -> String {
    if let Some(s) = &stack.state {
        return s.clone();
    }
    // No blocking frame: the goroutine was running (the one writing the profile).
    match reason {
        "syscall" => "syscall",
        "unknown" => "running",
        _ => "waiting",
    }
    .to_string()
}

/// Frames in a leak signature and in sample stacks.
const SIGNATURE_FRAMES: usize = 8;
const SAMPLE_FRAMES: usize = 6;
/// Goroutines on one signature from which it is reported as a possible leak.
const LEAK_MEDIUM: i64 = 500;
const LEAK_HIGH: i64 = 1000;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WaitReason {
    pub reason: String,
    pub count: i64,
    pub percent: f64,
    /// The heaviest stack with this reason, leaf first.
    pub sample_stack: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Leak {
    pub stack_signature: String,
    pub count: i64,
    pub severity: &'static str,
    pub state: String,
    pub wait_reason: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GoroutineAnalysis {
    pub total_goroutines: i64,
    /// Goroutines per state, by state name.
    pub by_state: BTreeMap<String, i64>,
    /// Every wait reason, most goroutines first.
    pub top_wait_reasons: Vec<WaitReason>,
    /// Stacks shared by at least 500 goroutines (high from 1000), most first, at most 5.
    pub potential_leaks: Vec<Leak>,
    pub warnings: Vec<String>,
}

/// Loads the goroutine counts of a profile: the goroutine sample type (pprof's default
/// otherwise, with a warning); a sample's count is its value, at least 1.
pub async fn goroutine_stacks(
    engine: &Engine,
    id: u32,
    warnings: &mut Vec<String>,
) -> Result<Vec<Stack>, ToolError> {
    let lp = engine.profile(id)?;
    let st = match sample_type_named(lp, &["goroutine", "goroutines"]) {
        Some(st) => st,
        None => {
            warnings.push(format!(
                "{} is not a goroutine profile (no goroutine sample type); counting its \
                 default sample type",
                lp.source
            ));
            resolve_sample_type(lp, None)?
        }
    };
    let mut all = stacks::load(engine, id, &st, &st).await?;
    for s in &mut all {
        s.a = s.a_min1;
    }
    all.sort_by(|x, y| {
        y.a.cmp(&x.a)
            .then_with(|| x.locations.cmp(&y.locations))
            .then_with(|| x.state.cmp(&y.state))
    });
    Ok(all)
}

pub async fn analyse(engine: &Engine, id: u32) -> Result<GoroutineAnalysis, ToolError> {
    let mut warnings = Vec::new();
    let all = goroutine_stacks(engine, id, &mut warnings).await?;
    Ok(summarise(&all, warnings))
}

/// The analysis of stacks `goroutine_stacks` loaded.
pub fn summarise(all: &[Stack], warnings: Vec<String>) -> GoroutineAnalysis {
    let total: i64 = all.iter().map(|s| s.a).sum();
    let mut by_state = BTreeMap::new();
    // reason -> (count, heaviest stack)
    let mut reasons: BTreeMap<&'static str, (i64, Vec<String>)> = BTreeMap::new();
    // signature -> (count, state, reason); stacks come heaviest first.
    let mut leaks: BTreeMap<String, (i64, String, &'static str)> = BTreeMap::new();
    let mut classify = WaitClassifier::default();
    for s in all {
        let reason = classify.reason(s);
        let state = state_of(s, reason);
        *by_state.entry(state.clone()).or_insert(0) += s.a;
        let e = reasons.entry(reason).or_insert((0, s.names(SAMPLE_FRAMES)));
        e.0 += s.a;
        let l = leaks
            .entry(s.signature(SIGNATURE_FRAMES))
            .or_insert((0, state, reason));
        l.0 += s.a;
    }
    let mut top_wait_reasons: Vec<WaitReason> = reasons
        .into_iter()
        .map(|(reason, (count, stack))| WaitReason {
            reason: reason.to_string(),
            count,
            percent: round2(super::pct(count, total)),
            sample_stack: stack,
        })
        .collect();
    top_wait_reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    let mut potential_leaks: Vec<Leak> = leaks
        .into_iter()
        .filter(|(_, (count, _, _))| *count >= LEAK_MEDIUM)
        .map(|(sig, (count, state, reason))| Leak {
            stack_signature: sig,
            count,
            severity: if count >= LEAK_HIGH { "high" } else { "medium" },
            state,
            wait_reason: reason.to_string(),
        })
        .collect();
    potential_leaks.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.stack_signature.cmp(&b.stack_signature))
    });
    potential_leaks.truncate(5);
    GoroutineAnalysis {
        total_goroutines: total,
        by_state,
        top_wait_reasons,
        potential_leaks,
        warnings,
    }
}

/// The preset categories, in the order goroutines are matched against them.
pub const PRESETS: [(&str, &[(&str, &str)]); 7] = [
    (
        "temporal",
        &[
            (
                "temporal_activity_poller",
                r"activityTaskPoller.*(PollTask|doPoll)",
            ),
            (
                "temporal_workflow_poller",
                r"workflowTaskPoller.*(PollTask|doPoll)",
            ),
            ("temporal_activity_exec", r"activityTaskPoller.*ProcessTask"),
            (
                "temporal_workflow_cached",
                r"coroutineState\)?\.(initialYield|yield)",
            ),
            ("temporal_local_activity", r"localActivityTaskPoller"),
            (
                "temporal_heartbeat",
                r"temporalInvoker.*Heartbeat|internal\.heartbeat",
            ),
            ("temporal_task_dispatcher", r"baseWorker.*runTaskDispatcher"),
            (
                "temporal_eager_dispatcher",
                r"baseWorker.*runEagerTaskDispatcher",
            ),
        ],
    ),
    (
        "grpc",
        &[
            (
                "grpc_server_handler",
                r"grpc\..*\.Serve|grpc\.handleStream|grpc\.\(\*Server\)\.handleStream",
            ),
            (
                "grpc_client_stream",
                r"grpc\..*clientStream|ClientConn.*Invoke",
            ),
            ("grpc_http2_reader", r"http2Client.*reader|http2.*readLoop"),
            ("grpc_http2_writer", r"loopyWriter.*run"),
            ("grpc_keepalive", r"http2Client.*keepalive"),
            (
                "grpc_callback_serializer",
                r"grpcsync\..*CallbackSerializer",
            ),
        ],
    ),
    (
        "http",
        &[
            ("http_server", r"http\..*Serve|http\.serverHandler"),
            ("http_client", r"http\..*RoundTrip|persistConn\.readLoop"),
            ("http2_client", r"http2\..*ClientConn|http2\..*readLoop"),
        ],
    ),
    (
        "database",
        &[
            ("sql_connection", r"database/sql\.(.*DB|.*Conn)"),
            ("postgres", r"pgx|pq\.|lib/pq"),
            ("mongodb", r"mongo-driver"),
            ("redis", r"go-redis|redigo"),
        ],
    ),
    (
        "runtime",
        &[
            ("runtime_gc", r"runtime\.gc|runtime\.bgscavenge"),
            ("runtime_sysmon", r"runtime\.sysmon"),
            ("runtime_netpoll", r"runtime\.netpoll"),
            ("runtime_timer", r"runtime\.timerproc|runtime\.runTimer"),
            ("signal_handler", r"os/signal\.loop|signal_recv"),
        ],
    ),
    (
        "sync",
        &[
            ("sync_mutex", r"sync\.\(.*Mutex\)"),
            ("sync_cond", r"sync\.\(.*Cond\)"),
            ("sync_waitgroup", r"sync\.\(.*WaitGroup\)"),
            ("sync_pool", r"sync\.Pool"),
            ("channel_recv", r"runtime\.chanrecv"),
            ("channel_send", r"runtime\.chansend"),
            ("select", r"runtime\.selectgo"),
        ],
    ),
    (
        "observability",
        &[
            ("datadog_profiler", r"dd-trace-go.*profiler"),
            ("datadog_tracer", r"dd-trace-go.*tracer"),
            ("otel_exporter", r"opentelemetry.*exporter"),
            ("prometheus", r"prometheus.*"),
        ],
    ),
];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Category {
    pub name: String,
    pub pattern: String,
    pub count: i64,
    pub percent: f64,
    /// The heaviest matching stack, leaf first.
    pub sample_stack: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Uncategorized {
    pub signature: String,
    pub count: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Categorization {
    pub total_goroutines: i64,
    /// Categories with at least one goroutine, most first (ties in matching order).
    pub categories: Vec<Category>,
    pub uncategorized: i64,
    pub top_uncategorized: Vec<Uncategorized>,
    pub presets_used: Vec<String>,
    pub warnings: Vec<String>,
}

/// Counts goroutines per category: each goroutine goes to the first category, in
/// matching order, whose regex matches its stack ("f1 | f2 | ..." leaf first). The order
/// is the presets' (as `PRESETS` lists them) and then the custom categories' in the order
/// given; a custom category with a preset's name replaces that preset's regex in place.
/// No presets and no custom categories means every preset.
pub async fn categorize(
    engine: &Engine,
    id: u32,
    presets: &[String],
    custom: &[(String, String)],
) -> Result<Categorization, ToolError> {
    let mut warnings = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for p in presets {
        match PRESETS.iter().find(|(name, _)| name == p) {
            Some((name, _)) => used.push(name),
            None => warnings.push(format!(
                "unknown preset {p:?} (known: {})",
                PRESETS.map(|(n, _)| n).join(", ")
            )),
        }
    }
    if presets.is_empty() && custom.is_empty() {
        used = PRESETS.iter().map(|(n, _)| *n).collect();
    }
    let mut order: Vec<(String, String)> = Vec::new();
    for (preset, cats) in PRESETS.iter().filter(|(n, _)| used.contains(n)) {
        let _ = preset;
        for (name, re) in cats.iter() {
            order.push((name.to_string(), re.to_string()));
        }
    }
    for (name, re) in custom {
        match order.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = re.clone(),
            None => order.push((name.clone(), re.clone())),
        }
    }
    for (name, re) in &order {
        user_regex(&format!("categories.{name}"), re)?;
    }
    // One pass over each stack's text for every category at once.
    let set = regex::RegexSet::new(order.iter().map(|(_, re)| re.as_str()))
        .map_err(|e| ToolError::InvalidArgument(format!("categories: {e}")))?;
    let all = goroutine_stacks(engine, id, &mut warnings).await?;
    let total: i64 = all.iter().map(|s| s.a).sum();
    let mut counts = vec![(0i64, Vec::new()); order.len()];
    let mut uncategorized = 0;
    let mut unmatched: BTreeMap<String, i64> = BTreeMap::new();
    for s in &all {
        let text = s.signature(usize::MAX);
        match set.matches(&text).iter().next() {
            Some(i) => {
                if counts[i].0 == 0 {
                    counts[i].1 = s.names(SAMPLE_FRAMES);
                }
                counts[i].0 += s.a;
            }
            None => {
                uncategorized += s.a;
                *unmatched.entry(s.signature(4)).or_insert(0) += s.a;
            }
        }
    }
    let mut categories: Vec<(usize, Category)> = order
        .iter()
        .zip(counts)
        .enumerate()
        .filter(|(_, (_, (count, _)))| *count > 0)
        .map(|(i, ((name, pattern), (count, stack)))| {
            (
                i,
                Category {
                    name: name.clone(),
                    pattern: pattern.clone(),
                    count,
                    percent: round2(super::pct(count, total)),
                    sample_stack: stack,
                },
            )
        })
        .collect();
    categories.sort_by(|(ia, a), (ib, b)| b.count.cmp(&a.count).then(ia.cmp(ib)));
    let mut top_uncategorized: Vec<Uncategorized> = unmatched
        .into_iter()
        .map(|(signature, count)| Uncategorized { signature, count })
        .collect();
    top_uncategorized.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.signature.cmp(&b.signature))
    });
    top_uncategorized.truncate(10);
    let mut presets_used: Vec<String> = used.iter().map(|s| s.to_string()).collect();
    presets_used.sort();
    Ok(Categorization {
        total_goroutines: total,
        categories: categories.into_iter().map(|(_, c)| c).collect(),
        uncategorized,
        top_uncategorized,
        presets_used,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wait reason of a stack of names (leaf first).
    fn wait_reason(names: &[String]) -> &'static str {
        let mut c = WaitClassifier::default();
        reason_of(names.iter().fold(0u16, |m, n| m | c.rules_of(n)))
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wait_reasons_look_past_gopark_and_semacquire() {
        assert_eq!(
            wait_reason(&names(&[
                "runtime.gopark",
                "runtime.chanrecv",
                "runtime.chanrecv1",
                "main.f"
            ])),
            "chan receive"
        );
        assert_eq!(
            wait_reason(&names(&[
                "runtime.gopark",
                "runtime.semacquire1",
                "sync.runtime_SemacquireRWMutexR",
                "sync.(*RWMutex).RLock",
            ])),
            "rwmutex"
        );
        assert_eq!(
            wait_reason(&names(&[
                "runtime.gopark",
                "runtime.semacquire1",
                "sync.(*Mutex).lockSlow",
                "sync.(*Mutex).Lock"
            ])),
            "mutex"
        );
        assert_eq!(wait_reason(&names(&["runtime.gopark", "main.f"])), "parked");
        assert_eq!(wait_reason(&names(&["main.busy"])), "unknown");
    }

    #[test]
    fn every_preset_regex_compiles() {
        for (_, cats) in PRESETS {
            for (name, re) in cats.iter() {
                assert!(regex::Regex::new(re).is_ok(), "{name}");
            }
        }
    }
}
