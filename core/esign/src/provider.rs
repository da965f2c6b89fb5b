//! What every e-signature provider does, in Dealdesk's terms.

use super::error::EsignError;
use dealdesk_model::contract::{ContractStatus, SignatureProviderKind, SignerStatus};
use uuid::Uuid;

/// A contract on its way out: the rendered PDF and who signs it.
pub struct Outgoing<'a> {
    pub contract_id: Uuid,
    pub title: &'a str,
    pub pdf: &'a [u8],
    /// (name, email), in signing order.
    pub signers: &'a [(String, String)],
}

/// A signer as the provider reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSigner {
    pub email: String,
    pub status: SignerStatus,
    pub at: Option<String>,
    pub declined_reason: Option<String>,
}

/// A contract's state at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStatus {
    pub remote_id: String,
    pub status: ContractStatus,
    pub signers: Vec<RemoteSigner>,
    /// The void reason, when voided.
    pub detail: Option<String>,
}

/// The signed files.
pub struct SignedFiles {
    pub pdf: Vec<u8>,
    /// DocuSign's certificate of completion (Dropbox Sign appends its audit trail to the PDF).
    pub certificate: Option<Vec<u8>>,
}

/// Asking to void: DocuSign voids at once, Dropbox Sign queues the cancel and confirms later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidOutcome {
    Voided,
    Requested,
}

/// One e-signature service. Methods take and return Dealdesk's types; each provider maps them to
/// its own API (envelopes and anchor tabs, or signature requests and text tags).
// Only this crate implements and calls it, on the concrete providers, so the futures' `Send`
// follows from them; no caller needs the bound spelled out.
#[allow(async_fn_in_trait)]
pub trait SignatureProvider {
    fn kind(&self) -> SignatureProviderKind;

    /// Creates and sends the envelope or signature request.
    async fn send(&self, outgoing: &Outgoing<'_>) -> Result<RemoteStatus, EsignError>;

    /// The request an earlier attempt at sending `contract_id` made, if the provider has one (a
    /// retry after an answer was lost must not send the contract twice).
    async fn find_sent(&self, contract_id: Uuid) -> Result<Option<RemoteStatus>, EsignError>;

    /// The status of many contracts, in as few calls as the API allows. `since` is the oldest
    /// send time among them (RFC 3339). Contracts the answer leaves out are unchanged.
    async fn statuses(&self, remote_ids: &[String], since: &str) -> Result<Vec<RemoteStatus>, EsignError>;

    /// One contract's status ("refresh now").
    async fn status(&self, remote_id: &str) -> Result<RemoteStatus, EsignError>;

    /// The signed PDF (and certificate). A file still being prepared is a transient error.
    async fn download(&self, remote_id: &str) -> Result<SignedFiles, EsignError>;

    async fn void(&self, remote_id: &str, reason: &str) -> Result<VoidOutcome, EsignError>;
}

/// The contract status that follows from the signers' progress (for providers that report per
/// signer only).
pub fn status_from_signers(signers: &[RemoteSigner]) -> ContractStatus {
    if signers.iter().any(|s| s.status == SignerStatus::Declined) {
        ContractStatus::Declined
    } else if !signers.is_empty() && signers.iter().all(|s| s.status == SignerStatus::Signed) {
        ContractStatus::Completed
    } else if signers.iter().any(|s| s.status == SignerStatus::Signed) {
        ContractStatus::PartiallySigned
    } else if signers.iter().any(|s| s.status == SignerStatus::Viewed) {
        ContractStatus::Viewed
    } else {
        ContractStatus::Sent
    }
}
