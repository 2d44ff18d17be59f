//! Politeness towards rate-limited APIs: a token bucket per host, and the retry rule
//! (429 and 5xx are retried; the wait is the server's `Retry-After` or
//! `X-RateLimit-Reset` when it gives one, else exponential backoff with jitter).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Requests per second and burst of one host's bucket. `rps <= 0` turns limiting off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub rps: f64,
    pub burst: u32,
}

struct Bucket {
    /// May go below zero: each waiting caller has reserved its token already.
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by host.
pub struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `host` and returns how long to wait before using it.
    pub fn reserve(&self, host: &str, now: Instant) -> Duration {
        if self.rate.rps <= 0.0 {
            return Duration::ZERO;
        }
        let burst = f64::from(self.rate.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(host.to_string()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate.rps).min(burst);
        b.last = now;
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / self.rate.rps)
        }
    }

    /// Waits for a token for `host`.
    pub async fn acquire(&self, host: &str) {
        let wait = self.reserve(host, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// How often and how long to retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base: Duration,
    /// Longest backoff before jitter.
    pub max_backoff: Duration,
    /// Longest wait a server may ask for.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// True for the statuses worth another try.
pub fn retryable(status: u16) -> bool {
    status == 429 || status >= 500
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (attempt counts from 1): base * 2^(attempt-1),
    /// capped, plus jitter in [0, delay/4) from `unit` in [0, 1).
    pub fn backoff(&self, attempt: u32, unit: f64) -> Duration {
        let exp = self.base.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let delay = exp.min(self.max_backoff);
        delay + delay.mul_f64(unit.clamp(0.0, 0.999) / 4.0)
    }

    /// The wait a response asks for: `Retry-After` (seconds or an HTTP date), else
    /// `X-RateLimit-Reset` (seconds until the limit resets); capped at `max_wait`.
    pub fn server_wait(
        &self,
        retry_after: Option<&str>,
        rate_limit_reset: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let from_header = |v: &str| -> Option<Duration> {
            let v = v.trim();
            if let Ok(secs) = v.parse::<u64>() {
                return Some(Duration::from_secs(secs));
            }
            if let Ok(secs) = v.parse::<f64>() {
                return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
            }
            let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
            Some((when - now).to_std().unwrap_or(Duration::ZERO))
        };
        retry_after
            .and_then(from_header)
            .or_else(|| {
                rate_limit_reset.and_then(|v| v.trim().parse::<u64>().ok().map(Duration::from_secs))
            })
            .map(|d| d.min(self.max_wait))
    }
}

/// A number in [0, 1) for jitter.
pub fn jitter_unit() -> f64 {
    let mut b = [0u8; 4];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn third_call_in_a_burst_of_two_waits_half_a_second() {
        let l = Limiter::new(Rate { rps: 2.0, burst: 2 });
        let t = Instant::now();
        assert_eq!(l.reserve("h", t), Duration::ZERO);
        assert_eq!(l.reserve("h", t), Duration::ZERO);
        let w = l.reserve("h", t);
        assert!((w.as_secs_f64() - 0.5).abs() < 1e-6, "{w:?}");
        // The fourth waits behind the third.
        assert!((l.reserve("h", t).as_secs_f64() - 1.0).abs() < 1e-6);
        // Another host has its own bucket; a second later one token is back.
        assert_eq!(l.reserve("other", t), Duration::ZERO);
        let off = Limiter::new(Rate { rps: 0.0, burst: 1 });
        for _ in 0..10 {
            assert_eq!(off.reserve("h", t), Duration::ZERO);
        }
    }

    #[test]
    fn backoff_doubles_with_capped_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 0.0), Duration::from_millis(800));
        assert_eq!(p.backoff(10, 0.0), Duration::from_secs(5));
        assert!(p.backoff(1, 0.999) < Duration::from_millis(250));
        assert_eq!(p.backoff(40, 0.0), Duration::from_secs(5));
    }

    #[test]
    fn server_waits_are_read_and_capped() {
        let p = RetryPolicy::default();
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            p.server_wait(Some("3"), None, now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.server_wait(Some("600"), None, now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            p.server_wait(Some("Wed, 21 Oct 2015 07:28:05 GMT"), None, now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            p.server_wait(Some("Wed, 21 Oct 2015 07:27:00 GMT"), None, now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            p.server_wait(None, Some("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(p.server_wait(Some("soon"), None, now), None);
        assert_eq!(p.server_wait(None, None, now), None);
    }
}
