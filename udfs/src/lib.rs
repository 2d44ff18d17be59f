//! SQL functions over pprof stacks for DataFusion.
//!
//! A *stack* is a `List<Utf8>` of frame (function) names ordered root
//! first: position 1 is the root, the last position the leaf. SQL positions
//! are 1-based and negative positions count from the leaf. Regular
//! expressions use RE2 syntax (the `regex` crate) and are unanchored, as in
//! pprof. A NULL argument gives a NULL result.
//!
//! | function | returns |
//! | --- | --- |
//! | `stack_contains(stack, regex)` | Boolean: any frame matches |
//! | `stack_position(stack, regex)` | Int64: position of the root-most match, or NULL |
//! | `frame_at(stack, i)` | Utf8: frame at position `i` (-1 = leaf), or NULL |
//! | `leaf(stack)`, `root(stack)` | Utf8: last / first frame, NULL if empty |
//! | `stack_slice(stack, start, end)` | List<Utf8>: frames `start..=end`, clamped |
//! | `fold_stack(stack)` | Utf8: frames joined with ';' (folded format) |
//! | `is_app_frame(name, prefixes)` | Boolean: `name` starts with a listed prefix |
//! | `format_value(v, unit)` | Utf8: pprof-style scaled label (`1.10s`, `62.50MB`) |

pub use datafusion;

mod app;
mod common;
mod format;
mod frames;
mod matching;
mod pattern;
mod slice;
#[cfg(test)]
mod test_util;
pub mod units;

use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

pub use app::IsAppFrame;
pub use common::stack_type;
pub use format::FormatValue;
pub use frames::{FrameAt, Leaf, Root};
pub use matching::{StackContains, StackPosition};
pub use slice::{FoldStack, StackSlice};

/// Every function of this crate, ready to register.
pub fn all_udfs() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(StackContains::new()),
        ScalarUDF::new_from_impl(StackPosition::new()),
        ScalarUDF::new_from_impl(FrameAt::new()),
        ScalarUDF::new_from_impl(Leaf::new()),
        ScalarUDF::new_from_impl(Root::new()),
        ScalarUDF::new_from_impl(StackSlice::new()),
        ScalarUDF::new_from_impl(FoldStack::new()),
        ScalarUDF::new_from_impl(IsAppFrame::new()),
        ScalarUDF::new_from_impl(FormatValue::new()),
    ]
}

/// Registers every function of this crate with `ctx`.
pub fn register_all(ctx: &SessionContext) {
    for udf in all_udfs() {
        ctx.register_udf(udf);
    }
}
