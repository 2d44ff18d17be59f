//! Helpers for the unit tests: building stacks and invoking UDFs directly.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int64Array, ListArray, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::Field;
use datafusion::common::config::ConfigOptions;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

/// A `List<Utf8>` array; `None` rows are NULL stacks, `None` frames NULL frames.
pub fn stacks_with_null_frames(rows: &[Option<Vec<Option<&str>>>]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for row in rows {
        match row {
            Some(frames) => {
                for f in frames {
                    b.values().append_option(*f);
                }
                b.append(true);
            }
            None => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

/// A `List<Utf8>` array; `None` rows are NULL stacks.
pub fn stacks(rows: &[Option<&[&str]>]) -> ArrayRef {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| r.map(|frames| frames.iter().map(|f| Some(*f)).collect()))
        .collect();
    stacks_with_null_frames(&rows)
}

/// One stack as a scalar.
pub fn stack_scalar(frames: &[&str]) -> ColumnarValue {
    let array = stacks(&[Some(frames)]);
    ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0).unwrap())
}

pub fn arr(a: ArrayRef) -> ColumnarValue {
    ColumnarValue::Array(a)
}

pub fn utf8(s: Option<&str>) -> ColumnarValue {
    ColumnarValue::Scalar(ScalarValue::Utf8(s.map(str::to_owned)))
}

pub fn int(i: Option<i64>) -> ColumnarValue {
    ColumnarValue::Scalar(ScalarValue::Int64(i))
}

pub fn strings(values: &[Option<&str>]) -> ColumnarValue {
    ColumnarValue::Array(Arc::new(StringArray::from(values.to_vec())))
}

pub fn ints(values: &[Option<i64>]) -> ColumnarValue {
    ColumnarValue::Array(Arc::new(Int64Array::from(values.to_vec())))
}

/// Calls `udf` as the executor would, with `rows` rows in the batch.
pub fn invoke(
    udf: &dyn ScalarUDFImpl,
    args: Vec<ColumnarValue>,
    rows: usize,
) -> Result<ColumnarValue> {
    let arg_fields: Vec<_> = args
        .iter()
        .enumerate()
        .map(|(i, a)| Arc::new(Field::new(format!("arg{i}"), a.data_type(), true)))
        .collect();
    let types: Vec<_> = args.iter().map(|a| a.data_type()).collect();
    let return_field = Arc::new(Field::new(udf.name(), udf.return_type(&types)?, true));
    udf.invoke_with_args(ScalarFunctionArgs {
        args,
        arg_fields,
        number_rows: rows,
        return_field,
        config_options: Arc::new(ConfigOptions::default()),
    })
}

/// The result as an array; panics on a scalar so tests see the shape.
pub fn as_array(v: ColumnarValue) -> ArrayRef {
    match v {
        ColumnarValue::Array(a) => a,
        ColumnarValue::Scalar(s) => panic!("expected an array, got scalar {s:?}"),
    }
}

/// The result as a scalar; panics on an array.
pub fn as_scalar(v: ColumnarValue) -> ScalarValue {
    match v {
        ColumnarValue::Scalar(s) => s,
        ColumnarValue::Array(a) => panic!("expected a scalar, got array {a:?}"),
    }
}

pub fn bools(v: ColumnarValue) -> Vec<Option<bool>> {
    let a = as_array(v);
    let a = a.as_any().downcast_ref::<BooleanArray>().unwrap();
    a.iter().collect()
}

pub fn i64s(v: ColumnarValue) -> Vec<Option<i64>> {
    let a = as_array(v);
    let a = a.as_any().downcast_ref::<Int64Array>().unwrap();
    a.iter().collect()
}

pub fn strs(v: ColumnarValue) -> Vec<Option<String>> {
    let a = as_array(v);
    let a = a.as_any().downcast_ref::<StringArray>().unwrap();
    a.iter().map(|s| s.map(str::to_owned)).collect()
}

/// Rows of a `List<Utf8>` result; NULL frames appear as `None`.
pub fn lists(v: ColumnarValue) -> Vec<Option<Vec<Option<String>>>> {
    let a = as_array(v);
    let a = a.as_any().downcast_ref::<ListArray>().unwrap();
    (0..a.len())
        .map(|i| {
            if a.is_null(i) {
                return None;
            }
            let row = a.value(i);
            let row = row.as_any().downcast_ref::<StringArray>().unwrap();
            Some(row.iter().map(|s| s.map(str::to_owned)).collect())
        })
        .collect()
}

/// Owned copy of expected strings, for comparing against `strs`.
pub fn owned(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|s| s.map(str::to_owned)).collect()
}
