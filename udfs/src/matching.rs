//! Regex search over stacks: `stack_contains` and `stack_position`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::common::{
    check_arity, coerce_stack, coerce_string, finish, output_rows, stack_array, Stacks, DOC_SECTION,
};
use crate::pattern::{PatternArg, RegexCache};

/// For each row, the 0-based index of the root-most frame matching the
/// row's regex: outer `None` for a NULL input, inner `None` for no match.
fn first_matches(
    func: &str,
    cache: &RegexCache,
    args: &ScalarFunctionArgs,
) -> Result<(Vec<Option<Option<usize>>>, bool)> {
    let (rows, all_scalar) = output_rows(args);
    let [stack, pattern] = args.args.as_slice() else {
        return exec_err!("{func} expects 2 arguments");
    };
    let stacks = stack_array(stack, rows)?;
    let stacks = Stacks::new(&stacks)?;
    let pattern = PatternArg::new(func, pattern, rows, cache)?;
    let mut patterns = pattern.rows(func)?;
    let mut out = Vec::with_capacity(rows);
    for row in 0..rows {
        let (Some(re), Some(mut frames)) = (patterns.get(row)?, stacks.frames(row)) else {
            out.push(None);
            continue;
        };
        // NULL frames never match; they are unknown, not empty names.
        out.push(Some(frames.position(|f| f.is_some_and(|f| re.is_match(f)))));
    }
    Ok((out, all_scalar))
}

fn coerce_stack_and_pattern(func: &str, args: &[DataType]) -> Result<Vec<DataType>> {
    check_arity(func, args, 2)?;
    Ok(vec![
        coerce_stack(func, &args[0])?,
        coerce_string(func, &args[1])?,
    ])
}

/// `stack_contains(stack, regex) -> Boolean`: whether any frame matches.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StackContains {
    signature: Signature,
    cache: RegexCache,
}

impl StackContains {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            cache: RegexCache::default(),
        }
    }
}

impl Default for StackContains {
    fn default() -> Self {
        Self::new()
    }
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

impl ScalarUDFImpl for StackContains {
    fn name(&self) -> &str {
        "stack_contains"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_stack_and_pattern(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (matches, all_scalar) = first_matches(self.name(), &self.cache, &args)?;
        let result: BooleanArray = matches
            .into_iter()
            .map(|m| m.map(|p| p.is_some()))
            .collect();
        finish(Arc::new(result) as ArrayRef, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&STACK_CONTAINS_DOC)
    }
}

/// `stack_position(stack, regex) -> Int64`: 1-based root-first position of
/// the root-most matching frame, NULL when none matches.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StackPosition {
    signature: Signature,
    cache: RegexCache,
}

impl StackPosition {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            cache: RegexCache::default(),
        }
    }
}

impl Default for StackPosition {
    fn default() -> Self {
        Self::new()
    }
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

impl ScalarUDFImpl for StackPosition {
    fn name(&self) -> &str {
        "stack_position"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_stack_and_pattern(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (matches, all_scalar) = first_matches(self.name(), &self.cache, &args)?;
        let result: Int64Array = matches
            .into_iter()
            .map(|m| m.flatten().and_then(|p| i64::try_from(p + 1).ok()))
            .collect();
        finish(Arc::new(result) as ArrayRef, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&STACK_POSITION_DOC)
    }
}

#[cfg(test)]
mod tests;
