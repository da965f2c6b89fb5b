//! The one error type that crosses the IPC boundary.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input was refused; `field` names the culprit when there is one.
    Validation,
    NotFound,
    /// The write clashes with what is stored (a duplicate email, say).
    Conflict,
    /// The request could not be read (a malformed IPC argument).
    BadRequest,
    /// Something failed on our side; the message is safe to show, details are in the log.
    Internal,
    /// The database could not be opened at the start (damaged, not a Dealdesk file, no space):
    /// nothing can be read or saved, and the window says so instead of showing empty lists.
    Unavailable,
}

/// An error as the UI receives it: a code to branch on, a message to show, the field to mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), field: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}
