use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::ScalarUDFImpl;

use super::{FrameAt, Leaf, Root};
use crate::common::{resolve_position, stack_type};
use crate::test_util::*;

const ABC: &[&str] = &["a", "b", "c"];
const EMPTY: &[&str] = &[];

#[test]
fn resolve_position_maps_sql_positions() {
    assert_eq!(resolve_position(1, 3), Some(0));
    assert_eq!(resolve_position(3, 3), Some(2));
    assert_eq!(resolve_position(4, 3), None);
    assert_eq!(resolve_position(0, 3), None);
    assert_eq!(resolve_position(-1, 3), Some(2));
    assert_eq!(resolve_position(-3, 3), Some(0));
    assert_eq!(resolve_position(-4, 3), None);
    assert_eq!(resolve_position(i64::MIN, 3), None);
    assert_eq!(resolve_position(i64::MAX, 3), None);
    assert_eq!(resolve_position(1, 0), None);
    assert_eq!(resolve_position(-1, 0), None);
}

#[test]
fn frame_at_index_column() {
    let udf = FrameAt::new();
    let stacks = stacks(&[Some(ABC); 8]);
    let index = ints(&[
        Some(1),
        Some(2),
        Some(3),
        Some(4),
        Some(0),
        Some(-1),
        Some(-3),
        None,
    ]);
    let out = invoke(&udf, vec![arr(stacks), index], 8).unwrap();
    assert_eq!(
        strs(out),
        owned(&[
            Some("a"),
            Some("b"),
            Some("c"),
            None,
            None,
            Some("c"),
            Some("a"),
            None
        ])
    );
}

#[test]
fn frame_at_scalar_index_over_stacks() {
    let udf = FrameAt::new();
    let stacks = stacks(&[Some(ABC), Some(&["x"]), Some(EMPTY), None]);
    let out = invoke(&udf, vec![arr(stacks.clone()), int(Some(-2))], 4).unwrap();
    assert_eq!(strs(out), owned(&[Some("b"), None, None, None]));
    let out = invoke(&udf, vec![arr(stacks.clone()), int(Some(1))], 4).unwrap();
    assert_eq!(strs(out), owned(&[Some("a"), Some("x"), None, None]));
    let out = invoke(&udf, vec![arr(stacks), int(None)], 4).unwrap();
    assert_eq!(strs(out), owned(&[None, None, None, None]));
}

#[test]
fn frame_at_all_scalar_returns_scalar() {
    let udf = FrameAt::new();
    let out = invoke(&udf, vec![stack_scalar(ABC), int(Some(2))], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(Some("b".into())));
    let out = invoke(&udf, vec![stack_scalar(EMPTY), int(Some(1))], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(None));
}

#[test]
fn frame_at_null_frame_is_null() {
    let udf = FrameAt::new();
    let stacks =
        stacks_with_null_frames(&[Some(vec![Some("a"), None]), Some(vec![Some("a"), None])]);
    let out = invoke(&udf, vec![arr(stacks), ints(&[Some(2), Some(1)])], 2).unwrap();
    assert_eq!(strs(out), owned(&[None, Some("a")]));
}

#[test]
fn frame_at_coercion() {
    let udf = FrameAt::new();
    let coerced = udf.coerce_types(&[stack_type(), DataType::UInt8]).unwrap();
    assert_eq!(coerced, vec![stack_type(), DataType::Int64]);
    let fixed = DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Utf8, true)), 2);
    let coerced = udf.coerce_types(&[fixed, DataType::Null]).unwrap();
    assert_eq!(coerced, vec![stack_type(), DataType::Int64]);
    assert!(udf
        .coerce_types(&[stack_type(), DataType::Float64])
        .is_err());
    assert!(udf.coerce_types(&[stack_type(), DataType::Utf8]).is_err());
}

#[test]
fn leaf_and_root_over_rows() {
    let stacks = stacks(&[Some(ABC), Some(&["only"]), Some(EMPTY), None]);
    let out = invoke(&Leaf::new(), vec![arr(stacks.clone())], 4).unwrap();
    assert_eq!(strs(out), owned(&[Some("c"), Some("only"), None, None]));
    let out = invoke(&Root::new(), vec![arr(stacks)], 4).unwrap();
    assert_eq!(strs(out), owned(&[Some("a"), Some("only"), None, None]));
}

#[test]
fn leaf_and_root_scalar() {
    let out = invoke(&Leaf::new(), vec![stack_scalar(ABC)], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(Some("c".into())));
    let out = invoke(&Root::new(), vec![stack_scalar(ABC)], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(Some("a".into())));
    let out = invoke(&Leaf::new(), vec![stack_scalar(EMPTY)], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(None));
    let null = datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Null);
    let out = invoke(&Root::new(), vec![null], 1).unwrap();
    assert_eq!(as_scalar(out), ScalarValue::Utf8(None));
}

#[test]
fn leaf_and_root_differ_in_equality_and_have_docs() {
    assert_ne!(format!("{:?}", Leaf::new()), format!("{:?}", Root::new()));
    for udf in [
        &Leaf::new() as &dyn ScalarUDFImpl,
        &Root::new(),
        &FrameAt::new(),
    ] {
        let doc = udf.documentation().unwrap();
        assert!(doc.syntax_example.starts_with(udf.name()));
        assert!(!doc.description.is_empty());
        assert!(doc.arguments.is_some());
    }
    assert!(Leaf::new()
        .coerce_types(&[stack_type(), stack_type()])
        .is_err());
}
