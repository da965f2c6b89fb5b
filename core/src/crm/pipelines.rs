//! Pipelines and their ordered stages.

use super::{Crm, CrmError, rows};
use dealdesk_model::{Pipeline, Stage};
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

fn stage_from_row(row: &SqliteRow) -> Result<Stage, CrmError> {
    let probability = rows::int(row, "probability")?;
    Ok(Stage {
        id: rows::uuid(row, "id")?,
        pipeline_id: rows::uuid(row, "pipeline_id")?,
        name: rows::text(row, "name")?,
        position: rows::int(row, "position")?,
        probability: u8::try_from(probability).map_err(|_| CrmError::Corrupt(format!("probability {probability}")))?,
        rotting_days: rows::opt_int(row, "rotting_days")?.and_then(|d| u32::try_from(d).ok()),
    })
}

pub(crate) async fn load_all(conn: &mut SqliteConnection) -> Result<Vec<Pipeline>, CrmError> {
    let pipeline_rows =
        sqlx::query("SELECT id, name, is_default FROM pipeline WHERE deleted_at IS NULL ORDER BY position, name")
            .fetch_all(&mut *conn)
            .await?;
    let stage_rows = sqlx::query(
        "SELECT id, pipeline_id, name, position, probability, rotting_days FROM stage \
         WHERE deleted_at IS NULL ORDER BY pipeline_id, position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let stages = stage_rows.iter().map(stage_from_row).collect::<Result<Vec<_>, _>>()?;
    pipeline_rows
        .iter()
        .map(|row| {
            let id = rows::uuid(row, "id")?;
            Ok(Pipeline {
                id,
                name: rows::text(row, "name")?,
                is_default: rows::int(row, "is_default")? != 0,
                stages: stages.iter().filter(|s| s.pipeline_id == id).cloned().collect(),
            })
        })
        .collect()
}

/// The pipeline with this id, or the default one.
pub(crate) async fn pipeline(conn: &mut SqliteConnection, id: Option<Uuid>) -> Result<Pipeline, CrmError> {
    let all = load_all(conn).await?;
    match id {
        Some(id) => all.into_iter().find(|p| p.id == id).ok_or_else(|| CrmError::UnknownPipeline(id.to_string())),
        None => all
            .into_iter()
            .find(|p| p.is_default)
            .ok_or_else(|| CrmError::Corrupt("there is no default pipeline".into())),
    }
}

/// A stage of the pipeline by name (case-insensitive, surrounding spaces ignored).
pub(crate) fn stage_named<'p>(pipeline: &'p Pipeline, name: &str) -> Result<&'p Stage, CrmError> {
    let wanted = name.trim();
    pipeline.stages.iter().find(|s| s.name.eq_ignore_ascii_case(wanted)).ok_or_else(|| CrmError::UnknownStage {
        stage: wanted.chars().take(100).collect(),
        pipeline: pipeline.name.clone(),
        known: pipeline.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
    })
}

impl Crm {
    /// Every live pipeline with its stages in order; the default pipeline is flagged.
    pub async fn list_pipelines(&self) -> Result<Vec<Pipeline>, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        load_all(&mut conn).await
    }
}
