//! Whole-stack transforms: `stack_slice` and `fold_stack`.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_int64_array;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::common::{
    arg_array, check_arity, coerce_index, coerce_stack, finish, output_rows, stack_array,
    stack_type, Stacks, DOC_SECTION,
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

/// `stack_slice(stack, start, end) -> List<Utf8>`: frames `start..=end`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StackSlice {
    signature: Signature,
}

impl StackSlice {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for StackSlice {
    fn default() -> Self {
        Self::new()
    }
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

impl ScalarUDFImpl for StackSlice {
    fn name(&self) -> &str {
        "stack_slice"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 3)?;
        Ok(vec![
            coerce_stack(self.name(), &arg_types[0])?,
            coerce_index(self.name(), &arg_types[1])?,
            coerce_index(self.name(), &arg_types[2])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(stack_type())
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalar) = output_rows(&args);
        let [stack, start, end] = args.args.as_slice() else {
            return exec_err!("stack_slice expects 3 arguments");
        };
        let stacks = stack_array(stack, rows)?;
        let stacks = Stacks::new(&stacks)?;
        let start = arg_array(start, rows, &DataType::Int64)?;
        let start = as_int64_array(start.as_ref())?;
        let end = arg_array(end, rows, &DataType::Int64)?;
        let end = as_int64_array(end.as_ref())?;

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
        finish(Arc::new(out.finish()) as ArrayRef, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&STACK_SLICE_DOC)
    }
}

/// `fold_stack(stack) -> Utf8`: frames joined with ';', root first, the
/// "folded" line format of flamegraph.pl and inferno (without the count).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FoldStack {
    signature: Signature,
}

impl FoldStack {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for FoldStack {
    fn default() -> Self {
        Self::new()
    }
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

impl ScalarUDFImpl for FoldStack {
    fn name(&self) -> &str {
        "fold_stack"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1)?;
        Ok(vec![coerce_stack(self.name(), &arg_types[0])?])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalar) = output_rows(&args);
        let [stack] = args.args.as_slice() else {
            return exec_err!("fold_stack expects 1 argument");
        };
        let stacks = stack_array(stack, rows)?;
        let stacks = Stacks::new(&stacks)?;
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
        finish(Arc::new(out.finish()) as ArrayRef, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&FOLD_STACK_DOC)
    }
}

#[cfg(test)]
mod tests;
