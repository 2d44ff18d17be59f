//! pprof's text layouts for the parity tools' reports.

use std::fmt::Write;

use crate::tools::pprof::{PeekReport, TopReport};

/// `go tool pprof -top` text.
pub fn top(r: &TopReport) -> String {
    let mut out = String::new();
    for h in &r.header {
        let _ = writeln!(out, "{h}");
    }
    let _ = writeln!(
        out,
        "{:>10} {:>5}% {:>5}% {:>10} {:>5}%",
        "flat", "flat", "sum", "cum", "cum"
    );
    for row in &r.rows {
        let inl = row.inline.text();
        let inl = if inl.is_empty() {
            String::new()
        } else {
            format!(" {inl}")
        };
        let _ = writeln!(
            out,
            "{:>10} {} {} {:>10} {}  {}{inl}",
            row.flat_fmt, row.flat_pct, row.sum_pct, row.cum_fmt, row.cum_pct, row.name
        );
    }
    out
}

const PEEK_SEPARATOR: &str =
    "----------------------------------------------------------+-------------";
const PEEK_LEGEND: &str =
    "      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t ";

/// `go tool pprof -peek` text.
pub fn peek(r: &PeekReport) -> String {
    let mut out = String::new();
    for h in &r.header {
        let _ = writeln!(out, "{h}");
    }
    let _ = writeln!(out, "{PEEK_SEPARATOR}");
    let _ = writeln!(out, "{PEEK_LEGEND}");
    for e in &r.entries {
        let _ = writeln!(out, "{PEEK_SEPARATOR}");
        let edge = |out: &mut String, x: &crate::tools::pprof::reports::PeekEdge| {
            let inl = if x.inline { " (inline)" } else { "" };
            let _ = writeln!(out, "{:>50} {} |   {}{inl}", x.weight_fmt, x.pct, x.name);
        };
        for c in &e.callers {
            edge(&mut out, c);
        }
        let row = &e.row;
        let _ = writeln!(
            out,
            "{:>10} {} {} {:>10} {}                | {}",
            row.flat_fmt, row.flat_pct, row.sum_pct, row.cum_fmt, row.cum_pct, row.name
        );
        for c in &e.callees {
            edge(&mut out, c);
        }
    }
    let _ = writeln!(out, "{PEEK_SEPARATOR}");
    out
}
