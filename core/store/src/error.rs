use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data folder {path}: {source}")]
    CreateDataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot upgrade the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "{path} was written by a newer version of Dealdesk (schema {version}); install that version or restore an older backup"
    )]
    NewerDatabase { path: PathBuf, version: i64 },
    #[error("cannot write the backup {path}: {source}")]
    Backup { path: PathBuf, source: std::io::Error },
    #[error("no backup named \"{0}\" in the backups folder")]
    BackupNotFound(String),
    #[error("the backup {name} cannot be restored: {reason}")]
    BackupUnreadable { name: String, reason: String },
    #[error(
        "the database is open in another process ({pids:?}); close Dealdesk and the restore is applied at its next start"
    )]
    DatabaseInUse { pids: Vec<u32> },
    #[error(
        "the database is open in another process ({pids:?}); close Dealdesk and any dealdesk-cli using this data folder, then restore again"
    )]
    DatabaseHeld { pids: Vec<u32> },
    #[error(
        "{path} is not damaged (it opens and passes SQLite's check), so it is not replaced: restore a backup from Settings → Data or with `dealdesk-cli backup restore` once it opens"
    )]
    NotDamaged { path: PathBuf },
    #[error("cannot put the backup in place of {path}: {source}")]
    PutInPlace { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}
