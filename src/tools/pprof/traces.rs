//! `go tool pprof -traces`: every kept sample's labels and stack, in file order.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

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
canned!(TRACE_VALUES, "trace_values");

/// One frame of a trace: its node's name is `TracesReport::names[node]` (a large profile
/// has millions of frames and a few thousand names; JSON spells the name out). Four bytes:
/// the node, and in the top bit whether the frame is inlined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceFrame(u32);

impl TraceFrame {
    const INLINE: u32 = 1 << 31;

    /// None when the node does not fit in 31 bits.
    pub fn new(node: u32, inline: bool) -> Option<Self> {
        (node < Self::INLINE).then_some(Self(node | if inline { Self::INLINE } else { 0 }))
    }

    pub fn node(self) -> u32 {
        self.0 & !Self::INLINE
    }

    /// Inlined into the next frame (pprof prints ` (inline)`).
    pub fn inline(self) -> bool {
        self.0 & Self::INLINE != 0
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceLabel {
    pub key: String,
    /// Values joined by spaces; numbers formatted with the key's unit.
    pub value: String,
}

#[derive(Clone, Debug)]
pub struct TraceSample {
    pub sample_id: u64,
    pub value: i64,
    pub value_fmt: String,
    /// String labels then numeric labels, each sorted as pprof prints them.
    pub labels: Vec<TraceLabel>,
    /// This sample's frames in `TracesReport::frames`, leaf first.
    pub frames: Range<usize>,
}

#[derive(Clone, Debug)]
pub struct TracesReport {
    pub profile: String,
    pub sample_type: String,
    pub unit: ValueFormat,
    pub total: i64,
    pub header: Vec<String>,
    pub samples: Vec<TraceSample>,
    /// Every sample's frames, one after another (one allocation, not one per sample).
    pub frames: Vec<TraceFrame>,
    /// Frame names by `TraceFrame::node`.
    pub names: Vec<String>,
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

/// Each sample's value by sample id (ids are positions in the file).
async fn sample_values(
    engine: &Engine,
    rows: &Rows,
    samples: usize,
) -> Result<Vec<i64>, ToolError> {
    let sql = TRACE_VALUES.render(&[
        ("profile_id", Param::Int(rows.profile_id.into())),
        ("value", Param::Sql(rows.value.clone())),
        ("divisor", Param::Sql(rows.divisor.clone())),
    ])?;
    let r = engine.sql(&sql).await?;
    let mut out = vec![0; samples];
    for b in &r.batches {
        let (ids, v, d) = (col_u64(b, 0)?, col_i64(b, 1)?, col_i64(b, 2)?);
        for k in 0..b.num_rows() {
            if let Some(slot) = usize::try_from(ids[k]).ok().and_then(|i| out.get_mut(i)) {
                *slot = if d[k] != 0 { v[k] / d[k] } else { v[k] };
            }
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
    if labels.is_empty() {
        return Vec::new();
    }
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
/// `focus_paths`' focus: the function's regex, or either it or the caller's own focus.
pub fn focus_with(function: &str, focus: Option<String>) -> String {
    match focus {
        Some(f) if !f.is_empty() => format!("{function}|{f}"),
        _ => function.to_string(),
    }
}

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
    let (frames, values, total, labels) = futures::join!(
        engine.sql_in_table_order(&sql, &rows.udfs),
        sample_values(engine, &rows, lp.profile.samples.len()),
        graph::total(engine, &rows, o),
        sample_labels(engine, &rows)
    );
    let (frames, values, total, labels) = (frames?, values?, total?, labels?);
    let names = node_names(lp, &rows, o.granularity);
    let units = num_label_units(&lp.profile);
    let fmt = ValueFormat::per_value(&rows.sample_type.unit);
    // Graph node id -> index into the report's names, for the nodes the traces use.
    let mut dense: Vec<u32> = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut name_of = |id: u32| -> u32 {
        let i = id as usize;
        if dense.len() <= i {
            dense.resize(i + 1, u32::MAX);
        }
        if dense[i] == u32::MAX {
            dense[i] = used.len() as u32;
            used.push(names.get(id).to_string());
        }
        dense[i]
    };
    let mut samples: Vec<TraceSample> = Vec::with_capacity(lp.profile.samples.len());
    let mut all_frames: Vec<TraceFrame> =
        Vec::with_capacity(frames.batches.iter().map(|b| b.num_rows()).sum());
    let mut label_keys: std::collections::BTreeSet<&str> = Default::default();
    // Sample values repeat (a CPU profile's are multiples of the period) and formatting
    // one costs a float conversion.
    let mut formatted: std::collections::HashMap<i64, String> = Default::default();
    // Samples with a stack, counted past `max_samples` too.
    let (mut total_samples, mut last_id) = (0usize, None);
    let cut = |nth: usize| max_samples > 0 && nth > max_samples;
    for b in &frames.batches {
        let ids = col_u64(b, 0)?;
        let nodes = col_u32(b, 1)?;
        let inline = col_bool(b, 2)?;
        let n = b.num_rows();
        let mut k = 0;
        while k < n {
            // One sample's frames are a run of equal ids (a run may go on in the next batch).
            let id = ids[k];
            let run = k..ids[k..].iter().position(|&x| x != id).map_or(n, |p| k + p);
            k = run.end;
            if last_id != Some(id) {
                last_id = Some(id);
                total_samples += 1;
                let own = labels.get(&id).map_or(&[][..], Vec::as_slice);
                label_keys.extend(own.iter().map(|(k, _)| k.as_str()));
                if !cut(total_samples) {
                    let value = usize::try_from(id)
                        .ok()
                        .and_then(|i| values.get(i))
                        .copied()
                        .unwrap_or_default();
                    samples.push(TraceSample {
                        sample_id: id,
                        value,
                        value_fmt: formatted
                            .entry(value)
                            .or_insert_with(|| fmt.format(value))
                            .clone(),
                        labels: trace_labels(own, &units, &keys),
                        frames: all_frames.len()..all_frames.len(),
                    });
                }
            }
            // Past the cut only the count of samples matters.
            if cut(total_samples) {
                continue;
            }
            for j in run {
                let f = TraceFrame::new(name_of(nodes[j]), inline[j])
                    .ok_or_else(|| graph::internal("traces", "too many nodes".into()))?;
                all_frames.push(f);
            }
            if let Some(s) = samples.last_mut() {
                s.frames.end = all_frames.len();
            }
        }
    }
    let truncated = cut(total_samples);
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
        frames: all_frames,
        names: used,
        total_samples,
        truncated,
        warnings: super::reports::warnings(&unmatched),
    })
}

impl TracesReport {
    pub fn frame_name(&self, f: TraceFrame) -> &str {
        self.names.get(f.node() as usize).map_or("", String::as_str)
    }

    /// A sample's frames, leaf first.
    pub fn frames_of(&self, s: &TraceSample) -> &[TraceFrame] {
        self.frames.get(s.frames.clone()).unwrap_or_default()
    }
}

/// JSON spells each frame's name out: `frames[{name, inline}]`.
impl Serialize for TracesReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("TracesReport", 10)?;
        m.serialize_field("profile", &self.profile)?;
        m.serialize_field("sample_type", &self.sample_type)?;
        m.serialize_field("unit", &self.unit)?;
        m.serialize_field("total", &self.total)?;
        m.serialize_field("header", &self.header)?;
        m.serialize_field("samples", &Samples(self))?;
        m.serialize_field("total_samples", &self.total_samples)?;
        m.serialize_field("truncated", &self.truncated)?;
        m.serialize_field("warnings", &self.warnings)?;
        m.end()
    }
}

struct Samples<'a>(&'a TracesReport);

impl Serialize for Samples<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.samples.iter().map(|x| Sample(self.0, x)))
    }
}

struct Sample<'a>(&'a TracesReport, &'a TraceSample);

impl Serialize for Sample<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (r, x) = (self.0, self.1);
        let mut m = s.serialize_struct("TraceSample", 5)?;
        m.serialize_field("sample_id", &x.sample_id)?;
        m.serialize_field("value", &x.value)?;
        m.serialize_field("value_fmt", &x.value_fmt)?;
        m.serialize_field("labels", &x.labels)?;
        m.serialize_field("frames", &Frames(r, r.frames_of(x)))?;
        m.end()
    }
}

struct Frames<'a>(&'a TracesReport, &'a [TraceFrame]);

impl Serialize for Frames<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.1
                .iter()
                .map(|f| Frame(self.0.frame_name(*f), f.inline())),
        )
    }
}

struct Frame<'a>(&'a str, bool);

impl Serialize for Frame<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("TraceFrame", 2)?;
        m.serialize_field("name", self.0)?;
        m.serialize_field("inline", &self.1)?;
        m.end()
    }
}
