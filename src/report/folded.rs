//! Folded stacks (`root;caller;leaf value`, one stack per line): the input of
//! flamegraph.pl, inferno and many other tools.

use std::fmt::Write;

use crate::tools::pprof::stacks::{FoldedStack, StackSet};

/// Every stack as a folded line, in the set's (sorted) order. Negative stacks (after a
/// `base`) keep their sign; flame graph tools skip or refuse them.
pub fn folded(set: &StackSet) -> String {
    lines(set, |_| true)
}

/// The folded lines of the stacks `keep` selects, each ending in a newline.
pub fn lines(set: &StackSet, keep: impl Fn(&FoldedStack) -> bool) -> String {
    let mut out = String::new();
    for s in set.stacks.iter().filter(|s| keep(s)) {
        let _ = writeln!(out, "{} {}", set.folded_path(s), s.value);
    }
    out
}
