//! Types shared by the Dealdesk UI (wasm32) and the core: records, list queries, the typed IPC
//! surface ([`ipc`]) and the error the UI sees ([`ApiError`]).
//!
//! This crate does no I/O and must keep building for `wasm32-unknown-unknown`.

pub mod ai;
pub mod automation;
pub mod contract;
pub mod error;
pub mod import;
pub mod ipc;
pub mod money;
pub mod outbox;
pub mod query;
pub mod record;
pub mod revenue;
pub mod support;
pub mod team;
pub mod text;
pub mod timeline;
pub mod trash;
pub mod views;
pub mod whop;
pub mod whop_contract;

pub use error::{ApiError, ErrorCode};
pub use import::{ColumnMapping, CsvObject, ImportReport, RejectedRow};
pub use money::{Money, MoneyParseError};
pub use query::*;
pub use record::*;
pub use timeline::*;
pub use views::*;
