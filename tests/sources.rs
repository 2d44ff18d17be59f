//! Profile sources against local fakes: the Datadog tools through the registry (the real
//! HTTP client, pointed at a fake Datadog API on 127.0.0.1), net/http/pprof downloads
//! from a local server, the kubectl pod path with a fake kubectl on PATH, and the same
//! tools through profctl.

mod fakes;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use fakes::datadog::{FakeDatadog, FakeProfile, Fault, API_KEY, APP_KEY};
use fakes::{files_in, fixture, go_bundle, zip_of};
use profsql::registry::{CallError, Context, PathPolicy, ProfileStore, Registry, ToolOutput};
use serde_json::{json, Value};

fn ctx(dd: &FakeDatadog) -> Arc<Context> {
    ctx_with(dd.config())
}

fn ctx_with(cfg: profsql::sources::datadog::DatadogConfig) -> Arc<Context> {
    let store = ProfileStore::new(Default::default(), 1 << 30);
    Arc::new(
        Context::new(store, PathPolicy::open())
            .with_datadog_config(cfg)
            .expect("client"),
    )
}

async fn call(ctx: &Arc<Context>, tool: &str, args: Value) -> Result<ToolOutput, CallError> {
    let Value::Object(args) = args else {
        panic!("args")
    };
    Registry::new().call(ctx.clone(), tool, args).await
}

async fn fails(ctx: &Arc<Context>, tool: &str, args: Value) -> CallError {
    match call(ctx, tool, args).await {
        Ok(o) => panic!("{tool} should fail, got: {}", o.summary),
        Err(e) => e,
    }
}

async fn ok(ctx: &Arc<Context>, tool: &str, args: Value) -> Value {
    match call(ctx, tool, args).await {
        Ok(o) => o.payload,
        Err(e) => panic!("{tool}: {}", e.text()),
    }
}

/// `name<TAB>flat<TAB>cum` rows of a fixture's pprof reference.
fn exact(fixture: &str, sample_type: &str) -> Vec<(String, i64, i64)> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{fixture}.exact.{sample_type}.tsv"));
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

fn total(fixture: &str, sample_type: &str) -> i64 {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{fixture}.total.{sample_type}"));
    std::fs::read_to_string(p).unwrap().trim().parse().unwrap()
}

/// Six profiles of `api`, one per 10 minutes back from now; the oldest stands out.
fn six_profiles() -> Vec<FakeProfile> {
    let now = Utc::now();
    (0..6)
        .map(|i| {
            let mut p = FakeProfile::new(
                i,
                "api",
                now - Span::minutes(10 * i as i64 + 1),
                go_bundle("cpu.pb.gz"),
            );
            let v = if i == 5 { 1000.0 } else { 100.0 };
            p.numeric.push(("cpu-samples".into(), v));
            p
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_pick_follow_the_rules() {
    let dd = FakeDatadog::start(six_profiles());
    let c = ctx(&dd);
    let l = ok(
        &c,
        "datadog.profiles.list",
        json!({"service": "api", "env": "prod", "from": "-3h"}),
    )
    .await;
    let cands = l["result"]["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 6);
    assert_eq!(cands[0]["profile_id"], "AZ0000prof");
    assert_eq!(cands[0]["event_id"], "AwAAAev0000");
    assert_eq!(cands[0]["version"], "v1.2.3");
    assert_eq!(
        l["result"]["warnings"][0],
        "to not provided; defaulted to now"
    );
    assert!(l["command"]
        .as_str()
        .unwrap()
        .starts_with("profctl datadog profiles list"));
    let body = &dd.list_bodies()[0];
    assert_eq!(body["filter"]["query"], "service:api env:prod");
    assert_eq!(body["sort"], json!({"field": "timestamp", "order": "desc"}));
    assert_eq!(body["limit"], 50);
    let from =
        chrono::DateTime::parse_from_rfc3339(body["filter"]["from"].as_str().unwrap()).unwrap();
    let to = chrono::DateTime::parse_from_rfc3339(body["filter"]["to"].as_str().unwrap()).unwrap();
    assert_eq!((to - from).num_seconds(), 3 * 3600);
    assert_eq!(dd.unauthorised(), 0);

    let p = ok(
        &c,
        "datadog.profiles.pick",
        json!({"service": "api", "env": "prod", "strategy": "anomaly"}),
    )
    .await;
    assert_eq!(p["result"]["candidate"]["profile_id"], "AZ0005prof");
    assert_eq!(p["result"]["reason"], "anomaly: 2.2 stddev on cpu-samples");
    let p = ok(
        &c,
        "datadog.profiles.pick",
        json!({"service": "api", "env": "prod", "strategy": "oldest"}),
    )
    .await;
    assert_eq!(p["result"]["index"], 5);
    let target = (Utc::now() - Span::minutes(20)).to_rfc3339();
    let p = ok(
        &c,
        "datadog.profiles.pick",
        json!({"service": "api", "env": "prod", "strategy": "closest_to_ts", "target_ts": target}),
    )
    .await;
    assert_eq!(p["result"]["candidate"]["profile_id"], "AZ0002prof");
    let p = ok(
        &c,
        "datadog.profiles.pick",
        json!({"service": "api", "env": "prod", "index": 3}),
    )
    .await;
    assert_eq!(p["result"]["reason"], "manual_index=3");
    let e = fails(
        &c,
        "datadog.profiles.pick",
        json!({"service": "api", "env": "prod", "strategy": "closest_to_ts"}),
    )
    .await;
    assert_eq!(e.field.as_deref(), Some("target_ts"));
    let e = fails(
        &c,
        "datadog.profiles.pick",
        json!({"service": "nope", "env": "prod"}),
    )
    .await;
    assert_eq!(e.code.as_str(), "NOT_FOUND");
    // An empty list is a result with a hint, not an error.
    let l = ok(
        &c,
        "datadog.profiles.list",
        json!({"service": "nope", "env": "prod"}),
    )
    .await;
    assert_eq!(l["result"]["candidates"], json!([]));
    assert!(l["hint"]
        .as_str()
        .unwrap()
        .contains("datadog.services.search"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_bundle_lands_whole_with_handles() {
    let dd = FakeDatadog::start(six_profiles());
    let c = ctx(&dd);
    let out = tempfile::tempdir().unwrap();
    let r = ok(
        &c,
        "profiles.download_latest_bundle",
        json!({"service": "api", "env": "prod", "out_dir": out.path()}),
    )
    .await;
    let res = &r["result"];
    assert_eq!(res["profile_id"], "AZ0000prof");
    assert_eq!(
        files_in(out.path()),
        [
            "api_prod_cpu.pprof",
            "api_prod_delta-block.pprof",
            "api_prod_delta-heap.pprof",
            "api_prod_delta-mutex.pprof",
            "api_prod_goroutines.pprof",
            "api_prod_metrics.json",
        ]
    );
    let files = res["files"].as_array().unwrap();
    let kinds: Vec<&str> = files.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["cpu", "block", "heap", "mutex", "goroutines"]);
    assert!(res["bundle"].as_str().unwrap().starts_with("bundle:"));
    let cpu = files[0]["handle"].as_str().unwrap();
    // The downloaded CPU profile reads back with pprof's numbers.
    let top = ok(&c, "pprof.top", json!({"profile": cpu, "nodecount": 1})).await;
    let want = &exact("cpu.pb.gz", "cpu")[0];
    assert_eq!(top["result"]["rows"][0]["name"], want.0.as_str());
    assert_eq!(top["result"]["rows"][0]["flat"], want.1);
    let dl = dd.hits("download");
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0].1, "AZ0000prof?eventId=AwAAAev0000");
    // The event-id-only form.
    let out2 = tempfile::tempdir().unwrap();
    let r = ok(
        &c,
        "profiles.download_latest_bundle",
        json!({"service": "api", "env": "prod", "out_dir": out2.path(), "event_id": "AwAAAev0003"}),
    )
    .await;
    assert_eq!(dd.hits("download")[1].1, "AwAAAev0003?");
    assert_eq!(
        r["result"]["warnings"][0],
        "timestamp unavailable; profile selected explicitly"
    );
    assert_eq!(files_in(out2.path()).len(), 6);
}

/// Runs a download whose bundle is `zip` (or fault) and returns the error text; the
/// folder must be empty afterwards.
async fn failing_bundle(bundle: Vec<u8>, fault: Option<Fault>) -> String {
    let mut p = FakeProfile::new(0, "api", Utc::now() - Span::minutes(1), bundle);
    p.numeric.clear();
    let dd = FakeDatadog::start(vec![p]);
    if let Some(f) = fault {
        dd.fault("download", f);
    }
    let c = ctx(&dd);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let e = fails(
        &c,
        "profiles.download_latest_bundle",
        json!({"service": "api", "env": "prod", "out_dir": out}),
    )
    .await;
    assert_eq!(
        files_in(parent.path()),
        Vec::<String>::new(),
        "{}",
        e.text()
    );
    assert!(!e.text().contains(API_KEY) && !e.text().contains(APP_KEY));
    e.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bundles_leave_nothing_behind() {
    let good = go_bundle("cpu.pb.gz");
    let cut = good[..good.len() / 2].to_vec();
    assert!(failing_bundle(cut, None).await.contains("not a valid zip"));
    let e = failing_bundle(good.clone(), Some(Fault::Cut(1000))).await;
    assert!(e.contains("datadog download failed"), "{e}");
    let slip = zip_of(&[
        ("cpu.pprof", fixture("cpu.pb.gz")),
        ("../evil.pprof", fixture("cpu.pb.gz")),
    ]);
    assert!(failing_bundle(slip, None).await.contains("`..`"));
    let abs = zip_of(&[("/tmp/evil.pprof", fixture("cpu.pb.gz"))]);
    assert!(failing_bundle(abs, None).await.contains("absolute"));
    assert!(failing_bundle(fakes::zip_with_link(), None)
        .await
        .contains("is a link"));
    let junk = zip_of(&[
        ("cpu.pprof", fixture("cpu.pb.gz")),
        ("delta-heap.pprof", b"not a profile".to_vec()),
    ]);
    let e = failing_bundle(junk, None).await;
    assert!(
        e.contains("delta-heap.pprof") && e.contains("not a profile"),
        "{e}"
    );
    let none = zip_of(&[("metrics.json", b"[]".to_vec())]);
    assert!(failing_bundle(none, None).await.contains("no .pprof files"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zstd_members_are_stored_gzipped() {
    let zipped = zip_of(&[("cpu.pprof", fakes::fixture_zstd("cpu.pb.gz"))]);
    let dd = FakeDatadog::start(vec![FakeProfile::new(
        0,
        "api",
        Utc::now() - Span::minutes(1),
        zipped,
    )]);
    let c = ctx(&dd);
    let out = tempfile::tempdir().unwrap();
    let r = ok(
        &c,
        "profiles.download_latest_bundle",
        json!({"service": "api", "env": "prod", "out_dir": out.path()}),
    )
    .await;
    let bytes = std::fs::read(out.path().join("api_prod_cpu.pprof")).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    let h = r["result"]["files"][0]["handle"].as_str().unwrap();
    let top = ok(&c, "pprof.top", json!({"profile": h})).await;
    assert_eq!(top["result"]["total"], total("cpu.pb.gz", "cpu"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_wait_as_the_server_asks() {
    let dd = FakeDatadog::start(six_profiles());
    dd.fault(
        "list",
        Fault::Status {
            status: 429,
            headers: vec![("retry-after", "1".into())],
            body: "slow down".into(),
        },
    );
    dd.fault(
        "list",
        Fault::Status {
            status: 503,
            headers: vec![],
            body: "busy".into(),
        },
    );
    let when = (Utc::now() + Span::seconds(5))
        .to_rfc2822()
        .replace("+0000", "GMT");
    dd.fault(
        "list",
        Fault::Status {
            status: 429,
            headers: vec![("retry-after", when)],
            body: String::new(),
        },
    );
    dd.fault(
        "list",
        Fault::Status {
            status: 429,
            headers: vec![("x-ratelimit-reset", "1".into())],
            body: String::new(),
        },
    );
    let c = ctx(&dd);
    let start = Instant::now();
    let l = ok(
        &c,
        "datadog.profiles.list",
        json!({"service": "api", "env": "prod"}),
    )
    .await;
    assert_eq!(l["result"]["candidates"].as_array().unwrap().len(), 6);
    let hits = dd.hits("list");
    assert_eq!(hits.len(), 5);
    let gap = |i: usize| hits[i + 1].0 - hits[i].0;
    assert!(
        gap(0) >= Duration::from_millis(990),
        "Retry-After 1: {:?}",
        gap(0)
    );
    // Backoff after a 503: 400 ms (second attempt) plus up to a quarter of jitter.
    assert!(
        gap(1) >= Duration::from_millis(395) && gap(1) < Duration::from_millis(900),
        "{:?}",
        gap(1)
    );
    // An HTTP date five seconds after the test began, reached ~1.5 s in: whole seconds
    // make the wait at least two seconds.
    assert!(
        gap(2) >= Duration::from_millis(1900),
        "HTTP date: {:?}",
        gap(2)
    );
    assert!(
        gap(3) >= Duration::from_millis(990),
        "X-RateLimit-Reset: {:?}",
        gap(3)
    );
    assert!(start.elapsed() < Duration::from_secs(12));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_failures_and_timeouts_are_named_without_keys() {
    let dd = FakeDatadog::start(six_profiles());
    for _ in 0..3 {
        dd.fault(
            "list",
            Fault::Status {
                status: 500,
                headers: vec![],
                body: format!("oops {API_KEY}"),
            },
        );
    }
    let mut cfg = dd.config();
    cfg.retry.attempts = 3;
    let c = ctx_with(cfg.clone());
    let e = fails(
        &c,
        "datadog.profiles.list",
        json!({"service": "api", "env": "prod"}),
    )
    .await;
    assert_eq!(dd.hits("list").len(), 3);
    assert!(
        e.text()
            .starts_with("datadog list failed: status 500: oops ***"),
        "{}",
        e.text()
    );
    assert!(!e.text().contains(API_KEY));
    // Bad keys: 403, no retry, a hint about the keys.
    let mut bad = dd.config();
    bad.api_key = "wrong".into();
    let e = fails(
        &ctx_with(bad),
        "datadog.profiles.list",
        json!({"service": "api", "env": "prod"}),
    )
    .await;
    assert!(
        e.text().contains("status 403") && e.text().contains("DD_API_KEY"),
        "{}",
        e.text()
    );
    // A slow answer: given up after the timeout, not retried.
    let before = dd.hits("list").len();
    assert_eq!(before, 4, "a 403 is not retried");
    dd.fault("list", Fault::Slow(Duration::from_secs(5)));
    cfg.list_timeout = Duration::from_millis(500);
    let start = Instant::now();
    let e = fails(
        &ctx_with(cfg),
        "datadog.profiles.list",
        json!({"service": "api", "env": "prod"}),
    )
    .await;
    assert!(e.text().contains("no answer within"), "{}", e.text());
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(
        dd.hits("list").len(),
        before + 1,
        "a timeout is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_spaces_requests() {
    let dd = FakeDatadog::start(six_profiles());
    let mut cfg = dd.config();
    cfg.rate = profsql::sources::limiter::Rate { rps: 4.0, burst: 1 };
    let c = ctx_with(cfg);
    // Measured from before the first token is taken, not from the first arrival: the
    // first request also pays for the connection, which shortens the arrival-to-arrival
    // gap by a few milliseconds under load.
    let start = Instant::now();
    for _ in 0..3 {
        ok(
            &c,
            "datadog.profiles.list",
            json!({"service": "api", "env": "prod"}),
        )
        .await;
    }
    let hits = dd.hits("list");
    assert_eq!(hits.len(), 3);
    for (i, min_ms) in [(1, 250), (2, 500)] {
        let at = hits[i].0.saturating_duration_since(start);
        assert!(
            at >= Duration::from_millis(min_ms),
            "request {i} arrived {at:?} after the first was asked for"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregate_merges_with_the_library() {
    let now = Utc::now();
    let profiles: Vec<FakeProfile> = (0..3)
        .map(|i| {
            FakeProfile::new(
                i,
                "api",
                now - Span::minutes(5 * i as i64 + 1),
                go_bundle("cpu.pb.gz"),
            )
        })
        .collect();
    let dd = FakeDatadog::start(profiles);
    let c = ctx(&dd);
    let out = tempfile::tempdir().unwrap();
    let r = ok(
        &c,
        "datadog.profiles.aggregate",
        json!({"service": "api", "env": "prod", "window": "1h", "out_dir": out.path()}),
    )
    .await;
    assert_eq!(r["result"]["profiles_merged"], 3);
    let h = r["result"]["handle"].as_str().unwrap();
    let top = ok(&c, "pprof.top", json!({"profile": h})).await;
    assert_eq!(top["result"]["total"], 3 * total("cpu.pb.gz", "cpu"));
    let heap = ok(
        &c,
        "datadog.profiles.aggregate",
        json!({"service": "api", "env": "prod", "window": "1h", "profile_type": "heap", "limit": 2,
               "out_dir": out.path().join("heap")}),
    )
    .await;
    assert_eq!(heap["result"]["profiles_merged"], 2);
    let e = fails(
        &c,
        "datadog.profiles.aggregate",
        json!({"service": "api", "env": "prod", "window": "soon"}),
    )
    .await;
    assert_eq!(e.field.as_deref(), Some("window"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_range_equals_pprof_per_function() {
    let now = Utc::now();
    let dd = FakeDatadog::start(vec![
        FakeProfile::new(
            0,
            "api",
            now - Span::hours(30),
            go_bundle("before.cpu.pb.gz"),
        ),
        FakeProfile::new(1, "api", now - Span::hours(1), go_bundle("after.cpu.pb.gz")),
    ]);
    let c = ctx(&dd);
    let out = tempfile::tempdir().unwrap();
    let r = ok(
        &c,
        "datadog.profiles.compare_range",
        json!({"service": "api", "env": "prod", "out_dir": out.path(),
        "before_from": "-48h", "before_to": "-24h", "after_from": "-2h", "top": 50}),
    )
    .await;
    let res = &r["result"];
    assert_eq!(res["before_total"], total("before.cpu.pb.gz", "cpu"));
    assert_eq!(res["after_total"], total("after.cpu.pb.gz", "cpu"));
    assert!(res["sql"].as_str().unwrap().contains("FROM frames"));
    let before = exact("before.cpu.pb.gz", "cpu");
    let after = exact("after.cpu.pb.gz", "cpu");
    let find = |rows: &[(String, i64, i64)], n: &str| {
        rows.iter()
            .find(|r| r.0 == n)
            .map_or((0, 0), |r| (r.1, r.2))
    };
    let changes = res["top_changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    let mut last = i64::MAX;
    for ch in changes {
        let name = ch["function"].as_str().unwrap();
        let (bf, bc) = find(&before, name);
        let (af, ac) = find(&after, name);
        assert_eq!(
            (
                ch["before_flat"].as_i64().unwrap(),
                ch["after_flat"].as_i64().unwrap()
            ),
            (bf, af),
            "{name}"
        );
        assert_eq!(
            (
                ch["before_cum"].as_i64().unwrap(),
                ch["after_cum"].as_i64().unwrap()
            ),
            (bc, ac),
            "{name}"
        );
        assert_eq!(ch["delta"].as_i64().unwrap(), af - bf);
        assert!(
            ch["delta"].as_i64().unwrap().abs() <= last,
            "sorted by |delta|"
        );
        last = ch["delta"].as_i64().unwrap().abs();
    }
    assert!(r["raw"]
        .as_str()
        .unwrap()
        .starts_with("Profile Comparison: api (prod)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_history_reads_every_profile_in_one_query() {
    let now = Utc::now();
    let dd = FakeDatadog::start(vec![
        FakeProfile::new(
            0,
            "api",
            now - Span::minutes(1),
            go_bundle("after.cpu.pb.gz"),
        ),
        FakeProfile::new(
            1,
            "api",
            now - Span::minutes(11),
            go_bundle("before.cpu.pb.gz"),
        ),
        FakeProfile::new(
            2,
            "api",
            now - Span::minutes(21),
            zip_of(&[("metrics.json", b"[]".to_vec())]),
        ),
    ]);
    let c = ctx(&dd);
    let name = &exact("before.cpu.pb.gz", "cpu")[1].0;
    let pattern = format!("^{}$", regex::escape(name));
    let r = ok(
        &c,
        "datadog.function_history",
        json!({"service": "api", "env": "prod", "function": pattern, "hours": 1}),
    )
    .await;
    let res = &r["result"];
    assert!(res["sql"].as_str().unwrap().contains("regexp_like"));
    let entries = res["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for (e, fx) in entries.iter().zip(["after.cpu.pb.gz", "before.cpu.pb.gz"]) {
        let want = exact(fx, "cpu")
            .into_iter()
            .find(|r| &r.0 == name)
            .unwrap_or_default();
        assert_eq!(e["found"], want.1 != 0 || want.2 != 0, "{fx}");
        assert_eq!(
            (e["flat"].as_i64().unwrap(), e["cum"].as_i64().unwrap()),
            (want.1, want.2),
            "{fx}"
        );
        assert_eq!(e["total"], total(fx, "cpu"));
    }
    assert_eq!(entries[2]["found"], false);
    assert!(res["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("no .pprof files")));
    assert_eq!(res["summary"]["total_profiles"], 3);
    let bad = fails(
        &c,
        "datadog.function_history",
        json!({"service": "api", "env": "prod", "function": "("}),
    )
    .await;
    assert_eq!(bad.field.as_deref(), Some("function"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_event_reports_the_gap() {
    let event = Utc::now() - Span::hours(2);
    let b = || go_bundle("cpu.pb.gz");
    let dd = FakeDatadog::start(vec![
        FakeProfile::new(0, "api", event - Span::minutes(10), b()),
        FakeProfile::new(1, "api", event - Span::minutes(20), b()),
        FakeProfile::new(2, "api", event + Span::minutes(2), b()),
        FakeProfile::new(3, "api", event + Span::minutes(40), b()),
        FakeProfile::new(4, "api", event + Span::minutes(43), b()),
    ]);
    let c = ctx(&dd);
    let r = ok(
        &c,
        "datadog.profiles.near_event",
        json!({"service": "api", "env": "prod", "event_time": event.to_rfc3339(), "window": "30m"}),
    )
    .await;
    let res = &r["result"];
    assert_eq!(res["closest_before"]["profile_id"], "AZ0000prof");
    assert_eq!(res["closest_after"]["profile_id"], "AZ0002prof");
    assert_eq!(res["before_event"].as_array().unwrap().len(), 2);
    assert_eq!(res["after_event"].as_array().unwrap().len(), 1);
    assert_eq!(res["gap_duration"], "12m0s");
    assert!(res["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("Large gap (12m0s)"));
    let r = ok(&c, "datadog.profiles.near_event",
        json!({"service": "api", "env": "prod", "event_time": (event + Span::minutes(41)).timestamp().to_string(), "window": "5m"})).await;
    assert_eq!(r["result"]["gap_duration"], "3m0s");
    assert_eq!(r["result"]["warnings"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_services() {
    let mut profiles = six_profiles();
    profiles.push(FakeProfile::new(
        9,
        "checkout-api",
        Utc::now() - Span::minutes(3),
        go_bundle("cpu.pb.gz"),
    ));
    let dd = FakeDatadog::start(profiles);
    let c = ctx(&dd);
    let d = ok(&c, "datadog.metrics.discover", json!({"service": "api"})).await;
    let names: Vec<&str> = d["result"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "go.goroutines",
            "go.memstats.heap_inuse_bytes",
            "container.memory.rss",
            "api.requests.count"
        ]
    );
    assert_eq!(dd.hits("search").len(), 0);
    dd.fail_v2();
    let d = ok(&c, "datadog.metrics.discover", json!({"service": "api"})).await;
    assert_eq!(d["result"]["metrics"].as_array().unwrap().len(), 4);
    assert!(!dd.hits("search").is_empty(), "fell back to v1 search");
    assert!(d["result"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("v1 search"));

    let m = ok(
        &c,
        "datadog.metrics_at_timestamp",
        json!({"service": "api", "env": "prod", "timestamp": "1767607200", "window": "5m",
               "metrics": ["go.goroutines", "container.memory.rss", "go.gc.count"]}),
    )
    .await;
    let series = m["result"]["metrics"].as_array().unwrap();
    assert_eq!(series.len(), 2, "go.gc.count has no points");
    assert_eq!(series[0]["name"], "container.memory.rss");
    assert_eq!(series[0]["unit"], "byte");
    assert_eq!(
        series[1]["points"].as_array().unwrap().len(),
        2,
        "the null point is dropped"
    );
    assert_eq!(series[1]["avg_value"], 120.0);
    assert_eq!(m["result"]["summary"]["go_goroutines"], 140.0);
    assert_eq!(m["result"]["summary"]["container_rss_mb"], 2.0);
    assert_eq!(m["result"]["from_time"], "2026-01-05T09:55:00Z");
    let q = &dd.hits("query")[0].1;
    assert!(
        q.contains("from=1767606900") && q.contains("to=1767607500"),
        "{q}"
    );

    let s = ok(&c, "datadog.services.search", json!({"query": "checkout"})).await;
    assert_eq!(s["result"]["services"][0]["service"], "checkout-api");
    assert_eq!(s["result"]["services"].as_array().unwrap().len(), 1);
    let s = ok(&c, "datadog.services.search", json!({})).await;
    assert_eq!(s["result"]["services"][0]["service"], "api");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_endpoints_download_checked_files() {
    let srv = fakes::pprof_server::FakePprof::start();
    srv.break_endpoint("block", 500);
    srv.serve_html("mutex");
    let c = ctx_with(FakeDatadog::start(vec![]).config());
    let out = tempfile::tempdir().unwrap();
    let r = ok(
        &c,
        "profiles.download",
        json!({"url": srv.url(), "seconds": 1, "out_dir": out.path(),
        "service": "api", "headers": {"X-Debug-Token": "s3cret"}}),
    )
    .await;
    assert_eq!(r["mode"], "url");
    assert!(!r.to_string().contains("s3cret"), "headers are not echoed");
    let kinds: Vec<&str> = r["result"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["heap", "allocs", "goroutines", "cpu"]);
    let warnings = r["result"]["warnings"].to_string();
    assert!(
        warnings.contains("block") && warnings.contains("status 500"),
        "{warnings}"
    );
    assert!(
        warnings.contains("mutex") && warnings.contains("not a profile"),
        "{warnings}"
    );
    let files = files_in(out.path());
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.starts_with("api_") && f.ends_with(".pprof")),
        "{files:?}"
    );
    let reqs = srv.requests();
    assert!(reqs
        .iter()
        .any(|(e, q, _)| e == "profile" && q == "seconds=1"));
    assert!(reqs.iter().all(|(_, _, t)| t == "s3cret"));
    // Everything failing: an error, and nothing written.
    let dead = tempfile::tempdir().unwrap();
    let e = fails(
        &c,
        "profiles.download",
        json!({"url": "http://127.0.0.1:9", "out_dir": dead.path(), "types": ["heap"]}),
    )
    .await;
    assert!(
        e.text().contains("failed to download any profiles"),
        "{}",
        e.text()
    );
    assert!(files_in(dead.path()).is_empty());
}

fn profctl(env: &[(&str, String)], args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_profctl"))
        .args(args)
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run profctl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn profctl_runs_the_source_commands() {
    let dd = FakeDatadog::start(six_profiles());
    let env = dd.env();
    let (ok_, out, err) = profctl(
        &env,
        &[
            "datadog",
            "profiles",
            "list",
            "--service",
            "api",
            "--env",
            "prod",
            "--json",
        ],
    );
    assert!(ok_, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"]["candidates"].as_array().unwrap().len(), 6);
    let (ok_, out, err) = profctl(
        &env,
        &[
            "datadog",
            "profiles",
            "pick",
            "--service",
            "api",
            "--env",
            "prod",
            "--strategy",
            "anomaly",
        ],
    );
    assert!(ok_, "{err}");
    assert!(
        out.starts_with("Picked ") && out.contains("anomaly: 2.2 stddev on cpu-samples"),
        "{out}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (ok_, out, err) = profctl(
        &env,
        &[
            "download",
            "--service",
            "api",
            "--env",
            "prod",
            "--out",
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(ok_, "{err}");
    assert!(
        out.starts_with("Downloaded 5 profiles of api/prod"),
        "{out}"
    );
    assert!(
        err.is_empty(),
        "no progress bar when stderr is not a terminal: {err:?}"
    );
    let (ok_, out, err) = profctl(
        &env,
        &[
            "datadog",
            "metrics",
            "at",
            "--service",
            "api",
            "--metrics",
            "go.goroutines",
            "--json",
        ],
    );
    assert!(ok_, "{err}");
    assert!(out.contains("\"go_goroutines\": 140.0"), "{out}");
    let scratch = tempfile::tempdir().unwrap();
    let scratch = scratch.path().to_str().unwrap();
    for mut cmd in [
        vec![
            "datadog",
            "profiles",
            "near-event",
            "--service",
            "api",
            "--env",
            "prod",
            "--event_time",
            "-15m",
        ],
        vec![
            "datadog",
            "profiles",
            "compare-range",
            "--service",
            "api",
            "--env",
            "prod",
            "--before_from",
            "-1h",
            "--before_to",
            "-35m",
            "--after_from",
            "-30m",
        ],
        vec![
            "datadog",
            "profiles",
            "function-history",
            "--service",
            "api",
            "--env",
            "prod",
            "--function",
            "fib",
            "--limit",
            "2",
        ],
        vec![
            "datadog",
            "profiles",
            "aggregate",
            "--service",
            "api",
            "--env",
            "prod",
            "--window",
            "30m",
            "--limit",
            "2",
        ],
        vec!["datadog", "metrics", "discover", "--service", "api"],
        vec!["datadog", "services", "search", "--query", "ap"],
    ] {
        if cmd.contains(&"compare-range") || cmd.contains(&"aggregate") {
            cmd.extend(["--out", scratch]);
        }
        let (ok_, out, err) = profctl(&env, &cmd);
        assert!(ok_, "{cmd:?}: {err}");
        assert!(!out.is_empty());
    }
    // No keys: one clear line, exit 1.
    let (ok_, _, err) = profctl(
        &[],
        &[
            "datadog",
            "profiles",
            "list",
            "--service",
            "api",
            "--env",
            "prod",
        ],
    );
    assert!(!ok_);
    assert!(
        err.contains("DD_API_KEY") && err.contains("DD_APP_KEY"),
        "{err}"
    );
}

#[test]
fn profctl_fetches_from_a_pod_through_kubectl() {
    let srv = fakes::pprof_server::FakePprof::start();
    let kubectl = fakes::kubectl::FakeKubectl::new(&srv.addr.to_string());
    let dir = tempfile::tempdir().unwrap();
    let (ok_, out, err) = profctl(
        &kubectl.env(),
        &[
            "d2",
            "profiles",
            "download",
            "--service",
            "api",
            "--namespace",
            "staging",
            "--remote_port",
            "8080",
            "--seconds",
            "1",
            "--types",
            "cpu",
            "--types",
            "heap",
            "--out",
            dir.path().to_str().unwrap(),
            "--json",
        ],
    );
    assert!(ok_, "{err}\n{}", kubectl.log());
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"]["pod_name"], "api-7d9f-x2");
    assert_eq!(v["result"]["files"].as_array().unwrap().len(), 2);
    assert!(v["command"].as_str().unwrap().contains("port-forward"));
    let log = kubectl.log();
    assert!(
        log.contains("-n staging get pods -l app=api -o json"),
        "{log}"
    );
    assert!(
        log.contains("port-forward --address=127.0.0.1 api-7d9f-x2") && log.contains(":8080"),
        "{log}"
    );
    assert_eq!(files_in(dir.path()).len(), 2);
    // The smart download picks the pod path from `namespace`.
    let dir2 = tempfile::tempdir().unwrap();
    let (ok_, out, err) = profctl(
        &kubectl.env(),
        &[
            "download",
            "--service",
            "api",
            "--namespace",
            "staging",
            "--pod",
            "api-7d9f-x2",
            "--seconds",
            "1",
            "--types",
            "goroutines",
            "--out",
            dir2.path().to_str().unwrap(),
            "--json",
        ],
    );
    assert!(ok_, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mode"], "kubernetes");
    assert_eq!(files_in(dir2.path()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_dir_obeys_basedir_and_bundles_obey_the_cap() {
    let dd = FakeDatadog::start(six_profiles());
    let base = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(Default::default(), 1 << 30);
    let confined = Arc::new(
        Context::new(store, PathPolicy::confined(base.path()).unwrap())
            .with_datadog_config(dd.config())
            .unwrap(),
    );
    let outside = tempfile::tempdir().unwrap();
    let e = fails(
        &confined,
        "profiles.download_latest_bundle",
        json!({"service": "api", "env": "prod", "out_dir": outside.path()}),
    )
    .await;
    assert!(e.text().contains("outside"), "{}", e.text());
    assert_eq!(dd.hits("download").len(), 0, "refused before any download");
    let r = ok(
        &confined,
        "profiles.download_latest_bundle",
        json!({"service": "api", "env": "prod", "out_dir": "bundles"}),
    )
    .await;
    assert!(r["result"]["files"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with(base.path().canonicalize().unwrap().to_str().unwrap()));
    // Downloads without out_dir stay inside the base too.
    let a = ok(
        &confined,
        "datadog.profiles.aggregate",
        json!({"service": "api", "env": "prod", "window": "1h", "limit": 2}),
    )
    .await;
    assert!(a["result"]["path"]
        .as_str()
        .unwrap()
        .starts_with(base.path().canonicalize().unwrap().to_str().unwrap()));

    let mut small = dd.config();
    small.max_bundle_bytes = 1000;
    let out = tempfile::tempdir().unwrap();
    let e = fails(
        &ctx_with(small),
        "profiles.download_latest_bundle",
        json!({"service": "api", "env": "prod", "out_dir": out.path()}),
    )
    .await;
    assert!(e.text().contains("1000-byte cap"), "{}", e.text());
    assert!(files_in(out.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_downloads_the_latest_bundle_and_analyses_each_profile() {
    let now = Utc::now();
    let dd = FakeDatadog::start(vec![FakeProfile::new(
        0,
        "api",
        now - Span::minutes(1),
        go_bundle("cpu.pb.gz"),
    )]);
    let c = ctx(&dd);
    let out = tempfile::tempdir().unwrap();
    let r = ok(
        &c,
        "pprof.discover",
        json!({"service": "api", "env": "prod", "out_dir": out.path()}),
    )
    .await;
    let r = &r["result"];
    let kinds: Vec<&str> = r["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["cpu", "heap", "mutex", "block", "goroutine"]);
    assert_eq!(
        (r["service"].as_str(), r["env"].as_str()),
        (Some("api"), Some("prod"))
    );
    let top = &exact("cpu.pb.gz", "cpu")[0];
    assert_eq!(r["cpu"]["top"][0]["name"], top.0.as_str());
    assert_eq!(r["cpu"]["top"][0]["flat"], top.1);
    assert_eq!(
        r["heap"]["alloc_paths"]["total_alloc"],
        total("heap.pb.gz", "alloc_space")
    );
    assert_eq!(r["mutex"]["profile_type"], "mutex");
    assert_eq!(
        r["goroutine"]["total_goroutines"],
        total("goroutine.pb.gz", "goroutine")
    );
    // The bundle landed whole in out_dir.
    assert_eq!(files_in(out.path()).len(), 6);
    assert_eq!(dd.hits("download").len(), 1);
}
