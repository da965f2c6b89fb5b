//! Companies: create (one or many), read, update, trash and restore, list, resolve by name.

use super::cursor::{SortKey, page_size};
use super::record::{Cell, Fields, insert_records, set_deleted, update_record};
use super::{Crm, CrmError, custom_fields, filters, find_existing, rows, validate};
use dealdesk_model::money::normalize_currency;
use dealdesk_model::{
    Company, CompanyPatch, CompanyQuery, CompanySort, CustomFieldDef, CustomValues, Money, NewCompany, Page,
    RecordKind, RecordRef, UpdateSource,
};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashSet;
use std::sync::LazyLock;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompanyFields {
    pub name: String,
    pub domain: Option<String>,
    pub employees: Option<i64>,
    pub arr: Option<Money>,
    pub address: Option<String>,
    pub linkedin_url: Option<String>,
    pub icp: bool,
    pub custom: CustomValues,
}

impl Fields for CompanyFields {
    const KIND: RecordKind = RecordKind::Company;
    const TABLE: &'static str = "company";

    fn cells(&self) -> Vec<(&'static str, Cell)> {
        vec![
            ("name", self.name.as_str().into()),
            ("domain", self.domain.clone().into()),
            ("employees", self.employees.into()),
            ("arr_micros", self.arr.as_ref().map(|m| m.micros).into()),
            ("arr_currency", self.arr.as_ref().map(|m| m.currency.clone()).into()),
            ("address", self.address.clone().into()),
            ("linkedin_url", self.linkedin_url.clone().into()),
            ("icp", self.icp.into()),
            ("custom", Cell::Json(Value::Object(self.custom.clone().into_iter().collect()))),
        ]
    }
}

impl From<&Company> for CompanyFields {
    fn from(c: &Company) -> Self {
        CompanyFields {
            name: c.name.clone(),
            domain: c.domain.clone(),
            employees: c.employees,
            arr: c.arr.clone(),
            address: c.address.clone(),
            linkedin_url: c.linkedin_url.clone(),
            icp: c.icp,
            custom: c.custom.clone(),
        }
    }
}

impl CompanyFields {
    fn checked(self) -> Result<CompanyFields, CrmError> {
        let name = validate::line("name", &self.name, validate::NAME_LIMIT)?;
        if name.is_empty() {
            return Err(CrmError::MissingName(RecordKind::Company));
        }
        if self.employees.is_some_and(|e| e < 0) {
            return Err(CrmError::invalid("employees", "cannot be negative"));
        }
        let arr = match self.arr {
            None => None,
            Some(m) => Some(Money { micros: m.micros, currency: normalize_currency(&m.currency)? }),
        };
        Ok(CompanyFields {
            name,
            domain: validate::domain(self.domain.as_deref())?,
            employees: self.employees,
            arr,
            address: validate::optional_line("address", self.address.as_deref(), validate::LINE_LIMIT)?,
            linkedin_url: validate::url("linkedin_url", self.linkedin_url.as_deref())?,
            icp: self.icp,
            custom: self.custom,
        })
    }
}

pub(crate) fn prepare_new(new: NewCompany, defs: &[CustomFieldDef]) -> Result<(Uuid, CompanyFields), CrmError> {
    let custom = custom_fields::apply(RecordKind::Company, defs, &CustomValues::new(), &new.custom)?;
    let fields = CompanyFields {
        name: new.name,
        domain: new.domain,
        employees: new.employees,
        arr: new.arr,
        address: new.address,
        linkedin_url: new.linkedin_url,
        icp: new.icp,
        custom,
    }
    .checked()?;
    Ok((new.id.unwrap_or_else(Uuid::now_v7), fields))
}

pub(crate) fn apply_patch(
    current: &CompanyFields,
    patch: CompanyPatch,
    defs: &[CustomFieldDef],
) -> Result<CompanyFields, CrmError> {
    let mut next = current.clone();
    if let Some(v) = patch.name {
        next.name = v;
    }
    if let Some(v) = patch.domain {
        next.domain = Some(v);
    }
    if let Some(v) = patch.employees {
        next.employees = v;
    }
    if let Some(v) = patch.arr {
        next.arr = v;
    }
    if let Some(v) = patch.address {
        next.address = Some(v);
    }
    if let Some(v) = patch.linkedin_url {
        next.linkedin_url = Some(v);
    }
    if let Some(v) = patch.icp {
        next.icp = v;
    }
    next.custom = custom_fields::apply(RecordKind::Company, defs, &current.custom, &patch.custom)?;
    next.checked()
}

/// Ids not taken and domains not used by another live company (nor twice in the batch).
pub(crate) async fn check_against_store(
    conn: &mut SqliteConnection,
    rows: &[(Uuid, &CompanyFields)],
    claimed_ids: &[Uuid],
) -> Result<Vec<Result<(), CrmError>>, CrmError> {
    let claimed: Vec<String> = claimed_ids.iter().map(Uuid::to_string).collect();
    let taken_ids = find_existing(conn, "company", "id", false, &claimed).await?;
    let domains: Vec<String> = rows.iter().filter_map(|(_, f)| f.domain.clone()).collect();
    let owners = find_existing(conn, "company", "domain", true, &domains).await?;
    let mut seen = HashSet::new();
    Ok(rows
        .iter()
        .map(|(id, fields)| {
            if taken_ids.contains_key(&id.to_string()) {
                return Err(CrmError::DuplicateId { kind: RecordKind::Company, id: id.to_string() });
            }
            if let Some(domain) = &fields.domain {
                if let Some(owner) = owners.get(domain).filter(|owner| **owner != id.to_string()) {
                    return Err(CrmError::DuplicateDomain { domain: domain.clone(), existing: owner.clone() });
                }
                if !seen.insert(domain.clone()) {
                    return Err(CrmError::DuplicateDomain { domain: domain.clone(), existing: "another row".into() });
                }
            }
            Ok(())
        })
        .collect())
}

static SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.id, c.name, c.domain, c.employees, c.arr_micros, c.arr_currency, c.address, c.linkedin_url, \
         c.icp, c.custom, c.origin, c.created_at, c.updated_at, c.deleted_at, {} AS tags FROM company c",
        rows::tags_expr("company", "c.id")
    )
});

fn from_row(row: &SqliteRow) -> Result<Company, CrmError> {
    let arr = match (rows::opt_int(row, "arr_micros")?, rows::opt_text(row, "arr_currency")?) {
        (Some(micros), Some(currency)) => Some(Money { micros, currency }),
        _ => None,
    };
    Ok(Company {
        id: rows::uuid(row, "id")?,
        name: rows::text(row, "name")?,
        domain: rows::opt_text(row, "domain")?,
        employees: rows::opt_int(row, "employees")?,
        arr,
        address: rows::opt_text(row, "address")?,
        linkedin_url: rows::opt_text(row, "linkedin_url")?,
        icp: rows::int(row, "icp")? != 0,
        tags: rows::string_list(row, "tags")?,
        custom: rows::custom(row, "custom")?,
        meta: rows::meta(row)?,
    })
}

pub(crate) async fn fetch(conn: &mut SqliteConnection, id: Uuid) -> Result<Company, CrmError> {
    let mut qb = QueryBuilder::<Sqlite>::new(SELECT.as_str());
    qb.push(" WHERE c.id = ").push_bind(id.to_string());
    let row = qb.build().fetch_optional(&mut *conn).await?;
    row.as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| CrmError::NotFound { kind: RecordKind::Company, id: id.to_string() })
}

fn push_filters(qb: &mut QueryBuilder<Sqlite>, query: &CompanyQuery) -> bool {
    qb.push(if query.deleted { " WHERE c.deleted_at IS NOT NULL" } else { " WHERE c.deleted_at IS NULL" });
    if let Some(text) = query.text.as_deref()
        && !filters::push_text(qb, "company_fts", "c.rid", text)
    {
        return false;
    }
    if let Some(tag) = query.tag.as_deref() {
        filters::push_tag(qb, RecordKind::Company, "c.id", tag);
    }
    if let Some(icp) = query.icp {
        qb.push(" AND c.icp = ").push_bind(i64::from(icp));
    }
    true
}

const BY_NAME: SortKey = SortKey { tag: "name", columns: &["c.name", "c.id"] };
const BY_UPDATED: SortKey = SortKey { tag: "updated", columns: &["c.updated_at", "c.id"] };
const BY_CREATED: SortKey = SortKey { tag: "created", columns: &["c.created_at", "c.id"] };

impl Crm {
    pub async fn create_company(&self, new: NewCompany, source: UpdateSource) -> Result<Company, CrmError> {
        let mut ids = self.create_companies(vec![new], source).await?;
        let id = ids.pop().ok_or_else(|| CrmError::Corrupt("no company was created".into()))?;
        self.get_company(id).await
    }

    /// Creates many companies in one transaction, all or nothing.
    pub async fn create_companies(&self, new: Vec<NewCompany>, source: UpdateSource) -> Result<Vec<Uuid>, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let defs = custom_fields::load_defs(&mut tx, RecordKind::Company).await?;
        // Ids made here are new by construction; only ids given from outside need checking.
        let claimed: Vec<Uuid> = new.iter().filter_map(|n| n.id).collect();
        let prepared = new.into_iter().map(|n| prepare_new(n, &defs)).collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<(Uuid, &CompanyFields)> = prepared.iter().map(|(id, f)| (*id, f)).collect();
        for result in check_against_store(&mut tx, &refs, &claimed).await? {
            result?;
        }
        insert_records(&mut tx, &self.ctx(source), &prepared).await?;
        tx.commit().await?;
        let ids: Vec<Uuid> = prepared.into_iter().map(|(id, _)| id).collect();
        match ids.as_slice() {
            [one] => self.emit_changed(RecordKind::Company, *one, source),
            _ => self.emit_many_changed(RecordKind::Company, source),
        }
        Ok(ids)
    }

    pub async fn get_company(&self, id: Uuid) -> Result<Company, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        fetch(&mut conn, id).await
    }

    pub async fn update_company(
        &self,
        id: Uuid,
        patch: CompanyPatch,
        source: UpdateSource,
    ) -> Result<Company, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let current = fetch(&mut tx, id).await?;
        if current.meta.deleted_at.is_some() {
            return Err(CrmError::Deleted { kind: RecordKind::Company, id: id.to_string() });
        }
        let defs = custom_fields::load_defs(&mut tx, RecordKind::Company).await?;
        let old = CompanyFields::from(&current);
        let new = apply_patch(&old, patch, &defs)?;
        for result in check_against_store(&mut tx, &[(id, &new)], &[]).await? {
            result?;
        }
        let changed = update_record(&mut tx, &self.ctx(source), id, &old, &new).await?;
        let company = fetch(&mut tx, id).await?;
        tx.commit().await?;
        if !changed.is_empty() {
            self.emit_changed(RecordKind::Company, id, source);
        }
        Ok(company)
    }

    pub async fn delete_company(&self, id: Uuid, source: UpdateSource) -> Result<(), CrmError> {
        self.trash(RecordRef { kind: RecordKind::Company, id }, source).await
    }

    pub async fn restore_company(&self, id: Uuid, source: UpdateSource) -> Result<Company, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let current = fetch(&mut tx, id).await?;
        let fields = CompanyFields::from(&current);
        for result in check_against_store(&mut tx, &[(id, &fields)], &[]).await? {
            result?;
        }
        set_deleted(&mut tx, &self.ctx(source), RecordKind::Company, "company", id, false).await?;
        let company = fetch(&mut tx, id).await?;
        tx.commit().await?;
        self.emit_changed(RecordKind::Company, id, source);
        Ok(company)
    }

    pub async fn list_companies(&self, query: &CompanyQuery) -> Result<Page<Company>, CrmError> {
        let limit = page_size(query.limit);
        let mut qb = QueryBuilder::<Sqlite>::new(SELECT.as_str());
        if !push_filters(&mut qb, query) {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let key = match query.sort {
            CompanySort::Name => &BY_NAME,
            CompanySort::UpdatedAt => &BY_UPDATED,
            CompanySort::CreatedAt => &BY_CREATED,
        };
        key.push_page(&mut qb, query.direction, query.cursor.as_deref(), query.offset, limit)?;
        let rows = qb.build().fetch_all(self.store.pool()).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(key.page(items, limit, |c| {
            let id = Value::from(c.id.to_string());
            match query.sort {
                CompanySort::Name => vec![c.name.clone().into(), id],
                CompanySort::UpdatedAt => vec![dealdesk_store::time::format(c.meta.updated_at).into(), id],
                CompanySort::CreatedAt => vec![dealdesk_store::time::format(c.meta.created_at).into(), id],
            }
        }))
    }

    pub async fn count_companies(&self, query: &CompanyQuery) -> Result<u64, CrmError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM company c");
        if !push_filters(&mut qb, query) {
            return Ok(0);
        }
        let count: i64 = qb.build_query_scalar().fetch_one(self.store.pool()).await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Finds a live company by id, domain or exact name (case-insensitive), in that order.
    /// An ambiguous name is an error that lists the candidates' ids.
    pub async fn resolve_company(&self, text: &str) -> Result<Company, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let id = resolve(&mut conn, text).await?;
        fetch(&mut conn, id).await
    }
}

/// The live company a user means by `text`: an id, a domain, or an exact name (case-insensitive).
pub(crate) async fn resolve(conn: &mut SqliteConnection, text: &str) -> Result<Uuid, CrmError> {
    let text = text.trim();
    let not_found = || CrmError::CompanyNotFound(text.chars().take(100).collect());
    if let Ok(id) = Uuid::parse_str(text) {
        return if super::live_exists(conn, "company", id).await? { Ok(id) } else { Err(not_found()) };
    }
    if let Ok(Some(domain)) = validate::domain(Some(text)) {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM company WHERE domain = ? AND deleted_at IS NULL")
            .bind(&domain)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(id) = id {
            return rows::parse_uuid("id", &id);
        }
    }
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM company WHERE name = ? AND deleted_at IS NULL ORDER BY id LIMIT 5")
            .bind(text)
            .fetch_all(&mut *conn)
            .await?;
    match ids.as_slice() {
        [] => Err(not_found()),
        [id] => rows::parse_uuid("id", id),
        many => Err(CrmError::invalid(
            "company",
            format!("'{text}' matches several companies ({}); use an id or the domain", many.join(", ")),
        )),
    }
}
