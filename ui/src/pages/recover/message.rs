//! "Message on Whop": the compose dialog. The text starts from a template (or an AI draft from the
//! customer's history), is edited, then queued as a Whop action (`WhopAction::SendMessage`)
//! through the outbox like every other Whop action, or opened as an email in the user's mail app.

use crate::components::controls::{Button, TextArea, Tone};
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::state::outbox::queued_text;
use crate::state::revenue::{MessageDraft, MessageEdit};
use crate::state::whop_actions::SENT_WHEN_ONLINE;
use dealdesk_model::ipc::{AiOpenDraftInMail, AiRun, WhopRunAction};
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MessageDialogProps {
    pub draft: MessageDraft,
    pub on_close: Callback<()>,
    /// The message was queued (the dialog closes).
    pub on_done: Callback<()>,
}

/// `#recover-message-dialog`: the text `#recover-message-text`, its length, and Send
/// `#recover-message-send`; the core's refusal shows in the dialog.
#[function_component(MessageDialog)]
pub fn message_dialog(props: &MessageDialogProps) -> Html {
    let draft = use_reducer(|| props.draft.clone());
    let notifier = use_notifier();
    {
        // The text, not the Send button, has the focus: the message is meant to be edited first.
        use_effect_with((), move |_| {
            let text = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("recover-message-text"))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok());
            if let Some(text) = text {
                let _ = text.focus();
            }
        });
    }
    let send = {
        let (draft, notifier, on_done) = (draft.clone(), notifier.clone(), props.on_done.clone());
        Callback::from(move |_: ()| {
            if draft.sending {
                return;
            }
            let action = draft.to_action();
            draft.dispatch(MessageEdit::Send);
            let Ok(action) = action else { return };
            let (dispatch, notifier, on_done) = (draft.dispatcher(), notifier.clone(), on_done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<WhopRunAction>(&action).await {
                    Ok(entry) => {
                        if let Some(n) = &notifier {
                            n.success(queued_text(&entry));
                        }
                        on_done.emit(());
                    }
                    Err(e) => dispatch.dispatch(MessageEdit::Refused(e.message)),
                }
            });
        })
    };
    let draft_with_ai = draft.ai_request().map(|request| {
        let dispatch = draft.dispatcher();
        let busy = draft.drafting || draft.sending;
        Callback::from(move |_: MouseEvent| {
            if busy {
                return;
            }
            dispatch.dispatch(MessageEdit::Drafting);
            let (dispatch, request) = (dispatch.clone(), request.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = invoke::<AiRun>(&request).await.map_err(|e| e.message);
                dispatch.dispatch(MessageEdit::Drafted(outcome));
            });
        })
    });
    let email_instead = draft.email_request().map(|request| {
        let (dispatch, notifier, on_done, name) =
            (draft.dispatcher(), notifier.clone(), props.on_done.clone(), draft.name.clone());
        Callback::from(move |_: MouseEvent| match request.clone() {
            Err(_) => dispatch.dispatch(MessageEdit::Send),
            Ok(mail) => {
                let (dispatch, notifier, on_done, name) =
                    (dispatch.clone(), notifier.clone(), on_done.clone(), name.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match invoke::<AiOpenDraftInMail>(&mail).await {
                        Ok(()) => {
                            if let Some(n) = &notifier {
                                n.success(format!("Opened the email to {name} in your mail app"));
                            }
                            on_done.emit(());
                        }
                        Err(e) => dispatch.dispatch(MessageEdit::Refused(e.message)),
                    }
                });
            }
        })
    });
    let on_text = {
        let dispatch = draft.dispatcher();
        Callback::from(move |text: String| dispatch.dispatch(MessageEdit::Text(text)))
    };
    html! {
        <ConfirmDialog title={draft.title()} id="recover-message-dialog" confirm_id="recover-message-send"
            confirm_label="Send message" busy={draft.sending} error={draft.refusal.clone().map(AttrValue::from)}
            on_confirm={send} on_close={props.on_close.clone()}>
            <TextArea id="recover-message-text" label={AttrValue::from("Message (Markdown, as Whop shows it)")} rows={8}
                value={draft.text.clone()} error={draft.error.clone().map(AttrValue::from)} on_change={on_text} />
            <div class="muted recover-message-count" aria-live="polite">{ draft.count_text() }</div>
            <div class="row-buttons recover-message-tools">
                if let Some(onclick) = draft_with_ai {
                    <Button small=true tone={Tone::Secondary} id="recover-message-ai" {onclick}
                        disabled={draft.drafting || draft.sending}>
                        { if draft.drafting { "Drafting…" } else { "Draft with AI" } }
                    </Button>
                }
                if let Some(onclick) = email_instead {
                    <Button small=true tone={Tone::Ghost} id="recover-message-email" {onclick} disabled={draft.sending}
                        aria_label={AttrValue::from(format!("Email instead: send it to {} from your mail app", draft.email.clone().unwrap_or_default()))}>
                        { "Email instead" }
                    </Button>
                }
            </div>
            if let Some(note) = &draft.ai_note {
                <p class="muted recover-message-ai-note" id="recover-message-ai-note" role="status">{ note.clone() }</p>
            }
            <p class="muted dialog-note">{ SENT_WHEN_ONLINE }</p>
        </ConfirmDialog>
    }
}

/// The page's compose dialog: the callback opens one for a draft; the Html draws it while open.
#[hook]
pub fn use_message_dialog() -> (Callback<MessageDraft>, Html) {
    // Each opening is a new dialog (a fresh text), hence the counter in the key.
    let open = use_state(|| None::<(u32, MessageDraft)>);
    let count = use_mut_ref(|| 0_u32);
    let start = {
        let open = open.clone();
        Callback::from(move |draft: MessageDraft| {
            *count.borrow_mut() += 1;
            let n = *count.borrow();
            open.set(Some((n, draft)));
        })
    };
    let view = match &*open {
        Some((n, draft)) => {
            let close = {
                let open = open.clone();
                Callback::from(move |_| open.set(None))
            };
            html! { <MessageDialog key={n.to_string()} draft={draft.clone()} on_close={close.clone()} on_done={close} /> }
        }
        None => html! {},
    };
    (start, view)
}
