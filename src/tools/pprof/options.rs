//! Report options shared by the pprof tools, named and defaulted as `go tool pprof`'s.

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::measurement;
use crate::tools::ToolError;

/// pprof's node granularity.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    #[default]
    Functions,
    Filefunctions,
    Files,
    Lines,
    Addresses,
}

impl Granularity {
    pub fn parse(s: &str) -> Result<Self, ToolError> {
        Ok(match s {
            "functions" | "" => Self::Functions,
            "filefunctions" => Self::Filefunctions,
            "files" => Self::Files,
            "lines" => Self::Lines,
            "addresses" => Self::Addresses,
            other => {
                return Err(ToolError::InvalidArgument(format!(
                    "granularity must be functions, filefunctions, files, lines or addresses, not {other:?}"
                )))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Functions => "functions",
            Self::Filefunctions => "filefunctions",
            Self::Files => "files",
            Self::Lines => "lines",
            Self::Addresses => "addresses",
        }
    }
}

/// Every option of a pprof report. `Default` gives `go tool pprof -top`'s defaults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportOptions {
    pub sample_index: Option<String>,
    pub mean: bool,
    pub cum: bool,
    /// 0 = every node.
    pub nodecount: usize,
    pub nodefraction: f64,
    pub edgefraction: f64,
    pub granularity: Granularity,
    pub noinlines: bool,
    pub focus: Option<String>,
    pub ignore: Option<String>,
    pub hide: Option<String>,
    pub show: Option<String>,
    pub show_from: Option<String>,
    pub prune_from: Option<String>,
    pub tagfocus: Option<String>,
    pub tagignore: Option<String>,
    pub tagshow: Option<String>,
    pub taghide: Option<String>,
    pub relative_percentages: bool,
    pub normalize: bool,
    pub drop_negative: bool,
    pub trim_path: Option<String>,
    pub source_path: Vec<String>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            sample_index: None,
            mean: false,
            cum: false,
            nodecount: 0,
            nodefraction: 0.005,
            edgefraction: 0.001,
            granularity: Granularity::Functions,
            noinlines: false,
            focus: None,
            ignore: None,
            hide: None,
            show: None,
            show_from: None,
            prune_from: None,
            tagfocus: None,
            tagignore: None,
            tagshow: None,
            taghide: None,
            relative_percentages: false,
            normalize: false,
            drop_negative: false,
            trim_path: None,
            source_path: Vec::new(),
        }
    }
}

/// A regex option, compiled with pprof's error text.
pub fn compile(name: &str, value: Option<&str>) -> Result<Option<Regex>, ToolError> {
    match value {
        None | Some("") => Ok(None),
        Some(v) => Regex::new(v)
            .map(Some)
            .map_err(|e| ToolError::InvalidArgument(format!("parsing {name} regexp: {e}"))),
    }
}

impl ReportOptions {
    /// Validate every regex up front so a bad one fails before any query runs.
    pub fn validate(&self) -> Result<(), ToolError> {
        for (name, v) in self.regex_options() {
            compile(name, v)?;
        }
        for (name, v) in [("tagfocus", &self.tagfocus), ("tagignore", &self.tagignore)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                TagFilter::parse(name, v)?;
            }
        }
        if !(self.nodefraction >= 0.0 && self.edgefraction >= 0.0) {
            return Err(ToolError::InvalidArgument(
                "nodefraction and edgefraction must be non-negative numbers".into(),
            ));
        }
        Ok(())
    }

    fn regex_options(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("focus", self.focus.as_deref()),
            ("ignore", self.ignore.as_deref()),
            ("hide", self.hide.as_deref()),
            ("show", self.show.as_deref()),
            ("show_from", self.show_from.as_deref()),
            ("prune_from", self.prune_from.as_deref()),
            ("tagshow", self.tagshow.as_deref()),
            ("taghide", self.taghide.as_deref()),
        ]
    }

    /// pprof's `Active filters:` lines, in its order (`name=value`).
    pub fn active_filters(&self) -> Vec<String> {
        let list = [
            ("focus", &self.focus),
            ("ignore", &self.ignore),
            ("hide", &self.hide),
            ("show", &self.show),
            ("show_from", &self.show_from),
            ("tagfocus", &self.tagfocus),
            ("tagignore", &self.tagignore),
            ("tagshow", &self.tagshow),
            ("taghide", &self.taghide),
        ];
        list.iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={v}"))
            })
            .collect()
    }

    /// True when a filter removes frames from stacks (so per-sample dedup must be
    /// recomputed after filtering).
    pub fn rewrites_stacks(&self) -> bool {
        [&self.hide, &self.show, &self.show_from, &self.prune_from]
            .iter()
            .any(|o| o.as_deref().is_some_and(|v| !v.is_empty()))
    }

    pub fn has_name_filters(&self) -> bool {
        [&self.focus, &self.ignore, &self.hide, &self.show]
            .iter()
            .any(|o| o.as_deref().is_some_and(|v| !v.is_empty()))
    }
}

/// A `tagfocus`/`tagignore` expression: `[key=]value`, where value is a numeric range
/// with units (`32kb`, `:64kb`, `4mb:`, `12kb:64mb`) or comma-separated regexes.
#[derive(Clone, Debug)]
pub struct TagFilter {
    pub key: Option<String>,
    pub kind: TagFilterKind,
}

#[derive(Clone, Debug)]
pub enum TagFilterKind {
    /// Inclusive bounds in `unit`; values are converted to it before comparing.
    Range {
        lo: Option<f64>,
        hi: Option<f64>,
        unit: String,
    },
    Regexes(Vec<Regex>),
}

impl TagFilter {
    pub fn parse(name: &str, expr: &str) -> Result<Self, ToolError> {
        let (key, value) = match expr.split_once('=') {
            Some((k, v)) => (Some(k.to_string()), v),
            None => (None, expr),
        };
        if let Some(kind) = parse_range(value) {
            return Ok(Self { key, kind });
        }
        let regexes = value
            .split(',')
            .map(|r| {
                Regex::new(r)
                    .map_err(|e| ToolError::InvalidArgument(format!("parsing {name} regexp: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            key,
            kind: TagFilterKind::Regexes(regexes),
        })
    }

    /// Whether a sample with these labels passes. `strings` are (key, value) pairs;
    /// `numbers` are (key, value, unit) with the unit already resolved.
    pub fn matches(&self, strings: &[(&str, &str)], numbers: &[(&str, i64, &str)]) -> bool {
        match &self.kind {
            TagFilterKind::Range { lo, hi, unit } => numbers.iter().any(|(k, v, u)| {
                if self.key.as_deref().is_some_and(|want| want != *k) {
                    return false;
                }
                let (sv, su) = measurement::scale(*v, u, unit);
                su == *unit && lo.is_none_or(|lo| sv >= lo) && hi.is_none_or(|hi| sv <= hi)
            }),
            TagFilterKind::Regexes(rx) => match &self.key {
                // Without a key every regex must match some "key:value".
                None => rx
                    .iter()
                    .all(|r| strings.iter().any(|(k, v)| r.is_match(&format!("{k}:{v}")))),
                // With a key any regex matching any value of that key passes.
                Some(want) => strings
                    .iter()
                    .filter(|(k, _)| k == want)
                    .any(|(_, v)| rx.iter().any(|r| r.is_match(v))),
            },
        }
    }
}

/// pprof's `parseTagFilterRange`: `N[unit]`, `N[unit]:`, `:N[unit]`, `N[unit]:M[unit]`.
fn parse_range(filter: &str) -> Option<TagFilterKind> {
    let rx = Regex::new(r"([+-]?[[:digit:]]+)([[:alpha:]]+)?").ok()?;
    let found: Vec<_> = rx.captures_iter(filter).take(2).collect();
    let first = found.first()?;
    let whole0 = first.get(0)?.as_str();
    let n0: i64 = first.get(1)?.as_str().parse().ok()?;
    let u0 = first.get(2).map_or("", |m| m.as_str());
    let (v0, unit) = measurement::scale(n0, u0, u0);
    let kind = |lo, hi| TagFilterKind::Range {
        lo,
        hi,
        unit: unit.clone(),
    };
    if found.len() == 1 {
        return if filter == whole0 {
            Some(kind(Some(v0), Some(v0)))
        } else if filter == format!("{whole0}:") {
            Some(kind(Some(v0), None))
        } else if filter == format!(":{whole0}") {
            Some(kind(None, Some(v0)))
        } else {
            None
        };
    }
    let second = &found[1];
    let whole1 = second.get(0)?.as_str();
    if filter != format!("{whole0}:{whole1}") {
        return None;
    }
    let n1: i64 = second.get(1)?.as_str().parse().ok()?;
    let (v1, unit1) = measurement::scale(n1, second.get(2).map_or("", |m| m.as_str()), &unit);
    (unit1 == unit).then(|| kind(Some(v0), Some(v1)))
}

/// pprof's `-tagshow`/`-taghide`: which label keys a report keeps.
pub struct TagKeys {
    show: Option<Regex>,
    hide: Option<Regex>,
}

impl TagKeys {
    pub fn new(o: &ReportOptions) -> Result<Self, ToolError> {
        Ok(Self {
            show: compile("tagshow", o.tagshow.as_deref())?,
            hide: compile("taghide", o.taghide.as_deref())?,
        })
    }

    pub fn keeps(&self, key: &str) -> bool {
        self.show.as_ref().is_none_or(|r| r.is_match(key))
            && !self.hide.as_ref().is_some_and(|r| r.is_match(key))
    }

    /// pprof's "TagShow/TagHide expression matched no samples" warnings for these keys.
    pub fn unmatched<'a>(&self, keys: impl Iterator<Item = &'a str> + Clone) -> Vec<&'static str> {
        let mut out = Vec::new();
        if let Some(r) = &self.show {
            if !keys.clone().any(|k| r.is_match(k)) {
                out.push("TagShow");
            }
        }
        if let Some(r) = &self.hide {
            if !keys.clone().any(|k| r.is_match(k)) {
                out.push("TagHide");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_pprof() {
        let f = TagFilter::parse("tagfocus", "bytes=1kb:").unwrap();
        assert_eq!(f.key.as_deref(), Some("bytes"));
        assert!(f.matches(&[], &[("bytes", 2048, "bytes")]));
        assert!(!f.matches(&[], &[("bytes", 512, "bytes")]));
        // A string label value "1" is read as a range, as pprof does.
        let f = TagFilter::parse("tagfocus", "worker=1").unwrap();
        assert!(matches!(f.kind, TagFilterKind::Range { .. }));
        assert!(!f.matches(&[("worker", "1")], &[]));
        let f = TagFilter::parse("tagfocus", "worker=^1$").unwrap();
        assert!(f.matches(&[("worker", "1")], &[]));
        let f = TagFilter::parse("tagfocus", "tenant_id=t1,t3").unwrap();
        assert!(f.matches(&[("tenant_id", "t3")], &[]));
        assert!(!f.matches(&[("tenant_id", "t2")], &[]));
        let f = TagFilter::parse("tagfocus", "t1,op").unwrap();
        assert!(f.matches(&[("tenant", "t1"), ("op", "x")], &[]));
        assert!(!f.matches(&[("tenant", "t1")], &[]));
    }
}
