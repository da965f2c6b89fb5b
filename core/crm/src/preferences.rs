//! Saved table views and app settings, kept in the database with everything else.

use super::shared::config::{self, ConfigKind};
use super::{Crm, CrmError, rows, validate};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{NewSavedView, RecordKind, SavedView, Settings, UpdateSource};
use dealdesk_store::time;
use uuid::Uuid;

const SETTINGS_KEY: &str = "settings";
/// A saved view's state is UI data; this keeps one from growing without bound.
const MAX_VIEW_STATE_BYTES: usize = 64 * 1024;

impl Crm {
    pub async fn saved_views(&self, object: RecordKind) -> Result<Vec<SavedView>, CrmError> {
        let rows = sqlx::query(
            "SELECT id, name, state, shared FROM saved_view WHERE object = ? AND deleted_at IS NULL \
             ORDER BY name COLLATE NOCASE, id",
        )
        .bind(object.as_str())
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let state = rows::text(row, "state")?;
                Ok(SavedView {
                    id: rows::uuid(row, "id")?,
                    object,
                    name: rows::text(row, "name")?,
                    state: serde_json::from_str(&state).map_err(|e| CrmError::Corrupt(format!("view state: {e}")))?,
                    shared: rows::int(row, "shared")? != 0,
                })
            })
            .collect()
    }

    /// Saves a view under its name, replacing the view of the same name and the same sharing (a
    /// personal view never replaces a teammate's shared one). A shared one goes to every desktop of
    /// the team workspace; deleting it takes it off all of them.
    pub async fn save_view(&self, new: NewSavedView) -> Result<SavedView, CrmError> {
        if !matches!(new.object, RecordKind::Person | RecordKind::Company | RecordKind::Deal | RecordKind::Task) {
            return Err(CrmError::invalid("object", format!("{} lists have no saved views", new.object)));
        }
        let name = validate::line("name", &new.name, validate::NAME_LIMIT)?;
        if name.is_empty() {
            return Err(CrmError::invalid("name", "a view needs a name"));
        }
        let state = new.state.to_string();
        if state.len() > MAX_VIEW_STATE_BYTES {
            return Err(CrmError::TooLong { field: "state".into(), len: state.len(), limit: MAX_VIEW_STATE_BYTES });
        }
        let now = time::format(time::now());
        let mut tx = self.store.begin_write().await?;
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM saved_view WHERE object = ? AND name = ? AND shared = ? AND deleted_at IS NULL \
             ORDER BY id LIMIT 1",
        )
        .bind(new.object.as_str())
        .bind(&name)
        .bind(new.shared)
        .fetch_optional(&mut *tx)
        .await?;
        let id = existing.unwrap_or_else(|| Uuid::now_v7().to_string());
        let before = config::snapshot(&mut tx, ConfigKind::View, &id).await?;
        sqlx::query(
            "INSERT INTO saved_view (id, object, name, state, shared, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
             ON CONFLICT (id) DO UPDATE SET name = ?3, state = ?4, shared = ?5, updated_at = ?6",
        )
        .bind(&id)
        .bind(new.object.as_str())
        .bind(&name)
        .bind(&state)
        .bind(new.shared)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        config::log_saved(&mut tx, self.store.clock(), UpdateSource::Ui, ConfigKind::View, &id, before).await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::ConfigChanged);
        Ok(SavedView {
            id: rows::parse_uuid("id", &id)?,
            object: new.object,
            name,
            state: new.state,
            shared: new.shared,
        })
    }

    pub async fn delete_saved_view(&self, id: Uuid) -> Result<(), CrmError> {
        let id = id.to_string();
        let mut tx = self.store.begin_write().await?;
        let before = config::snapshot(&mut tx, ConfigKind::View, &id).await?;
        sqlx::query("UPDATE saved_view SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL")
            .bind(time::format(time::now()))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        config::log_saved(&mut tx, self.store.clock(), UpdateSource::Ui, ConfigKind::View, &id, before).await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::ConfigChanged);
        Ok(())
    }

    pub async fn settings(&self) -> Result<Settings, CrmError> {
        Ok(self.store.setting(SETTINGS_KEY).await?.unwrap_or_default())
    }

    pub async fn save_settings(&self, settings: Settings) -> Result<Settings, CrmError> {
        self.store.set_setting(SETTINGS_KEY, &settings).await?;
        self.events.emit(CoreEvent::ConfigChanged);
        Ok(settings)
    }
}
