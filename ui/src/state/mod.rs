//! View state as plain data with pure transitions: unit-tested natively, no browser needed.

pub mod list;
pub mod person_form;
pub mod toasts;
