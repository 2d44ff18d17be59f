//! Graphviz DOT of a call graph, as `go tool pprof -dot` writes it: a legend cluster,
//! nodes `N<i>` labelled `name\nflat (pct)\nof cum (pct)` with font sizes 8 to 24 by
//! flat, colours by cum, edges labelled with their weight, heavier edges thicker,
//! residual edges dotted. Beyond pprof, inlined call edges are dashed.

use std::fmt::Write;
use std::sync::LazyLock;

use regex::Regex;

use crate::tools::pprof::callgraph::{CallGraph, GraphNode};
use crate::tools::pprof::measurement::percentage;
use crate::tools::pprof::nodelets::Nodelet;
use crate::tools::pprof::Granularity;

const LEGEND_HINT: &str = "\nSee https://git.io/JfYMW for how to read the graph";

/// pprof's `escapeForDot`: backslashes and quotes escaped, newlines left-justified.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\l")
}

static JAVA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[a-z]\w*\.)*([A-Z][\w\$]*\.(?:<init>|[a-z][\w\$]*(?:\$\d+)?))(?:(?:\()|$)")
        .expect("valid regex")
});
static GO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[\w\-\.]+/)+(.+)").expect("valid regex"));
static GO_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$").expect("valid regex"));
static CPP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[_a-zA-Z]\w*::)+(_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?)").expect("valid regex")
});
static CPP_ANONYMOUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(anonymous namespace\)::").expect("valid regex"));

/// pprof's `ShortenFunctionName`: package paths, Java packages and C++ namespaces off.
pub fn shorten_function_name(f: &str) -> String {
    let f = CPP_ANONYMOUS.replace_all(f, "");
    let f = GO_VERSION.replace_all(&f, "${1}${2}");
    for re in [&*GO, &*JAVA, &*CPP] {
        if let Some(c) = re.captures(&f) {
            if c.len() >= 2 {
                return c
                    .iter()
                    .skip(1)
                    .map(|m| m.map_or("", |m| m.as_str()))
                    .collect();
            }
        }
    }
    f.into_owned()
}

/// pprof's `multilinePrintableName`: the function name broken at `.` and `::`, then
/// the file's base name (with the line at line granularity), each line ending in `\n`.
fn multiline_name(name: &str, g: Granularity) -> String {
    let short = |f: &str| {
        escape(&shorten_function_name(f))
            .replace("::", "\\n")
            .replace("[...]", "[…]")
            .replace('.', "\\n")
    };
    let base = |file: &str| file.rsplit('/').next().unwrap_or(file).to_string();
    // pprof's printable name is "[address ]function[ file[:line]]" or "[objfile]":
    // only the function part is shortened and broken up.
    let mut words: Vec<&str> = name.split(' ').collect();
    let mut parts: Vec<String> = Vec::new();
    if words.len() > 1 && words[0].len() == 16 && words[0].bytes().all(|b| b.is_ascii_hexdigit()) {
        parts.push(words.remove(0).to_string());
    }
    let is_objfile = |w: &str| w.starts_with('[') && w.ends_with(']');
    let tail = match words.last() {
        Some(w) if is_objfile(w) || g == Granularity::Files => words.pop(),
        Some(_)
            if words.len() > 1
                && matches!(
                    g,
                    Granularity::Lines | Granularity::Filefunctions | Granularity::Addresses
                ) =>
        {
            words.pop()
        }
        _ => None,
    };
    if !words.is_empty() {
        parts.push(short(&words.join(" ")));
    }
    if let Some(t) = tail {
        parts.push(if is_objfile(t) { escape(t) } else { base(t) });
    }
    let mut out = parts.join("\\n");
    out.push_str("\\n");
    out
}

/// pprof's `dotColor`: grey near 0, red toward +1, green toward -1; light for fills.
pub fn dot_color(score: f64, background: bool) -> String {
    const SHIFT: f64 = 0.7;
    let (mut saturation, value) = if background { (0.1, 0.93) } else { (1.0, 0.7) };
    let mut score = score.clamp(-1.0, 1.0);
    if score.is_nan() {
        score = 0.0;
    }
    if score.abs() < 0.2 {
        saturation *= score.abs() / 0.2;
    }
    if score > 0.0 {
        score = score.powf(1.0 - SHIFT);
    }
    if score < 0.0 {
        score = -(-score).powf(1.0 - SHIFT);
    }
    let (r, g);
    if score < 0.0 {
        g = value;
        r = value * (1.0 + saturation * score);
    } else {
        r = value;
        g = value * (1.0 - saturation * score);
    }
    let b = value * (1.0 - saturation);
    // Go converts float to uint8 by truncation.
    let byte = |x: f64| (x * 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

/// The DOT text of a call graph, named after its title (else "unnamed", as pprof).
pub fn dot(g: &CallGraph, granularity: Granularity) -> String {
    let title = g.title.as_deref();
    let mut out = String::new();
    let graph_name = title.filter(|t| !t.is_empty()).unwrap_or("unnamed");
    let _ = writeln!(out, "digraph \"{graph_name}\" {{");
    let _ = writeln!(out, "node [style=filled fillcolor=\"#f8f8f8\"]");
    let mut labels = g.legend.clone();
    labels.push(LEGEND_HINT.to_string());
    if let Some(first) = labels.first() {
        let joined: Vec<String> = labels.iter().map(|l| escape(l)).collect();
        let _ = write!(
            out,
            "subgraph cluster_L {{ \"{}\" [shape=box fontsize=16 label=\"{}\\l\"",
            escape(first),
            joined.join("\\l")
        );
        if let Some(t) = title.filter(|t| !t.is_empty()) {
            let _ = write!(out, " tooltip=\"{t}\"");
        }
        let _ = writeln!(out, "] }}");
    }
    let total = g.total;
    let fmt = |v: i64| g.unit.format(v);
    let mut with_nodelets = vec![false; g.nodes.len()];
    let max_flat = g.nodes.iter().map(|n| n.flat.abs()).max().unwrap_or(0) as f64;
    for (i, n) in g.nodes.iter().enumerate() {
        let mut label = multiline_name(&n.name, granularity);
        let flat_value = fmt(n.flat);
        if n.flat != 0 {
            let _ = write!(
                label,
                "{} ({})",
                flat_value,
                percentage(n.flat, total).trim()
            );
        } else {
            label.push('0');
        }
        let mut cum_value = flat_value;
        if n.cum != n.flat {
            label.push_str(if n.flat != 0 { "\\n" } else { " " });
            cum_value = fmt(n.cum);
            let _ = write!(
                label,
                "of {} ({})",
                cum_value,
                percentage(n.cum, total).trim()
            );
        }
        let mut font = 8;
        if max_flat != 0.0 && n.flat != 0 && (n.flat.abs() as f64) <= max_flat {
            font += (16.0 * ((n.flat.abs() as f64) / max_flat).sqrt()).ceil() as i64;
        }
        let score = n.cum as f64 / (total.abs() as f64);
        let _ = writeln!(
            out,
            "N{id} [label=\"{label}\" id=\"node{id}\" fontsize={font} shape=box tooltip=\"{} ({cum_value})\" color=\"{}\" fillcolor=\"{}\"]",
            escape(&n.name),
            dot_color(score, false),
            dot_color(score, true),
            id = i + 1,
        );
        if write_nodelets(&mut out, n, i + 1, &fmt) {
            with_nodelets[i] = true;
        }
    }
    for e in &g.edges {
        let (Some(src), Some(dst)) = (g.nodes.get(e.src), g.nodes.get(e.dst)) else {
            continue;
        };
        let w = fmt(e.weight);
        let mut attr = format!(
            "label=\" {w}{}\"",
            if e.inline { "\\n (inline)" } else { "" }
        );
        if total != 0 {
            let weight = 1
                + (e.weight.saturating_mul(100).checked_div(total))
                    .map_or(100, |w| w.saturating_abs().min(100));
            if weight > 1 {
                let _ = write!(attr, " weight={weight}");
            }
            let width = 1
                + (e.weight.saturating_mul(5).checked_div(total))
                    .map_or(5, |w| w.saturating_abs().min(5));
            if width > 1 {
                let _ = write!(attr, " penwidth={width}");
            }
            let _ = write!(
                attr,
                " color=\"{}\"",
                dot_color(e.weight as f64 / total.abs() as f64, false)
            );
        }
        let arrow = if e.residual { "..." } else { "->" };
        let tooltip = format!(
            "\"{} {arrow} {} ({w})\"",
            escape(&src.name),
            escape(&dst.name)
        );
        let _ = write!(attr, " tooltip={tooltip} labeltooltip={tooltip}");
        if e.residual {
            attr.push_str(" style=\"dotted\"");
        } else if e.inline {
            attr.push_str(" style=\"dashed\"");
        }
        if with_nodelets.get(e.src).copied().unwrap_or(false) {
            // Children further away when the caller has nodelets.
            attr.push_str(" minlen=2");
        }
        let _ = writeln!(out, "N{} -> N{} [{attr}]", e.src + 1, e.dst + 1);
    }
    out.push_str("}\n");
    out
}

/// A node's nodelets, as pprof's `addNodelets`; true when it drew any.
fn write_nodelets(out: &mut String, n: &GraphNode, id: usize, fmt: &dyn Fn(i64) -> String) -> bool {
    let start = out.len();
    let node = format!("N{id}");
    for t in &n.nodelets {
        let label = format!("{node}_{}", t.index);
        nodelet(out, &node, &label, t, fmt);
        for u in &t.numeric {
            nodelet(out, &label, &format!("N{label}_{}", u.index), u, fmt);
        }
    }
    for u in &n.numeric {
        nodelet(out, &node, &format!("N{node}_{}", u.index), u, fmt);
    }
    out.len() > start
}

/// One nodelet box `id` hanging from `source` (pprof names numeric boxes `N<source>_<j>`).
fn nodelet(out: &mut String, source: &str, id: &str, t: &Nodelet, fmt: &dyn Fn(i64) -> String) {
    let w = fmt(t.weight);
    let attr = if t.dotted { " style=\"dotted\"" } else { "" };
    let _ = writeln!(
        out,
        "{id} [label = \"{}\" id=\"{id}\" fontsize=8 shape=box3d tooltip=\"{w}\"]",
        t.name
    );
    let _ = writeln!(
        out,
        "{source} -> {id} [label=\" {w}\" weight=100 tooltip=\"{w}\" labeltooltip=\"{w}\"{attr}]"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_as_pprof() {
        assert_eq!(
            shorten_function_name("compress/flate.(*decompressor).huffSym"),
            "flate.(*decompressor).huffSym"
        );
        assert_eq!(shorten_function_name("github.com/x/y/v2/pkg.F"), "pkg.F");
        assert_eq!(shorten_function_name("main.main"), "main.main");
        assert_eq!(
            shorten_function_name("(anonymous namespace)::foo::Bar::baz"),
            "Bar::baz"
        );
        assert_eq!(
            multiline_name(
                "compress/flate.(*decompressor).huffSym",
                Granularity::Functions
            ),
            "flate\\n(*decompressor)\\nhuffSym\\n"
        );
    }

    #[test]
    fn colours_as_pprof() {
        assert_eq!(dot_color(0.5139, false), "#b22000");
        assert_eq!(dot_color(0.5139, true), "#edd9d5");
        assert_eq!(dot_color(0.0, true), "#ededed");
    }
}
