//! The Datadog Continuous Profiler and metrics APIs: configuration from the environment,
//! an HTTP client that is polite (per-host token bucket, retries honouring the server's
//! waits) and never lets a key into a message, and the calls the tools need.

mod client;
pub mod list;
pub mod metrics;
pub mod pick;

use std::time::Duration;

pub use client::DatadogClient;

use super::limiter::{Rate, RetryPolicy};
use super::SourceError;

pub const DEFAULT_SITE: &str = "us3.datadoghq.com";

/// Everything the client needs, usually read from the environment.
#[derive(Clone)]
pub struct DatadogConfig {
    pub api_key: String,
    pub app_key: String,
    pub site: String,
    /// Base of the profiling calls; `https://{site}` unless overridden.
    pub base_url: String,
    /// Base of the metrics calls; `https://api.{site}` unless overridden.
    pub api_base_url: String,
    pub rate: Rate,
    pub retry: RetryPolicy,
    /// Per-call timeouts.
    pub list_timeout: Duration,
    pub download_timeout: Duration,
    pub metrics_timeout: Duration,
    /// Largest bundle accepted, in bytes.
    pub max_bundle_bytes: u64,
}

// Keys stay out of debug output.
impl std::fmt::Debug for DatadogConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatadogConfig")
            .field("site", &self.site)
            .field("base_url", &self.base_url)
            .field("api_base_url", &self.api_base_url)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, SourceError> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| SourceError::Config(format!("{name}={v:?} is not a number"))),
    }
}

impl DatadogConfig {
    /// From `DD_API_KEY`, `DD_APP_KEY` (or `DD_APPLICATION_KEY`), `DD_SITE`,
    /// `PPROF_MCP_DD_BASE_URL`, `PPROF_MCP_DD_API_BASE_URL`, `PPROF_MCP_DD_RPS`,
    /// `PPROF_MCP_DD_BURST`, `PPROF_MCP_DD_MAX_RETRIES`, `PPROF_MCP_DD_TIMEOUT_SECS`
    /// (all calls) and `PPROF_MCP_DD_MAX_BUNDLE_BYTES`. `site` overrides `DD_SITE`.
    pub fn from_env(site: Option<&str>) -> Result<Self, SourceError> {
        let api_key = env("DD_API_KEY");
        let app_key = env("DD_APP_KEY").or_else(|| env("DD_APPLICATION_KEY"));
        let (Some(api_key), Some(app_key)) = (api_key, app_key) else {
            return Err(SourceError::Config(
                "Datadog keys missing: set DD_API_KEY and DD_APP_KEY (an application key with \
                 profiling and metrics read access)"
                    .into(),
            ));
        };
        let site = site
            .map(str::to_string)
            .filter(|s| !s.trim().is_empty())
            .or_else(|| env("DD_SITE"))
            .unwrap_or_else(|| DEFAULT_SITE.to_string());
        let site = site
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("app.")
            .trim_end_matches('/')
            .to_string();
        let base_url = env("PPROF_MCP_DD_BASE_URL").unwrap_or_else(|| format!("https://{site}"));
        let api_base_url =
            env("PPROF_MCP_DD_API_BASE_URL").unwrap_or_else(|| format!("https://api.{site}"));
        let rps = match env("PPROF_MCP_DD_RPS") {
            Some(_) => env_number("PPROF_MCP_DD_RPS", 2.0)?,
            None => env_number("PPROF_MCP_DD_RATE_LIMIT_RPS", 2.0)?,
        };
        let retry = RetryPolicy {
            attempts: env_number("PPROF_MCP_DD_MAX_RETRIES", 5u32)?.max(1),
            ..RetryPolicy::default()
        };
        let all_timeout: Option<f64> = match env("PPROF_MCP_DD_TIMEOUT_SECS") {
            Some(_) => Some(env_number("PPROF_MCP_DD_TIMEOUT_SECS", 0.0)?),
            None => None,
        };
        let timeout = |default: u64| {
            all_timeout
                .filter(|t| t.is_finite() && *t > 0.0)
                .map_or(Duration::from_secs(default), Duration::from_secs_f64)
        };
        Ok(Self {
            api_key,
            app_key,
            site,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_base_url: api_base_url.trim_end_matches('/').to_string(),
            rate: Rate {
                rps,
                burst: env_number("PPROF_MCP_DD_BURST", 4u32)?,
            },
            retry,
            list_timeout: timeout(60),
            download_timeout: timeout(120),
            metrics_timeout: timeout(30),
            max_bundle_bytes: env_number("PPROF_MCP_DD_MAX_BUNDLE_BYTES", 1u64 << 30)?,
        })
    }
}

/// `s` percent-encoded for use as one URL path segment.
fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl DatadogClient {
    /// Downloads one profile's bundle and unpacks it into `out_dir` as
    /// `{prefix}_{member}`. With a profile id the `profiles/{profileId}/download?eventId=`
    /// form is used, else the event-id-only form. The zip itself is a temporary file in
    /// `out_dir`, removed afterwards; nothing else appears unless every member is good.
    pub async fn download_bundle(
        &self,
        profile_id: Option<&str>,
        event_id: &str,
        out_dir: &std::path::Path,
        prefix: &str,
        opts: &crate::decode::DecodeOptions,
        progress: &dyn super::Progress,
    ) -> Result<super::bundle::Unpacked, SourceError> {
        use std::io::Seek;
        let (path, query) = match profile_id.filter(|p| !p.is_empty()) {
            Some(p) => (
                format!("/api/ui/profiling/profiles/{}/download", path_segment(p)),
                vec![("eventId", event_id.to_string())],
            ),
            None => (
                format!(
                    "/api/ui/profiling/profiles/{}/download",
                    path_segment(event_id)
                ),
                vec![],
            ),
        };
        std::fs::create_dir_all(out_dir).map_err(|e| SourceError::io(out_dir, e))?;
        let mut zip = tempfile::Builder::new()
            .prefix(".profsql-bundle-")
            .suffix(".zip.partial")
            .tempfile_in(out_dir)
            .map_err(|e| {
                SourceError::io(out_dir, format!("cannot create a temporary file: {e}"))
            })?;
        self.download(
            "datadog download",
            &path,
            &query,
            zip.as_file_mut(),
            progress,
        )
        .await?;
        let file = zip.as_file_mut();
        file.rewind().map_err(|e| SourceError::io(out_dir, e))?;
        let max = self.config().max_bundle_bytes;
        super::bundle::unpack(std::io::BufReader::new(&*file), out_dir, prefix, opts, max)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_escaped_in_paths() {
        assert_eq!(super::path_segment("AZ3/x+y="), "AZ3%2Fx%2By%3D");
    }
}
