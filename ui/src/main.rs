//! The Dealdesk window (Yew, wasm32). It knows the app only through `dealdesk_model` types and
//! the IPC wrapper in [`ipc`].
//!
//! Layout: `app` (router and shell), `pages` (one per screen), `components` (shared widgets),
//! `state` (pure, unit-tested view state with no browser dependency), `ipc` (the one `invoke`).

mod app;
mod components;
mod ipc;
mod pages;
mod state;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
