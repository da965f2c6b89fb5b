//! The only files the core writes besides its database: what the user asks for (CSV exports,
//! backups). Everything else lives in SQLite or the keyring (checked by xtask/tests/invariants.rs).

use crate::crm::Crm;
use crate::crm::csv::ExportError;
use dealdesk_model::{CsvObject, FileWritten};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a file the user asked for was not written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Export(#[from] ExportError),
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), FileError> {
    std::fs::create_dir_all(dir).map_err(|source| FileError::Write { path: dir.to_path_buf(), source })
}

/// Writes `bytes` beside `path` and renames, so a failed export never leaves half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_dir(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("export");
    let temp = dir.join(format!(".{name}.{}.part", std::process::id()));
    std::fs::write(&temp, bytes).map_err(|source| FileError::Write { path: temp.clone(), source })?;
    std::fs::rename(&temp, path).map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        FileError::Write { path: path.to_path_buf(), source }
    })
}

/// Writes next to `path` and renames, so a failed export never leaves half a file.
pub(crate) async fn export_csv(crm: &Crm, object: CsvObject, path: &Path) -> Result<FileWritten, FileError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_dir(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("export.csv");
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write_error = |source| FileError::Write { path: path.to_path_buf(), source };
    let mut file = std::fs::File::create(&temp).map_err(write_error)?;
    let rows = crm.export_csv(object, std::io::BufWriter::new(&mut file)).await;
    let result = match rows {
        Ok(rows) => {
            file.flush().and_then(|()| file.sync_all()).and_then(|()| std::fs::rename(&temp, path)).map(|()| rows)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&temp);
            return Err(error.into());
        }
    };
    let rows = result.map_err(write_error)?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or_default();
    tracing::info!(path = %path.display(), rows, "exported {object}");
    Ok(FileWritten { path: path.display().to_string(), bytes, rows: Some(rows) })
}
