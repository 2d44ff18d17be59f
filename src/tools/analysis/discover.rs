//! One pass over a bundle (CPU, heap, mutex or block, goroutines): each profile's main
//! analysis and one deduplicated list of recommendations.

use serde::Serialize;

use super::alloc_paths::{self, AllocOptions, AllocPaths};
use super::correlate::{member_top, pick, Member};
use super::goroutines::{self, GoroutineAnalysis};
use super::memory::{self, Input, MemoryOptions, MemorySanity};
use super::overhead::{self, OverheadReport};
use super::values::format_value;
use super::{pct, round2};
use crate::engine::Engine;
use crate::tools::pprof::reports::TopRow;
use crate::tools::ToolError;

#[derive(Clone, Debug, Serialize)]
pub struct CpuPart {
    pub sample_type: String,
    /// CPU time over wall time of the profile, in percent of one core.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utilization_pct: Option<f64>,
    pub total: String,
    pub top: Vec<TopRow>,
    pub overhead: OverheadReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct HeapPart {
    pub alloc_paths: AllocPaths,
    pub memory_sanity: MemorySanity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alloc_rate: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MutexPart {
    pub profile_type: String,
    pub sample_type: String,
    pub total_delay: String,
    pub top: Vec<TopRow>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Recommendation {
    pub priority: &'static str,
    pub area: &'static str,
    pub suggestion: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Discovery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heap: Option<HeapPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutex: Option<MutexPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goroutine: Option<GoroutineAnalysis>,
    pub recommendations: Vec<Recommendation>,
    pub warnings: Vec<String>,
}

fn rank(p: &str) -> u8 {
    match p {
        "high" => 0,
        "medium" => 1,
        _ => 2,
    }
}

pub async fn discover(
    engine: &Engine,
    members: &[Member],
    repo_prefix: Vec<String>,
    container_rss_mb: Option<i64>,
) -> Result<Discovery, ToolError> {
    let mut warnings = Vec::new();
    let mut recs: Vec<Recommendation> = Vec::new();
    let cpu = match pick(members, "cpu") {
        Some(m) => {
            let (top, st) = member_top(engine, m, 15).await?;
            let lp = engine.profile(m.id)?;
            let dur = lp.profile.duration_nanos;
            let cpu_ns = if st.unit == "nanoseconds" {
                Some(top.total)
            } else {
                (lp.profile.period > 0).then(|| top.total.saturating_mul(lp.profile.period))
            };
            let utilization_pct = cpu_ns.filter(|_| dur > 0).map(|ns| round2(pct(ns, dur)));
            let over = overhead::report(engine, m.id, &st, "cpu").await?;
            for d in over.detections.iter().filter(|d| d.severity != "low") {
                if let Some(s) = &d.suggestion {
                    recs.push(Recommendation {
                        priority: d.severity,
                        area: "cpu",
                        suggestion: format!("{} ({:.1}% of CPU): {s}", d.category, d.percentage),
                    });
                }
            }
            Some(CpuPart {
                sample_type: st.r#type.clone(),
                utilization_pct,
                total: top.total_fmt.clone(),
                top: top.rows,
                overhead: over,
            })
        }
        None => {
            warnings.push("cpu profile missing from bundle".into());
            None
        }
    };
    // Loaded once: memory_sanity counts them, goroutine_analysis reads them.
    let goroutine_stacks = match members.iter().find(|m| m.kind == "goroutine") {
        Some(m) => {
            let mut w = Vec::new();
            let stacks = goroutines::goroutine_stacks(engine, m.id, &mut w).await?;
            Some((m, stacks, w))
        }
        None => None,
    };
    let heap = match pick(members, "heap") {
        Some(m) => {
            let paths = alloc_paths::analyse(
                engine,
                m.id,
                &AllocOptions {
                    min_percent: 1.0,
                    max_paths: 15,
                    repo_prefix: repo_prefix.clone(),
                    group_by_source: false,
                },
            )
            .await?;
            let g = goroutine_stacks
                .as_ref()
                .map(|(_, s, _)| s.iter().map(|s| s.a).sum::<i64>());
            let c = pick(members, "cpu").map(|cm| Input { engine, id: cm.id });
            let sanity = memory::analyse(
                Input { engine, id: m.id },
                g,
                c,
                &MemoryOptions {
                    repo_root: None,
                    container_rss_mb,
                },
            )
            .await?;
            for s in &sanity.suspicions {
                let priority = if s.severity == "high" {
                    "high"
                } else if s.severity == "medium" {
                    "medium"
                } else {
                    "low"
                };
                recs.push(Recommendation {
                    priority,
                    area: "memory",
                    suggestion: format!("{}: {}", s.category, s.description),
                });
            }
            if let Some(p) = paths.paths.first() {
                recs.push(Recommendation {
                    priority: if p.alloc_pct >= 20.0 {
                        "high"
                    } else {
                        "medium"
                    },
                    area: "memory",
                    suggestion: format!(
                        "{} allocates {} ({:.1}% of allocations){}",
                        p.alloc_site,
                        p.alloc_bytes_str,
                        p.alloc_pct,
                        p.source_location
                            .as_ref()
                            .map(|l| format!(" from {l}"))
                            .unwrap_or_default()
                    ),
                });
            }
            let lp = engine.profile(m.id)?;
            let secs = lp.profile.duration_nanos as f64 / 1e9;
            let alloc_rate = (secs > 0.0).then(|| {
                format!(
                    "{}/min",
                    format_value((paths.total_alloc as f64 / secs * 60.0) as i64, "bytes")
                )
            });
            Some(HeapPart {
                alloc_paths: paths,
                memory_sanity: sanity,
                alloc_rate,
            })
        }
        None => {
            warnings.push("heap profile missing from bundle".into());
            None
        }
    };
    let mutex = match pick(members, "mutex") {
        Some(m) => {
            let (top, st) = member_top(engine, m, 10).await?;
            let c = super::contention::analyse(engine, m.id).await?;
            for p in &c.patterns {
                recs.push(Recommendation {
                    priority: p.severity,
                    area: "contention",
                    suggestion: p.description.clone(),
                });
            }
            Some(MutexPart {
                profile_type: m.kind.clone(),
                sample_type: st.r#type,
                total_delay: c.total_delay_str,
                top: top.rows,
            })
        }
        None => None,
    };
    let goroutine = match goroutine_stacks {
        Some((_, stacks, w)) => {
            let g = goroutines::summarise(&stacks, w);
            for l in &g.potential_leaks {
                recs.push(Recommendation {
                    priority: l.severity,
                    area: "goroutines",
                    suggestion: format!(
                        "{} goroutines wait ({}) on one stack: {}",
                        l.count, l.wait_reason, l.stack_signature
                    ),
                });
            }
            Some(g)
        }
        None => None,
    };
    recs.sort_by(|a, b| {
        rank(a.priority)
            .cmp(&rank(b.priority))
            .then_with(|| a.cmp(b))
    });
    recs.dedup_by(|a, b| a.suggestion == b.suggestion);
    Ok(Discovery {
        cpu,
        heap,
        mutex,
        goroutine,
        recommendations: recs,
        warnings,
    })
}
