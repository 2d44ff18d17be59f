//! Where profiles come from besides local files: the Datadog Continuous Profiler, any
//! `net/http/pprof` endpoint, and Kubernetes pods reached through `kubectl port-forward`.
//! Every download lands in a temporary file beside its destination and is renamed only
//! once complete and verified, so a failure leaves nothing behind.

pub mod bundle;
pub mod datadog;
pub mod fetch;
pub mod kubectl;
pub mod limiter;
pub mod pprof_http;
pub mod time;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A setting is missing or wrong (keys, URLs, numbers in the environment).
    #[error("{0}")]
    Config(String),
    /// An argument the caller gave is wrong.
    #[error("{0}")]
    Invalid(String),
    /// A remote call answered with an error status: which call, the status, a short body.
    #[error("{call} failed: status {status}: {body}")]
    Status {
        call: String,
        status: u16,
        body: String,
    },
    /// A remote call failed without an answer (connection, timeout, broken body).
    #[error("{call} failed: {detail}")]
    Transport { call: String, detail: String },
    /// What was downloaded is not what it should be (not a profile, a bad zip).
    #[error("{what}: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("{}: {detail}", path.display())]
    Io { path: PathBuf, detail: String },
    /// Nothing matched (no profiles, no pod).
    #[error("{0}")]
    NotFound(String),
}

impl SourceError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }

    pub fn io(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.into(),
            detail: e.to_string(),
        }
    }

    /// This error with every occurrence of each secret replaced: a last guard so that no
    /// key reaches a message even if a server echoed it back.
    pub fn scrubbed(self, secrets: &[&str]) -> Self {
        let scrub = |s: String| scrub(s, secrets);
        match self {
            Self::Config(m) => Self::Config(scrub(m)),
            Self::Invalid(m) => Self::Invalid(scrub(m)),
            Self::Status { call, status, body } => Self::Status {
                call: scrub(call),
                status,
                body: scrub(body),
            },
            Self::Transport { call, detail } => Self::Transport {
                call: scrub(call),
                detail: scrub(detail),
            },
            Self::Corrupt { what, detail } => Self::Corrupt {
                what: scrub(what),
                detail: scrub(detail),
            },
            Self::Io { path, detail } => Self::Io {
                path,
                detail: scrub(detail),
            },
            Self::NotFound(m) => Self::NotFound(scrub(m)),
        }
    }
}

/// `text` with each non-empty secret replaced by `***`.
pub fn scrub(mut text: String, secrets: &[&str]) -> String {
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(s) {
            text = text.replace(s, "***");
        }
    }
    text
}

/// The first `max` characters of a response body, on one line, for error messages.
pub fn short_body(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &one_line[..cut]),
        None => one_line,
    }
}

/// Reports download progress; the CLI draws a bar, the server reports nothing.
pub trait Progress: Send + Sync {
    /// A download starts; `total` is its size when the server says it.
    fn start(&self, _label: &str, _total: Option<u64>) {}
    fn advance(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// No progress reporting.
pub struct Quiet;

impl Progress for Quiet {}

/// What a downloaded file holds.
#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
pub struct DownloadedFile {
    /// cpu, heap, mutex, block, goroutines, allocs, ... or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// A reqwest error with its causes ("error sending request: ... connection refused"),
/// without the URL (callers name the call themselves).
pub(crate) fn http_error(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_and_bodies_shortened() {
        let e = SourceError::Status {
            call: "datadog list".into(),
            status: 403,
            body: "bad key abc123 for app".into(),
        }
        .scrubbed(&["abc123", ""]);
        assert_eq!(
            e.to_string(),
            "datadog list failed: status 403: bad key *** for app"
        );
        assert_eq!(short_body("a\n b  c".as_bytes(), 100), "a b c");
        assert_eq!(short_body("ééééé".as_bytes(), 2), "éé...");
    }
}
