//! The data the analyses explain themselves with: overhead categories (with their
//! explanations) and known performance issues, kept as JSON files beside this module.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OverheadCategory {
    pub name: String,
    /// Substrings of function names (any frame) that put a sample in the category.
    pub patterns: Vec<String>,
    pub description: String,
    pub suggestion: String,
    pub brief: String,
    pub standard: String,
    pub detailed: String,
}

impl OverheadCategory {
    /// The category as one regex (its substrings, escaped, as alternatives).
    pub fn regex(&self) -> String {
        substrings_regex(&self.patterns)
    }
}

/// An explained function (beyond the categories).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ExplainedFunction {
    pub name: String,
    pub patterns: Vec<String>,
    pub category: String,
    pub brief: String,
    pub standard: String,
    pub detailed: String,
}

#[derive(Debug, Deserialize)]
pub struct OverheadData {
    pub categories: Vec<OverheadCategory>,
    pub functions: Vec<ExplainedFunction>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct KnownIssue {
    pub id: String,
    /// Module or package path the issue belongs to.
    pub package: String,
    /// Regex over function names that shows the issue.
    pub functions: String,
    pub title: String,
    pub problem: String,
    pub suggestion: String,
}

#[derive(Debug, Deserialize)]
struct KnownIssues {
    issues: Vec<KnownIssue>,
}

/// Substrings as one regex of escaped alternatives.
pub fn substrings_regex(subs: &[String]) -> String {
    subs.iter()
        .map(|s| regex::escape(s))
        .collect::<Vec<_>>()
        .join("|")
}

// The files are part of the build; a malformed one fails the unit tests below, so the
// fallbacks (no data) are never seen in a released build.
static OVERHEAD: LazyLock<OverheadData> = LazyLock::new(|| {
    serde_json::from_str(include_str!("data/overhead.json")).unwrap_or(OverheadData {
        categories: Vec::new(),
        functions: Vec::new(),
    })
});

static ISSUES: LazyLock<Vec<KnownIssue>> = LazyLock::new(|| {
    serde_json::from_str::<KnownIssues>(include_str!("data/known_issues.json"))
        .map(|k| k.issues)
        .unwrap_or_default()
});

pub fn overhead_categories() -> &'static [OverheadCategory] {
    &OVERHEAD.categories
}

pub fn explained_functions() -> &'static [ExplainedFunction] {
    &OVERHEAD.functions
}

pub fn known_issues() -> &'static [KnownIssue] {
    &ISSUES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_parse_and_their_regexes_compile() {
        let o: OverheadData = serde_json::from_str(include_str!("data/overhead.json")).unwrap();
        assert_eq!(o.categories.len(), 10);
        for c in &o.categories {
            assert!(regex::Regex::new(&c.regex()).is_ok(), "{}", c.name);
            assert!(!c.brief.is_empty() && !c.standard.is_empty() && !c.detailed.is_empty());
        }
        for f in &o.functions {
            assert!(
                o.categories.iter().any(|c| c.name == f.category),
                "{}",
                f.name
            );
        }
        let k: KnownIssues = serde_json::from_str(include_str!("data/known_issues.json")).unwrap();
        assert!(k.issues.len() >= 8);
        for i in &k.issues {
            assert!(regex::Regex::new(&i.functions).is_ok(), "{}", i.id);
        }
    }
}
