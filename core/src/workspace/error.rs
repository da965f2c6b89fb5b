use crate::crm::CrmError;
use crate::secrets::SecretError;
use crate::team::TeamError;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("this desktop is not in a team workspace: run `team init` (the owner) or `team join CODE` first")]
    NotLinked,
    #[error("this desktop is already in team workspace {0}: leave it first (`team leave`)")]
    AlreadyLinked(String),
    #[error("this desktop is no longer in its team workspace ({0}); its local copy stays as it was")]
    Left(String),
    #[error("only the workspace's owner can invite or remove members, or upgrade the hub")]
    NotOwner,
    #[error("a read-only member cannot change what the workspace shares")]
    ReadOnly,
    #[error("no held change has hub number {0} (team held lists them)")]
    NoHeldChange(i64),
    #[error("the hub address has no password: add it to the URL or set PGPASSWORD")]
    NoPassword,
    #[error(
        "this computer's clock is {ahead_secs} s ahead of the team hub's, more than the {margin_secs} s allowed: \
         set the date and time right (automatic time) and sync again"
    )]
    ClockAhead { ahead_secs: i64, margin_secs: i64 },
    #[error("the team hub cannot be reached (offline?): {0}")]
    Offline(String),
    #[error("the team hub refused this desktop's password; ask the owner for a new join code")]
    PasswordRefused,
    #[error("the workspace's password is missing from the keyring; join again with a new code")]
    NoSecret,
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error(transparent)]
    Crm(#[from] CrmError),
    #[error("the keyring: {0}")]
    Secret(#[from] SecretError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored team state is unreadable: {0}")]
    Corrupt(String),
}

impl From<&WorkspaceError> for dealdesk_model::ApiError {
    fn from(error: &WorkspaceError) -> Self {
        use dealdesk_model::ErrorCode;
        let code = match error {
            WorkspaceError::NotLinked | WorkspaceError::NoSecret | WorkspaceError::NoHeldChange(_) => {
                ErrorCode::NotFound
            }
            WorkspaceError::AlreadyLinked(_) | WorkspaceError::Left(_) => ErrorCode::Conflict,
            WorkspaceError::Database(_) | WorkspaceError::Corrupt(_) => ErrorCode::Internal,
            _ => ErrorCode::Validation,
        };
        dealdesk_model::ApiError::new(code, error.to_string())
    }
}
