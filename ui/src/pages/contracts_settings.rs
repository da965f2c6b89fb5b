//! Settings → Contracts: the e-sign switch, the sender's details, the default provider, the
//! status check interval, moving completed deals to won, Connect DocuSign, the Dropbox Sign API
//! key (`#esign-settings`), and the way to the template editor (`#esign-templates`).

use crate::components::controls::{Button, Checkbox, Input, Select, Tone};
use crate::components::display::{Card, Skeleton};
use crate::components::hooks::use_core_events;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::{notify, use_notifier};
use crate::ipc::invoke;
use crate::pages::whop::copy_to_clipboard;
use crate::route::Route;
use crate::state::contracts::{
    EsignAction, EsignEdit, EsignSettingsView, MIN_POLL_MINUTES, docusign_text, dropbox_sign_text,
};
use dealdesk_model::contract::SignatureProviderKind;
use dealdesk_model::ipc::{
    CoreEvent, EsignConnectDocuSign, EsignDisconnectDocuSign, EsignGetStatus, EsignRemoveDropboxSignKey,
    EsignSaveSettings,
};
use yew::prelude::*;
use yew_router::prelude::*;

fn load_status(dispatch: UseReducerDispatcher<EsignSettingsView>) {
    wasm_bindgen_futures::spawn_local(async move {
        let status = invoke::<EsignGetStatus>(&()).await.map(Box::new).map_err(|e| e.message);
        dispatch.dispatch(EsignAction::Loaded(status));
    });
}

/// The Contracts tab of Settings.
#[function_component(ContractsSettingsTab)]
pub fn contracts_settings_tab() -> Html {
    let navigator = use_navigator();
    let open_editor = Callback::from(move |_: MouseEvent| {
        if let Some(nav) = &navigator {
            nav.push(&Route::ContractTemplates);
        }
    });
    html! {
        <div class="contracts-settings-tab">
            <EsignSettingsCard />
            <Card title={AttrValue::from("Contract templates")} id="esign-templates" class="esign-templates">
                <p class="esign-lead">
                    { "Templates are Typst documents with merge fields such as " }<code>{ "{{deal.amount}}" }</code>
                    { " and " }<code>{ "{{contact.name}}" }</code>{ ". Every save keeps the previous versions; the shipped service agreement and NDA are editable too." }
                </p>
                <div class="inline-form">
                    <Button id="contract-templates-open" class="contract-templates-link" onclick={open_editor}>{ "Open the template editor" }</Button>
                </div>
            </Card>
        </div>
    }
}

/// `#esign-settings`.
#[function_component(EsignSettingsCard)]
pub fn esign_settings_card() -> Html {
    let view = use_reducer(EsignSettingsView::default);
    let notifier = use_notifier();
    let confirm_disconnect = use_state(|| false);
    let confirm_remove_key = use_state(|| false);
    {
        let dispatch = view.dispatcher();
        use_effect_with((), move |_| load_status(dispatch));
    }
    {
        let dispatch = view.dispatcher();
        use_core_events(Callback::from(move |event: CoreEvent| {
            // Settings and sign-ins come with no deal.
            if matches!(event, CoreEvent::ContractsChanged { deal: None }) {
                load_status(dispatch.clone());
            }
        }));
    }
    let (Some(status), Some(form)) = (view.status.clone(), view.form.clone()) else {
        return html! {
            <Card title={AttrValue::from("E-signature")} id="esign-settings">
                if let Some(message) = &view.load_error {
                    <div class="banner error" id="esign-load-error" role="alert">{ format!("Cannot read the contract settings: {message}") }</div>
                } else {
                    <Skeleton rows={6} />
                }
            </Card>
        };
    };
    let edit = |make: fn(String) -> EsignEdit| {
        let dispatch = view.dispatcher();
        Callback::from(move |value: String| dispatch.dispatch(EsignAction::Edit(make(value))))
    };
    let toggle = |make: fn(bool) -> EsignEdit| {
        let dispatch = view.dispatcher();
        Callback::from(move |(on, _): (bool, bool)| dispatch.dispatch(EsignAction::Edit(make(on))))
    };
    let save = {
        let (dispatch, notifier, form) = (view.dispatcher(), notifier.clone(), form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = match form.validate() {
                Ok(request) => request,
                Err(errors) => {
                    dispatch.dispatch(EsignAction::Invalid(errors));
                    return;
                }
            };
            dispatch.dispatch(EsignAction::Saving);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<EsignSaveSettings>(&request).await {
                    Ok(status) => {
                        notify(&notifier, Ok("Saved the contract settings".into()));
                        dispatch.dispatch(EsignAction::Saved(Box::new(status)));
                    }
                    Err(e) => dispatch.dispatch(EsignAction::SaveFailed(e.message)),
                }
            });
        })
    };
    let discard = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(EsignAction::Discard))
    };
    let connect = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(EsignAction::Connecting);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<EsignConnectDocuSign>(&()).await {
                    Ok(started) => dispatch.dispatch(EsignAction::LoginStarted(started.authorize_url)),
                    Err(e) => {
                        notify(&notifier, Err(format!("Cannot connect DocuSign: {}", e.message)));
                        dispatch.dispatch(EsignAction::LoginFailed(e.message));
                    }
                }
            });
        })
    };
    let disconnect = {
        let (dispatch, notifier, confirm) = (view.dispatcher(), notifier.clone(), confirm_disconnect.clone());
        Callback::from(move |_: ()| {
            confirm.set(false);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<EsignDisconnectDocuSign>(&()).await;
                notify(&notifier, result.map(|_| "Disconnected from DocuSign".to_string()).map_err(|e| e.message));
                load_status(dispatch);
            });
        })
    };
    let remove_key = {
        let (dispatch, notifier, confirm) = (view.dispatcher(), notifier.clone(), confirm_remove_key.clone());
        Callback::from(move |_: ()| {
            confirm.set(false);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<EsignRemoveDropboxSignKey>(&()).await;
                notify(
                    &notifier,
                    result.map(|_| "Removed the Dropbox Sign API key".to_string()).map_err(|e| e.message),
                );
                load_status(dispatch);
            });
        })
    };
    let copy_url = {
        let (url, notifier) = (view.authorize_url.clone().unwrap_or_default(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            let (url, notifier) = (url.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let copied = copy_to_clipboard(&url).await;
                notify(
                    &notifier,
                    if copied {
                        Ok("Copied the DocuSign sign-in link".into())
                    } else {
                        Err("Cannot reach the clipboard: select the link and press Ctrl+C".into())
                    },
                );
            });
        })
    };

    let errors = &view.errors;
    let error = |e: &Option<String>| e.clone().map(AttrValue::from);
    let providers: Vec<(AttrValue, AttrValue)> = SignatureProviderKind::ALL
        .into_iter()
        .map(|p| (AttrValue::from(p.as_str()), AttrValue::from(p.label())))
        .collect();
    let off = status.disabled_by_env;
    let dirty = view.dirty();
    // Connect needs e-sign switched on (and saved).
    let can_connect = status.enabled && !view.connecting;
    html! {
        <Card title={AttrValue::from("E-signature")} id="esign-settings" class="esign-settings">
            if off {
                <div class="banner warning" id="esign-disabled-env" role="status">
                    { "Switched off by DEALDESK_ESIGN=off: contracts cannot be sent whatever is set here. Remove the variable and restart Dealdesk to send contracts." }
                </div>
            }
            <form class="esign-form" onsubmit={save} novalidate=true aria-label="Contract settings">
                <div class="esign-enabled-row">
                    <Checkbox id="esign-enabled" checked={form.enabled && !off} disabled={off}
                        label={AttrValue::from("Send contracts for e-signature from Dealdesk")} on_change={toggle(EsignEdit::Enabled)} />
                </div>
                <h4 class="whop-subhead">{ "Sender" }<span class="count">{ "how contracts name you: {{sender.company}} and {{sender.name}}" }</span></h4>
                <div class="form-grid">
                    <Input id="esign-sender-company" label={AttrValue::from("Your company")} value={form.sender_company.clone()}
                        placeholder="Acme Inc." error={error(&errors.sender_company)} on_change={edit(EsignEdit::SenderCompany)} />
                    <Input id="esign-sender-name" label={AttrValue::from("Your name")} value={form.sender_name.clone()}
                        placeholder="Ada Lovelace" error={error(&errors.sender_name)} on_change={edit(EsignEdit::SenderName)} />
                </div>
                <h4 class="whop-subhead">{ "Sending and status" }</h4>
                <div class="form-grid">
                    <Select id="esign-default-provider" label={AttrValue::from("Default provider")} value={form.default_provider.as_str()}
                        options={providers}
                        on_change={{ let d = view.dispatcher(); Callback::from(move |v: String| {
                            if let Some(p) = SignatureProviderKind::parse(&v) { d.dispatch(EsignAction::Edit(EsignEdit::DefaultProvider(p))) }
                        }) }} />
                    <Input id="esign-poll-minutes" kind="number" min={AttrValue::from(MIN_POLL_MINUTES.to_string())}
                        label={AttrValue::from("Check the status every (minutes)")} value={form.poll_minutes.clone()}
                        error={error(&errors.poll_minutes)} on_change={edit(EsignEdit::PollMinutes)} />
                </div>
                <div class="esign-won-row">
                    <Checkbox id="esign-move-to-won" checked={form.move_deal_to_won}
                        label={AttrValue::from("Move the deal to won when every signer has signed")} on_change={toggle(EsignEdit::MoveToWon)} />
                </div>

                <h4 class="whop-subhead">{ "Providers" }</h4>
                <div class="esign-providers">
                    <div class="esign-provider" data-provider="docusign" data-connected={status.docusign_connected.to_string()}>
                        <div class="esign-provider-head">
                            <span class="esign-provider-name">{ "DocuSign" }</span>
                            <span class={classes!("dot", if status.docusign_connected { "online" } else { "offline" })} aria-hidden="true" />
                            <span class="esign-provider-status" id="docusign-status">{ docusign_text(&status) }</span>
                            <span class="spacer" />
                            if status.docusign_connected {
                                <Button small=true tone={Tone::Danger} id="docusign-disconnect"
                                    onclick={{ let c = confirm_disconnect.clone(); Callback::from(move |_| c.set(true)) }}>{ "Disconnect" }</Button>
                            } else {
                                <Button small=true tone={Tone::Primary} id="docusign-connect" disabled={!can_connect} onclick={connect}
                                    title={AttrValue::from(if status.enabled { "Sign in to DocuSign in your browser" } else { "Turn on contract signing and save first" })}>
                                    if view.connecting && view.authorize_url.is_none() { <span class="spinner" aria-hidden="true" />{ " " } }
                                    { "Connect DocuSign" }
                                </Button>
                            }
                        </div>
                        <div class="muted esign-provider-note">
                            { "Signs in with your DocuSign account in the browser; the tokens stay in the OS keyring." }
                        </div>
                        if let Some(url) = &view.authorize_url {
                            <div class="whop-login" id="docusign-login">
                                <div class="whop-waiting">{ "Waiting for DocuSign in your browser…" }</div>
                                <div class="muted">{ "No browser opened? Open this link yourself:" }</div>
                                <div class="whop-url-row">
                                    <code class="whop-url" id="docusign-authorize-url">{ url.clone() }</code>
                                    <Button small=true id="docusign-copy-url" onclick={copy_url}>{ "Copy" }</Button>
                                </div>
                            </div>
                        }
                        if let Some(message) = &view.login_error {
                            <div class="banner error" id="docusign-login-error" role="alert">{ format!("DocuSign sign-in failed: {message}") }</div>
                        }
                    </div>
                    <div class="esign-provider" data-provider="dropbox-sign" data-connected={status.dropbox_sign_key_set.to_string()}>
                        <div class="esign-provider-head">
                            <span class="esign-provider-name">{ "Dropbox Sign" }</span>
                            <span class={classes!("dot", if status.dropbox_sign_key_set { "online" } else { "offline" })} aria-hidden="true" />
                            <span class="esign-provider-status" id="dropbox-sign-status" data-has-key={status.dropbox_sign_key_set.to_string()}>
                                { dropbox_sign_text(&status, &form) }
                            </span>
                            <span class="spacer" />
                            if status.dropbox_sign_key_set {
                                <Button small=true tone={Tone::Danger} id="dropbox-sign-remove-key"
                                    onclick={{ let c = confirm_remove_key.clone(); Callback::from(move |_| c.set(true)) }}>{ "Remove key" }</Button>
                            }
                        </div>
                        <Input id="dropbox-sign-key" kind="password" label={AttrValue::from("API key")} value={form.dropbox_sign_key.clone()}
                            placeholder={if status.dropbox_sign_key_set { "•••••••• stored: type to replace, or leave empty to keep it" } else { "Paste the API key" }}
                            error={error(&errors.dropbox_sign_key)} on_change={edit(EsignEdit::DropboxKey)} />
                    </div>
                </div>

                if !errors.is_empty() {
                    <div class="banner error" id="esign-settings-errors" role="alert">
                        <div>{ "Fix these first:" }</div>
                        <ul>{ for errors.messages().into_iter().map(|m| html! { <li>{ m }</li> }) }</ul>
                    </div>
                }
                if let Some(message) = &view.save_error {
                    <div class="banner error" id="esign-save-error" role="alert">{ message.clone() }</div>
                }
                <div class="inline-form">
                    <Button kind="submit" tone={Tone::Primary} id="esign-save" disabled={view.saving}>
                        { if view.saving { "Saving…" } else { "Save" } }
                    </Button>
                    if dirty {
                        <Button tone={Tone::Ghost} id="esign-discard" onclick={discard}>{ "Discard changes" }</Button>
                        <span class="muted esign-dirty">{ "Unsaved changes" }</span>
                    }
                </div>
            </form>
            if *confirm_disconnect {
                <ConfirmDialog title="Disconnect DocuSign?" id="docusign-disconnect-dialog" confirm_id="docusign-disconnect-confirm"
                    confirm_label="Disconnect" danger=true on_confirm={disconnect}
                    on_close={{ let c = confirm_disconnect.clone(); Callback::from(move |_| c.set(false)) }}>
                    <p class="dialog-lead">{ "Dealdesk forgets the DocuSign sign-in. Contracts out for signature with DocuSign stop updating until you connect again." }</p>
                </ConfirmDialog>
            }
            if *confirm_remove_key {
                <ConfirmDialog title="Remove the Dropbox Sign key?" id="dropbox-sign-remove-dialog" confirm_id="dropbox-sign-remove-confirm"
                    confirm_label="Remove key" danger=true on_confirm={remove_key}
                    on_close={{ let c = confirm_remove_key.clone(); Callback::from(move |_| c.set(false)) }}>
                    <p class="dialog-lead">{ "Dealdesk deletes the API key from the OS keyring. Contracts out for signature with Dropbox Sign stop updating until you paste a key again." }</p>
                </ConfirmDialog>
            }
        </Card>
    }
}
