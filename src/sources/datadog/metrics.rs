//! Metrics next to profiles: which metrics a service reports (v2 metrics list, falling
//! back to the deprecated v1 search), and their values around a moment (v1 query).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::DatadogClient;
use crate::sources::SourceError;

/// Prefixes searched for every service, before the service's own names.
pub const DISCOVER_PATTERNS: [&str; 10] = [
    "go.memstats",
    "go.goroutines",
    "go.gc",
    "go.heap",
    "go.alloc",
    "runtime.go",
    "container.memory",
    "container.cpu",
    "kubernetes.memory",
    "kubernetes.cpu",
];

/// Metrics asked for when the caller names none.
pub const DEFAULT_METRICS: [&str; 13] = [
    "go.goroutines",
    "go.memstats.heap_inuse_bytes",
    "go.memstats.heap_alloc_bytes",
    "go.memstats.heap_sys_bytes",
    "go.memstats.alloc_bytes",
    "go.memstats.gc_pause_ns",
    "go.gc.pause_ns",
    "go.gc.count",
    "container.memory.rss",
    "container.memory.usage",
    "container.cpu.usage",
    "kubernetes.memory.rss",
    "kubernetes.cpu.usage.total",
];

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricName {
    pub name: String,
    /// Guessed from the name: count, gauge, rate, histogram, or empty.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
}

/// The metric type a name suggests.
pub fn guess_type(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    if n.contains("count") {
        "count"
    } else if n.contains("rate") {
        "rate"
    } else if n.contains("histogram") || n.contains("distribution") {
        "histogram"
    } else if ["gauge", "bytes", "memory", "heap", "goroutine", "gc"]
        .iter()
        .any(|w| n.contains(w))
    {
        "gauge"
    } else {
        ""
    }
}

/// Sort rank: Go runtime first, then container and Kubernetes metrics, then the rest.
fn rank(name: &str) -> u8 {
    if name.starts_with("go.") {
        0
    } else if name.starts_with("runtime.") {
        1
    } else if name.contains("container.memory") {
        2
    } else if name.contains("container.cpu") {
        3
    } else if name.contains("kubernetes.") {
        4
    } else if name.contains("docker.") {
        5
    } else {
        10
    }
}

/// The patterns searched for `service` (and `extra`, when given), without repeats.
pub fn discover_patterns(service: &str, extra: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = DISCOVER_PATTERNS.iter().map(|s| s.to_string()).collect();
    for p in [
        service.to_string(),
        service.replace('-', "_"),
        service.replace('_', "-"),
    ]
    .into_iter()
    .chain(extra.map(str::to_string))
    {
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Names in a v2 `GET /api/v2/metrics` answer.
fn v2_names(v: &Value) -> Vec<String> {
    v.get("data")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Names in a v1 `GET /api/v1/search` answer.
fn v1_names(v: &Value) -> Vec<String> {
    v.pointer("/results/metrics")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Point {
    /// Unix seconds.
    pub timestamp: f64,
    pub value: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Series {
    pub name: String,
    pub tags: Vec<String>,
    pub points: Vec<Point>,
    pub unit: String,
    pub avg_value: f64,
    pub max_value: f64,
    pub min_value: f64,
    pub last_value: f64,
}

/// The first series of a v1 query answer with at least one non-null point.
pub fn first_series(v: &Value) -> Option<Series> {
    let s = v.get("series")?.as_array()?.first()?;
    let points: Vec<Point> = s
        .get("pointlist")
        .and_then(Value::as_array)
        .map(|pl| {
            pl.iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    let ms = p.first()?.as_f64()?;
                    let value = p.get(1)?.as_f64()?;
                    Some(Point {
                        timestamp: ms / 1000.0,
                        value,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let last = points.last()?.value;
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    Some(Series {
        name: s
            .get("metric")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        tags: s
            .get("tag_set")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        unit: s
            .pointer("/unit/0/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        avg_value: values.iter().sum::<f64>() / values.len() as f64,
        max_value: values.iter().copied().fold(f64::MIN, f64::max),
        min_value: values.iter().copied().fold(f64::MAX, f64::min),
        last_value: last,
        points,
    })
}

impl DatadogClient {
    /// Metric names matching the patterns: one v2 list of the metrics tagged with the
    /// service (names matched here); when v2 fails, the deprecated v1 search per
    /// pattern. Failures of single searches become warnings.
    pub async fn discover_metrics(
        &self,
        service: &str,
        patterns: &[String],
        warnings: &mut Vec<String>,
    ) -> Vec<MetricName> {
        let mut names = BTreeSet::new();
        let v2 = self
            .get_api_json(
                "datadog metrics list (v2)",
                "/api/v2/metrics",
                &[
                    ("filter[tags]", format!("service:{service}")),
                    ("window[seconds]", "86400".into()),
                ],
            )
            .await;
        match v2 {
            Ok(v) => names.extend(
                v2_names(&v)
                    .into_iter()
                    .filter(|n| patterns.iter().any(|p| n.contains(p.as_str()))),
            ),
            Err(e) => {
                warnings.push(format!("{e}; used the v1 search instead"));
                for p in patterns {
                    match self
                        .get_api_json(
                            "datadog metrics search (v1)",
                            "/api/v1/search",
                            &[("q", format!("metrics:{p}"))],
                        )
                        .await
                    {
                        Ok(v) => names.extend(v1_names(&v)),
                        Err(e) => warnings.push(format!("search for {p:?} failed: {e}")),
                    }
                }
            }
        }
        let mut out: Vec<MetricName> = names
            .into_iter()
            .map(|name| MetricName {
                kind: guess_type(&name).to_string(),
                name,
            })
            .collect();
        out.sort_by(|a, b| (rank(&a.name), &a.name).cmp(&(rank(&b.name), &b.name)));
        out
    }

    /// One metric's first series between `from` and `to` (None when it has no points).
    pub async fn metric_series(
        &self,
        query: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<Series>, SourceError> {
        let v = self
            .get_api_json(
                "datadog metrics query",
                "/api/v1/query",
                &[
                    ("from", from.timestamp().to_string()),
                    ("to", to.timestamp().to_string()),
                    ("query", query.to_string()),
                ],
            )
            .await?;
        Ok(first_series(&v))
    }
}

/// `metric{service:S,env:E,pod_name:P}` with the scopes given.
pub fn scoped_query(metric: &str, scopes: &[(&str, Option<&str>)]) -> String {
    let tags: Vec<String> = scopes
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}:{v}")))
        .collect();
    if tags.is_empty() {
        format!("{metric}{{*}}")
    } else {
        format!("{metric}{{{}}}", tags.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn series_with_null_points() {
        let v = json!({"series":[{"metric":"go.goroutines","tag_set":["env:prod"],
            "pointlist":[[1000.0, 3.0],[2000.0, null],[3000.0, 5.0]],"unit":[null, null]}]});
        let s = first_series(&v).unwrap();
        assert_eq!(s.points.len(), 2);
        assert_eq!(
            (s.avg_value, s.min_value, s.max_value, s.last_value),
            (4.0, 3.0, 5.0, 5.0)
        );
        assert_eq!(s.points[0].timestamp, 1.0);
        assert_eq!(s.unit, "");
        assert!(first_series(&json!({"series":[{"pointlist":[[1.0,null]]}]})).is_none());
        assert!(first_series(&json!({"series":[]})).is_none());
    }

    #[test]
    fn names_types_and_queries() {
        assert_eq!(guess_type("go.gc.count"), "count");
        assert_eq!(guess_type("container.memory.rss"), "gauge");
        assert_eq!(guess_type("trace.http.request"), "");
        let p = discover_patterns("my-svc", Some("go.gc"));
        assert_eq!(&p[10..], ["my-svc", "my_svc"]);
        assert_eq!(
            scoped_query(
                "go.goroutines",
                &[
                    ("service", Some("a")),
                    ("env", None),
                    ("pod_name", Some("p1"))
                ]
            ),
            "go.goroutines{service:a,pod_name:p1}"
        );
    }
}
