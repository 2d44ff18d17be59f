//! The pprof parity tools: the same numbers and text as `go tool pprof`, computed with
//! canned SQL (`sql/pprof/`) over the engine's tables.

/// A canned query from `sql/pprof/<file>.sql`.
macro_rules! canned {
    ($name:ident, $file:literal) => {
        pub const $name: crate::engine::CannedQuery = crate::engine::CannedQuery {
            name: $file,
            template: include_str!(concat!("../../../sql/pprof/", $file, ".sql")),
        };
    };
}

pub mod callgraph;
pub mod combine;
pub mod diff_top;
pub mod filters;
pub mod graph;
pub mod label_nodes;
pub mod labels;
pub mod list;
pub mod measurement;
pub mod merge;
pub mod merge_files;
pub mod meta;
pub mod nodelets;
pub mod options;
pub mod reports;
pub mod stacks;
pub mod tags;
pub mod traces;

pub use list::{list, ListReport, SourceOptions};
pub use options::{Granularity, ReportOptions};
pub use reports::{peek, top, PeekReport, TopReport};
pub use tags::{tags, TagsReport};
pub use traces::{traces, TracesReport};

use crate::tables::symbols::path_base;
use crate::tables::LoadedProfile;
use crate::tools::SampleType;

/// How values of a report are formatted: pprof's `rpt.formatValue`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ValueFormat {
    /// Unit of the raw values (the sample type's unit).
    pub sample_unit: String,
    /// Output unit: a unit name, or "minimum"/"auto" for per-value scaling.
    pub output_unit: String,
}

impl ValueFormat {
    /// Each value in its own best unit (pprof's "minimum" output unit for traces, tags
    /// and list).
    pub fn per_value(sample_unit: &str) -> Self {
        Self {
            sample_unit: sample_unit.to_string(),
            output_unit: "minimum".to_string(),
        }
    }

    pub fn format(&self, v: i64) -> String {
        measurement::scaled_label(v, &self.sample_unit, &self.output_unit)
    }

    /// pprof's `selectOutputUnit`: one unit for the whole report, chosen from the
    /// smallest non-zero node value and the report total.
    pub fn for_report(
        sample_unit: &str,
        values: impl Iterator<Item = (i64, i64)>,
        total: i64,
    ) -> Self {
        let mut min: i64 = 0;
        let mut any = false;
        for (flat, cum) in values {
            any = true;
            let mut v = flat.abs();
            if v == 0 {
                v = cum.abs();
            }
            if v > 0 && (min == 0 || v < min) {
                min = v;
            }
        }
        let mut out = Self::per_value(sample_unit);
        if !any {
            return out;
        }
        let max = total;
        if min == 0 {
            min = max;
        }
        let min_unit = measurement::unit_of(min, sample_unit, "minimum");
        let max_unit = measurement::unit_of(max, sample_unit, "minimum");
        let mut unit = min_unit.clone();
        if min_unit != max_unit && min.saturating_mul(100) < max {
            unit = measurement::unit_of(min.saturating_mul(100), sample_unit, "minimum");
        }
        out.output_unit = if unit.is_empty() {
            sample_unit.to_string()
        } else {
            unit
        };
        out
    }
}

/// pprof's `ProfileLabels`: File, Build ID, comments, Type, Doc, Time, Duration.
pub fn profile_labels(
    lp: &LoadedProfile,
    type_label: &str,
    total: i64,
    fmt: &ValueFormat,
) -> Vec<String> {
    let p = &lp.profile;
    let mut out = Vec::new();
    if let Some(m) = p.mappings.first() {
        let file = p.str_i64(m.filename);
        if !file.is_empty() {
            out.push(format!("File: {}", path_base(file)));
        }
        let build = p.str_i64(m.build_id);
        if !build.is_empty() {
            out.push(format!("Build ID: {build}"));
        }
    }
    for &c in &p.comments {
        let c = p.str(c);
        if !c.starts_with('#') {
            out.push(c.to_string());
        }
    }
    if !type_label.is_empty() {
        out.push(format!("Type: {type_label}"));
    }
    let doc = p.str(p.doc_url);
    if !doc.is_empty() {
        out.push(format!("Doc: {doc}"));
    }
    if p.time_nanos != 0 {
        out.push(format!("Time: {}", format_time(p.time_nanos)));
    }
    if p.duration_nanos != 0 {
        let duration = measurement::label(p.duration_nanos, "nanoseconds");
        let (nanos, unit) = measurement::scale(total, &fmt.sample_unit, "nanoseconds");
        let ratio = if unit == "ns" && nanos != 0.0 {
            format!(
                "({})",
                measurement::percentage(nanos as i64, p.duration_nanos)
            )
        } else {
            String::new()
        };
        out.push(format!(
            "Duration: {duration}, Total samples = {} {ratio}",
            fmt.format(total)
        ));
    }
    out
}

/// `2006-01-02 15:04:05 MST` in the local time zone, as current pprof prints it.
pub fn format_time(nanos: i64) -> String {
    use chrono::TimeZone;
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    match chrono::Local.timestamp_opt(secs, sub) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            let tz = t.format("%Z").to_string();
            // chrono prints a numeric offset where Go prints "UTC".
            let tz = if tz == "+00:00" {
                "UTC".to_string()
            } else {
                tz
            };
            format!("{} {tz}", t.format("%Y-%m-%d %H:%M:%S"))
        }
        chrono::LocalResult::None => nanos.to_string(),
    }
}

/// The type shown in headers: `mean_` prefixed in mean mode.
pub fn type_label(st: &SampleType, mean: bool) -> String {
    if mean {
        format!("mean_{}", st.r#type)
    } else {
        st.r#type.clone()
    }
}
