//! Signers.

use super::*;

/// A signer as typed in the send dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignerRow {
    pub name: String,
    pub email: String,
}

impl SignerRow {
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> SignerRow {
        SignerRow { name: name.into(), email: email.into() }
    }

    /// Nothing typed: ignored when sending.
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.email.trim().is_empty()
    }
}

/// An address the core will take: `local@domain.tld`.
pub fn valid_email(text: &str) -> bool {
    let text = text.trim();
    if text.len() > 254 {
        return false;
    }
    let Some((local, domain)) = text.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// What is wrong with a signer row, and whether the email (else the name) is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerError {
    pub email: bool,
    pub message: String,
}

impl SignerError {
    fn name(message: &str) -> Option<SignerError> {
        Some(SignerError { email: false, message: message.to_string() })
    }

    fn email(message: &str) -> Option<SignerError> {
        Some(SignerError { email: true, message: message.to_string() })
    }
}

/// What is wrong with each row; blank rows are fine (they are left out).
pub fn signer_errors(rows: &[SignerRow]) -> Vec<Option<SignerError>> {
    let mut seen: Vec<String> = Vec::new();
    rows.iter()
        .map(|row| {
            if row.is_blank() {
                return None;
            }
            let name = row.name.trim();
            let email = row.email.trim().to_lowercase();
            if name.is_empty() {
                return SignerError::name("Give the signer's name");
            }
            if name.chars().count() > 100 || name.chars().any(char::is_control) {
                return SignerError::name("A name has at most 100 characters");
            }
            if email.is_empty() {
                return SignerError::email("Give the signer's email");
            }
            if !valid_email(&email) {
                return SignerError::email("Not an email address");
            }
            if seen.contains(&email) {
                return SignerError::email("This email is listed twice");
            }
            seen.push(email);
            None
        })
        .collect()
}

/// The signers to send (blank rows left out), or why there are none to send.
pub fn signers_request(rows: &[SignerRow]) -> Result<Vec<SignerInput>, String> {
    if let Some(error) = signer_errors(rows).into_iter().flatten().next() {
        return Err(error.message);
    }
    let signers: Vec<SignerInput> = rows
        .iter()
        .filter(|r| !r.is_blank())
        .map(|r| SignerInput { name: r.name.trim().to_string(), email: r.email.trim().to_string() })
        .collect();
    if signers.is_empty() {
        return Err("Add a signer with a name and an email".to_string());
    }
    if signers.len() > MAX_SIGNERS {
        return Err(format!("A contract can have at most {MAX_SIGNERS} signers"));
    }
    Ok(signers)
}
