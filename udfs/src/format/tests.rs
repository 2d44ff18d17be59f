use std::sync::Arc;

use datafusion::arrow::array::Float64Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDFImpl};

use super::FormatValue;
use crate::test_util::*;

#[test]
fn int_column_with_scalar_unit() {
    let udf = FormatValue::new();
    let values = ints(&[
        Some(1_100_000_000),
        Some(10_000_000),
        Some(0),
        None,
        Some(-1500),
    ]);
    let out = invoke(&udf, vec![values, utf8(Some("nanoseconds"))], 5).unwrap();
    assert_eq!(
        strs(out),
        owned(&[
            Some("1.10s"),
            Some("10ms"),
            Some("0"),
            None,
            Some("-1.50us")
        ])
    );
}

#[test]
fn bytes_and_counts() {
    let udf = FormatValue::new();
    let values = ints(&[Some(65_536_000), Some(1_024_000), Some(512)]);
    let out = invoke(&udf, vec![values.clone(), utf8(Some("bytes"))], 3).unwrap();
    assert_eq!(
        strs(out),
        owned(&[Some("62.50MB"), Some("1000kB"), Some("512B")])
    );
    let out = invoke(&udf, vec![values, utf8(Some("count"))], 3).unwrap();
    assert_eq!(
        strs(out),
        owned(&[Some("65536000"), Some("1024000"), Some("512")])
    );
}

#[test]
fn unit_column_per_row() {
    let udf = FormatValue::new();
    let values = ints(&[Some(2048), Some(2048), Some(2048), Some(42), Some(7)]);
    let units = strings(&[
        Some("bytes"),
        Some("samples"),
        None,
        Some("widgets"),
        Some("bytes"),
    ]);
    let out = invoke(&udf, vec![values, units], 5).unwrap();
    assert_eq!(
        strs(out),
        owned(&[
            Some("2kB"),
            Some("2048"),
            None,
            Some("42 widgets"),
            Some("7B")
        ])
    );
}

#[test]
fn null_unit_gives_nulls() {
    let udf = FormatValue::new();
    let out = invoke(&udf, vec![ints(&[Some(1), None]), utf8(None)], 2).unwrap();
    assert_eq!(strs(out), owned(&[None, None]));
}

#[test]
fn float_values() {
    let udf = FormatValue::new();
    let values = ColumnarValue::Array(Arc::new(Float64Array::from(vec![
        Some(1.5),
        Some(0.5),
        None,
        Some(-0.001),
    ])));
    let out = invoke(&udf, vec![values, utf8(Some("ms"))], 4).unwrap();
    assert_eq!(
        strs(out),
        owned(&[Some("1.50ms"), Some("500us"), None, Some("-1us")])
    );
}

#[test]
fn all_scalar_returns_scalar() {
    let udf = FormatValue::new();
    let out = invoke(
        &udf,
        vec![int(Some(3_600_000_000_000)), utf8(Some("ns"))],
        1,
    )
    .unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(Some("1hrs".into())));
    let value = ColumnarValue::Scalar(ScalarValue::Float64(Some(2.25)));
    let out = invoke(&udf, vec![value, utf8(Some("count"))], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(Some("2.25".into())));
    let out = invoke(&udf, vec![int(None), utf8(Some("ns"))], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(None));
}

#[test]
fn scalar_value_with_unit_column() {
    let udf = FormatValue::new();
    let units = strings(&[Some("bytes"), Some("nanoseconds")]);
    let out = invoke(&udf, vec![int(Some(1024)), units], 2).unwrap();
    assert_eq!(strs(out), owned(&[Some("1kB"), Some("1.02us")]));
}

#[test]
fn coercion_and_docs() {
    let udf = FormatValue::new();
    let coerced = udf
        .coerce_types(&[DataType::UInt32, DataType::Utf8View])
        .unwrap();
    assert_eq!(coerced, vec![DataType::Int64, DataType::Utf8]);
    let coerced = udf
        .coerce_types(&[DataType::Float32, DataType::Utf8])
        .unwrap();
    assert_eq!(coerced, vec![DataType::Float64, DataType::Utf8]);
    let coerced = udf
        .coerce_types(&[DataType::Decimal128(10, 2), DataType::Null])
        .unwrap();
    assert_eq!(coerced, vec![DataType::Float64, DataType::Utf8]);
    assert!(udf.coerce_types(&[DataType::Utf8, DataType::Utf8]).is_err());
    assert!(udf.coerce_types(&[DataType::Int64]).is_err());
    let doc = udf.documentation().unwrap();
    assert!(doc.syntax_example.starts_with("format_value"));
    assert_eq!(doc.arguments.as_ref().map(Vec::len), Some(2));
}
