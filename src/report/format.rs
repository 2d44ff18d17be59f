//! Text, CSV, JSON and NDJSON renderings of a query result.

use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_schema;

use super::ReportError;
use crate::engine::QueryResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
    Ndjson,
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            "ndjson" => Ok(Self::Ndjson),
            _ => Err(format!(
                "unknown format {s:?}: use table, csv, json or ndjson"
            )),
        }
    }
}

/// Dictionary columns become their value type: every writer then treats them as plain
/// strings. With `flatten_nested`, lists and structs become their display text (CSV has
/// no nested values).
fn plain_batches(
    r: &QueryResult,
    flatten_nested: bool,
) -> Result<(SchemaRef, Vec<RecordBatch>), ReportError> {
    let fields: Vec<Field> = r
        .schema
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::Dictionary(_, v) => v.as_ref().clone(),
                t if flatten_nested && t.is_nested() => DataType::Utf8,
                t => t.clone(),
            };
            Field::new(f.name(), t, f.is_nullable())
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let opts = FormatOptions::default();
    let mut out = Vec::with_capacity(r.batches.len());
    for b in &r.batches {
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(b.num_columns());
        for (col, field) in b.columns().iter().zip(schema.fields()) {
            if col.data_type() == field.data_type() {
                cols.push(col.clone());
            } else if col.data_type().is_nested() && field.data_type() == &DataType::Utf8 {
                let f = ArrayFormatter::try_new(col.as_ref(), &opts)?;
                let s: StringArray = (0..col.len())
                    .map(|i| (!col.is_null(i)).then(|| f.value(i).to_string()))
                    .collect();
                cols.push(Arc::new(s));
            } else {
                cols.push(cast(col, field.data_type())?);
            }
        }
        out.push(RecordBatch::try_new(schema.clone(), cols)?);
    }
    Ok((schema, out))
}

/// Writes `r` to `w` in the given format.
pub fn write_result(
    r: &QueryResult,
    format: OutputFormat,
    w: &mut dyn Write,
) -> Result<(), ReportError> {
    match format {
        OutputFormat::Table => {
            let (schema, batches) = plain_batches(r, false)?;
            writeln!(
                w,
                "{}",
                pretty_format_batches_with_schema(schema, &batches)?
            )?;
        }
        OutputFormat::Csv => {
            let (_, batches) = plain_batches(r, true)?;
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *w);
            if batches.is_empty() {
                let names: Vec<&str> = r
                    .schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect();
                drop(writer);
                writeln!(w, "{}", names.join(","))?;
            } else {
                for b in &batches {
                    writer.write(b)?;
                }
            }
        }
        OutputFormat::Json => {
            let (_, batches) = plain_batches(r, false)?;
            let mut writer = datafusion::arrow::json::ArrayWriter::new(&mut *w);
            for b in &batches {
                writer.write(b)?;
            }
            writer.finish()?;
            drop(writer);
            writeln!(w)?;
        }
        OutputFormat::Ndjson => {
            let (_, batches) = plain_batches(r, false)?;
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(&mut *w);
            for b in &batches {
                writer.write(b)?;
            }
            writer.finish()?;
        }
    }
    Ok(())
}
