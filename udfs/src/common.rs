//! Argument coercion and conversion shared by every UDF in this crate.
//!
//! All functions use a user-defined signature so that planning can map the
//! many string and list layouts Arrow has onto the few layouts the kernels
//! handle (`List<Utf8>`, `Utf8`, `Int64`, `Float64`). [`scalar_udf!`]
//! declares the parts every function has in common, so that each module
//! only states what its function takes, returns and computes.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int64Array, ListArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::cast::{as_int64_array, as_list_array, as_string_array};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, DocSection, ScalarFunctionArgs};

/// Documentation section shared by all functions of this crate.
pub(crate) const DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "Profile Functions",
    description: Some(
        "Functions over profile stacks (lists of frame names, root first) and sample values.",
    ),
};

/// The canonical stack type: `List<Utf8>` with a nullable `item` field.
pub fn stack_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// Whether `t` holds strings that cast to `Utf8` without loss.
fn is_string_like(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, value) => is_string_like(value),
        _ => false,
    }
}

/// Whether `t` is a stack already in the layout the kernels read, so that no
/// cast (and no copy) is needed. The list field's name and nullability do not
/// matter: Parquet readers name it `element`, Arrow builders `item`.
fn is_native_stack(t: &DataType) -> bool {
    matches!(t, DataType::List(f) if f.data_type() == &DataType::Utf8)
}

fn check_arity(name: &str, args: &[DataType], expected: usize) -> Result<()> {
    if args.len() == expected {
        Ok(())
    } else {
        plan_err!("{name} expects {expected} argument(s), got {}", args.len())
    }
}

/// Coercion target for a stack argument.
pub(crate) fn coerce_stack(name: &str, arg: &DataType) -> Result<DataType> {
    match arg {
        t if is_native_stack(t) => Ok(t.clone()),
        DataType::Null => Ok(stack_type()),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if is_string_like(f.data_type()) =>
        {
            Ok(stack_type())
        }
        other => plan_err!("{name}: expected a stack (a list of strings), got {other}"),
    }
}

/// Coercion target for a string argument.
pub(crate) fn coerce_string(name: &str, arg: &DataType) -> Result<DataType> {
    if is_string_like(arg) {
        Ok(DataType::Utf8)
    } else {
        plan_err!("{name}: expected a string, got {arg}")
    }
}

/// Coercion target for an integer argument (an index).
pub(crate) fn coerce_index(name: &str, arg: &DataType) -> Result<DataType> {
    if arg.is_integer() || arg == &DataType::Null {
        Ok(DataType::Int64)
    } else {
        plan_err!("{name}: expected an integer, got {arg}")
    }
}

/// Coercion of one argument: the type planning should cast it to, with the
/// function's name for the error message.
pub(crate) type Coerce = fn(&str, &DataType) -> Result<DataType>;

/// Coerces `args` with one [`Coerce`] per expected argument, in order.
pub(crate) fn coerce_args(
    name: &str,
    args: &[DataType],
    coerce: &[Coerce],
) -> Result<Vec<DataType>> {
    check_arity(name, args, coerce.len())?;
    args.iter().zip(coerce).map(|(t, c)| c(name, t)).collect()
}

/// Number of rows to compute, and whether the result must be a scalar.
///
/// When every argument is a scalar (constant folding, or a query over
/// literals) one row is enough and the answer is returned as a scalar.
fn output_rows(args: &ScalarFunctionArgs) -> (usize, bool) {
    let all_scalar = args
        .args
        .iter()
        .all(|a| matches!(a, ColumnarValue::Scalar(_)));
    if all_scalar {
        (1, true)
    } else {
        (args.number_rows, false)
    }
}

/// Runs `eval` over the `N` arguments of one call and wraps its array as
/// the result: a scalar when every argument was one (see [`output_rows`]).
pub(crate) fn invoke<const N: usize>(
    name: &str,
    args: &ScalarFunctionArgs,
    eval: impl FnOnce(&[ColumnarValue; N], usize) -> Result<ArrayRef>,
) -> Result<ColumnarValue> {
    let (rows, all_scalar) = output_rows(args);
    let Ok(values) = <&[ColumnarValue; N]>::try_from(args.args.as_slice()) else {
        let plural = if N == 1 { "" } else { "s" };
        return exec_err!("{name} expects {N} argument{plural}");
    };
    let array = eval(values, rows)?;
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// Materializes `value` as `rows` rows of type `target`, casting when the
/// caller skipped planning-time coercion (e.g. a direct `invoke_with_args`).
pub(crate) fn arg_array(value: &ColumnarValue, rows: usize, target: &DataType) -> Result<ArrayRef> {
    let array = value.to_array(rows)?;
    if array.data_type() == target {
        Ok(array)
    } else {
        Ok(cast(&array, target)?)
    }
}

/// An integer argument as `rows` rows of `Int64`.
pub(crate) fn int64_arg(value: &ColumnarValue, rows: usize) -> Result<Int64Array> {
    let array = arg_array(value, rows, &DataType::Int64)?;
    // Cloning an Arrow array only shares its buffers.
    Ok(as_int64_array(array.as_ref())?.clone())
}

/// A string argument as `rows` rows of `Utf8`.
pub(crate) fn utf8_arg(value: &ColumnarValue, rows: usize) -> Result<StringArray> {
    let array = arg_array(value, rows, &DataType::Utf8)?;
    Ok(as_string_array(array.as_ref())?.clone())
}

/// The string held by a scalar string argument (`Some(None)` when NULL);
/// `None` for arrays and non-string scalars, which take the array path.
pub(crate) fn scalar_str(value: &ColumnarValue) -> Option<Option<&str>> {
    match value {
        ColumnarValue::Scalar(s) => s.try_as_str(),
        ColumnarValue::Array(_) => None,
    }
}

/// Materializes a stack argument as `rows` rows of `List<Utf8>`.
fn stack_array(value: &ColumnarValue, rows: usize) -> Result<ArrayRef> {
    let array = value.to_array(rows)?;
    if is_native_stack(array.data_type()) {
        Ok(array)
    } else {
        Ok(cast(&array, &stack_type())?)
    }
}

/// Row-wise read access to a stack argument without per-row allocation.
pub(crate) struct Stacks {
    list: ListArray,
    frames: StringArray,
}

impl Stacks {
    /// The stack argument `value` as `rows` rows.
    pub(crate) fn new(value: &ColumnarValue, rows: usize) -> Result<Self> {
        let array = stack_array(value, rows)?;
        // Owned (buffer-sharing) copies, so callers need not keep `array`.
        let list = as_list_array(array.as_ref())?.clone();
        let frames = as_string_array(list.values().as_ref())?.clone();
        Ok(Self { list, frames })
    }

    /// The stack of `row` as an absolute range into the frame values, or
    /// `None` when the stack itself is NULL.
    fn range(&self, row: usize) -> Option<std::ops::Range<usize>> {
        if self.list.is_null(row) {
            return None;
        }
        let offsets = self.list.value_offsets();
        // Offsets are non-negative by ListArray's invariants.
        let start = usize::try_from(offsets[row]).unwrap_or(0);
        let end = usize::try_from(offsets[row + 1]).unwrap_or(start);
        Some(start..end)
    }

    /// Number of frames in `row`, `None` for a NULL stack.
    pub(crate) fn depth(&self, row: usize) -> Option<usize> {
        self.range(row).map(|r| r.len())
    }

    /// Frame `k` (0-based, root first) of `row`; `None` when the stack or
    /// the frame is NULL or `k` is out of range.
    pub(crate) fn frame(&self, row: usize, k: usize) -> Option<&str> {
        let range = self.range(row)?;
        let idx = range.start.checked_add(k).filter(|i| range.contains(i))?;
        if self.frames.is_null(idx) {
            None
        } else {
            Some(self.frames.value(idx))
        }
    }

    /// Frames of `row`, root first; `None` for a NULL stack.
    pub(crate) fn frames(&self, row: usize) -> Option<impl Iterator<Item = Option<&str>> + '_> {
        let frames = &self.frames;
        self.range(row).map(move |r| {
            r.map(move |i| {
                if frames.is_null(i) {
                    None
                } else {
                    Some(frames.value(i))
                }
            })
        })
    }
}

/// Converts a 1-based, root-first SQL position (negative counts from the
/// leaf, -1 = leaf) to a 0-based index, `None` when outside `0..depth`.
pub(crate) fn resolve_position(pos: i64, depth: usize) -> Option<usize> {
    let depth = i64::try_from(depth).ok()?;
    let idx = if pos > 0 {
        pos - 1
    } else if pos < 0 {
        depth + pos
    } else {
        return None;
    };
    if (0..depth).contains(&idx) {
        usize::try_from(idx).ok()
    } else {
        None
    }
}

/// Declares a UDF struct with what all functions here share: `new` and
/// `Default` (extra fields start at their `Default`), a user-defined
/// signature coerced by `args` (see [`coerce_args`]), strictness, and the
/// scalar-or-array result of [`invoke`]. The caller defines the `doc` static
/// and an inherent `fn eval(&self, &[ColumnarValue; N], rows: usize) ->
/// Result<ArrayRef>`.
///
/// A macro, not a blanket impl over a local trait: `ScalarUDFImpl` is
/// foreign, so the orphan rule allows only one impl per concrete type.
macro_rules! scalar_udf {
    (
        $(#[$attr:meta])*
        pub struct $udf:ident { $($field:ident: $field_ty:ty),* $(,)? }
        name: $name:literal,
        args: [$($coerce:expr),+ $(,)?],
        returns: $returns:expr,
        doc: $doc:path $(,)?
    ) => {
        $(#[$attr])*
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $udf {
            signature: ::datafusion::logical_expr::Signature,
            $($field: $field_ty,)*
        }

        impl $udf {
            pub fn new() -> Self {
                Self {
                    signature: ::datafusion::logical_expr::Signature::user_defined(
                        ::datafusion::logical_expr::Volatility::Immutable,
                    ),
                    $($field: ::core::default::Default::default(),)*
                }
            }
        }

        impl ::core::default::Default for $udf {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::datafusion::logical_expr::ScalarUDFImpl for $udf {
            fn name(&self) -> &str {
                $name
            }

            fn signature(&self) -> &::datafusion::logical_expr::Signature {
                &self.signature
            }

            fn coerce_types(
                &self,
                arg_types: &[::datafusion::arrow::datatypes::DataType],
            ) -> ::datafusion::common::Result<Vec<::datafusion::arrow::datatypes::DataType>> {
                $crate::common::coerce_args($name, arg_types, &[$($coerce),+])
            }

            fn return_type(
                &self,
                _arg_types: &[::datafusion::arrow::datatypes::DataType],
            ) -> ::datafusion::common::Result<::datafusion::arrow::datatypes::DataType> {
                Ok($returns)
            }

            fn is_strict(&self) -> bool {
                true
            }

            fn invoke_with_args(
                &self,
                args: ::datafusion::logical_expr::ScalarFunctionArgs,
            ) -> ::datafusion::common::Result<::datafusion::logical_expr::ColumnarValue> {
                $crate::common::invoke($name, &args, |values, rows| self.eval(values, rows))
            }

            fn documentation(&self) -> Option<&::datafusion::logical_expr::Documentation> {
                Some(&$doc)
            }
        }
    };
}

pub(crate) use scalar_udf;
