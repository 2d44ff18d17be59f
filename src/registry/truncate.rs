//! Output limits of text-heavy tools (`max_lines`, `max_bytes`, `truncate_strategy`):
//! lines are cut first, then bytes, keeping the head, the tail, or both around a marker.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

const MARKER: &str = "... (truncated) ...";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    #[default]
    Head,
    Tail,
    HeadTail,
}

/// The limits a call asked for.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
pub struct Limits {
    /// Keep at most this many lines of text output (0 = no limit).
    pub max_lines: Option<u64>,
    /// Keep at most this many bytes of text output (0 = no limit).
    pub max_bytes: Option<u64>,
    /// Which part to keep when cutting: head (default), tail, or head_tail.
    pub truncate_strategy: Option<Strategy>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TruncateMeta {
    pub total_lines: usize,
    pub total_bytes: usize,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated_reason: Option<String>,
    pub strategy: Strategy,
}

/// Lines as the original counted them: "" has none, a final newline ends the last line.
fn count_lines(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        s.strip_suffix('\n').unwrap_or(s).split('\n').count()
    }
}

impl Limits {
    pub fn apply(&self, text: &str) -> (String, TruncateMeta) {
        let strategy = self.truncate_strategy.unwrap_or_default();
        let mut meta = TruncateMeta {
            total_lines: count_lines(text),
            total_bytes: text.len(),
            truncated: false,
            truncated_reason: None,
            strategy,
        };
        let mut reasons = Vec::new();
        let mut out = text.to_string();
        if let Some(n) = self.max_lines.filter(|&n| n > 0) {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if meta.total_lines > n {
                let lines: Vec<&str> = out.strip_suffix('\n').unwrap_or(&out).split('\n').collect();
                out = keep(&lines, n, strategy).join("\n") + "\n";
                reasons.push("max_lines");
            }
        }
        if let Some(n) = self.max_bytes.filter(|&n| n > 0) {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if out.len() > n {
                out = keep_bytes(&out, n, strategy);
                reasons.push("max_bytes");
            }
        }
        if !reasons.is_empty() {
            meta.truncated = true;
            meta.truncated_reason = Some(reasons.join(","));
        }
        (out, meta)
    }
}

fn keep<'a>(lines: &[&'a str], n: usize, strategy: Strategy) -> Vec<&'a str> {
    match strategy {
        Strategy::Head => lines[..n].to_vec(),
        Strategy::Tail => lines[lines.len() - n..].to_vec(),
        Strategy::HeadTail => {
            let head = n / 2;
            let tail = n.saturating_sub(head + 1);
            let mut v = lines[..head].to_vec();
            v.push(MARKER);
            v.extend_from_slice(&lines[lines.len() - tail..]);
            v
        }
    }
}

/// The largest char boundary at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn keep_bytes(s: &str, n: usize, strategy: Strategy) -> String {
    match strategy {
        Strategy::Head => s[..floor_boundary(s, n)].to_string(),
        Strategy::Tail => {
            let mut start = s.len() - n;
            while !s.is_char_boundary(start) {
                start += 1;
            }
            s[start..].to_string()
        }
        Strategy::HeadTail if n < MARKER.len() + 2 => keep_bytes(s, n, Strategy::Head),
        Strategy::HeadTail => {
            let marker = format!("\n{MARKER}\n");
            let room = n.saturating_sub(marker.len());
            let head = floor_boundary(s, room / 2);
            let mut tail_start = s.len() - (room - room / 2);
            while !s.is_char_boundary(tail_start) {
                tail_start += 1;
            }
            format!("{}{marker}{}", &s[..head], &s[tail_start..])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(lines: u64, bytes: u64, s: Strategy) -> Limits {
        Limits {
            max_lines: Some(lines),
            max_bytes: Some(bytes),
            truncate_strategy: Some(s),
        }
    }

    #[test]
    fn lines_then_bytes_with_each_strategy() {
        let text = "a\nb\nc\nd\ne\n";
        let (out, meta) = limits(2, 0, Strategy::Head).apply(text);
        assert_eq!(out, "a\nb\n");
        assert_eq!((meta.total_lines, meta.truncated), (5, true));
        assert_eq!(limits(2, 0, Strategy::Tail).apply(text).0, "d\ne\n");
        assert_eq!(
            limits(4, 0, Strategy::HeadTail).apply(text).0,
            format!("a\nb\n{MARKER}\ne\n")
        );
        let (out, meta) = limits(0, 3, Strategy::Head).apply(text);
        assert_eq!(out, "a\nb");
        assert_eq!(meta.truncated_reason.as_deref(), Some("max_bytes"));
        let (out, meta) = limits(10, 100, Strategy::Head).apply(text);
        assert_eq!((out.as_str(), meta.truncated), (text, false));
        assert_eq!(count_lines(""), 0);
    }

    #[test]
    fn bytes_cut_on_char_boundaries() {
        let text = "ééééé";
        for s in [Strategy::Head, Strategy::Tail, Strategy::HeadTail] {
            for n in 1..12 {
                let (out, _) = limits(0, n, s).apply(text);
                assert!(out.len() <= n as usize, "{s:?} {n}: {out:?}");
            }
        }
    }
}
