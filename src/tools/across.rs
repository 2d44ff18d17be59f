//! Questions across several profiles of one engine, each answered by one query:
//! a function's flat and cum in every profile (`function_history`), and every function
//! before and after (`compare`).

use serde::Serialize;

use super::{columns, SampleType, ToolError};
use crate::engine::{CannedQuery, Engine, Param, QueryResult};

pub const FUNCTION_HISTORY_SQL: CannedQuery = CannedQuery {
    name: "function_history",
    template: include_str!("../../sql/across/function_history.sql"),
};

pub const COMPARE_SQL: CannedQuery = CannedQuery {
    name: "compare",
    template: include_str!("../../sql/across/compare.sql"),
};

/// One profile's match (or its absence: `name` None).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HistoryRow {
    pub profile_id: u32,
    pub name: Option<String>,
    pub flat: i64,
    pub cum: i64,
    /// The profile's report total (sum of absolute values).
    pub total: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CompareRow {
    pub name: String,
    pub before_flat: i64,
    pub after_flat: i64,
    /// after_flat - before_flat.
    pub delta: i64,
    pub before_cum: i64,
    pub after_cum: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub before_total: i64,
    pub after_total: i64,
    /// Every function present in either profile, largest |delta| first.
    pub rows: Vec<CompareRow>,
    /// The query that computed it.
    pub sql: String,
}

struct Columns<'a> {
    query: &'static str,
    result: &'a QueryResult,
}

impl Columns<'_> {
    fn bad(&self, detail: String) -> ToolError {
        ToolError::Internal {
            query: self.query,
            detail,
        }
    }

    fn ints(&self, b: usize, i: usize) -> Result<Vec<Option<i64>>, ToolError> {
        columns::int64s(self.result.batches[b].column(i)).map_err(|e| self.bad(e))
    }

    fn ids(&self, b: usize, i: usize) -> Result<Vec<u32>, ToolError> {
        columns::u32s(self.result.batches[b].column(i)).map_err(|e| self.bad(e))
    }

    fn strings(&self, b: usize, i: usize) -> Result<Vec<Option<String>>, ToolError> {
        columns::texts(self.result.batches[b].column(i)).map_err(|e| self.bad(e))
    }
}

fn id_list(ids: &[u32]) -> String {
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_regex(pattern: &str) -> Result<(), ToolError> {
    regex::Regex::new(pattern)
        .map(|_| ())
        .map_err(|e| ToolError::InvalidArgument(format!("function regex {pattern:?}: {e}")))
}

/// The functions matching `pattern` in each profile of `ids`, heaviest flat first per
/// profile; returns the rows and the query text.
pub async fn function_history(
    engine: &Engine,
    ids: &[u32],
    pattern: &str,
    sample: &SampleType,
) -> Result<(Vec<HistoryRow>, String), ToolError> {
    check_regex(pattern)?;
    if ids.is_empty() {
        return Ok((Vec::new(), String::new()));
    }
    let sql = FUNCTION_HISTORY_SQL.render(&[
        ("profile_ids", Param::Sql(id_list(ids))),
        ("value", Param::Ident(sample.column.clone())),
        ("pattern", Param::Str(pattern.to_string())),
    ])?;
    let result = engine.sql(&sql).await?;
    let c = Columns {
        query: FUNCTION_HISTORY_SQL.name,
        result: &result,
    };
    let mut rows = Vec::new();
    for b in 0..result.batches.len() {
        let (ids, names, flat, cum, total) = (
            c.ids(b, 0)?,
            c.strings(b, 1)?,
            c.ints(b, 2)?,
            c.ints(b, 3)?,
            c.ints(b, 4)?,
        );
        for r in 0..ids.len() {
            rows.push(HistoryRow {
                profile_id: ids[r],
                name: names[r].clone(),
                flat: flat[r].unwrap_or(0),
                cum: cum[r].unwrap_or(0),
                total: total[r].unwrap_or(0),
            });
        }
    }
    Ok((rows, sql))
}

/// Every function of `before` and `after` side by side.
pub async fn compare(
    engine: &Engine,
    before: u32,
    after: u32,
    sample: &SampleType,
) -> Result<Comparison, ToolError> {
    let sql = COMPARE_SQL.render(&[
        ("before", Param::Int(before.into())),
        ("after", Param::Int(after.into())),
        ("value", Param::Ident(sample.column.clone())),
    ])?;
    let result = engine.sql(&sql).await?;
    let c = Columns {
        query: COMPARE_SQL.name,
        result: &result,
    };
    let mut rows = Vec::new();
    let (mut before_total, mut after_total) = (0, 0);
    for b in 0..result.batches.len() {
        let names = c.strings(b, 0)?;
        let cols: Vec<Vec<Option<i64>>> = (1..8).map(|i| c.ints(b, i)).collect::<Result<_, _>>()?;
        let v = |i: usize, r: usize| cols[i][r].unwrap_or(0);
        for (r, name) in names.into_iter().enumerate() {
            before_total = v(5, r);
            after_total = v(6, r);
            rows.push(CompareRow {
                name: name.unwrap_or_default(),
                before_flat: v(0, r),
                after_flat: v(1, r),
                delta: v(2, r),
                before_cum: v(3, r),
                after_cum: v(4, r),
            });
        }
    }
    Ok(Comparison {
        before_total,
        after_total,
        rows,
        sql,
    })
}
