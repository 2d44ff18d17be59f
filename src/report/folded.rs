//! Folded stacks (`root;caller;leaf value`, one stack per line): the input of
//! flamegraph.pl, inferno and many other tools.

use std::fmt::Write;

use crate::tools::pprof::stacks::StackSet;

/// Every stack as a folded line, in the set's (sorted) order. Negative stacks (after a
/// `base`) keep their sign; flame graph tools skip or refuse them.
pub fn folded(set: &StackSet) -> String {
    let mut out = String::new();
    for s in &set.stacks {
        let _ = writeln!(out, "{} {}", set.folded_path(s), s.value);
    }
    out
}
