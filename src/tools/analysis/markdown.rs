//! A Markdown report from tool results (`generate_report`): each input is a tool's
//! payload (or its `result`), rendered as a section by kind.

use serde_json::Value;

use crate::tools::ToolError;

/// The kinds a report section can be made from (with or without the `pprof.` prefix).
pub const KINDS: [&str; 12] = [
    "discover",
    "top",
    "alloc_paths",
    "memory_sanity",
    "overhead_report",
    "goroutine_analysis",
    "contention_analysis",
    "hotspot_summary",
    "cross_correlate",
    "regression_check",
    "storylines",
    "suggest_fix",
];

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Text safe inside a Markdown table cell.
fn cell(t: &str) -> String {
    t.replace('|', "\\|").replace('\n', " ")
}

fn table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str("_none_\n\n");
        return;
    }
    out.push_str(&format!("| {} |\n", head.join(" | ")));
    out.push_str(&format!("|{}\n", " --- |".repeat(head.len())));
    for r in rows {
        out.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out.push('\n');
}

fn bullets(out: &mut String, title: &str, items: &[Value]) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("**{title}**\n\n"));
    for i in items {
        let text = match i {
            Value::String(t) => t.clone(),
            Value::Object(_) if i.get("suggestion").is_some() => {
                format!(
                    "[{}] {}: {}",
                    s(i, "priority"),
                    s(i, "area"),
                    s(i, "suggestion")
                )
            }
            other => other.to_string(),
        };
        out.push_str(&format!("- {}\n", text.trim()));
    }
    out.push('\n');
}

fn top_rows(out: &mut String, rows: &[Value]) {
    table(
        out,
        &["flat", "flat%", "cum", "cum%", "function"],
        rows.iter()
            .map(|r| {
                vec![
                    s(r, "flat_fmt"),
                    s(r, "flat_pct"),
                    s(r, "cum_fmt"),
                    s(r, "cum_pct"),
                    s(r, "name"),
                ]
            })
            .collect(),
    );
}

fn hot_rows(out: &mut String, title: &str, rows: &[Value]) {
    out.push_str(&format!("**{title}**\n\n"));
    table(
        out,
        &["function", "flat", "flat%", "cum%"],
        rows.iter()
            .map(|r| {
                vec![
                    s(r, "function"),
                    s(r, "flat_str"),
                    s(r, "flat_pct"),
                    s(r, "cum_pct"),
                ]
            })
            .collect(),
    );
}

fn section(kind: &str, d: &Value) -> String {
    let mut o = String::new();
    match kind {
        "top" => {
            o.push_str("## Top functions\n\n");
            for h in arr(d, "header") {
                o.push_str(&format!("    {}\n", h.as_str().unwrap_or_default()));
            }
            o.push('\n');
            top_rows(&mut o, arr(d, "rows"));
        }
        "alloc_paths" => {
            o.push_str(&format!(
                "## Allocation paths\n\nTotal allocated: {}\n\n",
                s(d, "total_alloc_str")
            ));
            table(
                &mut o,
                &["allocated", "%", "site", "first app frame", "source"],
                arr(d, "paths")
                    .iter()
                    .map(|p| {
                        vec![
                            s(p, "alloc_bytes_str"),
                            s(p, "alloc_pct"),
                            s(p, "alloc_site"),
                            s(p, "first_app_frame"),
                            s(p, "source_location"),
                        ]
                    })
                    .collect(),
            );
        }
        "memory_sanity" => {
            o.push_str(&format!(
                "## Memory sanity\n\n{}\n\n",
                s(d, "summary").replace('\n', "  \n")
            ));
            table(
                &mut o,
                &["category", "severity", "confidence", "evidence"],
                arr(d, "suspicions")
                    .iter()
                    .map(|x| {
                        vec![
                            s(x, "category"),
                            s(x, "severity"),
                            s(x, "confidence"),
                            s(x, "evidence"),
                        ]
                    })
                    .collect(),
            );
            bullets(&mut o, "Recommendations", arr(d, "recommendations"));
        }
        "overhead_report" => {
            o.push_str(&format!(
                "## Overhead\n\nTotal {} ({}); {}% under framework or runtime code.\n\n",
                s(d, "total_value_str"),
                s(d, "sample_type"),
                s(d, "total_overhead_pct")
            ));
            table(
                &mut o,
                &["category", "%", "severity", "top functions"],
                arr(d, "detections")
                    .iter()
                    .map(|x| {
                        let f: Vec<String> = arr(x, "top_functions")
                            .iter()
                            .map(|t| s(t, "function"))
                            .collect();
                        vec![
                            s(x, "category"),
                            s(x, "percentage"),
                            s(x, "severity"),
                            f.join(", "),
                        ]
                    })
                    .collect(),
            );
        }
        "goroutine_analysis" => {
            o.push_str(&format!(
                "## Goroutines\n\n{} goroutines.\n\n",
                s(d, "total_goroutines")
            ));
            table(
                &mut o,
                &["wait reason", "count", "%"],
                arr(d, "top_wait_reasons")
                    .iter()
                    .map(|x| vec![s(x, "reason"), s(x, "count"), s(x, "percent")])
                    .collect(),
            );
            if !arr(d, "potential_leaks").is_empty() {
                o.push_str("**Potential leaks**\n\n");
                table(
                    &mut o,
                    &["count", "severity", "wait", "stack"],
                    arr(d, "potential_leaks")
                        .iter()
                        .map(|x| {
                            vec![
                                s(x, "count"),
                                s(x, "severity"),
                                s(x, "wait_reason"),
                                s(x, "stack_signature"),
                            ]
                        })
                        .collect(),
                );
            }
        }
        "contention_analysis" => {
            o.push_str(&format!(
                "## Lock contention ({})\n\nTotal delay {} over {} contentions.\n\n",
                s(d, "profile_type"),
                s(d, "total_delay_str"),
                s(d, "total_contentions")
            ));
            table(
                &mut o,
                &["lock site", "where", "delay", "%", "contentions"],
                arr(d, "by_lock_site")
                    .iter()
                    .take(10)
                    .map(|x| {
                        vec![
                            s(x, "lock_site"),
                            s(x, "source_location"),
                            s(x, "total_delay_str"),
                            s(x, "delay_pct"),
                            s(x, "contentions"),
                        ]
                    })
                    .collect(),
            );
            let p: Vec<Value> = arr(d, "patterns")
                .iter()
                .map(|x| Value::String(s(x, "description")))
                .collect();
            bullets(&mut o, "Patterns", &p);
            bullets(&mut o, "Recommendations", arr(d, "recommendations"));
        }
        "hotspot_summary" => {
            o.push_str("## Hotspots\n\n");
            hot_rows(&mut o, "CPU", arr(d, "cpu_top"));
            hot_rows(&mut o, "Allocations", arr(d, "heap_top"));
            hot_rows(&mut o, "Contention", arr(d, "mutex_top"));
        }
        "cross_correlate" => {
            o.push_str("## Cross-profile hotspots\n\n");
            table(
                &mut o,
                &["function", "score", "insight"],
                arr(d, "correlations")
                    .iter()
                    .map(|x| vec![s(x, "function"), s(x, "combined_score"), s(x, "insight")])
                    .collect(),
            );
        }
        "regression_check" => {
            let passed = d.get("passed").and_then(Value::as_bool).unwrap_or(false);
            o.push_str(&format!(
                "## Regression checks: {}\n\n",
                if passed { "passed" } else { "FAILED" }
            ));
            table(
                &mut o,
                &["function", "metric", "actual", "max", "result"],
                arr(d, "checks")
                    .iter()
                    .map(|x| {
                        let ok = x.get("passed").and_then(Value::as_bool).unwrap_or(false);
                        vec![
                            s(x, "function"),
                            s(x, "metric"),
                            s(x, "actual"),
                            s(x, "threshold"),
                            if ok { "pass".into() } else { "FAIL".into() },
                        ]
                    })
                    .collect(),
            );
        }
        "storylines" => {
            o.push_str("## Storylines\n\n");
            for st in arr(d, "storylines") {
                o.push_str(&format!(
                    "### {} ({} cum)\n\n",
                    s(st, "leaf_hotspot"),
                    s(st, "cum_pct")
                ));
                let chain: Vec<String> = arr(st, "call_chain")
                    .iter()
                    .map(|f| f.as_str().unwrap_or_default().to_string())
                    .collect();
                o.push_str(&format!("`{}`\n\n", chain.join(" → ")));
                if let Some(app) = st.get("first_app_frame").and_then(Value::as_str) {
                    o.push_str(&format!("First application frame: `{app}`\n\n"));
                }
            }
        }
        "suggest_fix" => {
            o.push_str("## Suggestions\n\n");
            for x in arr(d, "suggestions") {
                o.push_str(&format!(
                    "- **{}** ({}%): {}\n",
                    s(x, "title"),
                    s(x, "share_pct"),
                    s(x, "suggestion")
                ));
            }
            o.push('\n');
        }
        "discover" => {
            match (s(d, "service"), s(d, "env")) {
                (svc, env) if !svc.is_empty() => {
                    o.push_str(&format!("## Discovery: {svc} ({env})\n\n"))
                }
                _ => o.push_str("## Discovery\n\n"),
            }
            if let Some(cpu) = d.get("cpu") {
                o.push_str(&format!(
                    "CPU utilization: {}%\n\n",
                    s(cpu, "utilization_pct")
                ));
                top_rows(&mut o, arr(cpu, "top"));
            }
            if let Some(h) = d.get("heap").and_then(|h| h.get("alloc_paths")) {
                o.push_str(&section("alloc_paths", h));
            }
            if let Some(m) = d.get("mutex") {
                o.push_str(&format!("Mutex delay: {}\n\n", s(m, "total_delay")));
            }
            if let Some(g) = d.get("goroutine") {
                o.push_str(&section("goroutine_analysis", g));
            }
            bullets(&mut o, "Recommendations", arr(d, "recommendations"));
        }
        _ => {}
    }
    o
}

/// The report: a title, then one section per input in order.
pub fn render(title: &str, inputs: &[(String, Value)]) -> Result<String, ToolError> {
    let mut out = format!("# {title}\n\n");
    for (kind, data) in inputs {
        let k = kind.strip_prefix("pprof.").unwrap_or(kind);
        if !KINDS.contains(&k) {
            return Err(ToolError::InvalidArgument(format!(
                "unknown input kind {kind:?}; known: {}",
                KINDS.join(", ")
            )));
        }
        // A whole tool payload carries the analysis under "result".
        let d = data.get("result").filter(|r| r.is_object()).unwrap_or(data);
        out.push_str(&section(k, d));
        for w in arr(d, "warnings") {
            out.push_str(&format!(
                "> warning: {}\n\n",
                w.as_str().unwrap_or_default()
            ));
        }
    }
    Ok(out.trim_end().to_string() + "\n")
}
