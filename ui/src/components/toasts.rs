use crate::state::toasts::{ToastAction, ToastKind, Toasts};
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use yew::prelude::*;

/// How long a toast stays, in milliseconds; toasts with an Undo stay longer.
const TOAST_MS: u32 = 4_000;
const ACTION_TOAST_MS: u32 = 8_000;

/// Lets any screen show a toast, optionally with one action (Undo).
#[derive(Clone)]
pub struct Notifier {
    toasts: UseReducerHandle<Toasts>,
    actions: Rc<RefCell<HashMap<u64, Callback<()>>>>,
}

impl PartialEq for Notifier {
    fn eq(&self, other: &Self) -> bool {
        self.toasts == other.toasts && Rc::ptr_eq(&self.actions, &other.actions)
    }
}

impl Notifier {
    fn push(&self, kind: ToastKind, text: String, action: Option<(String, Callback<()>)>) {
        let id = self.toasts.next_id();
        let ms = if action.is_some() { ACTION_TOAST_MS } else { TOAST_MS };
        let label = action.map(|(label, callback)| {
            self.actions.borrow_mut().insert(id, callback);
            label
        });
        self.toasts.dispatch(ToastAction::Push(kind, text, label));
        let toasts = self.toasts.clone();
        let actions = self.actions.clone();
        Timeout::new(ms, move || {
            actions.borrow_mut().remove(&id);
            toasts.dispatch(ToastAction::Dismiss(id));
        })
        .forget();
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(ToastKind::Success, text.into(), None);
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(ToastKind::Error, text.into(), None);
    }

    /// A success toast with a button, e.g. "Deleted 3 people · Undo".
    pub fn with_action(&self, text: impl Into<String>, label: &str, action: Callback<()>) {
        self.push(ToastKind::Success, text.into(), Some((label.to_string(), action)));
    }
}

/// Says how an action went: a success toast, or an error toast with the core's message.
pub fn notify(notifier: &Option<Notifier>, result: Result<String, String>) {
    if let Some(n) = notifier {
        match result {
            Ok(text) => n.success(text),
            Err(text) => n.error(text),
        }
    }
}

#[hook]
pub fn use_notifier() -> Option<Notifier> {
    use_context::<Notifier>()
}

#[derive(Properties, PartialEq)]
pub struct ToastHostProps {
    pub children: Html,
}

/// Provides the [`Notifier`] and draws the toasts.
#[function_component(ToastHost)]
pub fn toast_host(props: &ToastHostProps) -> Html {
    let toasts = use_reducer(Toasts::default);
    let actions = use_mut_ref(HashMap::<u64, Callback<()>>::new);
    let notifier = Notifier { toasts: toasts.clone(), actions: actions.clone() };
    html! {
        <ContextProvider<Notifier> context={notifier}>
            { props.children.clone() }
            <div class="toasts" role="status" aria-live="polite">
                { for toasts.items.iter().map(|t| {
                    let dismiss = {
                        let toasts = toasts.clone();
                        let id = t.id;
                        Callback::from(move |_| toasts.dispatch(ToastAction::Dismiss(id)))
                    };
                    let run = {
                        let toasts = toasts.clone();
                        let actions = actions.clone();
                        let id = t.id;
                        Callback::from(move |e: MouseEvent| {
                            e.stop_propagation();
                            let action = actions.borrow_mut().remove(&id);
                            if let Some(action) = action {
                                action.emit(());
                            }
                            toasts.dispatch(ToastAction::Dismiss(id));
                        })
                    };
                    let class = match t.kind { ToastKind::Success => "toast success", ToastKind::Error => "toast error" };
                    html! {
                        <div class={class} onclick={dismiss}>
                            <span class="toast-text">{ t.text.clone() }</span>
                            if let Some(label) = &t.action {
                                <button type="button" class="toast-action" onclick={run}>{ label.clone() }</button>
                            }
                        </div>
                    }
                }) }
            </div>
        </ContextProvider<Notifier>>
    }
}
