use crate::state::toasts::{ToastAction, ToastKind, Toasts};
use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// How long a toast stays, in milliseconds.
const TOAST_MS: u32 = 4_000;

/// Lets any screen show a toast.
#[derive(Clone, PartialEq)]
pub struct Notifier {
    toasts: UseReducerHandle<Toasts>,
}

impl Notifier {
    fn push(&self, kind: ToastKind, text: String) {
        let id = self.toasts.next_id();
        self.toasts.dispatch(ToastAction::Push(kind, text));
        let toasts = self.toasts.clone();
        Timeout::new(TOAST_MS, move || toasts.dispatch(ToastAction::Dismiss(id))).forget();
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(ToastKind::Success, text.into());
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(ToastKind::Error, text.into());
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
    let notifier = Notifier { toasts: toasts.clone() };
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
                    let class = match t.kind { ToastKind::Success => "toast success", ToastKind::Error => "toast error" };
                    html! { <div class={class} onclick={dismiss}>{ t.text.clone() }</div> }
                }) }
            </div>
        </ContextProvider<Notifier>>
    }
}
