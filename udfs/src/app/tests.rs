use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDFImpl};

use super::{parse_prefixes, IsAppFrame};
use crate::test_util::*;

#[test]
fn parse_prefixes_trims_and_drops_empty_entries() {
    let parsed: Vec<&str> = parse_prefixes(" main. ,, github.com/acme/ ,").collect();
    assert_eq!(parsed, vec!["main.", "github.com/acme/"]);
    assert_eq!(parse_prefixes("").count(), 0);
    assert_eq!(parse_prefixes(" , ,").count(), 0);
}

#[test]
fn scalar_prefixes_over_names() {
    let udf = IsAppFrame::new();
    let names = strings(&[
        Some("main.main"),
        Some("github.com/acme/api.Serve"),
        Some("runtime.mallocgc"),
        None,
        Some(""),
    ]);
    let out = invoke(
        &udf,
        vec![names, utf8(Some("main., github.com/acme/ ,"))],
        5,
    )
    .unwrap();
    assert_eq!(
        bools(out),
        vec![Some(true), Some(true), Some(false), None, Some(false)]
    );
}

#[test]
fn empty_prefix_list_matches_nothing() {
    let udf = IsAppFrame::new();
    let names = strings(&[Some("main.main"), Some("")]);
    for list in ["", " , ,"] {
        let out = invoke(&udf, vec![names.clone(), utf8(Some(list))], 2).unwrap();
        assert_eq!(bools(out), vec![Some(false), Some(false)], "list {list:?}");
    }
}

#[test]
fn null_prefixes_give_nulls() {
    let udf = IsAppFrame::new();
    let names = strings(&[Some("main.main"), None]);
    let out = invoke(&udf, vec![names.clone(), utf8(None)], 2).unwrap();
    assert_eq!(bools(out), vec![None, None]);
    let out = invoke(
        &udf,
        vec![names, ColumnarValue::Scalar(ScalarValue::Null)],
        2,
    )
    .unwrap();
    assert_eq!(bools(out), vec![None, None]);
}

#[test]
fn prefix_column_per_row() {
    let udf = IsAppFrame::new();
    let names = strings(&[Some("app.run"), Some("app.run"), Some("lib.x"), None]);
    let prefixes = strings(&[Some("app."), Some("lib."), None, Some("app.")]);
    let out = invoke(&udf, vec![names, prefixes], 4).unwrap();
    assert_eq!(bools(out), vec![Some(true), Some(false), None, None]);
}

#[test]
fn scalar_name_with_prefix_column() {
    let udf = IsAppFrame::new();
    let prefixes = strings(&[Some("app."), Some("x,ap")]);
    let out = invoke(&udf, vec![utf8(Some("app.run")), prefixes], 2).unwrap();
    assert_eq!(bools(out), vec![Some(true), Some(true)]);
}

#[test]
fn all_scalar_returns_scalar() {
    let udf = IsAppFrame::new();
    let out = invoke(
        &udf,
        vec![utf8(Some("app.run")), utf8(Some("lib.,app."))],
        1,
    )
    .unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Boolean(Some(true)));
    let out = invoke(&udf, vec![utf8(None), utf8(Some("app."))], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Boolean(None));
}

#[test]
fn coercion_and_docs() {
    use datafusion::arrow::datatypes::DataType;
    let udf = IsAppFrame::new();
    let coerced = udf
        .coerce_types(&[DataType::Utf8View, DataType::LargeUtf8])
        .unwrap();
    assert_eq!(coerced, vec![DataType::Utf8, DataType::Utf8]);
    assert!(udf
        .coerce_types(&[DataType::Int64, DataType::Utf8])
        .is_err());
    let doc = udf.documentation().unwrap();
    assert!(doc.syntax_example.starts_with("is_app_frame"));
    assert_eq!(doc.arguments.as_ref().map(Vec::len), Some(2));
}
