use dealdesk_model::{ApiError, ErrorCode, MoneyParseError, RecordKind};

#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error("{field}: '{value}' is not a valid email address")]
    InvalidEmail { field: &'static str, value: String },
    #[error("domain: '{0}' is not a valid domain (expected something like acme.com)")]
    InvalidDomain(String),
    #[error("{field}: '{value}' is not a valid web address")]
    InvalidUrl { field: &'static str, value: String },
    #[error("{0}")]
    Money(#[source] MoneyParseError),
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("a name is required: give a first or last name")]
    MissingPersonName,
    #[error("{0}: a name is required")]
    MissingName(RecordKind),
    #[error("{field} is too long: {len} characters, the limit is {limit}")]
    TooLong { field: String, len: usize, limit: usize },
    #[error("{field} contains control characters")]
    ControlCharacters { field: String },
    #[error("unknown stage '{stage}' in pipeline '{pipeline}' (stages: {known})")]
    UnknownStage { stage: String, pipeline: String, known: String },
    #[error("no pipeline with id {0}")]
    UnknownPipeline(String),
    #[error("company '{0}' does not exist")]
    CompanyNotFound(String),
    #[error("person '{0}' does not exist")]
    PersonNotFound(String),
    #[error("no {kind} with id {id}")]
    NotFound { kind: RecordKind, id: String },
    #[error("no record with id {0}")]
    RecordNotFound(String),
    #[error("'{0}' is not a record id (expected a UUID)")]
    InvalidId(String),
    #[error("email {email} already belongs to {existing}")]
    DuplicateEmail { email: String, existing: String },
    #[error("domain {domain} already belongs to company {existing}")]
    DuplicateDomain { domain: String, existing: String },
    #[error("a {kind} with id {id} already exists")]
    DuplicateId { kind: RecordKind, id: String },
    #[error("a lost deal needs a lost reason")]
    LostReasonRequired,
    #[error("no custom field '{key}' on {object}")]
    UnknownCustomField { object: RecordKind, key: String },
    #[error("custom field '{key}': {message}")]
    InvalidCustomValue { key: String, message: String },
    #[error("custom field key '{0}' must be lower-case letters, digits and _ (starting with a letter)")]
    InvalidCustomKey(String),
    #[error("a custom field '{key}' already exists on {object}")]
    DuplicateCustomField { object: RecordKind, key: String },
    #[error("the page cursor is invalid or belongs to another sort")]
    InvalidCursor,
    #[error("{kind} {id} is in the trash")]
    Deleted { kind: RecordKind, id: String },
    #[error("{0} records cannot have notes, tasks or tags")]
    NotTaggable(RecordKind),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("the people of churn segment '{segment}' could not be found: {reason}")]
    ChurnSegment { segment: &'static str, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl CrmError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CrmError::InvalidField { field: field.into(), message: message.into() }
    }

    /// The input field the error is about, for marking it in a form.
    pub fn field(&self) -> Option<String> {
        match self {
            CrmError::InvalidEmail { field, .. } | CrmError::InvalidUrl { field, .. } => Some(field.to_string()),
            CrmError::InvalidDomain(_) | CrmError::DuplicateDomain { .. } => Some("domain".into()),
            CrmError::Money(MoneyParseError::UnknownCurrency(_)) => Some("currency".into()),
            CrmError::Money(_) => Some("amount".into()),
            CrmError::InvalidField { field, .. }
            | CrmError::TooLong { field, .. }
            | CrmError::ControlCharacters { field } => Some(field.clone()),
            CrmError::MissingPersonName => Some("first_name".into()),
            CrmError::MissingName(_) => Some("name".into()),
            CrmError::UnknownStage { .. } => Some("stage".into()),
            CrmError::CompanyNotFound(_) => Some("company".into()),
            CrmError::PersonNotFound(_) => Some("contact".into()),
            CrmError::DuplicateEmail { .. } => Some("email".into()),
            CrmError::LostReasonRequired => Some("lost_reason".into()),
            CrmError::UnknownCustomField { key, .. } | CrmError::InvalidCustomValue { key, .. } => {
                Some(format!("custom.{key}"))
            }
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            CrmError::NotFound { .. } | CrmError::RecordNotFound(_) => ErrorCode::NotFound,
            CrmError::DuplicateEmail { .. }
            | CrmError::DuplicateDomain { .. }
            | CrmError::DuplicateId { .. }
            | CrmError::DuplicateCustomField { .. }
            | CrmError::Deleted { .. } => ErrorCode::Conflict,
            CrmError::Database(_) | CrmError::Corrupt(_) | CrmError::ChurnSegment { .. } => ErrorCode::Internal,
            _ => ErrorCode::Validation,
        }
    }
}

impl From<MoneyParseError> for CrmError {
    fn from(error: MoneyParseError) -> Self {
        CrmError::Money(error)
    }
}

impl From<&CrmError> for ApiError {
    fn from(error: &CrmError) -> Self {
        let message = match error {
            // Database details go to the log, not the window.
            CrmError::Database(_) => "the database could not complete the request; see the log".to_string(),
            CrmError::Money(inner) => inner.to_string(),
            other => other.to_string(),
        };
        ApiError { code: error.code(), message, field: error.field() }
    }
}
