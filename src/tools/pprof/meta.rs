//! `pprof.meta`: what a profile is (kind, sample types, totals, header, label keys).

use serde::Serialize;

use super::graph::{col_i64, col_str, internal};
use crate::engine::{Engine, Param};
use crate::tools::ToolError;

canned!(META_TOTALS, "meta_totals");
canned!(META_LABEL_KEYS, "meta_label_keys");

#[derive(Clone, Debug, Serialize)]
pub struct MetaSampleType {
    pub r#type: String,
    pub unit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaTotal {
    pub r#type: String,
    pub unit: String,
    /// Raw signed sum over all samples.
    pub total: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaReport {
    pub profile_path: String,
    /// cpu, heap, mutex, block, goroutine or unknown.
    pub detected_profile_kind: String,
    pub sample_types: Vec<MetaSampleType>,
    /// pprof's default: default_sample_type if it names a type, else the last type.
    pub default_sample_index: Option<usize>,
    pub totals: Vec<MetaTotal>,
    pub num_samples: i64,
    pub period_type: Option<MetaSampleType>,
    pub period: i64,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub label_keys: Vec<String>,
    /// A comment containing "go version", if any.
    pub go_version: Option<String>,
    /// The main binary's build id, if recorded.
    pub build_id: Option<String>,
    pub comments: Vec<String>,
}

/// The kind from the file name, else from the sample types (the original tool's rules).
pub fn detect_kind(path: &str, types: &[MetaSampleType], period: i64) -> String {
    let base = crate::tables::symbols::path_base(path).to_lowercase();
    for k in ["cpu", "heap", "mutex", "block", "goroutine"] {
        if base.contains(k) {
            return k.to_string();
        }
    }
    let has = |f: &dyn Fn(&str) -> bool| types.iter().any(|t| f(&t.r#type));
    let kind = if has(&|t| t.starts_with("alloc") || t.starts_with("inuse")) {
        "heap"
    } else if has(&|t| t == "goroutine" || t == "goroutines") {
        "goroutine"
    } else if has(&|t| t == "samples") && period > 0 {
        "cpu"
    } else if has(&|t| t == "delay" || t == "contentions") {
        "mutex"
    } else {
        "unknown"
    };
    kind.to_string()
}

pub async fn meta(engine: &Engine, profile_id: u32) -> Result<MetaReport, ToolError> {
    let lp = engine.profile(profile_id)?;
    let p = &lp.profile;
    let n = p.sample_types.len();
    let sums: String = (0..n)
        .filter_map(|i| lp.value_column(i))
        .map(|c| format!(", SUM(\"{}\")", c.replace('"', "\"\"")))
        .collect();
    let pid = Param::Int(profile_id.into());
    let totals_sql =
        META_TOTALS.render(&[("profile_id", pid.clone()), ("sums", Param::Sql(sums))])?;
    let keys_sql = META_LABEL_KEYS.render(&[("profile_id", pid)])?;
    let (totals, keys) = futures::join!(engine.sql(&totals_sql), engine.sql(&keys_sql));
    let (totals, keys) = (totals?, keys?);
    let b = totals
        .batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| internal("meta_totals", "no row".into()))?;
    let num_samples = col_i64(b, 0)?[0];
    let sample_types: Vec<MetaSampleType> = (0..n)
        .map(|i| MetaSampleType {
            r#type: p.sample_type_name(i).to_string(),
            unit: p.sample_type_unit(i).to_string(),
        })
        .collect();
    let mut out_totals = Vec::new();
    for (i, t) in sample_types.iter().enumerate() {
        out_totals.push(MetaTotal {
            r#type: t.r#type.clone(),
            unit: t.unit.clone(),
            total: col_i64(b, i + 1)?[0],
        });
    }
    let mut label_keys = Vec::new();
    for b in &keys.batches {
        label_keys.extend(col_str(b, 0)?.into_iter().flatten());
    }
    let comments: Vec<String> = p.comments.iter().map(|&c| p.str(c).to_string()).collect();
    let period_type =
        (p.period_type.r#type != 0 || p.period_type.unit != 0).then(|| MetaSampleType {
            r#type: p.str(p.period_type.r#type).to_string(),
            unit: p.str(p.period_type.unit).to_string(),
        });
    Ok(MetaReport {
        profile_path: lp.source.clone(),
        detected_profile_kind: detect_kind(&lp.source, &sample_types, p.period),
        default_sample_index: p.default_sample_index(),
        sample_types,
        totals: out_totals,
        num_samples,
        period_type,
        period: p.period,
        time_nanos: p.time_nanos,
        duration_nanos: p.duration_nanos,
        label_keys,
        go_version: comments.iter().find(|c| c.contains("go version")).cloned(),
        build_id: p
            .mappings
            .first()
            .map(|m| p.str_i64(m.build_id).to_string())
            .filter(|s| !s.is_empty()),
        comments,
    })
}
