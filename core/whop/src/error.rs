use dealdesk_net::secrets::SecretError;

pub use dealdesk_net::oauth::DeepLinkError;
use dealdesk_net::oauth::OAuthError;

#[derive(Debug, thiserror::Error)]
pub enum WhopError {
    #[error("the Whop integration is switched off (Settings → Integrations → Whop, or DEALDESK_WHOP=off)")]
    Disabled,
    #[error("not connected to Whop: connect in Settings → Integrations → Whop or run `dealdesk-cli whop login`")]
    NotConnected,
    #[error("invalid Whop configuration: {0}")]
    Config(String),
    #[error("refused link: {0}")]
    DeepLink(#[from] DeepLinkError),
    #[error(
        "this sign-in link does not belong to a login in progress (it was already used, or expired after 10 minutes): start Connect Whop again"
    )]
    UnknownLoginState,
    #[error("Whop refused the sign-in: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Authorization { error: String, description: Option<String> },
    #[error("the sign-in answer from Whop failed a security check: {0}")]
    TokenCheck(String),
    #[error("Whop refused the tokens: {0}")]
    Token(String),
    #[error("the Whop session has ended (refresh refused: {0}); connect again")]
    SessionEnded(String),
    #[error("cannot reach Whop at {url}: {message}")]
    Network { url: String, message: String },
    #[error("Whop took longer than {seconds} s to answer {url}")]
    Timeout { url: String, seconds: u64 },
    #[error("Whop is rate limiting requests to {url}; retry in {retry_after_secs} s")]
    RateLimited { url: String, retry_after_secs: u64 },
    #[error("Whop answered {status} for {url}: {message}")]
    Api { status: u16, url: String, kind: Option<String>, message: String },
    /// 403: the token lacks a permission the endpoint needs, or the account lost access.
    #[error("{}", forbidden_text(.0))]
    Forbidden(Box<Refusal>),
    #[error("Whop sent an answer Dealdesk cannot read from {url}: {message}")]
    Decode { url: String, message: String },
    #[error("{0}")]
    InvalidAction(String),
    /// A queued message whose idempotency key Whop may have forgotten: sending it again could
    /// deliver it twice, and whether it arrived cannot be read back.
    #[error(
        "Whop may already have delivered this message: it first went out at {first_sent}, more than 23 hours \
         ago, and Whop no longer remembers its idempotency key, so sending it again could deliver it twice. \
         Check the conversation on Whop; Retry sends it again"
    )]
    MessageMayHaveArrived { first_sent: String },
    #[error("outbox: {0}")]
    Outbox(String),
    #[error("the loopback redirect listener failed: {0}")]
    Loopback(String),
    #[error("timed out waiting for the browser to come back from Whop")]
    LoginTimeout,
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("database error during Whop sync: {0}")]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Crm(#[from] dealdesk_crm::CrmError),
}

/// What a 403 refused, and what it may have lacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `POST /payments/{id}/refund`
    pub call: String,
    pub url: String,
    /// The endpoint's required permissions.
    pub required: Vec<String>,
    /// Those known not to be granted (`None`: Whop did not say what it granted).
    pub missing: Option<Vec<String>>,
    /// Whop's message.
    pub message: String,
}

impl Refusal {
    /// Every permission the call needs was granted: the account lost access to the object.
    pub fn access_lost(&self) -> bool {
        self.missing.as_ref().is_some_and(Vec::is_empty)
    }
}

fn forbidden_text(refusal: &Refusal) -> String {
    let Refusal { call, required, missing, message, .. } = refusal;
    match missing {
        Some(missing) if !missing.is_empty() => format!(
            "Whop refused {call}: Dealdesk was not granted {}. Reconnect Whop (Settings → Integrations → Whop, or \
             `dealdesk-cli whop login`) and approve {}",
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        ),
        Some(_) => format!(
            "Whop refused {call} ({message}): your Whop account may no longer have access to this business or object"
        ),
        None if required.is_empty() => format!(
            "Whop refused {call} ({message}): your Whop account may no longer have access to this business or object"
        ),
        None => format!(
            "Whop refused {call} ({message}): it needs the permission{} {}; reconnect Whop and approve {}, or check \
             that your account still manages this business",
            if required.len() == 1 { "" } else { "s" },
            required.join(", "),
            if required.len() == 1 { "it" } else { "them" }
        ),
    }
}

impl WhopError {
    /// The permissions a 403 says are missing (known ones only).
    pub fn missing_permissions(&self) -> &[String] {
        match self {
            WhopError::Forbidden(refusal) => refusal.missing.as_deref().unwrap_or_default(),
            _ => &[],
        }
    }

    /// Errors worth retrying later without user action (the network or the server).
    pub fn is_transient(&self) -> bool {
        matches!(self, WhopError::Network { .. } | WhopError::Timeout { .. } | WhopError::RateLimited { .. })
            || matches!(self, WhopError::Api { status, .. } if *status >= 500)
    }
}

impl From<&WhopError> for dealdesk_model::ApiError {
    fn from(error: &WhopError) -> Self {
        use dealdesk_model::ErrorCode;
        let code = match error {
            WhopError::Crm(crm) => return crm.into(),
            WhopError::DeepLink(_) | WhopError::UnknownLoginState | WhopError::Config(_) => ErrorCode::BadRequest,
            WhopError::InvalidAction(_) => ErrorCode::Validation,
            _ => ErrorCode::Internal,
        };
        dealdesk_model::ApiError::new(code, error.to_string())
    }
}

impl From<dealdesk_outbox::OutboxError> for WhopError {
    fn from(error: dealdesk_outbox::OutboxError) -> Self {
        match error {
            dealdesk_outbox::OutboxError::Store(e) => WhopError::Store(e),
            other => WhopError::Outbox(other.to_string()),
        }
    }
}

impl From<OAuthError> for WhopError {
    fn from(error: OAuthError) -> Self {
        match error {
            OAuthError::UnknownState => WhopError::UnknownLoginState,
            OAuthError::Denied { error, description } => WhopError::Authorization { error, description },
            OAuthError::Loopback(message) => WhopError::Loopback(message),
            OAuthError::Timeout => WhopError::LoginTimeout,
        }
    }
}
