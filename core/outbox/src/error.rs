#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("no outbox operation #{0}")]
    UnknownOperation(i64),
    #[error("no conflict #{0}")]
    UnknownConflict(i64),
    #[error("operation #{id} is {status}: only {allowed} operations can be {verb}")]
    WrongStatus { id: i64, status: String, allowed: &'static str, verb: &'static str },
    #[error("conflict #{0} is already resolved")]
    AlreadyResolved(i64),
    #[error("{0}")]
    InvalidAction(String),
    #[error("the outbox holds a malformed row: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Crm(#[from] dealdesk_crm::CrmError),
    #[error("database error in the outbox: {0}")]
    Store(#[from] sqlx::Error),
}

impl From<&OutboxError> for dealdesk_model::ApiError {
    fn from(error: &OutboxError) -> Self {
        use dealdesk_model::ErrorCode;
        let code = match error {
            OutboxError::Crm(crm) => return crm.into(),
            OutboxError::UnknownOperation(_) | OutboxError::UnknownConflict(_) => ErrorCode::NotFound,
            OutboxError::WrongStatus { .. } | OutboxError::AlreadyResolved(_) => ErrorCode::Conflict,
            OutboxError::InvalidAction(_) => ErrorCode::Validation,
            OutboxError::Corrupt(_) | OutboxError::Store(_) => ErrorCode::Internal,
        };
        dealdesk_model::ApiError::new(code, error.to_string())
    }
}
