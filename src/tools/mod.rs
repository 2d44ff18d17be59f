//! Analyses: each is a canned query under `sql/` plus a little Rust around it.

pub mod across;
pub mod analysis;
pub mod columns;
pub mod pprof;
pub mod top;

use crate::engine::EngineError;
use crate::tables::LoadedProfile;

/// Errors of the tools.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    InvalidArgument(String),
    /// A regex that names what to report on matched nothing (pprof's wording).
    #[error("no matches found for regexp: {0}")]
    NoMatch(String),
    #[error("query {query} returned an unexpected result: {detail}")]
    Internal { query: &'static str, detail: String },
}

/// A resolved sample type of a profile.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SampleType {
    pub index: usize,
    pub r#type: String,
    pub unit: String,
    /// The column holding it in `samples`, `frames` and `stacks`.
    pub column: String,
}

/// Resolves a `sample_index` (name, number or empty for pprof's default).
pub fn resolve_sample_type(
    lp: &LoadedProfile,
    spec: Option<&str>,
) -> Result<SampleType, ToolError> {
    let index = lp
        .profile
        .resolve_sample_index(spec.unwrap_or(""))
        .map_err(|e| ToolError::InvalidArgument(format!("{}: {e}", lp.source)))?;
    Ok(SampleType {
        index,
        r#type: lp.profile.sample_type_name(index).to_string(),
        unit: lp.profile.sample_type_unit(index).to_string(),
        column: lp.value_column(index).unwrap_or_default().to_string(),
    })
}
