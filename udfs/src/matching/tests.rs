use std::sync::Arc;

use datafusion::arrow::array::{LargeListBuilder, StringViewBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::ScalarUDFImpl;

use super::{StackContains, StackPosition};
use crate::common::stack_type;
use crate::test_util::*;

const MAIN: &[&str] = &["main", "work", "runtime.mallocgc"];
const IDLE: &[&str] = &["main", "idle"];
const EMPTY: &[&str] = &[];

#[test]
fn contains_scalar_regex_over_rows() {
    let udf = StackContains::new();
    let stacks = stacks(&[Some(MAIN), Some(IDLE), Some(EMPTY), None]);
    let out = invoke(&udf, vec![arr(stacks), utf8(Some("malloc"))], 4).unwrap();
    assert_eq!(bools(out), vec![Some(true), Some(false), Some(false), None]);
}

#[test]
fn contains_is_unanchored_but_honours_anchors() {
    let udf = StackContains::new();
    let stacks = stacks(&[Some(MAIN), Some(MAIN), Some(MAIN)]);
    let patterns = strings(&[Some("alloc"), Some("^malloc"), Some("^runtime\\..*gc$")]);
    let out = invoke(&udf, vec![arr(stacks), patterns], 3).unwrap();
    assert_eq!(bools(out), vec![Some(true), Some(false), Some(true)]);
}

#[test]
fn contains_null_scalar_regex_gives_nulls() {
    let udf = StackContains::new();
    let stacks = stacks(&[Some(MAIN), Some(EMPTY)]);
    let out = invoke(&udf, vec![arr(stacks.clone()), utf8(None)], 2).unwrap();
    assert_eq!(bools(out), vec![None, None]);
    // An untyped NULL literal behaves the same.
    let null = datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Null);
    let out = invoke(&udf, vec![arr(stacks), null], 2).unwrap();
    assert_eq!(bools(out), vec![None, None]);
}

#[test]
fn contains_regex_column_with_nulls_and_repeats() {
    let udf = StackContains::new();
    let stacks = stacks(&[Some(MAIN), Some(IDLE), Some(MAIN), Some(IDLE), None]);
    let patterns = strings(&[Some("idle"), Some("idle"), None, Some("ma.n"), Some("x")]);
    let out = invoke(&udf, vec![arr(stacks), patterns], 5).unwrap();
    assert_eq!(
        bools(out),
        vec![Some(false), Some(true), None, Some(true), None]
    );
}

#[test]
fn contains_all_scalar_returns_scalar() {
    let udf = StackContains::new();
    let out = invoke(&udf, vec![stack_scalar(MAIN), utf8(Some("work"))], 7).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Boolean(Some(true)));
    let out = invoke(&udf, vec![stack_scalar(EMPTY), utf8(Some(""))], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Boolean(Some(false)));
}

#[test]
fn contains_scalar_stack_with_regex_column() {
    let udf = StackContains::new();
    let patterns = strings(&[Some("idle"), Some("work"), None]);
    let out = invoke(&udf, vec![stack_scalar(MAIN), patterns], 3).unwrap();
    assert_eq!(bools(out), vec![Some(false), Some(true), None]);
}

#[test]
fn null_frames_never_match() {
    let udf = StackContains::new();
    let stacks = stacks_with_null_frames(&[Some(vec![None]), Some(vec![None, Some("a")])]);
    // The empty regex matches every string, so only real frames count.
    let out = invoke(&udf, vec![arr(stacks.clone()), utf8(Some(""))], 2).unwrap();
    assert_eq!(bools(out), vec![Some(false), Some(true)]);
    let out = invoke(&StackPosition::new(), vec![arr(stacks), utf8(Some(""))], 2).unwrap();
    assert_eq!(i64s(out), vec![None, Some(2)]);
}

#[test]
fn invalid_scalar_regex_is_an_error_naming_function_and_pattern() {
    let stacks = stacks(&[Some(MAIN)]);
    let err = invoke(
        &StackContains::new(),
        vec![arr(stacks.clone()), utf8(Some("(unclosed"))],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("stack_contains"), "{err}");
    assert!(err.contains("(unclosed"), "{err}");
    let err = invoke(
        &StackPosition::new(),
        vec![arr(stacks), utf8(Some("a{2,1}"))],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("stack_position"), "{err}");
    assert!(err.contains("a{2,1}"), "{err}");
}

#[test]
fn invalid_regex_in_column_is_an_error() {
    let stacks = stacks(&[Some(MAIN), Some(MAIN)]);
    let patterns = strings(&[Some("main"), Some("[z-a]")]);
    let err = invoke(&StackContains::new(), vec![arr(stacks), patterns], 2)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stack_contains") && err.contains("[z-a]"),
        "{err}"
    );
}

#[test]
fn cached_regex_follows_pattern_changes() {
    // One instance serves many batches; the cache must not pin the first pattern.
    let udf = StackContains::new();
    let stacks = stacks(&[Some(MAIN), Some(IDLE)]);
    for (pattern, expected) in [
        ("idle", vec![Some(false), Some(true)]),
        ("work", vec![Some(true), Some(false)]),
        ("idle", vec![Some(false), Some(true)]),
    ] {
        let out = invoke(&udf, vec![arr(stacks.clone()), utf8(Some(pattern))], 2).unwrap();
        assert_eq!(bools(out), expected, "pattern {pattern}");
    }
    // Instances compare equal regardless of what they have cached.
    assert_eq!(udf, StackContains::new());
}

#[test]
fn position_is_root_most_match() {
    let udf = StackPosition::new();
    let stacks = stacks(&[
        Some(&["a", "b_x", "c_x"]),
        Some(IDLE),
        Some(EMPTY),
        None,
        Some(&["x_root"]),
    ]);
    let out = invoke(&udf, vec![arr(stacks), utf8(Some("_x|x_"))], 5).unwrap();
    assert_eq!(i64s(out), vec![Some(2), None, None, None, Some(1)]);
}

#[test]
fn position_with_regex_column_and_scalar_call() {
    let udf = StackPosition::new();
    let stacks = stacks(&[Some(MAIN), Some(MAIN), Some(MAIN)]);
    let patterns = strings(&[Some("gc$"), None, Some("^main$")]);
    let out = invoke(&udf, vec![arr(stacks), patterns], 3).unwrap();
    assert_eq!(i64s(out), vec![Some(3), None, Some(1)]);

    let out = invoke(&udf, vec![stack_scalar(MAIN), utf8(Some("nope"))], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Int64(None));
}

#[test]
fn coercion_accepts_list_layouts_and_rejects_others() {
    let udf = StackContains::new();
    let view_large = DataType::LargeList(Arc::new(Field::new("item", DataType::Utf8View, true)));
    let coerced = udf.coerce_types(&[view_large, DataType::Utf8View]).unwrap();
    assert_eq!(coerced, vec![stack_type(), DataType::Utf8]);

    // A List<Utf8> with another field name is used as is (no cast).
    let parquet_style = DataType::List(Arc::new(Field::new("element", DataType::Utf8, false)));
    let coerced = udf
        .coerce_types(&[parquet_style.clone(), DataType::LargeUtf8])
        .unwrap();
    assert_eq!(coerced, vec![parquet_style, DataType::Utf8]);

    let coerced = udf.coerce_types(&[DataType::Null, DataType::Null]).unwrap();
    assert_eq!(coerced, vec![stack_type(), DataType::Utf8]);

    assert!(udf.coerce_types(&[DataType::Utf8, DataType::Utf8]).is_err());
    assert!(udf.coerce_types(&[stack_type(), DataType::Int64]).is_err());
    assert!(udf.coerce_types(&[stack_type()]).is_err());
}

#[test]
fn uncoerced_large_list_input_is_cast() {
    let mut b = LargeListBuilder::new(StringViewBuilder::new());
    b.values().append_value("main");
    b.values().append_value("malloc");
    b.append(true);
    b.append_null();
    let out = invoke(
        &StackPosition::new(),
        vec![arr(Arc::new(b.finish())), utf8(Some("malloc"))],
        2,
    )
    .unwrap();
    assert_eq!(i64s(out), vec![Some(2), None]);
}

#[test]
fn has_documentation() {
    for udf in [
        &StackContains::new() as &dyn ScalarUDFImpl,
        &StackPosition::new(),
    ] {
        let doc = udf.documentation().unwrap();
        assert!(doc.syntax_example.starts_with(udf.name()));
        assert_eq!(doc.arguments.as_ref().map(Vec::len), Some(2));
    }
}
