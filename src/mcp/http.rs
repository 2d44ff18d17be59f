//! Streamable HTTP: the MCP endpoint at `/mcp`, loopback by default, with an optional
//! bearer token (`PPROF_MCP_HTTP_TOKEN`); a request without it gets 401.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::PprofServer;

pub const TOKEN_ENV: &str = "PPROF_MCP_HTTP_TOKEN";
pub const PATH: &str = "/mcp";

/// Equal without an early exit, so response time does not reveal a prefix of the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn bearer(State(token): State<Arc<String>>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if same(g.as_bytes(), token.as_bytes()) => next.run(req).await,
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token\n",
        )
            .into_response(),
    }
}

/// A bound HTTP server, not yet serving: its address is known (port 0 picks one).
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    router: axum::Router,
}

impl HttpServer {
    pub async fn bind(
        addr: SocketAddr,
        server: PprofServer,
        token: Option<String>,
        shutdown: &CancellationToken,
    ) -> std::io::Result<Self> {
        let mut config = StreamableHttpServerConfig::default();
        config.cancellation_token = shutdown.child_token();
        let ip = addr.ip().to_string();
        if !config.allowed_hosts.contains(&ip) && !addr.ip().is_unspecified() {
            // Bound to a chosen address: requests name it in their Host header.
            config.allowed_hosts.push(ip);
        }
        if addr.ip().is_unspecified() {
            // Any interface: any Host. The token is the guard then.
            config.allowed_hosts.clear();
        }
        let service = StreamableHttpService::new(
            move || Ok(server.clone()),
            Arc::new(LocalSessionManager::default()),
            config,
        );
        let mut router = axum::Router::new().nest_service(PATH, service);
        if let Some(t) = token.filter(|t| !t.is_empty()) {
            router = router.layer(axum::middleware::from_fn_with_state(Arc::new(t), bearer));
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        Ok(Self { listener, router })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` is cancelled.
    pub async fn serve(self, shutdown: CancellationToken) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_compare_whole() {
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"ab"));
    }
}
