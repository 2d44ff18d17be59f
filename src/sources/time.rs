//! Times and durations as the Datadog tools take them: `now`, Go durations relative to now
//! (`-3h`, `-2h30m`, `+90s`), RFC 3339 (with or without fractions), and unix seconds where
//! a tool allows them; durations are printed as Go's `time.Duration.String()` does.

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};

use super::SourceError;

/// A Go duration (`1h`, `2h30m`, `90s`, `1.5h`, `300ms`, `-3h`), as `time.ParseDuration`
/// reads it.
pub fn parse_duration(text: &str) -> Result<Duration, SourceError> {
    let bad = |why: &str| SourceError::invalid(format!("duration {text:?}: {why}"));
    let s = text.trim();
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Duration::zero());
    }
    if rest.is_empty() {
        return Err(bad("empty"));
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| bad("missing unit (use h, m, s, ms, us or ns)"))?;
        if digits == 0 {
            return Err(bad("expected a number"));
        }
        let number: f64 = rest[..digits].parse().map_err(|_| bad("bad number"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => return Err(bad(&format!("unknown unit {other:?}"))),
        };
        rest = &rest[unit_len..];
        total_nanos += number * scale;
    }
    // Go refuses durations past ~292 years; so do we, rather than wrap.
    if total_nanos > i64::MAX as f64 {
        return Err(bad("too long"));
    }
    let d = Duration::nanoseconds(total_nanos.round() as i64);
    Ok(if negative { -d } else { d })
}

/// `d` as Go prints a `time.Duration`: `7m30s`, `1h0m0s`, `1.5s`, `250ms`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.num_nanoseconds().unwrap_or(i64::MAX);
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    if n < 1_000_000 {
        return format!("{sign}{}µs", trim_fraction(n as f64 / 1e3));
    }
    if n < 1_000_000_000 {
        return format!("{sign}{}ms", trim_fraction(n as f64 / 1e6));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = (n / 60_000_000_000) % 60;
    let secs = trim_fraction((n % 60_000_000_000) as f64 / 1e9);
    match (hours, minutes) {
        (0, 0) => format!("{sign}{secs}s"),
        (0, m) => format!("{sign}{m}m{secs}s"),
        (h, m) => format!("{sign}{h}h{m}m{secs}s"),
    }
}

fn trim_fraction(v: f64) -> String {
    let s = format!("{v:.9}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `now`, a duration relative to `now` (`-3h`, `+30m`), or an RFC 3339 time.
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, SourceError> {
    let s = text.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if s.starts_with('-') || s.starts_with('+') {
        return Ok(now + parse_duration(s)?);
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            SourceError::invalid(format!(
                "time {s:?}: {e} (use now, -3h, -2h30m or RFC 3339 like 2026-01-05T10:00:00Z)"
            ))
        })
}

/// Like `parse_time`, also taking unix seconds (`1767607200`).
pub fn parse_time_or_unix(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, SourceError> {
    let s = text.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s
            .parse()
            .map_err(|_| SourceError::invalid(format!("time {s:?}: too large")))?;
        return Utc
            .timestamp_opt(secs, 0)
            .single()
            .ok_or_else(|| SourceError::invalid(format!("time {s:?}: out of range")));
    }
    parse_time(s, now)
}

/// RFC 3339 in UTC at second precision, the form the list call sends.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("-3h").unwrap(), Duration::hours(-3));
        assert_eq!(
            parse_duration("-2h30m").unwrap(),
            -(Duration::hours(2) + Duration::minutes(30))
        );
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::minutes(90));
        assert_eq!(
            parse_duration("300ms").unwrap(),
            Duration::milliseconds(300)
        );
        assert_eq!(parse_duration("0").unwrap(), Duration::zero());
        for bad in ["", "3", "h", "3x", "1h-2m", "--1h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_print_as_go() {
        assert_eq!(format_duration(Duration::seconds(450)), "7m30s");
        assert_eq!(format_duration(Duration::hours(1)), "1h0m0s");
        assert_eq!(format_duration(Duration::milliseconds(1500)), "1.5s");
        assert_eq!(format_duration(Duration::milliseconds(250)), "250ms");
        assert_eq!(format_duration(Duration::zero()), "0s");
        assert_eq!(format_duration(Duration::seconds(-90)), "-1m30s");
    }

    #[test]
    fn times() {
        let now = at("2026-01-07T10:00:00Z");
        assert_eq!(parse_time("now", now).unwrap(), now);
        assert_eq!(parse_time("-3h", now).unwrap(), at("2026-01-07T07:00:00Z"));
        assert_eq!(
            parse_time("-2h30m", now).unwrap(),
            at("2026-01-07T07:30:00Z")
        );
        assert_eq!(
            parse_time("2026-01-05T12:00:00.5+02:00", now).unwrap(),
            at("2026-01-05T10:00:00.5Z")
        );
        assert!(parse_time("yesterday", now).is_err());
        assert_eq!(
            parse_time_or_unix("1767607200", now).unwrap(),
            at("2026-01-05T10:00:00Z")
        );
        assert_eq!(
            rfc3339(at("2026-01-05T10:00:00.9Z")),
            "2026-01-05T10:00:00Z"
        );
    }
}
