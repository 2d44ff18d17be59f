//! Mutex and block profiles: which lock sites wait longest, who waits on them, and the
//! patterns that explain it (one hot lock, a convoy, sheer volume).

use std::collections::BTreeMap;

use serde::Serialize;

use super::stacks::{self, Stack};
use super::values::format_value;
use super::{pct, profile_kind, round2, sample_type_named};
use crate::engine::Engine;
use crate::tools::ToolError;

/// Frames (lowercased) that are the lock itself rather than its user.
const LOCK_FRAMES: [&str; 4] = [
    "sync.(*mutex).lock",
    "sync.(*rwmutex).",
    "runtime.semacquire",
    "runtime.semacquiremutex",
];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Waiter {
    pub function: String,
    pub delay: i64,
    pub delay_str: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LockSite {
    pub lock_site: String,
    pub source_location: Option<String>,
    pub contentions: i64,
    pub total_delay: i64,
    pub total_delay_str: String,
    pub delay_pct: f64,
    pub avg_delay: i64,
    pub avg_delay_str: String,
    pub top_waiters: Vec<Waiter>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Pattern {
    pub r#type: &'static str,
    pub severity: &'static str,
    pub description: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ContentionAnalysis {
    pub profile_type: &'static str,
    pub total_contentions: i64,
    pub total_delay: i64,
    pub total_delay_str: String,
    pub by_lock_site: Vec<LockSite>,
    pub patterns: Vec<Pattern>,
    pub recommendations: Vec<String>,
    pub warnings: Vec<String>,
}

/// Where a sample waits: the lock frame (or the leaf), and the first caller outside the
/// runtime and sync packages, whose file:line locates the wait.
fn site_of(
    s: &Stack,
    is_lock: &mut std::collections::HashMap<std::sync::Arc<str>, bool>,
) -> (String, Option<String>, Option<String>) {
    let lock = s
        .frames
        .iter()
        .position(|f| {
            *is_lock.entry(f.name.clone()).or_insert_with(|| {
                let l = f.name.to_lowercase();
                LOCK_FRAMES.iter().any(|p| l.contains(p))
            })
        })
        .unwrap_or(0);
    let Some(site) = s.frames.get(lock) else {
        return ("<no frames>".to_string(), None, None);
    };
    let waiter = s.frames[lock + 1..]
        .iter()
        .find(|f| !f.name.starts_with("runtime.") && !f.name.starts_with("sync."));
    let location = waiter
        .and_then(|w| w.location())
        .or_else(|| site.location());
    (
        site.name.to_string(),
        location,
        waiter.map(|w| w.name.to_string()),
    )
}

pub async fn analyse(engine: &Engine, id: u32) -> Result<ContentionAnalysis, ToolError> {
    let lp = engine.profile(id)?;
    let mut warnings = Vec::new();
    let kind = match profile_kind(lp) {
        k @ ("mutex" | "block") => k,
        _ => {
            warnings.push(format!(
                "{} has no delay or contentions sample type; not a mutex or block profile",
                lp.source
            ));
            "unknown"
        }
    };
    let delay = sample_type_named(lp, &["delay"]);
    let contentions = sample_type_named(lp, &["contentions"]);
    let (a, b) = match (&delay, &contentions) {
        (Some(d), Some(c)) => (d.clone(), c.clone()),
        (Some(d), None) => {
            warnings.push("no contentions sample type: each sample counts as one".into());
            (d.clone(), d.clone())
        }
        (None, Some(c)) => {
            warnings.push("no delay sample type: delays are unknown (0)".into());
            (c.clone(), c.clone())
        }
        (None, None) => {
            let st = crate::tools::resolve_sample_type(lp, None)?;
            (st.clone(), st)
        }
    };
    let unit = if delay.is_some() {
        a.unit.clone()
    } else {
        "nanoseconds".into()
    };
    let all = stacks::load(engine, id, &a, &b).await?;
    // site key -> (site, location, contentions, delay, waiter -> delay)
    type Acc = (String, Option<String>, i64, i64, BTreeMap<String, i64>);
    let mut sites: BTreeMap<String, Acc> = BTreeMap::new();
    let (mut total_delay, mut total_contentions) = (0i64, 0i64);
    let mut is_lock = std::collections::HashMap::new();
    for s in &all {
        let d = if delay.is_some() { s.a } else { 0 };
        let c = if contentions.is_some() {
            s.b
        } else {
            s.samples
        };
        if d == 0 && c == 0 {
            continue;
        }
        total_delay += d;
        total_contentions += c;
        let (site, location, waiter) = site_of(s, &mut is_lock);
        let key = match &location {
            Some(l) => format!("{site}@{l}"),
            None => site.clone(),
        };
        let e = sites
            .entry(key)
            .or_insert_with(|| (site, location, 0, 0, BTreeMap::new()));
        e.2 += c;
        e.3 += d;
        if let Some(w) = waiter {
            *e.4.entry(w).or_insert(0) += d;
        }
    }
    let mut by_lock_site: Vec<LockSite> = sites
        .into_values()
        .map(|(site, location, c, d, waiters)| {
            let mut w: Vec<Waiter> = waiters
                .into_iter()
                .map(|(function, delay)| Waiter {
                    function,
                    delay,
                    delay_str: format_value(delay, &unit),
                })
                .collect();
            w.sort_by(|x, y| {
                y.delay
                    .cmp(&x.delay)
                    .then_with(|| x.function.cmp(&y.function))
            });
            w.truncate(3);
            let avg = if c > 0 { d / c } else { 0 };
            LockSite {
                lock_site: site,
                source_location: location,
                contentions: c,
                total_delay: d,
                total_delay_str: format_value(d, &unit),
                delay_pct: round2(pct(d, total_delay)),
                avg_delay: avg,
                avg_delay_str: format_value(avg, &unit),
                top_waiters: w,
            }
        })
        .collect();
    by_lock_site.sort_by(|x, y| {
        y.total_delay
            .cmp(&x.total_delay)
            .then_with(|| y.contentions.cmp(&x.contentions))
            .then_with(|| x.lock_site.cmp(&y.lock_site))
            .then_with(|| x.source_location.cmp(&y.source_location))
    });
    let (patterns, recommendations) = patterns(&by_lock_site, total_delay, total_contentions);
    Ok(ContentionAnalysis {
        profile_type: kind,
        total_contentions,
        total_delay,
        total_delay_str: format_value(total_delay, &unit),
        by_lock_site,
        patterns,
        recommendations,
        warnings,
    })
}

fn patterns(
    sites: &[LockSite],
    total_delay: i64,
    total_contentions: i64,
) -> (Vec<Pattern>, Vec<String>) {
    let mut p = Vec::new();
    let mut r = Vec::new();
    if let Some(top) = sites.first() {
        let share = pct(top.total_delay, total_delay);
        if total_delay > 0 && share >= 35.0 {
            p.push(Pattern {
                r#type: "hot_lock",
                severity: "high",
                description: format!(
                    "Single lock accounts for {share:.1}% of total delay ({} at {})",
                    top.lock_site,
                    top.source_location.as_deref().unwrap_or("unknown location")
                ),
            });
            r.push(format!(
                "Shorten the critical section at {} (move work out of the lock), or split the \
                 lock (sharding, per-key locks).",
                top.source_location.as_deref().unwrap_or(&top.lock_site)
            ));
            r.push("If reads dominate, use sync.RWMutex or atomic values / copy-on-write.".into());
        }
    }
    let top3: i64 = sites.iter().take(3).map(|s| s.total_delay).sum();
    if sites.len() >= 3 && total_delay > 0 && pct(top3, total_delay) >= 70.0 {
        p.push(Pattern {
            r#type: "lock_convoy",
            severity: "medium",
            description: format!(
                "The top 3 lock sites account for {:.1}% of total delay",
                pct(top3, total_delay)
            ),
        });
        r.push(
            "Several goroutines queue on the same few locks: reduce the time each holds them, \
                or restructure so fewer goroutines share them."
                .into(),
        );
    }
    if total_contentions >= 50_000 {
        p.push(Pattern {
            r#type: "high_contention",
            severity: "medium",
            description: format!("{total_contentions} contention events in the profile"),
        });
        r.push(
            "Contention is frequent: batch updates, use per-goroutine or per-CPU state, or \
                lock-free structures for counters."
                .into(),
        );
    }
    (p, r)
}
