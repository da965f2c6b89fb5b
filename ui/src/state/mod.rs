//! View state as plain data with pure transitions: unit-tested natively, no browser needed.

pub mod ai;
pub mod automation;
pub mod board;
pub mod charts;
pub mod churn;
pub mod contracts;
pub mod form;
pub mod format;
pub mod import;
pub mod markdown;
pub mod outbox;
pub mod palette;
pub mod revenue;
pub mod shell;
pub mod support;
pub mod table;
pub mod team;
pub mod toasts;
pub mod trash;
pub mod whop;
pub mod whop_actions;
