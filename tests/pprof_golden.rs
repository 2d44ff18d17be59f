//! Text golden tests of the pprof parity tools: every reference in a MANIFEST.tsv
//! (tests/fixtures, and ../shared/corpus when present) whose `go tool pprof` command
//! uses options we implement is re-run through the library and compared byte for byte.
//!
//! The references come from Go 1.19's vendored pprof (2022); we print current upstream
//! pprof's formats. The one difference in these reports is the `Time:` line (upstream
//! pprof #903 changed its layout), so the comparison rewrites our `Time:` line into the
//! old layout for the same instant before comparing. In `-dot` graphs that line sits in the
//! legend, and our one addition to pprof's DOT, `style="dashed"` on inlined call edges, is
//! removed before comparing. Nothing else is normalised.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use profsql::report::pprof_text;
use profsql::tools::pprof::combine::{self, BaseMode};
use profsql::tools::pprof::{self, Granularity, ReportOptions, SourceOptions};

/// Splits a shell command line (single and double quotes, backslash outside quotes).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                have = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                have = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                have = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            c => {
                have = true;
                cur.push(c);
            }
        }
    }
    if have {
        out.push(cur);
    }
    out
}

/// How the profile is read: bases to subtract, and whether to compact it first.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Load {
    tagroot: Option<String>,
    tagleaf: Option<String>,
    /// Other profiles on the command line, merged before the profile in that order.
    sources: Vec<String>,
    bases: Vec<String>,
    diff: bool,
    normalize: bool,
    /// Go 1.19's pprof merged every profile it read, even a single one (pprof's
    /// `Compact`: equal samples add up, all-zero samples go); current pprof skips that
    /// for one profile. Only -traces shows the difference, so those compare against our
    /// traces of the compacted profile.
    compact: bool,
}

enum Report {
    Top(ReportOptions),
    Peek(ReportOptions, String),
    Traces(ReportOptions),
    Tags(ReportOptions),
    List(ReportOptions, String, SourceOptions),
    Dot(ReportOptions),
}

/// Maps pprof's arguments to a report, or None when an option is not implemented here.
fn parse(args: &[String]) -> Option<(Report, Load)> {
    if let Some(at) = args.iter().position(|a| a == "-peek") {
        let rx = args.get(at + 1)?.clone();
        let mut rest: Vec<String> = vec!["-top".into()];
        rest.extend(args[..at].iter().cloned());
        rest.extend(args[at + 2..].iter().cloned());
        return match parse(&rest)? {
            (Report::Top(o), load) => Some((Report::Peek(o, rx), load)),
            _ => None,
        };
    }
    if let Some(at) = args.iter().position(|a| a == "-list") {
        let rx = args.get(at + 1)?.clone();
        let mut src = SourceOptions::default();
        let mut rest: Vec<String> = vec!["-top".into()];
        for a in args[..at].iter().chain(&args[at + 2..]) {
            match a.split_once('=') {
                Some(("-source_path", v)) => src.source_path.push(v.to_string()),
                Some(("-trim_path", v)) => src.trim_path = v.to_string(),
                _ => rest.push(a.clone()),
            }
        }
        return match parse(&rest)? {
            (Report::Top(o), load) => Some((Report::List(o, rx, src), load)),
            _ => None,
        };
    }
    let mut load = Load::default();
    let mut o = ReportOptions::default();
    let mut kind = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let (flag, value) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (a, None),
        };
        match flag {
            "-top" => kind = Some("top"),
            "-traces" => kind = Some("traces"),
            "-tags" => kind = Some("tags"),
            "-dot" => kind = Some("dot"),
            "-tagshow" => o.tagshow = value,
            "-base" => load.bases.push(value?),
            "-diff_base" => {
                load.diff = true;
                load.bases.push(value?);
            }
            "-normalize" => load.normalize = true,
            "-tagroot" => load.tagroot = value,
            "-tagleaf" => load.tagleaf = value,
            "-trim_path" => o.trim_path = value,
            "-source_path" => o.source_path.push(value?),
            f if !f.starts_with('-') => load.sources.push(a.to_string()),
            "-drop_negative" => o.drop_negative = true,
            "-taghide" => o.taghide = value,
            "-symbolize" => {}
            "-cum" => o.cum = true,
            "-mean" => o.mean = true,
            "-noinlines" => o.noinlines = true,
            "-relative_percentages" => o.relative_percentages = true,
            "-lines" => o.granularity = Granularity::Lines,
            "-files" => o.granularity = Granularity::Files,
            "-filefunctions" => o.granularity = Granularity::Filefunctions,
            "-addresses" => o.granularity = Granularity::Addresses,
            "-functions" => o.granularity = Granularity::Functions,
            "-nodecount" => o.nodecount = value?.parse().ok()?,
            "-nodefraction" => o.nodefraction = value?.parse().ok()?,
            "-edgefraction" => o.edgefraction = value?.parse().ok()?,
            "-sample_index" => o.sample_index = value,
            "-focus" => o.focus = value,
            "-ignore" => o.ignore = value,
            "-hide" => o.hide = value,
            "-show" => o.show = value,
            "-show_from" => o.show_from = value,
            "-prune_from" => o.prune_from = value,
            "-tagfocus" => o.tagfocus = value,
            "-tagignore" => o.tagignore = value,
            _ => return None,
        }
        i += 1;
    }
    load.compact = kind == Some("traces") && load.bases.is_empty();
    match kind? {
        "top" => Some((Report::Top(o), load)),
        "traces" => Some((Report::Traces(o), load)),
        "tags" => Some((Report::Tags(o), load)),
        "dot" => Some((Report::Dot(o), load)),
        _ => None,
    }
}

/// Go 1.19's `-tags` layout, which predates upstream pprof #929: `Total` without the
/// profile total, values as `%.1f` in the unit pprof picks for each, and percentages of
/// the key's total rather than of the profile's. Rendered from our payload so the
/// comparison checks every number.
fn old_tags(r: &pprof::TagsReport) -> String {
    use pprof::measurement::{percentage, scale};
    let unit = &r.unit;
    let fixed = |v: i64| {
        let (f, u) = scale(v, &unit.sample_unit, &unit.output_unit);
        format!("{f:.1}{u}")
    };
    let mut raw = String::new();
    for k in &r.keys {
        raw.push_str(&format!("{}:\t Total {}\n", k.key, fixed(k.total)));
        for v in &k.values {
            if k.total > 0 {
                raw.push_str(&format!(
                    " \t{} ({}):\t {}\n",
                    fixed(v.weight),
                    percentage(v.weight, k.total),
                    v.value
                ));
            } else {
                raw.push_str(&format!(" \t{}:\t {}\n", fixed(v.weight), v.value));
            }
        }
        raw.push('\n');
    }
    profsql::report::tabwriter::align_right(&raw)
}

/// Our `Time: 2006-01-02 15:04:05 MST` line in Go 1.19's `Jan 2, 2006 at 3:04pm (MST)`.
fn old_time_line(line: &str) -> String {
    let Some(rest) = line.strip_prefix("Time: ") else {
        return line.to_string();
    };
    let (stamp, zone) = rest.rsplit_once(' ').unwrap_or((rest, ""));
    match chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S") {
        Ok(t) => format!("Time: {} ({zone})", t.format("%b %-d, %Y at %-I:%M%P")),
        Err(_) => line.to_string(),
    }
}

/// Our DOT with Go 1.19's legend `Time:` and without the inline-edge style we add.
fn normalise_dot(text: &str) -> String {
    let text = text.replace(" style=\"dashed\"", "");
    let Some(start) = text.find("\\lTime: ") else {
        return text;
    };
    let line_start = start + 2;
    let end = text[line_start..]
        .find("\\l")
        .map_or(text.len(), |e| line_start + e);
    format!(
        "{}{}{}",
        &text[..line_start],
        old_time_line(&text[line_start..end]),
        &text[end..]
    )
}

fn normalise(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("Time: ") {
                old_time_line(l)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads a reference's profile as pprof read it.
fn open(path: &Path, load: &Load) -> Result<(profsql::Engine, u32), String> {
    let mut e = common::engine();
    let name = path.display().to_string();
    let plain = load.tagroot.is_none() && load.tagleaf.is_none();
    if load.bases.is_empty() && load.sources.is_empty() && !load.compact && plain {
        let id = e.load_file(path).map_err(|x| x.to_string())?;
        return Ok((e, id));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let p = e.decode_file(path).map_err(|x| x.to_string())?;
    let p = if !load.sources.is_empty() {
        let mut all = load
            .sources
            .iter()
            .map(|s| e.decode_file(&dir.join(s)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|x| x.to_string())?;
        all.push(p);
        let refs: Vec<&profsql::decode::Profile> = all.iter().collect();
        combine::reparse(combine::merge_profiles(&refs).map_err(|x| x.to_string())?)
            .map_err(|x| x.to_string())?
    } else if load.compact {
        combine::compact(&p).map_err(|x| x.to_string())?
    } else {
        let bases = load
            .bases
            .iter()
            .map(|b| e.decode_file(&dir.join(b)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|x| x.to_string())?;
        let mode = if load.diff {
            BaseMode::Diff
        } else {
            BaseMode::Subtract
        };
        let refs: Vec<&profsql::decode::Profile> = bases.iter().collect();
        let d = combine::Derivation {
            mode,
            normalize: load.normalize,
            ..Default::default()
        };
        match combine::derive(&p, &refs, &d).map_err(|x| x.to_string())? {
            (Some(derived), _) => derived,
            (None, _) => p,
        }
    };
    let p = match pprof::label_nodes::add_label_nodes(
        &p,
        load.tagroot.as_deref(),
        load.tagleaf.as_deref(),
    )
    .map_err(|x| x.to_string())?
    {
        Some((with_labels, _)) => with_labels,
        None => p,
    };
    let id = e.add_profile(name, p).map_err(|x| x.to_string())?;
    Ok((e, id))
}

struct Outcome {
    checked: usize,
    skipped: BTreeMap<String, usize>,
    failures: Vec<String>,
}

fn check_manifest(dir: &Path) -> Outcome {
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut out = Outcome {
        checked: 0,
        skipped: BTreeMap::new(),
        failures: Vec::new(),
    };
    let rt = common::runtime();
    let mut engines: BTreeMap<(PathBuf, Load), (profsql::Engine, u32)> = BTreeMap::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 6 {
            continue;
        }
        let (profile, reference, command) = (cols[0], cols[4], cols[5]);
        let words = shell_words(command);
        // "go tool pprof ARGS FILE"
        let args = &words[3..words.len().saturating_sub(1)];
        let Some((report, load)) = parse(args) else {
            let key = args
                .iter()
                .find(|a| !a.starts_with("-symbolize"))
                .cloned()
                .unwrap_or_default();
            let key = key.split('=').next().unwrap_or_default().to_string();
            *out.skipped.entry(key).or_default() += 1;
            continue;
        };
        let path = dir.join(profile);
        let key = (path.clone(), load.clone());
        if !engines.contains_key(&key) {
            match open(&path, &load) {
                Ok(loaded) => {
                    engines.insert(key.clone(), loaded);
                }
                Err(_) => {
                    // Legacy text formats are not decoded yet.
                    *out.skipped.entry("unsupported format".into()).or_default() += 1;
                    continue;
                }
            }
        }
        let Some((engine, id)) = engines.get(&key) else {
            continue;
        };
        let got = rt.block_on(async {
            match &report {
                Report::Top(o) => pprof::top(engine, *id, o)
                    .await
                    .map(|r| pprof_text::top(&r)),
                Report::Peek(o, rx) => pprof::peek(engine, *id, o, rx)
                    .await
                    .map(|r| pprof_text::peek(&r)),
                Report::Traces(o) => pprof::traces(engine, *id, o, 0)
                    .await
                    .map(|r| pprof_text::traces(&r)),
                Report::Tags(o) => pprof::tags(engine, *id, o).await.map(|r| old_tags(&r)),
                Report::List(o, rx, src) => {
                    // pprof searched the profile's folder (its working directory) when no
                    // source_path was given; the references name it <FIXTURES>.
                    let mut src = src.clone();
                    let cwd = path
                        .parent()
                        .unwrap_or(Path::new("."))
                        .display()
                        .to_string();
                    if src.source_path.is_empty() {
                        src.source_path.push(cwd.clone());
                    }
                    pprof::list(engine, *id, o, rx, &src)
                        .await
                        .map(|r| pprof_text::list(&r).replace(&cwd, "<FIXTURES>"))
                }
                Report::Dot(o) => pprof::callgraph::callgraph(engine, *id, o)
                    .await
                    .map(|g| normalise_dot(&profsql::report::dot::dot(&g, o.granularity))),
            }
        });
        let want = std::fs::read_to_string(dir.join(reference)).expect("reference");
        if let (Report::List(..), Ok(g)) = (&report, &got) {
            // The reference shows source this machine does not have (e.g. no Go 1.19
            // GOROOT): nothing to compare the lines with.
            if g.contains(" Error: ") && !want.contains(" Error: ") {
                *out.skipped
                    .entry("-list (source not installed)".into())
                    .or_default() += 1;
                continue;
            }
        }
        out.checked += 1;
        match got {
            Ok(got) => {
                let (g, w) = (normalise(&got), normalise(&want));
                if g != w {
                    let first = g
                        .lines()
                        .zip(w.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or_else(|| g.lines().count().min(w.lines().count()));
                    out.failures.push(format!(
                        "{reference} ({command}): first difference at line {}:\n  got:  {:?}\n  want: {:?}",
                        first + 1,
                        g.lines().nth(first).unwrap_or("<end>"),
                        w.lines().nth(first).unwrap_or("<end>"),
                    ));
                }
            }
            Err(e) => out
                .failures
                .push(format!("{reference} ({command}): error {e}")),
        }
    }
    out
}

fn report(name: &str, o: &Outcome) {
    eprintln!(
        "{name}: checked {} text references, {} failed; not yet covered: {:?}",
        o.checked,
        o.failures.len(),
        o.skipped
    );
    for f in &o.failures {
        eprintln!("{f}");
    }
}

#[test]
fn fixture_text_references() {
    let o = check_manifest(&common::fixtures_dir());
    report("fixtures", &o);
    assert!(o.checked > 100, "too few references checked");
    assert!(
        o.failures.is_empty(),
        "{} fixture references differ",
        o.failures.len()
    );
}

#[test]
fn corpus_text_references() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let o = check_manifest(&dir);
    report("corpus", &o);
    assert!(o.checked > 100, "too few references checked");
    assert!(
        o.failures.is_empty(),
        "{} corpus references differ",
        o.failures.len()
    );
}

#[test]
fn shell_words_split_like_sh() {
    assert_eq!(
        shell_words(r"go tool pprof -peek '^a\.b$' '-focus=x y' f"),
        vec!["go", "tool", "pprof", "-peek", r"^a\.b$", "-focus=x y", "f"]
    );
}
