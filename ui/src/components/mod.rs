//! Widgets shared by the screens.

pub mod field;
pub mod hooks;
pub mod sidebar;
pub mod toasts;
