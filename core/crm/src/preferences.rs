//! Saved table views and app settings, kept in the database with everything else.

use super::{Crm, CrmError, rows, validate};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{NewSavedView, RecordKind, SavedView, Settings};
use dealdesk_store::time;
use uuid::Uuid;

const SETTINGS_KEY: &str = "settings";
/// A saved view's state is UI data; this keeps one from growing without bound.
const MAX_VIEW_STATE_BYTES: usize = 64 * 1024;

impl Crm {
    pub async fn saved_views(&self, object: RecordKind) -> Result<Vec<SavedView>, CrmError> {
        let rows = sqlx::query("SELECT id, name, state FROM saved_view WHERE object = ? ORDER BY name COLLATE NOCASE")
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
                })
            })
            .collect()
    }

    /// Saves a view under its name, replacing a view of the same name.
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
        let id: String = sqlx::query_scalar(
            "INSERT INTO saved_view (id, object, name, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
             ON CONFLICT (object, name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(new.object.as_str())
        .bind(&name)
        .bind(&state)
        .bind(&now)
        .fetch_one(self.store.pool())
        .await?;
        self.events.emit(CoreEvent::ConfigChanged);
        Ok(SavedView { id: rows::parse_uuid("id", &id)?, object: new.object, name, state: new.state })
    }

    pub async fn delete_saved_view(&self, id: Uuid) -> Result<(), CrmError> {
        sqlx::query("DELETE FROM saved_view WHERE id = ?").bind(id.to_string()).execute(self.store.pool()).await?;
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
