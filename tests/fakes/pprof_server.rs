//! A `net/http/pprof`-style server serving fixture profiles under `/debug/pprof/`,
//! recording the requests and their `seconds`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

#[derive(Default)]
struct Inner {
    /// Endpoint -> status to answer instead of the profile.
    broken: Mutex<HashMap<String, u16>>,
    /// Endpoints answering an HTML page instead of a profile.
    html: Mutex<Vec<String>>,
    /// (endpoint, query, value of the X-Debug-Token header)
    requests: Mutex<Vec<(String, String, String)>>,
}

#[derive(Clone)]
pub struct FakePprof {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

/// The fixture each endpoint serves.
pub fn fixture_for(endpoint: &str) -> Option<&'static str> {
    Some(match endpoint {
        "profile" => "cpu.pb.gz",
        "heap" | "allocs" => "heap.pb.gz",
        "goroutine" => "goroutine.pb.gz",
        "mutex" => "mutex.pb.gz",
        "block" => "block.pb.gz",
        _ => return None,
    })
}

impl FakePprof {
    pub fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .route("/debug/pprof/{name}", get(endpoint))
            .with_state(inner.clone());
        Self {
            addr: super::serve(app),
            inner,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn break_endpoint(&self, name: &str, status: u16) {
        self.inner
            .broken
            .lock()
            .unwrap()
            .insert(name.into(), status);
    }

    pub fn serve_html(&self, name: &str) {
        self.inner.html.lock().unwrap().push(name.into());
    }

    pub fn requests(&self) -> Vec<(String, String, String)> {
        self.inner.requests.lock().unwrap().clone()
    }
}

async fn endpoint(
    State(inner): State<Arc<Inner>>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get("x-debug-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    inner
        .requests
        .lock()
        .unwrap()
        .push((name.clone(), q.unwrap_or_default(), token));
    if let Some(status) = inner.broken.lock().unwrap().get(&name) {
        return (StatusCode::from_u16(*status).unwrap(), "profiling disabled").into_response();
    }
    if inner.html.lock().unwrap().contains(&name) {
        return (
            [("content-type", "text/html")],
            "<html>not a profile</html>",
        )
            .into_response();
    }
    match fixture_for(&name) {
        Some(f) => (
            [("content-type", "application/octet-stream")],
            super::fixture(f),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "Unknown profile").into_response(),
    }
}
