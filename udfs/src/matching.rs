//! Regex search over stacks: `stack_contains` and `stack_position`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, Documentation, ScalarUDFImpl};

use crate::common::{coerce_stack, coerce_string, scalar_udf, Stacks, DOC_SECTION};
use crate::pattern::{PatternArg, RegexCache};

/// Searches each row's stack for the root-most frame matching the row's
/// regex and collects `found(index)` per row (`index` 0-based, `None` for no
/// match); a NULL stack or pattern gives NULL without calling `found`.
fn first_matches<A, T>(
    func: &str,
    cache: &RegexCache,
    [stack, pattern]: &[ColumnarValue; 2],
    rows: usize,
    found: impl Fn(Option<usize>) -> Option<T>,
) -> Result<ArrayRef>
where
    A: FromIterator<Option<T>> + Array + 'static,
{
    let stacks = Stacks::new(stack, rows)?;
    let pattern = PatternArg::new(func, pattern, rows, cache)?;
    let mut patterns = pattern.rows(func);
    let result: A = (0..rows)
        .map(|row| {
            let (Some(re), Some(mut frames)) = (patterns.get(row)?, stacks.frames(row)) else {
                return Ok(None);
            };
            // NULL frames never match; they are unknown, not empty names.
            let index = frames.position(|f| f.is_some_and(|f| re.is_match(f)));
            Ok(found(index))
        })
        .collect::<Result<_>>()?;
    Ok(Arc::new(result))
}

scalar_udf! {
    /// `stack_contains(stack, regex) -> Boolean`: whether any frame matches.
    pub struct StackContains { cache: RegexCache }
    name: "stack_contains",
    args: [coerce_stack, coerce_string],
    returns: DataType::Boolean,
    doc: STACK_CONTAINS_DOC,
}

static STACK_CONTAINS_DOC: LazyLock<Documentation> =
    LazyLock::new(|| {
        Documentation::builder(
        DOC_SECTION,
        "Returns true if any frame of the stack matches the regular expression \
         (RE2 syntax, unanchored, as in pprof's `-focus`).",
        "stack_contains(stack, regex)",
    )
    .with_sql_example(
        "```sql\n> SELECT stack_contains(['main', 'runtime.mallocgc'], 'malloc');\n-- true\n```",
    )
    .with_argument("stack", "List of frame names, root first.")
    .with_argument("regex", "Regular expression matched against each frame name.")
    .with_related_udf("stack_position")
    .build()
    });

impl StackContains {
    fn eval(&self, args: &[ColumnarValue; 2], rows: usize) -> Result<ArrayRef> {
        first_matches::<BooleanArray, _>(self.name(), &self.cache, args, rows, |m| {
            Some(m.is_some())
        })
    }
}

scalar_udf! {
    /// `stack_position(stack, regex) -> Int64`: 1-based root-first position of
    /// the root-most matching frame, NULL when none matches.
    pub struct StackPosition { cache: RegexCache }
    name: "stack_position",
    args: [coerce_stack, coerce_string],
    returns: DataType::Int64,
    doc: STACK_POSITION_DOC,
}

static STACK_POSITION_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Returns the 1-based position (root = 1) of the first, i.e. root-most, frame \
         matching the regular expression, or NULL if no frame matches.",
        "stack_position(stack, regex)",
    )
    .with_sql_example(
        "```sql\n> SELECT stack_position(['main', 'work', 'runtime.mallocgc'], '^runtime\\.');\n-- 3\n```",
    )
    .with_argument("stack", "List of frame names, root first.")
    .with_argument("regex", "Regular expression matched against each frame name.")
    .with_related_udf("stack_contains")
    .with_related_udf("frame_at")
    .build()
});

impl StackPosition {
    fn eval(&self, args: &[ColumnarValue; 2], rows: usize) -> Result<ArrayRef> {
        first_matches::<Int64Array, _>(self.name(), &self.cache, args, rows, |m| {
            m.and_then(|p| i64::try_from(p + 1).ok())
        })
    }
}

#[cfg(test)]
mod tests;
