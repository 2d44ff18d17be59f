//! The `profsql` front door, run as a user would: one-shot SQL in every format, `-o` written
//! atomically, `top`, `export`, and the interactive shell fed through a pipe.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

fn profsql(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_profsql"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("run profsql")
}

fn fixture(name: &str) -> String {
    fixtures_dir().join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn one_shot_sql_in_every_format() {
    let cpu = fixture("cpu.pb.gz");
    let q = "SELECT sample_index, type FROM sample_types ORDER BY sample_index";
    let table = stdout(&profsql(&[&cpu, "-e", q]));
    assert!(table.contains("| sample_index | type"), "{table}");
    assert!(table.contains("| 1            | cpu"), "{table}");
    let csv = stdout(&profsql(&[&cpu, "-e", q, "--format", "csv"]));
    assert_eq!(csv, "sample_index,type\n0,samples\n1,cpu\n");
    let json = stdout(&profsql(&[&cpu, "-e", q, "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[1]["type"], "cpu");
    let nd = stdout(&profsql(&[&cpu, "-e", q, "--format", "ndjson"]));
    assert_eq!(nd.lines().count(), 2);
    // No rows is still valid JSON and CSV with a header.
    let empty = "SELECT type FROM sample_types WHERE false";
    assert_eq!(
        stdout(&profsql(&[&cpu, "-e", empty, "--format", "json"])).trim(),
        "[]"
    );
    assert_eq!(
        stdout(&profsql(&[&cpu, "-e", empty, "--format", "csv"])),
        "type\n"
    );
}

#[test]
fn several_statements_and_profiles() {
    let out = stdout(&profsql(&[
        &fixture("cpu.pb.gz"),
        &fixture("heap.pb.gz"),
        "-e",
        "SELECT count(*) AS n FROM profiles; SELECT max(profile_id) AS m FROM frames",
        "--format",
        "csv",
    ]));
    assert_eq!(out, "n\n2\nm\n1\n");
}

#[test]
fn output_file_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let p = path.display().to_string();
    stdout(&profsql(&[
        &fixture("cpu.pb.gz"),
        "-e",
        "SELECT 1 AS x",
        "--format",
        "csv",
        "-o",
        &p,
    ]));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\n1\n");
    // A failing query leaves the previous file untouched and no temporary file behind.
    let o = profsql(&[
        &fixture("cpu.pb.gz"),
        "-e",
        "SELECT nope FROM frames",
        "-o",
        &p,
    ]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\n1\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn top_prints_raw_flat_and_cum() {
    let out = stdout(&profsql(&[
        "top",
        &fixture("heap.pb.gz"),
        "--sample_index",
        "inuse_space",
        "--format",
        "csv",
    ]));
    let want =
        std::fs::read_to_string(fixtures_dir().join("heap.pb.gz.exact.inuse_space.tsv")).unwrap();
    let got: Vec<String> = out
        .lines()
        .skip(1)
        .map(|l| {
            let mut parts = l.rsplitn(3, ',');
            let cum = parts.next().unwrap();
            let flat = parts.next().unwrap();
            let name = parts.next().unwrap().trim_matches('"').to_string();
            format!("{name}\t{flat}\t{cum}")
        })
        .collect();
    assert_eq!(got.join("\n"), want.trim_end());
    let json = stdout(&profsql(&[
        "top",
        &fixture("cpu.pb.gz"),
        "--cum",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["sample_type"]["type"], "cpu");
    let total: i64 = std::fs::read_to_string(fixtures_dir().join("cpu.pb.gz.total.cpu"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(v["abs_total"], total);
}

#[test]
fn errors_name_the_file_and_exit_non_zero() {
    let o = profsql(&["top", "/nonexistent.pb.gz"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/nonexistent.pb.gz: cannot read file"),
        "{err}"
    );
    let o = profsql(&["top", &fixture("cpu.pb.gz"), "--sample_index", "bogus"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("sample_index \"bogus\" must be one of: [samples cpu]"),
        "{err}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_profsql"))
        .args(["top", &fixture("cpu.pb.gz")])
        .env("PROFSQL_MAX_DECOMPRESSED", "100")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("exceeds the cap of 100 bytes"),
        "{err}"
    );
}

#[test]
fn export_writes_one_parquet_file_per_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pq");
    let o = profsql(&[
        "export",
        "--out",
        &out.display().to_string(),
        &fixture("labels.cpu.pb.gz"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ALL_TABLES.map(|t| format!("{t}.parquet")));
    check_parquet_with_python(&out);
}

/// Reads the export back with pyarrow when a Python with pyarrow is named by
/// `PROFSQL_TEST_PYTHON` (CI installs one); compares row counts with our tables.
fn check_parquet_with_python(dir: &Path) {
    let Ok(python) = std::env::var("PROFSQL_TEST_PYTHON") else {
        eprintln!("skipping the pyarrow read-back: PROFSQL_TEST_PYTHON is not set");
        return;
    };
    let counts = stdout(&profsql(&[
        &fixture("labels.cpu.pb.gz"),
        "-e",
        "SELECT 'frames' t, count(*) n FROM frames UNION ALL SELECT 'samples', count(*) FROM samples \
         UNION ALL SELECT 'labels', count(*) FROM labels UNION ALL SELECT 'stacks', count(*) FROM stacks \
         UNION ALL SELECT 'functions', count(*) FROM functions UNION ALL SELECT 'function_names', count(*) FROM function_names UNION ALL SELECT 'locations', count(*) FROM locations \
         ORDER BY t",
        "--format",
        "csv",
    ]));
    let script = r#"
import sys, pyarrow.parquet as pq
d = sys.argv[1]
for t in ["frames", "function_names", "functions", "labels", "locations", "samples", "stacks"]:
    print(f"{t},{pq.read_table(f'{d}/{t}.parquet').num_rows}")
"#;
    let o = Command::new(python)
        .args(["-c", script, &dir.display().to_string()])
        .output()
        .expect("run python");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = String::from_utf8(o.stdout).unwrap();
    let want: String = counts.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(got, want);
}

#[test]
fn interactive_shell_through_a_pipe() {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_profsql"))
        .arg(fixture("cpu.pb.gz"))
        .args(["--format", "csv"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = format!(
        "\\d\n\\d sample_types\nSELECT count(*) AS n\n  FROM profiles;\nSELECT nope;\n\\timing\n\\load {}\nSELECT count(*) AS m FROM profiles;\n\\q\n",
        fixture("heap.pb.gz")
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("frames\n"), "table list missing: {out}");
    assert!(out.contains("| is_default"), "describe missing: {out}");
    assert!(out.contains("n\n1\n"), "multi-line statement: {out}");
    assert!(
        err.contains("Error:") && err.contains("nope"),
        "error not shown: {err}"
    );
    assert!(
        out.contains("loaded ") && out.contains("m\n2\n"),
        "\\load: {out}"
    );
    assert!(err.contains("Time: "), "timing: {err}");
    assert!(
        home.path().join("data/profsql/history.txt").exists(),
        "history not saved"
    );
}

/// examples/notebook/top_from_parquet.py (pandas over the Parquet export) gives
/// `go tool pprof -top`'s flat and cum for every function, in pprof's order.
#[test]
fn notebook_example_reproduces_pprof_top_from_parquet() {
    let Ok(python) = std::env::var("PROFSQL_TEST_PYTHON") else {
        eprintln!("skipping: PROFSQL_TEST_PYTHON is not set");
        return;
    };
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/notebook/top_from_parquet.py");
    for (profile, sample_types) in [
        ("cpu.pb.gz", &["cpu", "samples"][..]),
        ("heap.pb.gz", &["alloc_space", "inuse_objects"][..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pq");
        let o = profsql(&[
            "export",
            "--out",
            &out.display().to_string(),
            &fixture(profile),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for st in sample_types {
            let o = Command::new(&python)
                .arg(&script)
                .arg(&out)
                .args([st, "--tsv"])
                .output()
                .expect("run python");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let want =
                std::fs::read_to_string(format!("{}.exact.{st}.tsv", fixture(profile))).unwrap();
            assert_eq!(String::from_utf8(o.stdout).unwrap(), want, "{profile} {st}");
        }
    }
}
