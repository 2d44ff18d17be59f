//! Pictures and exports: folded stacks against pprof's own flat/cum numbers, flame graph
//! SVGs (well-formed, widths proportional to values, differential colours), speedscope
//! JSON, call graphs rendered by Graphviz, and a headless-browser screenshot.
//!
//! Graphviz and Chromium are optional here and skipped when absent, unless
//! PROFSQL_REQUIRE_GRAPHVIZ / PROFSQL_REQUIRE_BROWSER is set (`.ci/run` sets both after
//! installing them), so CI cannot pass by skipping.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use profsql::registry::{CallError, Context, PathPolicy, ProfileStore, Registry};
use profsql::report::{flamegraph, folded, speedscope};
use profsql::tools::pprof::stacks::{stacks, StackSet};
use profsql::tools::pprof::ReportOptions;
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    common::fixtures_dir().join(name)
}

fn stack_set(name: &str, o: &ReportOptions) -> StackSet {
    let mut e = common::engine();
    let id = e.load_file(&fixture(name)).expect("fixture loads");
    common::runtime()
        .block_on(stacks(&e, id, o))
        .expect("stacks")
}

/// `name -> (flat, cum)` from a `P.exact.T.tsv` reference of `go tool pprof`.
fn exact(name: &str, sample_type: &str) -> BTreeMap<String, (i64, i64)> {
    let path = fixture(&format!("{name}.exact.{sample_type}.tsv"));
    std::fs::read_to_string(&path)
        .expect("exact reference")
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].to_string(),
                (c[1].parse().expect("flat"), c[2].parse().expect("cum")),
            )
        })
        .collect()
}

/// Folded lines parsed back: (frames root first, value).
fn parse_folded(text: &str) -> Vec<(Vec<String>, i64)> {
    text.lines()
        .map(|l| {
            let (path, n) = l.rsplit_once(' ').expect("`stack N`");
            (
                path.split(';').map(String::from).collect(),
                n.parse().expect("count"),
            )
        })
        .collect()
}

#[test]
fn folded_stacks_give_pprofs_flat_and_cum() {
    for (name, st) in [
        ("cpu.pb.gz", "cpu"),
        ("heap.pb.gz", "alloc_space"),
        ("heap.pb.gz", "inuse_objects"),
        ("labels.cpu.pb.gz", "cpu"),
        ("mutex.pb.gz", "delay"),
    ] {
        let o = ReportOptions {
            sample_index: Some(st.to_string()),
            ..Default::default()
        };
        let set = stack_set(name, &o);
        let lines = parse_folded(&folded::folded(&set));
        let mut flat: BTreeMap<String, i64> = BTreeMap::new();
        let mut cum: BTreeMap<String, i64> = BTreeMap::new();
        for (frames, v) in &lines {
            *flat
                .entry(frames.last().cloned().unwrap_or_default())
                .or_default() += v;
            let mut seen: Vec<&String> = frames.iter().collect();
            seen.sort();
            seen.dedup();
            for f in seen {
                *cum.entry(f.clone()).or_default() += v;
            }
        }
        let want = exact(name, st);
        for (f, (wf, wc)) in &want {
            assert_eq!(
                flat.get(f).copied().unwrap_or(0),
                *wf,
                "{name} {st} flat of {f}"
            );
            assert_eq!(
                cum.get(f).copied().unwrap_or(0),
                *wc,
                "{name} {st} cum of {f}"
            );
        }
        let total: i64 = lines.iter().map(|l| l.1).sum();
        assert_eq!(total, set.total, "{name} {st}");
        assert_eq!(total, set.profile_total, "{name} {st}: nothing filtered");
        // Deterministic: sorted, and the same on a second run.
        let again = folded::folded(&stack_set(name, &o));
        assert_eq!(again, folded::folded(&set));
    }
}

#[test]
fn filters_apply_to_folded_stacks() {
    let o = ReportOptions {
        focus: Some("main\\.sortWork".into()),
        hide: Some("^runtime\\.".into()),
        ..Default::default()
    };
    let set = stack_set("cpu.pb.gz", &o);
    let lines = parse_folded(&folded::folded(&set));
    assert!(!lines.is_empty());
    for (frames, _) in &lines {
        assert!(frames.iter().any(|f| f == "main.sortWork"), "{frames:?}");
        assert!(
            !frames.iter().any(|f| f.starts_with("runtime.")),
            "{frames:?}"
        );
    }
    let cum = exact("cpu.pb.gz", "cpu")["main.sortWork"].1;
    assert_eq!(set.total, cum, "focus keeps exactly the samples through it");
}

/// One drawn frame of an inferno SVG.
#[derive(Debug)]
struct Frame {
    title: String,
    x_pct: f64,
    width_pct: f64,
    y: f64,
    fill: String,
    fg_x: i64,
    fg_w: i64,
}

/// Parses the SVG with an XML parser (failing on malformed XML) and returns its frames.
fn svg_frames(svg: &[u8]) -> Vec<Frame> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(svg).expect("utf-8 SVG");
    let mut reader = quick_xml::Reader::from_str(text);
    let mut frames = Vec::new();
    let mut title: Option<String> = None;
    let mut in_title = false;
    let mut root = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) if e.name().as_ref() == b"svg" => root = true,
            Event::Start(e) if e.name().as_ref() == b"title" => {
                in_title = true;
                title = Some(String::new());
            }
            Event::Text(t) if in_title => {
                let s = t.decode().expect("text").into_owned();
                if let Some(title) = title.as_mut() {
                    title.push_str(&quick_xml::escape::unescape(&s).expect("entities"));
                }
            }
            Event::GeneralRef(r) if in_title => {
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                let ch = match name.as_str() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "?",
                };
                if let Some(title) = title.as_mut() {
                    title.push_str(ch);
                }
            }
            Event::End(e) if e.name().as_ref() == b"title" => in_title = false,
            Event::Empty(e) if e.name().as_ref() == b"rect" => {
                let Some(t) = title.take() else { continue };
                let mut attrs: HashMap<String, String> = HashMap::new();
                for a in e.attributes() {
                    let a = a.expect("attribute");
                    attrs.insert(
                        String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("value")
                            .into_owned(),
                    );
                }
                let pct = |k: &str| -> f64 {
                    attrs[k].trim_end_matches('%').parse().expect("percentage")
                };
                frames.push(Frame {
                    title: t,
                    x_pct: pct("x"),
                    width_pct: pct("width"),
                    y: attrs["y"].parse().expect("y"),
                    fill: attrs["fill"].clone(),
                    fg_x: attrs["fg:x"].parse().expect("fg:x"),
                    fg_w: attrs["fg:w"].parse().expect("fg:w"),
                });
            }
            _ => {}
        }
    }
    assert!(root, "an <svg> root element");
    frames
}

fn function_of(title: &str) -> &str {
    title.rsplit_once(" (").map_or(title, |(f, _)| f)
}

#[test]
fn flame_graph_svg_is_well_formed_with_proportional_widths() {
    let set = stack_set("cpu.pb.gz", &ReportOptions::default());
    let svg = flamegraph::flamegraph(&set, &Default::default()).expect("svg");
    let frames = svg_frames(&svg);
    let total = set.total as f64;
    let all = frames
        .iter()
        .find(|f| function_of(&f.title) == "all")
        .expect("an `all` frame");
    assert_eq!(all.fg_w, set.total);
    assert!((all.width_pct - 100.0).abs() < 1e-9);
    for f in &frames {
        assert!(
            (f.width_pct - 100.0 * f.fg_w as f64 / total).abs() < 1e-3,
            "{f:?}: width is its share of the total"
        );
        assert!(
            (f.x_pct - 100.0 * f.fg_x as f64 / total).abs() < 1e-3,
            "{f:?}"
        );
    }
    // A function's frames add up to its cum where it never recurses: runtime.main, and
    // the heaviest leaves by pprof's reference are all drawn.
    let want = exact("cpu.pb.gz", "cpu");
    let drawn: i64 = frames
        .iter()
        .filter(|f| function_of(&f.title) == "main.runFor")
        .map(|f| f.fg_w)
        .sum();
    assert_eq!(drawn, want["main.runFor"].1);
    let mut by_flat: Vec<(&String, &(i64, i64))> = want.iter().collect();
    by_flat.sort_by_key(|b| std::cmp::Reverse((b.1).0));
    for (name, _) in by_flat.iter().take(5) {
        assert!(
            frames
                .iter()
                .any(|f| function_of(&f.title) == name.as_str()),
            "{name} is drawn"
        );
    }
    let text = String::from_utf8_lossy(&svg);
    assert!(
        text.contains("cpu flame graph: 2.55s total"),
        "titled with type and total"
    );
    // The same input gives the same bytes.
    let again = flamegraph::flamegraph(&set, &Default::default()).expect("svg");
    assert!(again == svg, "deterministic output");
}

#[test]
fn icicle_and_reversed_layouts() {
    let set = stack_set("cpu.pb.gz", &ReportOptions::default());
    let straight = svg_frames(&flamegraph::flamegraph(&set, &Default::default()).unwrap());
    let icicle = svg_frames(
        &flamegraph::flamegraph(
            &set,
            &flamegraph::FlameOptions {
                icicle: true,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let y_of = |fs: &[Frame], name: &str| {
        fs.iter()
            .find(|f| function_of(&f.title) == name)
            .map(|f| f.y)
    };
    let min_y = |fs: &[Frame]| fs.iter().map(|f| f.y).fold(f64::MAX, f64::min);
    // The root is the lowest frame of a flame graph and the highest of an icicle graph.
    assert!(y_of(&straight, "all").unwrap() > min_y(&straight));
    assert_eq!(y_of(&icicle, "all").unwrap(), min_y(&icicle));
    let reversed = svg_frames(
        &flamegraph::flamegraph(
            &set,
            &flamegraph::FlameOptions {
                reverse: true,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    // Reversed, the frames right above `all` are leaves: crypto/sha256.block's flat.
    let all_y = y_of(&reversed, "all").unwrap();
    let sha = reversed
        .iter()
        .find(|f| {
            function_of(&f.title) == "crypto/sha256.block" && f.y < all_y && all_y - f.y < 20.0
        })
        .expect("a leaf on the first level");
    assert_eq!(sha.fg_w, exact("cpu.pb.gz", "cpu")["crypto/sha256.block"].0);
}

#[test]
fn differential_flame_graph_colours_growth_red_and_shrinkage_blue() {
    let o = ReportOptions::default();
    let before = stack_set("before.cpu.pb.gz", &o);
    let after = stack_set("after.cpu.pb.gz", &o);
    let svg = flamegraph::differential(&after, &before, &Default::default(), false).unwrap();
    let frames = svg_frames(&svg);
    // Each stack's before and after values.
    let mut pairs: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for s in &before.stacks {
        pairs.entry(before.folded_path(s)).or_default().0 += s.value;
    }
    for s in &after.stacks {
        pairs.entry(after.folded_path(s)).or_default().1 += s.value;
    }
    // inferno lays stacks out in sorted order, widths from the second (after) count; a
    // stack's leaf frame starts at the sum of the widths before it and carries its delta.
    let mut x = 0;
    let (mut red, mut blue) = (0, 0);
    for (path, (b, a)) in &pairs {
        let leaf = path.rsplit(';').next().unwrap_or_default();
        let start = x;
        x += a;
        if *a == 0 {
            continue;
        }
        let Some(f) = frames
            .iter()
            .filter(|f| f.fg_x == start && function_of(&f.title) == leaf)
            .min_by(|p, q| p.y.total_cmp(&q.y))
        else {
            continue; // narrower than the minimum width
        };
        let rgb: Vec<u8> = f
            .fill
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .map(|c| c.trim().parse().expect("colour"))
            .collect();
        match a.cmp(b) {
            std::cmp::Ordering::Greater => {
                red += 1;
                assert!(rgb[0] == 255 && rgb[2] < 255, "{path}: grew, {rgb:?}");
            }
            std::cmp::Ordering::Less => {
                blue += 1;
                assert!(rgb[2] == 255 && rgb[0] < 255, "{path}: shrank, {rgb:?}");
            }
            std::cmp::Ordering::Equal => assert_eq!(rgb, [250, 250, 250], "{path}"),
        }
    }
    assert!(
        red > 0 && blue > 0,
        "the pair has growth ({red}) and shrinkage ({blue})"
    );
    assert_eq!(x, after.total);
}

#[test]
fn speedscope_file_has_the_format_shape_and_weights_sum_to_the_total() {
    for (name, st, unit) in [
        ("cpu.pb.gz", "cpu", "nanoseconds"),
        ("heap.pb.gz", "inuse_space", "bytes"),
        ("goroutine.pb.gz", "goroutine", "none"),
    ] {
        let o = ReportOptions {
            sample_index: Some(st.into()),
            ..Default::default()
        };
        let set = stack_set(name, &o);
        let v: Value = serde_json::from_str(&speedscope::speedscope(&set)).expect("JSON");
        assert_eq!(v["$schema"], speedscope::SCHEMA_URL);
        let frames = v["shared"]["frames"].as_array().expect("frames");
        assert!(frames.iter().all(|f| f["name"].is_string()));
        let profiles = v["profiles"].as_array().expect("profiles");
        assert_eq!(profiles.len(), 1);
        let p = &profiles[0];
        assert_eq!(p["type"], "sampled");
        assert_eq!(p["unit"], unit);
        assert_eq!(p["startValue"], 0);
        let samples = p["samples"].as_array().expect("samples");
        let weights = p["weights"].as_array().expect("weights");
        assert_eq!(samples.len(), weights.len());
        for s in samples {
            for i in s.as_array().expect("stack") {
                assert!((i.as_u64().expect("index") as usize) < frames.len());
            }
        }
        let sum: i64 = weights.iter().map(|w| w.as_i64().expect("weight")).sum();
        assert_eq!(sum, set.total, "{name}");
        assert_eq!(p["endValue"].as_i64(), Some(sum));
        let total: i64 = exact(name, st).values().map(|(f, _)| f).sum();
        assert_eq!(sum, total, "{name}: the flat sum of pprof's rows");
    }
}

fn context() -> Arc<Context> {
    Arc::new(Context::new(
        ProfileStore::new(Default::default(), 1 << 30),
        PathPolicy::open(),
    ))
}

fn call(tool: &str, args: Value) -> Result<Value, CallError> {
    let Value::Object(args) = args else {
        panic!("arguments must be an object")
    };
    common::runtime()
        .block_on(Registry::new().call(context(), tool, args))
        .map(|o| o.payload)
}

fn required(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.is_empty() && v != "0")
}

fn on_path(program: &str) -> bool {
    Command::new(program)
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Node and edge lines of a pprof DOT graph: every edge joins declared nodes.
fn parse_dot(text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    assert!(text.starts_with("digraph \""), "a digraph");
    assert!(text.trim_end().ends_with('}'));
    for line in text.lines() {
        let head = line.split(" [").next().unwrap_or_default();
        if let Some((a, b)) = head.split_once(" -> ") {
            edges.push((a.to_string(), b.to_string()));
        } else if head.starts_with('N') && !head.contains(' ') {
            nodes.push(head.to_string());
        }
    }
    for (a, b) in &edges {
        assert!(
            nodes.contains(a) && nodes.contains(b),
            "{a} -> {b} joins declared nodes"
        );
    }
    (nodes, edges)
}

#[test]
fn callgraph_writes_dot_and_renders_svg_and_png_with_graphviz() {
    let dir = tempfile::tempdir().unwrap();
    let dot_path = dir.path().join("cpu.dot");
    let out = call(
        "pprof.callgraph",
        json!({"profile": fixture("heap.pb.gz"), "output_path": dot_path, "nodecount": 30}),
    )
    .expect("dot");
    assert_eq!(out["format"], "dot");
    let text = std::fs::read_to_string(&dot_path).unwrap();
    let (nodes, edges) = parse_dot(&text);
    let shown = out["result"]["nodes"].as_array().unwrap();
    assert!(nodes.len() >= shown.len() && shown.len() <= 30 && !edges.is_empty());
    assert!(
        text.contains("shape=box3d"),
        "heap nodes carry bytes nodelets"
    );
    if !on_path("dot") {
        assert!(
            !required("PROFSQL_REQUIRE_GRAPHVIZ"),
            "PROFSQL_REQUIRE_GRAPHVIZ is set but Graphviz `dot` is not on PATH"
        );
        eprintln!("skipping svg/png: Graphviz `dot` is not on PATH");
        return;
    }
    let svg = dir.path().join("cpu.svg");
    call(
        "pprof.callgraph",
        json!({"profile": fixture("cpu.pb.gz"), "output_path": svg, "format": "svg"}),
    )
    .expect("svg");
    let body = std::fs::read_to_string(&svg).unwrap();
    let _ = svg_frames(body.as_bytes()); // well-formed XML
    assert!(
        body.contains("sha256") && body.contains("runFor"),
        "node names drawn"
    );
    let png = dir.path().join("cpu.png");
    call(
        "pprof.callgraph",
        json!({"profile": fixture("cpu.pb.gz"), "output_path": png, "format": "png"}),
    )
    .expect("png");
    let (w, h, _) = decode_png(&png);
    assert!(w > 200 && h > 200, "{w}x{h}");
}

#[test]
fn callgraph_without_graphviz_names_dot_and_keeps_the_dot_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("graph.svg");
    let run = Command::new(env!("CARGO_BIN_EXE_profctl"))
        .args(["pprof", "callgraph", "--profile"])
        .arg(fixture("cpu.pb.gz"))
        .arg("--output_path")
        .arg(&out)
        .args(["--format", "svg"])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("`dot`") && err.contains("graph.dot"), "{err}");
    assert!(!out.exists(), "no SVG");
    let dot = std::fs::read_to_string(dir.path().join("graph.dot")).unwrap();
    parse_dot(&dot);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "only the DOT file: {leftovers:?}");
}

#[test]
fn tools_write_files_over_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("sub/diff.svg");
    let out = call(
        "pprof.flamegraph",
        json!({
            "profile": fixture("after.cpu.pb.gz"),
            "base": fixture("before.cpu.pb.gz"),
            "output_path": svg,
            "title": "after vs before",
        }),
    )
    .expect("flamegraph");
    assert_eq!(out["differential"], true);
    let body = std::fs::read(&svg).unwrap();
    assert!(String::from_utf8_lossy(&body).contains("after vs before"));
    svg_frames(&body);
    let folded = call(
        "pprof.folded",
        json!({"profile": fixture("cpu.pb.gz"), "max_lines": 3}),
    )
    .expect("folded");
    assert_eq!(folded["raw"].as_str().unwrap().lines().count(), 3);
    assert_eq!(folded["raw_meta"]["truncated"], true);
    let ss = dir.path().join("cpu.speedscope.json");
    call(
        "pprof.speedscope",
        json!({"profile": fixture("cpu.pb.gz"), "output_path": ss}),
    )
    .expect("speedscope");
    let v: Value = serde_json::from_slice(&std::fs::read(&ss).unwrap()).unwrap();
    assert_eq!(v["profiles"][0]["endValue"], 2_550_000_000i64);
    // Nothing to draw is an argument error, and no file appears.
    let empty = dir.path().join("empty.svg");
    let e = call(
        "pprof.flamegraph",
        json!({"profile": fixture("cpu.pb.gz"), "output_path": empty, "focus": "^nothing$"}),
    )
    .unwrap_err();
    assert!(e.text().contains("no samples"), "{}", e.text());
    assert!(!empty.exists());
    let e = call(
        "pprof.flamegraph",
        json!({"profile": fixture("cpu.pb.gz"), "output_path": empty, "mean": true}),
    )
    .unwrap_err();
    assert!(e.text().contains("mean"), "{}", e.text());
}

fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 4]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("png file"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let pixels = bytes
        .chunks(channels)
        .map(|c| match channels {
            4 => [c[0], c[1], c[2], c[3]],
            3 => [c[0], c[1], c[2], 255],
            2 => [c[0], c[0], c[0], c[1]],
            _ => [c[0], c[0], c[0], 255],
        })
        .collect();
    (info.width, info.height, pixels)
}

fn browser() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PROFSQL_TEST_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .map(|b| Path::new("/usr/bin").join(b))
        .find(|p| p.exists())
}

/// The flame graph as a browser draws it: headless Chromium screenshots the SVG, and the
/// picture must not be blank (many colours, most of the frame area painted).
#[test]
fn flame_graph_renders_in_a_headless_browser() {
    let Some(chromium) = browser() else {
        assert!(
            !required("PROFSQL_REQUIRE_BROWSER"),
            "PROFSQL_REQUIRE_BROWSER is set but no Chromium was found"
        );
        eprintln!("skipping: no Chromium (set PROFSQL_TEST_CHROMIUM)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("cpu.svg");
    call(
        "pprof.flamegraph",
        json!({"profile": fixture("cpu.pb.gz"), "output_path": svg, "icicle": true}),
    )
    .expect("flamegraph");
    let png = dir.path().join("cpu.png");
    let run = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,800",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", svg.display()))
        .output()
        .expect("run chromium");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (w, h, pixels) = decode_png(&png);
    assert!(w >= 1000 && h >= 600, "{w}x{h}");
    let mut colours: HashMap<[u8; 4], usize> = HashMap::new();
    for p in &pixels {
        *colours.entry(*p).or_default() += 1;
    }
    assert!(colours.len() >= 20, "only {} colours", colours.len());
    // Flame colours (red-orange-yellow: red high, blue low) cover a real part of it.
    let warm = pixels.iter().filter(|p| p[0] > 180 && p[2] < 120).count();
    assert!(
        warm * 20 > pixels.len(),
        "frames cover {warm} of {} pixels",
        pixels.len()
    );
    if let Some(dir) = std::env::var_os("PROFSQL_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&png, Path::new(&dir).join("flamegraph.png"));
    }
}
