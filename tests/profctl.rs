//! `profctl pprof <tool>` run as a user would: each of the nine parity tools in text and
//! `--json`, the SPEC's flag names, merge written atomically and read back, and errors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

fn profctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_profctl"))
        .args(args)
        .output()
        .expect("run profctl")
}

fn fixture(name: &str) -> String {
    fixtures_dir().join(name).display().to_string()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(&profctl(&a))).expect("json")
}

#[test]
fn text_reports_match_pprof_references() {
    let cpu = fixture("cpu.pb.gz");
    let want = std::fs::read_to_string(fixtures_dir().join("cpu.pb.gz.tags.txt")).unwrap();
    let got = ok(&profctl(&["pprof", "tags", "--profile", &cpu]));
    // Same keys and values as pprof's (older) layout.
    assert_eq!(
        got.lines().filter(|l| l.contains("Total")).count(),
        want.lines().filter(|l| l.contains("Total")).count()
    );
    let traces = ok(&profctl(&[
        "pprof",
        "traces",
        "--profile",
        &cpu,
        "--lines",
        "0",
    ]));
    let want = std::fs::read_to_string(fixtures_dir().join("cpu.pb.gz.traces.txt")).unwrap();
    assert_eq!(
        traces.matches("-----------+").count(),
        want.matches("-----------+").count()
    );
    let head = ok(&profctl(&[
        "pprof",
        "traces_head",
        "--profile",
        &cpu,
        "--lines",
        "5",
    ]));
    assert_eq!(head.lines().count(), 6, "{head}");
    assert!(head.ends_with("(--lines 0 prints all)\n"));
}

#[test]
fn every_tool_has_a_json_payload() {
    let cpu = fixture("cpu.pb.gz");
    let labels = fixture("labels.cpu.pb.gz");
    let top = json(&["pprof", "top", "--profile", &cpu, "--sample_index", "cpu"]);
    assert!(top["rows"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(top["total"].as_i64().is_some_and(|t| t > 0));
    let peek = json(&[
        "pprof",
        "peek",
        "--profile",
        &cpu,
        "--regex",
        "^main\\.fib$",
    ]);
    assert_eq!(peek["entries"][0]["row"]["name"], "main.fib");
    let tags = json(&[
        "pprof",
        "tags",
        "--profile",
        &labels,
        "--tag_show",
        "tenant",
    ]);
    assert_eq!(tags["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(tags["keys"][0]["key"], "tenant");
    let traces = json(&[
        "pprof",
        "focus_paths",
        "--profile",
        &cpu,
        "--function",
        "main\\.fib",
        "--max_samples",
        "3",
    ]);
    assert_eq!(traces["samples"].as_array().map(Vec::len), Some(3));
    assert_eq!(traces["truncated"], true);
    for s in traces["samples"].as_array().into_iter().flatten() {
        let frames = s["frames"].as_array().unwrap();
        assert!(frames.iter().any(|f| f["name"] == "main.fib"));
    }
    let meta = json(&["pprof", "meta", "--profile", &labels]);
    assert_eq!(meta["detected_profile_kind"], "cpu");
    assert_eq!(meta["default_sample_index"], 1);
    assert!(meta["label_keys"]
        .as_array()
        .is_some_and(|k| k.iter().any(|k| k == "tenant")));
    let list = json(&[
        "pprof",
        "list",
        "--profile",
        &cpu,
        "--function",
        "^main\\.fib$",
        "--source_path",
        "/nonexistent",
    ]);
    let err = list["routines"][0]["error"].as_str().unwrap_or_default();
    assert!(err.starts_with("could not find file"), "{err}");
    let diff = json(&[
        "pprof",
        "diff_top",
        "--before",
        &fixture("before.cpu.pb.gz"),
        "--after",
        &fixture("after.cpu.pb.gz"),
        "--nodecount",
        "5",
    ]);
    let deltas = diff["deltas"].as_array().unwrap();
    assert_eq!(deltas.len(), 5);
    let d: Vec<i64> = deltas
        .iter()
        .map(|d| d["delta"].as_i64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] >= w[1]), "{d:?}");
    assert_eq!(
        d[0],
        deltas[0]["after_flat"].as_i64().unwrap() - deltas[0]["before_flat"].as_i64().unwrap()
    );
    assert_eq!(diff["diff_base"]["total"], diff["before_total"]);
}

#[test]
fn max_samples_keeps_the_first_samples_and_counts_all() {
    let cpu = fixture("cpu.pb.gz");
    let all = json(&["pprof", "traces", "--profile", &cpu]);
    let cut = json(&["pprof", "traces", "--profile", &cpu, "--max_samples", "2"]);
    let samples = all["samples"].as_array().expect("samples");
    assert!(samples.len() > 2);
    assert_eq!(all["truncated"], false);
    assert_eq!(cut["truncated"], true);
    assert_eq!(cut["total_samples"], all["total_samples"]);
    assert_eq!(cut["total_samples"].as_u64(), Some(samples.len() as u64));
    assert_eq!(
        cut["samples"].as_array().map(Vec::as_slice),
        Some(&samples[..2])
    );
}

#[test]
fn diff_top_works_for_bytes_too() {
    let heap = fixture("heap.pb.gz");
    let synth = fixture("synthetic.heap.pb.gz");
    let same = json(&["pprof", "diff_top", "--before", &heap, "--after", &heap]);
    assert_eq!(same["deltas"].as_array().map(Vec::len), Some(0));
    assert_eq!(same["unit"]["sample_unit"], "bytes");
    let o = profctl(&["pprof", "diff_top", "--before", &heap, "--after", &synth]);
    // Different programs still compare when their sample types agree.
    let text = ok(&o);
    assert!(text.contains("delta"), "{text}");
}

#[test]
fn merge_writes_a_profile_both_tools_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("merged.pb.gz");
    let out_s = out.display().to_string();
    let a = fixture("before.cpu.pb.gz");
    let b = fixture("after.cpu.pb.gz");
    let text = ok(&profctl(&["pprof", "merge", "--out", &out_s, &a, &b]));
    assert_eq!(text, format!("Merged 2 profiles into {out_s}\n"));
    let total = |p: &str| {
        json(&["pprof", "top", "--profile", p])["total"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(total(&out_s), total(&a) + total(&b));
    // A failed merge leaves nothing behind.
    let bad = dir.path().join("bad.pb.gz");
    let o = profctl(&[
        "pprof",
        "merge",
        "--out",
        &bad.display().to_string(),
        &a,
        &fixture("heap.pb.gz"),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot merge profiles"), "{err}");
    assert!(!bad.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1);
}

#[test]
fn bad_input_names_the_file() {
    let missing = "/nonexistent/p.pb.gz";
    for tool in ["top", "traces", "tags", "meta"] {
        let o = profctl(&["pprof", tool, "--profile", missing]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(missing), "{tool}: {err}");
    }
    let cpu = fixture("cpu.pb.gz");
    let o = profctl(&["pprof", "peek", "--profile", &cpu, "--regex", "("]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("parsing argument regexp"));
    let o = profctl(&[
        "pprof",
        "top",
        "--profile",
        &cpu,
        "--base",
        &cpu,
        "--diff_base",
        &cpu,
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot both"));
    assert!(Path::new(&cpu).exists());
}
