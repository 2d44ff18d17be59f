//! speedscope's file format (https://www.speedscope.app/file-format-schema.json): one
//! sampled profile whose samples are the distinct stacks (root first) and whose weights
//! are their values, so the weights sum to the drawn total.

use serde::Serialize;

use crate::tools::pprof::stacks::StackSet;

pub const SCHEMA_URL: &str = "https://www.speedscope.app/file-format-schema.json";

#[derive(Serialize)]
struct File<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    shared: Shared<'a>,
    profiles: Vec<Profile>,
    name: String,
    #[serde(rename = "activeProfileIndex")]
    active_profile_index: usize,
    exporter: String,
}

#[derive(Serialize)]
struct Shared<'a> {
    frames: Vec<Frame<'a>>,
}

#[derive(Serialize)]
struct Frame<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Profile {
    r#type: &'static str,
    name: String,
    unit: &'static str,
    #[serde(rename = "startValue")]
    start_value: i64,
    #[serde(rename = "endValue")]
    end_value: i64,
    samples: Vec<Vec<u32>>,
    weights: Vec<i64>,
}

/// speedscope's unit for a pprof sample unit (anything else is a plain count).
pub fn unit_of(pprof_unit: &str) -> &'static str {
    match pprof_unit {
        "nanoseconds" => "nanoseconds",
        "microseconds" => "microseconds",
        "milliseconds" => "milliseconds",
        "seconds" => "seconds",
        "bytes" => "bytes",
        _ => "none",
    }
}

/// The speedscope JSON of a stack set. Stacks with negative values (after `base`) are
/// left out, as speedscope weights cannot be negative; the caller reports how many.
pub fn speedscope(set: &StackSet) -> String {
    let kept: Vec<_> = set.stacks.iter().filter(|s| s.value > 0).collect();
    let total: i64 = kept.iter().map(|s| s.value).sum();
    let name = format!("{} ({})", set.profile, set.sample_type.r#type);
    let file = File {
        schema: SCHEMA_URL,
        shared: Shared {
            frames: set.names.iter().map(|n| Frame { name: n }).collect(),
        },
        profiles: vec![Profile {
            r#type: "sampled",
            name: name.clone(),
            unit: unit_of(&set.sample_type.unit),
            start_value: 0,
            end_value: total,
            samples: kept.iter().map(|s| s.frames.clone()).collect(),
            weights: kept.iter().map(|s| s.value).collect(),
        }],
        name,
        active_profile_index: 0,
        exporter: format!("profsql {}", env!("CARGO_PKG_VERSION")),
    };
    serde_json::to_string(&file).unwrap_or_default()
}
