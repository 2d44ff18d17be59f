//! Getting profiles onto disk: the latest Datadog bundle, a live `net/http/pprof`
//! endpoint, or a Kubernetes pod through `kubectl port-forward`; every file becomes a
//! handle, and the files of one download share a bundle id.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Utc;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::datadog_tools::Site;
use super::downloads::FileOut;
use super::store::Origin;
use super::{args, command_line, CallError, Context, JsonObject, ToolOutput, ToolSpec};
use crate::sources::datadog::list::{search_query, ListQuery};
use crate::sources::kubectl::{find_pod, port_forward, PodTarget};
use crate::sources::pprof_http::{fetch, Endpoint};
use crate::sources::time::rfc3339;

/// Which Datadog profile: the latest of a window, or one named by its ids.
#[derive(Deserialize, JsonSchema)]
pub(super) struct DatadogChoice {
    /// Datadog: look back this many hours for the latest profile (default 72).
    #[schemars(range(min = 0.0))]
    hours: Option<f64>,
    #[serde(flatten)]
    site: Site,
    /// Datadog: only profiles from hosts matching this.
    host: Option<String>,
    /// Datadog: a specific profile (from datadog.profiles.list or pick); needs event_id.
    profile_id: Option<String>,
    /// Datadog: a specific profile's event id.
    event_id: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct BundleArgs {
    /// Datadog service name.
    service: String,
    /// Datadog environment, e.g. prod.
    env: String,
    /// Folder to write the profiles to (`{service}_{env}_{name}.pprof`).
    out_dir: String,
    #[serde(flatten)]
    choice: DatadogChoice,
}

/// Downloads the chosen (or latest) bundle; returns the result payload and summary.
pub(super) async fn bundle_payload(
    ctx: &Context,
    service: &str,
    env: &str,
    out_dir: Option<&str>,
    a: &DatadogChoice,
) -> Result<(Value, String), CallError> {
    if a.profile_id.is_some() && a.event_id.is_none() {
        return Err(CallError::invalid("profile_id needs event_id").field("event_id"));
    }
    let client = a.site.client(ctx)?;
    let out_dir = ctx.out_dir(out_dir, "bundle")?;
    let now = Utc::now();
    let hours = a
        .hours
        .filter(|h| h.is_finite() && *h > 0.0)
        .unwrap_or(72.0);
    let from = now - chrono::Duration::milliseconds((hours * 3_600_000.0).min(1e15) as i64);
    let mut warnings = Vec::new();
    let (profile_id, event_id, timestamp) = match &a.event_id {
        Some(ev) => {
            warnings.push("timestamp unavailable; profile selected explicitly".to_string());
            (
                a.profile_id.clone().unwrap_or_default(),
                ev.clone(),
                String::new(),
            )
        }
        None => {
            let found = client
                .list(&ListQuery {
                    query: search_query(service, Some(env), a.host.as_deref()),
                    from,
                    to: now,
                    limit: 1,
                    ascending: false,
                })
                .await?;
            let c = found.into_iter().next().ok_or_else(|| {
                CallError::not_found(format!(
                    "no profiles of {}/{} in the last {hours}h",
                    service, env
                ))
                .hint("use datadog.services.search to find the service name, or raise hours")
            })?;
            (c.profile_id, c.event_id, c.timestamp)
        }
    };
    let prefix = format!("{}_{}", service, env);
    let unpacked = client
        .download_bundle(
            Some(&profile_id),
            &event_id,
            &out_dir,
            &prefix,
            &ctx.store.decode_options(),
            ctx.progress(),
        )
        .await?;
    warnings.extend(unpacked.warnings.iter().cloned());
    let origin = Origin {
        service: Some(service.to_string()),
        env: Some(env.to_string()),
        timestamp: Some(timestamp.clone()).filter(|t| !t.is_empty()),
        dd_profile_id: Some(profile_id.clone()).filter(|p| !p.is_empty()),
        event_id: Some(event_id.clone()),
        ..Origin::default()
    };
    let (bundle, files) = ctx.register_files(&unpacked.files, &origin)?;
    let summary = format!(
        "Downloaded {} profiles of {}/{}{} into {}: {}.",
        files.len(),
        service,
        env,
        if timestamp.is_empty() {
            String::new()
        } else {
            format!(" at {timestamp}")
        },
        out_dir.display(),
        files_line(&files)
    );
    let result = json!({
        "service": service, "env": env, "dd_site": client.config().site,
        "from_ts": rfc3339(from), "to_ts": rfc3339(now),
        "profile_id": profile_id, "event_id": event_id, "timestamp": timestamp,
        "bundle": bundle, "out_dir": out_dir, "files": files,
        "metrics_path": unpacked.metrics_path, "warnings": warnings,
    });
    Ok((result, summary))
}

fn files_line(files: &[FileOut]) -> String {
    files
        .iter()
        .map(|f| format!("{} {}", f.kind, f.handle))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn latest_bundle(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let command = command_line("profiles.download_latest_bundle", &raw);
    let a: BundleArgs = args::parse(raw)?;
    let (result, summary) =
        bundle_payload(&ctx, &a.service, &a.env, Some(&a.out_dir), &a.choice).await?;
    ToolOutput::new(summary, json!({ "command": command, "result": result }))
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Scheme {
    Http,
    Https,
}

/// How to reach a pod's debug server.
#[derive(Deserialize, JsonSchema)]
struct PodArgs {
    /// Kubernetes namespace (default `default`).
    namespace: Option<String>,
    /// Label selector of the pods (default `app=<service>`, then a looser `app` match).
    selector: Option<String>,
    /// A pod name, instead of looking one up.
    pod: Option<String>,
    /// kubectl context (default: the current one).
    context: Option<String>,
    /// Port of the program's net/http/pprof server inside the pod (default 6060).
    #[schemars(range(min = 1, max = 65535))]
    remote_port: Option<u16>,
    /// http (default) or https.
    scheme: Option<Scheme>,
}

/// What to fetch from a net/http/pprof server.
#[derive(Deserialize, JsonSchema)]
struct FetchArgs {
    /// CPU profile length in seconds (default 30).
    #[schemars(range(min = 1, max = 300))]
    seconds: Option<u32>,
    /// Which profiles: cpu, heap, allocs, goroutines, mutex, block (default all).
    types: Option<Vec<String>>,
    /// Extra request headers, e.g. {"Authorization": "Bearer ..."} (never echoed back).
    headers: Option<BTreeMap<String, String>>,
    /// Accept a self-signed certificate (https debug servers inside a cluster).
    insecure_tls: Option<bool>,
}

impl FetchArgs {
    fn endpoint(&self, base_url: String) -> Endpoint {
        Endpoint {
            base_url,
            seconds: self.seconds.unwrap_or(30),
            types: self.types.clone().unwrap_or_default(),
            headers: self
                .headers
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            insecure_tls: self.insecure_tls.unwrap_or(false),
        }
    }
}

#[derive(Deserialize, JsonSchema)]
struct PodDownloadArgs {
    /// Service name: names the files, and picks pods by `app=<service>` by default.
    service: String,
    /// Folder to write `{service}_{YYYYMMDD_HHMMSS}_{type}.pprof` to.
    out_dir: String,
    #[serde(flatten)]
    pod: PodArgs,
    #[serde(flatten)]
    fetch: FetchArgs,
}

/// Port-forwards to a pod and fetches its profiles.
async fn pod_payload(
    ctx: &Context,
    service: &str,
    out_dir: &str,
    pod: &PodArgs,
    fa: &FetchArgs,
) -> Result<(Value, String, String), CallError> {
    let out_dir = ctx.out_dir(Some(out_dir), "pod")?;
    let target = PodTarget {
        namespace: pod.namespace.clone().unwrap_or_else(|| "default".into()),
        context: pod.context.clone(),
        selector: pod.selector.clone(),
        service: service.to_string(),
        pod: pod.pod.clone(),
        remote_port: pod.remote_port.unwrap_or(6060),
    };
    let found = find_pod(&target).await?;
    let pf = port_forward(&target, &found, StdDuration::from_secs(10)).await?;
    let scheme = if pod.scheme == Some(Scheme::Https) {
        "https"
    } else {
        "http"
    };
    let fetched = fetch(
        &fa.endpoint(pf.base_url(scheme)),
        &out_dir,
        service,
        &ctx.store.decode_options(),
        ctx.progress(),
    )
    .await?;
    let command = pf.command.clone();
    drop(pf);
    let origin = Origin {
        service: Some(service.to_string()),
        timestamp: Some(rfc3339(Utc::now())),
        ..Origin::default()
    };
    let (bundle, files) = ctx.register_files(&fetched.files, &origin)?;
    let summary = format!(
        "Fetched {} profiles from pod {}/{} into {}: {}.",
        files.len(),
        found.namespace,
        found.name,
        out_dir.display(),
        files_line(&files)
    );
    let result = json!({
        "service": service, "namespace": target.namespace, "pod_name": found.name,
        "pod_ip": found.ip, "bundle": bundle, "out_dir": out_dir, "files": files,
        "warnings": fetched.warnings,
    });
    Ok((result, summary, command))
}

async fn pod_download(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let a: PodDownloadArgs = args::parse(raw)?;
    let (result, summary, command) =
        pod_payload(&ctx, &a.service, &a.out_dir, &a.pod, &a.fetch).await?;
    ToolOutput::new(summary, json!({ "command": command, "result": result }))
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Datadog,
    Url,
    Kubernetes,
}

#[derive(Deserialize, JsonSchema)]
struct DownloadArgs {
    /// Folder to write the profiles to.
    out_dir: String,
    /// datadog, url or kubernetes; by default url when `url` is given, kubernetes when
    /// namespace, selector or pod is, else datadog.
    mode: Option<Mode>,
    /// A net/http/pprof server, e.g. http://127.0.0.1:6060 (with or without /debug/pprof).
    url: Option<String>,
    /// Service name (Datadog and Kubernetes modes; names the files of url mode).
    service: Option<String>,
    /// Datadog environment (datadog mode).
    env: Option<String>,
    #[serde(flatten)]
    choice: DatadogChoice,
    #[serde(flatten)]
    pod: PodArgs,
    #[serde(flatten)]
    fetch: FetchArgs,
}

async fn download(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let mut command = command_line("profiles.download", &raw);
    let a: DownloadArgs = args::parse(raw)?;
    let mode = a.mode.unwrap_or(if a.url.is_some() {
        Mode::Url
    } else if a.pod.namespace.is_some() || a.pod.selector.is_some() || a.pod.pod.is_some() {
        Mode::Kubernetes
    } else {
        Mode::Datadog
    });
    let need = |v: &Option<String>, field: &str, why: &str| {
        v.clone().ok_or_else(|| {
            CallError::invalid(format!("{field} is required {why}")).field(field.to_string())
        })
    };
    let (mode_name, result, summary) = match mode {
        Mode::Datadog => {
            let service = need(&a.service, "service", "in datadog mode")?;
            let env = need(
                &a.env,
                "env",
                "in datadog mode (or give url for a net/http/pprof server)",
            )?;
            let (r, s) = bundle_payload(&ctx, &service, &env, Some(&a.out_dir), &a.choice).await?;
            ("datadog", r, s)
        }
        Mode::Url => {
            let url = need(&a.url, "url", "in url mode")?;
            let out_dir = ctx.out_dir(Some(&a.out_dir), "url")?;
            let name = a.service.clone().unwrap_or_else(|| {
                reqwest::Url::parse(&url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_else(|| "pprof".into())
            });
            let fetched = fetch(
                &a.fetch.endpoint(url.clone()),
                &out_dir,
                &name,
                &ctx.store.decode_options(),
                ctx.progress(),
            )
            .await?;
            let origin = Origin {
                service: Some(name.clone()),
                timestamp: Some(rfc3339(Utc::now())),
                ..Origin::default()
            };
            let (bundle, files) = ctx.register_files(&fetched.files, &origin)?;
            let summary = format!(
                "Fetched {} profiles from {url} into {}: {}.",
                files.len(),
                out_dir.display(),
                files_line(&files)
            );
            let r = json!({"url": url, "service": name, "bundle": bundle, "out_dir": out_dir,
                           "files": files, "warnings": fetched.warnings});
            ("url", r, summary)
        }
        Mode::Kubernetes => {
            let service = need(&a.service, "service", "in kubernetes mode")?;
            let (r, s, c) = pod_payload(&ctx, &service, &a.out_dir, &a.pod, &a.fetch).await?;
            command = format!("{command}  # {c}");
            ("kubernetes", r, s)
        }
    };
    ToolOutput::new(
        summary,
        json!({ "command": command, "mode": mode_name, "result": result }),
    )
}

pub(super) fn specs() -> Vec<ToolSpec> {
    vec![
        tool_spec!(
            "profiles.download_latest_bundle",
            BundleArgs,
            latest_bundle,
            true,
            "Download a service's latest Datadog profile bundle (cpu, heap, mutex, block, goroutines, metrics.json), or a chosen one by profile_id + event_id; each profile becomes a handle.",
            r#"{"service": "api", "env": "prod", "out_dir": "profiles"}"#
        ),
        tool_spec!(
            "profiles.download",
            DownloadArgs,
            download,
            true,
            "Download profiles from wherever they are: a Datadog bundle (service + env), any net/http/pprof server (url), or a Kubernetes pod through kubectl port-forward (namespace/selector/pod). Each profile becomes a handle.",
            r#"{"url": "http://127.0.0.1:6060", "seconds": 10, "out_dir": "profiles"}"#
        ),
        tool_spec!(
            "d2.profiles.download",
            PodDownloadArgs,
            pod_download,
            true,
            "Fetch cpu, heap, allocs, goroutine, mutex and block profiles from a Kubernetes pod's net/http/pprof server through kubectl port-forward.",
            r#"{"service": "api", "namespace": "staging", "out_dir": "profiles", "seconds": 10}"#
        ),
    ]
}
