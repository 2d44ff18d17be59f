//! Single-frame access: `frame_at`, `leaf` and `root`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_int64_array;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::common::{
    arg_array, check_arity, coerce_index, coerce_stack, finish, output_rows, resolve_position,
    stack_array, Stacks, DOC_SECTION,
};

/// Builds a Utf8 result with `pick(stacks, row)` choosing each row's frame.
fn pick_frames(
    stack: &ColumnarValue,
    rows: usize,
    mut pick: impl FnMut(&Stacks, usize) -> Option<usize>,
) -> Result<ArrayRef> {
    let stacks = stack_array(stack, rows)?;
    let stacks = Stacks::new(&stacks)?;
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    for row in 0..rows {
        out.append_option(pick(&stacks, row).and_then(|k| stacks.frame(row, k)));
    }
    Ok(Arc::new(out.finish()))
}

/// `frame_at(stack, i) -> Utf8`: the frame at 1-based root-first index `i`;
/// negative `i` counts from the leaf (-1 = leaf); out of range gives NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FrameAt {
    signature: Signature,
}

impl FrameAt {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for FrameAt {
    fn default() -> Self {
        Self::new()
    }
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

impl ScalarUDFImpl for FrameAt {
    fn name(&self) -> &str {
        "frame_at"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2)?;
        Ok(vec![
            coerce_stack(self.name(), &arg_types[0])?,
            coerce_index(self.name(), &arg_types[1])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalar) = output_rows(&args);
        let [stack, index] = args.args.as_slice() else {
            return exec_err!("frame_at expects 2 arguments");
        };
        let index = arg_array(index, rows, &DataType::Int64)?;
        let index = as_int64_array(index.as_ref())?;
        let result = pick_frames(stack, rows, |stacks, row| {
            if index.is_null(row) {
                return None;
            }
            resolve_position(index.value(row), stacks.depth(row)?)
        })?;
        finish(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&FRAME_AT_DOC)
    }
}

/// Which end of the stack `leaf` / `root` return.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum End {
    Root,
    Leaf,
}

/// Shared implementation of `leaf(stack)` and `root(stack)`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct EndFrame {
    signature: Signature,
    end: End,
}

impl EndFrame {
    fn new(end: End) -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            end,
        }
    }

    fn coerce_types(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(name, arg_types, 1)?;
        Ok(vec![coerce_stack(name, &arg_types[0])?])
    }

    fn invoke(&self, name: &str, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalar) = output_rows(&args);
        let [stack] = args.args.as_slice() else {
            return exec_err!("{name} expects 1 argument");
        };
        let end = self.end;
        let result = pick_frames(stack, rows, |stacks, row| {
            let depth = stacks.depth(row)?;
            match end {
                End::Root => (depth > 0).then_some(0),
                End::Leaf => depth.checked_sub(1),
            }
        })?;
        finish(result, all_scalar)
    }
}

/// `leaf(stack) -> Utf8`: the last (innermost) frame; NULL for an empty stack.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Leaf(EndFrame);

impl Leaf {
    pub fn new() -> Self {
        Self(EndFrame::new(End::Leaf))
    }
}

impl Default for Leaf {
    fn default() -> Self {
        Self::new()
    }
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

impl ScalarUDFImpl for Leaf {
    fn name(&self) -> &str {
        "leaf"
    }

    fn signature(&self) -> &Signature {
        &self.0.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.0.coerce_types(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.0.invoke(self.name(), args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&LEAF_DOC)
    }
}

/// `root(stack) -> Utf8`: the first (outermost) frame; NULL for an empty stack.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Root(EndFrame);

impl Root {
    pub fn new() -> Self {
        Self(EndFrame::new(End::Root))
    }
}

impl Default for Root {
    fn default() -> Self {
        Self::new()
    }
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

impl ScalarUDFImpl for Root {
    fn name(&self) -> &str {
        "root"
    }

    fn signature(&self) -> &Signature {
        &self.0.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.0.coerce_types(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.0.invoke(self.name(), args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&ROOT_DOC)
    }
}

#[cfg(test)]
mod tests;
