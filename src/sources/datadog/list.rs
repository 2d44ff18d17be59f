//! `POST /api/unstable/profiles/list`: the profiles of a service in a time window.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::DatadogClient;
use crate::sources::time::{parse_time, rfc3339};
use crate::sources::SourceError;

/// Numeric fields a candidate may carry, in the order `anomaly` tries them.
pub const PRIORITY_FIELDS: [&str; 11] = [
    "cpu-samples",
    "cpu_samples",
    "alloc-samples",
    "alloc_samples",
    "alloc_space",
    "inuse_space",
    "inuse-space",
    "goroutines",
    "goroutine",
    "heap",
    "heap_inuse",
];

/// Further numeric fields kept when present.
const OTHER_FIELDS: [&str; 8] = [
    "duration",
    "duration_ns",
    "duration_nanos",
    "profile_duration",
    "total-samples",
    "total_samples",
    "samples",
    "core_cpu_cores",
];

/// One profile the list call returned.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Candidate {
    pub profile_id: String,
    pub event_id: String,
    pub timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub numeric_fields: BTreeMap<String, f64>,
}

impl Candidate {
    pub fn time(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.timestamp)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The window and filters of a list call.
#[derive(Clone, Debug)]
pub struct ListQuery {
    /// The Datadog search query, e.g. `service:api env:prod host:*web*`.
    pub query: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub limit: u32,
    /// Newest first (the default), or oldest first.
    pub ascending: bool,
}

/// `service:S env:E[ host:H]`; values with spaces are quoted.
pub fn search_query(service: &str, env: Option<&str>, host: Option<&str>) -> String {
    let term = |k: &str, v: &str| {
        if v.contains(char::is_whitespace) {
            format!("{k}:\"{}\"", v.replace('"', "\\\""))
        } else {
            format!("{k}:{v}")
        }
    };
    let mut q = term("service", service);
    for (k, v) in [("env", env), ("host", host)] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            q.push(' ');
            q.push_str(&term(k, v));
        }
    }
    q
}

/// The window from `from`/`to` (either may be missing) or the last `hours`, with the
/// original's warnings when a bound is defaulted or unreadable.
pub fn window(
    from: Option<&str>,
    to: Option<&str>,
    hours: Option<f64>,
    now: DateTime<Utc>,
    warnings: &mut Vec<String>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let default_from = now - Duration::hours(72);
    let from = from.filter(|s| !s.trim().is_empty());
    let to = to.filter(|s| !s.trim().is_empty());
    if from.is_none() && to.is_none() {
        let h = hours.filter(|h| h.is_finite() && *h > 0.0).unwrap_or(72.0);
        let span = Duration::milliseconds((h * 3_600_000.0).min(1e15) as i64);
        return (now - span, now);
    }
    let f = match from {
        None => {
            warnings.push("from not provided; defaulted to last 72h".into());
            default_from
        }
        Some(s) => parse_time(s, now).unwrap_or_else(|e| {
            warnings.push(format!("invalid from time: {e}; defaulted to last 72h"));
            default_from
        }),
    };
    let t = match to {
        None => {
            warnings.push("to not provided; defaulted to now".into());
            now
        }
        Some(s) => parse_time(s, now).unwrap_or_else(|e| {
            warnings.push(format!("invalid to time: {e}; defaulted to now"));
            now
        }),
    };
    (f, t)
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// `key:value` from a tags list.
fn tag(attrs: &Map<String, Value>, key: &str) -> Option<String> {
    let prefix = format!("{key}:");
    attrs
        .get("tags")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(Value::as_str)
        .find_map(|t| t.strip_prefix(&prefix).map(str::to_string))
}

/// One `data[]` row as a candidate; rows without ids are skipped.
pub fn candidate(row: &Value) -> Option<Candidate> {
    let empty = Map::new();
    let top = row.as_object()?;
    let attrs = top
        .get("attributes")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let either = |k: &str| attrs.get(k).or_else(|| top.get(k));
    let profile_id = text(attrs.get("profile-id"))
        .or_else(|| text(attrs.get("id")))
        .or_else(|| text(top.get("profile-id")))
        .or_else(|| text(top.get("profile_id")))?;
    let event_id = text(top.get("id"))?;
    let field = |k: &str| text(either(k)).or_else(|| tag(attrs, k));
    let mut numeric_fields = BTreeMap::new();
    for k in PRIORITY_FIELDS.iter().chain(OTHER_FIELDS.iter()) {
        if let Some(v) = either(k).and_then(number) {
            numeric_fields.insert((*k).to_string(), v);
        }
    }
    // datadog-pgo reads these: the custom metrics Datadog attaches to each profile.
    if let Some(m) = attrs
        .get("custom")
        .and_then(|c| c.get("metrics"))
        .and_then(Value::as_object)
    {
        for (k, v) in m {
            if let Some(v) = number(v) {
                numeric_fields.entry(k.clone()).or_insert(v);
            }
        }
    }
    Some(Candidate {
        profile_id,
        event_id,
        timestamp: text(either("timestamp")).unwrap_or_default(),
        version: field("version"),
        host: field("host"),
        service: field("service"),
        env: field("env"),
        numeric_fields,
    })
}

impl DatadogClient {
    /// The profiles matching `q`, in the API's order.
    pub async fn list(&self, q: &ListQuery) -> Result<Vec<Candidate>, SourceError> {
        let body = json!({
            "filter": {"from": rfc3339(q.from), "to": rfc3339(q.to), "query": q.query},
            "sort": {"field": "timestamp", "order": if q.ascending { "asc" } else { "desc" }},
            "limit": q.limit,
        });
        let v = self
            .post_json(
                "datadog list",
                "/api/unstable/profiles/list",
                &body,
                self.config().list_timeout,
            )
            .await?;
        let rows = v
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| SourceError::Corrupt {
                what: "datadog list answer".into(),
                detail: "no data list".into(),
            })?;
        Ok(rows.iter().filter_map(candidate).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_candidates() {
        let row = json!({"type":"profile","id":"EV1","attributes":{
            "id":"P1","profile-id":"P1","timestamp":"2026-01-05T10:00:00.123Z",
            "tags":["env:prod","service:svc","version:v1.2.3","host:h1"],
            "cpu-samples":"120","custom":{"metrics":{"core_cpu_cores":0.42}}}});
        let c = candidate(&row).unwrap();
        assert_eq!((c.profile_id.as_str(), c.event_id.as_str()), ("P1", "EV1"));
        assert_eq!(c.version.as_deref(), Some("v1.2.3"));
        assert_eq!(c.host.as_deref(), Some("h1"));
        assert_eq!(c.numeric_fields["cpu-samples"], 120.0);
        assert_eq!(c.numeric_fields["core_cpu_cores"], 0.42);
        assert!(candidate(&json!({"attributes":{"id":"P"}})).is_none());
    }

    #[test]
    fn windows_and_queries() {
        let now = DateTime::parse_from_rfc3339("2026-01-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut w = Vec::new();
        let (f, t) = window(None, None, Some(3.0), now, &mut w);
        assert_eq!(
            (rfc3339(f), rfc3339(t)),
            ("2026-01-07T07:00:00Z".into(), rfc3339(now))
        );
        assert!(w.is_empty());
        let (f, _) = window(Some("-2h30m"), None, None, now, &mut w);
        assert_eq!(rfc3339(f), "2026-01-07T07:30:00Z");
        assert_eq!(w, ["to not provided; defaulted to now"]);
        w.clear();
        let (f, _) = window(Some("soon"), Some("now"), None, now, &mut w);
        assert_eq!(rfc3339(f), "2026-01-04T10:00:00Z");
        assert!(w[0].starts_with("invalid from time"), "{w:?}");
        assert_eq!(
            search_query("api", Some("prod"), Some("*web*")),
            "service:api env:prod host:*web*"
        );
        assert_eq!(search_query("a b", None, None), "service:\"a b\"");
    }
}
