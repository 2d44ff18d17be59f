//! `go tool pprof -tags`: the sample value per label key and value.

use std::collections::BTreeMap;

use serde::Serialize;

use super::graph::{self, col_i64, col_str};
use super::labels::num_label_units;
use super::measurement::{percentage, scaled_label};
use super::options::{ReportOptions, TagKeys};
use super::{type_label, ValueFormat};
use crate::engine::{Engine, Param};
use crate::tools::ToolError;

canned!(TAGS, "tags");

#[derive(Clone, Debug, Serialize)]
pub struct TagValue {
    /// The label value (numbers formatted with the key's unit, as pprof groups them).
    pub value: String,
    pub weight: i64,
    pub weight_fmt: String,
    /// Share of the profile total.
    pub pct: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TagKey {
    pub key: String,
    pub total: i64,
    pub total_fmt: String,
    /// Share of the profile total.
    pub pct: String,
    /// Heaviest first, then by value.
    pub values: Vec<TagValue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TagsReport {
    pub profile: String,
    pub sample_type: String,
    pub unit: ValueFormat,
    /// The profile total the percentages are relative to.
    pub total: i64,
    pub total_fmt: String,
    /// Keys sorted by name.
    pub keys: Vec<TagKey>,
    pub warnings: Vec<String>,
}

/// `go tool pprof -tags` with the current upstream layout (percentages of the profile
/// total).
pub async fn tags(
    engine: &Engine,
    profile_id: u32,
    o: &ReportOptions,
) -> Result<TagsReport, ToolError> {
    let lp = engine.profile(profile_id)?;
    let keys = TagKeys::new(o)?;
    let rows = graph::rows(lp, o, false)?;
    let mut udfs = Vec::new();
    let mut filters = String::new();
    if let Some((udf, clause)) = rows.decisions.sample_filter("s.sample_id") {
        udfs.push(udf);
        filters.push_str(&clause);
    }
    let sql = TAGS.render(&[
        ("profile_id", Param::Int(rows.profile_id.into())),
        ("value", Param::Ident(rows.sample_type.column.clone())),
        ("filters", Param::Sql(filters)),
    ])?;
    let (r, total) = futures::join!(
        engine.sql_with_udfs(&sql, &udfs),
        graph::total(engine, &rows, o)
    );
    let (r, total) = (r?, total?);
    let units = num_label_units(&lp.profile);
    let mut by_key: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for b in &r.batches {
        let (key, strs, nums, v) = (
            col_str(b, 0)?,
            col_str(b, 1)?,
            col_i64(b, 2)?,
            col_i64(b, 3)?,
        );
        for k in 0..b.num_rows() {
            let key = key[k].clone().unwrap_or_default();
            let value = match &strs[k] {
                Some(s) => s.clone(),
                None => {
                    let unit = units.get(&key).map_or(key.as_str(), String::as_str);
                    scaled_label(nums[k], unit, "minimum")
                }
            };
            *by_key.entry(key).or_default().entry(value).or_default() += v[k];
        }
    }
    let fmt = ValueFormat::per_value(&rows.sample_type.unit);
    let mut unmatched = rows.decisions.unmatched.clone();
    unmatched.extend(keys.unmatched(by_key.keys().map(String::as_str)));
    let out_keys = by_key
        .into_iter()
        .filter(|(k, _)| keys.keeps(k))
        .map(|(key, values)| {
            let key_total: i64 = values.values().sum();
            let mut values: Vec<TagValue> = values
                .into_iter()
                .map(|(value, weight)| TagValue {
                    value,
                    weight,
                    weight_fmt: fmt.format(weight),
                    pct: percentage(weight, total),
                })
                .collect();
            values.sort_by(|a, b| {
                b.weight
                    .abs()
                    .cmp(&a.weight.abs())
                    .then_with(|| a.value.cmp(&b.value))
            });
            TagKey {
                key,
                total: key_total,
                total_fmt: fmt.format(key_total),
                pct: percentage(key_total, total),
                values,
            }
        })
        .collect();
    Ok(TagsReport {
        profile: lp.source.clone(),
        sample_type: type_label(&rows.sample_type, o.mean),
        total_fmt: fmt.format(total),
        unit: fmt,
        total,
        keys: out_keys,
        warnings: super::reports::warnings(&unmatched),
    })
}
