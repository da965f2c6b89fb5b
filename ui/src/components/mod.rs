//! The design system: small components the screens compose instead of styling ad hoc.
//! Tokens live in `ui/static/styles.css`; `docs/design-system.md` shows each component.

pub mod charts;
pub mod controls;
pub mod display;
pub mod hooks;
pub mod overlay;
pub mod toasts;
