//! Framework and runtime overhead: the share of a profile under logging, tracing,
//! serialization, RPC frameworks, GC ... (`overhead_report`), and what each category
//! means and where it shows in a profile (`explain_overhead`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::knowledge::{self, OverheadCategory};
use super::values::format_value;
use super::{pct, round2};
use crate::engine::{Engine, Param};
use crate::tools::{SampleType, ToolError};

analysis_sql!(OVERHEAD_SQL, "overhead_categories");
analysis_sql!(CATEGORY_FUNCTIONS_SQL, "category_functions");

fn values_list(rows: &[(i64, String)]) -> String {
    rows.iter()
        .map(|(ord, re)| format!("({ord}, '{}')", re.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bad(query: &'static str, detail: String) -> ToolError {
    ToolError::Internal { query, detail }
}

/// Shares per category (ord -> value), with ord -1 the profile total.
pub(crate) async fn shares(
    engine: &Engine,
    id: u32,
    st: &SampleType,
    cats: &[(i64, String)],
) -> Result<BTreeMap<i64, i64>, ToolError> {
    let sql = OVERHEAD_SQL.render(&[
        ("categories", Param::Sql(values_list(cats))),
        ("value", Param::Ident(st.column.clone())),
        ("id", Param::Int(id.into())),
    ])?;
    let r = engine.sql(&sql).await?;
    let mut out = BTreeMap::new();
    for b in &r.batches {
        let ords = int_column(b, 0).map_err(|e| bad(OVERHEAD_SQL.name, e))?;
        let vals = int_column(b, 1).map_err(|e| bad(OVERHEAD_SQL.name, e))?;
        for (o, v) in ords.into_iter().zip(vals) {
            out.insert(o, v);
        }
    }
    Ok(out)
}

/// Functions matching each category, heaviest cum first (ord -> [(name, cum)]).
pub(crate) async fn functions(
    engine: &Engine,
    id: u32,
    st: &SampleType,
    cats: &[(i64, String)],
) -> Result<BTreeMap<i64, Vec<(String, i64)>>, ToolError> {
    let sql = CATEGORY_FUNCTIONS_SQL.render(&[
        ("categories", Param::Sql(values_list(cats))),
        ("value", Param::Ident(st.column.clone())),
        ("id", Param::Int(id.into())),
    ])?;
    let r = engine.sql(&sql).await?;
    let mut out: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    for b in &r.batches {
        let q = CATEGORY_FUNCTIONS_SQL.name;
        let ords = int_column(b, 0).map_err(|e| bad(q, e))?;
        let names = text_column(b, 1).map_err(|e| bad(q, e))?;
        let cums = int_column(b, 2).map_err(|e| bad(q, e))?;
        for ((o, n), c) in ords.into_iter().zip(names).zip(cums) {
            out.entry(o).or_default().push((n, c));
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
    }
    Ok(out)
}

/// Column `i` of a batch as integers (NULL as 0).
pub(crate) fn int_column(
    b: &datafusion::arrow::array::RecordBatch,
    i: usize,
) -> Result<Vec<i64>, String> {
    crate::tools::columns::int64s_or_zero(b.column(i))
}

/// Column `i` of a batch as text (NULL as "").
pub(crate) fn text_column(
    b: &datafusion::arrow::array::RecordBatch,
    i: usize,
) -> Result<Vec<String>, String> {
    Ok(crate::tools::columns::texts(b.column(i))?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TopFunction {
    pub function: String,
    pub cum: i64,
    pub cum_str: String,
    pub percentage: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Detection {
    pub category: String,
    pub description: String,
    pub value: i64,
    pub value_str: String,
    pub percentage: f64,
    pub top_functions: Vec<TopFunction>,
    pub severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OverheadReport {
    pub profile_kind: String,
    pub sample_type: String,
    pub unit: String,
    pub total_value: i64,
    pub total_value_str: String,
    /// Categories holding at least 1%, largest first.
    pub detections: Vec<Detection>,
    /// The share of the profile under any category (each sample once): at most 100.
    pub total_overhead_pct: f64,
    pub warnings: Vec<String>,
    pub hints: Vec<String>,
}

fn severity(p: f64) -> &'static str {
    if p >= 15.0 {
        "high"
    } else if p >= 5.0 {
        "medium"
    } else {
        "low"
    }
}

fn top_functions(
    list: Option<&Vec<(String, i64)>>,
    total: i64,
    unit: &str,
    n: usize,
) -> Vec<TopFunction> {
    list.map(|l| {
        l.iter()
            .take(n)
            .map(|(f, c)| TopFunction {
                function: f.clone(),
                cum: *c,
                cum_str: format_value(*c, unit),
                percentage: round2(pct(*c, total)),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn ords(cats: &[OverheadCategory]) -> Vec<(i64, String)> {
    let mut rows: Vec<(i64, String)> = cats
        .iter()
        .enumerate()
        .map(|(i, c)| (i as i64 + 1, c.regex()))
        .collect();
    let all: Vec<String> = cats.iter().flat_map(|c| c.patterns.clone()).collect();
    rows.push((0, knowledge::substrings_regex(&all)));
    rows
}

pub async fn report(
    engine: &Engine,
    id: u32,
    st: &SampleType,
    kind: &str,
) -> Result<OverheadReport, ToolError> {
    let cats = knowledge::overhead_categories();
    let rows = ords(cats);
    let shares = shares(engine, id, st, &rows).await?;
    let funcs = functions(engine, id, st, &rows).await?;
    let total = shares.get(&-1).copied().unwrap_or(0);
    let any = shares.get(&0).copied().unwrap_or(0);
    let mut detections = Vec::new();
    for (i, c) in cats.iter().enumerate() {
        let ord = i as i64 + 1;
        let value = shares.get(&ord).copied().unwrap_or(0);
        let p = round2(pct(value, total));
        if p < 1.0 {
            continue;
        }
        detections.push(Detection {
            category: c.name.clone(),
            description: c.description.clone(),
            value,
            value_str: format_value(value, &st.unit),
            percentage: p,
            top_functions: top_functions(funcs.get(&ord), total, &st.unit, 3),
            severity: severity(p),
            suggestion: (p >= 10.0).then(|| c.suggestion.clone()),
        });
    }
    detections.sort_by(|a, b| {
        b.percentage
            .total_cmp(&a.percentage)
            .then_with(|| a.category.cmp(&b.category))
    });
    let total_overhead_pct = round2(pct(any, total));
    let mut warnings = Vec::new();
    let mut hints = Vec::new();
    if total_overhead_pct > 30.0 {
        warnings.push(format!(
            "{total_overhead_pct:.1}% of the profile is under framework or runtime code; \
             categories overlap (a handler under gRPC that logs counts in both)"
        ));
    }
    if total_overhead_pct > 20.0 {
        hints.push(
            "Look at the largest category's top functions with pprof.peek to see which callers \
             drive it."
                .to_string(),
        );
    }
    for d in detections.iter().filter(|d| d.severity == "high") {
        if let Some(s) = &d.suggestion {
            hints.push(format!("{}: {s}", d.category));
        }
    }
    Ok(OverheadReport {
        profile_kind: kind.to_string(),
        sample_type: st.r#type.clone(),
        unit: st.unit.clone(),
        total_value: total,
        total_value_str: format_value(total, &st.unit),
        detections,
        total_overhead_pct,
        warnings,
        hints,
    })
}

#[derive(Clone, Copy, Debug, Default, serde::Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DetailLevel {
    Brief,
    #[default]
    Standard,
    Detailed,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InProfile {
    pub sample_type: String,
    /// The share of samples under the category (each sample once).
    pub total_pct: f64,
    pub top_contributors: Vec<TopFunction>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Explanation {
    /// "category" or "function".
    pub kind: &'static str,
    pub name: String,
    pub category: String,
    pub patterns: Vec<String>,
    pub explanation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_your_profile: Option<InProfile>,
}

/// The explanation of a category or function (case-insensitive name, or a function
/// name containing an explained function's pattern); an unknown name is an error that
/// lists the known ones.
pub fn explain(
    category: Option<&str>,
    function: Option<&str>,
    level: DetailLevel,
) -> Result<Explanation, ToolError> {
    let pick = |b: &str, s: &str, d: &str| match level {
        DetailLevel::Brief => b.to_string(),
        DetailLevel::Standard => s.to_string(),
        DetailLevel::Detailed => format!("{s}\n\n{d}"),
    };
    let cats = knowledge::overhead_categories();
    if let Some(f) = function {
        let lower = f.to_lowercase();
        let found = knowledge::explained_functions().iter().find(|e| {
            e.name.eq_ignore_ascii_case(f)
                || e.patterns.iter().any(|p| lower.contains(&p.to_lowercase()))
        });
        if let Some(e) = found {
            return Ok(Explanation {
                kind: "function",
                name: e.name.clone(),
                category: e.category.clone(),
                patterns: e.patterns.clone(),
                explanation: pick(&e.brief, &e.standard, &e.detailed),
                suggestion: cats
                    .iter()
                    .find(|c| c.name == e.category)
                    .map(|c| c.suggestion.clone()),
                in_your_profile: None,
            });
        }
        // A function of a category's packages is explained by its category.
        if let Some(c) = cats
            .iter()
            .find(|c| c.patterns.iter().any(|p| f.contains(p.as_str())))
        {
            return Ok(category_explanation(
                c,
                "function",
                f,
                pick(&c.brief, &c.standard, &c.detailed),
            ));
        }
        if category.is_none() {
            return Err(ToolError::InvalidArgument(format!(
                "no explanation for function {f:?}; explained functions: {}; or name a category: {}",
                knowledge::explained_functions()
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                category_names()
            )));
        }
    }
    let Some(name) = category else {
        return Err(ToolError::InvalidArgument(
            "give a category or a function to explain".into(),
        ));
    };
    let c = cats
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            ToolError::InvalidArgument(format!(
                "unknown category {name:?}; known categories: {}",
                category_names()
            ))
        })?;
    Ok(category_explanation(
        c,
        "category",
        &c.name,
        pick(&c.brief, &c.standard, &c.detailed),
    ))
}

fn category_explanation(
    c: &OverheadCategory,
    kind: &'static str,
    name: &str,
    text: String,
) -> Explanation {
    Explanation {
        kind,
        name: name.to_string(),
        category: c.name.clone(),
        patterns: c.patterns.clone(),
        explanation: text,
        suggestion: Some(c.suggestion.clone()),
        in_your_profile: None,
    }
}

pub fn category_names() -> String {
    knowledge::overhead_categories()
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the explained category shows in a profile: its share and top 10 functions.
pub async fn in_profile(
    engine: &Engine,
    id: u32,
    st: &SampleType,
    e: &Explanation,
) -> Result<InProfile, ToolError> {
    let rows = vec![(1, knowledge::substrings_regex(&e.patterns))];
    let shares = shares(engine, id, st, &rows).await?;
    let funcs = functions(engine, id, st, &rows).await?;
    let total = shares.get(&-1).copied().unwrap_or(0);
    Ok(InProfile {
        sample_type: st.r#type.clone(),
        total_pct: round2(pct(shares.get(&1).copied().unwrap_or(0), total)),
        top_contributors: top_functions(funcs.get(&1), total, &st.unit, 10),
    })
}
