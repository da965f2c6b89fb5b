use dealdesk_model::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum RevenueError {
    #[error("bad month '{0}': expected YYYY-MM, such as 2026-11")]
    BadMonth(String),
    #[error("ask for 1 to 120 months, not {0}")]
    BadMonthCount(u32),
    #[error("the revenue figures could not be read from the database: {0}")]
    Store(#[from] sqlx::Error),
    #[error("the revenue figures' rows could not be read: {0}")]
    Rows(String),
}

impl From<&RevenueError> for ApiError {
    fn from(error: &RevenueError) -> Self {
        let code = match error {
            RevenueError::BadMonth(_) | RevenueError::BadMonthCount(_) => ErrorCode::Validation,
            RevenueError::Store(_) | RevenueError::Rows(_) => ErrorCode::Internal,
        };
        ApiError::new(code, error.to_string())
    }
}
