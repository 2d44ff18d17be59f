//! pprof's text layouts for the parity tools' reports.

use std::fmt::Write;

use super::tabwriter::align_right;
use crate::tools::pprof::diff_top::DiffTopReport;
use crate::tools::pprof::meta::MetaReport;
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

/// Every name's trace line, plain and inlined, built once into one buffer: a large
/// profile prints millions of frames and a few thousand names.
struct FrameLines {
    text: String,
    /// Per name: start of its plain line, start of its inlined line, end.
    spans: Vec<[usize; 3]>,
}

impl FrameLines {
    const INDENT: &str = "             ";

    fn new(names: &[String]) -> Self {
        let mut text = String::new();
        let mut spans = Vec::with_capacity(names.len() + 1);
        let push = |text: &mut String, name: &str, suffix: &str| {
            text.push_str(Self::INDENT);
            text.push_str(name);
            text.push_str(suffix);
            text.len()
        };
        // The last entry stands for an unknown node.
        for name in names.iter().map(String::as_str).chain([""]) {
            let plain = text.len();
            let inlined = push(&mut text, name, "\n");
            let end = push(&mut text, name, " (inline)\n");
            spans.push([plain, inlined, end]);
        }
        Self { text, spans }
    }

    fn get(&self, node: u32, inline: bool) -> &str {
        let [plain, inlined, end] = self
            .spans
            .get(node as usize)
            .or(self.spans.last())
            .copied()
            .unwrap_or_default();
        if inline {
            &self.text[inlined..end]
        } else {
            &self.text[plain..inlined]
        }
    }
}

/// `go tool pprof -traces` text.
pub fn traces(r: &TracesReport) -> String {
    // Sized up front: the text can run to megabytes.
    let frames: usize = r.frames.len() * 48;
    let mut out = String::with_capacity(frames + r.samples.len() * 80 + 4096);
    let _ = write_traces(&mut out, r);
    out
}

/// `go tool pprof -traces` text, written as it is made: a large profile's runs to
/// megabytes, which a CLI streams rather than holds.
pub fn write_traces(out: &mut impl Write, r: &TracesReport) -> std::fmt::Result {
    for h in &r.header {
        writeln!(out, "{h}")?;
    }
    let lines = FrameLines::new(&r.names);
    for s in &r.samples {
        writeln!(out, "{TRACES_SEPARATOR}")?;
        for l in &s.labels {
            writeln!(out, "{:>10}:  {}", l.key, l.value)?;
        }
        for (i, f) in r.frames_of(s).iter().enumerate() {
            let l = lines.get(f.node(), f.inline());
            if i == 0 {
                write!(out, "{:>10}   ", s.value_fmt)?;
                out.write_str(&l[FrameLines::INDENT.len()..])?;
            } else {
                out.write_str(l)?;
            }
        }
    }
    writeln!(out, "{TRACES_SEPARATOR}")
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

/// Passes on the first `limit` lines of a text report (0 = all) and counts the rest;
/// `finish` says how many were cut.
pub struct Head<W> {
    inner: W,
    limit: usize,
    lines: usize,
}

impl<W: Write> Head<W> {
    pub fn new(inner: W, limit: usize) -> Self {
        Self {
            inner,
            limit,
            lines: 0,
        }
    }

    /// Writes the "N more lines" note when lines were cut; returns the inner writer.
    pub fn finish(mut self) -> Result<W, std::fmt::Error> {
        if self.limit > 0 && self.lines > self.limit {
            let cut = self.lines - self.limit;
            writeln!(self.inner, "... {cut} more lines (--lines 0 prints all)")?;
        }
        Ok(self.inner)
    }
}

impl<W: Write> Write for Head<W> {
    fn write_str(&mut self, mut s: &str) -> std::fmt::Result {
        if self.limit == 0 {
            return self.inner.write_str(s);
        }
        if self.lines >= self.limit {
            // Past the limit only the count matters.
            self.lines += s.bytes().filter(|&b| b == b'\n').count();
            return Ok(());
        }
        while !s.is_empty() {
            let line_end = s.find('\n').map_or(s.len(), |i| i + 1);
            let (line, rest) = s.split_at(line_end);
            if self.lines < self.limit {
                self.inner.write_str(line)?;
            }
            if line.ends_with('\n') {
                self.lines += 1;
            }
            s = rest;
        }
        Ok(())
    }
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

/// `pprof.meta` as text.
pub fn meta(r: &MetaReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Profile: {}", r.profile_path);
    let _ = writeln!(out, "Kind: {}", r.detected_profile_kind);
    let default = r
        .default_sample_index
        .and_then(|i| r.sample_types.get(i))
        .map_or("none", |t| t.r#type.as_str());
    let _ = writeln!(out, "Default sample type: {default}");
    let _ = writeln!(out, "Samples: {}", r.num_samples);
    for t in &r.totals {
        let _ = writeln!(
            out,
            "  {}/{}: total {} ({})",
            t.r#type,
            t.unit,
            t.total,
            crate::tools::pprof::measurement::label(t.total, &t.unit)
        );
    }
    if let Some(pt) = &r.period_type {
        let _ = writeln!(out, "Period: {} {}/{}", r.period, pt.r#type, pt.unit);
    }
    if r.time_nanos != 0 {
        let _ = writeln!(
            out,
            "Time: {}",
            crate::tools::pprof::format_time(r.time_nanos)
        );
    }
    if r.duration_nanos != 0 {
        let _ = writeln!(
            out,
            "Duration: {}",
            crate::tools::pprof::measurement::label(r.duration_nanos, "nanoseconds")
        );
    }
    let keys = if r.label_keys.is_empty() {
        "none".to_string()
    } else {
        r.label_keys.join(", ")
    };
    let _ = writeln!(out, "Label keys: {keys}");
    if let Some(v) = &r.go_version {
        let _ = writeln!(out, "Go version: {v}");
    }
    if let Some(b) = &r.build_id {
        let _ = writeln!(out, "Build ID: {b}");
    }
    out
}

/// `pprof.diff_top` as text: the change per function, then pprof's `-diff_base` top.
pub fn diff_top(r: &DiffTopReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Change of {} {} per function: {} (before) -> {} (after)",
        r.sample_type, r.compared, r.before, r.after
    );
    let _ = writeln!(
        out,
        "Totals: {} -> {}",
        r.unit.format(r.before_total),
        r.unit.format(r.after_total)
    );
    let _ = writeln!(
        out,
        "{:>10} {:>10} {:>10} {:>7}  name",
        "before", "after", "delta", "delta%"
    );
    for d in &r.deltas {
        let sign = if d.delta > 0 { "+" } else { "-" };
        let _ = writeln!(
            out,
            "{:>10} {:>10} {:>10} {sign}{:>6}  {}",
            d.before_fmt,
            d.after_fmt,
            d.delta_fmt,
            d.delta_pct.trim(),
            d.name
        );
    }
    if r.deltas.len() < r.changed {
        let _ = writeln!(
            out,
            "({} of {} changed functions shown)",
            r.deltas.len(),
            r.changed
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "go tool pprof -top -diff_base={} {}:",
        r.before, r.after
    );
    out.push_str(&top(&r.diff_base));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_keeps_lines_across_writes_and_counts_the_rest() {
        let mut h = Head::new(String::new(), 2);
        for piece in ["a\nb", "\nc\n", "d\ne"] {
            h.write_str(piece).unwrap();
        }
        // "e" has no newline yet: only whole lines count as cut.
        assert_eq!(
            h.finish().unwrap(),
            "a\nb\n... 2 more lines (--lines 0 prints all)\n"
        );
        let mut all = Head::new(String::new(), 0);
        all.write_str("a\nb\nc\n").unwrap();
        assert_eq!(all.finish().unwrap(), "a\nb\nc\n");
    }
}
