//! The send dialog: template, signers, the preview and what it is missing.

use super::*;

#[derive(Properties, PartialEq)]
pub struct SendDialogProps {
    pub deal: Uuid,
    pub status: EsignStatus,
    #[prop_or_default]
    pub contact: Option<Uuid>,
    #[prop_or_default]
    pub contact_name: Option<String>,
    pub on_close: Callback<()>,
    pub on_sent: Callback<Contract>,
}

/// `#contract-send-dialog`: template, provider and signers on the left, the rendered pages on
/// the right; Send queues the contract.
#[function_component(SendContractDialog)]
pub fn send_contract_dialog(props: &SendDialogProps) -> Html {
    let dialog = {
        let (provider, name, has_contact) =
            (props.status.default_provider, props.contact_name.clone(), props.contact.is_some());
        use_reducer(move || SendDialog::new(provider, name, has_contact))
    };
    {
        let dispatch = dialog.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let list = invoke::<ContractTemplatesList>(&()).await.map_err(|e| e.message);
                dispatch.dispatch(SendAction::Templates(list));
            });
        });
    }
    {
        let (dispatch, name) = (dialog.dispatcher(), props.contact_name.clone());
        use_effect_with(props.contact, move |contact| {
            if let Some(id) = *contact {
                wasm_bindgen_futures::spawn_local(async move {
                    match invoke::<GetPerson>(&id).await {
                        Ok(person) => {
                            let full = person.full_name();
                            let name = if full.trim().is_empty() { name.unwrap_or_default() } else { full };
                            let email = person.email.unwrap_or_default();
                            dispatch.dispatch(SendAction::Prefill(SignerRow::new(name, email)));
                        }
                        Err(_) => dispatch.dispatch(SendAction::PrefillFailed),
                    }
                });
            }
        });
    }
    {
        let (dispatch, deal) = (dialog.dispatcher(), props.deal);
        use_effect_with(dialog.template, move |template| {
            if let Some(template) = *template {
                wasm_bindgen_futures::spawn_local(async move {
                    let request = ContractPreviewRequest { deal_id: deal, template_id: Some(template), body: None };
                    let preview = invoke::<ContractPreviewRender>(&request).await.map_err(|e| e.message);
                    dispatch.dispatch(SendAction::Preview(template, preview));
                });
            }
        });
    }

    let send = {
        let (dialog, deal, on_sent) = (dialog.clone(), props.deal, props.on_sent.clone());
        Callback::from(move |_: MouseEvent| {
            if dialog.sending {
                return;
            }
            let request = match dialog.request(deal) {
                Ok(request) => request,
                Err(why) => {
                    dialog.dispatch(SendAction::SendFailed(why));
                    return;
                }
            };
            dialog.dispatch(SendAction::Sending);
            let (dispatch, on_sent) = (dialog.dispatcher(), on_sent.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractSend>(&request).await {
                    Ok(contract) => on_sent.emit(contract),
                    Err(e) => dispatch.dispatch(SendAction::SendFailed(e.message)),
                }
            });
        })
    };
    let cancel = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    // A refusal shows at the top of the dialog: bring it into view.
    use_effect_with(dialog.error.clone(), |error| {
        if error.is_some()
            && let Some(banner) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("contract-send-error"))
        {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            banner.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });

    let status = &props.status;
    let blocker = dialog.blocker();
    let footer = html! {
        <>
            if let Some(why) = blocker.clone().filter(|_| !dialog.sending) {
                <span class="muted contract-send-why" id="contract-send-why">{ why }</span>
            }
            <Button tone={Tone::Ghost} id="contract-send-cancel" onclick={cancel}>{ "Cancel" }</Button>
            <Button tone={Tone::Primary} id="contract-send" disabled={!dialog.can_send()} onclick={send}
                title={blocker.map(AttrValue::from)}>
                if dialog.sending { <span class="spinner" aria-hidden="true" />{ " Sending…" } } else { { "Send for signature" } }
            </Button>
        </>
    };

    let templates = match &dialog.templates {
        None => html! { <Skeleton rows={1} /> },
        Some(Err(message)) => html! {
            <div class="banner error" id="contract-templates-error" role="alert">{ format!("Cannot read the templates: {message}") }</div>
        },
        Some(Ok(list)) if list.is_empty() => html! {
            <div class="contracts-off" id="contract-no-templates">
                { "No contract templates yet. " }
                <Link<Route> to={Route::ContractTemplates} classes="contract-templates-link">{ "Write one" }</Link<Route>>
            </div>
        },
        Some(Ok(list)) => {
            let options: Vec<(AttrValue, AttrValue)> = list
                .iter()
                .map(|t| (AttrValue::from(t.id.to_string()), AttrValue::from(format!("{} (v{})", t.name, t.version))))
                .collect();
            let dispatch = dialog.dispatcher();
            html! {
                <div class="contract-template-choice">
                    <Select id="contract-template" label={AttrValue::from("Template")}
                        value={dialog.template.map(|t| t.to_string()).unwrap_or_default()} {options}
                        on_change={Callback::from(move |v: String| {
                            if let Ok(id) = Uuid::parse_str(&v) { dispatch.dispatch(SendAction::Template(id)) }
                        })} />
                    <Link<Route> to={Route::ContractTemplates} classes="link-btn contract-templates-link">{ "Edit templates" }</Link<Route>>
                </div>
            }
        }
    };
    let providers: Vec<(AttrValue, AttrValue)> = SignatureProviderKind::ALL
        .into_iter()
        .map(|p| (AttrValue::from(p.as_str()), AttrValue::from(provider_option_label(status, p))))
        .collect();
    let set_provider = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |v: String| {
            if let Some(p) = SignatureProviderKind::parse(&v) {
                dispatch.dispatch(SendAction::Provider(p));
            }
        })
    };
    let connected = provider_connected(status, dialog.provider);
    let errors = dialog.shown_errors();
    let add_signer = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(SendAction::AddSigner))
    };

    html! {
        <Modal title="Send contract" id="contract-send-dialog" wide=true on_close={props.on_close.clone()} {footer}>
            if let Some(message) = &dialog.error {
                <div class="banner error" id="contract-send-error" role="alert">{ message.clone() }</div>
            }
            <div class="contract-send-layout">
                <div class="contract-send-form">
                    { templates }
                    <Select id="contract-provider" label={AttrValue::from("Send with")} value={dialog.provider.as_str()}
                        options={providers} on_change={set_provider} />
                    if !connected {
                        <div class="contract-provider-hint" id="contract-provider-hint">
                            { format!("{} is not connected: ", dialog.provider.label()) }
                            { settings_link("connect it in Settings → Contracts") }
                            { "." }
                        </div>
                    }
                    <fieldset class="contract-signers-edit" id="contract-signers">
                        <legend class="field-label">{ "Signers" }</legend>
                        if dialog.signers_ready {
                            { for dialog.signers.iter().enumerate().map(|(i, row)| signer_row(&dialog, i, row, errors.get(i).cloned().flatten())) }
                        } else {
                            <Skeleton rows={1} />
                        }
                        if dialog.signers_ready && dialog.signers.is_empty() {
                            <div class="muted contract-no-signers">{ "No signers: add one." }</div>
                        }
                        <button type="button" class="link-btn" id="contract-add-signer" disabled={!dialog.signers_ready || dialog.signers.len() >= MAX_SIGNERS}
                            onclick={add_signer}>{ "+ Add signer" }</button>
                    </fieldset>
                    <p class="muted dialog-note contract-send-note">
                        { format!("{} emails each signer a link to sign, in this order. ", dialog.provider.label()) }
                        { "The contract is queued first: it goes out now, or when you are back online." }
                    </p>
                </div>
                { preview_panel(dialog.template.is_some(), dialog.preview.as_ref()) }
            </div>
        </Modal>
    }
}

/// A signer row: name, email, remove, and what is wrong with it.
pub(super) fn signer_row(
    dialog: &UseReducerHandle<SendDialog>,
    i: usize,
    row: &SignerRow,
    error: Option<SignerError>,
) -> Html {
    let on_name = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |e: InputEvent| {
            dispatch.dispatch(SendAction::SignerName(i, e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let on_email = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |e: InputEvent| {
            dispatch.dispatch(SendAction::SignerEmail(i, e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let remove = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(SendAction::RemoveSigner(i)))
    };
    let left = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |_: FocusEvent| dispatch.dispatch(SendAction::SignerLeft(i)))
    };
    let (bad_name, bad_email) = match &error {
        Some(e) => (!e.email, e.email),
        None => (false, false),
    };
    html! {
        <div class={classes!("contract-signer-row", error.is_some().then_some("invalid"))} data-index={i.to_string()}>
            <span class="contract-signer-number" aria-hidden="true">{ i + 1 }</span>
            <label class="field">
                <input class="contract-signer-name" type="text" value={row.name.clone()} placeholder="Full name"
                    aria-label={format!("Signer {} name", i + 1)} aria-invalid={bad_name.to_string()}
                    oninput={on_name} onblur={left.clone()} />
            </label>
            <label class="field">
                <input class="contract-signer-email" type="email" value={row.email.clone()} placeholder="name@company.com"
                    aria-label={format!("Signer {} email", i + 1)} aria-invalid={bad_email.to_string()}
                    oninput={on_email} onblur={left} />
            </label>
            <button type="button" class="icon-btn contract-signer-remove" aria-label={format!("Remove signer {}", i + 1)}
                title="Remove" onclick={remove}>{ "✕" }</button>
            if let Some(error) = error {
                <span class="field-error contract-signer-error" role="alert">{ error.message }</span>
            }
        </div>
    }
}

/// `#contract-preview`: the pages of the chosen template on this deal, and `#contract-missing`.
pub(super) fn preview_panel(chosen: bool, preview: Option<&Result<ContractPreview, String>>) -> Html {
    let body = match preview {
        _ if !chosen => {
            html! { <div class="muted contract-preview-empty">{ "Choose a template to see it on this deal." }</div> }
        }
        None => html! {
            <div class="contract-preview-loading" role="status"><span class="spinner" aria-hidden="true" />{ " Rendering…" }</div>
        },
        Some(Err(message)) => html! {
            <div class="banner error" id="contract-preview-error" role="alert">{ format!("Cannot render the preview: {message}") }</div>
        },
        Some(Ok(p)) => html! {
            <>
                { missing_panel("contract-missing", p) }
                <div class="contract-pages">
                    { for p.pages.iter().enumerate().map(|(i, page)| html! {
                        <div class="contract-page" key={i.to_string()} data-page={(i + 1).to_string()}>
                            { Html::from_html_unchecked(AttrValue::from(page.clone())) }
                        </div>
                    }) }
                </div>
            </>
        },
    };
    let meta = match preview {
        Some(Ok(p)) if chosen => format!("{} · {}", pages_text(p.pages.len()), render_ms_text(p.render_ms)),
        _ => String::new(),
    };
    html! {
        <section class="contract-preview" id="contract-preview" aria-label="Preview" aria-busy={(chosen && preview.is_none()).to_string()}>
            <div class="contract-preview-head">
                <span class="contract-column-title">{ "Preview" }</span>
                <span class="muted contract-preview-meta">{ meta }</span>
            </div>
            { body }
        </section>
    }
}

/// What stops the template from rendering on the deal: missing and unknown fields, the Typst
/// error, and where to set the sender's details.
pub fn missing_panel(id: &'static str, p: &ContractPreview) -> Html {
    if p.missing.is_empty() && p.unknown.is_empty() && p.error.is_none() {
        return html! {};
    }
    html! {
        <div class={classes!("banner", if p.error.is_some() { "error" } else { "warning" }, "contract-missing")} {id} role="status">
            <ul class="contract-missing-list">
                if !p.missing.is_empty() {
                    <li class="contract-missing-fields" data-fields={p.missing.join(",")}>
                        { "No value on this deal: " }<code>{ field_list(&p.missing) }</code>
                    </li>
                }
                if !p.unknown.is_empty() {
                    <li class="contract-unknown-fields" data-fields={p.unknown.join(",")}>
                        { "Not a merge field: " }<code>{ field_list(&p.unknown) }</code>
                    </li>
                }
                if let Some(error) = &p.error {
                    <li class="contract-render-error">{ "The template does not render: " }<pre>{ error.clone() }</pre></li>
                }
            </ul>
            if needs_sender(p) {
                <div class="contract-sender-hint" id={format!("{id}-sender-hint")}>
                    { SENDER_HINT_LEAD }{ settings_link("Settings → Contracts") }
                </div>
            }
        </div>
    }
}
