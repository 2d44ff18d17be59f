use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDFImpl};

use super::{slice_range, FoldStack, StackSlice};
use crate::common::stack_type;
use crate::test_util::*;

const ABCD: &[&str] = &["a", "b", "c", "d"];
const EMPTY: &[&str] = &[];

fn list(items: &[&str]) -> Option<Vec<Option<String>>> {
    Some(items.iter().map(|s| Some((*s).to_owned())).collect())
}

#[test]
fn slice_range_clamps_and_counts_from_leaf() {
    assert_eq!(slice_range(1, 4, 4), 0..4);
    assert_eq!(slice_range(2, -2, 4), 1..3);
    assert_eq!(slice_range(-2, -1, 4), 2..4);
    assert_eq!(slice_range(0, 2, 4), 0..2);
    assert_eq!(slice_range(-10, 10, 4), 0..4);
    assert_eq!(slice_range(i64::MIN, i64::MAX, 4), 0..4);
    assert!(slice_range(3, 2, 4).is_empty());
    assert!(slice_range(5, 9, 4).is_empty());
    assert!(slice_range(1, 0, 4).is_empty());
    assert!(slice_range(-1, -2, 4).is_empty());
    assert!(slice_range(1, -1, 0).is_empty());
}

#[test]
fn stack_slice_over_rows() {
    let udf = StackSlice::new();
    let stacks = stacks(&[
        Some(ABCD),
        Some(ABCD),
        Some(ABCD),
        Some(EMPTY),
        None,
        Some(ABCD),
    ]);
    let start = ints(&[Some(2), Some(-2), Some(3), Some(1), Some(1), None]);
    let end = ints(&[Some(-2), Some(-1), Some(1), Some(-1), Some(2), Some(2)]);
    let out = invoke(&udf, vec![arr(stacks), start, end], 6).unwrap();
    assert_eq!(
        lists(out),
        vec![
            list(&["b", "c"]),
            list(&["c", "d"]),
            list(&[]),
            list(&[]),
            None,
            None,
        ]
    );
}

#[test]
fn stack_slice_scalar_bounds_and_type() {
    let udf = StackSlice::new();
    let stacks = stacks(&[Some(ABCD), Some(&["x"])]);
    let out = invoke(
        &udf,
        vec![arr(stacks.clone()), int(Some(1)), int(Some(2))],
        2,
    )
    .unwrap();
    let out = as_array(out);
    assert_eq!(out.data_type(), &stack_type());
    assert_eq!(
        lists(ColumnarValue::Array(out)),
        vec![list(&["a", "b"]), list(&["x"])]
    );
    let out = invoke(&udf, vec![arr(stacks), int(None), int(Some(2))], 2).unwrap();
    assert_eq!(lists(out), vec![None, None]);
}

#[test]
fn stack_slice_keeps_null_frames() {
    let udf = StackSlice::new();
    let stacks = stacks_with_null_frames(&[Some(vec![Some("a"), None, Some("c")])]);
    let out = invoke(&udf, vec![arr(stacks), int(Some(2)), int(Some(3))], 1).unwrap();
    assert_eq!(lists(out), vec![Some(vec![None, Some("c".to_owned())])]);
}

#[test]
fn stack_slice_all_scalar_returns_list_scalar() {
    let udf = StackSlice::new();
    let out = invoke(
        &udf,
        vec![stack_scalar(ABCD), int(Some(-3)), int(Some(-2))],
        1,
    )
    .unwrap();
    let ScalarValue::List(l) = as_scalar(out) else {
        panic!("expected a list scalar");
    };
    assert_eq!(lists(ColumnarValue::Array(l)), vec![list(&["b", "c"])]);
}

#[test]
fn stack_slice_coercion_and_return_type() {
    let udf = StackSlice::new();
    let coerced = udf
        .coerce_types(&[stack_type(), DataType::Int32, DataType::Int16])
        .unwrap();
    assert_eq!(
        coerced,
        vec![stack_type(), DataType::Int64, DataType::Int64]
    );
    assert_eq!(udf.return_type(&coerced).unwrap(), stack_type());
    assert!(udf.coerce_types(&[stack_type()]).is_err());
}

#[test]
fn fold_stack_over_rows() {
    let udf = FoldStack::new();
    let stacks = stacks(&[Some(ABCD), Some(&["main"]), Some(EMPTY), None]);
    let out = invoke(&udf, vec![arr(stacks)], 4).unwrap();
    assert_eq!(
        strs(out),
        owned(&[Some("a;b;c;d"), Some("main"), Some(""), None])
    );
}

#[test]
fn fold_stack_null_and_empty_frames() {
    let udf = FoldStack::new();
    let stacks = stacks_with_null_frames(&[
        Some(vec![Some("a"), None, Some("c")]),
        Some(vec![Some(""), Some("b")]),
        Some(vec![None]),
    ]);
    let out = invoke(&udf, vec![arr(stacks)], 3).unwrap();
    assert_eq!(strs(out), owned(&[Some("a;c"), Some(";b"), Some("")]));
}

#[test]
fn fold_stack_scalar_and_docs() {
    let udf = FoldStack::new();
    let out = invoke(&udf, vec![stack_scalar(ABCD)], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(Some("a;b;c;d".into())));
    let out = invoke(&udf, vec![stack_scalar(EMPTY)], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(Some(String::new())));
    for udf in [&FoldStack::new() as &dyn ScalarUDFImpl, &StackSlice::new()] {
        let doc = udf.documentation().unwrap();
        assert!(doc.syntax_example.starts_with(udf.name()));
        assert!(doc.arguments.is_some());
    }
}
