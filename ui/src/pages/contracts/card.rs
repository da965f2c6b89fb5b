//! The deal page's contracts card: each contract, its signers, void, the signed PDF.

use super::*;

#[derive(Properties, PartialEq)]
pub struct ContractsCardProps {
    pub deal: Uuid,
    /// The deal's point of contact: the first signer.
    #[prop_or_default]
    pub contact: Option<Uuid>,
    #[prop_or_default]
    pub contact_name: Option<String>,
}

/// The contracts of a deal. Render it with `key` set to the deal.
#[function_component(ContractsCard)]
pub fn contracts_card(props: &ContractsCardProps) -> Html {
    let view = use_reducer(ContractsView::default);
    let notifier = use_notifier();
    let changes = use_contracts_changes(Some(props.deal));
    let latest = use_mut_ref(|| 0_u64);
    {
        let (dispatch, latest) = (view.dispatcher(), latest.clone());
        use_effect_with((props.deal, changes), move |(deal, _)| load(*deal, dispatch, latest));
    }
    let deal = props.deal;

    let refresh = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |id: Uuid| {
            dispatch.dispatch(ContractsAction::Busy(id));
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractRefresh>(&id).await {
                    Ok(contract) => {
                        toast_success(&notifier, format!("{}: {}", contract.title, contract.status.label()));
                        dispatch.dispatch(ContractsAction::Updated(Box::new(contract)));
                    }
                    Err(e) => {
                        toast_error(&notifier, format!("Cannot check the status: {}", e.message));
                        dispatch.dispatch(ContractsAction::Idle(id));
                    }
                }
            });
        })
    };
    let export = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |id: Uuid| {
            dispatch.dispatch(ContractsAction::Busy(id));
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractExportPdf>(&id).await {
                    Ok(file) => toast_success(&notifier, export_toast(&file.path)),
                    Err(e) => toast_error(&notifier, format!("Cannot export the PDF: {}", e.message)),
                }
                dispatch.dispatch(ContractsAction::Idle(id));
            });
        })
    };
    let open_pdf = {
        let dispatch = view.dispatcher();
        Callback::from(move |(id, title): (Uuid, String)| {
            dispatch.dispatch(ContractsAction::OpenPdf(id, title));
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let pdf = invoke::<ContractOpenPdf>(&id).await.map_err(|e| e.message);
                dispatch.dispatch(ContractsAction::PdfLoaded(id, pdf));
            });
        })
    };
    let ask_void = {
        let dispatch = view.dispatcher();
        Callback::from(move |(id, title): (Uuid, String)| dispatch.dispatch(ContractsAction::OpenVoid(id, title)))
    };
    let void = {
        let (view, notifier) = (view.clone(), notifier.clone());
        Callback::from(move |_: ()| {
            let Some(ask) = view.void.clone() else { return };
            if ask.busy {
                return;
            }
            let reason = match ask.checked_reason() {
                Ok(reason) => reason,
                Err(why) => {
                    view.dispatch(ContractsAction::VoidFailed(why));
                    return;
                }
            };
            view.dispatch(ContractsAction::VoidBusy);
            let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractVoid>(&(ask.contract, reason)).await {
                    Ok(contract) => {
                        toast_success(
                            &notifier,
                            if contract.status.is_open() {
                                "Voiding: it goes out now, or when you are back online".to_string()
                            } else {
                                format!("Voided “{}”", contract.title)
                            },
                        );
                        dispatch.dispatch(ContractsAction::Updated(Box::new(contract)));
                        dispatch.dispatch(ContractsAction::CloseVoid);
                    }
                    Err(e) => dispatch.dispatch(ContractsAction::VoidFailed(e.message)),
                }
            });
        })
    };
    let open_send = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(ContractsAction::OpenSend))
    };
    let close_send = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: ()| dispatch.dispatch(ContractsAction::CloseSend))
    };
    let sent = {
        let (dispatch, notifier, latest) = (view.dispatcher(), notifier.clone(), latest.clone());
        Callback::from(move |contract: Contract| {
            toast_success(&notifier, QUEUED_TOAST);
            dispatch.dispatch(ContractsAction::CloseSend);
            dispatch.dispatch(ContractsAction::Updated(Box::new(contract)));
            load(deal, dispatch.clone(), latest.clone());
        })
    };

    let status = match &view.status {
        Some(Ok(status)) => Some(status.clone()),
        _ => None,
    };
    let actions = match &status {
        Some(s) if s.enabled => html! {
            <Button small=true tone={Tone::Primary} id="contract-send-open" onclick={open_send}>{ "Send contract" }</Button>
        },
        _ => html! {},
    };
    let body = match (&view.status, &view.contracts) {
        (None, _) | (_, None) => html! { <Skeleton rows={3} /> },
        (Some(Err(message)), _) | (_, Some(Err(message))) => html! {
            <div class="banner error" id="contracts-error" role="alert">{ format!("Cannot read the contracts: {message}") }</div>
        },
        (Some(Ok(status)), Some(Ok(list))) => html! {
            <>
                if !status.enabled {
                    <div class="contracts-off" id="contracts-off">
                        if status.disabled_by_env {
                            { "Contract signing is switched off by DEALDESK_ESIGN=off. See " }
                        } else {
                            { "Contract signing is off. Turn it on in " }
                        }
                        { settings_link("Settings → Contracts") }
                        { "." }
                    </div>
                }
                if list.is_empty() {
                    <div class="muted contracts-empty" id="contracts-empty">
                        { if status.enabled { "No contracts yet: Send contract renders a template on this deal and sends it for e-signature." } else { "No contracts yet." } }
                    </div>
                } else {
                    <div class="contract-list" id="contract-list">
                        { for list.iter().map(|c| contract_view(c, view.busy.contains(&c.id), status.enabled, &refresh, &ask_void, &open_pdf, &export)) }
                    </div>
                }
            </>
        },
    };

    html! {
        <Card title={AttrValue::from("Contracts")} id="contracts-card" class="contracts-card" {actions}>
            { body }
            if view.sending {
                if let Some(status) = status.clone() {
                    <SendContractDialog {deal} {status} contact={props.contact} contact_name={props.contact_name.clone()}
                        on_close={close_send} on_sent={sent} />
                }
            }
            { void_dialog(&view, &void) }
            { pdf_viewer(&view, &export) }
        </Card>
    }
}

/// One contract: title, status, provider, signers, the timeline, the error, the buttons.
pub(super) fn contract_view(
    c: &Contract,
    busy: bool,
    enabled: bool,
    refresh: &Callback<Uuid>,
    ask_void: &Callback<(Uuid, String)>,
    open_pdf: &Callback<(Uuid, String)>,
    export: &Callback<Uuid>,
) -> Html {
    let id = c.id;
    let title = c.title.clone();
    let on_refresh = {
        let refresh = refresh.clone();
        Callback::from(move |_: MouseEvent| refresh.emit(id))
    };
    let on_void = {
        let (ask_void, title) = (ask_void.clone(), title.clone());
        Callback::from(move |_: MouseEvent| ask_void.emit((id, title.clone())))
    };
    let on_pdf = {
        let (open_pdf, title) = (open_pdf.clone(), title.clone());
        Callback::from(move |_: MouseEvent| open_pdf.emit((id, title.clone())))
    };
    let on_export = {
        let export = export.clone();
        Callback::from(move |_: MouseEvent| export.emit(id))
    };
    let status = c.status;
    html! {
        <div class={classes!("contract", format!("contract-{}", status.as_str()))} key={id.to_string()}
            data-contract={id.to_string()} data-status={status.as_str()}>
            <div class="contract-head">
                <div class="contract-title-line">
                    <span class="contract-title">{ c.title.clone() }</span>
                    <span class={classes!("badge", tone_class(status_tone(status)), "contract-status")} data-status={status.as_str()}>
                        { status.label() }
                    </span>
                </div>
                <div class="contract-meta muted">
                    <span class="contract-provider" data-provider={c.provider.as_str()}>{ c.provider.label() }</span>
                    <span class="contract-sep" aria-hidden="true">{ "·" }</span>
                    <span class="contract-template">{ c.template_name.clone() }</span>
                    <span class="contract-sep" aria-hidden="true">{ "·" }</span>
                    <span class="contract-created">{ format!("Created {}", short_time(&c.created_at)) }</span>
                    if let Some(text) = signed_text(c) {
                        <span class="contract-sep" aria-hidden="true">{ "·" }</span>
                        <span class="contract-signed-count">{ text }</span>
                    }
                </div>
            </div>
            if let Some(error) = &c.error {
                <div class="banner error contract-error" role="alert">{ error.clone() }</div>
            }
            <div class="contract-columns">
                <div class="contract-column">
                    <div class="contract-column-title">{ "Signers" }</div>
                    <ul class="contract-signers">
                        { for c.signers.iter().map(|s| html! {
                            <li class="contract-signer" data-status={signer_status_key(s.status)} data-email={s.email.clone()}>
                                <span class="contract-signer-avatar" aria-hidden="true">{ initial(&s.name) }</span>
                                <div class="contract-signer-who">
                                    <span class="contract-signer-label">{ s.name.clone() }</span>
                                    <span class="muted contract-signer-address">{ s.email.clone() }</span>
                                    if let Some(at) = &s.signed_at {
                                        <span class="muted contract-signer-when">{ format!("Signed {}", short_time(at)) }</span>
                                    }
                                    if let Some(reason) = &s.declined_reason {
                                        <span class="contract-signer-declined">{ format!("Declined: {reason}") }</span>
                                    }
                                </div>
                                <span class={classes!("badge", tone_class(signer_tone(s.status)), "contract-signer-status")}>
                                    { signer_status_label(s.status) }
                                </span>
                            </li>
                        }) }
                    </ul>
                </div>
                <div class="contract-column">
                    <div class="contract-column-title">{ "Timeline" }</div>
                    <ol class="contract-events">
                        { for c.events.iter().map(|e| html! {
                            <li class="contract-event" data-kind={e.kind.clone()}>
                                <span class={classes!("contract-event-dot", tone_class(event_tone(&e.kind)))} aria-hidden="true" />
                                <div class="contract-event-text">
                                    <span class="contract-event-kind">{ event_label(&e.kind) }</span>
                                    if !e.detail.is_empty() {
                                        <span class="contract-event-detail">{ e.detail.clone() }</span>
                                    }
                                </div>
                                <time class="contract-event-time" datetime={e.at.clone()}>{ short_time(&e.at) }</time>
                            </li>
                        }) }
                    </ol>
                    if c.events.is_empty() { <div class="muted contract-no-events">{ "Nothing yet." }</div> }
                </div>
            </div>
            <div class="contract-buttons">
                <Button small=true class="contract-refresh" disabled={busy || !enabled || c.remote_id.is_none()} onclick={on_refresh}
                    aria_label={AttrValue::from(format!("Refresh now: the status of {title}"))}
                    title={AttrValue::from(if c.remote_id.is_some() { "Ask the provider for the status now" } else { "Not sent yet: there is no status to ask for" })}>
                    if busy { <span class="spinner" aria-hidden="true" />{ " " } }
                    { "Refresh now" }
                </Button>
                <Button small=true class="contract-open-pdf" onclick={on_pdf}
                    aria_label={AttrValue::from(format!("{}: {title}", pdf_label(c)))}>{ pdf_label(c) }</Button>
                <Button small=true class="contract-export" disabled={busy} onclick={on_export}
                    aria_label={AttrValue::from(format!("Export PDF: {title}"))}
                    title={AttrValue::from("Save the PDF to your downloads folder")}>{ "Export PDF" }</Button>
                <span class="spacer" />
                if let Some(at) = &c.last_checked_at {
                    <span class="muted contract-checked">{ format!("Checked {}", short_time(at)) }</span>
                }
                if status.is_open() {
                    <Button small=true tone={Tone::Danger} class="contract-void" disabled={!enabled} onclick={on_void}
                        aria_label={AttrValue::from(format!("Void {title}"))}>{ "Void…" }</Button>
                }
            </div>
        </div>
    }
}

pub(super) fn initial(name: &str) -> String {
    name.trim().chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_else(|| "?".to_string())
}

/// `#contract-void-dialog`: the reason (Enter voids), Back and Void.
pub(super) fn void_dialog(view: &UseReducerHandle<ContractsView>, void: &Callback<()>) -> Html {
    let Some(ask) = view.void.clone() else { return html! {} };
    let close = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: ()| dispatch.dispatch(ContractsAction::CloseVoid))
    };
    let back = {
        let close = close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let confirm = {
        let void = void.clone();
        Callback::from(move |_: MouseEvent| void.emit(()))
    };
    let on_enter = {
        let void = void.clone();
        Callback::from(move |_: String| void.emit(()))
    };
    let on_reason = {
        let dispatch = view.dispatcher();
        Callback::from(move |v: String| dispatch.dispatch(ContractsAction::VoidReason(v)))
    };
    let footer = html! {
        <>
            <Button tone={Tone::Ghost} onclick={back}>{ "Back" }</Button>
            <button type="button" id="contract-void-confirm" class="btn danger" disabled={ask.busy}
                aria-busy={ask.busy.to_string()} onclick={confirm}>
                { if ask.busy { "Voiding…" } else { "Void contract" } }
            </button>
        </>
    };
    html! {
        <Modal title="Void this contract?" id="contract-void-dialog" on_close={close} {footer}>
            <p class="dialog-lead">{ format!("“{}” is withdrawn: its signers can no longer sign it.", ask.title) }</p>
            <Input id="contract-void-reason" label={AttrValue::from("Reason (the signers see it)")} value={ask.reason.clone()}
                placeholder="For example: the amount changed, a new version follows" autofocus=true
                on_change={on_reason} on_enter={Some(on_enter)} />
            if let Some(error) = &ask.error {
                <div class="banner error dialog-error" id="contract-void-dialog-error" role="alert">{ error.clone() }</div>
            }
        </Modal>
    }
}

/// `#contract-pdf-viewer`: the pages as SVG, Export and Close.
pub(super) fn pdf_viewer(view: &UseReducerHandle<ContractsView>, export: &Callback<Uuid>) -> Html {
    let Some(pdf) = view.pdf.clone() else { return html! {} };
    let close = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: ()| dispatch.dispatch(ContractsAction::ClosePdf))
    };
    let close_button = {
        let close = close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let on_export = {
        let (export, id) = (export.clone(), pdf.contract);
        Callback::from(move |_: MouseEvent| export.emit(id))
    };
    let busy = view.busy.contains(&pdf.contract);
    let footer = html! {
        <>
            if let Some(Ok(file)) = &pdf.pdf {
                <span class="muted contract-pdf-file" id="contract-pdf-file">{ file.file_name.clone() }</span>
            }
            <Button id="contract-pdf-export" disabled={busy || !matches!(pdf.pdf, Some(Ok(_)))} onclick={on_export}>{ "Export PDF" }</Button>
            <Button tone={Tone::Primary} id="contract-pdf-close" onclick={close_button}>{ "Close" }</Button>
        </>
    };
    let body = match &pdf.pdf {
        None => html! { <div class="contract-pdf-loading"><Skeleton rows={6} /></div> },
        Some(Err(message)) => html! {
            <div class="banner error" id="contract-pdf-error" role="alert">{ format!("Cannot open the PDF: {message}") }</div>
        },
        Some(Ok(file)) if file.pages.is_empty() => html! {
            <div class="muted" id="contract-pdf-empty">{ "The PDF has no pages to show." }</div>
        },
        Some(Ok(file)) => html! {
            <div class="contract-pdf-pages" aria-label={format!("{} ({})", pdf.title, pages_text(file.pages.len()))}>
                { for file.pages.iter().enumerate().map(|(i, page)| html! {
                    <div class="contract-pdf-page" key={i.to_string()} data-page={(i + 1).to_string()}>
                        { Html::from_html_unchecked(AttrValue::from(page.clone())) }
                    </div>
                }) }
            </div>
        },
    };
    html! {
        <Modal title={AttrValue::from(pdf.title.clone())} id="contract-pdf-viewer" wide=true on_close={close} {footer}>
            { body }
        </Modal>
    }
}
