#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("the team hub could not be reached or refused the request: {0}")]
    Hub(#[from] sqlx::Error),
    #[error(
        "this database already holds a Dealdesk hub (schema version {0}); join it instead, or use an empty database"
    )]
    AlreadyInitialised(i32),
    #[error("this database holds no Dealdesk hub: run `team init` on it first")]
    NotInitialised,
    #[error("the hub is at schema version {hub} and this Dealdesk knows version {ours}: update Dealdesk")]
    HubIsNewer { hub: i32, ours: i32 },
    #[error("the database refused: {0} (a read-only member, a removed member, or not a member of this workspace)")]
    Refused(String),
    #[error("the hub refused this desktop's changes: {0}; set this computer's date and time right (automatic time)")]
    ClockAhead(String),
    #[error("'{0}' is not an email address")]
    BadEmail(String),
    #[error("no member with email {0} in this workspace")]
    NoSuchMember(String),
    #[error("this hub address cannot be read: {0}")]
    BadUrl(String),
    #[error("this join code cannot be read: {0}")]
    BadJoinCode(String),
}

impl TeamError {
    /// The database's refusal of a privilege (SQLSTATE 42501) as such, other failures as they are.
    pub(crate) fn from_hub(error: sqlx::Error) -> TeamError {
        match &error {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("42501") => {
                TeamError::Refused(db.message().to_string())
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22008") => {
                TeamError::ClockAhead(db.message().to_string())
            }
            _ => TeamError::Hub(error),
        }
    }
}
