//! Why a Go service uses more memory than its heap shows (`memory_sanity`): heap totals
//! read from the tables (exact units), allocation churn, off-heap allocators (SQLite and
//! libc, compression buffers, cgo), goroutine stacks, and a repository scan for the
//! settings that cause them.

use std::path::Path;

use serde::Serialize;

use super::overhead::{functions, int_column};
use super::sample_type_named;
use super::values::mib;
use crate::engine::{Engine, Param};
use crate::tools::{SampleType, ToolError};

analysis_sql!(TOTALS_SQL, "totals");

/// Off-heap signatures: (name, substrings of function names, case-insensitive).
const SIGNS: [(&str, &[&str]); 5] = [
    (
        "sqlite",
        &[
            "glebarez/go-sqlite",
            "mattn/go-sqlite",
            "modernc.org/sqlite",
        ],
    ),
    (
        "libc_alloc",
        &[
            "modernc.org/libc.(*tls).alloc",
            "modernc.org/libc.xmalloc",
            "modernc.org/libc.xrealloc",
        ],
    ),
    (
        "libc_ops",
        &[
            "modernc.org/libc.xmemcpy",
            "modernc.org/libc.xmemcmp",
            "modernc.org/libc.(*tls).free",
        ],
    ),
    (
        "compression",
        &[
            "klauspost/compress/zstd",
            "klauspost/compress/zlib",
            "klauspost/compress/gzip",
        ],
    ),
    ("cgo", &["_cgo_", "runtime.cgocall", "_cfunc_"]),
];
const RUNTIME_ALLOC: [&str; 3] = ["runtime.mallocgc", "runtime.(*mcache)", "runtime.(*mspan)"];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Suspicion {
    pub category: String,
    pub description: String,
    pub severity: &'static str,
    pub confidence: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub evidence: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CodeFinding {
    pub category: String,
    pub file: String,
    pub line: usize,
    pub pattern: String,
    pub snippet: String,
    pub explanation: String,
    pub is_vendor: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MemorySanity {
    pub summary: String,
    pub heap_inuse_bytes: i64,
    pub heap_alloc_bytes: i64,
    pub heap_inuse_mb: f64,
    pub heap_alloc_mb: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goroutine_count: Option<i64>,
    pub warnings: Vec<String>,
    pub suspicions: Vec<Suspicion>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code_findings: Vec<CodeFinding>,
    pub recommendations: Vec<String>,
}

/// A profile given to the analysis: its engine and id.
pub struct Input<'a> {
    pub engine: &'a Engine,
    pub id: u32,
}

async fn totals(
    engine: &Engine,
    id: u32,
    a: &SampleType,
    b: &SampleType,
) -> Result<(i64, i64), ToolError> {
    let sql = TOTALS_SQL.render(&[
        ("id", Param::Int(id.into())),
        ("a", Param::Ident(a.column.clone())),
        ("b", Param::Ident(b.column.clone())),
    ])?;
    let r = engine.sql(&sql).await?;
    let bad = |detail| ToolError::Internal {
        query: TOTALS_SQL.name,
        detail,
    };
    let b0 = r.batches.iter().find(|b| b.num_rows() > 0);
    match b0 {
        Some(b) => Ok((
            int_column(b, 0).map_err(bad)?[0],
            int_column(b, 1).map_err(bad)?[0],
        )),
        None => Ok((0, 0)),
    }
}

/// Which signatures (and runtime allocator frames) a profile's functions show, with the
/// matching function names.
async fn signs(
    engine: &Engine,
    id: u32,
    st: &SampleType,
) -> Result<Vec<(String, Vec<String>)>, ToolError> {
    let mut rows: Vec<(i64, String)> = SIGNS
        .iter()
        .enumerate()
        .map(|(i, (_, subs))| {
            let subs: Vec<String> = subs.iter().map(|s| s.to_string()).collect();
            (
                i as i64,
                format!("(?i){}", super::knowledge::substrings_regex(&subs)),
            )
        })
        .collect();
    let runtime: Vec<String> = RUNTIME_ALLOC.iter().map(|s| s.to_string()).collect();
    rows.push((
        SIGNS.len() as i64,
        super::knowledge::substrings_regex(&runtime),
    ));
    let found = functions(engine, id, st, &rows).await?;
    Ok(rows
        .iter()
        .map(|(ord, _)| {
            let name = SIGNS
                .get(*ord as usize)
                .map_or("runtime_alloc", |s| s.0)
                .to_string();
            let names = found
                .get(ord)
                .map(|v| v.iter().map(|(n, _)| n.clone()).collect())
                .unwrap_or_default();
            (name, names)
        })
        .collect())
}

fn has(signs: &[(String, Vec<String>)], name: &str) -> bool {
    signs.iter().any(|(n, v)| n == name && !v.is_empty())
}

pub struct MemoryOptions<'a> {
    pub repo_root: Option<&'a Path>,
    pub container_rss_mb: Option<i64>,
}

pub async fn analyse(
    heap: Input<'_>,
    // Goroutines of the same process (their stacks live outside the heap).
    goroutine_count: Option<i64>,
    cpu: Option<Input<'_>>,
    o: &MemoryOptions<'_>,
) -> Result<MemorySanity, ToolError> {
    let lp = heap.engine.profile(heap.id)?;
    let mut warnings = Vec::new();
    let inuse = sample_type_named(lp, &["inuse_space"]);
    let alloc = sample_type_named(lp, &["alloc_space"]);
    let (Some(inuse), alloc) = (inuse, alloc) else {
        return Err(ToolError::InvalidArgument(format!(
            "{} is not a heap profile (no inuse_space sample type)",
            lp.source
        )));
    };
    let alloc = alloc.unwrap_or_else(|| {
        warnings.push(
            "Could not analyze alloc_space: the profile has no alloc_space sample type".into(),
        );
        inuse.clone()
    });
    let (inuse_b, alloc_b) = totals(heap.engine, heap.id, &inuse, &alloc).await?;
    let (inuse_mb, alloc_mb) = (mib(inuse_b), mib(alloc_b));
    let mut heap_signs = signs(heap.engine, heap.id, &alloc).await?;
    let inuse_signs = signs(heap.engine, heap.id, &inuse).await?;
    for (a, b) in heap_signs.iter_mut().zip(inuse_signs) {
        for n in b.1 {
            if !a.1.contains(&n) {
                a.1.push(n);
            }
        }
    }
    let cpu_signs = match &cpu {
        Some(c) => {
            let clp = c.engine.profile(c.id)?;
            let st = crate::tools::resolve_sample_type(clp, None)?;
            Some(signs(c.engine, c.id, &st).await?)
        }
        None => None,
    };
    let cpu_has = |n: &str| cpu_signs.as_ref().is_some_and(|s| has(s, n));
    let churn = alloc_mb > 1024.0 && inuse_mb < 500.0;
    let libc_alloc = has(&heap_signs, "libc_alloc") || cpu_has("libc_alloc");
    let libc_ops = has(&heap_signs, "libc_ops") || cpu_has("libc_ops");
    let mut suspicions = Vec::new();
    let mut recs = Vec::new();
    let churn_note = |with_cpu: bool| {
        format!(
            "HIGH CHURN: {alloc_mb:.0}MB allocated, only {inuse_mb:.0}MB in-use{}",
            if with_cpu {
                ""
            } else {
                " (provide a CPU profile for confirmation)"
            }
        )
    };
    if has(&heap_signs, "sqlite") || cpu_has("sqlite") {
        let cpu_libc = libc_alloc && cpu_has("libc_alloc");
        let (confidence, severity) = if cpu_libc && churn {
            ("confirmed", "high")
        } else if cpu_libc || ((libc_alloc || libc_ops) && churn) {
            ("likely", "high")
        } else if churn {
            ("suspected", "medium")
        } else {
            ("possible", "low")
        };
        let mut ev = vec!["SQLite in heap profile".to_string()];
        if cpu_has("libc_alloc") {
            ev.push("libc.Alloc in CPU profile (CONFIRMED off-heap allocation)".into());
        } else if libc_alloc {
            ev.push("libc.Alloc detected".into());
        }
        if libc_ops {
            ev.push("libc memory ops detected".into());
        }
        if churn {
            ev.push(churn_note(cpu.is_some()));
        }
        suspicions.push(Suspicion {
            category: "SQLite Off-Heap Memory".into(),
            description: "SQLite (through modernc.org/libc) allocates its page cache and temp storage outside the Go heap; RSS can far exceed the heap profile".into(),
            severity,
            confidence,
            evidence: ev.join("; "),
        });
        recs.push("Bound SQLite's memory: PRAGMA cache_size, PRAGMA temp_store=FILE, and close idle connections.".into());
    } else if libc_alloc || libc_ops {
        let confidence = if libc_alloc && cpu_has("libc_alloc") {
            "likely"
        } else {
            "suspected"
        };
        let mut ev = Vec::new();
        if libc_alloc {
            ev.push("libc.Alloc detected".to_string());
        }
        if libc_ops {
            ev.push("libc memory ops detected".to_string());
        }
        if churn {
            ev.push(churn_note(cpu.is_some()));
        }
        suspicions.push(Suspicion {
            category: "libc Memory Allocation".into(),
            description: "modernc.org/libc allocates C memory that the Go heap profile does not count".into(),
            severity: "medium",
            confidence,
            evidence: ev.join("; "),
        });
        recs.push("Find the modernc.org/libc users (pprof.peek on libc.(*TLS).Alloc) and bound their buffers; C memory is freed only by explicit frees.".into());
    }
    if has(&heap_signs, "compression") || cpu_has("compression") {
        let found: Vec<&str> = ["zstd", "zlib", "gzip"]
            .into_iter()
            .filter(|k| {
                heap_signs
                    .iter()
                    .chain(cpu_signs.iter().flatten())
                    .any(|(n, v)| n == "compression" && v.iter().any(|f| f.contains(k)))
            })
            .collect();
        suspicions.push(Suspicion {
            category: "Compression Buffers".into(),
            description: "Compression encoders and decoders keep large window buffers; one per call or per connection adds up".into(),
            severity: if churn { "medium" } else { "low" },
            confidence: if churn { "suspected" } else { "possible" },
            evidence: format!("Found: {}", found.join(", ")),
        });
        recs.push("Reuse zstd encoders/decoders (EncodeAll/DecodeAll are concurrency-safe) and limit their window size and concurrency.".into());
    }
    if has(&heap_signs, "cgo") {
        let names = heap_signs
            .iter()
            .find(|(n, _)| n == "cgo")
            .map(|(_, v)| v.join(", "))
            .unwrap_or_default();
        suspicions.push(Suspicion {
            category: "CGO Allocations".into(),
            description:
                "cgo calls in the heap profile: C code may hold memory the Go heap does not see"
                    .into(),
            severity: "medium",
            confidence: "confirmed",
            evidence: format!("Found: {names}"),
        });
    }
    if let Some(n) = goroutine_count.filter(|n| *n > 1000) {
        suspicions.push(Suspicion {
            category: "Goroutine Stacks".into(),
            description: format!(
                "{n} goroutines need at least {:.1}MB of stack outside the heap",
                n as f64 * 2.0 / 1024.0
            ),
            severity: if n > 10_000 { "high" } else { "medium" },
            confidence: "confirmed",
            evidence: format!("{n} goroutines (at least 2 KiB of stack each)"),
        });
        recs.push("Check pprof.goroutine_analysis for leaks; bound worker pools.".into());
    }
    if let Some(rss) = o.container_rss_mb {
        if rss as f64 - inuse_mb > 500.0 {
            suspicions.push(Suspicion {
                category: "RSS/Heap Mismatch".into(),
                description: format!(
                    "Container RSS {rss}MB exceeds heap in-use {inuse_mb:.1}MB by {:.0}MB",
                    rss as f64 - inuse_mb
                ),
                severity: "high",
                confidence: "confirmed",
                evidence: String::new(),
            });
            recs.push("Compare with runtime/metrics (/memory/classes/...) to split heap, stacks and runtime overhead from off-heap memory.".into());
            recs.push("Set GOMEMLIMIT below the container limit so the GC works before the OOM killer does.".into());
            recs.push("Look for off-heap allocators (cgo, SQLite through modernc.org/libc, mmap) in CPU and heap profiles.".into());
            recs.push("Freed heap memory returns to the OS lazily; check /memory/classes/heap/released:bytes.".into());
        }
    }
    if churn
        && suspicions
            .iter()
            .all(|s| !s.evidence.contains("HIGH CHURN"))
    {
        suspicions.push(Suspicion {
            category: "Allocation Churn".into(),
            description: churn_note(cpu.is_some()),
            severity: "medium",
            confidence: "confirmed",
            evidence: format!("alloc_space {alloc_mb:.1}MB vs inuse_space {inuse_mb:.1}MB"),
        });
        recs.push("High churn drives GC CPU and RSS peaks: see pprof.alloc_paths for the allocating call sites.".into());
    }
    if let Some((_, names)) = heap_signs
        .iter()
        .find(|(n, v)| n == "runtime_alloc" && !v.is_empty())
    {
        warnings.push(format!(
            "Runtime memory allocation pattern detected: {}",
            names.join(", ")
        ));
    }
    let code_findings = match o.repo_root {
        Some(root) if !suspicions.is_empty() => scan(root, &mut suspicions),
        Some(_) => Vec::new(),
        None => {
            if !suspicions.is_empty() {
                warnings.push("Provide repo_root parameter to scan codebase for configuration causing these issues".into());
            }
            Vec::new()
        }
    };
    let mut summary = format!("Heap in-use: {inuse_mb:.1}MB | Total allocated: {alloc_mb:.1}MB");
    if let Some(n) = goroutine_count {
        summary.push_str(&format!(" | Goroutines: {n}"));
    }
    summary.push('\n');
    if suspicions.is_empty() {
        summary.push_str("No obvious memory issues detected in heap profile.");
    } else {
        let c = |k: &str| suspicions.iter().filter(|s| s.confidence == k).count();
        summary.push_str(&format!(
            "Found {} potential issues ({} confirmed, {} likely, {} suspected)",
            suspicions.len(),
            c("confirmed"),
            c("likely"),
            c("suspected")
        ));
    }
    Ok(MemorySanity {
        summary,
        heap_inuse_bytes: inuse_b,
        heap_alloc_bytes: alloc_b,
        heap_inuse_mb: super::round2(inuse_mb),
        heap_alloc_mb: super::round2(alloc_mb),
        goroutine_count,
        warnings,
        suspicions,
        code_findings,
        recommendations: recs,
    })
}

/// Code patterns that configure off-heap memory: (category, regex, explanation).
const CODE_PATTERNS: [(&str, &str, &str); 7] = [
    (
        "SQLite Off-Heap Memory",
        r#"temp_store\s*=\s*['"]?MEMORY['"]?"#,
        "SQLite temp tables and indices live in memory",
    ),
    (
        "SQLite Off-Heap Memory",
        r"PRAGMA\s+temp_store\s*=\s*2",
        "SQLite temp storage in memory",
    ),
    (
        "SQLite Off-Heap Memory",
        r"temp_store=memory",
        "SQLite temp storage in memory (DSN)",
    ),
    (
        "SQLite Off-Heap Memory",
        r"_pragma=temp_store",
        "SQLite temp_store set in the DSN",
    ),
    (
        "Compression Buffers",
        r"zstd\.NewWriter\(",
        "a zstd encoder (large window buffers) is created here",
    ),
    (
        "Compression Buffers",
        r"zstd\.NewReader\(",
        "a zstd decoder (large window buffers) is created here",
    ),
    (
        "Compression Buffers",
        r"gzip\.NewWriter\(",
        "a gzip writer is created here",
    ),
];

fn scan(root: &Path, suspicions: &mut [Suspicion]) -> Vec<CodeFinding> {
    let wanted: Vec<&str> = suspicions.iter().map(|s| s.category.as_str()).collect();
    let pats: Vec<(&str, regex::Regex, &str)> = CODE_PATTERNS
        .iter()
        .filter(|(c, _, _)| {
            wanted.contains(c)
                || (*c == "SQLite Off-Heap Memory" && wanted.contains(&"libc Memory Allocation"))
        })
        .filter_map(|(c, re, ex)| regex::Regex::new(re).ok().map(|r| (*c, r, *ex)))
        .collect();
    // Vendored code is scanned too (its findings are marked), dependencies' folders not.
    let mut ignored = Vec::new();
    let files: Vec<_> =
        super::repo::files_under(root, &[".git", "node_modules", "target"], &mut ignored)
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "go"))
            .collect();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let rel = f.strip_prefix(root).unwrap_or(&f).display().to_string();
        let is_vendor = rel.split('/').any(|p| p == "vendor");
        for (i, line) in text.lines().enumerate() {
            for (cat, re, ex) in &pats {
                if let Some(m) = re.find(line) {
                    out.push(CodeFinding {
                        category: cat.to_string(),
                        file: rel.clone(),
                        line: i + 1,
                        pattern: m.as_str().to_string(),
                        snippet: line.trim().chars().take(200).collect(),
                        explanation: ex.to_string(),
                        is_vendor,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.is_vendor
            .cmp(&b.is_vendor)
            .then_with(|| a.file.cmp(&b.file))
            .then(a.line.cmp(&b.line))
    });
    for s in suspicions.iter_mut() {
        let mine = out.iter().find(|f| {
            f.category == s.category
                || (s.category == "libc Memory Allocation"
                    && f.category == "SQLite Off-Heap Memory")
        });
        if let Some(f) = mine {
            if !f.is_vendor && matches!(s.confidence, "suspected" | "possible") {
                s.confidence = "confirmed";
                s.evidence = format!("{}; CODE FOUND: {}:{}", s.evidence, f.file, f.line);
            } else if f.is_vendor && s.confidence == "possible" {
                s.confidence = "likely";
            }
        }
    }
    out
}
