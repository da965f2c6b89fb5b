//! The prompt template library: shipped defaults, user templates, versions (an edit adds a
//! version; nothing is overwritten), and which template each action uses.

use super::AiError;
use super::actions::builtin_templates;
use dealdesk_crm::shared::config::{self, ConfigKind};
use dealdesk_model::UpdateSource;
use dealdesk_model::ai::{AiAction, PromptTemplate, SavePromptTemplate};
use dealdesk_store::{Clock, time};
use sqlx::SqlitePool;
use uuid::Uuid;

const MAX_TEMPLATE: usize = 20_000;

type Row = (String, i64, String, String, String, String, bool, String);
const COLUMNS: &str = "id, version, action, name, system, user, builtin, created_at";

fn template(row: Row, active: &[(String, String)]) -> Result<PromptTemplate, AiError> {
    let (id, version, action, name, system, user, builtin, created_at) = row;
    let action =
        AiAction::parse(&action).ok_or_else(|| AiError::Invalid(format!("stored template action {action:?}")))?;
    let is_active = active.iter().any(|(a, t)| a == action.as_str() && *t == id);
    Ok(PromptTemplate {
        id: Uuid::parse_str(&id).map_err(|e| AiError::Invalid(format!("stored template id {id:?}: {e}")))?,
        version: version.max(1) as u32,
        action,
        name,
        system,
        user,
        builtin,
        active: is_active,
        created_at,
    })
}

async fn active_map(pool: &SqlitePool) -> Result<Vec<(String, String)>, AiError> {
    Ok(sqlx::query_as("SELECT action, template_id FROM prompt_template_active").fetch_all(pool).await?)
}

/// Adds the shipped templates (version 1) and makes them active where an action has none. Safe to
/// run on every start.
pub async fn seed(pool: &SqlitePool) -> Result<(), AiError> {
    let now = time::format(time::now());
    let mut tx = pool.begin().await?;
    for t in builtin_templates() {
        sqlx::query(
            "INSERT INTO prompt_template (id, version, action, name, system, user, builtin, created_at)
             VALUES (?, 1, ?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING",
        )
        .bind(t.id.to_string())
        .bind(t.action.as_str())
        .bind(t.name)
        .bind(&t.system)
        .bind(&t.user)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO prompt_template_active (action, template_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(t.action.as_str())
            .bind(t.id.to_string())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The newest version of every template, by action then name.
pub async fn list(pool: &SqlitePool) -> Result<Vec<PromptTemplate>, AiError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM prompt_template t
         WHERE version = (SELECT max(version) FROM prompt_template v WHERE v.id = t.id)
         ORDER BY action, builtin DESC, name COLLATE NOCASE"
    )))
    .fetch_all(pool)
    .await?;
    let active = active_map(pool).await?;
    rows.into_iter().map(|r| template(r, &active)).collect()
}

pub async fn versions(pool: &SqlitePool, id: Uuid) -> Result<Vec<PromptTemplate>, AiError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM prompt_template WHERE id = ? ORDER BY version DESC"
    )))
    .bind(id.to_string())
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Err(AiError::UnknownTemplate(id));
    }
    let active = active_map(pool).await?;
    rows.into_iter().map(|r| template(r, &active)).collect()
}

/// The newest version of `id`.
pub async fn latest(pool: &SqlitePool, id: Uuid) -> Result<PromptTemplate, AiError> {
    versions(pool, id).await?.into_iter().next().ok_or(AiError::UnknownTemplate(id))
}

/// The template an action uses (its newest version).
pub async fn active(pool: &SqlitePool, action: AiAction) -> Result<PromptTemplate, AiError> {
    let id: Option<String> = sqlx::query_scalar("SELECT template_id FROM prompt_template_active WHERE action = ?")
        .bind(action.as_str())
        .fetch_optional(pool)
        .await?;
    let id = id
        .and_then(|id| Uuid::parse_str(&id).ok())
        .ok_or_else(|| AiError::Invalid(format!("no template is active for {}", action.as_str())))?;
    latest(pool, id).await
}

fn check(save: &SavePromptTemplate) -> Result<(), AiError> {
    if save.name.trim().is_empty() || save.name.chars().count() > 100 {
        return Err(AiError::Invalid("A template needs a name (at most 100 characters)".into()));
    }
    if save.user.trim().is_empty() {
        return Err(AiError::Invalid("The user prompt cannot be empty".into()));
    }
    if save.system.chars().count() > MAX_TEMPLATE || save.user.chars().count() > MAX_TEMPLATE {
        return Err(AiError::Invalid(format!("A prompt can have at most {MAX_TEMPLATE} characters")));
    }
    Ok(())
}

/// A new template (`id: None`) or a new version of one. The action of an existing template cannot
/// change (its versions would answer different schemas).
pub async fn save(pool: &SqlitePool, clock: &Clock, save: &SavePromptTemplate) -> Result<PromptTemplate, AiError> {
    check(save)?;
    // A write transaction from the start: two saves of one template would read the same version.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let (id, version) = match save.id {
        None => (Uuid::now_v7(), 1),
        Some(id) => {
            let current: Option<(i64, String)> =
                sqlx::query_as("SELECT max(version), action FROM prompt_template WHERE id = ? GROUP BY id")
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((version, action)) = current else {
                return Err(AiError::UnknownTemplate(id));
            };
            if action != save.action.as_str() {
                return Err(AiError::Invalid(format!(
                    "this template is for {action}; save a new template for {}",
                    save.action.as_str()
                )));
            }
            (id, version + 1)
        }
    };
    let shared_id = id.to_string();
    let before = config::snapshot(&mut tx, ConfigKind::PromptTemplate, &shared_id).await?;
    sqlx::query(
        "INSERT INTO prompt_template (id, version, action, name, system, user, builtin, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
    )
    .bind(id.to_string())
    .bind(version)
    .bind(save.action.as_str())
    .bind(save.name.trim())
    .bind(&save.system)
    .bind(&save.user)
    .bind(time::format(time::now()))
    .execute(&mut *tx)
    .await?;
    config::log_saved(&mut tx, clock, UpdateSource::Ui, ConfigKind::PromptTemplate, &shared_id, before).await?;
    tx.commit().await?;
    latest(pool, id).await
}

pub async fn activate(pool: &SqlitePool, clock: &Clock, id: Uuid) -> Result<PromptTemplate, AiError> {
    let template = latest(pool, id).await?;
    let setting = format!("{}{}", config::ACTIVE_PROMPT, template.action.as_str());
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let before = config::snapshot(&mut tx, ConfigKind::Setting, &setting).await?;
    sqlx::query(
        "INSERT INTO prompt_template_active (action, template_id) VALUES (?, ?)
         ON CONFLICT (action) DO UPDATE SET template_id = excluded.template_id",
    )
    .bind(template.action.as_str())
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    config::log_saved(&mut tx, clock, UpdateSource::Ui, ConfigKind::Setting, &setting, before).await?;
    tx.commit().await?;
    latest(pool, id).await
}
