//! Output: query results as text tables, CSV, JSON or NDJSON; Parquet export; atomic
//! file writing.

mod atomic;
pub mod dot;
pub mod flamegraph;
pub mod folded;
mod format;
pub mod graphviz;
pub mod parquet;
pub mod pprof_text;
pub mod speedscope;
pub mod tabwriter;

pub use atomic::{write_atomically, AtomicFile};
pub use format::{write_result, OutputFormat};

/// Errors while writing output.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    #[error("{0}")]
    Parquet(String),
}
