//! Single-frame access: `frame_at`, `leaf` and `root`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, Documentation};

use crate::common::{
    coerce_index, coerce_stack, int64_arg, resolve_position, scalar_udf, Stacks, DOC_SECTION,
};

/// Builds a Utf8 result with `pick(stacks, row)` choosing each row's frame.
fn pick_frames(
    stack: &ColumnarValue,
    rows: usize,
    mut pick: impl FnMut(&Stacks, usize) -> Option<usize>,
) -> Result<ArrayRef> {
    let stacks = Stacks::new(stack, rows)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for row in 0..rows {
        out.append_option(pick(&stacks, row).and_then(|k| stacks.frame(row, k)));
    }
    Ok(Arc::new(out.finish()))
}

scalar_udf! {
    /// `frame_at(stack, i) -> Utf8`: the frame at 1-based root-first index `i`;
    /// negative `i` counts from the leaf (-1 = leaf); out of range gives NULL.
    pub struct FrameAt {}
    name: "frame_at",
    args: [coerce_stack, coerce_index],
    returns: DataType::Utf8,
    doc: FRAME_AT_DOC,
}

static FRAME_AT_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Returns the frame at a 1-based position counted from the root (1 = root). \
         Negative positions count from the leaf (-1 = leaf). Returns NULL when the \
         position is 0 or outside the stack.",
        "frame_at(stack, i)",
    )
    .with_sql_example(
        "```sql\n> SELECT frame_at(['main', 'work', 'malloc'], 2), frame_at(['main', 'work', 'malloc'], -1);\n-- 'work', 'malloc'\n```",
    )
    .with_argument("stack", "List of frame names, root first.")
    .with_argument("i", "Integer position: 1 = root, -1 = leaf.")
    .with_related_udf("leaf")
    .with_related_udf("root")
    .with_related_udf("stack_slice")
    .build()
});

impl FrameAt {
    fn eval(&self, [stack, index]: &[ColumnarValue; 2], rows: usize) -> Result<ArrayRef> {
        let index = int64_arg(index, rows)?;
        pick_frames(stack, rows, |stacks, row| {
            if index.is_null(row) {
                return None;
            }
            resolve_position(index.value(row), stacks.depth(row)?)
        })
    }
}

scalar_udf! {
    /// `leaf(stack) -> Utf8`: the last (innermost) frame; NULL for an empty stack.
    pub struct Leaf {}
    name: "leaf",
    args: [coerce_stack],
    returns: DataType::Utf8,
    doc: LEAF_DOC,
}

static LEAF_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Returns the leaf (innermost, last) frame of the stack, or NULL for an empty stack.",
        "leaf(stack)",
    )
    .with_sql_example("```sql\n> SELECT leaf(['main', 'work', 'malloc']);\n-- 'malloc'\n```")
    .with_argument("stack", "List of frame names, root first.")
    .with_related_udf("root")
    .with_related_udf("frame_at")
    .build()
});

impl Leaf {
    fn eval(&self, [stack]: &[ColumnarValue; 1], rows: usize) -> Result<ArrayRef> {
        pick_frames(stack, rows, |stacks, row| stacks.depth(row)?.checked_sub(1))
    }
}

scalar_udf! {
    /// `root(stack) -> Utf8`: the first (outermost) frame; NULL for an empty stack.
    pub struct Root {}
    name: "root",
    args: [coerce_stack],
    returns: DataType::Utf8,
    doc: ROOT_DOC,
}

static ROOT_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Returns the root (outermost, first) frame of the stack, or NULL for an empty stack.",
        "root(stack)",
    )
    .with_sql_example("```sql\n> SELECT root(['main', 'work', 'malloc']);\n-- 'main'\n```")
    .with_argument("stack", "List of frame names, root first.")
    .with_related_udf("leaf")
    .with_related_udf("frame_at")
    .build()
});

impl Root {
    fn eval(&self, [stack]: &[ColumnarValue; 1], rows: usize) -> Result<ArrayRef> {
        pick_frames(stack, rows, |stacks, row| {
            (stacks.depth(row)? > 0).then_some(0)
        })
    }
}

#[cfg(test)]
mod tests;
