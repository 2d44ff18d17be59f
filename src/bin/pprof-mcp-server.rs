//! `pprof-mcp-server`: the profsql tools over MCP, on stdio (default) or streamable HTTP.
//! In stdio mode stdout carries only the protocol; everything else goes to stderr.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use profsql::mcp::http::{HttpServer, PATH, TOKEN_ENV};
use profsql::mcp::{NameMode, PprofServer};
use profsql::registry::{Context, Registry};

#[derive(Parser, Debug)]
#[command(
    name = "pprof-mcp-server",
    version,
    about = "The profsql tools over MCP: stdio by default, streamable HTTP with --http"
)]
struct Args {
    /// Serve streamable HTTP at ADDR (`127.0.0.1:8080`; a bare port binds to loopback).
    /// The endpoint is /mcp; PPROF_MCP_HTTP_TOKEN, when set, is required as a bearer token.
    #[arg(long, value_name = "ADDR")]
    http: Option<String>,
    /// Tool names as listed: dots (pprof.top) or codex (pprof_top). Default:
    /// PPROF_MCP_TOOL_NAME_MODE, else dots.
    #[arg(long)]
    tool_name_mode: Option<String>,
}

/// `ADDR`, `:PORT` or `PORT`; the last two bind to loopback.
fn listen_addr(s: &str) -> anyhow::Result<SocketAddr> {
    let port_only = s.strip_prefix(':').unwrap_or(s);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse()
        .with_context(|| format!("--http {s:?}: expected ADDR:PORT (e.g. 127.0.0.1:8080) or PORT"))
}

async fn serve(args: Args, server: PprofServer) -> anyhow::Result<()> {
    let Some(addr) = args.http else {
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .context("starting the stdio server")?;
        running.waiting().await.context("stdio server")?;
        return Ok(());
    };
    let addr = listen_addr(&addr)?;
    let shutdown = CancellationToken::new();
    let token = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty());
    if !addr.ip().is_loopback() && token.is_none() {
        // Off loopback anyone on the network could read (and write) files as this user.
        anyhow::bail!("--http {addr} is reachable from other machines: set {TOKEN_ENV} to require a bearer token");
    }
    let http = HttpServer::bind(addr, server, token.clone(), &shutdown)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = http.local_addr()?;
    eprintln!(
        "pprof-mcp-server listening on http://{bound}{PATH}{}",
        if token.is_some() {
            " (bearer token required)"
        } else {
            ""
        }
    );
    let stop = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
        }
    });
    http.serve(shutdown).await.context("http server")
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let names =
        NameMode::from_flag_or_env(args.tool_name_mode.as_deref()).map_err(anyhow::Error::msg)?;
    let ctx = Context::from_env().map_err(|e| anyhow::anyhow!("{}", e.text()))?;
    let server = PprofServer::new(Arc::new(Registry::new()), Arc::new(ctx), names);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(serve(args, server))
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line on stderr (stdout is the protocol), like profctl.
            eprintln!("pprof-mcp-server: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
