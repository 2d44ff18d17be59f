//! A failed call: a code the client can act on, a message, and what would help.

use serde_json::{json, Value};

use crate::engine::EngineError;
use crate::tools::ToolError;

/// Error codes of the original tool, kept so agents' handling carries over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidArgument,
    NotFound,
    Internal,
    Canceled,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::Canceled => "CANCELED",
        }
    }
}

#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct CallError {
    pub code: ErrorCode,
    pub message: String,
    /// The argument at fault, when there is one.
    pub field: Option<String>,
    pub hint: Option<String>,
}

impl CallError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            hint: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The message with its `Hint:` line.
    pub fn text(&self) -> String {
        match &self.hint {
            Some(h) => format!("{}\nHint: {h}", self.message),
            None => self.message.clone(),
        }
    }

    /// `{"error": {"message", "code", "details"?}}`.
    pub fn to_json(&self) -> Value {
        let mut details = serde_json::Map::new();
        if let Some(f) = &self.field {
            details.insert("field".into(), json!(f));
        }
        if let Some(h) = &self.hint {
            details.insert("hint".into(), json!(h));
        }
        let mut error = json!({ "message": self.message, "code": self.code.as_str() });
        if !details.is_empty() {
            error["details"] = Value::Object(details);
        }
        json!({ "error": error })
    }
}

impl From<ToolError> for CallError {
    fn from(e: ToolError) -> Self {
        match e {
            ToolError::InvalidArgument(m) => CallError::invalid(m),
            ToolError::NoMatch(_) => CallError::invalid(e.to_string()),
            ToolError::Engine(e) => e.into(),
            ToolError::Internal { .. } => CallError::internal(e.to_string()),
        }
    }
}

impl From<EngineError> for CallError {
    fn from(e: EngineError) -> Self {
        match e {
            // A profile that does not decode is the caller's input.
            EngineError::Decode(_) => CallError::invalid(e.to_string()),
            EngineError::UnknownProfile(_) => CallError::not_found(e.to_string()),
            _ => CallError::internal(e.to_string()),
        }
    }
}

impl From<crate::sources::SourceError> for CallError {
    fn from(e: crate::sources::SourceError) -> Self {
        use crate::sources::SourceError as S;
        let code = match &e {
            S::Config(_) | S::Invalid(_) => ErrorCode::InvalidArgument,
            S::NotFound(_) => ErrorCode::NotFound,
            S::Status { status: 404, .. } => ErrorCode::NotFound,
            S::Status {
                status: 400 | 401 | 403,
                ..
            } => ErrorCode::InvalidArgument,
            S::Status { .. } | S::Transport { .. } | S::Corrupt { .. } | S::Io { .. } => {
                ErrorCode::Internal
            }
        };
        let hint = match &e {
            S::Config(m) if m.contains("DD_API_KEY") => {
                Some("export DD_API_KEY and DD_APP_KEY (and DD_SITE if not us3.datadoghq.com)")
            }
            S::Status {
                status: 401 | 403, ..
            } => Some("check DD_API_KEY, DD_APP_KEY and DD_SITE (the keys belong to one site)"),
            _ => None,
        };
        let err = CallError::new(code, e.to_string());
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}
