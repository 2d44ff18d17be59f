//! A Kubernetes pod's `net/http/pprof` server, reached through `kubectl port-forward`:
//! find a running pod by label selector (or by name), forward a free local port to the
//! pod's debug port, and wait until it accepts connections.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

use super::SourceError;

/// Environment variable naming the kubectl binary (default `kubectl` on `PATH`).
pub const KUBECTL_ENV: &str = "PPROF_MCP_KUBECTL";

/// Which pod, and how to reach its debug server.
#[derive(Clone, Debug)]
pub struct PodTarget {
    pub namespace: String,
    /// `kubectl --context`, when not the current one.
    pub context: Option<String>,
    /// A label selector (`app=api`); when absent, `app=<service>` and then a looser
    /// match of the `app` label against the service name.
    pub selector: Option<String>,
    pub service: String,
    /// A pod name, skipping the lookup.
    pub pod: Option<String>,
    /// The port the program serves `/debug/pprof/` on inside the pod.
    pub remote_port: u16,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Pod {
    pub name: String,
    pub namespace: String,
    pub ip: String,
}

fn kubectl() -> String {
    std::env::var(KUBECTL_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "kubectl".into())
}

fn base_args(t: &PodTarget) -> Vec<String> {
    let mut a = Vec::new();
    if let Some(c) = t.context.as_ref().filter(|c| !c.is_empty()) {
        a.push(format!("--context={c}"));
    }
    a.extend(["-n".to_string(), t.namespace.clone()]);
    a
}

async fn run_json(args: &[String]) -> Result<Value, SourceError> {
    let bin = kubectl();
    let call = format!("{bin} {}", args.join(" "));
    let out = Command::new(&bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| SourceError::Transport {
            call: call.clone(),
            detail: format!("cannot run {bin}: {e} (install kubectl or set {KUBECTL_ENV})"),
        })?;
    if !out.status.success() {
        return Err(SourceError::Transport {
            call,
            detail: super::short_body(&out.stderr, 300),
        });
    }
    serde_json::from_slice(&out.stdout).map_err(|e| SourceError::Corrupt {
        what: call,
        detail: format!("not JSON: {e}"),
    })
}

fn pods_of(v: &Value) -> Vec<(Pod, bool, String)> {
    let items = v
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|p| {
            let name = p.pointer("/metadata/name")?.as_str()?.to_string();
            let namespace = p
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let ip = p
                .pointer("/status/podIP")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let running = p.pointer("/status/phase").and_then(Value::as_str) == Some("Running");
            let app = p
                .pointer("/metadata/labels/app")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Some((
                Pod {
                    name,
                    namespace,
                    ip,
                },
                running,
                app,
            ))
        })
        .collect()
}

/// The pod to profile: a running one matching the selector (`app=<service>` by
/// default), else a running pod whose `app` label and the service name contain one
/// another (case-insensitive).
pub async fn find_pod(t: &PodTarget) -> Result<Pod, SourceError> {
    let mut args = base_args(t);
    if let Some(name) = t.pod.as_ref().filter(|p| !p.is_empty()) {
        args.extend([
            "get".into(),
            "pod".into(),
            name.clone(),
            "-o".into(),
            "json".into(),
        ]);
        let v = run_json(&args).await?;
        let wrapped = serde_json::json!({ "items": [v] });
        return pods_of(&wrapped)
            .into_iter()
            .next()
            .map(|(p, _, _)| p)
            .ok_or_else(|| SourceError::NotFound(format!("pod {name} not found")));
    }
    let selector = t
        .selector
        .clone()
        .unwrap_or_else(|| format!("app={}", t.service));
    let mut by_label = args.clone();
    by_label.extend([
        "get".into(),
        "pods".into(),
        "-l".into(),
        selector.clone(),
        "-o".into(),
        "json".into(),
    ]);
    let v = run_json(&by_label).await?;
    if let Some((p, _, _)) = pods_of(&v).into_iter().find(|(_, running, _)| *running) {
        return Ok(p);
    }
    if t.selector.is_none() {
        let mut all = args;
        all.extend(["get".into(), "pods".into(), "-o".into(), "json".into()]);
        let v = run_json(&all).await?;
        let s = t.service.to_lowercase();
        if let Some((p, _, _)) = pods_of(&v).into_iter().find(|(_, running, app)| {
            let app = app.to_lowercase();
            *running && !app.is_empty() && (app.contains(&s) || s.contains(&app))
        }) {
            return Ok(p);
        }
    }
    Err(SourceError::NotFound(format!(
        "no running pod in namespace {} matches {selector}",
        t.namespace
    )))
}

/// A running `kubectl port-forward`; the child is killed when this is dropped.
pub struct PortForward {
    child: Child,
    pub local_port: u16,
    pub command: String,
}

impl PortForward {
    pub fn base_url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.local_port)
    }
}

impl Drop for PortForward {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn free_port() -> Result<u16, SourceError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| SourceError::Config(format!("no free local port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| SourceError::Config(format!("no free local port: {e}")))
}

/// Forwards a free local port to `pod`'s remote port and waits (up to `ready_within`)
/// until it accepts connections.
pub async fn port_forward(
    t: &PodTarget,
    pod: &Pod,
    ready_within: Duration,
) -> Result<PortForward, SourceError> {
    let local_port = free_port()?;
    let mut args = base_args(t);
    args.extend([
        "port-forward".into(),
        "--address=127.0.0.1".into(),
        pod.name.clone(),
        format!("{local_port}:{}", t.remote_port),
    ]);
    let bin = kubectl();
    let command = format!("{bin} {}", args.join(" "));
    let child = Command::new(&bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SourceError::Transport {
            call: command.clone(),
            detail: format!("cannot run {bin}: {e} (install kubectl or set {KUBECTL_ENV})"),
        })?;
    let mut pf = PortForward {
        child,
        local_port,
        command,
    };
    let start = Instant::now();
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", local_port))
            .await
            .is_ok()
        {
            return Ok(pf);
        }
        if let Ok(Some(status)) = pf.child.try_wait() {
            let mut err = String::new();
            if let Some(mut s) = pf.child.stderr.take() {
                let _ = s.read_to_string(&mut err).await;
            }
            return Err(SourceError::Transport {
                call: pf.command.clone(),
                detail: format!(
                    "exited ({status}): {}",
                    super::short_body(err.as_bytes(), 300)
                ),
            });
        }
        if start.elapsed() > ready_within {
            return Err(SourceError::Transport {
                call: pf.command.clone(),
                detail: format!("local port {local_port} not ready within {ready_within:?}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
