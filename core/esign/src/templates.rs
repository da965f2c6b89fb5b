//! The contract template library: the shipped service agreement and NDA, user templates, and
//! versions (every save adds one; nothing is overwritten).

use super::error::EsignError;
use dealdesk_crm::shared::config::{self, ConfigKind};
use dealdesk_model::UpdateSource;
use dealdesk_model::contract::{ContractTemplate, SaveContractTemplate};
use dealdesk_store::{Clock, time};
use sqlx::SqlitePool;
use uuid::Uuid;

/// The shipped templates: fixed ids, so seeding on every start adds each once.
pub const BUILTIN: &[(Uuid, &str, &str)] = &[
    (
        Uuid::from_u128(0x0193_0000_7000_7000_8000_c0de_0000_0001),
        "Service agreement",
        include_str!("templates/service-agreement.typ"),
    ),
    (Uuid::from_u128(0x0193_0000_7000_7000_8000_c0de_0000_0002), "Mutual NDA", include_str!("templates/nda.typ")),
];

type Row = (String, i64, String, String, bool, String);
const COLUMNS: &str = "id, version, name, body, builtin, created_at";

fn template(row: Row) -> Result<ContractTemplate, EsignError> {
    let (id, version, name, body, builtin, created_at) = row;
    Ok(ContractTemplate {
        id: Uuid::parse_str(&id).map_err(|e| EsignError::Invalid(format!("stored template id {id:?}: {e}")))?,
        name,
        body,
        version,
        builtin,
        updated_at: created_at,
    })
}

/// Adds the shipped templates (version 1). Safe on every start; a deleted one stays deleted.
pub async fn seed(pool: &SqlitePool) -> Result<(), EsignError> {
    let now = time::format(time::now());
    let mut tx = pool.begin().await?;
    for (id, name, body) in BUILTIN {
        sqlx::query(
            "INSERT INTO contract_template (id, version, name, body, builtin, created_at)
             VALUES (?, 1, ?, ?, 1, ?) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(body)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The newest version of every template that is not deleted, shipped ones first.
pub async fn list(pool: &SqlitePool) -> Result<Vec<ContractTemplate>, EsignError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contract_template t
         WHERE deleted_at IS NULL AND version = (SELECT max(version) FROM contract_template v WHERE v.id = t.id)
         ORDER BY builtin DESC, name COLLATE NOCASE"
    )))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(template).collect()
}

/// The newest version of `id`.
pub async fn latest(pool: &SqlitePool, id: Uuid) -> Result<ContractTemplate, EsignError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contract_template WHERE id = ? AND deleted_at IS NULL ORDER BY version DESC LIMIT 1"
    )))
    .bind(id.to_string())
    .fetch_optional(pool)
    .await?;
    row.map(template).transpose()?.ok_or_else(|| EsignError::UnknownTemplate(id.to_string()))
}

/// A template by id or by name (case-insensitive), for the CLI.
pub async fn find(pool: &SqlitePool, id_or_name: &str) -> Result<ContractTemplate, EsignError> {
    if let Ok(id) = Uuid::parse_str(id_or_name.trim()) {
        return latest(pool, id).await;
    }
    let wanted = id_or_name.trim().to_lowercase();
    let all = list(pool).await?;
    let slug = |name: &str| name.to_lowercase().replace(' ', "-");
    if let Some(exact) = all.iter().find(|t| t.name.to_lowercase() == wanted || slug(&t.name) == wanted) {
        return Ok(exact.clone());
    }
    // A word of the name ("nda" for "Mutual NDA"), when only one template has it.
    let mut partial = all.into_iter().filter(|t| {
        let name = t.name.to_lowercase();
        name.split(|c: char| !c.is_alphanumeric()).any(|word| word == wanted) || slug(&t.name).contains(&wanted)
    });
    match (partial.next(), partial.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(EsignError::UnknownTemplate(id_or_name.to_string())),
    }
}

fn check(save: &SaveContractTemplate) -> Result<(), EsignError> {
    if save.name.trim().is_empty() || save.name.chars().count() > 100 {
        return Err(EsignError::Invalid("A template needs a name (at most 100 characters)".into()));
    }
    if save.body.trim().is_empty() {
        return Err(EsignError::Invalid("The template is empty".into()));
    }
    if save.body.len() > super::render::MAX_TEMPLATE_BYTES {
        return Err(EsignError::Invalid(format!(
            "A template can have at most {} KiB",
            super::render::MAX_TEMPLATE_BYTES / 1024
        )));
    }
    Ok(())
}

/// A new template (`id: None`) or a new version of one.
pub async fn save(
    pool: &SqlitePool,
    clock: &Clock,
    save: &SaveContractTemplate,
) -> Result<ContractTemplate, EsignError> {
    check(save)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let (id, version, builtin) = match save.id {
        None => (Uuid::now_v7(), 1, false),
        Some(id) => {
            let current: Option<(i64, bool)> = sqlx::query_as(
                "SELECT max(version), max(builtin) FROM contract_template WHERE id = ? AND deleted_at IS NULL
                 GROUP BY id",
            )
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((version, builtin)) = current else {
                return Err(EsignError::UnknownTemplate(id.to_string()));
            };
            (id, version + 1, builtin)
        }
    };
    let shared_id = id.to_string();
    let before = config::snapshot(&mut tx, ConfigKind::ContractTemplate, &shared_id).await?;
    sqlx::query(
        "INSERT INTO contract_template (id, version, name, body, builtin, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id.to_string())
    .bind(version)
    .bind(save.name.trim())
    .bind(&save.body)
    .bind(builtin)
    .bind(time::format(time::now()))
    .execute(&mut *tx)
    .await?;
    config::log_saved(&mut tx, clock, UpdateSource::Ui, ConfigKind::ContractTemplate, &shared_id, before).await?;
    tx.commit().await?;
    latest(pool, id).await
}

/// Hides a template (its versions stay, so contracts made from it keep their history).
pub async fn delete(pool: &SqlitePool, clock: &Clock, id: Uuid) -> Result<(), EsignError> {
    let shared_id = id.to_string();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let before = config::snapshot(&mut tx, ConfigKind::ContractTemplate, &shared_id).await?;
    let done = sqlx::query("UPDATE contract_template SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")
        .bind(time::format(time::now()))
        .bind(&shared_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(EsignError::UnknownTemplate(shared_id));
    }
    config::log_saved(&mut tx, clock, UpdateSource::Ui, ConfigKind::ContractTemplate, &shared_id, before).await?;
    tx.commit().await?;
    Ok(())
}
