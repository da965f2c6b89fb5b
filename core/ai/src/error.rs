use dealdesk_net::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    #[error("AI is switched off (Settings → AI, or DEALDESK_AI=off)")]
    Disabled,
    #[error("no API key for {provider}: add one in Settings → AI or set DEALDESK_AI_API_KEY")]
    NoApiKey { provider: &'static str },
    #[error("invalid AI settings: {0}")]
    Config(String),
    #[error("{0}")]
    Invalid(String),
    #[error("cannot reach the AI provider at {url}: {message}")]
    Network { url: String, message: String },
    #[error("the AI provider took longer than {seconds} s to answer")]
    Timeout { seconds: u64 },
    #[error("the AI provider answered {status}{}: {message}", kind.as_deref().map(|k| format!(" ({k})")).unwrap_or_default())]
    Api { status: u16, kind: Option<String>, message: String },
    #[error("the AI provider sent an answer Dealdesk cannot read: {0}")]
    Decode(String),
    /// The model's answer does not match the action's schema; nothing is guessed from it.
    #[error("the model's answer does not fit the expected shape: {0}")]
    InvalidOutput(String),
    #[error("the model refused: {0}")]
    Refused(String),
    #[error(
        "this month's AI spend (${:.4}) has reached the budget (${:.4}): raise it in Settings → AI",
        *spent_micros as f64 / 1e6,
        *budget_micros as f64 / 1e6
    )]
    OverBudget { spent_micros: i64, budget_micros: i64 },
    #[error("no prompt template {0}")]
    UnknownTemplate(uuid::Uuid),
    #[error("no workflow {0}")]
    UnknownWorkflow(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Crm(#[from] dealdesk_crm::CrmError),
    #[error(transparent)]
    Sync(#[from] dealdesk_outbox::OutboxError),
    #[error("database error in AI: {0}")]
    Store(#[from] sqlx::Error),
}

impl AiError {
    /// The network is missing: the call can wait in the outbox.
    pub fn is_offline(&self) -> bool {
        matches!(self, AiError::Network { .. })
    }

    /// Worth trying again later without changing anything (network, timeouts, 408/409/429/5xx).
    pub fn is_transient(&self) -> bool {
        matches!(self, AiError::Network { .. } | AiError::Timeout { .. } | AiError::Decode(_))
            || matches!(self, AiError::Api { status, .. } if matches!(status, 408 | 409 | 429) || *status >= 500)
    }
}

impl From<&AiError> for dealdesk_model::ApiError {
    fn from(error: &AiError) -> Self {
        use dealdesk_model::ErrorCode;
        let code = match error {
            AiError::Crm(crm) => return crm.into(),
            AiError::Sync(sync) => return sync.into(),
            AiError::Config(_) | AiError::Invalid(_) | AiError::NoApiKey { .. } | AiError::OverBudget { .. } => {
                ErrorCode::Validation
            }
            AiError::UnknownTemplate(_) | AiError::UnknownWorkflow(_) => ErrorCode::NotFound,
            AiError::Disabled => ErrorCode::Conflict,
            _ => ErrorCode::Internal,
        };
        dealdesk_model::ApiError::new(code, error.to_string())
    }
}
