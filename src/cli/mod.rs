//! Command-line front doors: argument shapes and the interactive shell. They only parse,
//! call the library, and print.

pub mod profctl;
pub mod profsql;
pub mod progress;
pub mod repl;
pub mod tool_commands;

/// Errors surfaced to the command line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    #[error(transparent)]
    Tool(#[from] crate::tools::ToolError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
    /// Not a `#[from]`: that would make the error its own source, printed twice.
    #[error("{}", .0.text())]
    Call(crate::registry::CallError),
    /// A check that failed: `output` is still printed before exiting non-zero.
    #[error("{reason}")]
    Failed { output: String, reason: String },
    #[error("interactive shell: {0}")]
    Readline(String),
}

impl From<crate::registry::CallError> for CliError {
    fn from(e: crate::registry::CallError) -> Self {
        CliError::Call(e)
    }
}
