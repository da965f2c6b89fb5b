//! The send dialog.

use super::*;

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
