//! Restoring a field from the change log: any value a field had before a sync, a merge or an edit
//! can be put back from the record's timeline. The restore is an ordinary edit (logged, undoable).

use super::{Crm, CrmError};
use dealdesk_model::{CompanyPatch, DealPatch, MoveDeal, PersonPatch, RecordKind, RecordRef, UpdateSource};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Columns whose change-log name is also the patch field, per kind.
const PERSON_FIELDS: &[&str] =
    &["first_name", "last_name", "email", "phone", "job_title", "city", "linkedin_url", "avatar_url", "company_id"];
const COMPANY_FIELDS: &[&str] = &["name", "domain", "employees", "address", "linkedin_url", "icp"];
const DEAL_FIELDS: &[&str] = &["name", "close_date", "contact_id", "company_id"];
/// Text fields where "no value" is written as an empty string in a patch.
const ID_OR_NUMBER_FIELDS: &[&str] = &["company_id", "contact_id", "employees", "close_date", "icp"];

fn cannot(field: &str) -> CrmError {
    CrmError::InvalidField {
        field: field.to_string(),
        message: "this field cannot be restored from the history; edit it on the record".into(),
    }
}

/// The patch that sets `field` to `value`, as JSON for the kind's patch type.
fn patch_json(kind: RecordKind, field: &str, value: Value) -> Result<Value, CrmError> {
    if let Some(key) = field.strip_prefix("custom.") {
        return Ok(json!({ "custom": { key: value } }));
    }
    let known = match kind {
        RecordKind::Person => PERSON_FIELDS,
        RecordKind::Company => COMPANY_FIELDS,
        RecordKind::Deal => DEAL_FIELDS,
        _ => &[],
    };
    if !known.contains(&field) {
        return Err(cannot(field));
    }
    let value = match value {
        Value::Null if !ID_OR_NUMBER_FIELDS.contains(&field) => Value::String(String::new()),
        other => other,
    };
    let mut patch = Map::new();
    patch.insert(field.to_string(), value);
    Ok(Value::Object(patch))
}

fn parse<T: serde::de::DeserializeOwned>(field: &str, patch: Value) -> Result<T, CrmError> {
    serde_json::from_value(patch)
        .map_err(|e| CrmError::InvalidField { field: field.to_string(), message: e.to_string() })
}

impl Crm {
    /// Sets the field changed by change-log entry `seq` back to the value it had before it.
    pub async fn restore_field_value(&self, record: RecordRef, seq: i64, source: UpdateSource) -> Result<(), CrmError> {
        let row: Option<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT record_kind, record_id, field, old_value FROM change_log WHERE seq = ? AND op = 'update'",
        )
        .bind(seq)
        .fetch_optional(self.store.pool())
        .await?;
        let Some((kind, id, Some(field), old)) = row else {
            return Err(CrmError::InvalidField {
                field: "seq".into(),
                message: format!("change {seq} is not a field change"),
            });
        };
        if kind != record.kind.as_str() || id != record.id.to_string() {
            return Err(CrmError::InvalidField {
                field: "seq".into(),
                message: format!("change {seq} belongs to another record"),
            });
        }
        let old: Value = match old {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| CrmError::Corrupt(format!("change log value: {e}")))?
            }
            None => Value::Null,
        };
        let record_id: Uuid = record.id;
        match (record.kind, field.as_str()) {
            (RecordKind::Deal, "stage_id") => {
                let stage_id = old.as_str().ok_or_else(|| cannot(&field))?.to_string();
                let name: Option<String> = sqlx::query_scalar("SELECT name FROM stage WHERE id = ?")
                    .bind(&stage_id)
                    .fetch_optional(self.store.pool())
                    .await?;
                let stage = name.ok_or_else(|| CrmError::InvalidField {
                    field: "stage".into(),
                    message: "that stage no longer exists".into(),
                })?;
                self.move_deal_stage(MoveDeal { deal_id: record_id, stage, position: None }, source).await?;
            }
            (RecordKind::Deal, "amount_micros") => {
                let current = self.get_deal(record_id).await?;
                let micros = old.as_i64().ok_or_else(|| cannot(&field))?;
                let amount = dealdesk_model::Money { micros, currency: current.amount.currency };
                self.update_deal(record_id, DealPatch { amount: Some(amount), ..parse(&field, json!({}))? }, source)
                    .await?;
            }
            (RecordKind::Person, _) => {
                let patch: PersonPatch = parse(&field, patch_json(RecordKind::Person, &field, old)?)?;
                self.update_person(record_id, patch, source).await?;
            }
            (RecordKind::Company, _) => {
                let patch: CompanyPatch = parse(&field, patch_json(RecordKind::Company, &field, old)?)?;
                self.update_company(record_id, patch, source).await?;
            }
            (RecordKind::Deal, _) => {
                let patch: DealPatch = parse(&field, patch_json(RecordKind::Deal, &field, old)?)?;
                self.update_deal(record_id, patch, source).await?;
            }
            _ => return Err(cannot(&field)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_name_one_field() {
        assert_eq!(patch_json(RecordKind::Person, "city", json!("Oslo")).unwrap(), json!({"city": "Oslo"}));
        assert_eq!(patch_json(RecordKind::Person, "city", Value::Null).unwrap(), json!({"city": ""}));
        assert_eq!(patch_json(RecordKind::Deal, "company_id", Value::Null).unwrap(), json!({"company_id": null}));
        assert_eq!(
            patch_json(RecordKind::Deal, "custom.tier", json!("gold")).unwrap(),
            json!({"custom": {"tier": "gold"}})
        );
        assert!(patch_json(RecordKind::Person, "position", json!(1)).is_err());
    }
}
