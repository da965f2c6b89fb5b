#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the OS keyring is not available ({0}); on Linux start a Secret Service such as gnome-keyring and unlock it"
    )]
    Unavailable(String),
    #[error("the OS keyring refused access to {key}: {message}")]
    Access { key: String, message: String },
    #[error("the secret {key} in the OS keyring is not readable: {message}")]
    Corrupt { key: String, message: String },
}
