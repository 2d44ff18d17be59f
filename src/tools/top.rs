//! `top` with raw integer values: flat and cum of every function, untrimmed.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;

use super::{resolve_sample_type, SampleType, ToolError};
use crate::engine::{CannedQuery, Engine, Param};

pub const TOP_SQL: CannedQuery = CannedQuery {
    name: "top",
    template: include_str!("../../sql/top.sql"),
};

pub const TOTALS_SQL: CannedQuery = CannedQuery {
    name: "totals",
    template: include_str!("../../sql/totals.sql"),
};

#[derive(Clone, Debug, Default)]
pub struct TopOptions {
    /// pprof's `-sample_index`: a type name or number; `None` for the default.
    pub sample_index: Option<String>,
    /// Sort by cum instead of flat.
    pub cum: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TopRow {
    pub name: String,
    pub flat: i64,
    pub cum: i64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct TopResult {
    pub profile: String,
    pub sample_type: SampleType,
    /// Signed sum of the sample type over all samples.
    pub total: i64,
    /// pprof's report total: the sum of absolute values.
    pub abs_total: i64,
    pub rows: Vec<TopRow>,
}

/// Totals of one sample type: (signed sum, sum of absolute values).
pub async fn totals(
    engine: &Engine,
    profile_id: u32,
    sample: &SampleType,
) -> Result<(i64, i64), ToolError> {
    let r = engine
        .run_canned(
            &TOTALS_SQL,
            &[
                ("profile_id", Param::Int(profile_id.into())),
                ("value", Param::Ident(sample.column.clone())),
            ],
        )
        .await?;
    let bad = |detail: &str| ToolError::Internal {
        query: TOTALS_SQL.name,
        detail: detail.to_string(),
    };
    let batch = r
        .batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| bad("no row"))?;
    let col = |i: usize| -> Result<i64, ToolError> {
        batch
            .column(i)
            .as_primitive_opt::<Int64Type>()
            .map(|a| a.value(0))
            .ok_or_else(|| bad("total is not an Int64"))
    };
    Ok((col(0)?, col(1)?))
}

pub async fn top(
    engine: &Engine,
    profile_id: u32,
    opts: &TopOptions,
) -> Result<TopResult, ToolError> {
    let lp = engine.profile(profile_id)?;
    let sample = resolve_sample_type(lp, opts.sample_index.as_deref())?;
    let params = [
        ("profile_id", Param::Int(profile_id.into())),
        ("value", Param::Ident(sample.column.clone())),
        ("by_cum", Param::Bool(opts.cum)),
    ];
    // The two queries are independent: run them side by side.
    let (result, totals) = futures::join!(
        engine.run_canned(&TOP_SQL, &params),
        totals(engine, profile_id, &sample)
    );
    let result = result?;
    let (total, abs_total) = totals?;
    let bad = |detail: String| ToolError::Internal {
        query: TOP_SQL.name,
        detail,
    };
    let mut rows = Vec::with_capacity(result.num_rows());
    for batch in &result.batches {
        // DataFusion may hand strings back as Utf8View; normalise before reading.
        let names = datafusion::arrow::compute::cast(
            batch.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .map_err(|e| bad(e.to_string()))?;
        let names = names
            .as_string_opt::<i32>()
            .ok_or_else(|| bad(format!("name is {}", batch.column(0).data_type())))?;
        let flat = batch
            .column(1)
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| bad("flat is not Int64".into()))?;
        let cum = batch
            .column(2)
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| bad("cum is not Int64".into()))?;
        for i in 0..batch.num_rows() {
            rows.push(TopRow {
                name: names.value(i).to_string(),
                flat: if flat.is_null(i) { 0 } else { flat.value(i) },
                cum: if cum.is_null(i) { 0 } else { cum.value(i) },
            });
        }
    }
    Ok(TopResult {
        profile: lp.source.clone(),
        sample_type: sample,
        total,
        abs_total,
        rows,
    })
}

/// The rows as a three-column result (name, flat, cum), for the generic writers.
pub fn rows_as_table(result: &TopResult) -> Result<crate::engine::QueryResult, ToolError> {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    let schema = Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("flat", DataType::Int64, false),
        Field::new("cum", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(
                result.rows.iter().map(|r| r.name.as_str()),
            )),
            Arc::new(Int64Array::from_iter_values(
                result.rows.iter().map(|r| r.flat),
            )),
            Arc::new(Int64Array::from_iter_values(
                result.rows.iter().map(|r| r.cum),
            )),
        ],
    )
    .map_err(|e| ToolError::Internal {
        query: TOP_SQL.name,
        detail: e.to_string(),
    })?;
    Ok(crate::engine::QueryResult {
        schema,
        batches: vec![batch],
    })
}
