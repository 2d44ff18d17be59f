//! Values as the original tool prints them in analysis payloads: bytes in 1024-based
//! units, nanoseconds in s/ms/us, anything else as a count with its unit.

/// `formatValue`: `1.50MB`, `12.00ms`, `42 count`.
pub fn format_value(v: i64, unit: &str) -> String {
    let f = v as f64;
    match unit {
        "bytes" => {
            const K: f64 = 1024.0;
            let a = f.abs();
            if a >= K * K * K {
                format!("{:.2}GB", f / (K * K * K))
            } else if a >= K * K {
                format!("{:.2}MB", f / (K * K))
            } else if a >= K {
                format!("{:.2}KB", f / K)
            } else {
                format!("{v}B")
            }
        }
        "nanoseconds" => {
            let a = f.abs();
            if a >= 1e9 {
                format!("{:.2}s", f / 1e9)
            } else if a >= 1e6 {
                format!("{:.2}ms", f / 1e6)
            } else if a >= 1e3 {
                format!("{:.2}us", f / 1e3)
            } else {
                format!("{v}ns")
            }
        }
        _ => format!("{v} {unit}"),
    }
}

/// Megabytes (2^20 bytes).
pub fn mib(bytes: i64) -> f64 {
    bytes as f64 / 1_048_576.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_original() {
        assert_eq!(format_value(512, "bytes"), "512B");
        assert_eq!(format_value(1536, "bytes"), "1.50KB");
        assert_eq!(format_value(3 * 1_048_576, "bytes"), "3.00MB");
        assert_eq!(format_value(2_147_483_648, "bytes"), "2.00GB");
        assert_eq!(format_value(1_500_000, "nanoseconds"), "1.50ms");
        assert_eq!(format_value(999, "nanoseconds"), "999ns");
        assert_eq!(format_value(2_000_000_000, "nanoseconds"), "2.00s");
        assert_eq!(format_value(42, "count"), "42 count");
    }
}
