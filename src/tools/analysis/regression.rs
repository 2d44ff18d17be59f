//! CI checks on a profile: a function's flat or cum share must stay under a threshold.

use serde::{Deserialize, Serialize};

use super::{pct, round2, user_regex};
use crate::engine::Engine;
use crate::tools::pprof::{self, ReportOptions};
use crate::tools::ToolError;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    FlatPct,
    CumPct,
}

#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Regex over function names (RE2, unanchored, like pprof's focus).
    pub function: String,
    pub metric: Metric,
    /// Highest allowed percentage of the profile total.
    #[schemars(range(min = 0.0))]
    pub max: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CheckResult {
    pub function: String,
    pub metric: Metric,
    pub threshold: f64,
    /// The largest share among the functions the regex matches (0 when none).
    pub actual: f64,
    /// The function that has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_function: Option<String>,
    pub matched_functions: usize,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RegressionReport {
    pub passed: bool,
    pub sample_type: String,
    pub checks: Vec<CheckResult>,
}

/// Runs each check against every function of the profile (no trimming): the measured
/// value is the largest flat or cum share, of the whole profile's total, among the
/// functions whose names match the check's regex.
pub async fn check(
    engine: &Engine,
    id: u32,
    sample_index: Option<&str>,
    checks: &[Check],
) -> Result<RegressionReport, ToolError> {
    if checks.is_empty() {
        return Err(ToolError::InvalidArgument("give at least one check".into()));
    }
    let o = ReportOptions {
        sample_index: sample_index.map(str::to_string),
        nodecount: 0,
        nodefraction: 0.0,
        edgefraction: 0.0,
        ..ReportOptions::default()
    };
    let top = pprof::top(engine, id, &o).await?;
    let mut out = Vec::new();
    for c in checks {
        if c.max.is_nan() || c.max < 0.0 {
            return Err(ToolError::InvalidArgument(format!(
                "check {:?}: max must be >= 0",
                c.function
            )));
        }
        let re = user_regex("checks.function", &c.function)?;
        let matched: Vec<(&str, f64)> = top
            .rows
            .iter()
            .filter(|r| re.is_match(&r.name))
            .map(|r| {
                let v = match c.metric {
                    Metric::FlatPct => r.flat,
                    Metric::CumPct => r.cum,
                };
                (r.name.as_str(), round2(pct(v, top.total)))
            })
            .collect();
        let best = matched
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)));
        let actual = best.map_or(0.0, |b| b.1);
        let passed = actual <= c.max;
        let metric = match c.metric {
            Metric::FlatPct => "flat_pct",
            Metric::CumPct => "cum_pct",
        };
        out.push(CheckResult {
            function: c.function.clone(),
            metric: c.metric,
            threshold: c.max,
            actual,
            matched_function: best.map(|b| b.0.to_string()),
            matched_functions: matched.len(),
            passed,
            message: if passed {
                None
            } else {
                Some(format!(
                    "{} {metric} ({actual:.2}%) exceeds threshold ({:.2}%)",
                    best.map_or(c.function.as_str(), |b| b.0),
                    c.max
                ))
            },
        });
    }
    Ok(RegressionReport {
        passed: out.iter().all(|c| c.passed),
        sample_type: top.sample_type.clone(),
        checks: out,
    })
}
