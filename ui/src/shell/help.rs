use crate::components::overlay::Drawer;
use crate::state::shell::SHORTCUTS;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

#[function_component(HelpOverlay)]
pub fn help_overlay(props: &HelpProps) -> Html {
    html! {
        <Drawer title="Keyboard shortcuts" id="help-overlay" on_close={props.on_close.clone()}>
            <table class="shortcuts">
                { for SHORTCUTS.iter().map(|(keys, what)| html! {
                    <tr><td><kbd>{ *keys }</kbd></td><td>{ *what }</td></tr>
                }) }
            </table>
        </Drawer>
    }
}
