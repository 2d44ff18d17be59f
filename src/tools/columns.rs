//! Reading query result columns into plain vectors (cast first, so any integer or string
//! encoding a query produces is accepted). Errors are the cast's text; callers name the
//! query.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt32Type, UInt64Type};

fn cast_to(a: &ArrayRef, to: &DataType) -> Result<ArrayRef, String> {
    cast(a, to).map_err(|e| e.to_string())
}

/// Integers, NULL as None.
pub fn int64s(a: &ArrayRef) -> Result<Vec<Option<i64>>, String> {
    let a = cast_to(a, &DataType::Int64)?;
    let a = a.as_primitive_opt::<Int64Type>().ok_or("not integers")?;
    Ok(a.iter().collect())
}

/// Integers, NULL as 0.
pub fn int64s_or_zero(a: &ArrayRef) -> Result<Vec<i64>, String> {
    Ok(int64s(a)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

/// Unsigned ids, NULL as 0 (positions stay aligned with list offsets).
pub fn u64s(a: &ArrayRef) -> Result<Vec<u64>, String> {
    let a = cast_to(a, &DataType::UInt64)?;
    let a = a.as_primitive_opt::<UInt64Type>().ok_or("not integers")?;
    Ok(a.iter().map(Option::unwrap_or_default).collect())
}

/// Profile ids (never NULL in the tables).
pub fn u32s(a: &ArrayRef) -> Result<Vec<u32>, String> {
    let a = cast_to(a, &DataType::UInt32)?;
    let a = a.as_primitive_opt::<UInt32Type>().ok_or("not integers")?;
    Ok(a.values().to_vec())
}

/// Text, NULL as None.
pub fn texts(a: &ArrayRef) -> Result<Vec<Option<String>>, String> {
    let a = cast_to(a, &DataType::Utf8)?;
    let a = a.as_string_opt::<i32>().ok_or("not text")?;
    Ok(a.iter().map(|v| v.map(str::to_string)).collect())
}
