//! Recognises the legacy profile formats pprof also reads (Go's `debug=1` text, gperftools
//! text and binary CPU profiles), so the error can say what the file is.

/// The legacy format `data` looks like, if any.
pub fn sniff(data: &[u8]) -> Option<String> {
    let head = &data[..data.len().min(256)];
    let text = String::from_utf8_lossy(head);
    let first = text.lines().next().unwrap_or("").trim();
    if let Some((name, _)) = first.split_once(" profile: total ") {
        return Some(format!("Go {name} profile in text form (debug=1)"));
    }
    if first.starts_with("heap profile:") {
        return Some("heap profile in the legacy text form (gperftools, or Go debug=1)".into());
    }
    for (tag, what) in [
        (
            "--- contentionz",
            "contention profile in the legacy text form",
        ),
        (
            "--- contention",
            "contention profile in the legacy text form",
        ),
        ("--- heapz", "heap profile in the legacy text form (heapz)"),
        (
            "--- threadz",
            "thread profile in the legacy text form (threadz)",
        ),
    ] {
        if first.starts_with(tag) {
            return Some(what.into());
        }
    }
    // gperftools' binary CPU profile: header words 0, 3, 0 (32- or 64-bit, either order).
    let words = |size: usize, big: bool| -> Option<[u64; 3]> {
        let w = |i: usize| -> Option<u64> {
            let b = data.get(i * size..(i + 1) * size)?;
            let mut v = 0u64;
            for k in 0..size {
                let byte = if big { b[k] } else { b[size - 1 - k] };
                v = (v << 8) | u64::from(byte);
            }
            Some(v)
        };
        Some([w(0)?, w(1)?, w(2)?])
    };
    for size in [4, 8] {
        for big in [false, true] {
            if words(size, big) == Some([0, 3, 0]) {
                return Some("CPU profile in the legacy binary form (gperftools)".into());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn names_the_legacy_formats() {
        let s = |b: &[u8]| sniff(b).unwrap_or_default();
        assert!(s(b"goroutine profile: total 61\n1 @ 0x1").contains("goroutine profile in text"));
        assert!(s(b"heap profile:   85: 178 [ 85: 178] @ heapprofile\n").contains("heap"));
        assert!(s(b"--- contentionz 1 ---\ncycles/second = 3\n").contains("contention"));
        let mut cpu = vec![0u8; 24];
        cpu[8] = 3;
        assert!(s(&cpu).contains("binary"));
        assert_eq!(sniff(b"\x0a\x04\x08\x01\x10\x02"), None);
    }
}
