//! Modal and Drawer: layered panels that close on Escape and on a click outside.

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
