//! Human-readable sample values: `format_value`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::{as_float64_array, as_int64_array};
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, Documentation};

use crate::common::{arg_array, coerce_string, scalar_str, scalar_udf, utf8_arg, DOC_SECTION};
use crate::units::{Quantity, Unit};

scalar_udf! {
    /// `format_value(v, unit) -> Utf8`: `v` labelled like pprof, e.g.
    /// `format_value(1100000000, 'nanoseconds')` = `'1.10s'`.
    pub struct FormatValue {}
    name: "format_value",
    args: [coerce_number, coerce_string],
    returns: DataType::Utf8,
    doc: FORMAT_VALUE_DOC,
}

/// Coercion target for the value: floats keep their fraction.
fn coerce_number(name: &str, arg: &DataType) -> Result<DataType> {
    match arg {
        t if t.is_integer() || t == &DataType::Null => Ok(DataType::Int64),
        t if t.is_floating() || t.is_decimal() => Ok(DataType::Float64),
        other => plan_err!("{name}: expected a number, got {other}"),
    }
}

static FORMAT_VALUE_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Formats a sample value the way pprof labels it. Time units (ns, us, ms, s, hrs) \
         and byte units (B, kB, MB, GB, TB, PB; factor 1024) are scaled to the largest \
         unit in which the value is at least 1, printed with two decimals, a trailing \
         `.00` dropped, and the unit appended without a space. Unit names are \
         case-insensitive and may be plural ('nanoseconds', 'bytes'). Counts ('count', \
         'samples', 'unit', '') print as bare numbers; any other unit is appended after \
         a space. Zero prints as '0'.",
        "format_value(v, unit)",
    )
    .with_sql_example(
        "```sql\n> SELECT format_value(1100000000, 'nanoseconds'), format_value(65536000, 'bytes');\n-- '1.10s', '62.50MB'\n```",
    )
    .with_argument("v", "Integer or floating-point value, expressed in `unit`.")
    .with_argument("unit", "Unit of `v`, as in a pprof sample type (e.g. 'nanoseconds').")
    .build()
});

/// Labels every row of `values` with the per-row `unit_of(row)`.
fn label_rows<'a>(
    values: &ArrayRef,
    rows: usize,
    mut unit_of: impl FnMut(usize) -> Option<&'a Unit>,
) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    // Float input keeps its fraction; anything else was coerced to Int64.
    if values.data_type() == &DataType::Float64 {
        let values = as_float64_array(values.as_ref())?;
        for (row, v) in values.iter().enumerate() {
            out.append_option(
                v.zip(unit_of(row))
                    .map(|(v, u)| u.label(Quantity::Float(v))),
            );
        }
    } else {
        let values = as_int64_array(values.as_ref())?;
        for (row, v) in values.iter().enumerate() {
            out.append_option(v.zip(unit_of(row)).map(|(v, u)| u.label(Quantity::Int(v))));
        }
    }
    Ok(Arc::new(out.finish()))
}

impl FormatValue {
    fn eval(&self, [value, unit]: &[ColumnarValue; 2], rows: usize) -> Result<ArrayRef> {
        let target = if value.data_type().is_floating() {
            DataType::Float64
        } else {
            DataType::Int64
        };
        let values = arg_array(value, rows, &target)?;

        if let Some(unit) = scalar_str(unit) {
            // One unit for all rows (the usual case): parse it once.
            let unit = unit.map(Unit::parse);
            label_rows(&values, rows, |_| unit.as_ref())
        } else {
            let units = utf8_arg(unit, rows)?;
            // Units repeat across rows (one per sample type), so parse each
            // distinct name once.
            let mut distinct: Vec<Unit> = Vec::new();
            let mut seen: HashMap<&str, usize> = HashMap::new();
            let unit_index: Vec<Option<usize>> = units
                .iter()
                .map(|u| {
                    u.map(|u| {
                        *seen.entry(u).or_insert_with(|| {
                            distinct.push(Unit::parse(u));
                            distinct.len() - 1
                        })
                    })
                })
                .collect();
            label_rows(&values, rows, |row| {
                unit_index
                    .get(row)
                    .copied()
                    .flatten()
                    .and_then(|i| distinct.get(i))
            })
        }
    }
}

#[cfg(test)]
mod tests;
