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

// ---------------------------------------------------------------------------------------------
// Badges and labels

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

// ---------------------------------------------------------------------------------------------
// Signers

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

// ---------------------------------------------------------------------------------------------
// The send dialog

#[derive(Debug, Clone, PartialEq)]
pub struct SendDialog {
    pub templates: Option<Result<Vec<ContractTemplate>, String>>,
    pub template: Option<Uuid>,
    pub provider: SignatureProviderKind,
    pub signers: Vec<SignerRow>,
    /// The signers were edited: a late prefill from the contact leaves them alone.
    pub touched: bool,
    /// The contact has been read (or there is none): the signer rows show.
    pub signers_ready: bool,
    /// Rows whose problems show: left once (or prefilled), so typing is not scolded.
    pub checked: BTreeSet<usize>,
    /// `None` while the preview of the chosen template renders.
    pub preview: Option<Result<ContractPreview, String>>,
    pub sending: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SendAction {
    Templates(Result<Vec<ContractTemplate>, String>),
    Template(Uuid),
    Provider(SignatureProviderKind),
    SignerName(usize, String),
    SignerEmail(usize, String),
    AddSigner,
    RemoveSigner(usize),
    /// The deal's contact, once read.
    Prefill(SignerRow),
    /// The contact could not be read: the rows show as they are.
    PrefillFailed,
    /// Focus left a signer row.
    SignerLeft(usize),
    /// The preview of this template.
    Preview(Uuid, Result<ContractPreview, String>),
    Sending,
    SendFailed(String),
}

impl SendDialog {
    /// Opens with the default provider and one signer row (the contact's name when known); with
    /// a contact, the rows wait for its email (`Prefill`).
    pub fn new(provider: SignatureProviderKind, contact_name: Option<String>, has_contact: bool) -> SendDialog {
        SendDialog {
            templates: None,
            template: None,
            provider,
            signers: vec![SignerRow::new(contact_name.unwrap_or_default(), "")],
            touched: false,
            signers_ready: !has_contact,
            checked: BTreeSet::new(),
            preview: None,
            sending: false,
            error: None,
        }
    }

    pub fn template_list(&self) -> &[ContractTemplate] {
        match &self.templates {
            Some(Ok(list)) => list,
            _ => &[],
        }
    }

    pub fn apply(&self, action: SendAction) -> SendDialog {
        let mut next = self.clone();
        match action {
            SendAction::Templates(result) => {
                if let Ok(list) = &result {
                    let still_there = next.template.is_some_and(|id| list.iter().any(|t| t.id == id));
                    if !still_there {
                        next.template = list.first().map(|t| t.id);
                        next.preview = None;
                    }
                }
                next.templates = Some(result);
            }
            SendAction::Template(id) => {
                if next.template != Some(id) {
                    next.template = Some(id);
                    next.preview = None;
                }
                next.error = None;
            }
            SendAction::Provider(provider) => {
                next.provider = provider;
                next.error = None;
            }
            SendAction::SignerName(i, name) => {
                if let Some(row) = next.signers.get_mut(i) {
                    row.name = name;
                    next.touched = true;
                }
                next.error = None;
            }
            SendAction::SignerEmail(i, email) => {
                if let Some(row) = next.signers.get_mut(i) {
                    row.email = email;
                    next.touched = true;
                }
                next.error = None;
            }
            SendAction::AddSigner => {
                if next.signers.len() < MAX_SIGNERS {
                    next.signers.push(SignerRow::default());
                    next.touched = true;
                }
            }
            SendAction::RemoveSigner(i) => {
                if i < next.signers.len() {
                    next.signers.remove(i);
                    next.touched = true;
                    next.checked =
                        self.checked.iter().filter(|j| **j != i).map(|j| if *j > i { j - 1 } else { *j }).collect();
                }
                next.error = None;
            }
            SendAction::Prefill(row) => {
                if !next.touched {
                    next.signers = vec![row];
                    next.checked.insert(0);
                }
                next.signers_ready = true;
            }
            SendAction::PrefillFailed => next.signers_ready = true,
            SendAction::SignerLeft(i) => {
                if i < next.signers.len() {
                    next.checked.insert(i);
                }
            }
            SendAction::Preview(template, result) => {
                // An answer for a template no longer chosen is stale.
                if next.template == Some(template) {
                    next.preview = Some(result);
                }
            }
            SendAction::Sending => {
                next.sending = true;
                next.error = None;
            }
            SendAction::SendFailed(message) => {
                next.sending = false;
                next.error = Some(message);
            }
        }
        next
    }

    /// Why Send is not possible yet, if it is not.
    pub fn blocker(&self) -> Option<String> {
        let Some(template) = self.template else {
            return Some("Choose a template".to_string());
        };
        if !self.template_list().iter().any(|t| t.id == template) {
            return Some("Choose a template".to_string());
        }
        match &self.preview {
            None => return Some("The preview is rendering…".to_string()),
            Some(Ok(preview)) if preview_blocks(preview) => {
                return Some(if preview.error.is_some() {
                    "The template does not render: fix it first".to_string()
                } else {
                    "The deal lacks fields the template needs".to_string()
                });
            }
            // The core renders again on Send and says what is wrong.
            Some(_) => {}
        }
        signers_request(&self.signers).err()
    }

    pub fn can_send(&self) -> bool {
        !self.sending && self.blocker().is_none()
    }

    /// The row problems to show: those of rows already left.
    pub fn shown_errors(&self) -> Vec<Option<SignerError>> {
        signer_errors(&self.signers)
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.filter(|_| self.checked.contains(&i)))
            .collect()
    }

    /// The request for Send.
    pub fn request(&self, deal_id: Uuid) -> Result<SendContract, String> {
        if let Some(why) = self.blocker() {
            return Err(why);
        }
        let template_id = self.template.ok_or_else(|| "Choose a template".to_string())?;
        Ok(SendContract {
            deal_id,
            template_id,
            provider: self.provider,
            signers: signers_request(&self.signers)?,
            title: None,
        })
    }
}

impl Reducible for SendDialog {
    type Action = SendAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

// ---------------------------------------------------------------------------------------------
// The deal card

/// Void asks for a reason first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidAsk {
    pub contract: Uuid,
    pub title: String,
    pub reason: String,
    pub busy: bool,
    pub error: Option<String>,
}

impl VoidAsk {
    /// The reason to send: one line of at most 200 characters.
    pub fn checked_reason(&self) -> Result<String, String> {
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err("Give a reason: the signers see it".to_string());
        }
        if reason.chars().count() > 200 || reason.chars().any(char::is_control) {
            return Err("The reason is one line of at most 200 characters".to_string());
        }
        Ok(reason.to_string())
    }
}

/// The PDF viewer: `pdf` is `None` while it loads.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfView {
    pub contract: Uuid,
    pub title: String,
    pub pdf: Option<Result<ContractPdf, String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContractsView {
    pub status: Option<Result<EsignStatus, String>>,
    pub contracts: Option<Result<Vec<Contract>, String>>,
    /// Contracts with a refresh or an export under way.
    pub busy: BTreeSet<Uuid>,
    pub void: Option<VoidAsk>,
    pub pdf: Option<PdfView>,
    /// The send dialog is open.
    pub sending: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ContractsAction {
    Status(Result<Box<EsignStatus>, String>),
    Contracts(Result<Vec<Contract>, String>),
    Busy(Uuid),
    Idle(Uuid),
    /// A contract as the core answered it (after a refresh or a void).
    Updated(Box<Contract>),
    OpenVoid(Uuid, String),
    VoidReason(String),
    VoidBusy,
    VoidFailed(String),
    CloseVoid,
    OpenPdf(Uuid, String),
    PdfLoaded(Uuid, Result<ContractPdf, String>),
    ClosePdf,
    OpenSend,
    CloseSend,
}

impl ContractsView {
    pub fn apply(&self, action: ContractsAction) -> ContractsView {
        let mut next = self.clone();
        match action {
            ContractsAction::Status(result) => next.status = Some(result.map(|s| *s)),
            ContractsAction::Contracts(result) => next.contracts = Some(result),
            ContractsAction::Busy(id) => {
                next.busy.insert(id);
            }
            ContractsAction::Idle(id) => {
                next.busy.remove(&id);
            }
            ContractsAction::Updated(contract) => {
                next.busy.remove(&contract.id);
                if let Some(Ok(list)) = &mut next.contracts {
                    match list.iter_mut().find(|c| c.id == contract.id) {
                        Some(slot) => *slot = *contract,
                        None => list.insert(0, *contract),
                    }
                }
            }
            ContractsAction::OpenVoid(contract, title) => {
                next.void = Some(VoidAsk { contract, title, reason: String::new(), busy: false, error: None });
            }
            ContractsAction::VoidReason(reason) => {
                if let Some(ask) = &mut next.void {
                    ask.reason = reason;
                    ask.error = None;
                }
            }
            ContractsAction::VoidBusy => {
                if let Some(ask) = &mut next.void {
                    ask.busy = true;
                    ask.error = None;
                }
            }
            ContractsAction::VoidFailed(message) => {
                if let Some(ask) = &mut next.void {
                    ask.busy = false;
                    ask.error = Some(message);
                }
            }
            ContractsAction::CloseVoid => next.void = None,
            ContractsAction::OpenPdf(contract, title) => next.pdf = Some(PdfView { contract, title, pdf: None }),
            ContractsAction::PdfLoaded(contract, result) => {
                if let Some(view) = &mut next.pdf
                    && view.contract == contract
                {
                    view.pdf = Some(result);
                }
            }
            ContractsAction::ClosePdf => next.pdf = None,
            ContractsAction::OpenSend => next.sending = true,
            ContractsAction::CloseSend => next.sending = false,
        }
        next
    }
}

impl Reducible for ContractsView {
    type Action = ContractsAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

// ---------------------------------------------------------------------------------------------
// Settings → Contracts

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsignForm {
    pub enabled: bool,
    pub sender_company: String,
    pub sender_name: String,
    pub default_provider: SignatureProviderKind,
    /// As typed; checked on Save.
    pub poll_minutes: String,
    pub move_deal_to_won: bool,
    /// A new Dropbox Sign API key; empty keeps the saved one.
    pub dropbox_sign_key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EsignErrors {
    pub sender_company: Option<String>,
    pub sender_name: Option<String>,
    pub poll_minutes: Option<String>,
    pub dropbox_sign_key: Option<String>,
}

impl EsignErrors {
    pub fn is_empty(&self) -> bool {
        self.messages().is_empty()
    }

    pub fn messages(&self) -> Vec<String> {
        [&self.sender_company, &self.sender_name, &self.poll_minutes, &self.dropbox_sign_key]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EsignEdit {
    Enabled(bool),
    SenderCompany(String),
    SenderName(String),
    DefaultProvider(SignatureProviderKind),
    PollMinutes(String),
    MoveToWon(bool),
    DropboxKey(String),
}

fn one_line(text: &str, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > 200 || text.chars().any(char::is_control) {
        return Err(format!("{what} is one line of at most 200 characters"));
    }
    Ok(text.to_string())
}

impl EsignForm {
    pub fn of(status: &EsignStatus) -> EsignForm {
        EsignForm {
            enabled: status.enabled || status.disabled_by_env,
            sender_company: status.sender_company.clone(),
            sender_name: status.sender_name.clone(),
            default_provider: status.default_provider,
            poll_minutes: status.poll_minutes.to_string(),
            move_deal_to_won: status.move_deal_to_won,
            dropbox_sign_key: String::new(),
        }
    }

    pub fn edit(&self, edit: EsignEdit) -> EsignForm {
        let mut next = self.clone();
        match edit {
            EsignEdit::Enabled(on) => next.enabled = on,
            EsignEdit::SenderCompany(text) => next.sender_company = text,
            EsignEdit::SenderName(text) => next.sender_name = text,
            EsignEdit::DefaultProvider(provider) => next.default_provider = provider,
            EsignEdit::PollMinutes(text) => next.poll_minutes = text,
            EsignEdit::MoveToWon(on) => next.move_deal_to_won = on,
            EsignEdit::DropboxKey(text) => next.dropbox_sign_key = text,
        }
        next
    }

    pub fn validate(&self) -> Result<SaveEsignSettings, EsignErrors> {
        let mut errors = EsignErrors::default();
        let sender_company =
            one_line(&self.sender_company, "Your company").map_err(|e| errors.sender_company = Some(e));
        let sender_name = one_line(&self.sender_name, "Your name").map_err(|e| errors.sender_name = Some(e));
        let poll_minutes = match self.poll_minutes.trim().parse::<u32>() {
            Ok(m) if (MIN_POLL_MINUTES..=MAX_POLL_MINUTES).contains(&m) => Some(m),
            Ok(_) | Err(_) => {
                errors.poll_minutes = Some(format!(
                    "Check the status every {MIN_POLL_MINUTES} to {MAX_POLL_MINUTES} minutes (a whole number)"
                ));
                None
            }
        };
        let key = self.dropbox_sign_key.trim();
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            errors.dropbox_sign_key = Some("An API key is one word, without spaces".to_string());
        }
        match (sender_company, sender_name, poll_minutes) {
            (Ok(sender_company), Ok(sender_name), Some(poll_minutes)) if errors.is_empty() => Ok(SaveEsignSettings {
                enabled: self.enabled,
                poll_minutes,
                move_deal_to_won: self.move_deal_to_won,
                default_provider: self.default_provider,
                sender_company,
                sender_name,
                dropbox_sign_api_key: Some(key.to_string()).filter(|k| !k.is_empty()),
            }),
            _ => Err(errors),
        }
    }
}

/// "Connected as Acme Inc." / "Not connected".
pub fn docusign_text(status: &EsignStatus) -> String {
    match (status.docusign_connected, &status.docusign_account) {
        (true, Some(account)) if !account.trim().is_empty() => format!("Connected to {account}"),
        (true, _) => "Connected".to_string(),
        (false, _) => "Not connected".to_string(),
    }
}

/// The Dropbox Sign key line.
pub fn dropbox_sign_text(status: &EsignStatus, form: &EsignForm) -> &'static str {
    match (status.dropbox_sign_key_set, form.dropbox_sign_key.trim().is_empty()) {
        (_, false) => "A new key is typed: Save stores it in the OS keyring",
        (true, true) => "Connected: an API key is stored in the OS keyring",
        (false, true) => "Not connected: paste an API key from Dropbox Sign → API settings",
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EsignSettingsView {
    pub status: Option<EsignStatus>,
    pub load_error: Option<String>,
    pub form: Option<EsignForm>,
    pub errors: EsignErrors,
    pub saving: bool,
    pub save_error: Option<String>,
    /// Connect DocuSign was pressed; the browser page, once known.
    pub connecting: bool,
    pub authorize_url: Option<String>,
    pub login_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EsignAction {
    Loaded(Result<Box<EsignStatus>, String>),
    Edit(EsignEdit),
    Discard,
    Invalid(EsignErrors),
    Saving,
    Saved(Box<EsignStatus>),
    SaveFailed(String),
    Connecting,
    LoginStarted(String),
    LoginFailed(String),
}

impl EsignSettingsView {
    /// The form differs from what is saved.
    pub fn dirty(&self) -> bool {
        match (&self.form, &self.status) {
            (Some(form), Some(status)) => *form != EsignForm::of(status),
            _ => false,
        }
    }

    pub fn apply(&self, action: EsignAction) -> EsignSettingsView {
        let mut next = self.clone();
        match action {
            EsignAction::Loaded(Ok(status)) => {
                // A reload (another window, the CLI, a sign-in) keeps what is being edited.
                if next.form.is_none() || !self.dirty() {
                    next.form = Some(EsignForm::of(&status));
                }
                if status.docusign_connected {
                    next.connecting = false;
                    next.authorize_url = None;
                    next.login_error = None;
                }
                next.status = Some(*status);
                next.load_error = None;
            }
            EsignAction::Loaded(Err(message)) => next.load_error = Some(message),
            EsignAction::Edit(edit) => {
                if let Some(form) = &self.form {
                    let form = form.edit(edit);
                    if !next.errors.is_empty() {
                        next.errors = form.validate().err().unwrap_or_default();
                    }
                    next.form = Some(form);
                }
                next.save_error = None;
            }
            EsignAction::Discard => {
                next.form = self.status.as_ref().map(EsignForm::of);
                next.errors = EsignErrors::default();
                next.save_error = None;
            }
            EsignAction::Invalid(errors) => next.errors = errors,
            EsignAction::Saving => {
                next.saving = true;
                next.errors = EsignErrors::default();
                next.save_error = None;
            }
            EsignAction::Saved(status) => {
                next.saving = false;
                next.form = Some(EsignForm::of(&status));
                next.status = Some(*status);
            }
            EsignAction::SaveFailed(message) => {
                next.saving = false;
                next.save_error = Some(message);
            }
            EsignAction::Connecting => {
                next.connecting = true;
                next.login_error = None;
            }
            EsignAction::LoginStarted(url) => next.authorize_url = Some(url),
            EsignAction::LoginFailed(message) => {
                next.connecting = false;
                next.authorize_url = None;
                next.login_error = Some(message);
            }
        }
        next
    }
}

impl Reducible for EsignSettingsView {
    type Action = EsignAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

// ---------------------------------------------------------------------------------------------
// The template editor

/// What "New template" starts from.
pub const STARTER_TEMPLATE: &str = r#"#set page(paper: "us-letter", margin: (x: 1in, y: 1in), numbering: "1 of 1")
#set text(size: 11pt)
#set par(justify: true)

#align(center)[
  #text(size: 18pt, weight: "bold")[Agreement]
  #v(-0.4em)
  #text(size: 10pt, fill: luma(90))[{{deal.title}} · {{today}}]
]

This Agreement is made on {{today}} between *{{sender.company}}* and *{{company.name}}*,
represented by {{contact.name}} ({{contact.email}}).

== 1. Scope
Describe what is agreed. Type {{ to insert a merge field.

== 2. Fees
The Client will pay *{{deal.amount}}*.

#v(1em)
*Signed by the parties:*
#signatures()
"#;

/// A template in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDraft {
    /// `None`: a new template.
    pub id: Option<Uuid>,
    pub name: String,
    pub body: String,
    /// The version the editor started from.
    pub version: Option<i64>,
    pub builtin: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractDraftErrors {
    pub name: Option<String>,
    pub body: Option<String>,
}

impl ContractDraftErrors {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.body.is_none()
    }
}

impl ContractDraft {
    pub fn of(t: &ContractTemplate) -> ContractDraft {
        ContractDraft {
            id: Some(t.id),
            name: t.name.clone(),
            body: t.body.clone(),
            version: Some(t.version),
            builtin: t.builtin,
        }
    }

    pub fn blank() -> ContractDraft {
        ContractDraft {
            id: None,
            name: String::new(),
            body: STARTER_TEMPLATE.to_string(),
            version: None,
            builtin: false,
        }
    }

    /// A new template starting from another's text.
    pub fn copy_of(t: &ContractTemplate) -> ContractDraft {
        ContractDraft {
            id: None,
            name: format!("Copy of {}", t.name).chars().take(100).collect(),
            body: t.body.clone(),
            version: None,
            builtin: false,
        }
    }

    /// The text differs from the saved template (a new draft always does).
    pub fn changed_from(&self, saved: Option<&ContractTemplate>) -> bool {
        match saved {
            Some(t) => self.name != t.name || self.body != t.body,
            None => true,
        }
    }

    pub fn validate(&self) -> Result<SaveContractTemplate, ContractDraftErrors> {
        let mut errors = ContractDraftErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.name = Some("Name the template".to_string());
        } else if name.chars().count() > 100 {
            errors.name = Some("A name has at most 100 characters".to_string());
        }
        if self.body.trim().is_empty() {
            errors.body = Some("The template is empty".to_string());
        } else if self.body.len() > MAX_TEMPLATE_BYTES {
            errors.body = Some(format!("A template has at most {} KiB", MAX_TEMPLATE_BYTES / 1024));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SaveContractTemplate { id: self.id, name: name.to_string(), body: self.body.clone() })
    }
}

/// The fields matching what follows `{{`: names starting with it first, then names or labels
/// containing it.
pub fn filter_contract_fields<'a>(fields: &'a [ContractField], query: &str) -> Vec<&'a ContractField> {
    let q = query.trim().to_lowercase();
    let mut starts = Vec::new();
    let mut contains = Vec::new();
    for field in fields {
        let name = field.name.to_lowercase();
        if name.starts_with(&q) {
            starts.push(field);
        } else if name.contains(&q) || field.label.to_lowercase().contains(&q) {
            contains.push(field);
        }
    }
    starts.extend(contains);
    starts
}

/// A field's value on the preview deal, shortened for the list.
pub fn field_value_text(field: &ContractField) -> String {
    match field.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => "no value on this deal".to_string(),
        Some(value) if value.chars().count() > 48 => format!("{}…", value.chars().take(47).collect::<String>()),
        Some(value) => value.to_string(),
    }
}

/// Templates listed shipped ones first, then by name.
pub fn sorted_templates(list: &[ContractTemplate]) -> Vec<ContractTemplate> {
    let mut sorted = list.to_vec();
    sorted.sort_by(|a, b| b.builtin.cmp(&a.builtin).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::contract::{ContractEvent, ContractSigner};

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn status() -> EsignStatus {
        EsignStatus {
            enabled: true,
            disabled_by_env: false,
            docusign_connected: true,
            docusign_account: Some("Acme Inc.".into()),
            dropbox_sign_key_set: false,
            poll_minutes: 15,
            move_deal_to_won: true,
            default_provider: SignatureProviderKind::DocuSign,
            sender_company: "Acme Inc.".into(),
            sender_name: "Ada Admin".into(),
        }
    }

    fn template(n: u128, name: &str, builtin: bool) -> ContractTemplate {
        ContractTemplate {
            id: id(n),
            name: name.into(),
            body: "Hello {{contact.name}}".into(),
            version: 1,
            builtin,
            updated_at: "2026-11-27T10:00:00Z".into(),
        }
    }

    fn preview() -> ContractPreview {
        ContractPreview {
            pages: vec!["<svg></svg>".into()],
            missing: Vec::new(),
            unknown: Vec::new(),
            error: None,
            render_ms: 42,
        }
    }

    fn contract(n: u128, status: ContractStatus) -> Contract {
        Contract {
            id: id(n),
            deal_id: id(1),
            template_name: "NDA".into(),
            title: "NDA: Big deal".into(),
            provider: SignatureProviderKind::DocuSign,
            status,
            remote_id: None,
            signers: vec![
                ContractSigner {
                    name: "Bea".into(),
                    email: "bea@example.com".into(),
                    status: SignerStatus::Signed,
                    signed_at: Some("2026-11-27T10:00:00Z".into()),
                    declined_reason: None,
                },
                ContractSigner {
                    name: "Cy".into(),
                    email: "cy@example.com".into(),
                    status: SignerStatus::Waiting,
                    signed_at: None,
                    declined_reason: None,
                },
            ],
            events: vec![ContractEvent {
                at: "2026-11-27T09:00:00Z".into(),
                kind: "drafted".into(),
                detail: "NDA v1".into(),
            }],
            created_at: "2026-11-27T09:00:00Z".into(),
            last_checked_at: None,
            has_signed_pdf: false,
            error: None,
        }
    }

    #[test]
    fn labels_read_well() {
        assert_eq!(event_label("partially_signed"), "partially signed");
        assert_eq!(event_label("completed"), "completed");
        assert_eq!(event_label(""), "");
        assert_eq!(status_tone(ContractStatus::Completed), StatusTone::Success);
        assert_eq!(status_tone(ContractStatus::Failed), StatusTone::Danger);
        assert_eq!(signed_text(&contract(2, ContractStatus::PartiallySigned)).as_deref(), Some("1 of 2 signed"));
        assert_eq!(pages_text(1), "1 page");
        assert_eq!(pages_text(3), "3 pages");
        assert_eq!(field_list(&["sender.name".into(), "deal.amount".into()]), "{{sender.name}}, {{deal.amount}}");
        let mut c = contract(2, ContractStatus::Sent);
        assert_eq!(pdf_label(&c), "Open PDF");
        c.has_signed_pdf = true;
        assert_eq!(pdf_label(&c), "Open signed PDF");
    }

    #[test]
    fn providers_say_when_they_are_not_connected() {
        let s = status();
        assert_eq!(provider_option_label(&s, SignatureProviderKind::DocuSign), "DocuSign");
        assert_eq!(provider_option_label(&s, SignatureProviderKind::DropboxSign), "Dropbox Sign (not connected)");
        assert_eq!(docusign_text(&s), "Connected to Acme Inc.");
        assert_eq!(docusign_text(&EsignStatus { docusign_connected: false, ..s }), "Not connected");
    }

    #[test]
    fn emails_are_checked_like_the_core_does() {
        assert!(valid_email("bea@example.com"));
        assert!(valid_email(" Bea.B+x@Mail.Example.co "));
        for bad in [
            "",
            "bea",
            "bea@",
            "@example.com",
            "bea@example",
            "bea@@example.com",
            "be a@example.com",
            ".b@x.io",
            "b@-x.io",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn signer_rows_are_checked_and_blank_ones_left_out() {
        let rows = vec![
            SignerRow::new("Bea", "bea@example.com"),
            SignerRow::default(),
            SignerRow::new(" Cy ", " cy@example.com "),
        ];
        assert_eq!(signer_errors(&rows), vec![None, None, None]);
        let signers = signers_request(&rows).unwrap();
        assert_eq!(signers.len(), 2);
        assert_eq!((signers[1].name.as_str(), signers[1].email.as_str()), ("Cy", "cy@example.com"));

        let rows = vec![
            SignerRow::new("", "bea@example.com"),
            SignerRow::new("Bea", "nope"),
            SignerRow::new("B", "BEA@example.com"),
        ];
        let errors = signer_errors(&rows);
        let first = errors[0].clone().unwrap();
        assert!(first.message.contains("name") && !first.email);
        let second = errors[1].clone().unwrap();
        assert!(second.message.contains("email") && second.email);
        assert_eq!(errors[2], None, "the first row has no valid email to clash with");
        let twice = vec![SignerRow::new("A", "a@x.io"), SignerRow::new("B", "A@X.io")];
        assert!(signer_errors(&twice)[1].clone().unwrap().message.contains("twice"));

        assert!(signers_request(&[SignerRow::default()]).unwrap_err().contains("Add a signer"));
        assert!(signers_request(&[]).is_err());
        let many: Vec<SignerRow> = (0..11).map(|i| SignerRow::new("N", format!("n{i}@x.io"))).collect();
        assert!(signers_request(&many).unwrap_err().contains("at most 10"));
    }

    #[test]
    fn the_send_dialog_picks_a_template_and_waits_for_its_preview() {
        let dialog = SendDialog::new(SignatureProviderKind::DropboxSign, Some("Bea".into()), true);
        assert_eq!(dialog.signers, vec![SignerRow::new("Bea", "")]);
        assert!(!dialog.signers_ready);
        assert!(dialog.apply(SendAction::PrefillFailed).signers_ready);
        assert_eq!(dialog.blocker().as_deref(), Some("Choose a template"));
        let dialog =
            dialog.apply(SendAction::Templates(Ok(vec![template(10, "NDA", true), template(11, "MSA", false)])));
        assert_eq!(dialog.template, Some(id(10)));
        assert!(dialog.blocker().unwrap().contains("rendering"));
        let dialog = dialog.apply(SendAction::Prefill(SignerRow::new("Bea Contact", "bea@example.com")));
        assert_eq!(dialog.signers, vec![SignerRow::new("Bea Contact", "bea@example.com")]);
        assert!(dialog.signers_ready);
        // A stale preview (another template) is ignored.
        let dialog = dialog.apply(SendAction::Preview(id(11), Ok(preview())));
        assert_eq!(dialog.preview, None);
        let dialog = dialog.apply(SendAction::Preview(id(10), Ok(preview())));
        assert!(dialog.can_send());
        let request = dialog.request(id(1)).unwrap();
        assert_eq!(request.template_id, id(10));
        assert_eq!(request.provider, SignatureProviderKind::DropboxSign);
        assert_eq!(request.signers.len(), 1);

        // Changing the template renders again.
        let other = dialog.apply(SendAction::Template(id(11)));
        assert_eq!(other.preview, None);
        assert!(!other.can_send());
        // The same template keeps its preview.
        assert!(dialog.apply(SendAction::Template(id(10))).can_send());
    }

    #[test]
    fn missing_fields_and_bad_signers_stop_sending() {
        let base = SendDialog::new(SignatureProviderKind::DocuSign, None, false)
            .apply(SendAction::Templates(Ok(vec![template(10, "NDA", true)])))
            .apply(SendAction::SignerName(0, "Bea".into()))
            .apply(SendAction::SignerEmail(0, "bea@example.com".into()));
        let missing = ContractPreview { missing: vec!["sender.company".into()], ..preview() };
        assert!(needs_sender(&missing));
        let dialog = base.apply(SendAction::Preview(id(10), Ok(missing)));
        assert!(dialog.blocker().unwrap().contains("lacks fields"));
        let broken = ContractPreview { error: Some("line 3: unclosed delimiter".into()), pages: vec![], ..preview() };
        assert!(base.apply(SendAction::Preview(id(10), Ok(broken))).blocker().unwrap().contains("does not render"));
        // A failed preview call does not block: the core checks again on Send.
        assert!(base.apply(SendAction::Preview(id(10), Err("offline".into()))).can_send());

        let ok = base.apply(SendAction::Preview(id(10), Ok(preview())));
        assert!(ok.can_send());
        let bad = ok.apply(SendAction::SignerEmail(0, "bea@".into()));
        assert_eq!(bad.blocker().as_deref(), Some("Not an email address"));
        let none = ok.apply(SendAction::RemoveSigner(0));
        assert!(none.blocker().unwrap().contains("Add a signer"));
        let added = none.apply(SendAction::AddSigner);
        assert_eq!(added.signers.len(), 1);
        // Problems show once the row is left, and follow their rows when one goes.
        let typing = ok
            .apply(SendAction::AddSigner)
            .apply(SendAction::SignerName(1, "Cy".into()))
            .apply(SendAction::SignerEmail(1, "cy@".into()));
        assert_eq!(typing.shown_errors(), vec![None, None]);
        let left = typing.apply(SendAction::SignerLeft(1));
        assert_eq!(left.shown_errors()[1].clone().map(|e| e.email), Some(true));
        let shifted = left.apply(SendAction::RemoveSigner(0));
        assert_eq!(shifted.checked.iter().copied().collect::<Vec<_>>(), vec![0]);
        assert!(shifted.shown_errors()[0].is_some());
        // Edited signers are not overwritten by a late prefill.
        assert_eq!(ok.apply(SendAction::Prefill(SignerRow::new("X", "x@x.io"))).signers, ok.signers);
        let sending = ok.apply(SendAction::Sending);
        assert!(!sending.can_send());
        let failed = sending.apply(SendAction::SendFailed("DocuSign is not connected".into()));
        assert!(failed.can_send());
        assert_eq!(failed.error.as_deref(), Some("DocuSign is not connected"));
        assert_eq!(failed.apply(SendAction::Provider(SignatureProviderKind::DropboxSign)).error, None);
    }

    #[test]
    fn the_card_updates_one_contract_and_asks_for_a_void_reason() {
        let view = ContractsView::default()
            .apply(ContractsAction::Contracts(Ok(vec![
                contract(2, ContractStatus::Sent),
                contract(3, ContractStatus::Queued),
            ])))
            .apply(ContractsAction::Busy(id(2)));
        assert!(view.busy.contains(&id(2)));
        let view = view.apply(ContractsAction::Updated(Box::new(contract(2, ContractStatus::Completed))));
        assert!(view.busy.is_empty());
        let list = view.contracts.clone().unwrap().unwrap();
        assert_eq!((list.len(), list[0].status), (2, ContractStatus::Completed));
        let view = view.apply(ContractsAction::Updated(Box::new(contract(4, ContractStatus::Queued))));
        assert_eq!(view.contracts.clone().unwrap().unwrap()[0].id, id(4));

        let view = view.apply(ContractsAction::OpenVoid(id(3), "NDA".into()));
        let ask = view.void.clone().unwrap();
        assert!(ask.checked_reason().unwrap_err().contains("reason"));
        let view = view.apply(ContractsAction::VoidReason("  Wrong amount ".into()));
        assert_eq!(view.void.clone().unwrap().checked_reason().unwrap(), "Wrong amount");
        let long = view.apply(ContractsAction::VoidReason("x".repeat(201)));
        assert!(long.void.unwrap().checked_reason().is_err());
        let failed = view.apply(ContractsAction::VoidBusy).apply(ContractsAction::VoidFailed("no".into()));
        assert_eq!(failed.void.clone().unwrap().error.as_deref(), Some("no"));
        assert!(!failed.void.unwrap().busy);
        assert_eq!(view.apply(ContractsAction::CloseVoid).void, None);

        let view = view.apply(ContractsAction::OpenPdf(id(2), "NDA".into()));
        let pdf = ContractPdf { file_name: "a.pdf".into(), base64: String::new(), pages: vec!["<svg/>".into()] };
        let stale = view.apply(ContractsAction::PdfLoaded(id(3), Ok(pdf.clone())));
        assert_eq!(stale.pdf.unwrap().pdf, None);
        let loaded = view.apply(ContractsAction::PdfLoaded(id(2), Ok(pdf)));
        assert!(matches!(loaded.pdf.unwrap().pdf, Some(Ok(_))));
    }

    #[test]
    fn settings_are_checked_before_saving() {
        let s = status();
        let form = EsignForm::of(&s);
        let save = form.validate().unwrap();
        assert_eq!((save.poll_minutes, save.dropbox_sign_api_key.clone()), (15, None));
        let typed = form.edit(EsignEdit::DropboxKey("  key_123  ".into())).edit(EsignEdit::SenderName(" Ada ".into()));
        let save = typed.validate().unwrap();
        assert_eq!(save.dropbox_sign_api_key.as_deref(), Some("key_123"));
        assert_eq!(save.sender_name, "Ada");

        let bad = form
            .edit(EsignEdit::PollMinutes("5".into()))
            .edit(EsignEdit::SenderCompany("a\nb".into()))
            .edit(EsignEdit::DropboxKey("two words".into()));
        let errors = bad.validate().unwrap_err();
        assert!(errors.poll_minutes.is_some() && errors.sender_company.is_some() && errors.dropbox_sign_key.is_some());
        assert_eq!(errors.messages().len(), 3);
        assert!(form.edit(EsignEdit::PollMinutes("1441".into())).validate().is_err());
        assert!(form.edit(EsignEdit::PollMinutes("sixty".into())).validate().is_err());
        assert_eq!(form.edit(EsignEdit::PollMinutes(" 60 ".into())).validate().unwrap().poll_minutes, 60);
    }

    #[test]
    fn the_settings_view_keeps_edits_across_reloads() {
        let s = status();
        let view = EsignSettingsView::default().apply(EsignAction::Loaded(Ok(Box::new(s.clone()))));
        assert!(!view.dirty());
        let view = view.apply(EsignAction::Edit(EsignEdit::SenderName("Bo".into())));
        assert!(view.dirty());
        let connected = EsignStatus { dropbox_sign_key_set: true, ..s.clone() };
        let view = view.apply(EsignAction::Connecting).apply(EsignAction::LoginStarted("https://x".into()));
        let view = view.apply(EsignAction::Loaded(Ok(Box::new(connected))));
        assert_eq!(view.form.clone().unwrap().sender_name, "Bo");
        assert_eq!(view.authorize_url, None, "DocuSign is connected: the sign-in is over");
        let view = view.apply(EsignAction::Discard);
        assert!(!view.dirty());
        let invalid = view.apply(EsignAction::Edit(EsignEdit::PollMinutes("1".into())));
        let invalid = invalid.apply(EsignAction::Invalid(invalid.form.clone().unwrap().validate().unwrap_err()));
        assert!(!invalid.errors.is_empty());
        let fixed = invalid.apply(EsignAction::Edit(EsignEdit::PollMinutes("30".into())));
        assert!(fixed.errors.is_empty(), "messages clear as the user fixes things");
        let failed = fixed.apply(EsignAction::Connecting).apply(EsignAction::LoginFailed("denied".into()));
        assert_eq!((failed.connecting, failed.login_error.as_deref()), (false, Some("denied")));
    }

    #[test]
    fn template_drafts_are_checked() {
        let t = template(10, "NDA", true);
        let draft = ContractDraft::of(&t);
        assert!(!draft.changed_from(Some(&t)));
        assert!(ContractDraft::blank().changed_from(None));
        let save = ContractDraft { name: "  NDA 2 ".into(), ..draft.clone() }.validate().unwrap();
        assert_eq!((save.id, save.name.as_str()), (Some(id(10)), "NDA 2"));
        let errors = ContractDraft { name: " ".into(), body: "\n".into(), ..draft.clone() }.validate().unwrap_err();
        assert!(errors.name.is_some() && errors.body.is_some());
        let copy = ContractDraft::copy_of(&t);
        assert_eq!((copy.id, copy.name.as_str(), copy.builtin), (None, "Copy of NDA", false));
        let blank = ContractDraft::blank();
        assert!(blank.body.contains("#signatures()"));
        assert!(ContractDraft { name: "x".into(), ..blank }.validate().is_ok());
    }

    #[test]
    fn merge_fields_filter_by_name_then_label() {
        let field = |name: &str, label: &str, value: Option<&str>| ContractField {
            name: name.into(),
            label: label.into(),
            value: value.map(str::to_string),
        };
        let fields = vec![
            field("deal.title", "Deal title", Some("Big deal")),
            field("contact.name", "Contact's full name", None),
            field("company.name", "Company name", Some("Acme")),
            field("sender.name", "Your name", Some(&"x".repeat(60))),
        ];
        let names = |q: &str| filter_contract_fields(&fields, q).iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        assert_eq!(names("co"), vec!["contact.name", "company.name"]);
        assert_eq!(names("name"), vec!["contact.name", "company.name", "sender.name"]);
        assert_eq!(names("title"), vec!["deal.title"]);
        assert_eq!(names("your"), vec!["sender.name"]);
        assert_eq!(names("").len(), 4);
        assert_eq!(field_value_text(&fields[1]), "no value on this deal");
        assert_eq!(field_value_text(&fields[0]), "Big deal");
        assert!(field_value_text(&fields[3]).ends_with('…'));
        assert_eq!(field_value_text(&fields[3]).chars().count(), 48);
    }

    #[test]
    fn shipped_templates_come_first() {
        let sorted =
            sorted_templates(&[template(1, "zeta", false), template(2, "NDA", true), template(3, "alpha", false)]);
        let names: Vec<&str> = sorted.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["NDA", "alpha", "zeta"]);
    }
}
