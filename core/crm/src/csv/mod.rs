//! CSV import and export of people, companies and deals.

mod columns;
mod decode;
pub mod error;
mod export;
mod import;

pub use error::{ExportError, ImportError};
pub use export::guard_formula;
pub use import::{ImportOptions, MAX_IMPORT_BYTES};
