//! `dealdesk-cli backup …`, `dealdesk-cli diagnostics` and `dealdesk-cli sample load`.

use crate::JsonFlag;
use crate::output;
use anyhow::Context;
use clap::Subcommand;
use dealdesk_core::store::backup;
use dealdesk_core::store::{Store, StoreError};
use dealdesk_core::{App, AppError};
use dealdesk_model::UpdateSource;
use dealdesk_model::support::{BackupReason, Backups};
use std::path::Path;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Back the database up now (into <data dir>/backups)
    Create {
        #[command(flatten)]
        json: JsonFlag,
    },
    /// The backups, newest first
    List {
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Restore a backup by its file name (close the app first). The current database is backed up
    /// first; one that cannot be opened is kept aside as dealdesk.sqlite3.damaged-<time>.
    Restore {
        name: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Forget a restore that waits for the app's next start
    CancelRestore {
        #[command(flatten)]
        json: JsonFlag,
    },
}

#[derive(Subcommand)]
pub enum SampleCommand {
    /// Load the sample workspace (companies, people, deals, notes, tasks) through the CSV import
    Load {
        #[command(flatten)]
        json: JsonFlag,
    },
}

pub async fn run_backup(app: &App, command: BackupCommand) -> anyhow::Result<()> {
    match command {
        BackupCommand::Create { json } => {
            let info = app.backup_now(BackupReason::Manual).await?;
            if json.json {
                output::json(&info)?;
            } else {
                output::line(format!("backed up to {} ({} bytes)", info.path, info.bytes))?;
            }
        }
        BackupCommand::List { json } => list_backups(&app.backups().await?, json.json)?,
        BackupCommand::Restore { name, json } => {
            let backups = app.schedule_restore(&name).await?;
            if json.json {
                output::json(&backups)?;
            } else {
                output::line(format!("restoring {name}; the current database was backed up first"))?;
            }
            // Applied when the database next opens: now, unless the app has it open.
            let data_dir = app.data_dir().to_path_buf();
            app.close().await;
            let reopened = App::open(&data_dir).await?;
            let pending = reopened.backups().await?.restore_pending;
            reopened.close().await;
            if pending.is_some() {
                anyhow::bail!(
                    "Dealdesk has the database open: the restore is applied when it next starts (`backup cancel-restore` forgets it)"
                );
            }
        }
        BackupCommand::CancelRestore { json } => cancel_restore(app.data_dir(), json.json).await?,
    }
    Ok(())
}

/// `backup list` and `backup restore` when the database cannot be opened (`error` says why):
/// listing reads only the backups folder, and the restore puts the backup in place at once, the
/// damaged file kept aside, since a restore scheduled in the database needs it to open. A
/// database from a newer version is refused as before: it is intact, and that version opens it.
pub async fn run_backup_unopened(data_dir: &Path, command: BackupCommand, error: AppError) -> anyhow::Result<()> {
    let AppError::Store(store_error) = &error else { return Err(error.into()) };
    if matches!(store_error, StoreError::NewerDatabase { .. } | StoreError::CreateDataDir { .. }) {
        return Err(error.into());
    }
    match command {
        BackupCommand::List { json } => list_backups(&backup::folder(data_dir)?, json.json)?,
        BackupCommand::Restore { name, json } => {
            let restored = backup::restore_in_place(data_dir, &name)
                .await
                .with_context(|| format!("the database cannot be opened ({error})"))?;
            if json.json {
                output::json(&restored)?;
            } else {
                output::line(format!("the database could not be opened: {error}"))?;
                output::line(format!("restored {} in its place ({})", restored.backup.name, restored.database))?;
                for kept in &restored.kept_aside {
                    output::line(format!("kept the damaged file as {kept}"))?;
                }
            }
        }
        _ => return Err(error.into()),
    }
    Ok(())
}

fn list_backups(backups: &Backups, json: bool) -> anyhow::Result<()> {
    if json {
        output::json(backups)?;
    } else {
        let rows: Vec<Vec<String>> = backups
            .backups
            .iter()
            .map(|b| vec![b.name.clone(), b.created_at.clone(), b.reason.to_string(), b.bytes.to_string()])
            .collect();
        output::table(&["NAME", "CREATED", "REASON", "BYTES"], &rows)?;
    }
    Ok(())
}

/// `backup cancel-restore`, run before the database opens: opening it applies a waiting restore,
/// the very thing being cancelled.
pub async fn cancel_restore(data_dir: &Path, json: bool) -> anyhow::Result<()> {
    let cancelled = Store::cancel_pending_restore_at(data_dir).await?;
    if json {
        output::json(&serde_json::json!({ "cancelled": cancelled }))?;
    } else {
        match cancelled {
            Some(name) => output::line(format!("cancelled the restore of {name}"))?,
            None => output::line("no restore was waiting")?,
        }
    }
    Ok(())
}

pub async fn run_diagnostics(app: &App, json: bool) -> anyhow::Result<()> {
    let diagnostics = app.diagnostics().await?;
    if json {
        output::json(&diagnostics)?;
    } else {
        output::line(diagnostics.text.trim_end())?;
    }
    Ok(())
}

pub async fn run_sample(app: &App, command: SampleCommand) -> anyhow::Result<()> {
    let SampleCommand::Load { json } = command;
    let loaded = app.load_sample_workspace(UpdateSource::Cli).await?;
    if json.json {
        output::json(&loaded)?;
    } else {
        for report in &loaded.reports {
            output::line(format!(
                "{}: {} created, {} updated, {} rejected",
                report.object,
                report.created,
                report.updated,
                report.rejected.len()
            ))?;
        }
        output::line(format!("{} notes, {} tasks", loaded.notes, loaded.tasks))?;
    }
    Ok(())
}
