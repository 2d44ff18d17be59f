//! Pattern-based fix suggestions: the known performance issues (and heavy overhead
//! categories) a profile shows, each with the functions that show it. Guidance only: no
//! code is generated.

use serde::Serialize;

use super::knowledge::{self, KnownIssue};
use super::overhead::{functions, shares};
use super::{pct, round2, user_regex};
use crate::engine::Engine;
use crate::tools::{SampleType, ToolError};

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Evidence {
    pub function: String,
    pub cum_pct: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Suggestion {
    pub id: String,
    pub title: String,
    /// Share of the profile with a frame matching the issue (each sample once).
    pub share_pct: f64,
    pub problem: String,
    pub suggestion: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Suggestions {
    pub sample_type: String,
    pub suggestions: Vec<Suggestion>,
    pub warnings: Vec<String>,
}

/// Issues whose functions hold at least `min_pct` of the profile; with `function`, only
/// issues whose regex matches one of the functions that regex matches.
pub async fn suggest(
    engine: &Engine,
    id: u32,
    st: &SampleType,
    function: Option<&str>,
    min_pct: f64,
) -> Result<Suggestions, ToolError> {
    let filter = function.map(|f| user_regex("function", f)).transpose()?;
    let issues: &[KnownIssue] = knowledge::known_issues();
    let cats = knowledge::overhead_categories();
    // Issues first (ord 1..), then categories (ord 1000+).
    let mut rows: Vec<(i64, String)> = issues
        .iter()
        .enumerate()
        .map(|(i, k)| (i as i64 + 1, k.functions.clone()))
        .collect();
    rows.extend(
        cats.iter()
            .enumerate()
            .map(|(i, c)| (1000 + i as i64, c.regex())),
    );
    let sh = shares(engine, id, st, &rows).await?;
    let fns = functions(engine, id, st, &rows).await?;
    let total = sh.get(&-1).copied().unwrap_or(0);
    let mut out = Vec::new();
    for (ord, _) in &rows {
        let share = round2(pct(sh.get(ord).copied().unwrap_or(0), total));
        if share < min_pct {
            continue;
        }
        let list = fns.get(ord).cloned().unwrap_or_default();
        if let Some(f) = &filter {
            if !list.iter().any(|(n, _)| f.is_match(n)) {
                continue;
            }
        }
        let evidence = list
            .iter()
            .take(5)
            .map(|(n, c)| Evidence {
                function: n.clone(),
                cum_pct: round2(pct(*c, total)),
            })
            .collect();
        if *ord >= 1000 {
            let c = &cats[(*ord - 1000) as usize];
            // A category is advice only when it is heavy; issues name their own cause.
            if share < 10.0 {
                continue;
            }
            out.push(Suggestion {
                id: format!("overhead:{}", c.name),
                title: c.description.clone(),
                share_pct: share,
                problem: c.standard.clone(),
                suggestion: c.suggestion.clone(),
                evidence,
            });
        } else {
            let k = &issues[(*ord - 1) as usize];
            out.push(Suggestion {
                id: k.id.clone(),
                title: k.title.clone(),
                share_pct: share,
                problem: k.problem.clone(),
                suggestion: k.suggestion.clone(),
                evidence,
            });
        }
    }
    // A category whose functions a known issue already names adds nothing to it.
    let named: Vec<String> = out
        .iter()
        .filter(|s| !s.id.starts_with("overhead:"))
        .flat_map(|s| s.evidence.iter().map(|e| e.function.clone()))
        .collect();
    out.retain(|s| {
        !s.id.starts_with("overhead:") || !s.evidence.iter().any(|e| named.contains(&e.function))
    });
    out.sort_by(|a, b| {
        b.share_pct
            .total_cmp(&a.share_pct)
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut warnings = Vec::new();
    if out.is_empty() {
        warnings.push(format!(
            "no known issue holds {min_pct}% or more of this profile{}",
            function
                .map(|f| format!(" among functions matching {f:?}"))
                .unwrap_or_default()
        ));
    }
    Ok(Suggestions {
        sample_type: st.r#type.clone(),
        suggestions: out,
        warnings,
    })
}
