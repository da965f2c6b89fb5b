//! `#contracts-card` on the deal page: the deal's contracts with their status, signers and
//! timeline (Refresh now, Void with a reason, the PDF viewer, Export), and the send dialog
//! (`#contract-send-dialog`: template, provider, signers, a live preview of the pages).

use crate::components::controls::{Button, Input, Select, Tone};
use crate::components::display::{Card, Skeleton};
use crate::components::hooks::use_contracts_changes;
use crate::components::overlay::Modal;
use crate::components::toasts::{Notifier, use_notifier};
use crate::ipc::invoke;
use crate::pages::ai::tone_class;
use crate::route::Route;
use crate::state::contracts::{
    ContractsAction, ContractsView, MAX_SIGNERS, QUEUED_TOAST, SENDER_HINT_LEAD, SendAction, SendDialog, SignerError,
    SignerRow, event_label, event_tone, export_toast, field_list, needs_sender, pages_text, pdf_label,
    provider_connected, provider_option_label, render_ms_text, signed_text, signer_status_key, signer_status_label,
    signer_tone, status_tone,
};
use crate::state::format::short_time;
use dealdesk_model::contract::{Contract, ContractPreview, ContractPreviewRequest, EsignStatus, SignatureProviderKind};
use dealdesk_model::ipc::{
    ContractExportPdf, ContractOpenPdf, ContractPreviewRender, ContractRefresh, ContractSend, ContractTemplatesList,
    ContractVoid, ContractsForDeal, EsignGetStatus, GetPerson,
};
use std::cell::RefCell;
use std::rc::Rc;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

mod card;
mod send;

pub use card::*;
pub use send::*;

fn toast_error(notifier: &Option<Notifier>, message: impl Into<String>) {
    if let Some(n) = notifier {
        n.error(message);
    }
}

fn toast_success(notifier: &Option<Notifier>, message: impl Into<String>) {
    if let Some(n) = notifier {
        n.success(message);
    }
}

/// Reads the e-sign status and the deal's contracts; an answer overtaken by a newer load is
/// dropped.
fn load(deal: Uuid, dispatch: UseReducerDispatcher<ContractsView>, latest: Rc<RefCell<u64>>) {
    *latest.borrow_mut() += 1;
    let mine = *latest.borrow();
    wasm_bindgen_futures::spawn_local(async move {
        let status = invoke::<EsignGetStatus>(&()).await.map(Box::new).map_err(|e| e.message);
        let contracts = invoke::<ContractsForDeal>(&deal).await.map_err(|e| e.message);
        if *latest.borrow() == mine {
            dispatch.dispatch(ContractsAction::Status(status));
            dispatch.dispatch(ContractsAction::Contracts(contracts));
        }
    });
}

/// The link to Settings → Contracts.
fn settings_link(text: &'static str) -> Html {
    html! {
        <Link<Route> to={Route::SettingsTab { tab: "contracts".into() }} classes="contracts-settings-link">{ text }</Link<Route>>
    }
}
