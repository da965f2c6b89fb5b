/// Why a deep link was refused. Deep links are untrusted input from any program on the machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeepLinkError {
    #[error("the link is not a valid URL")]
    NotAUrl,
    #[error("the link is too long ({0} bytes)")]
    TooLong(usize),
    #[error("only dealdesk:// links are accepted, not {0}://")]
    WrongScheme(String),
    #[error("unknown link path {0:?}: Dealdesk only accepts its sign-in links (dealdesk://oauth/…/callback)")]
    UnknownPath(String),
    #[error("the link repeats the parameter {0}")]
    DuplicateParameter(String),
    #[error("the link has the unknown parameter {0}")]
    UnknownParameter(String),
    #[error("the link lacks the parameter {0}")]
    MissingParameter(&'static str),
    #[error("the parameter {0} is malformed")]
    MalformedParameter(&'static str),
}

/// Why a sign-in did not complete. Providers word these for their users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("the redirect matches no sign-in in progress (used, expired, or not started here)")]
    UnknownState,
    #[error("the sign-in was refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied { error: String, description: Option<String> },
    #[error("the loopback redirect listener failed: {0}")]
    Loopback(String),
    #[error("timed out waiting for the browser to come back")]
    Timeout,
}
