//! Modal and Drawer: layered panels that close on Escape and on a click outside; ConfirmDialog,
//! a Modal that asks before an action and focuses its confirm button.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct OverlayProps {
    pub title: AttrValue,
    pub on_close: Callback<()>,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub footer: Html,
    #[prop_or_default]
    pub wide: bool,
    pub children: Html,
}

fn escape_closes(on_close: Callback<()>) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Escape" {
            e.stop_propagation();
            on_close.emit(());
        }
    })
}

#[function_component(Modal)]
pub fn modal(props: &OverlayProps) -> Html {
    let backdrop = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    html! {
        <div class="backdrop" onclick={backdrop} onkeydown={escape_closes(props.on_close.clone())}>
            <div id={props.id.clone()} class={classes!("modal", props.wide.then_some("wide"))} role="dialog" aria-modal="true"
                aria-label={props.title.clone()} onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <header class="modal-header">
                    <h2>{ props.title.clone() }</h2>
                    <button type="button" class="icon-btn" aria-label="Close" onclick={close}>{ "×" }</button>
                </header>
                <div class="modal-body">{ props.children.clone() }</div>
                if props.footer != Html::default() {
                    <footer class="modal-footer">{ props.footer.clone() }</footer>
                }
            </div>
        </div>
    }
}

#[function_component(Drawer)]
pub fn drawer(props: &OverlayProps) -> Html {
    let backdrop = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    html! {
        <div class="backdrop drawer-backdrop" onclick={backdrop} onkeydown={escape_closes(props.on_close.clone())}>
            <aside id={props.id.clone()} class="drawer" role="dialog" aria-label={props.title.clone()}
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <header class="modal-header"><h2>{ props.title.clone() }</h2></header>
                <div class="drawer-body">{ props.children.clone() }</div>
            </aside>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ConfirmProps {
    pub title: AttrValue,
    /// The dialog's id; its error line is `<id>-error`.
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub confirm_id: Option<AttrValue>,
    pub confirm_label: AttrValue,
    /// The confirm button is red (the action takes something away).
    #[prop_or_default]
    pub danger: bool,
    /// The action runs: the confirm button waits.
    #[prop_or_default]
    pub busy: bool,
    /// The confirm button's text while busy.
    #[prop_or(AttrValue::Static("Sending…"))]
    pub busy_label: AttrValue,
    /// Why the action did not go through, shown above the buttons.
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_confirm: Callback<()>,
    pub on_close: Callback<()>,
    #[prop_or_default]
    pub children: Html,
}

/// Asks before an action: what will happen (the children), an inline error, Back and the
/// confirm button, which has the focus when the dialog opens (Enter confirms, Escape closes).
#[function_component(ConfirmDialog)]
pub fn confirm_dialog(props: &ConfirmProps) -> Html {
    let confirm = use_node_ref();
    {
        let confirm = confirm.clone();
        use_effect_with((), move |_| {
            if let Some(button) = confirm.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let back = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let run = {
        let (on_confirm, busy) = (props.on_confirm.clone(), props.busy);
        Callback::from(move |_: MouseEvent| {
            if !busy {
                on_confirm.emit(());
            }
        })
    };
    let error_id = props.id.as_ref().map(|id| format!("{id}-error"));
    let footer = html! {
        <>
            <button type="button" class="btn ghost" onclick={back}>{ "Back" }</button>
            <button ref={confirm} type="button" id={props.confirm_id.clone()}
                class={classes!("btn", if props.danger { "danger" } else { "primary" })}
                disabled={props.busy} aria-busy={props.busy.to_string()} aria-describedby={props.error.as_ref().and(error_id.clone())} onclick={run}>
                { if props.busy { props.busy_label.clone() } else { props.confirm_label.clone() } }
            </button>
        </>
    };
    html! {
        <Modal title={props.title.clone()} id={props.id.clone()} on_close={props.on_close.clone()} {footer}>
            { props.children.clone() }
            if let Some(error) = &props.error {
                <div class="banner error dialog-error" id={error_id} role="alert">{ error.clone() }</div>
            }
        </Modal>
    }
}
