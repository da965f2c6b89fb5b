//! "Message on Whop": the compose dialog. The text starts from a template, is edited, then queued
//! as a Whop action (`WhopAction::SendMessage`) through the outbox like every other Whop action.

use crate::components::controls::TextArea;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::state::outbox::queued_text;
use crate::state::revenue::{MessageDraft, MessageEdit};
use crate::state::whop_actions::SENT_WHEN_ONLINE;
use dealdesk_model::ipc::WhopRunAction;
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
