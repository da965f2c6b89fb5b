//! Deals: create (one or many), read, update, move between stages, win/lose, trash, list.

use super::cursor::{SortKey, page_size};
use super::pipelines::{pipeline, stage_named};
use super::record::{Cell, Fields, insert_records, set_deleted, update_record};
use super::{Crm, CrmError, custom_fields, filters, find_existing, rows, validate};
use chrono::NaiveDate;
use dealdesk_model::money::normalize_currency;
use dealdesk_model::{
    CustomFieldDef, CustomValues, Deal, DealPatch, DealQuery, DealSort, DealStatus, Money, MoveDeal, NewDeal, Page,
    Pipeline, RecordKind, RecordRef, SetDealStatus, UpdateSource,
};
use dealdesk_store::time;
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;
use std::sync::LazyLock;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct DealFields {
    pub name: String,
    pub amount: Money,
    pub close_date: Option<NaiveDate>,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub status: DealStatus,
    pub lost_reason: Option<String>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub stage_entered_at: String,
    pub closed_at: Option<String>,
    pub position: f64,
    pub custom: CustomValues,
}

impl Fields for DealFields {
    const KIND: RecordKind = RecordKind::Deal;
    const TABLE: &'static str = "deal";

    fn cells(&self) -> Vec<(&'static str, Cell)> {
        vec![
            ("name", self.name.as_str().into()),
            ("amount_micros", self.amount.micros.into()),
            ("currency", self.amount.currency.as_str().into()),
            ("close_date", self.close_date.map(|d| d.format("%Y-%m-%d").to_string()).into()),
            ("pipeline_id", self.pipeline_id.into()),
            ("stage_id", self.stage_id.into()),
            ("status", self.status.as_str().into()),
            ("lost_reason", self.lost_reason.clone().into()),
            ("contact_id", self.contact_id.into()),
            ("company_id", self.company_id.into()),
            ("stage_entered_at", self.stage_entered_at.as_str().into()),
            ("closed_at", self.closed_at.clone().into()),
            ("position", self.position.into()),
            ("custom", Cell::Json(Value::Object(self.custom.clone().into_iter().collect()))),
        ]
    }
}

impl From<&Deal> for DealFields {
    fn from(d: &Deal) -> Self {
        DealFields {
            name: d.name.clone(),
            amount: d.amount.clone(),
            close_date: d.close_date,
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            status: d.status,
            lost_reason: d.lost_reason.clone(),
            contact_id: d.contact_id,
            company_id: d.company_id,
            stage_entered_at: time::format(d.stage_entered_at),
            closed_at: d.closed_at.map(time::format),
            position: d.position,
            custom: d.custom.clone(),
        }
    }
}

impl DealFields {
    /// Sets the status, stamping `closed_at` when the deal closes and clearing it when it reopens.
    pub fn set_status(&mut self, status: DealStatus, now: &str) {
        match (self.status, status) {
            (DealStatus::Open, DealStatus::Won | DealStatus::Lost) => self.closed_at = Some(now.to_string()),
            (_, DealStatus::Open) => self.closed_at = None,
            _ => {}
        }
        self.status = status;
    }

    pub fn checked(self) -> Result<DealFields, CrmError> {
        let name = validate::line("name", &self.name, validate::NAME_LIMIT)?;
        if name.is_empty() {
            return Err(CrmError::MissingName(RecordKind::Deal));
        }
        let amount = Money { micros: self.amount.micros, currency: normalize_currency(&self.amount.currency)? };
        if amount.micros < 0 {
            return Err(CrmError::invalid("amount", "a deal amount cannot be negative"));
        }
        let lost_reason = validate::optional_line("lost_reason", self.lost_reason.as_deref(), validate::LINE_LIMIT)?;
        let lost_reason = match self.status {
            DealStatus::Lost if lost_reason.is_none() => return Err(CrmError::LostReasonRequired),
            DealStatus::Lost => lost_reason,
            DealStatus::Open | DealStatus::Won => None,
        };
        if !self.position.is_finite() {
            return Err(CrmError::invalid("position", "must be a finite number"));
        }
        Ok(DealFields { name, amount, lost_reason, ..self })
    }
}

/// Validates a new deal, resolving its stage by name in `pipeline`.
pub fn prepare_new(
    new: NewDeal,
    pipeline: &Pipeline,
    defs: &[CustomFieldDef],
    now: &str,
) -> Result<(Uuid, DealFields), CrmError> {
    let stage = match new.stage.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(name) => stage_named(pipeline, name)?,
        None => pipeline
            .stages
            .first()
            .ok_or_else(|| CrmError::Corrupt(format!("pipeline {} has no stages", pipeline.name)))?,
    };
    let custom = custom_fields::apply(RecordKind::Deal, defs, &CustomValues::new(), &new.custom)?;
    let fields = DealFields {
        name: new.name,
        amount: new.amount,
        close_date: new.close_date,
        pipeline_id: pipeline.id,
        stage_id: stage.id,
        status: new.status,
        lost_reason: new.lost_reason,
        contact_id: new.contact_id,
        company_id: new.company_id,
        stage_entered_at: now.to_string(),
        closed_at: (new.status != DealStatus::Open).then(|| now.to_string()),
        position: 0.0,
        custom,
    }
    .checked()?;
    Ok((new.id.unwrap_or_else(Uuid::now_v7), fields))
}

/// Ids not taken; contact and company live.
pub async fn check_against_store(
    conn: &mut SqliteConnection,
    rows: &[(Uuid, &DealFields)],
    claimed_ids: &[Uuid],
) -> Result<Vec<Result<(), CrmError>>, CrmError> {
    let claimed: Vec<String> = claimed_ids.iter().map(Uuid::to_string).collect();
    let taken = find_existing(conn, "deal", "id", false, &claimed).await?;
    let contacts: Vec<String> = rows.iter().filter_map(|(_, f)| f.contact_id.map(|c| c.to_string())).collect();
    let live_contacts = find_existing(conn, "person", "id", true, &contacts).await?;
    let companies: Vec<String> = rows.iter().filter_map(|(_, f)| f.company_id.map(|c| c.to_string())).collect();
    let live_companies = find_existing(conn, "company", "id", true, &companies).await?;
    Ok(rows
        .iter()
        .map(|(id, f)| {
            if taken.contains_key(&id.to_string()) {
                return Err(CrmError::DuplicateId { kind: RecordKind::Deal, id: id.to_string() });
            }
            if let Some(contact) = f.contact_id.filter(|c| !live_contacts.contains_key(&c.to_string())) {
                return Err(CrmError::PersonNotFound(contact.to_string()));
            }
            if let Some(company) = f.company_id.filter(|c| !live_companies.contains_key(&c.to_string())) {
                return Err(CrmError::CompanyNotFound(company.to_string()));
            }
            Ok(())
        })
        .collect())
}

/// Places new deals at the end of their stage's column.
pub async fn place_at_column_end(conn: &mut SqliteConnection, rows: &mut [(Uuid, DealFields)]) -> Result<(), CrmError> {
    let ends: Vec<(String, f64)> =
        sqlx::query_as("SELECT stage_id, max(position) FROM deal WHERE deleted_at IS NULL GROUP BY stage_id")
            .fetch_all(&mut *conn)
            .await?;
    let mut ends: HashMap<String, f64> = ends.into_iter().collect();
    for (_, fields) in rows.iter_mut() {
        let end = ends.entry(fields.stage_id.to_string()).or_insert(0.0);
        *end += 1.0;
        fields.position = *end;
    }
    Ok(())
}

static SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT d.id, d.name, d.amount_micros, d.currency, d.close_date, d.pipeline_id, d.stage_id, \
         s.name AS stage_name, CASE d.status WHEN 'won' THEN 100 WHEN 'lost' THEN 0 ELSE s.probability END AS probability, \
         d.status, d.lost_reason, d.contact_id, \
         CASE WHEN p.id IS NULL THEN NULL ELSE trim(p.first_name || ' ' || p.last_name) END AS contact_name, \
         d.company_id, c.name AS company_name, d.stage_entered_at, d.closed_at, d.position, d.custom, d.origin, \
         d.created_at, d.updated_at, d.deleted_at, {} AS tags \
         FROM deal d JOIN stage s ON s.id = d.stage_id \
         LEFT JOIN person p ON p.id = d.contact_id LEFT JOIN company c ON c.id = d.company_id",
        rows::tags_expr("deal", "d.id")
    )
});

fn from_row(row: &SqliteRow) -> Result<Deal, CrmError> {
    let status = rows::text(row, "status")?;
    let probability = rows::int(row, "probability")?;
    Ok(Deal {
        id: rows::uuid(row, "id")?,
        name: rows::text(row, "name")?,
        amount: Money { micros: rows::int(row, "amount_micros")?, currency: rows::text(row, "currency")? },
        close_date: rows::opt_date(row, "close_date")?,
        pipeline_id: rows::uuid(row, "pipeline_id")?,
        stage_id: rows::uuid(row, "stage_id")?,
        stage_name: rows::text(row, "stage_name")?,
        probability: u8::try_from(probability).map_err(|_| CrmError::Corrupt(format!("probability {probability}")))?,
        status: DealStatus::parse(&status).ok_or_else(|| CrmError::Corrupt(format!("deal status {status}")))?,
        lost_reason: rows::opt_text(row, "lost_reason")?,
        contact_id: rows::opt_uuid(row, "contact_id")?,
        contact_name: rows::opt_text(row, "contact_name")?,
        company_id: rows::opt_uuid(row, "company_id")?,
        company_name: rows::opt_text(row, "company_name")?,
        stage_entered_at: rows::timestamp(row, "stage_entered_at")?,
        closed_at: rows::opt_timestamp(row, "closed_at")?,
        position: sqlx::Row::try_get(row, "position")?,
        tags: rows::string_list(row, "tags")?,
        custom: rows::custom(row, "custom")?,
        meta: rows::meta(row)?,
    })
}

/// A deal that mirrors a Whop membership takes its stage, status and amount from Whop (sync
/// writes them); local edits of those fields are refused rather than silently overwritten later.
async fn check_whop_owned(
    conn: &mut SqliteConnection,
    id: Uuid,
    old: &DealFields,
    new: &DealFields,
) -> Result<(), CrmError> {
    let whop_owned = old.stage_id != new.stage_id
        || old.status != new.status
        || old.lost_reason != new.lost_reason
        || old.amount != new.amount;
    if !whop_owned {
        return Ok(());
    }
    let linked: Option<i64> = sqlx::query_scalar("SELECT 1 FROM whop_deal WHERE deal_id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if linked.is_some() {
        let field = if old.amount != new.amount {
            "amount"
        } else if old.stage_id != new.stage_id {
            "stage"
        } else {
            "status"
        };
        return Err(CrmError::invalid(field, "set by Whop: this deal follows a Whop membership and changes with sync"));
    }
    Ok(())
}

pub async fn fetch(conn: &mut SqliteConnection, id: Uuid) -> Result<Deal, CrmError> {
    let mut qb = QueryBuilder::<Sqlite>::new(SELECT.as_str());
    qb.push(" WHERE d.id = ").push_bind(id.to_string());
    let row = qb.build().fetch_optional(&mut *conn).await?;
    row.as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| CrmError::NotFound { kind: RecordKind::Deal, id: id.to_string() })
}

/// The WHERE clause of a deal query; false when it can match nothing.
async fn push_filters(
    conn: &mut SqliteConnection,
    qb: &mut QueryBuilder<Sqlite>,
    query: &DealQuery,
) -> Result<bool, CrmError> {
    qb.push(if query.deleted { " WHERE d.deleted_at IS NOT NULL" } else { " WHERE d.deleted_at IS NULL" });
    if let Some(stage_name) = query.stage.as_deref() {
        let pipeline = pipeline(conn, query.pipeline_id).await?;
        let stage = stage_named(&pipeline, stage_name)?;
        qb.push(" AND d.stage_id = ").push_bind(stage.id.to_string());
    } else if let Some(pipeline_id) = query.pipeline_id {
        qb.push(" AND d.pipeline_id = ").push_bind(pipeline_id.to_string());
    }
    if let Some(status) = query.status {
        qb.push(" AND d.status = ").push_bind(status.as_str());
    }
    if let Some(company) = query.company_id {
        qb.push(" AND d.company_id = ").push_bind(company.to_string());
    }
    if let Some(contact) = query.contact_id {
        qb.push(" AND d.contact_id = ").push_bind(contact.to_string());
    }
    if let Some(text) = query.text.as_deref()
        && !filters::push_text(qb, "deal_fts", "d.rid", text)
    {
        return Ok(false);
    }
    if let Some(tag) = query.tag.as_deref() {
        filters::push_tag(qb, RecordKind::Deal, "d.id", tag);
    }
    if let Some(min) = query.amount_min {
        qb.push(" AND d.amount_micros >= ").push_bind(min);
    }
    if let Some(max) = query.amount_max {
        qb.push(" AND d.amount_micros <= ").push_bind(max);
    }
    filters::push_date_range(qb, "d.close_date", query.close_from, query.close_to);
    Ok(true)
}

/// The open deals of a stage in board order, at most `limit`.
pub async fn list_stage(conn: &mut SqliteConnection, stage_id: Uuid, limit: u32) -> Result<Vec<Deal>, CrmError> {
    let mut qb = QueryBuilder::<Sqlite>::new(SELECT.as_str());
    qb.push(" WHERE d.deleted_at IS NULL AND d.status = 'open' AND d.stage_id = ")
        .push_bind(stage_id.to_string())
        .push(" ORDER BY d.position, d.id LIMIT ")
        .push_bind(i64::from(limit));
    let rows = qb.build().fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

const BY_NAME: SortKey = SortKey { tag: "name", columns: &["d.name", "d.id"] };
const BY_AMOUNT: SortKey = SortKey { tag: "amount", columns: &["d.amount_micros", "d.id"] };
const BY_UPDATED: SortKey = SortKey { tag: "updated", columns: &["d.updated_at", "d.id"] };
const BY_CREATED: SortKey = SortKey { tag: "created", columns: &["d.created_at", "d.id"] };

impl Crm {
    pub async fn create_deal(&self, new: NewDeal, source: UpdateSource) -> Result<Deal, CrmError> {
        let mut ids = self.create_deals(vec![new], source).await?;
        let id = ids.pop().ok_or_else(|| CrmError::Corrupt("no deal was created".into()))?;
        self.get_deal(id).await
    }

    /// Creates many deals in one transaction, all or nothing. Each goes to the end of its column.
    pub async fn create_deals(&self, new: Vec<NewDeal>, source: UpdateSource) -> Result<Vec<Uuid>, CrmError> {
        let ctx = self.ctx(source);
        let mut tx = self.store.begin_write().await?;
        let defs = custom_fields::load_defs(&mut tx, RecordKind::Deal).await?;
        let pipelines = super::pipelines::load_all(&mut tx).await?;
        // Ids made here are new by construction; only ids given from outside need checking.
        let claimed: Vec<Uuid> = new.iter().filter_map(|n| n.id).collect();
        let mut prepared = Vec::with_capacity(new.len());
        for deal in new {
            let pipeline = match deal.pipeline_id {
                Some(id) => {
                    pipelines.iter().find(|p| p.id == id).ok_or_else(|| CrmError::UnknownPipeline(id.to_string()))?
                }
                None => pipelines
                    .iter()
                    .find(|p| p.is_default)
                    .ok_or_else(|| CrmError::Corrupt("there is no default pipeline".into()))?,
            };
            prepared.push(prepare_new(deal, pipeline, &defs, &ctx.now)?);
        }
        let refs: Vec<(Uuid, &DealFields)> = prepared.iter().map(|(id, f)| (*id, f)).collect();
        for result in check_against_store(&mut tx, &refs, &claimed).await? {
            result?;
        }
        place_at_column_end(&mut tx, &mut prepared).await?;
        insert_records(&mut tx, &ctx, &prepared).await?;
        tx.commit().await?;
        let ids: Vec<Uuid> = prepared.into_iter().map(|(id, _)| id).collect();
        match ids.as_slice() {
            [one] => self.emit_changed(RecordKind::Deal, *one, source),
            _ => self.emit_many_changed(RecordKind::Deal, source),
        }
        Ok(ids)
    }

    pub async fn get_deal(&self, id: Uuid) -> Result<Deal, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        fetch(&mut conn, id).await
    }

    /// Writes `next` over the deal's current fields (which `change` derives from them).
    async fn change_deal(
        &self,
        id: Uuid,
        source: UpdateSource,
        change: impl FnOnce(DealFields, &str) -> Result<DealFields, CrmError>,
    ) -> Result<Deal, CrmError> {
        let ctx = self.ctx(source);
        let mut tx = self.store.begin_write().await?;
        let current = fetch(&mut tx, id).await?;
        if current.meta.deleted_at.is_some() {
            return Err(CrmError::Deleted { kind: RecordKind::Deal, id: id.to_string() });
        }
        let old = DealFields::from(&current);
        let new = change(old.clone(), &ctx.now)?.checked()?;
        if source != UpdateSource::Sync {
            check_whop_owned(&mut tx, id, &old, &new).await?;
        }
        for result in check_against_store(&mut tx, &[(id, &new)], &[]).await? {
            result?;
        }
        let changed = update_record(&mut tx, &ctx, id, &old, &new).await?;
        let deal = fetch(&mut tx, id).await?;
        tx.commit().await?;
        if !changed.is_empty() {
            self.emit_changed(RecordKind::Deal, id, source);
        }
        Ok(deal)
    }

    pub async fn update_deal(&self, id: Uuid, patch: DealPatch, source: UpdateSource) -> Result<Deal, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let defs = custom_fields::load_defs(&mut conn, RecordKind::Deal).await?;
        drop(conn);
        self.change_deal(id, source, move |mut next, _| {
            if let Some(v) = patch.name {
                next.name = v;
            }
            if let Some(v) = patch.amount {
                next.amount = v;
            }
            if let Some(v) = patch.close_date {
                next.close_date = v;
            }
            if let Some(v) = patch.contact_id {
                next.contact_id = v;
            }
            if let Some(v) = patch.company_id {
                next.company_id = v;
            }
            next.custom = custom_fields::apply(RecordKind::Deal, &defs, &next.custom, &patch.custom)?;
            Ok(next)
        })
        .await
    }

    /// Moves a deal to another stage of its pipeline (by name), or reorders it within its column.
    /// Entering a new stage resets `stage_entered_at`.
    pub async fn move_deal_stage(&self, request: MoveDeal, source: UpdateSource) -> Result<Deal, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let current = fetch(&mut conn, request.deal_id).await?;
        let pipeline = pipeline(&mut conn, Some(current.pipeline_id)).await?;
        let stage = stage_named(&pipeline, &request.stage)?.clone();
        let end_of_column: Option<f64> =
            sqlx::query_scalar("SELECT max(position) FROM deal WHERE stage_id = ? AND deleted_at IS NULL AND id != ?")
                .bind(stage.id.to_string())
                .bind(request.deal_id.to_string())
                .fetch_one(&mut *conn)
                .await?;
        drop(conn);
        self.change_deal(request.deal_id, source, move |mut next, now| {
            if next.stage_id != stage.id {
                next.stage_id = stage.id;
                next.stage_entered_at = now.to_string();
                next.position = request.position.unwrap_or(end_of_column.unwrap_or(0.0) + 1.0);
            } else if let Some(position) = request.position {
                next.position = position;
            }
            Ok(next)
        })
        .await
    }

    /// Marks a deal won or lost (a lost deal needs a reason), or reopens it.
    pub async fn set_deal_status(&self, request: SetDealStatus, source: UpdateSource) -> Result<Deal, CrmError> {
        self.change_deal(request.deal_id, source, move |mut next, now| {
            next.set_status(request.status, now);
            next.lost_reason = request.lost_reason;
            Ok(next)
        })
        .await
    }

    pub async fn delete_deal(&self, id: Uuid, source: UpdateSource) -> Result<(), CrmError> {
        self.trash(RecordRef { kind: RecordKind::Deal, id }, source).await
    }

    pub async fn restore_deal(&self, id: Uuid, source: UpdateSource) -> Result<Deal, CrmError> {
        let mut tx = self.store.begin_write().await?;
        fetch(&mut tx, id).await?;
        set_deleted(&mut tx, &self.ctx(source), RecordKind::Deal, "deal", id, false).await?;
        let deal = fetch(&mut tx, id).await?;
        tx.commit().await?;
        self.emit_changed(RecordKind::Deal, id, source);
        Ok(deal)
    }

    pub async fn list_deals(&self, query: &DealQuery) -> Result<Page<Deal>, CrmError> {
        let limit = page_size(query.limit);
        let mut conn = self.store.pool().acquire().await?;
        let mut qb = QueryBuilder::<Sqlite>::new(SELECT.as_str());
        if !push_filters(&mut conn, &mut qb, query).await? {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let key = match query.sort {
            DealSort::Name => &BY_NAME,
            DealSort::Amount => &BY_AMOUNT,
            DealSort::UpdatedAt => &BY_UPDATED,
            DealSort::CreatedAt => &BY_CREATED,
        };
        key.push_page(&mut qb, query.direction, query.cursor.as_deref(), query.offset, limit)?;
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(key.page(items, limit, |d| {
            let id = Value::from(d.id.to_string());
            match query.sort {
                DealSort::Name => vec![d.name.clone().into(), id],
                DealSort::Amount => vec![d.amount.micros.into(), id],
                DealSort::UpdatedAt => vec![time::format(d.meta.updated_at).into(), id],
                DealSort::CreatedAt => vec![time::format(d.meta.created_at).into(), id],
            }
        }))
    }

    pub async fn count_deals(&self, query: &DealQuery) -> Result<u64, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM deal d");
        if !push_filters(&mut conn, &mut qb, query).await? {
            return Ok(0);
        }
        let count: i64 = qb.build_query_scalar().fetch_one(&mut *conn).await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
