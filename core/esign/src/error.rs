use dealdesk_net::secrets::SecretError;
use dealdesk_typeset::TypesetError;

#[derive(Debug, thiserror::Error)]
pub enum EsignError {
    #[error("contract signing is switched off (Settings → Contracts, or DEALDESK_ESIGN=off)")]
    Disabled,
    #[error("{0}")]
    Invalid(String),
    #[error("invalid e-sign settings: {0}")]
    Config(String),
    #[error("the contract does not render: {0}")]
    Render(String),
    #[error("the template needs merge fields this deal has no value for: {}", .0.join(", "))]
    MissingFields(Vec<String>),
    #[error("the template uses merge fields that do not exist: {}", .0.join(", "))]
    UnknownFields(Vec<String>),
    #[error("{provider} is not connected: {hint}")]
    NotConnected { provider: &'static str, hint: &'static str },
    #[error("cannot reach {provider} at {url}: {message}")]
    Network { provider: &'static str, url: String, message: String },
    #[error("{provider} answered {status}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        provider: &'static str,
        status: u16,
        code: Option<String>,
        message: String,
        retry_after: Option<std::time::Duration>,
    },
    #[error("{provider} sent something Dealdesk cannot accept: {message}")]
    Decode { provider: &'static str, message: String },
    #[error("the {provider} sign-in failed: {message}")]
    Login { provider: &'static str, message: String },
    #[error("no contract {0}")]
    UnknownContract(uuid::Uuid),
    #[error("no contract template {0}")]
    UnknownTemplate(String),
    #[error("the stored {what} of contract {contract} cannot be opened: {message}")]
    Sealed { contract: uuid::Uuid, what: &'static str, message: String },
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Crm(#[from] dealdesk_crm::CrmError),
    #[error(transparent)]
    Sync(#[from] dealdesk_outbox::OutboxError),
    #[error("database error in contracts: {0}")]
    Store(#[from] sqlx::Error),
}

impl EsignError {
    /// The provider cannot be reached: the operation waits for the network.
    pub fn is_offline(&self) -> bool {
        matches!(self, EsignError::Network { .. })
    }

    /// Worth trying again later unchanged (network, rate limits, 409 while files are prepared, 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(self, EsignError::Network { .. } | EsignError::Decode { .. })
            || matches!(self, EsignError::Api { status, .. } if matches!(status, 408 | 409 | 429) || *status >= 500)
    }
}

impl From<&EsignError> for dealdesk_model::ApiError {
    fn from(error: &EsignError) -> Self {
        use dealdesk_model::ErrorCode;
        let code = match error {
            EsignError::Crm(crm) => return crm.into(),
            EsignError::Sync(sync) => return sync.into(),
            EsignError::Invalid(_)
            | EsignError::Config(_)
            | EsignError::Render(_)
            | EsignError::MissingFields(_)
            | EsignError::UnknownFields(_)
            | EsignError::NotConnected { .. } => ErrorCode::Validation,
            EsignError::UnknownContract(_) | EsignError::UnknownTemplate(_) => ErrorCode::NotFound,
            EsignError::Disabled => ErrorCode::Conflict,
            _ => ErrorCode::Internal,
        };
        dealdesk_model::ApiError::new(code, error.to_string())
    }
}

impl From<TypesetError> for EsignError {
    fn from(error: TypesetError) -> EsignError {
        match error {
            TypesetError::Invalid(message) => EsignError::Invalid(message),
            TypesetError::Render(message) => EsignError::Render(message),
        }
    }
}
