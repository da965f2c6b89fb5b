//! Settings → Contracts.

use super::*;

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

pub(super) fn one_line(text: &str, what: &str) -> Result<String, String> {
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
