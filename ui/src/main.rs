//! The Dealdesk window (Yew, wasm32). It knows the app only through `dealdesk_model` types and
//! the IPC wrapper in [`ipc`].
//!
//! Layout: `app` (router and shell composition), `shell` (sidebar, top bar, palette, dialogs),
//! `pages` (one per screen), `table` (the record table), `components` (the design system),
//! `state` (pure, unit-tested view state with no browser dependency), `ipc` (the one `invoke`),
//! `perf` (timestamps for the benchmark), `unavailable` (the backups on the screen shown when the
//! database cannot be opened).

mod app;
mod components;
mod ipc;
mod pages;
mod perf;
mod route;
mod shell;
mod state;
mod table;
mod unavailable;

fn main() {
    perf::mark_once("wasm-start");
    yew::Renderer::<app::App>::new().render();
}
