//! Badges and labels.

use super::*;

pub fn status_tone(status: ContractStatus) -> StatusTone {
    match status {
        ContractStatus::Queued | ContractStatus::Voided => StatusTone::Neutral,
        ContractStatus::Sent | ContractStatus::Viewed => StatusTone::Accent,
        ContractStatus::PartiallySigned => StatusTone::Warning,
        ContractStatus::Completed => StatusTone::Success,
        ContractStatus::Declined | ContractStatus::Failed => StatusTone::Danger,
    }
}

pub fn signer_status_key(status: SignerStatus) -> &'static str {
    match status {
        SignerStatus::Waiting => "waiting",
        SignerStatus::Viewed => "viewed",
        SignerStatus::Signed => "signed",
        SignerStatus::Declined => "declined",
    }
}

pub fn signer_status_label(status: SignerStatus) -> &'static str {
    match status {
        SignerStatus::Waiting => "Waiting",
        SignerStatus::Viewed => "Viewed",
        SignerStatus::Signed => "Signed",
        SignerStatus::Declined => "Declined",
    }
}

pub fn signer_tone(status: SignerStatus) -> StatusTone {
    match status {
        SignerStatus::Waiting => StatusTone::Neutral,
        SignerStatus::Viewed => StatusTone::Accent,
        SignerStatus::Signed => StatusTone::Success,
        SignerStatus::Declined => StatusTone::Danger,
    }
}

/// "1 of 2 signed", or nothing without signers.
pub fn signed_text(contract: &Contract) -> Option<String> {
    let total = contract.signers.len();
    (total > 0).then(|| {
        let signed = contract.signers.iter().filter(|s| s.status == SignerStatus::Signed).count();
        format!("{signed} of {total} signed")
    })
}

/// A timeline kind as shown (styles capitalise it): `partially_signed` → "partially signed".
pub fn event_label(kind: &str) -> String {
    kind.trim().replace(['_', '-'], " ")
}

/// The tone of a timeline entry's dot.
pub fn event_tone(kind: &str) -> StatusTone {
    match kind {
        "signed" | "completed" | "downloaded" => StatusTone::Success,
        "declined" | "failed" => StatusTone::Danger,
        "sent" | "viewed" => StatusTone::Accent,
        _ => StatusTone::Neutral,
    }
}

pub fn provider_connected(status: &EsignStatus, provider: SignatureProviderKind) -> bool {
    match provider {
        SignatureProviderKind::DocuSign => status.docusign_connected,
        SignatureProviderKind::DropboxSign => status.dropbox_sign_key_set,
    }
}

/// "DocuSign", or "DocuSign (not connected)".
pub fn provider_option_label(status: &EsignStatus, provider: SignatureProviderKind) -> String {
    if provider_connected(status, provider) {
        provider.label().to_string()
    } else {
        format!("{} (not connected)", provider.label())
    }
}

/// The PDF button: the signed copy once there is one, the draft before.
pub fn pdf_label(contract: &Contract) -> &'static str {
    if contract.has_signed_pdf { "Open signed PDF" } else { "Open PDF" }
}

pub fn export_toast(path: &str) -> String {
    format!("Saved the PDF to {path}")
}

/// "1 page" / "3 pages".
pub fn pages_text(count: usize) -> String {
    if count == 1 { "1 page".to_string() } else { format!("{count} pages") }
}

/// "Rendered in 84 ms".
pub fn render_ms_text(ms: u64) -> String {
    format!("Rendered in {ms} ms")
}

/// `{{a}}, {{b}}`.
pub fn field_list(fields: &[String]) -> String {
    fields.iter().map(|f| format!("{{{{{f}}}}}")).collect::<Vec<_>>().join(", ")
}

/// The preview names a `sender.*` field the settings leave empty.
pub fn needs_sender(preview: &ContractPreview) -> bool {
    preview.missing.iter().any(|f| f.starts_with("sender."))
}

/// The preview shows something that stops sending: missing or unknown fields, or a Typst error.
pub fn preview_blocks(preview: &ContractPreview) -> bool {
    !preview.missing.is_empty() || !preview.unknown.is_empty() || preview.error.is_some()
}
