/// Why a contract did not render, or a signed PDF cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    /// The template or its values break a limit (size, pages, field length).
    #[error("{0}")]
    Invalid(String),
    /// Typst refused the template, or the PDF cannot be read.
    #[error("the contract does not render: {0}")]
    Render(String),
}
