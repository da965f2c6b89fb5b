//! dealdesk-core: the app layer of Dealdesk's core, and the facade over the crates below it.
//!
//! [`App`] is the one object the desktop shell and the CLI construct. It owns the SQLite
//! [`store::Store`] and hands out the capability services ([`crm::Crm`], Whop, AI, e-sign, workflows).
//! This crate never depends on Tauri, GTK, WebKit or Yew (checked by `xtask/tests/invariants.rs`).

pub mod app;
mod exports;
pub mod sample;
pub mod support;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod workspace;

// The layers below, as their own crates (docs/ARCHITECTURE.md, "Layers"), under the paths the
// CLI, the shell and the tests have always used.
pub use dealdesk_ai as ai;
pub use dealdesk_automation as automation;
pub use dealdesk_crm as crm;
pub use dealdesk_esign as esign;
pub use dealdesk_net as net;
pub use dealdesk_net::{browser, secrets};
pub use dealdesk_outbox as outbox;
pub use dealdesk_revenue as revenue;
pub use dealdesk_store as store;
pub use dealdesk_team as team;
pub use dealdesk_whop as whop;

pub use app::{App, AppError, AppOptions, default_data_dir};
pub use crm::{Crm, CrmError};
