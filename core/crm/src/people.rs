//! People: create (one or many), read, update, trash and restore, list.

use super::cursor::{SortKey, page_size};
use super::record::{Cell, Fields, insert_records, set_deleted, update_record};
use super::{Crm, CrmError, custom_fields, filters, find_existing, rows, validate};
use dealdesk_model::{
    CustomFieldDef, CustomValues, NewPerson, Page, Person, PersonPatch, PersonQuery, PersonSort, RecordKind, RecordRef,
    UpdateSource,
};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashSet;
use std::sync::LazyLock;
use uuid::Uuid;

/// The writable columns of a person.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFields {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub city: Option<String>,
    pub linkedin_url: Option<String>,
    pub avatar_url: Option<String>,
    pub company_id: Option<Uuid>,
    pub custom: CustomValues,
}

impl Fields for PersonFields {
    const KIND: RecordKind = RecordKind::Person;
    const TABLE: &'static str = "person";

    fn cells(&self) -> Vec<(&'static str, Cell)> {
        vec![
            ("first_name", self.first_name.as_str().into()),
            ("last_name", self.last_name.as_str().into()),
            ("email", self.email.clone().into()),
            ("phone", self.phone.clone().into()),
            ("job_title", self.job_title.clone().into()),
            ("city", self.city.clone().into()),
            ("linkedin_url", self.linkedin_url.clone().into()),
            ("avatar_url", self.avatar_url.clone().into()),
            ("company_id", self.company_id.into()),
            ("custom", Cell::Json(Value::Object(self.custom.clone().into_iter().collect()))),
        ]
    }
}

impl From<&Person> for PersonFields {
    fn from(p: &Person) -> Self {
        PersonFields {
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            job_title: p.job_title.clone(),
            city: p.city.clone(),
            linkedin_url: p.linkedin_url.clone(),
            avatar_url: p.avatar_url.clone(),
            company_id: p.company_id,
            custom: p.custom.clone(),
        }
    }
}

impl PersonFields {
    /// Normalises and checks every field (no database access).
    fn checked(self) -> Result<PersonFields, CrmError> {
        let first_name = validate::line("first_name", &self.first_name, validate::NAME_LIMIT)?;
        let last_name = validate::line("last_name", &self.last_name, validate::NAME_LIMIT)?;
        if first_name.is_empty() && last_name.is_empty() {
            return Err(CrmError::MissingPersonName);
        }
        Ok(PersonFields {
            first_name,
            last_name,
            email: validate::email("email", self.email.as_deref())?,
            phone: validate::optional_line("phone", self.phone.as_deref(), validate::NAME_LIMIT)?,
            job_title: validate::optional_line("job_title", self.job_title.as_deref(), validate::LINE_LIMIT)?,
            city: validate::optional_line("city", self.city.as_deref(), validate::LINE_LIMIT)?,
            linkedin_url: validate::url("linkedin_url", self.linkedin_url.as_deref())?,
            avatar_url: validate::url("avatar_url", self.avatar_url.as_deref())?,
            company_id: self.company_id,
            custom: self.custom,
        })
    }
}

/// Validates a new person against the field rules and custom field definitions.
pub fn prepare_new(new: NewPerson, defs: &[CustomFieldDef]) -> Result<(Uuid, PersonFields), CrmError> {
    let custom = custom_fields::apply(RecordKind::Person, defs, &CustomValues::new(), &new.custom)?;
    let fields = PersonFields {
        first_name: new.first_name,
        last_name: new.last_name,
        email: new.email,
        phone: new.phone,
        job_title: new.job_title,
        city: new.city,
        linkedin_url: new.linkedin_url,
        avatar_url: new.avatar_url,
        company_id: new.company_id,
        custom,
    }
    .checked()?;
    Ok((new.id.unwrap_or_else(Uuid::now_v7), fields))
}

/// Applies a patch on top of the current fields and validates the result.
pub fn apply_patch(
    current: &PersonFields,
    patch: PersonPatch,
    defs: &[CustomFieldDef],
) -> Result<PersonFields, CrmError> {
    let mut next = current.clone();
    if let Some(v) = patch.first_name {
        next.first_name = v;
    }
    if let Some(v) = patch.last_name {
        next.last_name = v;
    }
    let set = |target: &mut Option<String>, value: Option<String>| {
        if let Some(v) = value {
            *target = Some(v);
        }
    };
    set(&mut next.email, patch.email);
    set(&mut next.phone, patch.phone);
    set(&mut next.job_title, patch.job_title);
    set(&mut next.city, patch.city);
    set(&mut next.linkedin_url, patch.linkedin_url);
    set(&mut next.avatar_url, patch.avatar_url);
    if let Some(company) = patch.company_id {
        next.company_id = company;
    }
    next.custom = custom_fields::apply(RecordKind::Person, defs, &current.custom, &patch.custom)?;
    next.checked()
}

/// Checks what needs the database for a batch of people about to be written: ids not taken, emails
/// not used by another live person (nor twice in the batch), companies that exist. Returns one
/// result per row, in order.
pub async fn check_against_store(
    conn: &mut SqliteConnection,
    rows: &[(Uuid, &PersonFields)],
    claimed_ids: &[Uuid],
) -> Result<Vec<Result<(), CrmError>>, CrmError> {
    let claimed: Vec<String> = claimed_ids.iter().map(Uuid::to_string).collect();
    let taken_ids = find_existing(conn, "person", "id", false, &claimed).await?;
    let emails: Vec<String> = rows.iter().filter_map(|(_, f)| f.email.clone()).collect();
    let email_owners = find_existing(conn, "person", "email", true, &emails).await?;
    let companies: Vec<String> = rows.iter().filter_map(|(_, f)| f.company_id.map(|c| c.to_string())).collect();
    let live_companies = find_existing(conn, "company", "id", true, &companies).await?;

    let mut seen_emails = HashSet::new();
    Ok(rows
        .iter()
        .map(|(id, fields)| {
            if taken_ids.contains_key(&id.to_string()) {
                return Err(CrmError::DuplicateId { kind: RecordKind::Person, id: id.to_string() });
            }
            if let Some(email) = &fields.email {
                let key = email.to_lowercase();
                if let Some(owner) = email_owners.get(&key).filter(|owner| **owner != id.to_string()) {
                    return Err(CrmError::DuplicateEmail { email: email.clone(), existing: format!("person {owner}") });
                }
                if !seen_emails.insert(key) {
                    return Err(CrmError::DuplicateEmail { email: email.clone(), existing: "another row".into() });
                }
            }
            if let Some(company) = fields.company_id.filter(|c| !live_companies.contains_key(&c.to_string())) {
                return Err(CrmError::CompanyNotFound(company.to_string()));
            }
            Ok(())
        })
        .collect())
}

static SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT p.id, p.first_name, p.last_name, p.email, p.phone, p.job_title, p.city, p.linkedin_url, \
         p.avatar_url, p.company_id, c.name AS company_name, p.custom, p.origin, p.created_at, p.updated_at, \
         p.deleted_at, {} AS tags FROM person p LEFT JOIN company c ON c.id = p.company_id",
        rows::tags_expr("person", "p.id")
    )
});

fn from_row(row: &SqliteRow) -> Result<Person, CrmError> {
    Ok(Person {
        id: rows::uuid(row, "id")?,
        first_name: rows::text(row, "first_name")?,
        last_name: rows::text(row, "last_name")?,
        email: rows::opt_text(row, "email")?,
        phone: rows::opt_text(row, "phone")?,
        job_title: rows::opt_text(row, "job_title")?,
        city: rows::opt_text(row, "city")?,
        linkedin_url: rows::opt_text(row, "linkedin_url")?,
        avatar_url: rows::opt_text(row, "avatar_url")?,
        company_id: rows::opt_uuid(row, "company_id")?,
        company_name: rows::opt_text(row, "company_name")?,
        tags: rows::string_list(row, "tags")?,
        custom: rows::custom(row, "custom")?,
        meta: rows::meta(row)?,
    })
}

pub async fn fetch(conn: &mut SqliteConnection, id: Uuid) -> Result<Person, CrmError> {
    let mut qb = QueryBuilder::<Sqlite>::new(SELECT.as_str());
    qb.push(" WHERE p.id = ").push_bind(id.to_string());
    let row = qb.build().fetch_optional(&mut *conn).await?;
    row.as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| CrmError::NotFound { kind: RecordKind::Person, id: id.to_string() })
}

/// The WHERE clause of a people query; false when it can match nothing (no searchable words).
/// `segment`: the ids of the people in the query's churn segment (`Crm::segment_filter`).
fn push_filters(qb: &mut QueryBuilder<Sqlite>, query: &PersonQuery, segment: Option<String>) -> bool {
    qb.push(if query.deleted { " WHERE p.deleted_at IS NOT NULL" } else { " WHERE p.deleted_at IS NULL" });
    if let Some(ids) = segment {
        qb.push(" AND p.id IN (SELECT value FROM json_each(").push_bind(ids).push("))");
    }
    if let Some(company) = query.company_id {
        qb.push(" AND p.company_id = ").push_bind(company.to_string());
    }
    if let Some(text) = query.text.as_deref()
        && !filters::push_text(qb, "person_fts", "p.rid", text)
    {
        return false;
    }
    if let Some(tag) = query.tag.as_deref() {
        filters::push_tag(qb, RecordKind::Person, "p.id", tag);
    }
    filters::push_day_range(qb, "p.created_at", query.created_from, query.created_to);
    true
}

const BY_NAME: SortKey = SortKey { tag: "name", columns: &["p.first_name", "p.last_name", "p.id"] };
const BY_UPDATED: SortKey = SortKey { tag: "updated", columns: &["p.updated_at", "p.id"] };
const BY_CREATED: SortKey = SortKey { tag: "created", columns: &["p.created_at", "p.id"] };

fn sort_key(sort: PersonSort) -> &'static SortKey {
    match sort {
        PersonSort::Name => &BY_NAME,
        PersonSort::UpdatedAt => &BY_UPDATED,
        PersonSort::CreatedAt => &BY_CREATED,
    }
}

fn key_values(sort: PersonSort, p: &Person) -> Vec<Value> {
    let id = Value::from(p.id.to_string());
    match sort {
        PersonSort::Name => vec![p.first_name.clone().into(), p.last_name.clone().into(), id],
        PersonSort::UpdatedAt => vec![dealdesk_store::time::format(p.meta.updated_at).into(), id],
        PersonSort::CreatedAt => vec![dealdesk_store::time::format(p.meta.created_at).into(), id],
    }
}

impl Crm {
    pub async fn create_person(&self, new: NewPerson, source: UpdateSource) -> Result<Person, CrmError> {
        let mut ids = self.create_people(vec![new], source).await?;
        let id = ids.pop().ok_or_else(|| CrmError::Corrupt("no person was created".into()))?;
        self.get_person(id).await
    }

    /// Creates many people in one transaction, all or nothing; the first invalid row fails the
    /// batch. This is the bulk path (imports, benchmarks): rows are checked and written in batches.
    pub async fn create_people(&self, new: Vec<NewPerson>, source: UpdateSource) -> Result<Vec<Uuid>, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let defs = custom_fields::load_defs(&mut tx, RecordKind::Person).await?;
        // Ids made here are new by construction; only ids given from outside need checking.
        let claimed: Vec<Uuid> = new.iter().filter_map(|n| n.id).collect();
        let prepared = new.into_iter().map(|n| prepare_new(n, &defs)).collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<(Uuid, &PersonFields)> = prepared.iter().map(|(id, f)| (*id, f)).collect();
        for result in check_against_store(&mut tx, &refs, &claimed).await? {
            result?;
        }
        let ctx = self.ctx(source);
        insert_records(&mut tx, &ctx, &prepared).await?;
        tx.commit().await?;
        let ids: Vec<Uuid> = prepared.into_iter().map(|(id, _)| id).collect();
        match ids.as_slice() {
            [one] => self.emit_changed(RecordKind::Person, *one, source),
            _ => self.emit_many_changed(RecordKind::Person, source),
        }
        Ok(ids)
    }

    /// A person, live or in the trash.
    pub async fn get_person(&self, id: Uuid) -> Result<Person, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        fetch(&mut conn, id).await
    }

    pub async fn update_person(&self, id: Uuid, patch: PersonPatch, source: UpdateSource) -> Result<Person, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let current = fetch(&mut tx, id).await?;
        if current.meta.deleted_at.is_some() {
            return Err(CrmError::Deleted { kind: RecordKind::Person, id: id.to_string() });
        }
        let defs = custom_fields::load_defs(&mut tx, RecordKind::Person).await?;
        let old = PersonFields::from(&current);
        let new = apply_patch(&old, patch, &defs)?;
        for result in check_against_store(&mut tx, &[(id, &new)], &[]).await? {
            result?;
        }
        let changed = update_record(&mut tx, &self.ctx(source), id, &old, &new).await?;
        let person = fetch(&mut tx, id).await?;
        tx.commit().await?;
        if !changed.is_empty() {
            self.emit_changed(RecordKind::Person, id, source);
        }
        Ok(person)
    }

    /// Moves a person to the trash. Deals keep pointing at them until they are purged.
    pub async fn delete_person(&self, id: Uuid, source: UpdateSource) -> Result<(), CrmError> {
        self.trash(RecordRef { kind: RecordKind::Person, id }, source).await
    }

    /// Brings a person back from the trash, unless their email now belongs to someone else.
    pub async fn restore_person(&self, id: Uuid, source: UpdateSource) -> Result<Person, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let current = fetch(&mut tx, id).await?;
        let fields = PersonFields::from(&current);
        for result in check_against_store(&mut tx, &[(id, &fields)], &[]).await? {
            result?;
        }
        set_deleted(&mut tx, &self.ctx(source), RecordKind::Person, "person", id, false).await?;
        let person = fetch(&mut tx, id).await?;
        tx.commit().await?;
        self.emit_changed(RecordKind::Person, id, source);
        Ok(person)
    }

    pub async fn list_people(&self, query: &PersonQuery) -> Result<Page<Person>, CrmError> {
        let limit = page_size(query.limit);
        let segment = self.segment_filter(query.churn_segment).await?;
        let mut qb = QueryBuilder::<Sqlite>::new(SELECT.as_str());
        if !push_filters(&mut qb, query, segment) {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let key = sort_key(query.sort);
        key.push_page(&mut qb, query.direction, query.cursor.as_deref(), query.offset, limit)?;
        let rows = qb.build().fetch_all(self.store.pool()).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(key.page(items, limit, |p| key_values(query.sort, p)))
    }

    /// How many people `list_people` would go through for this query (all pages).
    pub async fn count_people(&self, query: &PersonQuery) -> Result<u64, CrmError> {
        let segment = self.segment_filter(query.churn_segment).await?;
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM person p");
        if !push_filters(&mut qb, query, segment) {
            return Ok(0);
        }
        let count: i64 = qb.build_query_scalar().fetch_one(self.store.pool()).await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// The live person with this email (case-insensitive), if any.
    pub async fn find_person_by_email(&self, email: &str) -> Result<Option<Person>, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM person WHERE email = ? AND deleted_at IS NULL")
            .bind(email.trim())
            .fetch_optional(&mut *conn)
            .await?;
        match id {
            None => Ok(None),
            Some(id) => fetch(&mut conn, rows::parse_uuid("id", &id)?).await.map(Some),
        }
    }
}
