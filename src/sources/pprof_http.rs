//! Live profiles from any Go program serving `net/http/pprof`: CPU over `seconds`, then
//! heap, allocs, goroutine, mutex and block, each checked and renamed into place.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::fetch::{safe_component, verify_profile, Staged};
use super::{http_error, short_body, DownloadedFile, Progress, SourceError};
use crate::decode::DecodeOptions;

/// (type, path under `/debug/pprof/`) of each profile fetched, in fetch order.
pub const ENDPOINTS: [(&str, &str); 6] = [
    ("heap", "heap"),
    ("allocs", "allocs"),
    ("goroutines", "goroutine"),
    ("mutex", "mutex"),
    ("block", "block"),
    ("cpu", "profile"),
];

/// What to fetch and from where.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `http://host:port`, optionally ending in `/debug/pprof`.
    pub base_url: String,
    /// CPU profile length.
    pub seconds: u32,
    /// Types to fetch (names of `ENDPOINTS`); empty means all.
    pub types: Vec<String>,
    /// Extra request headers (auth for debug servers behind a proxy).
    pub headers: Vec<(String, String)>,
    /// Accept self-signed certificates (debug servers inside a cluster).
    pub insecure_tls: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Fetched {
    pub files: Vec<DownloadedFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// `base` normalised to end in `/debug/pprof/`.
pub fn pprof_root(base: &str) -> Result<String, SourceError> {
    let b = base.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(b)
        .map_err(|e| SourceError::invalid(format!("url {base:?}: {e} (give http://host:port)")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SourceError::invalid(format!(
            "url {base:?}: only http and https are supported"
        )));
    }
    Ok(if b.ends_with("/debug/pprof") {
        format!("{b}/")
    } else {
        format!("{b}/debug/pprof/")
    })
}

/// Fetches the profiles into `out_dir` as `{prefix}_{YYYYMMDD_HHMMSS}_{type}.pprof`.
/// Failures of single endpoints are warnings; none fetched is an error.
pub async fn fetch(
    ep: &Endpoint,
    out_dir: &Path,
    prefix: &str,
    opts: &DecodeOptions,
    progress: &dyn Progress,
) -> Result<Fetched, SourceError> {
    let root = pprof_root(&ep.base_url)?;
    for t in &ep.types {
        if !ENDPOINTS.iter().any(|(name, _)| name == t) {
            let known: Vec<&str> = ENDPOINTS.iter().map(|e| e.0).collect();
            return Err(SourceError::invalid(format!(
                "unknown profile type {t:?}; known: {}",
                known.join(", ")
            )));
        }
    }
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(ep.insecure_tls)
        .timeout(Duration::from_secs(u64::from(ep.seconds) + 60))
        .build()
        .map_err(|e| SourceError::Config(format!("HTTP client: {e}")))?;
    let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S");
    let prefix = safe_component(prefix);
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for (kind, path) in ENDPOINTS {
        if !ep.types.is_empty() && !ep.types.iter().any(|t| t == kind) {
            continue;
        }
        let url = format!("{root}{path}");
        let dest = out_dir.join(format!("{prefix}_{stamp}_{kind}.pprof"));
        match fetch_one(&client, ep, kind, &url, &dest, opts, progress).await {
            Ok((file, warning)) => {
                files.push(file);
                warnings.extend(warning);
            }
            Err(e) => warnings.push(format!("{kind}: {e}")),
        }
    }
    if files.is_empty() {
        return Err(SourceError::NotFound(format!(
            "failed to download any profiles from {root}: {}",
            warnings.join("; ")
        )));
    }
    Ok(Fetched { files, warnings })
}

async fn fetch_one(
    client: &reqwest::Client,
    ep: &Endpoint,
    kind: &str,
    url: &str,
    dest: &Path,
    opts: &DecodeOptions,
    progress: &dyn Progress,
) -> Result<(DownloadedFile, Option<String>), SourceError> {
    let call = format!("GET {url}");
    let mut req = client.get(url);
    if kind == "cpu" {
        req = req.query(&[("seconds", ep.seconds.to_string())]);
    }
    for (k, v) in &ep.headers {
        req = req.header(k, v);
    }
    let transport = |e: reqwest::Error| SourceError::Transport {
        call: call.clone(),
        detail: http_error(e),
    };
    let mut resp = req.send().await.map_err(transport)?;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.bytes().await.unwrap_or_default();
        return Err(SourceError::Status {
            call: call.clone(),
            status: status.as_u16(),
            body: short_body(&body, 200),
        });
    }
    progress.start(&format!("{kind} profile"), resp.content_length());
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > opts.max_decompressed {
            return Err(SourceError::Corrupt {
                what: call,
                detail: "larger than PROFSQL_MAX_DECOMPRESSED".into(),
            });
        }
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    let profile = verify_profile(&call, &bytes, opts)?;
    let mut staged = Staged::new(dest)?;
    staged.write_all(&bytes)?;
    let path = super::fetch::commit_all(vec![staged])?
        .pop()
        .unwrap_or_else(|| dest.to_path_buf());
    let warning = (profile.samples.is_empty() && matches!(kind, "mutex" | "block")).then(|| {
        format!(
            "{kind} profile has no samples: the program must call runtime.Set{}ProfileRate/Fraction to record them",
            if kind == "mutex" { "Mutex" } else { "Block" }
        )
    });
    Ok((
        DownloadedFile {
            kind: kind.to_string(),
            path,
            bytes: bytes.len() as u64,
        },
        warning,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        assert_eq!(
            pprof_root("http://h:6060").unwrap(),
            "http://h:6060/debug/pprof/"
        );
        assert_eq!(
            pprof_root("http://h:6060/debug/pprof/").unwrap(),
            "http://h:6060/debug/pprof/"
        );
        assert!(pprof_root("ftp://h").is_err());
        assert!(pprof_root("not a url").is_err());
    }
}
