//! dealdesk-core: everything in Dealdesk that touches disk or network.
//!
//! [`App`] is the one object the desktop shell and the CLI construct. It owns the SQLite
//! [`store::Store`] and hands out the capability services ([`crm::Crm`], later Whop, AI, e-sign).
//! This crate never depends on Tauri, GTK, WebKit or Yew (checked by `xtask/tests/invariants.rs`).

pub mod ai;
pub mod app;
pub mod automation;
pub mod browser;
pub mod esign;
mod exports;
pub mod net;
pub mod outbox;
pub mod sample;
pub mod secrets;
pub mod support;
pub mod whop;

// The layers below, as their own crates (docs/ARCHITECTURE.md, "Layers"), under the paths the
// CLI, the shell and the tests have always used.
pub use dealdesk_crm as crm;
pub use dealdesk_store as store;

pub use app::{App, AppError, AppOptions, default_data_dir};
pub use crm::{Crm, CrmError};
