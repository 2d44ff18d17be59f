//! The analysis tools on the generated fixtures, through the registry (what MCP and
//! profctl call). Expected values come from elsewhere: `go tool pprof` references written
//! by scripts/gen-fixtures.sh (`-raw` sums, `-top` rows, exact totals), the fixture
//! programs' own design (how many goroutines each parks where), and source files read
//! here.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use profsql::decode::DecodeOptions;
use profsql::registry::{CallError, Context, PathPolicy, ProfileStore, Registry};
use serde_json::{json, Value};

fn context() -> Arc<Context> {
    let store = ProfileStore::new(
        DecodeOptions {
            max_decompressed: 1 << 30,
        },
        u64::MAX,
    );
    Arc::new(Context::new(store, PathPolicy::open()))
}

fn fixture(name: &str) -> String {
    common::fixtures_dir().join(name).display().to_string()
}

/// The worker program's module (scripts/fixtures-src/worker): go.mod, sources, manifests.
fn worker_repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/fixtures-src/worker")
}

fn call(tool: &str, args: Value) -> Result<Value, CallError> {
    call_in(&context(), tool, args)
}

fn call_in(ctx: &Arc<Context>, tool: &str, args: Value) -> Result<Value, CallError> {
    let Value::Object(args) = args else {
        panic!("arguments must be an object")
    };
    common::runtime()
        .block_on(Registry::new().call(Arc::clone(ctx), tool, args))
        .map(|o| o.payload)
}

fn result(tool: &str, args: Value) -> Value {
    let p = call(tool, args).unwrap_or_else(|e| panic!("{tool}: {}", e.text()));
    p["result"].clone()
}

/// `name -> (flat, cum)` from an exact reference (`*.exact.<type>.tsv`).
fn exact(name: &str) -> std::collections::BTreeMap<String, (i64, i64)> {
    std::fs::read_to_string(common::fixtures_dir().join(name))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let n = f.next()?.to_string();
            Some((n, (f.next()?.parse().ok()?, f.next()?.parse().ok()?)))
        })
        .collect()
}

fn total(name: &str) -> i64 {
    std::fs::read_to_string(common::fixtures_dir().join(name))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn pct2(v: i64, total: i64) -> f64 {
    (v as f64 * 100.0 / total as f64 * 100.0).round() / 100.0
}

/// Sum of the sample values in `go tool pprof -raw` output (one sample type).
fn raw_sum(name: &str) -> i64 {
    let text = std::fs::read_to_string(common::fixtures_dir().join(name)).unwrap();
    let samples = text.split("Samples:").nth(1).unwrap();
    samples
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with("Locations"))
        .filter_map(|l| l.trim().split(':').next()?.trim().parse::<i64>().ok())
        .sum()
}

fn counts(list: &Value, key: &str, value: &str) -> Vec<(String, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x[key].as_str().unwrap().to_string(),
                x[value].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn goroutine_analysis_counts_match_raw_sums_and_the_programs_design() {
    let r = result(
        "pprof.goroutine_analysis",
        json!({"profile": fixture("worker.goroutine.pb.gz")}),
    );
    assert_eq!(
        r["total_goroutines"],
        raw_sum("worker.goroutine.pb.gz.raw.txt")
    );
    assert_eq!(r["total_goroutines"], 630);
    // worker parks 600 senders (the leak), 11 receivers (4 workflows, 4 pollers, 2 HTTP/2
    // readers, Serve), 9 in select, 6 sleeping, 3 on a mutex; main is running.
    assert_eq!(
        counts(&r["top_wait_reasons"], "reason", "count"),
        [
            ("chan send".into(), 600),
            ("chan receive".into(), 11),
            ("select".into(), 9),
            ("sleep".into(), 6),
            ("mutex".into(), 3),
            ("unknown".into(), 1)
        ]
    );
    assert_eq!(r["by_state"], json!({"running": 1, "waiting": 629}));
    let leaks = r["potential_leaks"].as_array().unwrap();
    assert_eq!(leaks.len(), 1);
    assert_eq!(leaks[0]["count"], 600);
    assert_eq!(leaks[0]["severity"], "medium");
    assert_eq!(leaks[0]["wait_reason"], "chan send");
    assert!(leaks[0]["stack_signature"]
        .as_str()
        .unwrap()
        .ends_with("api.(*Server).streamUpdates.func1"));

    // The older fixture parks each primitive a known number of times.
    let r = result(
        "pprof.goroutine_analysis",
        json!({"profile": fixture("goroutine.pb.gz")}),
    );
    assert_eq!(r["total_goroutines"], raw_sum("goroutine.pb.gz.raw.txt"));
    let mut got = counts(&r["top_wait_reasons"], "reason", "count");
    got.sort();
    assert_eq!(
        got,
        [
            ("chan receive".into(), 12),
            ("chan send".into(), 3),
            ("cond".into(), 2),
            ("mutex".into(), 3),
            ("rwmutex".into(), 2),
            ("select".into(), 4),
            ("sleep".into(), 3),
            ("unknown".into(), 1),
            ("waitgroup".into(), 2),
        ]
    );
    assert!(r["potential_leaks"].as_array().unwrap().is_empty());
}

#[test]
fn goroutine_categorize_uses_a_fixed_order_and_custom_categories() {
    let p = fixture("worker.goroutine.pb.gz");
    let r = result("pprof.goroutine_categorize", json!({"profile": p}));
    let mut got = counts(&r["categories"], "name", "count");
    got.sort();
    let mut want: Vec<(String, i64)> = [
        ("channel_send", 600),
        ("grpc_http2_reader", 2),
        ("grpc_http2_writer", 2),
        ("grpc_keepalive", 1),
        ("grpc_server_handler", 4),
        ("temporal_activity_exec", 5),
        ("temporal_activity_poller", 2),
        ("temporal_eager_dispatcher", 1),
        ("temporal_heartbeat", 1),
        ("temporal_task_dispatcher", 2),
        ("temporal_workflow_cached", 7),
        ("temporal_workflow_poller", 2),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(r["uncategorized"], 1);
    assert_eq!(r["total_goroutines"], 630);
    assert_eq!(r["presets_used"].as_array().unwrap().len(), 7);
    // Sorted by count: the leak first.
    assert_eq!(r["categories"][0]["name"], "channel_send");

    // Custom categories come after the presets; a preset's name replaces its regex in
    // place; list order is matching order.
    let r = result(
        "pprof.goroutine_categorize",
        json!({"profile": p, "presets": ["grpc", "nope"], "categories": [
            {"name": "leak", "pattern": "streamUpdates"},
            {"name": "everything", "pattern": "."},
            {"name": "grpc_keepalive", "pattern": "NEVER"}
        ]}),
    );
    let got = counts(&r["categories"], "name", "count");
    assert!(got.contains(&("leak".into(), 600)), "{got:?}");
    // grpc categories take 4 + 2 + 2 = 8 (keepalive's regex was replaced) and the
    // temporal pollers' ClientConn.Invoke stacks 4 more (grpc_client_stream).
    assert!(got.contains(&("grpc_server_handler".into(), 4)));
    assert!(got.contains(&("grpc_client_stream".into(), 4)));
    assert!(!got.iter().any(|(n, _)| n == "grpc_keepalive"));
    let grpc: i64 = got
        .iter()
        .filter(|(n, _)| n.starts_with("grpc_"))
        .map(|(_, c)| c)
        .sum();
    assert_eq!(
        got.iter().find(|(n, _)| n == "everything").unwrap().1,
        630 - 600 - grpc
    );
    assert_eq!(r["uncategorized"], 0);
    assert!(r["warnings"][0]
        .as_str()
        .unwrap()
        .contains("unknown preset \"nope\""));
    // Deterministic: the same call gives the same payload.
    let again = result(
        "pprof.goroutine_categorize",
        json!({"profile": p, "presets": ["grpc", "nope"], "categories": [
            {"name": "leak", "pattern": "streamUpdates"},
            {"name": "everything", "pattern": "."},
            {"name": "grpc_keepalive", "pattern": "NEVER"}
        ]}),
    );
    assert_eq!(r, again);
}

#[test]
fn temporal_analysis_infers_the_workers_settings() {
    let r = result(
        "pprof.temporal_analysis",
        json!({"profile": fixture("worker.goroutine.pb.gz")}),
    );
    let s = &r["inferred_settings"];
    assert_eq!(s["max_concurrent_activity_task_pollers"], 2);
    assert_eq!(s["max_concurrent_workflow_task_pollers"], 2);
    assert_eq!(s["active_activities"], 5);
    assert_eq!(s["cached_workflows"], 7);
    assert_eq!(r["counts"]["heartbeats"], 1);
    assert_eq!(r["counts"]["task_dispatchers"], 2);
    assert_eq!(r["counts"]["eager_dispatchers"], 1);
    assert_eq!(r["counts"]["http2_read_loops"], 2);
    let wf: Vec<(String, i64, String)> = r["workflow_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap().into(),
                w["count"].as_i64().unwrap(),
                w["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        wf,
        [
            ("OrderWorkflow".into(), 4, "yielded".into()),
            ("RefundWorkflow".into(), 3, "selector".into())
        ]
    );
    assert_eq!(r["activity_breakdown"][0]["name"], "ChargeCardActivity");
    assert_eq!(r["activity_breakdown"][0]["count"], 5);
    // A profile without the SDK says so.
    let r = result(
        "pprof.temporal_analysis",
        json!({"profile": fixture("goroutine.pb.gz")}),
    );
    assert!(r["warnings"][0]
        .as_str()
        .unwrap()
        .contains("no Temporal SDK goroutines"));
}

#[test]
fn contention_top_site_equals_pprofs_delay_row() {
    let r = result(
        "pprof.contention_analysis",
        json!({"profile": fixture("mutex.pb.gz")}),
    );
    let delay = exact("mutex.pb.gz.exact.delay.tsv");
    let contentions = exact("mutex.pb.gz.exact.contentions.tsv");
    assert_eq!(r["profile_type"], "mutex");
    assert_eq!(r["total_delay"], total("mutex.pb.gz.total.delay"));
    assert_eq!(
        r["total_contentions"],
        total("mutex.pb.gz.total.contentions")
    );
    let top = &r["by_lock_site"][0];
    assert_eq!(top["lock_site"], "sync.(*Mutex).Unlock");
    assert_eq!(top["total_delay"], delay["sync.(*Mutex).Unlock"].0);
    assert_eq!(top["contentions"], contentions["sync.(*Mutex).Unlock"].0);
    assert_eq!(top["top_waiters"][0]["function"], "main.hotLoop");
    assert_eq!(top["top_waiters"][0]["delay"], delay["main.hotLoop"].1);
    assert_eq!(
        top["avg_delay"],
        delay["sync.(*Mutex).Unlock"].0 / contentions["sync.(*Mutex).Unlock"].0
    );
    assert!(top["source_location"]
        .as_str()
        .unwrap()
        .contains("contention/main.go:"));
    assert_eq!(r["patterns"][0]["type"], "hot_lock");
    let sum: i64 = r["by_lock_site"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["total_delay"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total("mutex.pb.gz.total.delay"));

    let r = result(
        "pprof.contention_analysis",
        json!({"profile": fixture("block.pb.gz")}),
    );
    assert_eq!(r["profile_type"], "block");
    assert_eq!(r["total_delay"], total("block.pb.gz.total.delay"));
    // Not a contention profile: a warning, not an error.
    let r = result(
        "pprof.contention_analysis",
        json!({"profile": fixture("cpu.pb.gz")}),
    );
    assert_eq!(r["profile_type"], "unknown");
}

#[test]
fn overhead_counts_each_sample_once_per_category() {
    let r = result(
        "pprof.overhead_report",
        json!({"profile": fixture("worker.cpu.pb.gz")}),
    );
    let cpu = exact("worker.cpu.pb.gz.exact.cpu.tsv");
    let t = total("worker.cpu.pb.gz.total.cpu");
    assert_eq!(r["total_value"], t);
    let by: std::collections::BTreeMap<String, Value> = r["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["category"].as_str().unwrap().to_string(), d.clone()))
        .collect();
    // All protobuf code runs under protojson.Unmarshal and all zap code under Info.
    let pb = cpu["google.golang.org/protobuf/encoding/protojson.Unmarshal"].1;
    assert_eq!(by["Protobuf Serialization"]["value"], pb);
    assert_eq!(by["Protobuf Serialization"]["percentage"], pct2(pb, t));
    assert_eq!(
        by["Logging (zap)"]["value"],
        cpu["go.uber.org/zap.(*Logger).Info"].1
    );
    // Every sample is under the gRPC server: its share is handleStream's cum, not more.
    assert_eq!(
        by["gRPC Framework"]["value"],
        cpu["google.golang.org/grpc.(*Server).handleStream"].1
    );
    for d in by.values() {
        assert!(d["percentage"].as_f64().unwrap() <= 100.0);
    }
    let any = r["total_overhead_pct"].as_f64().unwrap();
    assert!(any <= 100.0 && any >= by["gRPC Framework"]["percentage"].as_f64().unwrap());
    assert_eq!(
        by["Protobuf Serialization"]["top_functions"][0]["function"],
        "google.golang.org/protobuf/encoding/protojson.Unmarshal"
    );
}

#[test]
fn explain_overhead_covers_every_category_and_measures_the_profile() {
    for level in ["brief", "standard", "detailed"] {
        for c in [
            "OpenTelemetry Tracing",
            "Logging (zap)",
            "Logging (logrus)",
            "Prometheus Metrics",
            "gRPC Framework",
            "Protobuf Serialization",
            "JSON Serialization",
            "HTTP Framework",
            "Context Operations",
            "Runtime/GC",
        ] {
            let r = result(
                "pprof.explain_overhead",
                json!({"category": c, "detail_level": level}),
            );
            assert_eq!(r["category"], c);
            assert!(r["explanation"].as_str().unwrap().len() > 20, "{c} {level}");
        }
    }
    let r = result(
        "pprof.explain_overhead",
        json!({"category": "protobuf serialization", "profile": fixture("worker.cpu.pb.gz")}),
    );
    let cpu = exact("worker.cpu.pb.gz.exact.cpu.tsv");
    let t = total("worker.cpu.pb.gz.total.cpu");
    assert_eq!(
        r["in_your_profile"]["total_pct"],
        pct2(
            cpu["google.golang.org/protobuf/encoding/protojson.Unmarshal"].1,
            t
        )
    );
    let r = result(
        "pprof.explain_overhead",
        json!({"function": "protojson.(*decoder).unmarshalAny"}),
    );
    assert_eq!(r["kind"], "function");
    let e = call("pprof.explain_overhead", json!({"category": "nope"})).unwrap_err();
    assert!(e.text().contains("Runtime/GC"), "{}", e.text());
}

#[test]
fn alloc_paths_match_pprofs_alloc_space_rows() {
    let heap = fixture("churn.heap.pb.gz");
    let r = result(
        "pprof.alloc_paths",
        json!({"profile": heap, "repo_root": worker_repo().display().to_string()}),
    );
    let alloc = exact("churn.heap.pb.gz.exact.alloc_space.tsv");
    let t = total("churn.heap.pb.gz.total.alloc_space");
    assert_eq!(r["total_alloc"], t);
    assert_eq!(r["repo_prefix"], json!(["example.com/worker", "main."]));
    let paths = r["paths"].as_array().unwrap();
    let site = |s: &str| {
        paths
            .iter()
            .find(|p| p["alloc_site"] == s)
            .unwrap_or_else(|| panic!("{s}"))
    };
    // Each site's bytes are its flat allocation in pprof's alloc_space report.
    for s in [
        "example.com/worker/cache.(*Store).refresh",
        "modernc.org/libc.(*TLS).Alloc",
        "github.com/klauspost/compress/zstd.(*Encoder).EncodeAll",
        "example.com/worker/cache.(*Store).keep",
    ] {
        assert_eq!(site(s)["alloc_bytes"], alloc[s].0, "{s}");
        assert_eq!(site(s)["alloc_pct"], pct2(alloc[s].0, t), "{s}");
    }
    // The libc allocations come from the application's refresh, at a line of store.go.
    let libc = site("modernc.org/libc.(*TLS).Alloc");
    assert_eq!(
        libc["first_app_frame"],
        "example.com/worker/cache.(*Store).refresh"
    );
    let loc = libc["source_location"].as_str().unwrap();
    let line: usize = loc.rsplit(':').next().unwrap().parse().unwrap();
    let src = std::fs::read_to_string(worker_repo().join("cache/store.go")).unwrap();
    assert!(
        src.lines().nth(line - 1).unwrap().contains("tls.Alloc("),
        "{loc}"
    );
    assert_eq!(
        paths[0]["alloc_site"],
        "example.com/worker/cache.(*Store).refresh"
    );
    assert!(
        paths[0]["alloc_rate"].is_null(),
        "heap profiles have no duration"
    );
    // Thresholds cut.
    let r = result(
        "pprof.alloc_paths",
        json!({"profile": heap, "min_percent": 10, "max_paths": 1}),
    );
    assert_eq!(r["paths"].as_array().unwrap().len(), 1);
}

#[test]
fn memory_sanity_reads_exact_totals_and_finds_off_heap_allocators() {
    let repo = worker_repo();
    let r = result(
        "pprof.memory_sanity",
        json!({
            "heap_profile": fixture("churn.heap.pb.gz"),
            "goroutine_profile": fixture("worker.goroutine.pb.gz"),
            "cpu_profile": fixture("worker.cpu.pb.gz"),
            "repo_root": repo.display().to_string(),
            "container_rss_mb": 2048
        }),
    );
    assert_eq!(
        r["heap_inuse_bytes"],
        total("churn.heap.pb.gz.total.inuse_space")
    );
    assert_eq!(
        r["heap_alloc_bytes"],
        total("churn.heap.pb.gz.total.alloc_space")
    );
    assert_eq!(
        r["goroutine_count"],
        raw_sum("worker.goroutine.pb.gz.raw.txt")
    );
    let cats: Vec<&str> = r["suspicions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["category"].as_str().unwrap())
        .collect();
    assert!(cats.contains(&"libc Memory Allocation"), "{cats:?}");
    assert!(cats.contains(&"Compression Buffers"), "{cats:?}");
    assert!(cats.contains(&"RSS/Heap Mismatch"), "{cats:?}");
    let libc = r["suspicions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["category"] == "libc Memory Allocation")
        .unwrap();
    assert!(libc["evidence"].as_str().unwrap().contains("HIGH CHURN"));
    // The scan finds every zstd.NewWriter( in the worker's own code (grep by hand here).
    let mut want = Vec::new();
    let main = std::fs::read_to_string(repo.join("cmd/worker/main.go")).unwrap();
    for (i, l) in main.lines().enumerate() {
        if l.contains("zstd.NewWriter(") {
            want.push(("cmd/worker/main.go".to_string(), i + 1));
        }
    }
    assert!(!want.is_empty());
    let found: Vec<(String, usize)> = r["code_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["pattern"] == "zstd.NewWriter(" && f["file"] == "cmd/worker/main.go")
        .map(|f| {
            (
                f["file"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(found, want);
    // A CPU profile is not a heap profile.
    let e = call(
        "pprof.memory_sanity",
        json!({"heap_profile": fixture("cpu.pb.gz")}),
    )
    .unwrap_err();
    assert!(e.text().contains("not a heap profile"), "{}", e.text());
}

#[test]
fn storylines_follow_real_paths_to_the_heaviest_functions() {
    let r = result(
        "pprof.storylines",
        json!({"profile": fixture("worker.cpu.pb.gz"), "repo_root": worker_repo().display().to_string()}),
    );
    let cpu = exact("worker.cpu.pb.gz.exact.cpu.tsv");
    let lines = r["storylines"].as_array().unwrap();
    assert_eq!(lines.len(), 4);
    // The hotspots are the heaviest functions by flat, in pprof's order.
    let mut by_flat: Vec<(&String, &(i64, i64))> = cpu.iter().collect();
    by_flat.sort_by(|a, b| {
        b.1 .0
            .cmp(&a.1 .0)
            .then(b.1 .1.cmp(&a.1 .1))
            .then(a.0.cmp(b.0))
    });
    for (i, s) in lines.iter().enumerate() {
        assert_eq!(s["leaf_hotspot"], by_flat[i].0.as_str());
        assert_eq!(s["cum"], by_flat[i].1 .1);
        let chain: Vec<&str> = s["call_chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert!(chain.contains(&by_flat[i].0.as_str()), "{chain:?}");
        assert!(s["chain_value"].as_i64().unwrap() <= s["cum"].as_i64().unwrap());
        assert!(s["first_app_frame"]
            .as_str()
            .unwrap()
            .starts_with("example.com/worker/"));
    }
    // The heaviest path to computeTotals runs through the gRPC handler.
    let first: Vec<&str> = lines[0]["call_chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        first[first.len() - 2..],
        [
            "example.com/worker/api.(*Server).GetOrder",
            "example.com/worker/api.(*Server).computeTotals"
        ]
    );
    // Evidence: pprof's peek of the hotspot and the list of the app frame from repo_root.
    let ev = &lines[0]["evidence"];
    // The peek evidence is exactly pprof.peek's report for the anchored name.
    for s in lines {
        let name = s["leaf_hotspot"].as_str().unwrap();
        let peek = call(
            "pprof.peek",
            json!({"profile": fixture("worker.cpu.pb.gz"), "regex": format!("^{}$", regex::escape(name))}),
        )
        .unwrap();
        assert_eq!(s["evidence"]["peek_leaf"]["raw"], peek["raw"], "{name}");
    }
    assert!(ev["peek_leaf"]["raw"]
        .as_str()
        .unwrap()
        .contains("computeTotals"));
    assert!(ev["list_first_app"]["raw"]
        .as_str()
        .unwrap()
        .contains("ROUTINE"));
}

#[test]
fn trace_source_shows_the_source_line_of_each_frame() {
    let repo = worker_repo();
    let r = result(
        "pprof.trace_source",
        json!({"profile": fixture("worker.cpu.pb.gz"), "function": "protojson\\.Unmarshal$",
               "repo_root": repo.display().to_string(), "max_depth": 4, "context_lines": 1}),
    );
    let frames = r["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 4);
    let m = frames.iter().find(|f| f["matched"] == true).unwrap();
    assert_eq!(
        m["function"],
        "google.golang.org/protobuf/encoding/protojson.Unmarshal"
    );
    let cpu = exact("worker.cpu.pb.gz.exact.cpu.tsv");
    let t = total("worker.cpu.pb.gz.total.cpu");
    assert_eq!(
        m["cum_pct"],
        pct2(
            cpu["google.golang.org/protobuf/encoding/protojson.Unmarshal"].1,
            t
        )
    );
    let caller = frames
        .iter()
        .find(|f| f["function"] == "example.com/worker/api.(*Server).GetOrder")
        .unwrap();
    assert_eq!(caller["source_file"], "api/server.go");
    let line = caller["line"].as_i64().unwrap() as usize;
    let src = std::fs::read_to_string(repo.join("api/server.go")).unwrap();
    let want = format!(">{:>5}  {}", line, src.lines().nth(line - 1).unwrap());
    assert_eq!(caller["snippet"][1], want);
    let none = call(
        "pprof.trace_source",
        json!({"profile": fixture("worker.cpu.pb.gz"), "function": "^nothing$"}),
    )
    .unwrap();
    assert_eq!(none["matched"], false);
}

#[test]
fn bundles_correlate_and_summarise_with_pprofs_numbers() {
    let bundle = json!([
        fixture("worker.cpu.pb.gz"),
        fixture("churn.heap.pb.gz"),
        fixture("mutex.pb.gz"),
        {"type": "goroutine", "handle": fixture("worker.goroutine.pb.gz")}
    ]);
    let r = result("pprof.cross_correlate", json!({"bundle": bundle}));
    let cpu = exact("worker.cpu.pb.gz.exact.cpu.tsv");
    let heap = exact("churn.heap.pb.gz.exact.alloc_space.tsv");
    let f = "github.com/klauspost/compress/zstd.(*Encoder).EncodeAll";
    let c = r["correlations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["function"] == f)
        .unwrap();
    assert_eq!(
        c["cpu"]["pct"],
        pct2(cpu[f].0, total("worker.cpu.pb.gz.total.cpu"))
    );
    assert_eq!(
        c["heap"]["pct"],
        pct2(heap[f].0, total("churn.heap.pb.gz.total.alloc_space"))
    );
    assert_eq!(c["insight"], "Hot in CPU and allocations.");
    assert_eq!(
        r["sample_types"],
        json!({"cpu": "cpu", "heap": "alloc_space", "mutex": "delay"})
    );
    assert_eq!(
        r["mutex_only_hotspots"][0]["function"],
        "sync.(*Mutex).Unlock"
    );

    let r = result("pprof.hotspot_summary", json!({"bundle": bundle}));
    assert_eq!(r["goroutine_count"], 630);
    assert_eq!(r["cpu_top"].as_array().unwrap().len(), 5);
    assert_eq!(
        r["cpu_top"][0]["function"],
        "example.com/worker/api.(*Server).computeTotals"
    );
    assert_eq!(
        r["cpu_top"][0]["flat"],
        cpu["example.com/worker/api.(*Server).computeTotals"].0
    );
    assert_eq!(
        r["heap_top"][0]["flat"],
        heap["example.com/worker/cache.(*Store).refresh"].0
    );
    assert_eq!(
        r["mutex_top"][0]["flat"],
        exact("mutex.pb.gz.exact.delay.tsv")["sync.(*Mutex).Unlock"].0
    );
    // A missing kind is a warning.
    let r = result(
        "pprof.hotspot_summary",
        json!({"bundle": [fixture("worker.cpu.pb.gz")]}),
    );
    assert!(r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w == "heap profile missing from bundle"));
}

#[test]
fn regression_checks_measure_the_rows_their_regex_matches() {
    let p = fixture("worker.cpu.pb.gz");
    let cpu = exact("worker.cpu.pb.gz.exact.cpu.tsv");
    let t = total("worker.cpu.pb.gz.total.cpu");
    let pj = pct2(
        cpu["google.golang.org/protobuf/encoding/protojson.Unmarshal"].1,
        t,
    );
    let ct = pct2(cpu["example.com/worker/api.(*Server).computeTotals"].0, t);
    let out = call(
        "pprof.regression_check",
        json!({"profile": p, "checks": [
            {"function": "^google\\.golang\\.org/protobuf/encoding/protojson\\.Unmarshal$", "metric": "cum_pct", "max": pj - 0.01},
            {"function": "computeTotals", "metric": "flat_pct", "max": ct},
            {"function": "^nothing$", "metric": "cum_pct", "max": 0}
        ]}),
    )
    .unwrap();
    let r = &out["result"];
    assert_eq!(r["passed"], false);
    assert_eq!(out["passed"], false);
    assert_eq!(r["checks"][0]["actual"], pj);
    assert_eq!(r["checks"][0]["passed"], false);
    assert!(r["checks"][0]["message"]
        .as_str()
        .unwrap()
        .contains("exceeds threshold"));
    assert_eq!(r["checks"][1]["actual"], ct);
    assert_eq!(r["checks"][1]["passed"], true);
    // Rows the regex does not match do not count: GetOrder's cum (97%) is not protojson's.
    assert_eq!(r["checks"][2]["actual"], 0.0);
    assert_eq!(r["checks"][2]["matched_functions"], 0);
}

#[test]
fn profctl_regression_check_exits_non_zero_on_failure_and_reads_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("checks.yaml");
    std::fs::write(
        &yaml,
        "checks:\n  - function: computeTotals\n    metric: flat_pct\n    max: 1\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_profctl"))
            .args(args)
            .output()
            .unwrap()
    };
    let p = fixture("worker.cpu.pb.gz");
    let failed = run(&[
        "pprof",
        "regression_check",
        "--profile",
        &p,
        "--checks_file",
        yaml.to_str().unwrap(),
    ]);
    assert_eq!(failed.status.code(), Some(1));
    let out = String::from_utf8_lossy(&failed.stdout);
    assert!(
        out.contains("One or more regression checks failed"),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains("computeTotals"));
    let passed = run(&[
        "pprof",
        "regression_check",
        "--profile",
        &p,
        "--checks",
        r#"[{"function":"computeTotals","metric":"flat_pct","max":99}]"#,
    ]);
    assert_eq!(
        passed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
    assert!(String::from_utf8_lossy(&passed.stdout).starts_with("All regression checks passed."));
    // A bad file is a usage error naming it.
    std::fs::write(&yaml, "- function: [1\n").unwrap();
    let bad = run(&[
        "pprof",
        "regression_check",
        "--profile",
        &p,
        "--checks_file",
        yaml.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("checks.yaml"));
}

#[test]
fn suggest_fix_and_vendor_analyze_name_known_issues() {
    let p = fixture("worker.cpu.pb.gz");
    let cpu = exact("worker.cpu.pb.gz.exact.cpu.tsv");
    let t = total("worker.cpu.pb.gz.total.cpu");
    let pj = pct2(
        cpu["google.golang.org/protobuf/encoding/protojson.Unmarshal"].1,
        t,
    );
    let r = result("pprof.suggest_fix", json!({"profile": p}));
    let s = r["suggestions"].as_array().unwrap();
    let proto = s.iter().find(|x| x["id"] == "protojson_to_binary").unwrap();
    assert_eq!(proto["share_pct"], pj);
    assert!(s.iter().any(|x| x["id"] == "zstd_encoder_per_call"));
    // The protobuf category would say the same as the issue: left out.
    assert!(!s
        .iter()
        .any(|x| x["id"] == "overhead:Protobuf Serialization"));
    let r = result(
        "pprof.suggest_fix",
        json!({"profile": p, "function": "zstd"}),
    );
    let ids: Vec<&str> = r["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["zstd_encoder_per_call"]);

    let r = result(
        "pprof.vendor_analyze",
        json!({"profile": p, "repo_root": worker_repo().display().to_string(), "check_updates": true}),
    );
    assert_eq!(r["module"], "example.com/worker");
    let v = r["vendor_hotspots"].as_array().unwrap();
    let pb = v
        .iter()
        .find(|x| x["package"] == "google.golang.org/protobuf")
        .unwrap();
    assert_eq!(pb["version"], "v1.31.0");
    assert_eq!(pb["total_cum_pct"], pj);
    assert_eq!(pb["known_issues"][0]["id"], "protojson_to_binary");
    let grpc = v
        .iter()
        .find(|x| x["package"] == "google.golang.org/grpc")
        .unwrap();
    assert_eq!(
        grpc["total_cum_pct"],
        pct2(cpu["google.golang.org/grpc.(*Server).handleStream"].1, t)
    );
    assert!(r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("network")));
    let app: i64 = cpu
        .iter()
        .filter(|(n, _)| n.starts_with("example.com/worker/") || n.starts_with("main."))
        .map(|(_, v)| v.0)
        .sum();
    assert_eq!(r["total_app_pct"], pct2(app, t));
}

#[test]
fn repositories_and_services_are_found_from_go_mod_and_manifests() {
    let repo = worker_repo();
    let r = result(
        "pprof.detect_repo",
        json!({"profile": fixture("worker.cpu.pb.gz"), "search_roots": [repo.parent().unwrap().display().to_string()]}),
    );
    assert_eq!(r["confidence"], "high");
    assert_eq!(r["app_module"], "example.com/worker");
    assert_eq!(r["module_paths"][0]["module"], "example.com/worker");
    assert!(r["detected_root"]
        .as_str()
        .unwrap()
        .ends_with("fixtures-src/worker"));
    let r = result(
        "pprof.detect_repo",
        json!({"profile": fixture("worker.cpu.pb.gz"), "search_roots": [std::env::temp_dir().display().to_string()]}),
    );
    assert_eq!(r["confidence"], "none");

    let out = call(
        "repo.services.discover",
        json!({"repo_root": repo.display().to_string()}),
    )
    .unwrap();
    assert_eq!(
        out["services"],
        json!([{"binary": "worker", "service": "order-worker", "path": "cmd/worker"}])
    );
    assert_eq!(
        out["result"]["main_packages"][0]["import_path"],
        "example.com/worker/cmd/worker"
    );
    assert_eq!(
        out["result"]["datadog_services"][0]["file"],
        "deploy/worker.yaml"
    );
    // Every fixture program is a main package of its own module.
    let out = call(
        "repo.services.discover",
        json!({"repo_root": repo.parent().unwrap().display().to_string()}),
    )
    .unwrap();
    let bins: Vec<&str> = out["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["binary"].as_str().unwrap())
        .collect();
    assert_eq!(
        bins,
        [
            "contention",
            "cpuwork",
            "goroutines",
            "heap",
            "labels",
            "worker"
        ]
    );
}

#[test]
fn discover_and_generate_report_on_a_bundle() {
    let ctx = context();
    let bundle = json!([
        fixture("worker.cpu.pb.gz"),
        fixture("churn.heap.pb.gz"),
        fixture("mutex.pb.gz"),
        fixture("worker.goroutine.pb.gz")
    ]);
    let d = call_in(
        &ctx,
        "pprof.discover",
        json!({"bundle": bundle, "repo_prefix": ["example.com/worker"]}),
    )
    .unwrap();
    let r = &d["result"];
    let kinds: Vec<&str> = r["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["cpu", "heap", "mutex", "goroutine"]);
    // CPU time over wall time, from the profile's own header.
    let t = total("worker.cpu.pb.gz.total.cpu");
    assert!(r["cpu"]["utilization_pct"].as_f64().unwrap() > 50.0);
    assert_eq!(
        r["cpu"]["top"][0]["flat"],
        exact("worker.cpu.pb.gz.exact.cpu.tsv")["example.com/worker/api.(*Server).computeTotals"].0
    );
    assert_eq!(
        r["heap"]["alloc_paths"]["total_alloc"],
        total("churn.heap.pb.gz.total.alloc_space")
    );
    assert_eq!(r["goroutine"]["total_goroutines"], 630);
    let recs: Vec<String> = r["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["suggestion"].as_str().unwrap().to_string())
        .collect();
    assert!(
        recs.iter()
            .any(|s| s.starts_with("Single lock accounts for")),
        "{recs:?}"
    );
    assert!(
        recs.iter().any(|s| s.starts_with("600 goroutines wait")),
        "{recs:?}"
    );
    let mut dedup = recs.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), recs.len());
    assert!(t > 0);

    let g = call_in(
        &ctx,
        "pprof.goroutine_analysis",
        json!({"profile": fixture("worker.goroutine.pb.gz")}),
    )
    .unwrap();
    let md = call_in(
        &ctx,
        "pprof.generate_report",
        json!({"title": "worker", "inputs": [{"kind": "discover", "data": d}, {"kind": "pprof.goroutine_analysis", "data": g}]}),
    )
    .unwrap();
    let text = md["result"]["markdown"].as_str().unwrap();
    assert!(text.starts_with("# worker\n"));
    assert!(text.contains("| 600 | medium | chan send |"), "{text}");
    assert!(text.contains("example.com/worker/api.(*Server).computeTotals"));
    let e = call_in(
        &ctx,
        "pprof.generate_report",
        json!({"inputs": [{"kind": "nope", "data": {}}]}),
    )
    .unwrap_err();
    assert!(e.text().contains("unknown input kind"));
}

#[test]
fn every_analysis_runs_from_profctl_with_json() {
    let f = |n: &str| fixture(n);
    let repo = worker_repo().display().to_string();
    let bundle = format!(
        r#"["{}", "{}"]"#,
        f("worker.cpu.pb.gz"),
        f("churn.heap.pb.gz")
    );
    let inputs = r#"[{"kind": "top", "data": {"rows": []}}]"#;
    #[rustfmt::skip]
    let cases: Vec<Vec<String>> = [
        vec!["pprof", "storylines", "--profile", &f("worker.cpu.pb.gz"), "--n", "2"],
        vec!["pprof", "trace_source", "--profile", &f("worker.cpu.pb.gz"), "--function", "computeTotals", "--repo_root", &repo],
        vec!["pprof", "alloc_paths", "--profile", &f("churn.heap.pb.gz"), "--group_by_source"],
        vec!["pprof", "memory_sanity", "--heap_profile", &f("churn.heap.pb.gz")],
        vec!["pprof", "overhead_report", "--profile", &f("worker.cpu.pb.gz"), "--sample_index", "samples"],
        vec!["pprof", "explain_overhead", "--category", "JSON Serialization"],
        vec!["pprof", "detect_repo", "--profile", &f("worker.cpu.pb.gz"), "--search_roots", &repo],
        vec!["pprof", "vendor_analyze", "--profile", &f("worker.cpu.pb.gz"), "--repo_root", &repo],
        vec!["repo", "services", "discover", "--repo_root", &repo],
        vec!["pprof", "goroutine_analysis", "--profile", &f("worker.goroutine.pb.gz")],
        vec!["pprof", "goroutine_categorize", "--profile", &f("worker.goroutine.pb.gz"), "--presets", "grpc", "--presets", "sync"],
        vec!["pprof", "temporal_analysis", "--profile", &f("worker.goroutine.pb.gz")],
        vec!["pprof", "contention_analysis", "--profile", &f("block.pb.gz")],
        vec!["pprof", "cross_correlate", "--bundle", &bundle],
        vec!["pprof", "hotspot_summary", "--bundle", &bundle, "--nodecount", "3"],
        vec!["pprof", "regression_check", "--profile", &f("worker.cpu.pb.gz"), "--checks", r#"[{"function":"^nothing$","metric":"cum_pct","max":1}]"#],
        vec!["pprof", "generate_report", "--inputs", inputs],
        vec!["pprof", "suggest_fix", "--profile", &f("worker.cpu.pb.gz")],
        vec!["pprof", "discover", "--bundle", &bundle],
    ]
    .iter()
    .map(|c| c.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(cases.len(), 19);
    for args in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_profctl"))
            .args(&args)
            .arg("--json")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(
            v["command"].as_str().unwrap().starts_with("profctl "),
            "{args:?}"
        );
        assert!(v["result"].is_object(), "{args:?}");
    }
}
