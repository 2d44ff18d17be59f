//! pprof's text layouts for the parity tools' reports.

use std::fmt::Write;

use super::tabwriter::align_right;
use crate::tools::pprof::{ListReport, PeekReport, TagsReport, TopReport, TracesReport};

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

const TRACES_SEPARATOR: &str =
    "-----------+-------------------------------------------------------";

/// `go tool pprof -traces` text.
pub fn traces(r: &TracesReport) -> String {
    let mut out = String::new();
    for h in &r.header {
        let _ = writeln!(out, "{h}");
    }
    for s in &r.samples {
        let _ = writeln!(out, "{TRACES_SEPARATOR}");
        for l in &s.labels {
            let _ = writeln!(out, "{:>10}:  {}", l.key, l.value);
        }
        for (i, f) in s.frames.iter().enumerate() {
            let value = if i == 0 { s.value_fmt.as_str() } else { "" };
            let inl = if f.inline { " (inline)" } else { "" };
            let _ = writeln!(out, "{value:>10}   {}{inl}", f.name);
        }
    }
    let _ = writeln!(out, "{TRACES_SEPARATOR}");
    out
}

/// `go tool pprof -tags` text (current upstream layout: shares of the profile total).
pub fn tags(r: &TagsReport) -> String {
    let mut raw = String::new();
    for k in &r.keys {
        if r.total > 0 {
            let _ = writeln!(
                raw,
                "{}:\t Total {} of {} ({})",
                k.key, k.total_fmt, r.total_fmt, k.pct
            );
        } else {
            let _ = writeln!(raw, "{}:\t Total {} of {}", k.key, k.total_fmt, r.total_fmt);
        }
        for v in &k.values {
            if r.total > 0 {
                let _ = writeln!(raw, " \t{} ({}):\t {}", v.weight_fmt, v.pct, v.value);
            } else {
                let _ = writeln!(raw, " \t{}:\t {}", v.weight_fmt, v.value);
            }
        }
        raw.push('\n');
    }
    align_right(&raw)
}

/// Keeps the first `n` lines of a text report (0 = all); says how many were cut.
pub fn head(text: &str, n: usize) -> String {
    let total = text.lines().count();
    if n == 0 || total <= n {
        return text.to_string();
    }
    let mut out: String = text.lines().take(n).flat_map(|l| [l, "\n"]).collect();
    let _ = writeln!(out, "... {} more lines (--lines 0 prints all)", total - n);
    out
}

/// `go tool pprof -list` text.
pub fn list(r: &ListReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Total: {}", r.total_fmt);
    for rt in &r.routines {
        if rt.file.is_empty() {
            let _ = writeln!(out, "No source information for {}", rt.function);
            continue;
        }
        let _ = writeln!(
            out,
            "ROUTINE ======================== {} in {}",
            rt.function, rt.file
        );
        let _ = writeln!(
            out,
            "{:>10} {:>10} (flat, cum) {} of Total",
            rt.flat_fmt, rt.cum_fmt, rt.cum_pct
        );
        if let Some(e) = &rt.error {
            let _ = writeln!(out, " Error: {e}");
            continue;
        }
        for l in &rt.lines {
            let _ = writeln!(
                out,
                "{:>10} {:>10} {:>6}:{}",
                l.flat_fmt, l.cum_fmt, l.line, l.text
            );
        }
    }
    out
}
