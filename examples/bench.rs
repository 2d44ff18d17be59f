//! Benchmark: profsql against `go tool pprof`, side by side, on the profiles given.
//!
//! `cargo run --release --example bench -- PROFILE...`
//!
//! For each profile it prints: plain gunzip throughput, decode (inflate + parse + validate)
//! throughput, flatten time (symbols, small tables, registration), warm `top` query time,
//! and for a cold `profsql top` process its wall time and peak RSS. When `go` is on PATH,
//! the same cold figures for `go tool pprof -top` and the ratios. Nothing here is a test:
//! timings are only printed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use profsql::decode::{decode_bytes, DecodeOptions};
use profsql::tables::LoadedProfile;
use profsql::tools::pprof::{self, ReportOptions};
use profsql::tools::top::{top, TopOptions};
use profsql::Engine;

const COLD_RUNS: usize = 5;
/// Per parity tool: more runs, as a tool's cold run is short and the ratio is what counts.
const TOOL_RUNS: usize = 11;
const WARM_RUNS: usize = 20;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs a command to completion under GNU `time`, output discarded; returns wall time and
/// peak RSS in bytes. (`time` is a small process: measuring from this benchmark process
/// itself would count our own pages, which a forked child starts with.)
fn run_measured(cmd: &Command) -> anyhow::Result<(Duration, u64)> {
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["-f", "%M"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            timed.env(k, v);
        }
    }
    let start = Instant::now();
    let out = timed
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    let wall = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(out.status.success(), "{cmd:?} failed: {err}");
    let kb: u64 = err
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no RSS from /usr/bin/time: {err}"))?;
    Ok((wall, kb * 1024))
}

fn cold(mut make: impl FnMut() -> Command) -> anyhow::Result<(Duration, u64)> {
    let mut walls = Vec::new();
    let mut rss = 0;
    for _ in 0..COLD_RUNS {
        let (w, r) = run_measured(&make())?;
        walls.push(w);
        rss = rss.max(r);
    }
    Ok((median(walls), rss))
}

fn profsql_binary() -> PathBuf {
    // target/<profile>/examples/bench -> target/<profile>/profsql
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("profsql"))
        .unwrap_or_else(|| PathBuf::from("profsql"))
}

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn bench(path: &Path, go: bool, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let data = std::fs::read(path)?;
    let opts = DecodeOptions::default();

    // Plain inflate, for the throughput ceiling.
    let mut inflate_times = Vec::new();
    let mut raw_len = data.len();
    for _ in 0..WARM_RUNS.min(5) {
        let t = Instant::now();
        if data.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::with_capacity(data.len() * 4);
            flate2::read::MultiGzDecoder::new(data.as_slice()).read_to_end(&mut out)?;
            raw_len = out.len();
        }
        inflate_times.push(t.elapsed());
    }
    let inflate = median(inflate_times);

    let mut decode_times = Vec::new();
    let mut flatten_times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        let profile = decode_bytes(&path.display().to_string(), &data, &opts)?;
        decode_times.push(t.elapsed());
        let t = Instant::now();
        let lp = LoadedProfile::new(0, path.display().to_string(), profile)?;
        flatten_times.push(t.elapsed());
        last = Some(lp);
    }
    let decode = median(decode_times);
    let flatten = median(flatten_times);
    let samples = last.as_ref().map_or(0, |lp| lp.profile.samples.len());
    drop(last);

    let mut engine = Engine::new(opts);
    engine.load_file(path)?;
    let mut top_times = Vec::new();
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        rt.block_on(top(&engine, 0, &TopOptions::default()))?;
        top_times.push(t.elapsed());
    }
    let top_warm = median(top_times);

    let bin = profsql_binary();
    let (ours_wall, ours_rss) = cold(|| {
        let mut c = Command::new(&bin);
        c.args(["top", &path.display().to_string(), "--format", "csv"]);
        c
    })?;

    println!("## {}", path.display());
    println!(
        "file {:.2} MB, protobuf {:.2} MB, {samples} samples",
        mb(data.len()),
        mb(raw_len)
    );
    let gunzip_mbs = mb(raw_len) / inflate.as_secs_f64().max(1e-9);
    let decode_mbs = mb(raw_len) / decode.as_secs_f64().max(1e-9);
    let load_mbs = mb(raw_len) / (decode + flatten).as_secs_f64().max(1e-9);
    println!("| measure | profsql | go tool pprof | ratio |");
    println!("|---|---|---|---|");
    println!("| plain gunzip | {gunzip_mbs:.0} MB/s | | |");
    println!(
        "| decode (inflate+parse+validate) | {:.1} ms ({decode_mbs:.0} MB/s) | | |",
        ms(decode)
    );
    println!(
        "| flatten (symbols, small tables) | {:.1} ms (decode+flatten {load_mbs:.0} MB/s = {:.2}x gunzip) | | |",
        ms(flatten),
        load_mbs / gunzip_mbs
    );
    println!("| warm top query | {:.1} ms | | |", ms(top_warm));
    if go {
        let (go_wall, go_rss) = cold(|| {
            let mut c = Command::new("go");
            c.args(["tool", "pprof", "-top", &path.display().to_string()]);
            c.env(
                "PPROF_BINARY_PATH",
                std::env::temp_dir().join("profsql-bench-empty"),
            );
            c
        })?;
        println!(
            "| cold `top` wall (median of {COLD_RUNS}) | {:.0} ms | {:.0} ms | {:.1}x faster |",
            ms(ours_wall),
            ms(go_wall),
            go_wall.as_secs_f64() / ours_wall.as_secs_f64().max(1e-9)
        );
        println!(
            "| cold `top` peak RSS | {:.1} MB | {:.1} MB | {:.2} of Go's |",
            mb(ours_rss as usize),
            mb(go_rss as usize),
            ours_rss as f64 / go_rss.max(1) as f64
        );
    } else {
        println!(
            "| cold `top` wall (median of {COLD_RUNS}) | {:.0} ms | (no go on PATH) | |",
            ms(ours_wall)
        );
        println!(
            "| cold `top` peak RSS | {:.1} MB | | |",
            mb(ours_rss as usize)
        );
    }
    println!(
        "| peak RSS / protobuf size | {:.2}x | | |",
        ours_rss as f64 / raw_len.max(1) as f64
    );
    println!();
    if go {
        tools(path, &engine, rt)?;
    }
    analyses(path, &engine, rt)?;
    Ok(())
}

/// Warm analysis tools through the registry (profile decoded and cached by a first call),
/// median of WARM_RUNS calls each; the target is at most 200 ms.
fn analyses(path: &Path, engine: &Engine, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    use profsql::registry::{Context, PathPolicy, ProfileStore, Registry};
    use serde_json::json;
    let top = rt.block_on(pprof::top(engine, 0, &ReportOptions::default()))?;
    let name = top.rows.first().map_or("main", |r| r.name.as_str());
    let re = format!("^{}$", regex::escape(name));
    let p = path.display().to_string();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fixtures-src/worker");
    let repo = repo.display().to_string();
    let ctx = std::sync::Arc::new(Context::new(ProfileStore::from_env()?, PathPolicy::open()));
    let registry = Registry::new();
    let cases = vec![
        ("pprof.storylines", json!({"profile": p})),
        ("pprof.trace_source", json!({"profile": p, "function": re})),
        ("pprof.alloc_paths", json!({"profile": p})),
        ("pprof.overhead_report", json!({"profile": p})),
        (
            "pprof.explain_overhead",
            json!({"category": "Runtime/GC", "profile": p}),
        ),
        (
            "pprof.detect_repo",
            json!({"profile": p, "search_roots": [repo]}),
        ),
        (
            "pprof.vendor_analyze",
            json!({"profile": p, "repo_root": repo}),
        ),
        ("pprof.goroutine_analysis", json!({"profile": p})),
        ("pprof.goroutine_categorize", json!({"profile": p})),
        ("pprof.temporal_analysis", json!({"profile": p})),
        ("pprof.contention_analysis", json!({"profile": p})),
        ("pprof.cross_correlate", json!({"bundle": [p]})),
        ("pprof.hotspot_summary", json!({"bundle": [p]})),
        (
            "pprof.regression_check",
            json!({"profile": p, "checks": [{"function": re, "metric": "cum_pct", "max": 100}]}),
        ),
        ("pprof.suggest_fix", json!({"profile": p})),
        ("pprof.discover", json!({"bundle": [p]})),
        ("repo.services.discover", json!({"repo_root": repo})),
    ];
    println!("warm analysis tools (median of {WARM_RUNS} calls through the registry; target <= 200 ms):\n");
    println!("| tool | warm | within 200 ms |");
    println!("|---|---|---|");
    for (tool, args) in cases {
        let serde_json::Value::Object(args) = args else {
            continue;
        };
        let mut walls = Vec::new();
        for i in 0..=WARM_RUNS {
            let start = Instant::now();
            let out = rt.block_on(registry.call(ctx.clone(), tool, args.clone()));
            if let Err(e) = out {
                anyhow::bail!("{tool}: {}", e.text());
            }
            // The first call decodes the profile: not a warm run.
            if i > 0 {
                walls.push(start.elapsed());
            }
        }
        let w = median(walls);
        println!(
            "| {tool} | {:.1} ms | {} |",
            ms(w),
            if ms(w) <= 200.0 { "yes" } else { "NO" }
        );
    }
    println!();
    Ok(())
}

/// Cold `profctl pprof <tool>` against the `go tool pprof` command it replaces, one row per
/// parity tool. Regexes name the heaviest function, so every tool has work to do.
fn tools(path: &Path, engine: &Engine, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let top = rt.block_on(pprof::top(engine, 0, &ReportOptions::default()))?;
    let name = top.rows.first().map_or("main", |r| r.name.as_str());
    let re = format!("^{}$", regex::escape(name));
    let p = path.display().to_string();
    let out = std::env::temp_dir().join("profsql-bench-merged.pb.gz");
    let out = out.display().to_string();
    let bin = profsql_binary().with_file_name("profctl");
    let diff = format!("-diff_base={p}");
    let focus = format!("-focus={re}");
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        ("top", vec!["top", "--profile", &p], vec!["-top", &p]),
        ("peek", vec!["peek", "--profile", &p, "--regex", &re], vec!["-peek", &re, &p]),
        ("list", vec!["list", "--profile", &p, "--function", &re], vec!["-list", &re, &p]),
        ("traces", vec!["traces", "--profile", &p, "--lines", "0"], vec!["-traces", &p]),
        ("tags", vec!["tags", "--profile", &p], vec!["-tags", &p]),
        ("meta (pprof: -raw)", vec!["meta", "--profile", &p], vec!["-raw", &p]),
        ("merge (P with itself)", vec!["merge", "--out", &out, &p, &p], vec!["-proto", "-output", &out, &p, &p]),
        ("diff_top (P against itself; pprof: -top -diff_base)", vec!["diff_top", "--before", &p, "--after", &p], vec!["-top", &diff, &p]),
        ("focus_paths", vec!["focus_paths", "--profile", &p, "--function", &re, "--lines", "0"], vec!["-traces", &focus, &p]),
    ];
    println!("cold runs per tool (median of {TOOL_RUNS}, alternating with go; regex {re}):\n");
    println!("| tool | profctl pprof | go tool pprof | ratio |");
    println!("|---|---|---|---|");
    for (tool, ours, theirs) in cases {
        // Alternated, so a noisy neighbour slows both sides alike.
        let (mut ours_walls, mut go_walls) = (Vec::new(), Vec::new());
        for _ in 0..TOOL_RUNS {
            let mut c = Command::new(&bin);
            c.arg("pprof").args(&ours);
            ours_walls.push(run_measured(&c)?.0);
            let mut c = Command::new("go");
            c.args(["tool", "pprof"]).args(&theirs);
            c.env(
                "PPROF_BINARY_PATH",
                std::env::temp_dir().join("profsql-bench-empty"),
            );
            go_walls.push(run_measured(&c)?.0);
        }
        let (ow, gw) = (median(ours_walls), median(go_walls));
        println!(
            "| {tool} | {:.0} ms | {:.0} ms | {:.1}x faster |",
            ms(ow),
            ms(gw),
            gw.as_secs_f64() / ow.as_secs_f64().max(1e-9)
        );
    }
    println!();
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    anyhow::ensure!(
        !paths.is_empty(),
        "usage: cargo run --release --example bench -- PROFILE..."
    );
    let go = go_available();
    if go {
        // pprof must not go looking for local binaries to symbolize with.
        std::fs::create_dir_all(std::env::temp_dir().join("profsql-bench-empty"))?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!(
        "profsql bench: {} cold runs (median wall, max RSS), {} warm runs (median); {} cores\n",
        COLD_RUNS,
        WARM_RUNS,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for p in &paths {
        if let Err(e) = bench(p, go, &rt) {
            println!("## {}\nerror: {e:#}\n", p.display());
        }
    }
    Ok(())
}
