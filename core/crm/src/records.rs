//! Operations on any kind of record: trash and restore (undo), and bulk actions.

use super::{Crm, CrmError, record, tags};
use dealdesk_model::{BulkAction, BulkRequest, BulkResult, MoveDeal, RecordKind, RecordRef, UpdateSource};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// The table that stores records of a kind.
pub(crate) fn table_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "person",
        RecordKind::Company => "company",
        RecordKind::Deal => "deal",
        RecordKind::Note => "note",
        RecordKind::Task => "task",
    }
}

/// Most records one bulk action may touch.
pub const MAX_BULK: usize = 10_000;

impl Crm {
    /// Moves a record to the trash (restorable). Trashing twice is a no-op.
    pub async fn trash(&self, record: RecordRef, source: UpdateSource) -> Result<(), CrmError> {
        let RecordRef { kind, id } = record;
        let table = table_of(kind);
        let mut tx = self.store.begin_write().await?;
        let moved = record::set_deleted(&mut tx, &self.ctx(source), kind, table, id, true).await?;
        if !moved {
            let sql = format!("SELECT 1 FROM {table} WHERE id = ?");
            if sqlx::query(AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&mut *tx).await?.is_none() {
                return Err(CrmError::NotFound { kind, id: id.to_string() });
            }
        }
        tx.commit().await?;
        if moved {
            self.emit_changed(kind, id, source);
        }
        Ok(())
    }

    /// Brings a record back from the trash (the undo of [`Crm::trash`]).
    pub async fn restore(&self, record: RecordRef, source: UpdateSource) -> Result<(), CrmError> {
        match record.kind {
            // These check that the email or domain is still free.
            RecordKind::Person => self.restore_person(record.id, source).await.map(|_| ()),
            RecordKind::Company => self.restore_company(record.id, source).await.map(|_| ()),
            kind => {
                let mut tx = self.store.begin_write().await?;
                let moved =
                    record::set_deleted(&mut tx, &self.ctx(source), kind, table_of(kind), record.id, false).await?;
                if !moved {
                    let sql = format!("SELECT 1 FROM {} WHERE id = ?", table_of(kind));
                    if sqlx::query(AssertSqlSafe(sql))
                        .bind(record.id.to_string())
                        .fetch_optional(&mut *tx)
                        .await?
                        .is_none()
                    {
                        return Err(CrmError::NotFound { kind, id: record.id.to_string() });
                    }
                }
                tx.commit().await?;
                self.emit_changed(kind, record.id, source);
                Ok(())
            }
        }
    }

    /// Applies one action to many records. Each record is its own transaction, so one refusal
    /// (a deal already in that stage, say) does not undo the others; the first error is returned
    /// after the rest were tried.
    pub async fn bulk(&self, request: BulkRequest, source: UpdateSource) -> Result<BulkResult, CrmError> {
        if request.ids.len() > MAX_BULK {
            return Err(CrmError::invalid("ids", format!("at most {MAX_BULK} records at once")));
        }
        let mut changed = 0u64;
        let mut first_error = None;
        for id in dedup(&request.ids) {
            let record = RecordRef { kind: request.kind, id };
            let result = match &request.action {
                BulkAction::Tag { tag } => {
                    tags::linkable_table(request.kind)?;
                    self.tag_record(record, tag, source).await.map(|_| ())
                }
                BulkAction::Untag { tag } => self.untag_record(record, tag, source).await,
                BulkAction::Trash => self.trash(record, source).await,
                BulkAction::Restore => self.restore(record, source).await,
                BulkAction::MoveStage { stage } => {
                    if request.kind != RecordKind::Deal {
                        return Err(CrmError::invalid("action", "only deals move between stages"));
                    }
                    self.move_deal_stage(MoveDeal { deal_id: id, stage: stage.clone(), position: None }, source)
                        .await
                        .map(|_| ())
                }
            };
            match result {
                Ok(()) => changed += 1,
                Err(error) => {
                    tracing::debug!(%id, %error, "bulk action refused for one record");
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) if changed == 0 => Err(error),
            _ => Ok(BulkResult { changed }),
        }
    }
}

fn dedup(ids: &[Uuid]) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}
