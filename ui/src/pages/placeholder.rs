//! Screens that later work fills (automations, contracts, Whop), with a calm explanation.

use crate::components::display::EmptyState;
use crate::state::shell::Screen;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PlaceholderProps {
    pub screen: Screen,
}

#[function_component(Placeholder)]
pub fn placeholder(props: &PlaceholderProps) -> Html {
    let hint = match props.screen {
        Screen::Automations => "Workflows that run AI actions, create tasks and send contracts will live here.",
        Screen::Contracts => "Contract templates and e-signature status (DocuSign, Dropbox Sign) will live here.",
        Screen::Whop => "Connect your Whop account to sync products, memberships, members and payments.",
        _ => "",
    };
    html! {
        <section class="page">
            <header class="page-header"><h1>{ props.screen.label() }</h1></header>
            <EmptyState title="Not set up yet" hint={AttrValue::from(hint)} />
        </section>
    }
}
