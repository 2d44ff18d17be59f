//! pprof's text layouts for the parity tools' reports.

use std::fmt::Write;

use super::tabwriter::align_right;
use crate::tools::pprof::diff_top::DiffTopReport;
use crate::tools::pprof::meta::MetaReport;
use crate::tools::pprof::traces::TraceSample;
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
        // Sized exactly: grown by doubling, the text's copies fault in twice its size.
        let per_name = 2 * Self::INDENT.len() + "\n (inline)\n".len();
        let size = names.iter().map(|n| 2 * n.len() + per_name).sum::<usize>() + per_name;
        let mut text = String::with_capacity(size);
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
    // Below this many frames a second thread costs more than it saves.
    const TWO_THREADS_FROM: usize = 1 << 16;
    if r.frames.len() >= TWO_THREADS_FROM {
        return write_traces_on_two_threads(out, r);
    }
    for h in &r.header {
        writeln!(out, "{h}")?;
    }
    write_trace_samples(out, r, &FrameLines::new(&r.names), &r.samples)?;
    writeln!(out, "{TRACES_SEPARATOR}")
}

/// `write_traces` on two threads: the samples go in blocks of about `BLOCK` frames, this
/// thread formatting and writing the even blocks and a helper formatting the odd ones into
/// buffers that this thread writes in turn and hands back. The same text, in about half
/// the time on two cores, through a few buffers reused (fresh pages cost more than the
/// formatting on a cold run).
fn write_traces_on_two_threads(out: &mut impl Write, r: &TracesReport) -> std::fmt::Result {
    const BLOCK: usize = 4096;
    // Blocks of whole samples: block k is samples[starts[k]..starts[k + 1]].
    let mut starts = vec![0];
    let mut next = BLOCK;
    for (i, s) in r.samples.iter().enumerate() {
        if s.frames.start >= next {
            starts.push(i);
            next = s.frames.start + BLOCK;
        }
    }
    starts.push(r.samples.len());
    let block = |k: usize| &r.samples[starts[k]..starts[k + 1]];
    let blocks = starts.len() - 1;
    let lines = FrameLines::new(&r.names);
    std::thread::scope(|scope| {
        // Two formatted blocks may wait; each buffer comes back once written.
        let (tx, rx) = std::sync::mpsc::sync_channel::<String>(2);
        let (back, returned) = std::sync::mpsc::channel::<String>();
        let lines = &lines;
        scope.spawn(move || {
            for k in (1..blocks).step_by(2) {
                let mut text = returned
                    .try_recv()
                    .unwrap_or_else(|_| String::with_capacity(BLOCK * 64));
                text.clear();
                let _ = write_trace_samples(&mut text, r, lines, block(k));
                // A closed channel means the writer failed: stop formatting.
                if tx.send(text).is_err() {
                    return;
                }
            }
        });
        for h in &r.header {
            writeln!(out, "{h}")?;
        }
        for k in 0..blocks {
            if k % 2 == 0 {
                write_trace_samples(out, r, lines, block(k))?;
            } else {
                let text = rx.recv().map_err(|_| std::fmt::Error)?;
                out.write_str(&text)?;
                let _ = back.send(text);
            }
        }
        writeln!(out, "{TRACES_SEPARATOR}")
    })
}

fn write_trace_samples(
    out: &mut impl Write,
    r: &TracesReport,
    lines: &FrameLines,
    samples: &[TraceSample],
) -> std::fmt::Result {
    for s in samples {
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
    Ok(())
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

    /// Traces long enough for two threads print exactly what one thread prints.
    #[test]
    fn traces_text_is_the_same_on_two_threads() {
        use crate::tools::pprof::traces::{TraceFrame, TraceLabel};
        use crate::tools::pprof::ValueFormat;
        let names: Vec<String> = (0..50).map(|i| format!("pkg.func{i}")).collect();
        let (mut samples, mut frames) = (Vec::new(), Vec::new());
        for s in 0..9000usize {
            let start = frames.len();
            for d in 0..(s % 23) {
                frames.extend(TraceFrame::new(((s + d) % 51) as u32, d % 5 == 1));
            }
            samples.push(TraceSample {
                sample_id: s as u64,
                value: s as i64,
                value_fmt: format!("{s}ms"),
                labels: (s % 7 == 0)
                    .then(|| TraceLabel {
                        key: "k".into(),
                        value: format!("v{s}"),
                    })
                    .into_iter()
                    .collect(),
                frames: start..frames.len(),
            });
        }
        let r = TracesReport {
            profile: "p".into(),
            sample_type: "cpu".into(),
            unit: ValueFormat::per_value("nanoseconds"),
            total: 1,
            header: vec!["File: p".into(), "Type: cpu".into()],
            samples,
            frames,
            names,
            total_samples: 9000,
            truncated: false,
            warnings: Vec::new(),
        };
        assert!(
            r.frames.len() >= (1 << 16),
            "too few frames for two threads"
        );
        let mut one = String::new();
        for h in &r.header {
            writeln!(one, "{h}").unwrap();
        }
        write_trace_samples(&mut one, &r, &FrameLines::new(&r.names), &r.samples).unwrap();
        writeln!(one, "{TRACES_SEPARATOR}").unwrap();
        let mut two = String::new();
        write_traces(&mut two, &r).unwrap();
        assert_eq!(one.len(), two.len());
        assert!(one == two);
        // Cut by a line limit, the count of the rest covers both halves.
        let mut head = Head::new(String::new(), 3);
        write_traces(&mut head, &r).unwrap();
        let cut = one.lines().count() - 3;
        assert!(head
            .finish()
            .unwrap()
            .ends_with(&format!("... {cut} more lines (--lines 0 prints all)\n")));
    }
}
