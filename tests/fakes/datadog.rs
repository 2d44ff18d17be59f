//! A fake Datadog API: profiles list and download (both id forms), v1 query, v1 search
//! and v2 metrics, checking the key headers, counting requests, and answering with
//! scripted faults first when a test queues them.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub const API_KEY: &str = "fake-api-key-0123456789";
pub const APP_KEY: &str = "fake-app-key-9876543210";

#[derive(Clone, Debug)]
pub struct FakeProfile {
    pub service: String,
    pub env: String,
    pub host: String,
    pub timestamp: DateTime<Utc>,
    pub profile_id: String,
    pub event_id: String,
    pub numeric: Vec<(String, f64)>,
    pub bundle: Vec<u8>,
}

impl FakeProfile {
    pub fn new(n: usize, service: &str, timestamp: DateTime<Utc>, bundle: Vec<u8>) -> Self {
        Self {
            service: service.into(),
            env: "prod".into(),
            host: format!("host-{n}"),
            timestamp,
            profile_id: format!("AZ{n:04}prof"),
            event_id: format!("AwAAAev{n:04}"),
            numeric: Vec::new(),
            bundle,
        }
    }
}

/// A scripted answer, used once, before the normal one.
#[derive(Clone, Debug)]
pub enum Fault {
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Answer after this long.
    Slow(Duration),
    /// Announce the full length but send only this many bytes of the normal body.
    Cut(usize),
    /// Send these bytes as the body instead.
    Body(Vec<u8>),
}

#[derive(Default)]
pub struct Log {
    /// (route, when, path and query)
    pub hits: Vec<(String, Instant, String)>,
    pub list_bodies: Vec<Value>,
    /// Requests that came without the right keys.
    pub unauthorised: usize,
}

#[derive(Default)]
struct Inner {
    profiles: Mutex<Vec<FakeProfile>>,
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    log: Mutex<Log>,
    metrics: Mutex<Vec<String>>,
    v2_fails: Mutex<bool>,
}

#[derive(Clone)]
pub struct FakeDatadog {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl FakeDatadog {
    pub fn start(profiles: Vec<FakeProfile>) -> Self {
        let inner = Arc::new(Inner::default());
        *inner.profiles.lock().unwrap() = profiles;
        *inner.metrics.lock().unwrap() = [
            "go.goroutines",
            "go.memstats.heap_inuse_bytes",
            "container.memory.rss",
            "api.requests.count",
            "trace.http.request.hits",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let app = Router::new()
            .route("/api/unstable/profiles/list", post(list))
            .route("/api/ui/profiling/profiles/{id}/download", get(download))
            .route("/api/v1/query", get(query))
            .route("/api/v1/search", get(search))
            .route("/api/v2/metrics", get(v2_metrics))
            .with_state(inner.clone());
        Self {
            addr: super::serve(app),
            inner,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues faults for a route: list, download, query, search, v2.
    pub fn fault(&self, route: &str, f: Fault) {
        self.inner
            .faults
            .lock()
            .unwrap()
            .entry(route.into())
            .or_default()
            .push_back(f);
    }

    pub fn fail_v2(&self) {
        *self.inner.v2_fails.lock().unwrap() = true;
    }

    pub fn hits(&self, route: &str) -> Vec<(Instant, String)> {
        self.inner
            .log
            .lock()
            .unwrap()
            .hits
            .iter()
            .filter(|h| h.0 == route)
            .map(|h| (h.1, h.2.clone()))
            .collect()
    }

    pub fn list_bodies(&self) -> Vec<Value> {
        self.inner.log.lock().unwrap().list_bodies.clone()
    }

    pub fn unauthorised(&self) -> usize {
        self.inner.log.lock().unwrap().unauthorised
    }

    /// A config for the real client, pointed here, with fast retries.
    pub fn config(&self) -> profsql::sources::datadog::DatadogConfig {
        use profsql::sources::limiter::{Rate, RetryPolicy};
        profsql::sources::datadog::DatadogConfig {
            api_key: API_KEY.into(),
            app_key: APP_KEY.into(),
            site: "fake.datadoghq.test".into(),
            base_url: self.url(),
            api_base_url: self.url(),
            rate: Rate {
                rps: 50.0,
                burst: 50,
            },
            retry: RetryPolicy::default(),
            list_timeout: Duration::from_secs(10),
            download_timeout: Duration::from_secs(10),
            metrics_timeout: Duration::from_secs(10),
            max_bundle_bytes: 64 << 20,
        }
    }

    /// Environment variables that point profctl or the MCP server here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DD_API_KEY", API_KEY.into()),
            ("DD_APP_KEY", APP_KEY.into()),
            ("DD_SITE", "fake.datadoghq.test".into()),
            ("PPROF_MCP_DD_BASE_URL", self.url()),
            ("PPROF_MCP_DD_API_BASE_URL", self.url()),
            ("PPROF_MCP_DD_RPS", "50".into()),
            ("PPROF_MCP_DD_BURST", "50".into()),
        ]
    }
}

/// Logs the hit, checks keys, and returns a queued fault if any.
fn enter(
    inner: &Inner,
    route: &str,
    headers: &HeaderMap,
    what: String,
) -> Result<Option<Fault>, Box<Response>> {
    let mut log = inner.log.lock().unwrap();
    log.hits.push((route.into(), Instant::now(), what));
    let key = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    if key("dd-api-key") != API_KEY || key("dd-application-key") != APP_KEY {
        log.unauthorised += 1;
        return Err(Box::new(
            (StatusCode::FORBIDDEN, r#"{"errors":["Forbidden"]}"#).into_response(),
        ));
    }
    drop(log);
    Ok(inner
        .faults
        .lock()
        .unwrap()
        .get_mut(route)
        .and_then(VecDeque::pop_front))
}

/// Applies a fault to the normal answer `normal`.
async fn answer(fault: Option<Fault>, normal: Vec<u8>, content_type: &str) -> Response {
    match fault {
        None => ([("content-type", content_type.to_string())], normal).into_response(),
        Some(Fault::Status {
            status,
            headers,
            body,
        }) => {
            let mut r = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (k, v) in headers {
                r.headers_mut().insert(k, v.parse().unwrap());
            }
            r
        }
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            ([("content-type", content_type.to_string())], normal).into_response()
        }
        Some(Fault::Body(b)) => ([("content-type", content_type.to_string())], b).into_response(),
        Some(Fault::Cut(n)) => {
            let full = normal.len();
            let part = normal[..n.min(full)].to_vec();
            // A stream that ends early while the header promised `full` bytes.
            let stream = futures::stream::iter(vec![
                Ok::<_, std::io::Error>(Bytes::from(part)),
                Err(std::io::Error::other("connection cut")),
            ]);
            let mut r = Response::new(Body::from_stream(stream));
            r.headers_mut()
                .insert("content-length", full.to_string().parse().unwrap());
            r
        }
    }
}

fn glob(pattern: &str, value: &str) -> bool {
    let re = format!("^{}$", regex::escape(pattern).replace(r"\*", ".*"));
    regex::Regex::new(&re)
        .map(|r| r.is_match(value))
        .unwrap_or(false)
}

fn terms(q: &str) -> Vec<(String, String)> {
    q.split_whitespace()
        .filter_map(|t| t.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

async fn list(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    let fault = match enter(&inner, "list", &headers, String::new()) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    inner.log.lock().unwrap().list_bodies.push(req.clone());
    let time = |k: &str| {
        req.pointer(&format!("/filter/{k}"))
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(from), Some(to)) = (time("from"), time("to")) else {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"errors":["filter.from and filter.to are required"]}"#,
        )
            .into_response();
    };
    let q = req
        .pointer("/filter/query")
        .and_then(Value::as_str)
        .unwrap_or("*")
        .to_string();
    let limit = req.get("limit").and_then(Value::as_u64).unwrap_or(50) as usize;
    let asc = req.pointer("/sort/order").and_then(Value::as_str) == Some("asc");
    let mut rows: Vec<FakeProfile> = inner
        .profiles
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.timestamp >= from && p.timestamp <= to)
        .filter(|p| {
            terms(&q).iter().all(|(k, v)| match k.as_str() {
                "service" => glob(v, &p.service),
                "env" => glob(v, &p.env),
                "host" => glob(v, &p.host),
                _ => true,
            })
        })
        .cloned()
        .collect();
    rows.sort_by_key(|p| p.timestamp);
    if !asc {
        rows.reverse();
    }
    rows.truncate(limit);
    let data: Vec<Value> = rows
        .iter()
        .map(|p| {
            let mut attrs = json!({
                "id": p.profile_id, "profile-id": p.profile_id,
                "timestamp": p.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
                "service": p.service, "env": p.env, "host": p.host,
                "tags": [format!("service:{}", p.service), format!("env:{}", p.env), "version:v1.2.3".to_string()],
                "duration_nanos": 60_000_000_000i64,
            });
            for (k, v) in &p.numeric {
                attrs[k] = json!(v);
            }
            json!({"type": "profile", "id": p.event_id, "attributes": attrs})
        })
        .collect();
    answer(
        fault,
        json!({ "data": data }).to_string().into_bytes(),
        "application/json",
    )
    .await
}

async fn download(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let what = format!("{id}?{}", q.clone().unwrap_or_default());
    let fault = match enter(&inner, "download", &headers, what) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let event = q
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("eventId=").map(str::to_string));
    let profiles = inner.profiles.lock().unwrap().clone();
    let found = profiles.iter().find(|p| match &event {
        Some(e) => p.profile_id == id && &p.event_id == e,
        None => p.event_id == id,
    });
    match found {
        Some(p) => answer(fault, p.bundle.clone(), "application/zip").await,
        None => (StatusCode::NOT_FOUND, r#"{"errors":["profile not found"]}"#).into_response(),
    }
}

fn param(q: &Option<String>, key: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://x/?{}", q.clone().unwrap_or_default())).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.to_string())
}

async fn query(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let fault = match enter(&inner, "query", &headers, q.clone().unwrap_or_default()) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let query = param(&q, "query").unwrap_or_default();
    let metric = query.split('{').next().unwrap_or_default().to_string();
    let from: i64 = param(&q, "from").and_then(|v| v.parse().ok()).unwrap_or(0);
    let body = if metric == "go.goroutines" {
        // Three points, one of them null, as Datadog sends gaps.
        json!({"status": "ok", "res_type": "time_series", "series": [{
            "metric": metric, "display_name": metric, "scope": "service:api",
            "tag_set": ["service:api", "env:prod"], "aggr": null, "interval": 60, "length": 3,
            "pointlist": [[from as f64 * 1000.0, 100.0], [from as f64 * 1000.0 + 60000.0, null],
                          [from as f64 * 1000.0 + 120000.0, 140.0]],
            "unit": [null, null]}]})
    } else if metric == "container.memory.rss" {
        json!({"status": "ok", "series": [{"metric": metric, "tag_set": [],
            "pointlist": [[from as f64 * 1000.0, 2097152.0]],
            "unit": [{"family": "bytes", "name": "byte", "plural": "bytes", "scale_factor": 1.0, "short_name": "B"}, null]}]})
    } else {
        json!({"status": "ok", "series": []})
    };
    answer(fault, body.to_string().into_bytes(), "application/json").await
}

async fn search(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let fault = match enter(&inner, "search", &headers, q.clone().unwrap_or_default()) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let prefix = param(&q, "q").unwrap_or_default();
    let prefix = prefix
        .strip_prefix("metrics:")
        .unwrap_or(&prefix)
        .to_string();
    let names: Vec<String> = inner
        .metrics
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.starts_with(&prefix))
        .cloned()
        .collect();
    answer(
        fault,
        json!({"results": {"metrics": names}})
            .to_string()
            .into_bytes(),
        "application/json",
    )
    .await
}

async fn v2_metrics(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let fault = match enter(&inner, "v2", &headers, q.unwrap_or_default()) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if *inner.v2_fails.lock().unwrap() {
        return (StatusCode::NOT_FOUND, r#"{"errors":["Not found"]}"#).into_response();
    }
    let data: Vec<Value> = inner
        .metrics
        .lock()
        .unwrap()
        .iter()
        .map(|m| json!({"type": "metrics", "id": m}))
        .collect();
    answer(
        fault,
        json!({ "data": data }).to_string().into_bytes(),
        "application/json",
    )
    .await
}
