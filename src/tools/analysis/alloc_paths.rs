//! Who allocates: allocation sites of a heap profile with the application frame that
//! leads to them, heaviest first (`alloc_paths`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::stacks::{self, Frame};
use super::values::format_value;
use super::{pct, round2, sample_type_named};
use crate::engine::Engine;
use crate::tools::{resolve_sample_type, ToolError};

/// The allocator's own frames at the leaf end of a stack, skipped to reach the caller
/// that allocates (prefixes: newer Go splits mallocgc into mallocgcSmall... and so on).
const ALLOCATOR: [&str; 10] = [
    "runtime.mallocgc",
    "runtime.newobject",
    "runtime.makeslice",
    "runtime.makemap",
    "runtime.mapassign",
    "runtime.growslice",
    "runtime.concatstrings",
    "runtime.rawstring",
    "runtime.slicebytetostring",
    "runtime.stringtoslicebyte",
];
const CHAIN: usize = 8;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AllocPath {
    pub alloc_site: String,
    /// Leaf first, allocator frames skipped, at most 8 (of the heaviest stack).
    pub caller_chain: Vec<String>,
    pub alloc_bytes: i64,
    pub alloc_bytes_str: String,
    pub alloc_pct: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alloc_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_app_frame: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_location: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AllocPaths {
    pub profile_kind: String,
    pub sample_type: String,
    pub total_alloc: i64,
    pub total_alloc_str: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<f64>,
    pub repo_prefix: Vec<String>,
    pub paths: Vec<AllocPath>,
    pub warnings: Vec<String>,
}

pub struct AllocOptions {
    pub min_percent: f64,
    pub max_paths: usize,
    pub repo_prefix: Vec<String>,
    pub group_by_source: bool,
}

fn is_allocator(name: &str) -> bool {
    ALLOCATOR.iter().any(|p| name.starts_with(p))
}

fn is_app(name: &str, prefixes: &[String]) -> bool {
    prefixes
        .iter()
        .any(|p| name.starts_with(p.as_str()) || super::repo::owned_by(name, p))
}

pub async fn analyse(engine: &Engine, id: u32, o: &AllocOptions) -> Result<AllocPaths, ToolError> {
    let lp = engine.profile(id)?;
    let mut warnings = Vec::new();
    let st = match sample_type_named(lp, &["alloc_space"]) {
        Some(st) => st,
        None => {
            let st = resolve_sample_type(lp, Some("0"))?;
            warnings.push(format!(
                "{} has no alloc_space sample type; using {}",
                lp.source, st.r#type
            ));
            st
        }
    };
    let duration = lp.profile.duration_nanos;
    let duration_secs = (duration > 0).then(|| duration as f64 / 1e9);
    let all = stacks::load(engine, id, &st, &st).await?;
    let total: i64 = all.iter().map(|s| s.a).sum();
    // key -> (bytes, site, chain, first app frame, location)
    type Acc = (i64, String, Vec<String>, Option<String>, Option<String>);
    let mut paths: BTreeMap<String, Acc> = BTreeMap::new();
    let mut without_app = 0i64;
    for s in all.iter().filter(|s| s.a > 0) {
        let kept: Vec<&Frame> = s
            .frames
            .iter()
            .skip_while(|f| is_allocator(&f.name))
            .collect();
        let Some(site) = kept.first() else { continue };
        let app = kept.iter().find(|f| is_app(&f.name, &o.repo_prefix));
        let Some(app) = app else {
            without_app += s.a;
            continue;
        };
        let key = if o.group_by_source {
            app.location().unwrap_or_else(|| app.name.to_string())
        } else {
            site.name.to_string()
        };
        let e = paths.entry(key).or_insert_with(|| {
            (
                0,
                site.name.to_string(),
                kept.iter()
                    .take(CHAIN)
                    .map(|f| f.name.to_string())
                    .collect(),
                Some(app.name.to_string()),
                app.location(),
            )
        });
        e.0 += s.a;
    }
    if without_app > 0 {
        warnings.push(format!(
            "{} ({:.1}%) allocated outside the application's code (no frame under {}) is not shown",
            format_value(without_app, &st.unit),
            pct(without_app, total),
            o.repo_prefix.join(", ")
        ));
    }
    let mut out: Vec<AllocPath> = paths
        .into_values()
        .filter(|(b, ..)| pct(*b, total) >= o.min_percent)
        .map(|(bytes, site, chain, app, loc)| AllocPath {
            alloc_site: site,
            caller_chain: chain,
            alloc_bytes: bytes,
            alloc_bytes_str: format_value(bytes, &st.unit),
            alloc_pct: round2(pct(bytes, total)),
            alloc_rate: duration_secs.filter(|d| *d > 0.0).map(|d| {
                format!(
                    "{}/min",
                    format_value((bytes as f64 / d * 60.0) as i64, &st.unit)
                )
            }),
            first_app_frame: app,
            source_location: loc,
        })
        .collect();
    out.sort_by(|a, b| {
        b.alloc_bytes
            .cmp(&a.alloc_bytes)
            .then_with(|| a.alloc_site.cmp(&b.alloc_site))
    });
    out.truncate(o.max_paths);
    Ok(AllocPaths {
        profile_kind: super::profile_kind(lp).to_string(),
        sample_type: st.r#type.clone(),
        total_alloc: total,
        total_alloc_str: format_value(total, &st.unit),
        duration_secs,
        repo_prefix: o.repo_prefix.clone(),
        paths: out,
        warnings,
    })
}
