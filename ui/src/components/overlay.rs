//! Modal and Drawer: layered panels that close on Escape and on a click outside; ConfirmDialog,
//! a Modal that asks before an action and focuses its confirm button.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
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

/// What Tab can reach inside a dialog.
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), \
    textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

fn focusables(dialog: &Element) -> Vec<HtmlElement> {
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else { return Vec::new() };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
        // Hidden ones (display: none) have no offset parent and cannot take the focus.
        .filter(|el| el.offset_parent().is_some())
        .collect()
}

thread_local! {
    /// The open dialogs, the last opened last: only that one keeps the focus, so two open at once
    /// (a page's dialog and the shell's create dialog) never pull it back and forth.
    static OPEN_DIALOGS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    static NEXT_DIALOG: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn is_topmost(dialog: u64) -> bool {
    OPEN_DIALOGS.with(|open| open.borrow().last() == Some(&dialog))
}

fn active_element() -> Option<Element> {
    web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element())
}

/// Keeps the keyboard inside an open dialog, and gives the focus back to what had it when the
/// dialog closes (WCAG 2.4.3). Returns the dialog's keydown handler: Tab and Shift+Tab wrap
/// around, Escape closes.
#[hook]
fn use_dialog_keys(dialog: NodeRef, on_close: Callback<()>) -> Callback<KeyboardEvent> {
    // Read while the dialog first renders, before any effect moves the focus into it.
    let opener = use_mut_ref(active_element);
    let me = *use_state(|| NEXT_DIALOG.with(|next| next.replace(next.get() + 1)));
    {
        let (dialog, opener) = (dialog.clone(), opener.clone());
        use_effect_with((), move |_| {
            OPEN_DIALOGS.with(|open| open.borrow_mut().push(me));
            if let Some(el) = dialog.cast::<Element>()
                && !active_element().is_some_and(|a| el.contains(Some(&a)))
                && let Some(first) = focusables(&el).first()
            {
                let _ = first.focus();
            }
            // Whatever moves the focus out (a Tab the keydown handler did not see as one, a
            // click on the page behind): it comes back, to the end it left from.
            let returns = web_sys::window().and_then(|w| w.document()).map(|document| {
                let dialog = dialog.clone();
                gloo_events::EventListener::new(&document, "focusin", move |event| {
                    let (Some(el), Some(target)) =
                        (dialog.cast::<Element>(), event.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()))
                    else {
                        return;
                    };
                    // Inside it, or in another dialog opened over it (the command palette).
                    let elsewhere = target
                        .dyn_ref::<Element>()
                        .and_then(|t| t.closest("[role=dialog]").ok().flatten())
                        .is_some_and(|other| other != el);
                    if el.contains(Some(&target)) || elsewhere || !is_topmost(me) {
                        return;
                    }
                    let items = focusables(&el);
                    let before =
                        el.compare_document_position(&target) & web_sys::Node::DOCUMENT_POSITION_PRECEDING != 0;
                    if let Some(item) = if before { items.last() } else { items.first() } {
                        let _ = item.focus();
                    }
                })
            });
            move || {
                drop(returns);
                OPEN_DIALOGS.with(|open| open.borrow_mut().retain(|id| *id != me));
                if let Some(opener) = opener.borrow_mut().take().and_then(|e| e.dyn_into::<HtmlElement>().ok())
                    && opener.is_connected()
                {
                    let _ = opener.focus();
                }
            }
        });
    }
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Escape" {
            e.stop_propagation();
            on_close.emit(());
            return;
        }
        if e.key() != "Tab" || !is_topmost(me) {
            return;
        }
        let Some(el) = dialog.cast::<Element>() else { return };
        let items = focusables(&el);
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            e.prevent_default();
            return;
        };
        let active = active_element();
        let is = |item: &HtmlElement| active.as_ref().is_some_and(|a| a == item.unchecked_ref::<Element>());
        let inside = active.as_ref().is_some_and(|a| el.contains(Some(a)));
        let wrap_to =
            if e.shift_key() { (is(first) || !inside).then_some(last) } else { (is(last) || !inside).then_some(first) };
        if let Some(target) = wrap_to {
            e.prevent_default();
            // Handled here: a dialog this one sits in must not wrap the same Tab again.
            e.stop_propagation();
            let _ = target.focus();
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
    let node = use_node_ref();
    let keys = use_dialog_keys(node.clone(), props.on_close.clone());
    html! {
        <div class="backdrop" onclick={backdrop} onkeydown={keys}>
            <div ref={node} id={props.id.clone()} class={classes!("modal", props.wide.then_some("wide"))} role="dialog" aria-modal="true"
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
    let node = use_node_ref();
    let keys = use_dialog_keys(node.clone(), props.on_close.clone());
    html! {
        <div class="backdrop drawer-backdrop" onclick={backdrop} onkeydown={keys}>
            <aside ref={node} id={props.id.clone()} class="drawer" role="dialog" aria-modal="true" aria-label={props.title.clone()}
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
