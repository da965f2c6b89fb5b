//! Pipelines and their ordered stages.

use super::shared::config::{self, ConfigKind};
use super::{Crm, CrmError, rows, validate};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{Pipeline, SavePipeline, Stage, UpdateSource};
use dealdesk_store::time;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use std::collections::{HashMap, HashSet};
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

impl Crm {
    /// Creates or rewrites a pipeline from the editor: name, default flag, and stages in order
    /// (new ones added, missing ones removed unless deals sit in them).
    pub async fn save_pipeline(&self, request: SavePipeline) -> Result<Pipeline, CrmError> {
        let name = validate::line("name", &request.name, validate::NAME_LIMIT)?;
        if name.is_empty() {
            return Err(CrmError::invalid("name", "a pipeline needs a name"));
        }
        if request.stages.is_empty() {
            return Err(CrmError::invalid("stages", "a pipeline needs at least one stage"));
        }
        let mut seen = HashSet::new();
        let mut stages = Vec::with_capacity(request.stages.len());
        for (i, stage) in request.stages.iter().enumerate() {
            let field = format!("stages.{i}.name");
            let stage_name = validate::line(&field, &stage.name, validate::NAME_LIMIT)?;
            if stage_name.is_empty() {
                return Err(CrmError::invalid(field, "a stage needs a name"));
            }
            if !seen.insert(stage_name.to_lowercase()) {
                return Err(CrmError::invalid(field, format!("two stages are called '{stage_name}'")));
            }
            if stage.probability > 100 {
                return Err(CrmError::invalid(format!("stages.{i}.probability"), "a probability is 0 to 100"));
            }
            if stage.rotting_days == Some(0) {
                return Err(CrmError::invalid(format!("stages.{i}.rotting_days"), "rotting days must be at least 1"));
            }
            stages.push((stage.id, stage_name, stage.probability, stage.rotting_days));
        }

        let now = time::format(time::now());
        let mut tx = self.store.begin_write().await?;
        // Another live pipeline of that name (a team workspace may have brought two).
        let taken: Option<String> =
            sqlx::query_scalar("SELECT id FROM pipeline WHERE name = ? AND deleted_at IS NULL AND id != ? LIMIT 1")
                .bind(&name)
                .bind(request.id.map(|id| id.to_string()).unwrap_or_default())
                .fetch_optional(&mut *tx)
                .await?;
        let id = match request.id {
            Some(id) => {
                let exists: Option<String> =
                    sqlx::query_scalar("SELECT id FROM pipeline WHERE id = ? AND deleted_at IS NULL")
                        .bind(id.to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                exists.ok_or_else(|| CrmError::UnknownPipeline(id.to_string()))?;
                id
            }
            None => Uuid::now_v7(),
        };
        if taken.is_some_and(|t| t != id.to_string()) {
            return Err(CrmError::invalid("name", format!("a pipeline called '{name}' exists")));
        }
        // What it was, so the change log (and a team workspace) gets exactly what changed.
        let pipeline_before = config::snapshot(&mut tx, ConfigKind::Pipeline, &id.to_string()).await?;
        let default_before = config::snapshot(&mut tx, ConfigKind::Setting, config::DEFAULT_PIPELINE).await?;
        let stage_ids: Vec<String> = sqlx::query_scalar("SELECT id FROM stage WHERE pipeline_id = ?")
            .bind(id.to_string())
            .fetch_all(&mut *tx)
            .await?;
        let mut stages_before = HashMap::new();
        for stage_id in stage_ids {
            let before = config::snapshot(&mut tx, ConfigKind::Stage, &stage_id).await?;
            stages_before.insert(stage_id, before);
        }
        if request.is_default {
            sqlx::query("UPDATE pipeline SET is_default = 0, updated_at = ? WHERE is_default = 1")
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        if request.id.is_some() {
            sqlx::query("UPDATE pipeline SET name = ?, is_default = max(is_default, ?), updated_at = ? WHERE id = ?")
                .bind(&name)
                .bind(i64::from(request.is_default))
                .bind(&now)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        } else {
            let has_default: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM pipeline WHERE is_default = 1").fetch_optional(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO pipeline (id, name, position, is_default, created_at, updated_at) \
                 VALUES (?, ?, (SELECT coalesce(max(position) + 1, 0) FROM pipeline), ?, ?, ?)",
            )
            .bind(id.to_string())
            .bind(&name)
            .bind(i64::from(request.is_default || has_default.is_none()))
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }

        // Stages: park every current name so renames and swaps never clash on UNIQUE(pipeline, name).
        let current: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM stage WHERE pipeline_id = ? AND deleted_at IS NULL")
                .bind(id.to_string())
                .fetch_all(&mut *tx)
                .await?;
        let kept: HashSet<String> = stages.iter().filter_map(|(sid, ..)| sid.map(|s| s.to_string())).collect();
        for sid in &kept {
            if !current.iter().any(|(cid, _)| cid == sid) {
                return Err(CrmError::invalid("stages", format!("stage {sid} is not in this pipeline")));
            }
        }
        for (stage_id, stage_name) in current.iter().filter(|(cid, _)| !kept.contains(cid)) {
            let deals: i64 = sqlx::query_scalar("SELECT count(*) FROM deal WHERE stage_id = ? AND deleted_at IS NULL")
                .bind(stage_id)
                .fetch_one(&mut *tx)
                .await?;
            if deals > 0 {
                return Err(CrmError::invalid(
                    "stages",
                    format!("stage '{stage_name}' still has {deals} deals; move them before removing it"),
                ));
            }
            sqlx::query("UPDATE stage SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2")
                .bind(&now)
                .bind(stage_id)
                .execute(&mut *tx)
                .await?;
        }
        for (position, (stage_id, stage_name, probability, rotting)) in stages.into_iter().enumerate() {
            let rotting = rotting.map(i64::from);
            match stage_id {
                Some(stage_id) => {
                    sqlx::query(
                        "UPDATE stage SET name = ?, position = ?, probability = ?, rotting_days = ?, updated_at = ? WHERE id = ?",
                    )
                    .bind(&stage_name)
                    .bind(position as i64)
                    .bind(i64::from(probability))
                    .bind(rotting)
                    .bind(&now)
                    .bind(stage_id.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO stage (id, pipeline_id, name, position, probability, rotting_days, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(Uuid::now_v7().to_string())
                    .bind(id.to_string())
                    .bind(&stage_name)
                    .bind(position as i64)
                    .bind(i64::from(probability))
                    .bind(rotting)
                    .bind(&now)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        let clock = self.store.clock();
        let source = UpdateSource::Ui;
        config::log_saved(&mut tx, clock, source, ConfigKind::Pipeline, &id.to_string(), pipeline_before).await?;
        let stage_ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM stage WHERE pipeline_id = ? ORDER BY position, id")
                .bind(id.to_string())
                .fetch_all(&mut *tx)
                .await?;
        for stage_id in stage_ids {
            let before = stages_before.remove(&stage_id).flatten();
            config::log_saved(&mut tx, clock, source, ConfigKind::Stage, &stage_id, before).await?;
        }
        config::log_saved(&mut tx, clock, source, ConfigKind::Setting, config::DEFAULT_PIPELINE, default_before)
            .await?;
        let saved = pipeline(&mut tx, Some(id)).await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::ConfigChanged);
        self.emit_many_changed(dealdesk_model::RecordKind::Deal, dealdesk_model::UpdateSource::Ui);
        Ok(saved)
    }
}
