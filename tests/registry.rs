//! The tool registry in process (what both the MCP server and profctl call): payloads,
//! errors, handles and the profile cache, without a client.

mod common;

use std::sync::Arc;

use profsql::decode::DecodeOptions;
use profsql::registry::{CallError, Context, ErrorCode, PathPolicy, ProfileStore, Registry};
use serde_json::{json, Value};

fn context(budget: u64) -> Arc<Context> {
    let store = ProfileStore::new(
        DecodeOptions {
            max_decompressed: 1 << 30,
        },
        budget,
    );
    Arc::new(Context::new(store, PathPolicy::open()))
}

fn fixture(name: &str) -> String {
    common::fixtures_dir().join(name).display().to_string()
}

fn call(ctx: &Arc<Context>, tool: &str, args: Value) -> Result<Value, CallError> {
    let Value::Object(args) = args else {
        panic!("arguments must be an object")
    };
    let rt = common::runtime();
    rt.block_on(Registry::new().call(Arc::clone(ctx), tool, args))
        .map(|o| o.payload)
}

fn without_time(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with("Time:"))
        .map(str::to_string)
        .collect()
}

fn reference(name: &str) -> Vec<String> {
    without_time(&std::fs::read_to_string(common::fixtures_dir().join(name)).unwrap())
}

#[test]
fn top_by_handle_equals_pprof() {
    let ctx = context(u64::MAX);
    let loaded = call(
        &ctx,
        "profiles.load",
        json!({"profiles": [fixture("cpu.pb.gz")]}),
    )
    .unwrap();
    let handle = loaded["profiles"][0]["handle"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(profsql::registry::store::is_handle(&handle), "{handle}");
    let top = call(&ctx, "pprof.top", json!({"profile": handle})).unwrap();
    assert_eq!(
        without_time(top["raw"].as_str().unwrap()),
        reference("cpu.pb.gz.top.txt")
    );
    assert_eq!(
        top["command"],
        format!("profctl pprof top --profile {handle}")
    );
}

#[test]
fn each_report_tool_answers_on_a_fixture() {
    let ctx = context(u64::MAX);
    let cpu = fixture("cpu.pb.gz");
    let cases = [
        (
            "pprof.peek",
            json!({"profile": cpu, "regex": "^main\\.sortWork$"}),
            "cpu.pb.gz.peek.txt",
        ),
        (
            "pprof.tags",
            json!({"profile": fixture("labels.cpu.pb.gz")}),
            "",
        ),
        (
            "pprof.traces_head",
            json!({"profile": cpu, "lines": 0, "max_samples": 0}),
            "",
        ),
        (
            "pprof.focus_paths",
            json!({"profile": cpu, "function": "main\\.sortWork"}),
            "",
        ),
        (
            "pprof.top",
            json!({"profile": fixture("after.cpu.pb.gz"), "diff_base": [fixture("before.cpu.pb.gz")]}),
            "after.cpu.pb.gz.diff_base.top.txt",
        ),
    ];
    for (tool, args, want) in cases {
        let p = call(&ctx, tool, args).unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(p["raw"].as_str().is_some_and(|r| !r.is_empty()), "{tool}");
        if !want.is_empty() {
            assert_eq!(
                without_time(p["raw"].as_str().unwrap()),
                reference(want),
                "{tool}"
            );
        }
    }
    let diff = call(
        &ctx,
        "pprof.diff_top",
        json!({"before": fixture("before.cpu.pb.gz"), "after": fixture("after.cpu.pb.gz")}),
    )
    .unwrap();
    assert!(diff["result"]["changed"].as_u64().unwrap() > 0);
    let meta = call(
        &ctx,
        "pprof.meta",
        json!({"profile": fixture("heap.pb.gz")}),
    )
    .unwrap();
    assert_eq!(meta["result"]["detected_profile_kind"], "heap");
}

#[test]
fn errors_carry_codes() {
    let ctx = context(u64::MAX);
    let cpu = fixture("cpu.pb.gz");
    let code = |tool: &str, args: Value| call(&ctx, tool, args).unwrap_err().code;
    assert_eq!(
        code("pprof.top", json!({"profile": fixture("nope.pb.gz")})),
        ErrorCode::NotFound
    );
    assert_eq!(
        code("pprof.top", json!({"profile": cpu, "focus": "("})),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code("pprof.top", json!({"profile": cpu, "extra": true})),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code("pprof.top", json!({"profile": cpu, "nodecount": -1})),
        ErrorCode::InvalidArgument
    );
    assert_eq!(code("pprof.nope", json!({})), ErrorCode::NotFound);
    assert_eq!(
        code(
            "pprof.merge",
            json!({"profiles": [cpu], "output_path": "x.pb.gz"})
        ),
        ErrorCode::InvalidArgument
    );
    let bad = common::fixtures_dir().join("README.md");
    let e = call(
        &ctx,
        "pprof.top",
        json!({"profile": bad.display().to_string()}),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(e.message.contains("README.md"), "{}", e.message);
    // A regex matching nothing is a result.
    let p = call(
        &ctx,
        "pprof.peek",
        json!({"profile": cpu, "regex": "^nothing$"}),
    )
    .unwrap();
    assert_eq!(p["matched"], false);
}

#[test]
fn sql_reads_only_profile_tables() {
    let ctx = context(u64::MAX);
    call(
        &ctx,
        "profiles.load",
        json!({"profiles": [fixture("cpu.pb.gz")]}),
    )
    .unwrap();
    let ok = call(
        &ctx,
        "sql.query",
        json!({"query": "SELECT count(*) AS n FROM samples"}),
    )
    .unwrap();
    let meta = call(&ctx, "pprof.meta", json!({"profile": fixture("cpu.pb.gz")})).unwrap();
    assert_eq!(ok["rows"][0]["n"], meta["result"]["num_samples"]);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x");
    for q in [
        format!("COPY (SELECT 1) TO '{}'", target.display()),
        format!(
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '{}'",
            fixture("MANIFEST.tsv")
        ),
        format!("SELECT * FROM '{}'", fixture("MANIFEST.tsv")),
        "SET datafusion.execution.batch_size = 1".to_string(),
        "DROP TABLE samples".to_string(),
    ] {
        let e = call(&ctx, "sql.query", json!({"query": q})).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{q}: {e}");
    }
    assert!(!target.exists());
}

#[test]
fn cache_evicts_least_recently_used_past_budget() {
    // A budget below two profiles keeps one decoded; the other's handle still works.
    let ctx = context(1);
    let a = call(
        &ctx,
        "profiles.load",
        json!({"profiles": [fixture("cpu.pb.gz")]}),
    )
    .unwrap();
    call(
        &ctx,
        "profiles.load",
        json!({"profiles": [fixture("heap.pb.gz")]}),
    )
    .unwrap();
    let loaded: Vec<bool> = ctx.store.handles().iter().map(|h| h.loaded).collect();
    assert_eq!(loaded, vec![false, true]);
    let handle = a["profiles"][0]["handle"].as_str().unwrap();
    let top = call(&ctx, "pprof.top", json!({"profile": handle})).unwrap();
    assert_eq!(
        without_time(top["raw"].as_str().unwrap()),
        reference("cpu.pb.gz.top.txt")
    );
    let loaded: Vec<bool> = ctx.store.handles().iter().map(|h| h.loaded).collect();
    assert_eq!(loaded, vec![true, false]);
    // Decoded again under the id profiles.load reported.
    assert_eq!(
        ctx.store.handles()[0].profile_id,
        a["profiles"][0]["profile_id"].as_u64().map(|i| i as u32)
    );
}

#[test]
fn export_writes_parquet_with_every_row() {
    let ctx = context(u64::MAX);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pq");
    let p = call(
        &ctx,
        "profiles.export",
        json!({"profiles": [fixture("cpu.pb.gz")], "out_dir": out.display().to_string()}),
    )
    .unwrap();
    let samples = p["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "samples")
        .unwrap();
    let meta = call(&ctx, "pprof.meta", json!({"profile": fixture("cpu.pb.gz")})).unwrap();
    assert_eq!(samples["rows"], meta["result"]["num_samples"]);
    assert!(out.join("samples.parquet").is_file());
}

#[test]
fn a_file_that_does_not_decode_leaves_no_handle() {
    let ctx = context(u64::MAX);
    let bad = common::fixtures_dir().join("README.md");
    call(
        &ctx,
        "pprof.meta",
        json!({"profile": bad.display().to_string()}),
    )
    .unwrap_err();
    assert!(ctx.store.handles().is_empty());
}

#[test]
fn list_reads_no_source_outside_basedir() {
    // The profile names `sort/sort.go`; pprof's search walks up from the base to its
    // parent, where such a file exists: outside the base, so it must not be read.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(dir.path().join("sort")).unwrap();
    std::fs::write(dir.path().join("sort/sort.go"), "secret\n".repeat(400)).unwrap();
    std::fs::copy(
        common::fixtures_dir().join("cpu.pb.gz"),
        base.join("cpu.pb.gz"),
    )
    .unwrap();
    let store = ProfileStore::new(
        DecodeOptions {
            max_decompressed: 1 << 30,
        },
        u64::MAX,
    );
    let open = Arc::new(Context::new(store, PathPolicy::open()));
    let args = json!({
        "profile": base.join("cpu.pb.gz").display().to_string(),
        "function": "^sort\\.Ints$",
        "repo_root": base.display().to_string(),
    });
    let found = call(&open, "pprof.list", args).unwrap();
    assert!(
        found["raw"].as_str().unwrap().contains("secret"),
        "the walk finds it unconfined"
    );
    let store = ProfileStore::new(
        DecodeOptions {
            max_decompressed: 1 << 30,
        },
        u64::MAX,
    );
    let ctx = Arc::new(Context::new(store, PathPolicy::confined(&base).unwrap()));
    let p = call(
        &ctx,
        "pprof.list",
        json!({"profile": "cpu.pb.gz", "function": "^sort\\.Ints$"}),
    )
    .unwrap();
    assert!(!p["raw"].as_str().unwrap().contains("secret"));
    let routines = p["result"]["routines"].as_array().unwrap();
    assert!(!routines.is_empty());
    for r in routines {
        assert!(r["lines"].as_array().unwrap().is_empty(), "{r}");
        assert!(r["error"].as_str().unwrap().contains("inside"), "{r}");
    }
}
