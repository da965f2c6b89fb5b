use dealdesk_ai::AiError;

#[derive(Debug, thiserror::Error)]
pub enum AutomationError {
    #[error("{0}")]
    Invalid(String),
    #[error("no workflow {0:?}")]
    UnknownWorkflow(String),
    #[error("no workflow run #{0}")]
    UnknownRun(i64),
    #[error("a workflow run holds malformed data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error(transparent)]
    Crm(#[from] dealdesk_crm::CrmError),
    #[error(transparent)]
    Esign(#[from] dealdesk_esign::EsignError),
    #[error(transparent)]
    Whop(#[from] dealdesk_whop::WhopError),
    #[error("database error in automations: {0}")]
    Store(#[from] sqlx::Error),
}

impl From<&AutomationError> for dealdesk_model::ApiError {
    fn from(error: &AutomationError) -> Self {
        use dealdesk_model::ErrorCode;
        let code = match error {
            AutomationError::Ai(ai) => return ai.into(),
            AutomationError::Crm(crm) => return crm.into(),
            AutomationError::Esign(esign) => return esign.into(),
            AutomationError::Whop(whop) => return whop.into(),
            AutomationError::Invalid(_) => ErrorCode::Validation,
            AutomationError::UnknownWorkflow(_) | AutomationError::UnknownRun(_) => ErrorCode::NotFound,
            AutomationError::Corrupt(_) | AutomationError::Store(_) => ErrorCode::Internal,
        };
        dealdesk_model::ApiError::new(code, error.to_string())
    }
}
