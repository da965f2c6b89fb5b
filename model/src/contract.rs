//! Contracts: templates, rendered previews, contracts sent for e-signature and their status.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a contract is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureProviderKind {
    #[serde(rename = "docusign")]
    DocuSign,
    DropboxSign,
}

impl SignatureProviderKind {
    pub const ALL: [SignatureProviderKind; 2] = [SignatureProviderKind::DocuSign, SignatureProviderKind::DropboxSign];

    pub fn as_str(self) -> &'static str {
        match self {
            SignatureProviderKind::DocuSign => "docusign",
            SignatureProviderKind::DropboxSign => "dropbox-sign",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SignatureProviderKind::DocuSign => "DocuSign",
            SignatureProviderKind::DropboxSign => "Dropbox Sign",
        }
    }

    pub fn parse(text: &str) -> Option<SignatureProviderKind> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// A contract's state, as the deal page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// Rendered and waiting in the outbox to be sent.
    Queued,
    Sent,
    /// A signer opened it.
    Viewed,
    /// Some signers signed, others have not yet.
    PartiallySigned,
    Completed,
    Declined,
    /// Voided (DocuSign) or cancelled (Dropbox Sign).
    Voided,
    /// The provider refused it; nothing was sent.
    Failed,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 8] = [
        ContractStatus::Queued,
        ContractStatus::Sent,
        ContractStatus::Viewed,
        ContractStatus::PartiallySigned,
        ContractStatus::Completed,
        ContractStatus::Declined,
        ContractStatus::Voided,
        ContractStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Queued => "queued",
            ContractStatus::Sent => "sent",
            ContractStatus::Viewed => "viewed",
            ContractStatus::PartiallySigned => "partially_signed",
            ContractStatus::Completed => "completed",
            ContractStatus::Declined => "declined",
            ContractStatus::Voided => "voided",
            ContractStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<ContractStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ContractStatus::Queued => "Waiting to send",
            ContractStatus::Sent => "Sent",
            ContractStatus::Viewed => "Viewed",
            ContractStatus::PartiallySigned => "Partially signed",
            ContractStatus::Completed => "Completed",
            ContractStatus::Declined => "Declined",
            ContractStatus::Voided => "Voided",
            ContractStatus::Failed => "Not sent",
        }
    }

    /// Still out for signature: polled, can be voided.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ContractStatus::Queued | ContractStatus::Sent | ContractStatus::Viewed | ContractStatus::PartiallySigned
        )
    }
}

/// A contract template: Typst markup with `{{deal.title}}`-style merge fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractTemplate {
    pub id: Uuid,
    pub name: String,
    pub body: String,
    /// Every save makes a new version; the template shows the newest.
    pub version: i64,
    /// Shipped with the app (service agreement, NDA); editable like any other.
    pub builtin: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveContractTemplate {
    /// `None` creates a template.
    pub id: Option<Uuid>,
    pub name: String,
    pub body: String,
}

/// Renders a template (saved, or the editor's unsaved text) on a deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractPreviewRequest {
    pub deal_id: Uuid,
    #[serde(default)]
    pub template_id: Option<Uuid>,
    /// The editor's text; wins over `template_id`.
    #[serde(default)]
    pub body: Option<String>,
}

/// A rendered preview: one SVG per page, or what stops the document from rendering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractPreview {
    pub pages: Vec<String>,
    /// Merge fields the template uses that this deal has no value for.
    pub missing: Vec<String>,
    /// Merge fields the template uses that do not exist.
    pub unknown: Vec<String>,
    /// The Typst error (with its line), when the template does not compile.
    pub error: Option<String>,
    pub render_ms: u64,
}

/// A merge field a contract template can use, with the value for the previewed deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractField {
    pub name: String,
    pub label: String,
    pub value: Option<String>,
}

/// Someone who signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerInput {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendContract {
    pub deal_id: Uuid,
    pub template_id: Uuid,
    pub provider: SignatureProviderKind,
    pub signers: Vec<SignerInput>,
    /// The email subject and document title; defaults to "Template name: deal title".
    #[serde(default)]
    pub title: Option<String>,
}

/// A signer's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerStatus {
    Waiting,
    Viewed,
    Signed,
    Declined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractSigner {
    pub name: String,
    pub email: String,
    pub status: SignerStatus,
    pub signed_at: Option<String>,
    pub declined_reason: Option<String>,
}

/// One entry of a contract's status timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractEvent {
    pub at: String,
    /// drafted, sent, viewed, signed, completed, declined, voided, failed, downloaded
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: Uuid,
    pub deal_id: Uuid,
    pub template_name: String,
    pub title: String,
    pub provider: SignatureProviderKind,
    pub status: ContractStatus,
    /// The envelope (DocuSign) or signature request (Dropbox Sign) id, once sent.
    pub remote_id: Option<String>,
    pub signers: Vec<ContractSigner>,
    pub events: Vec<ContractEvent>,
    pub created_at: String,
    pub last_checked_at: Option<String>,
    /// The signed PDF is stored (encrypted) and can be opened or exported.
    pub has_signed_pdf: bool,
    /// Why sending failed, or the provider's last error.
    pub error: Option<String>,
}

/// Settings → Contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsignStatus {
    /// Off by setting or `DEALDESK_ESIGN=off`.
    pub enabled: bool,
    pub disabled_by_env: bool,
    pub docusign_connected: bool,
    pub docusign_account: Option<String>,
    pub dropbox_sign_key_set: bool,
    pub poll_minutes: u32,
    /// A completed contract moves its deal to the pipeline's won stage.
    pub move_deal_to_won: bool,
    pub default_provider: SignatureProviderKind,
    /// Your company, as contracts name it (`{{sender.company}}`).
    pub sender_company: String,
    /// Your name (`{{sender.name}}`).
    pub sender_name: String,
}

/// (`Debug` leaves the key out.)
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveEsignSettings {
    pub enabled: bool,
    pub poll_minutes: u32,
    pub move_deal_to_won: bool,
    pub default_provider: SignatureProviderKind,
    pub sender_company: String,
    pub sender_name: String,
    /// A new Dropbox Sign API key (kept in the OS keyring); `None` keeps the saved one.
    #[serde(default)]
    pub dropbox_sign_api_key: Option<String>,
}

impl std::fmt::Debug for SaveEsignSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveEsignSettings")
            .field("enabled", &self.enabled)
            .field("poll_minutes", &self.poll_minutes)
            .field("default_provider", &self.default_provider)
            .field("dropbox_sign_api_key", &self.dropbox_sign_api_key.as_ref().map(|_| "<new key>"))
            .finish_non_exhaustive()
    }
}

/// A PDF handed to the window (the signed contract, a draft): bytes as base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractPdf {
    pub file_name: String,
    pub base64: String,
    /// The pages as SVG, for viewing inside the app.
    pub pages: Vec<String>,
}
