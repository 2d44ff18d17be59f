//! One HTTP client for every Datadog call: keys in headers only, a token bucket per host,
//! retries on 429 and 5xx, and errors that name the call, the status and a short body.

use std::io::Write;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::DatadogConfig;
use crate::sources::limiter::{jitter_unit, retryable, Limiter};
use crate::sources::{http_error, short_body, Progress, SourceError};

/// Longest body quoted in an error.
const BODY_IN_ERROR: usize = 300;

pub struct DatadogClient {
    cfg: DatadogConfig,
    http: reqwest::Client,
    limiter: Limiter,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
        })
        .unwrap_or_default()
}

impl DatadogClient {
    pub fn new(cfg: DatadogConfig) -> Result<Self, SourceError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("profsql/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SourceError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            limiter: Limiter::new(cfg.rate),
            cfg,
            http,
        })
    }

    pub fn config(&self) -> &DatadogConfig {
        &self.cfg
    }

    fn scrub(&self, e: SourceError) -> SourceError {
        e.scrubbed(&[&self.cfg.api_key, &self.cfg.app_key])
    }

    /// Sends the request `build` makes until it succeeds (2xx), retrying 429, 5xx and
    /// failed connections; a timeout is not retried (the next try would be as slow).
    async fn send(
        &self,
        call: &str,
        url: &str,
        timeout: Duration,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SourceError> {
        let host = host_of(url);
        let policy = self.cfg.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= policy.attempts;
            self.limiter.acquire(&host).await;
            let sent = build(&self.http)
                .header("DD-API-KEY", &self.cfg.api_key)
                .header("DD-APPLICATION-KEY", &self.cfg.app_key)
                .timeout(timeout)
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    return Err(self.scrub(SourceError::Transport {
                        call: call.into(),
                        detail: format!("no answer within {:.0?}", timeout),
                    }))
                }
                Err(e) if e.is_connect() && !last => {
                    tokio::time::sleep(policy.backoff(attempt, jitter_unit())).await;
                    continue;
                }
                Err(e) => {
                    return Err(self.scrub(SourceError::Transport {
                        call: call.into(),
                        detail: http_error(e),
                    }))
                }
            };
            let status = resp.status().as_u16();
            if resp.status().is_success() {
                return Ok(resp);
            }
            if retryable(status) && !last {
                let wait = policy
                    .server_wait(
                        header(resp.headers(), "retry-after"),
                        header(resp.headers(), "x-ratelimit-reset"),
                        chrono::Utc::now(),
                    )
                    .unwrap_or_else(|| policy.backoff(attempt, jitter_unit()));
                drop(resp);
                tokio::time::sleep(wait).await;
                continue;
            }
            let body = resp.bytes().await.unwrap_or_default();
            return Err(self.scrub(SourceError::Status {
                call: call.into(),
                status,
                body: short_body(&body, BODY_IN_ERROR),
            }));
        }
    }

    async fn json_of(&self, call: &str, resp: reqwest::Response) -> Result<Value, SourceError> {
        let body = resp.bytes().await.map_err(|e| {
            self.scrub(SourceError::Transport {
                call: call.into(),
                detail: http_error(e),
            })
        })?;
        let v: Value = serde_json::from_slice(&body).map_err(|e| SourceError::Corrupt {
            what: format!("{call} answer"),
            detail: format!("not JSON ({e}): {}", short_body(&body, 120)),
        })?;
        // Datadog reports some failures as a 200 with an `errors` list.
        if let Some(errors) = v.get("errors").filter(|e| !e.is_null()) {
            return Err(self.scrub(SourceError::Status {
                call: call.into(),
                status: 200,
                body: short_body(errors.to_string().as_bytes(), BODY_IN_ERROR),
            }));
        }
        Ok(v)
    }

    /// POSTs JSON to the profiling host and returns the JSON answer.
    pub async fn post_json(
        &self,
        call: &str,
        path: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Value, SourceError> {
        let url = format!("{}{path}", self.cfg.base_url);
        let text = body.to_string();
        let resp = self
            .send(call, &url, timeout, |c| {
                c.post(&url)
                    .header("Content-Type", "application/json")
                    .body(text.clone())
            })
            .await?;
        self.json_of(call, resp).await
    }

    /// GETs JSON from the metrics host.
    pub async fn get_api_json(
        &self,
        call: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, SourceError> {
        let url = format!("{}{path}", self.cfg.api_base_url);
        let resp = self
            .send(call, &url, self.cfg.metrics_timeout, |c| {
                c.get(&url).query(query)
            })
            .await?;
        self.json_of(call, resp).await
    }

    /// GETs `path` from the profiling host into `out`, at most `max_bytes`; returns the
    /// byte count.
    pub async fn download(
        &self,
        call: &str,
        path: &str,
        query: &[(&str, String)],
        out: &mut impl Write,
        progress: &dyn Progress,
    ) -> Result<u64, SourceError> {
        let url = format!("{}{path}", self.cfg.base_url);
        let mut resp = self
            .send(call, &url, self.cfg.download_timeout, |c| {
                c.get(&url)
                    .query(query)
                    .header("Accept", "application/zip, application/octet-stream")
            })
            .await?;
        let max = self.cfg.max_bundle_bytes;
        if let Some(len) = resp.content_length().filter(|l| *l > max) {
            return Err(SourceError::Corrupt {
                what: call.into(),
                detail: format!("bundle of {len} bytes is over the {max}-byte cap (PPROF_MCP_DD_MAX_BUNDLE_BYTES)"),
            });
        }
        progress.start(call, resp.content_length());
        let mut n: u64 = 0;
        loop {
            let chunk = resp.chunk().await.map_err(|e| {
                self.scrub(SourceError::Transport {
                    call: call.into(),
                    detail: format!("body broken after {n} bytes: {}", http_error(e)),
                })
            })?;
            let Some(chunk) = chunk else { break };
            n += chunk.len() as u64;
            if n > max {
                return Err(SourceError::Corrupt {
                    what: call.into(),
                    detail: format!(
                        "bundle over the {max}-byte cap (PPROF_MCP_DD_MAX_BUNDLE_BYTES)"
                    ),
                });
            }
            out.write_all(&chunk).map_err(|e| SourceError::Transport {
                call: call.into(),
                detail: format!("writing: {e}"),
            })?;
            progress.advance(chunk.len() as u64);
        }
        progress.finish();
        Ok(n)
    }
}
