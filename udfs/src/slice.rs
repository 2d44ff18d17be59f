//! Whole-stack transforms: `stack_slice` and `fold_stack`.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, Documentation};

use crate::common::{
    coerce_index, coerce_stack, int64_arg, scalar_udf, stack_type, Stacks, DOC_SECTION,
};

/// 0-based frame range for the inclusive 1-based bounds `start..=end`
/// (negative counts from the leaf), clamped to a stack of `depth` frames.
pub(crate) fn slice_range(start: i64, end: i64, depth: usize) -> Range<usize> {
    let depth = i64::try_from(depth).unwrap_or(i64::MAX);
    // Map negative positions onto 1-based ones: -1 is `depth`.
    let one_based = |p: i64| {
        if p < 0 {
            depth.saturating_add(1).saturating_add(p)
        } else {
            p
        }
    };
    let first = one_based(start).max(1);
    let last = one_based(end).min(depth);
    if first > last {
        return 0..0;
    }
    match (usize::try_from(first - 1), usize::try_from(last)) {
        (Ok(a), Ok(b)) => a..b,
        _ => 0..0,
    }
}

scalar_udf! {
    /// `stack_slice(stack, start, end) -> List<Utf8>`: frames `start..=end`.
    pub struct StackSlice {}
    name: "stack_slice",
    args: [coerce_stack, coerce_index, coerce_index],
    returns: stack_type(),
    doc: STACK_SLICE_DOC,
}

static STACK_SLICE_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Returns the frames from position `start` to position `end`, both inclusive, \
         1-based from the root; negative positions count from the leaf (-1 = leaf). \
         The range is clamped to the stack; an empty range gives an empty list.",
        "stack_slice(stack, start, end)",
    )
    .with_sql_example(
        "```sql\n> SELECT stack_slice(['main', 'a', 'b', 'malloc'], 2, -2);\n-- ['a', 'b']\n```",
    )
    .with_argument("stack", "List of frame names, root first.")
    .with_argument("start", "First position to keep (1 = root, -1 = leaf).")
    .with_argument("end", "Last position to keep (1 = root, -1 = leaf).")
    .with_related_udf("frame_at")
    .build()
});

impl StackSlice {
    fn eval(&self, [stack, start, end]: &[ColumnarValue; 3], rows: usize) -> Result<ArrayRef> {
        let stacks = Stacks::new(stack, rows)?;
        let start = int64_arg(start, rows)?;
        let end = int64_arg(end, rows)?;

        let mut out = ListBuilder::with_capacity(StringBuilder::new(), rows);
        for row in 0..rows {
            let depth = match stacks.depth(row) {
                Some(d) if start.is_valid(row) && end.is_valid(row) => d,
                _ => {
                    out.append_null();
                    continue;
                }
            };
            for k in slice_range(start.value(row), end.value(row), depth) {
                out.values().append_option(stacks.frame(row, k));
            }
            out.append(true);
        }
        Ok(Arc::new(out.finish()))
    }
}

scalar_udf! {
    /// `fold_stack(stack) -> Utf8`: frames joined with ';', root first, the
    /// "folded" line format of flamegraph.pl and inferno (without the count).
    pub struct FoldStack {}
    name: "fold_stack",
    args: [coerce_stack],
    returns: DataType::Utf8,
    doc: FOLD_STACK_DOC,
}

static FOLD_STACK_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Joins the frames with ';', root first: the folded stack format read by \
         flamegraph.pl and inferno. An empty stack gives ''. NULL frames are skipped.",
        "fold_stack(stack)",
    )
    .with_sql_example(
        "```sql\n> SELECT fold_stack(stack) || ' ' || SUM(value) FROM stacks GROUP BY stack;\n-- main;work;malloc 42\n```",
    )
    .with_argument("stack", "List of frame names, root first.")
    .build()
});

impl FoldStack {
    fn eval(&self, [stack]: &[ColumnarValue; 1], rows: usize) -> Result<ArrayRef> {
        let stacks = Stacks::new(stack, rows)?;
        let mut out = StringBuilder::with_capacity(rows, rows * 64);
        let mut line = String::new();
        for row in 0..rows {
            let Some(frames) = stacks.frames(row) else {
                out.append_null();
                continue;
            };
            line.clear();
            // A flag, not `line.is_empty()`: an empty frame name still
            // needs its separator.
            for (i, frame) in frames.flatten().enumerate() {
                if i > 0 {
                    line.push(';');
                }
                line.push_str(frame);
            }
            out.append_value(&line);
        }
        Ok(Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests;
