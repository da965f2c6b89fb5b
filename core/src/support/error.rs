use crate::crm::CrmError;
use crate::crm::csv::ImportError;
use crate::store::StoreError;
use dealdesk_model::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Crm(#[from] CrmError),
    #[error("{file}: {source}")]
    Import { file: String, source: ImportError },
    #[error("cannot create the log folder {path}: {source}")]
    LogDir { path: std::path::PathBuf, source: std::io::Error },
    #[error("the sample workspace is already loaded")]
    SampleAlreadyLoaded,
    #[error("the sample workspace goes into an empty database; this one has records")]
    NotEmpty,
    #[error("the seed of the sample deals' ids is unreadable: {0:?}")]
    SampleSeed(String),
}

impl From<&SupportError> for ApiError {
    fn from(error: &SupportError) -> Self {
        let code = match error {
            SupportError::Crm(crm) => return crm.into(),
            SupportError::Import { .. } => ErrorCode::Validation,
            SupportError::SampleAlreadyLoaded | SupportError::NotEmpty => ErrorCode::Conflict,
            SupportError::Store(StoreError::BackupNotFound(_)) => ErrorCode::NotFound,
            SupportError::Store(StoreError::BackupUnreadable { .. } | StoreError::NewerDatabase { .. }) => {
                ErrorCode::Validation
            }
            SupportError::Store(
                StoreError::DatabaseHeld { .. } | StoreError::DatabaseInUse { .. } | StoreError::NotDamaged { .. },
            ) => ErrorCode::Conflict,
            SupportError::Store(_)
            | SupportError::Database(_)
            | SupportError::LogDir { .. }
            | SupportError::SampleSeed(_) => ErrorCode::Internal,
        };
        ApiError::new(code, error.to_string())
    }
}
