//! Whop: the connection, business accounts, permissions, settings, live sync progress, totals and
//! history (`WhopPanel`, on the Whop screen and in Settings → Integrations), Check connection,
//! revenue by product (per business), and a person's Whop card.

use crate::components::controls::{Button, Checkbox, Select, Tone};
use crate::components::display::{Badge, BadgeTone, Card, Skeleton};
use crate::components::hooks::{use_core_events, use_whop_changes, use_whop_data_changes};
use crate::components::overlay::Modal;
use crate::components::toasts::{Notifier, use_notifier};
use crate::ipc::invoke;
use crate::pages::whop_actions::{MembershipRow, PendingBadges, refund_button, retry_button, use_action_dialog};
use crate::state::format::{money_text, short_date, short_time};
use crate::state::whop::{
    DISABLED_BY_ENV, StatusTone, WhopAction, WhopView, interval_label, interval_options, payment_tone, payments_label,
    run_summary, run_tone, run_totals, status_text,
};
use dealdesk_model::ipc::{
    CoreEvent, WhopConnect, WhopConnectLoopback, WhopDisconnect, WhopDoctor, WhopGetPersonSummary,
    WhopGetProductRevenue, WhopGetStatus, WhopSaveSettings, WhopSelectBusinesses, WhopSyncHistory, WhopSyncNow,
};
use dealdesk_model::whop::{
    DoctorCheck, PermissionState, ProductRevenue, WhopAccount, WhopBusiness, WhopPersonQuery, WhopPersonSummary,
    WhopSettings, WhopStatus,
};
use dealdesk_model::{ApiError, RecordKind};
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

mod business;
mod panel;
mod person;

pub use business::*;
pub use panel::*;
pub use person::*;

/// The small "Whop" mark on data that comes from Whop.
pub fn whop_badge() -> Html {
    html! { <span class="badge accent whop-badge" title="From Whop">{ "Whop" }</span> }
}

/// The badge tone of a status tone.
pub fn tone(tone: StatusTone) -> BadgeTone {
    match tone {
        StatusTone::Neutral => BadgeTone::Neutral,
        StatusTone::Accent => BadgeTone::Accent,
        StatusTone::Success => BadgeTone::Success,
        StatusTone::Warning => BadgeTone::Warning,
        StatusTone::Danger => BadgeTone::Danger,
    }
}

fn toast_error(notifier: &Option<Notifier>, message: impl Into<String>) {
    if let Some(n) = notifier {
        n.error(message);
    }
}

/// Starts a Whop sign-in through `C` (the deep-link or the loopback redirect): the core opens the
/// browser; the answer is the URL it opened, for people whose browser did not open.
pub async fn begin_login<C>() -> Result<String, ApiError>
where
    C: dealdesk_model::ipc::Command<Request = (), Response = dealdesk_model::whop::WhopLoginStarted>,
{
    invoke::<C>(&()).await.map(|started| started.authorize_url)
}

/// Starts a login through `C` (the deep-link or the loopback redirect) and shows its URL.
fn start_login<C>(dispatch: UseReducerDispatcher<WhopView>, notifier: Option<Notifier>) -> Callback<MouseEvent>
where
    C: dealdesk_model::ipc::Command<Request = (), Response = dealdesk_model::whop::WhopLoginStarted> + 'static,
{
    Callback::from(move |_: MouseEvent| {
        dispatch.dispatch(WhopAction::ConnectStarted);
        let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match begin_login::<C>().await {
                Ok(url) => dispatch.dispatch(WhopAction::LoginStarted(url)),
                Err(e) => {
                    toast_error(&notifier, e.message.clone());
                    dispatch.dispatch(WhopAction::LoginFailed(e.message));
                }
            }
        });
    })
}

fn load_status(dispatch: UseReducerDispatcher<WhopView>) {
    wasm_bindgen_futures::spawn_local(async move {
        dispatch.dispatch(WhopAction::Status(invoke::<WhopGetStatus>(&()).await.map(Box::new).map_err(|e| e.message)));
    });
}

/// Reads the status and the sync history again.
fn reload(dispatch: UseReducerDispatcher<WhopView>) {
    wasm_bindgen_futures::spawn_local(async move {
        dispatch.dispatch(WhopAction::Status(invoke::<WhopGetStatus>(&()).await.map(Box::new).map_err(|e| e.message)));
        if let Ok(runs) = invoke::<WhopSyncHistory>(&()).await {
            dispatch.dispatch(WhopAction::History(runs));
        }
    });
}

/// Writes text to the clipboard; false when the webview offers no clipboard.
pub async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let navigator = window.navigator();
    let Ok(clipboard) = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard")) else { return false };
    if clipboard.is_undefined() || clipboard.is_null() {
        return false;
    }
    let Ok(write) = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText")) else { return false };
    let Ok(write) = write.dyn_into::<js_sys::Function>() else { return false };
    let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text)) else { return false };
    let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else { return false };
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// Selects the text of an element, so Ctrl+C copies it when the clipboard API is missing.
pub fn select_text_of(id: &str) {
    let Some(window) = web_sys::window() else { return };
    let Some(element) = window.document().and_then(|d| d.get_element_by_id(id)) else { return };
    let Ok(get_selection) = js_sys::Reflect::get(&window, &JsValue::from_str("getSelection")) else { return };
    let Ok(get_selection) = get_selection.dyn_into::<js_sys::Function>() else { return };
    let Ok(selection) = get_selection.call0(&window) else { return };
    if let Ok(select_all) = js_sys::Reflect::get(&selection, &JsValue::from_str("selectAllChildren"))
        && let Ok(select_all) = select_all.dyn_into::<js_sys::Function>()
    {
        let _ = select_all.call1(&selection, &element);
    }
}

/// The Whop screen: the connection, then revenue and promo codes of one business or all.
#[function_component(WhopPage)]
pub fn whop_page() -> Html {
    let businesses = use_synced_businesses();
    let (business, on_change) = use_business_filter(&businesses);
    html! {
        <section class="page whop-page" id="whop-page">
            <header class="page-header"><h1>{ "Whop" }</h1></header>
            <WhopPanel />
            <BusinessPicker id="whop-business-filter" businesses={businesses.clone()} value={business.clone()} {on_change} />
            <WhopRevenue business={business.clone()} />
            <crate::pages::whop_actions::WhopPromoCodes {business} {businesses} />
        </section>
    }
}
