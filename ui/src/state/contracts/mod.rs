//! Contracts as plain data: status and signer badges, the deal card (its list, Void with a
//! reason, the PDF viewer), the send dialog (template, provider, signers, what the preview says is
//! missing), Settings → Contracts' form and its checks, and the template editor's draft and
//! `{{merge field}}` completion.

use crate::state::whop::StatusTone;
use dealdesk_model::contract::{
    Contract, ContractField, ContractPdf, ContractPreview, ContractStatus, ContractTemplate, EsignStatus,
    SaveContractTemplate, SaveEsignSettings, SendContract, SignatureProviderKind, SignerInput, SignerStatus,
};
use std::collections::BTreeSet;
use std::rc::Rc;
use uuid::Uuid;
use yew::Reducible;

/// The toast after Send.
pub const QUEUED_TOAST: &str = "Contract queued: it goes out now, or when you are back online";
/// Where the sender's fields are set: this, then a link to Settings → Contracts.
pub const SENDER_HINT_LEAD: &str = "Set your company and name in ";
/// A contract can have at most this many signers (the core's limit).
pub const MAX_SIGNERS: usize = 10;
/// Polling faster than this is refused (DocuSign asks for ≥ 15 minutes per envelope).
pub const MIN_POLL_MINUTES: u32 = 15;
pub const MAX_POLL_MINUTES: u32 = 24 * 60;
/// The core refuses larger templates.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

mod badges;
pub use badges::*;
mod signers;
pub use signers::*;
mod send;
pub use send::*;
mod card;
pub use card::*;
mod settings;
pub use settings::*;
mod templates;
pub use templates::*;

#[cfg(test)]
mod tests;
