//! Custom field definitions per object, and checking values against them.

use super::shared::config::{self, ConfigKind};
use super::{Crm, CrmError, rows, validate};
use chrono::NaiveDate;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{
    CustomFieldDef, CustomFieldPatch, CustomFieldType, CustomValues, NewCustomField, RecordKind, UpdateSource,
};
use serde_json::Value;
use sqlx::SqliteConnection;
use uuid::Uuid;

fn check_object(object: RecordKind) -> Result<(), CrmError> {
    match object {
        RecordKind::Person | RecordKind::Company | RecordKind::Deal => Ok(()),
        other => Err(CrmError::invalid("object", format!("{other} records have no custom fields"))),
    }
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= 64
}

pub(crate) async fn load_defs(
    conn: &mut SqliteConnection,
    object: RecordKind,
) -> Result<Vec<CustomFieldDef>, CrmError> {
    let rows = sqlx::query(
        "SELECT id, object, key, label, field_type, position FROM custom_field \
         WHERE object = ? AND deleted_at IS NULL ORDER BY position, key",
    )
    .bind(object.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let field_type = rows::text(row, "field_type")?;
            Ok(CustomFieldDef {
                id: rows::uuid(row, "id")?,
                object,
                key: rows::text(row, "key")?,
                label: rows::text(row, "label")?,
                field_type: serde_json::from_str(&field_type)
                    .map_err(|e| CrmError::Corrupt(format!("custom field type {field_type}: {e}")))?,
                position: rows::int(row, "position")?,
            })
        })
        .collect()
}

/// Checks one value against its definition and returns it in canonical form. Text from a CSV is
/// accepted for numbers, booleans and dates.
fn check_value(def: &CustomFieldDef, value: &Value) -> Result<Value, CrmError> {
    let bad = |message: String| CrmError::InvalidCustomValue { key: def.key.clone(), message };
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    };
    match &def.field_type {
        CustomFieldType::Text => {
            let text = as_text(value).ok_or_else(|| bad("expected text".into()))?;
            let field = format!("custom.{}", def.key);
            Ok(Value::String(validate::body(&field, &text, validate::CUSTOM_TEXT_LIMIT)?))
        }
        CustomFieldType::Number => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => {
                let n: f64 = s.trim().parse().map_err(|_| bad(format!("'{s}' is not a number")))?;
                if !n.is_finite() {
                    return Err(bad(format!("'{s}' is not a finite number")));
                }
                if n.fract() == 0.0 && n.abs() < 9.0e15 { Ok(Value::from(n as i64)) } else { Ok(Value::from(n)) }
            }
            _ => Err(bad("expected a number".into())),
        },
        CustomFieldType::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "0" => Ok(Value::Bool(false)),
                _ => Err(bad(format!("'{s}' is not true or false"))),
            },
            _ => Err(bad("expected true or false".into())),
        },
        CustomFieldType::Date => {
            let text = as_text(value).ok_or_else(|| bad("expected a date YYYY-MM-DD".into()))?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|_| bad(format!("'{text}' is not a date YYYY-MM-DD")))?;
            Ok(Value::String(text))
        }
        CustomFieldType::Url => {
            let text = as_text(value).ok_or_else(|| bad("expected a web address".into()))?;
            let url =
                validate::url("custom", Some(&text)).map_err(|_| bad(format!("'{text}' is not a web address")))?;
            Ok(url.map_or(Value::Null, Value::String))
        }
        CustomFieldType::Select { options } => {
            let text = as_text(value).ok_or_else(|| bad("expected one of the options".into()))?;
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(&text))
                .map(|o| Value::String(o.clone()))
                .ok_or_else(|| bad(format!("'{text}' is not one of: {}", options.join(", "))))
        }
    }
}

/// Applies `changes` (null or empty text clears a key) on top of `current`, checking every key
/// and value against the object's definitions.
pub(crate) fn apply(
    object: RecordKind,
    defs: &[CustomFieldDef],
    current: &CustomValues,
    changes: &CustomValues,
) -> Result<CustomValues, CrmError> {
    let mut result = current.clone();
    for (key, value) in changes {
        let def = defs
            .iter()
            .find(|d| &d.key == key)
            .ok_or_else(|| CrmError::UnknownCustomField { object, key: key.clone() })?;
        let clears = value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty());
        if clears {
            result.remove(key);
        } else {
            let checked = check_value(def, value)?;
            if checked.is_null() {
                result.remove(key);
            } else {
                result.insert(key.clone(), checked);
            }
        }
    }
    Ok(result)
}

impl Crm {
    pub async fn define_custom_field(&self, new: NewCustomField) -> Result<CustomFieldDef, CrmError> {
        check_object(new.object)?;
        let key = new.key.trim().to_string();
        if !valid_key(&key) {
            return Err(CrmError::InvalidCustomKey(key));
        }
        let label = validate::line("label", &new.label, validate::NAME_LIMIT)?;
        if label.is_empty() {
            return Err(CrmError::invalid("label", "a label is required"));
        }
        if let CustomFieldType::Select { options } = &new.field_type
            && (options.is_empty() || options.iter().any(|o| o.trim().is_empty()))
        {
            return Err(CrmError::invalid("options", "a select field needs non-empty options"));
        }
        let mut tx = self.store.begin_write().await?;
        let shared_id = config::custom_field_id(new.object.as_str(), &key);
        let before = config::snapshot(&mut tx, ConfigKind::CustomField, &shared_id).await?;
        if before.as_ref().is_some_and(|(live, _)| *live) {
            return Err(CrmError::DuplicateCustomField { object: new.object, key });
        }
        let position: i64 =
            sqlx::query_scalar("SELECT coalesce(max(position) + 1, 0) FROM custom_field WHERE object = ?")
                .bind(new.object.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let now = dealdesk_store::time::format(dealdesk_store::time::now());
        let field_type = serde_json::to_string(&new.field_type).map_err(|e| CrmError::Corrupt(e.to_string()))?;
        // A key defined again after a delete brings its row back (its values were kept): one row
        // per key, which is how a team workspace knows a field.
        let id: String = sqlx::query_scalar(
            "INSERT INTO custom_field (id, object, key, label, field_type, position, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
             ON CONFLICT (object, key) DO UPDATE SET label = ?4, field_type = ?5, position = ?6, updated_at = ?7, \
             deleted_at = NULL RETURNING id",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(new.object.as_str())
        .bind(&key)
        .bind(&label)
        .bind(field_type)
        .bind(position)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let id = Uuid::parse_str(&id).map_err(|e| CrmError::Corrupt(format!("custom field id: {e}")))?;
        config::log_saved(&mut tx, self.store.clock(), UpdateSource::Ui, ConfigKind::CustomField, &shared_id, before)
            .await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::ConfigChanged);
        Ok(CustomFieldDef { id, object: new.object, key, label, field_type: new.field_type, position })
    }

    /// Renames a custom field or changes a select field's options. Stored values stay as they are.
    pub async fn update_custom_field(&self, patch: CustomFieldPatch) -> Result<CustomFieldDef, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let row = sqlx::query("SELECT object FROM custom_field WHERE id = ? AND deleted_at IS NULL")
            .bind(patch.id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| CrmError::invalid("id", format!("no custom field {}", patch.id)))?;
        let object_text = rows::text(&row, "object")?;
        let object =
            RecordKind::parse(&object_text).ok_or_else(|| CrmError::Corrupt(format!("object {object_text}")))?;
        let mut def = load_defs(&mut tx, object)
            .await?
            .into_iter()
            .find(|d| d.id == patch.id)
            .ok_or_else(|| CrmError::Corrupt(format!("custom field {}", patch.id)))?;
        if let Some(label) = patch.label {
            def.label = validate::line("label", &label, validate::NAME_LIMIT)?;
            if def.label.is_empty() {
                return Err(CrmError::invalid("label", "a label is required"));
            }
        }
        if let Some(options) = patch.options {
            let CustomFieldType::Select { .. } = def.field_type else {
                return Err(CrmError::invalid("options", "only select fields have options"));
            };
            let options: Vec<String> = options.iter().map(|o| o.trim().to_string()).collect();
            if options.is_empty() || options.iter().any(String::is_empty) {
                return Err(CrmError::invalid("options", "a select field needs non-empty options"));
            }
            def.field_type = CustomFieldType::Select { options };
        }
        let field_type = serde_json::to_string(&def.field_type).map_err(|e| CrmError::Corrupt(e.to_string()))?;
        let shared_id = config::custom_field_id(object.as_str(), &def.key);
        let before = config::snapshot(&mut tx, ConfigKind::CustomField, &shared_id).await?;
        sqlx::query("UPDATE custom_field SET label = ?, field_type = ?, updated_at = ? WHERE id = ?")
            .bind(&def.label)
            .bind(field_type)
            .bind(dealdesk_store::time::format(dealdesk_store::time::now()))
            .bind(def.id.to_string())
            .execute(&mut *tx)
            .await?;
        config::log_saved(&mut tx, self.store.clock(), UpdateSource::Ui, ConfigKind::CustomField, &shared_id, before)
            .await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::ConfigChanged);
        Ok(def)
    }

    /// Removes a custom field definition. Values already stored stay in the records' data (and
    /// in their history) but are no longer shown or editable; the key becomes free again, and
    /// defining it again brings the values back.
    pub async fn delete_custom_field(&self, id: Uuid) -> Result<(), CrmError> {
        let now = dealdesk_store::time::format(dealdesk_store::time::now());
        let mut tx = self.store.begin_write().await?;
        let shared_id: Option<String> =
            sqlx::query_scalar("SELECT object || '.' || key FROM custom_field WHERE id = ? AND deleted_at IS NULL")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let shared_id = shared_id.ok_or_else(|| CrmError::invalid("id", format!("no custom field {id}")))?;
        let before = config::snapshot(&mut tx, ConfigKind::CustomField, &shared_id).await?;
        sqlx::query("UPDATE custom_field SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(&now)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        config::log_saved(&mut tx, self.store.clock(), UpdateSource::Ui, ConfigKind::CustomField, &shared_id, before)
            .await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::ConfigChanged);
        Ok(())
    }

    pub async fn custom_fields(&self, object: RecordKind) -> Result<Vec<CustomFieldDef>, CrmError> {
        check_object(object)?;
        let mut conn = self.store.pool().acquire().await?;
        load_defs(&mut conn, object).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(key: &str, field_type: CustomFieldType) -> CustomFieldDef {
        CustomFieldDef {
            id: Uuid::nil(),
            object: RecordKind::Person,
            key: key.into(),
            label: key.into(),
            field_type,
            position: 0,
        }
    }

    #[test]
    fn values_are_checked_and_canonicalised() {
        let defs = vec![
            def("seats", CustomFieldType::Number),
            def("vip", CustomFieldType::Boolean),
            def("tier", CustomFieldType::Select { options: vec!["Gold".into(), "Silver".into()] }),
            def("renewal", CustomFieldType::Date),
        ];
        let changes: CustomValues = [
            ("seats".to_string(), Value::from("12")),
            ("vip".to_string(), Value::from("yes")),
            ("tier".to_string(), Value::from("gold")),
            ("renewal".to_string(), Value::from("2027-01-31")),
        ]
        .into();
        let out = apply(RecordKind::Person, &defs, &CustomValues::new(), &changes).unwrap();
        assert_eq!(out["seats"], Value::from(12));
        assert_eq!(out["vip"], Value::Bool(true));
        assert_eq!(out["tier"], Value::from("Gold"));

        let bad = |k: &str, v: &str| {
            apply(RecordKind::Person, &defs, &out, &[(k.to_string(), Value::from(v))].into()).unwrap_err()
        };
        assert!(matches!(bad("seats", "many"), CrmError::InvalidCustomValue { .. }));
        assert!(matches!(bad("tier", "Bronze"), CrmError::InvalidCustomValue { .. }));
        assert!(matches!(bad("renewal", "31/01/2027"), CrmError::InvalidCustomValue { .. }));
        assert!(matches!(bad("nope", "x"), CrmError::UnknownCustomField { .. }));

        let cleared = apply(RecordKind::Person, &defs, &out, &[("seats".to_string(), Value::Null)].into()).unwrap();
        assert!(!cleared.contains_key("seats"));
    }

    #[test]
    fn keys_are_identifiers() {
        assert!(valid_key("renewal_date2"));
        assert!(!valid_key("Renewal"));
        assert!(!valid_key("2x"));
        assert!(!valid_key("a-b"));
    }
}
