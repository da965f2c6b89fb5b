//! The chrome around the screens: sidebar, top bar, palette, help, create dialogs.

pub mod create;
pub mod help;
pub mod link;
pub mod palette;
pub mod picker;
pub mod sidebar;
pub mod topbar;

use crate::route::Route;
use dealdesk_model::{CsvObject, RecordKind, RecordRef, Theme};
use yew::Callback;

/// What screens may ask of the shell.
#[derive(Clone, PartialEq)]
pub struct ShellHandle {
    /// Opens the create dialog for a kind of record.
    pub create: Callback<RecordKind>,
    pub open_palette: Callback<()>,
    /// Opens the Import CSV dialog on an object.
    pub import: Callback<CsvObject>,
}

/// The page of a record, for kinds that have one.
pub fn record_route(record: RecordRef) -> Option<Route> {
    match record.kind {
        RecordKind::Person => Some(Route::Person { id: record.id }),
        RecordKind::Company => Some(Route::Company { id: record.id }),
        RecordKind::Deal => Some(Route::Deal { id: record.id }),
        RecordKind::Note => Some(Route::Notes),
        RecordKind::Task => Some(Route::Tasks),
    }
}

/// Sets `data-theme` on the document (`system` follows the OS through CSS media queries).
pub fn apply_theme(theme: Theme) {
    let value = match theme {
        Theme::System => "system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", value);
    }
}
