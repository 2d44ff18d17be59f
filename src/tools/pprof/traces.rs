//! `go tool pprof -traces`: every kept sample's labels and stack, in file order.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::graph::{self, col_bool, col_i64, col_str, col_u32, col_u64, node_names, Rows};
use super::labels::num_label_units;
use super::measurement;
use super::options::{ReportOptions, TagKeys};
use super::{profile_labels, type_label, ValueFormat};
use crate::engine::{Engine, Param};
use crate::tools::ToolError;

canned!(TRACES, "traces");
canned!(TRACES_REWRITTEN, "traces_rewritten");
canned!(SAMPLE_LABELS, "sample_labels");

#[derive(Clone, Debug, Serialize)]
pub struct TraceFrame {
    /// Shared between the frames of one node (a large profile has millions of frames).
    #[serde(serialize_with = "as_str")]
    pub name: Arc<str>,
    /// Inlined into the next frame (pprof prints ` (inline)`).
    pub inline: bool,
}

fn as_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceLabel {
    pub key: String,
    /// Values joined by spaces; numbers formatted with the key's unit.
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceSample {
    pub sample_id: u64,
    pub value: i64,
    pub value_fmt: String,
    /// String labels then numeric labels, each sorted as pprof prints them.
    pub labels: Vec<TraceLabel>,
    /// Leaf first.
    pub frames: Vec<TraceFrame>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TracesReport {
    pub profile: String,
    pub sample_type: String,
    pub unit: ValueFormat,
    pub total: i64,
    pub header: Vec<String>,
    pub samples: Vec<TraceSample>,
    /// Samples with a stack, before any `max_samples` cut.
    pub total_samples: usize,
    pub truncated: bool,
    pub warnings: Vec<String>,
}

/// Labels of the kept samples: sample id -> (key, string value or number) in file order.
type SampleLabels = BTreeMap<u64, Vec<(String, Result<String, i64>)>>;

async fn sample_labels(engine: &Engine, rows: &Rows) -> Result<SampleLabels, ToolError> {
    let mut udfs = Vec::new();
    let mut filters = String::new();
    if let Some((udf, clause)) = rows.decisions.sample_filter("sample_id") {
        udfs.push(udf);
        filters.push_str(&clause);
    }
    let sql = SAMPLE_LABELS.render(&[
        ("profile_id", Param::Int(rows.profile_id.into())),
        ("filters", Param::Sql(filters)),
    ])?;
    let r = engine.sql_with_udfs(&sql, &udfs).await?;
    let mut out = SampleLabels::new();
    for b in &r.batches {
        let ids = col_u64(b, 0)?;
        let keys = col_str(b, 1)?;
        let strs = col_str(b, 2)?;
        let nums = col_i64(b, 3)?;
        for k in 0..b.num_rows() {
            let value = match &strs[k] {
                Some(s) => Ok(s.clone()),
                None => Err(nums[k]),
            };
            out.entry(ids[k])
                .or_default()
                .push((keys[k].clone().unwrap_or_default(), value));
        }
    }
    Ok(out)
}

/// pprof's label lines of one sample: strings grouped by key (values in order), then
/// numbers with the key's unit; each group sorted by its printed line.
fn trace_labels(
    labels: &[(String, Result<String, i64>)],
    units: &BTreeMap<String, String>,
    keys: &TagKeys,
) -> Vec<TraceLabel> {
    let mut strs: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut nums: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (key, value) in labels {
        if !keys.keeps(key) {
            continue;
        }
        match value {
            Ok(s) => strs.entry(key).or_default().push(s.clone()),
            Err(n) => {
                let unit = units.get(key.as_str()).map_or(key.as_str(), String::as_str);
                nums.entry(key)
                    .or_default()
                    .push(measurement::label(*n, unit));
            }
        }
    }
    let sorted = |m: BTreeMap<&str, Vec<String>>| {
        let mut v: Vec<TraceLabel> = m
            .into_iter()
            .map(|(k, vs)| TraceLabel {
                key: k.to_string(),
                value: vs.join(" "),
            })
            .collect();
        v.sort_by_cached_key(|l| format!("{:>10}:  {}\n", l.key, l.value));
        v
    };
    let mut out = sorted(strs);
    out.extend(sorted(nums));
    out
}

/// `go tool pprof -traces` (`max_samples` 0 = all).
pub async fn traces(
    engine: &Engine,
    profile_id: u32,
    o: &ReportOptions,
    max_samples: usize,
) -> Result<TracesReport, ToolError> {
    let lp = engine.profile(profile_id)?;
    let keys = TagKeys::new(o)?;
    let rows = graph::rows(lp, o, true)?;
    let sql = format!(
        "{}{}",
        rows.with,
        if rows.decisions.frame_alive.is_some() {
            &TRACES_REWRITTEN
        } else {
            &TRACES
        }
        .render(&[("input", Param::Sql("g".into()))])?
    );
    let (frames, total, labels) = futures::join!(
        engine.sql_with_udfs(&sql, &rows.udfs),
        graph::total(engine, &rows, o),
        sample_labels(engine, &rows)
    );
    let (frames, total, labels) = (frames?, total?, labels?);
    let names = node_names(lp, &rows, o.granularity);
    let units = num_label_units(&lp.profile);
    let fmt = ValueFormat::per_value(&rows.sample_type.unit);
    let mut shared: Vec<Option<Arc<str>>> = Vec::new();
    let mut name_of = |id: u32| -> Arc<str> {
        let i = id as usize;
        if shared.len() <= i {
            shared.resize(i + 1, None);
        }
        shared[i]
            .get_or_insert_with(|| Arc::from(names.get(id)))
            .clone()
    };
    let mut samples: Vec<TraceSample> = Vec::with_capacity(lp.profile.samples.len());
    let mut label_keys: std::collections::BTreeSet<&str> = Default::default();
    for b in &frames.batches {
        let ids = col_u64(b, 0)?;
        let nodes = col_u32(b, 1)?;
        let (v, d) = (col_i64(b, 2)?, col_i64(b, 3)?);
        let inline = col_bool(b, 4)?;
        for k in 0..b.num_rows() {
            if samples.last().is_none_or(|s| s.sample_id != ids[k]) {
                let value = if d[k] != 0 { v[k] / d[k] } else { v[k] };
                let own = labels.get(&ids[k]).map_or(&[][..], Vec::as_slice);
                label_keys.extend(own.iter().map(|(k, _)| k.as_str()));
                samples.push(TraceSample {
                    sample_id: ids[k],
                    value,
                    value_fmt: fmt.format(value),
                    labels: trace_labels(own, &units, &keys),
                    frames: Vec::new(),
                });
            }
            if let Some(s) = samples.last_mut() {
                s.frames.push(TraceFrame {
                    name: name_of(nodes[k]),
                    inline: inline[k],
                });
            }
        }
    }
    let total_samples = samples.len();
    let truncated = max_samples > 0 && total_samples > max_samples;
    if truncated {
        samples.truncate(max_samples);
    }
    let mut unmatched = rows.decisions.unmatched.clone();
    unmatched.extend(keys.unmatched(label_keys.iter().copied()));
    let tl = type_label(&rows.sample_type, o.mean);
    Ok(TracesReport {
        profile: lp.source.clone(),
        header: profile_labels(lp, &tl, total, &fmt),
        sample_type: tl,
        unit: fmt,
        total,
        samples,
        total_samples,
        truncated,
        warnings: super::reports::warnings(&unmatched),
    })
}
