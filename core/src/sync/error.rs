use crate::whop::WhopError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
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
    Whop(#[from] WhopError),
    #[error(transparent)]
    Crm(#[from] crate::crm::CrmError),
    #[error("database error in the outbox: {0}")]
    Store(#[from] sqlx::Error),
}

impl From<&SyncError> for dealdesk_model::ApiError {
    fn from(error: &SyncError) -> Self {
        use dealdesk_model::ErrorCode;
        let code = match error {
            SyncError::Whop(whop) => return whop.into(),
            SyncError::Crm(crm) => return crm.into(),
            SyncError::UnknownOperation(_) | SyncError::UnknownConflict(_) => ErrorCode::NotFound,
            SyncError::WrongStatus { .. } | SyncError::AlreadyResolved(_) => ErrorCode::Conflict,
            SyncError::InvalidAction(_) => ErrorCode::Validation,
            SyncError::Corrupt(_) | SyncError::Store(_) => ErrorCode::Internal,
        };
        dealdesk_model::ApiError::new(code, error.to_string())
    }
}
