//! The deal card.

use super::*;

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
