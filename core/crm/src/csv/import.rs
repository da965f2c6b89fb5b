//! CSV import: one engine for people, companies and deals.
//!
//! Each row is parsed into the values it carries, matched against what is stored (by id, then by
//! email for people or domain for companies), and becomes a create, an update (non-empty cells
//! win; empty cells leave stored values alone), "unchanged", or a rejection with its reason.
//! Nothing is written for a dry run, nor when a row is rejected unless the caller keeps the good
//! rows; otherwise every write happens in one transaction.

use super::columns::{Columns, map_columns};
use super::{ImportError, decode::decode};
use crate::companies::{self, CompanyFields};
use crate::deals::{self, DealFields};
use crate::people::{self, PersonFields};
use crate::record::{Fields, WriteCtx, insert_records, update_record};
use crate::{Crm, CrmError, custom_fields, find_existing, rows, tags, validate};
use chrono::NaiveDate;
use dealdesk_model::{
    CompanyPatch, CsvObject, CustomFieldDef, CustomValues, DealPatch, DealStatus, ImportReport, Money, NewCompany,
    NewDeal, NewPerson, PersonPatch, Pipeline, RecordKind, RecordRef, RejectedRow, UpdateSource,
};
use serde_json::Value;
use sqlx::SqliteConnection;
use std::collections::HashMap;
use std::future::Future;
use uuid::Uuid;

/// Files larger than this are refused outright.
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Report what would happen; write nothing.
    pub dry_run: bool,
    /// Import the good rows even when others are rejected.
    pub keep_good_rows: bool,
    /// `(header, field)` overrides of the automatic column mapping; field `-` ignores a column.
    pub mapping: Vec<(String, String)>,
    /// The file's encoding when it is not UTF-8 (or UTF-16 with a BOM).
    pub encoding: Option<String>,
}

/// What one object kind needs to take part in an import.
trait Importer {
    type Fields: Fields + Clone + PartialEq;
    type Values;
    const KIND: RecordKind;
    /// The column that holds the natural key (email, domain), if the kind has one.
    const KEY_COLUMN: Option<&'static str>;

    /// Reads the row's cells (references resolved, nothing validated beyond parsing).
    fn parse(
        &mut self,
        conn: &mut SqliteConnection,
        cols: &Columns,
        record: &csv::StringRecord,
    ) -> impl Future<Output = Result<Self::Values, CrmError>>;
    /// The normalised natural key of the row.
    fn key(&self, values: &Self::Values) -> Result<Option<String>, CrmError>;
    fn create(&self, id: Option<Uuid>, values: Self::Values) -> Result<(Uuid, Self::Fields), CrmError>;
    fn update(&self, current: &Self::Fields, values: Self::Values) -> Result<Self::Fields, CrmError>;
    fn current(conn: &mut SqliteConnection, id: Uuid) -> impl Future<Output = Result<Self::Fields, CrmError>>;
    fn check(
        conn: &mut SqliteConnection,
        rows: &[(Uuid, &Self::Fields)],
        claimed_ids: &[Uuid],
    ) -> impl Future<Output = Result<Vec<Result<(), CrmError>>, CrmError>>;
}

fn custom_values(cols: &Columns, record: &csv::StringRecord) -> CustomValues {
    cols.custom_keys()
        .into_iter()
        .filter_map(|key| {
            let value = cols.get(record, &format!("custom.{key}"))?;
            Some((key, Value::String(value.to_string())))
        })
        .collect()
}

fn parse_uuid_cell(field: &str, value: &str) -> Result<Uuid, CrmError> {
    Uuid::parse_str(value).map_err(|_| CrmError::invalid(field, format!("'{value}' is not a record id")))
}

/// Resolves company cells (`company_id`, else `company` by domain or name), caching answers.
#[derive(Default)]
struct CompanyResolver {
    cache: HashMap<String, Result<Uuid, String>>,
}

impl CompanyResolver {
    async fn resolve(
        &mut self,
        conn: &mut SqliteConnection,
        cols: &Columns,
        record: &csv::StringRecord,
    ) -> Result<Option<Uuid>, CrmError> {
        let text = match (cols.get(record, "company_id"), cols.get(record, "company")) {
            (Some(id), _) => {
                parse_uuid_cell("company_id", id)?;
                id
            }
            (None, Some(text)) => text,
            (None, None) => return Ok(None),
        };
        let key = text.to_lowercase();
        if !self.cache.contains_key(&key) {
            let answer = match companies::resolve(conn, text).await {
                Ok(id) => Ok(id),
                Err(CrmError::Database(e)) => return Err(CrmError::Database(e)),
                Err(other) => Err(other.to_string()),
            };
            self.cache.insert(key.clone(), answer);
        }
        match &self.cache[&key] {
            Ok(id) => Ok(Some(*id)),
            Err(message) => Err(CrmError::invalid("company", message.clone())),
        }
    }
}

fn split_name(cols: &Columns, record: &csv::StringRecord) -> (Option<String>, Option<String>) {
    let first = cols.get(record, "first_name").map(str::to_string);
    let last = cols.get(record, "last_name").map(str::to_string);
    if first.is_some() || last.is_some() {
        return (first, last);
    }
    match cols.get(record, "name") {
        None => (None, None),
        Some(full) => match full.split_once(char::is_whitespace) {
            Some((f, l)) => (Some(f.to_string()), Some(l.trim().to_string())),
            None => (Some(full.to_string()), None),
        },
    }
}

struct PeopleImporter {
    defs: Vec<CustomFieldDef>,
    companies: CompanyResolver,
}

impl Importer for PeopleImporter {
    type Fields = PersonFields;
    type Values = PersonPatch;
    const KIND: RecordKind = RecordKind::Person;
    const KEY_COLUMN: Option<&'static str> = Some("email");

    async fn parse(
        &mut self,
        conn: &mut SqliteConnection,
        cols: &Columns,
        record: &csv::StringRecord,
    ) -> Result<PersonPatch, CrmError> {
        let (first_name, last_name) = split_name(cols, record);
        let text = |field: &str| cols.get(record, field).map(str::to_string);
        Ok(PersonPatch {
            first_name,
            last_name,
            email: text("email"),
            phone: text("phone"),
            job_title: text("job_title"),
            city: text("city"),
            linkedin_url: text("linkedin_url"),
            avatar_url: text("avatar_url"),
            company_id: self.companies.resolve(conn, cols, record).await?.map(Some),
            custom: custom_values(cols, record),
        })
    }

    fn key(&self, values: &PersonPatch) -> Result<Option<String>, CrmError> {
        Ok(validate::email("email", values.email.as_deref())?.map(|e| e.to_lowercase()))
    }

    fn create(&self, id: Option<Uuid>, v: PersonPatch) -> Result<(Uuid, PersonFields), CrmError> {
        let new = NewPerson {
            id,
            first_name: v.first_name.unwrap_or_default(),
            last_name: v.last_name.unwrap_or_default(),
            email: v.email,
            phone: v.phone,
            job_title: v.job_title,
            city: v.city,
            linkedin_url: v.linkedin_url,
            avatar_url: v.avatar_url,
            company_id: v.company_id.flatten(),
            custom: v.custom,
        };
        people::prepare_new(new, &self.defs)
    }

    fn update(&self, current: &PersonFields, values: PersonPatch) -> Result<PersonFields, CrmError> {
        people::apply_patch(current, values, &self.defs)
    }

    async fn current(conn: &mut SqliteConnection, id: Uuid) -> Result<PersonFields, CrmError> {
        Ok(PersonFields::from(&people::fetch(conn, id).await?))
    }

    async fn check(
        conn: &mut SqliteConnection,
        rows: &[(Uuid, &PersonFields)],
        claimed: &[Uuid],
    ) -> Result<Vec<Result<(), CrmError>>, CrmError> {
        people::check_against_store(conn, rows, claimed).await
    }
}

struct CompaniesImporter {
    defs: Vec<CustomFieldDef>,
}

fn parse_bool(field: &str, value: &str) -> Result<bool, CrmError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "x" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(CrmError::invalid(field, format!("'{value}' is not yes/no or true/false"))),
    }
}

impl Importer for CompaniesImporter {
    type Fields = CompanyFields;
    type Values = CompanyPatch;
    const KIND: RecordKind = RecordKind::Company;
    const KEY_COLUMN: Option<&'static str> = Some("domain");

    async fn parse(
        &mut self,
        _: &mut SqliteConnection,
        cols: &Columns,
        record: &csv::StringRecord,
    ) -> Result<CompanyPatch, CrmError> {
        let text = |field: &str| cols.get(record, field).map(str::to_string);
        let employees = match cols.get(record, "employees") {
            None => None,
            Some(v) => Some(Some(
                v.parse::<i64>().map_err(|_| CrmError::invalid("employees", format!("'{v}' is not a whole number")))?,
            )),
        };
        let arr = match (cols.get(record, "arr"), cols.get(record, "arr_currency")) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(CrmError::invalid("arr_currency", "an ARR needs its currency"));
            }
            (Some(amount), Some(currency)) => Some(Some(Money::parse(amount, currency)?)),
        };
        Ok(CompanyPatch {
            name: text("name"),
            domain: text("domain"),
            employees,
            arr,
            address: text("address"),
            linkedin_url: text("linkedin_url"),
            icp: cols.get(record, "icp").map(|v| parse_bool("icp", v)).transpose()?,
            custom: custom_values(cols, record),
        })
    }

    fn key(&self, values: &CompanyPatch) -> Result<Option<String>, CrmError> {
        validate::domain(values.domain.as_deref())
    }

    fn create(&self, id: Option<Uuid>, v: CompanyPatch) -> Result<(Uuid, CompanyFields), CrmError> {
        let new = NewCompany {
            id,
            name: v.name.unwrap_or_default(),
            domain: v.domain,
            employees: v.employees.flatten(),
            arr: v.arr.flatten(),
            address: v.address,
            linkedin_url: v.linkedin_url,
            icp: v.icp.unwrap_or(false),
            custom: v.custom,
        };
        companies::prepare_new(new, &self.defs)
    }

    fn update(&self, current: &CompanyFields, values: CompanyPatch) -> Result<CompanyFields, CrmError> {
        companies::apply_patch(current, values, &self.defs)
    }

    async fn current(conn: &mut SqliteConnection, id: Uuid) -> Result<CompanyFields, CrmError> {
        Ok(CompanyFields::from(&companies::fetch(conn, id).await?))
    }

    async fn check(
        conn: &mut SqliteConnection,
        rows: &[(Uuid, &CompanyFields)],
        claimed: &[Uuid],
    ) -> Result<Vec<Result<(), CrmError>>, CrmError> {
        companies::check_against_store(conn, rows, claimed).await
    }
}

struct DealsImporter {
    defs: Vec<CustomFieldDef>,
    pipelines: Vec<Pipeline>,
    companies: CompanyResolver,
    now: String,
}

/// A deal row: the patchable values plus where it sits.
struct DealValues {
    patch: DealPatch,
    pipeline: Pipeline,
    stage: Option<String>,
    status: Option<DealStatus>,
    lost_reason: Option<String>,
}

impl Importer for DealsImporter {
    type Fields = DealFields;
    type Values = DealValues;
    const KIND: RecordKind = RecordKind::Deal;
    const KEY_COLUMN: Option<&'static str> = None;

    async fn parse(
        &mut self,
        conn: &mut SqliteConnection,
        cols: &Columns,
        record: &csv::StringRecord,
    ) -> Result<DealValues, CrmError> {
        let amount = match (cols.get(record, "amount"), cols.get(record, "currency")) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(CrmError::invalid("currency", "an amount needs its currency"));
            }
            (Some(amount), Some(currency)) => Some(Money::parse(amount, currency)?),
        };
        let close_date = match cols.get(record, "close_date") {
            None => None,
            Some(v) => Some(Some(
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| CrmError::invalid("close_date", format!("'{v}' is not a date YYYY-MM-DD")))?,
            )),
        };
        let pipeline = match cols.get(record, "pipeline") {
            None => self.pipelines.iter().find(|p| p.is_default),
            Some(name) => Some(
                self.pipelines
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| CrmError::invalid("pipeline", format!("no pipeline named '{name}'")))?,
            ),
        }
        .cloned()
        .ok_or_else(|| CrmError::Corrupt("there is no default pipeline".into()))?;
        let contact = match (cols.get(record, "contact_id"), cols.get(record, "contact")) {
            (Some(id), _) => Some(parse_uuid_cell("contact_id", id)?),
            (None, Some(text)) => match Uuid::parse_str(text) {
                Ok(id) => Some(id),
                Err(_) => {
                    let email = validate::email("contact", Some(text))?.unwrap_or_default();
                    let id: Option<String> =
                        sqlx::query_scalar("SELECT id FROM person WHERE email = ? AND deleted_at IS NULL")
                            .bind(&email)
                            .fetch_optional(&mut *conn)
                            .await?;
                    Some(rows::parse_uuid("id", &id.ok_or_else(|| CrmError::PersonNotFound(email.clone()))?)?)
                }
            },
            (None, None) => None,
        };
        let status = match cols.get(record, "status") {
            None => None,
            Some(v) => Some(
                DealStatus::parse(v)
                    .ok_or_else(|| CrmError::invalid("status", format!("'{v}' is not open, won or lost")))?,
            ),
        };
        Ok(DealValues {
            patch: DealPatch {
                name: cols.get(record, "name").map(str::to_string),
                amount,
                close_date,
                contact_id: contact.map(Some),
                company_id: self.companies.resolve(conn, cols, record).await?.map(Some),
                custom: custom_values(cols, record),
            },
            pipeline,
            stage: cols.get(record, "stage").map(str::to_string),
            status,
            lost_reason: cols.get(record, "lost_reason").map(str::to_string),
        })
    }

    fn key(&self, _: &DealValues) -> Result<Option<String>, CrmError> {
        Ok(None)
    }

    fn create(&self, id: Option<Uuid>, v: DealValues) -> Result<(Uuid, DealFields), CrmError> {
        let amount = v.patch.amount.ok_or_else(|| CrmError::invalid("amount", "a deal needs an amount"))?;
        let new = NewDeal {
            id,
            name: v.patch.name.unwrap_or_default(),
            amount,
            close_date: v.patch.close_date.flatten(),
            pipeline_id: Some(v.pipeline.id),
            stage: v.stage,
            status: v.status.unwrap_or_default(),
            lost_reason: v.lost_reason,
            contact_id: v.patch.contact_id.flatten(),
            company_id: v.patch.company_id.flatten(),
            custom: v.patch.custom,
        };
        deals::prepare_new(new, &v.pipeline, &self.defs, &self.now)
    }

    fn update(&self, current: &DealFields, v: DealValues) -> Result<DealFields, CrmError> {
        let mut next = current.clone();
        let p = v.patch;
        if let Some(name) = p.name {
            next.name = name;
        }
        if let Some(amount) = p.amount {
            next.amount = amount;
        }
        if let Some(date) = p.close_date {
            next.close_date = date;
        }
        if let Some(contact) = p.contact_id {
            next.contact_id = contact;
        }
        if let Some(company) = p.company_id {
            next.company_id = company;
        }
        if let Some(stage) = v.stage {
            let pipeline = self.pipelines.iter().find(|pl| pl.id == current.pipeline_id).unwrap_or(&v.pipeline);
            let stage = crate::pipelines::stage_named(pipeline, &stage)?;
            if stage.id != next.stage_id {
                next.stage_id = stage.id;
                next.stage_entered_at = self.now.clone();
            }
        }
        if let Some(status) = v.status {
            next.set_status(status, &self.now);
            next.lost_reason = v.lost_reason.or(next.lost_reason);
        } else if let Some(reason) = v.lost_reason {
            next.lost_reason = Some(reason);
        }
        next.custom = custom_fields::apply(RecordKind::Deal, &self.defs, &current.custom, &p.custom)?;
        next.checked()
    }

    async fn current(conn: &mut SqliteConnection, id: Uuid) -> Result<DealFields, CrmError> {
        Ok(DealFields::from(&deals::fetch(conn, id).await?))
    }

    async fn check(
        conn: &mut SqliteConnection,
        rows: &[(Uuid, &DealFields)],
        claimed: &[Uuid],
    ) -> Result<Vec<Result<(), CrmError>>, CrmError> {
        deals::check_against_store(conn, rows, claimed).await
    }
}

/// What becomes of one row.
enum Plan<F> {
    /// `explicit`: the id came from the file, so it must not be taken yet.
    Create {
        line: u64,
        id: Uuid,
        explicit: bool,
        fields: F,
        tags: Vec<String>,
    },
    Update {
        line: u64,
        id: Uuid,
        old: F,
        new: F,
        tags: Vec<String>,
    },
}

fn tags_of(cols: &Columns, record: &csv::StringRecord) -> Result<Vec<String>, CrmError> {
    let Some(cell) = cols.get(record, "tags") else {
        return Ok(Vec::new());
    };
    cell.split([';', ','])
        .map(|t| validate::line("tags", t, validate::NAME_LIMIT))
        .filter(|t| !matches!(t, Ok(t) if t.is_empty()))
        .collect()
}

fn reject(rejected: &mut Vec<RejectedRow>, line: u64, error: &CrmError) {
    rejected.push(RejectedRow { line, reason: error.to_string(), field: error.field() });
}

async fn run<I: Importer>(
    importer: &mut I,
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    cols: &Columns,
    records: Vec<(u64, csv::StringRecord)>,
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    // 1. Parse every row.
    let mut parsed = Vec::with_capacity(records.len());
    for (line, record) in records {
        let tags = match tags_of(cols, &record) {
            Ok(tags) => tags,
            Err(e) => {
                reject(&mut report.rejected, line, &e);
                continue;
            }
        };
        let explicit_id = match cols.get(&record, "id").map(|v| parse_uuid_cell("id", v)).transpose() {
            Ok(id) => id,
            Err(e) => {
                reject(&mut report.rejected, line, &e);
                continue;
            }
        };
        match importer.parse(conn, cols, &record).await {
            Ok(values) => match importer.key(&values) {
                Ok(key) => parsed.push((line, explicit_id, key, values, tags)),
                Err(e) => reject(&mut report.rejected, line, &e),
            },
            Err(CrmError::Database(e)) => return Err(e.into()),
            Err(e) => reject(&mut report.rejected, line, &e),
        }
    }

    // 2. Match rows to stored records: by id, then by natural key.
    let table = I::Fields::TABLE;
    let ids: Vec<String> = parsed.iter().filter_map(|(_, id, ..)| id.map(|i| i.to_string())).collect();
    let live_ids = find_existing(conn, table, "id", true, &ids).await?;
    let keys: Vec<String> = parsed.iter().filter_map(|(_, _, key, ..)| key.clone()).collect();
    let key_owners = match I::KEY_COLUMN {
        Some(column) => find_existing(conn, table, column, true, &keys).await?,
        None => HashMap::new(),
    };

    // 3. Plan each row.
    let mut plans = Vec::with_capacity(parsed.len());
    let mut claimed: HashMap<String, u64> = HashMap::new();
    for (line, explicit_id, key, values, tags) in parsed {
        let target = explicit_id
            .filter(|id| live_ids.contains_key(&id.to_string()))
            .or_else(|| key.as_ref().and_then(|k| key_owners.get(k)).and_then(|id| Uuid::parse_str(id).ok()));
        let claim = match (&target, &key, &explicit_id) {
            (Some(id), ..) => Some(id.to_string()),
            (None, Some(key), _) => Some(format!("key:{key}")),
            (None, None, Some(id)) => Some(id.to_string()),
            (None, None, None) => None,
        };
        if let Some(claim) = claim {
            if let Some(first) = claimed.get(&claim) {
                let what = if claim.starts_with("key:") { I::KEY_COLUMN.unwrap_or("id") } else { "record" };
                let error = CrmError::invalid(what, format!("same {what} as line {first}"));
                reject(&mut report.rejected, line, &error);
                continue;
            }
            claimed.insert(claim, line);
        }
        let plan = match target {
            Some(id) => {
                let old = I::current(conn, id).await?;
                let present = tags::names_of(conn, RecordRef { kind: I::KIND, id }).await?;
                let tags = tags.into_iter().filter(|t| !present.iter().any(|p| p.eq_ignore_ascii_case(t))).collect();
                importer.update(&old, values).map(|new| Plan::Update { line, id, old, new, tags })
            }
            None => importer.create(explicit_id, values).map(|(id, fields)| Plan::Create {
                line,
                id,
                explicit: explicit_id.is_some(),
                fields,
                tags,
            }),
        };
        match plan {
            Ok(plan) => plans.push(plan),
            Err(CrmError::Database(e)) => return Err(e.into()),
            Err(e) => reject(&mut report.rejected, line, &e),
        }
    }

    // 4. Check what needs the store (duplicates, references), in batches.
    let creates: Vec<(Uuid, &I::Fields)> = plans
        .iter()
        .filter_map(|p| if let Plan::Create { id, fields, .. } = p { Some((*id, fields)) } else { None })
        .collect();
    let claimed: Vec<Uuid> = plans
        .iter()
        .filter_map(|p| if let Plan::Create { id, explicit: true, .. } = p { Some(*id) } else { None })
        .collect();
    let create_checks = I::check(conn, &creates, &claimed).await?;
    let updates: Vec<(Uuid, &I::Fields)> = plans
        .iter()
        .filter_map(|p| if let Plan::Update { id, new, .. } = p { Some((*id, new)) } else { None })
        .collect();
    let update_checks = I::check(conn, &updates, &[]).await?;
    let mut create_checks = create_checks.into_iter();
    let mut update_checks = update_checks.into_iter();
    let mut good = Vec::with_capacity(plans.len());
    for plan in plans {
        let (check, line) = match &plan {
            Plan::Create { line, .. } => (create_checks.next(), *line),
            Plan::Update { line, .. } => (update_checks.next(), *line),
        };
        match check {
            Some(Err(e)) => reject(&mut report.rejected, line, &e),
            _ => good.push(plan),
        }
    }
    report.rejected.sort_by_key(|r| r.line);

    // 5. Count, and write unless this is a dry run or a failed all-or-nothing import.
    let mut new_rows = Vec::new();
    for plan in &good {
        match plan {
            Plan::Create { id, fields, .. } => {
                report.created += 1;
                new_rows.push((*id, fields.clone()));
            }
            Plan::Update { old, new, tags, .. } if old == new && tags.is_empty() => report.unchanged += 1,
            Plan::Update { .. } => report.updated += 1,
        }
    }
    if options.dry_run || (!report.rejected.is_empty() && !options.keep_good_rows) {
        return Ok(());
    }
    insert_records(conn, ctx, &new_rows).await?;
    for plan in good {
        let (id, tags) = match plan {
            Plan::Create { id, tags, .. } => (id, tags),
            Plan::Update { id, old, new, tags, .. } => {
                update_record(conn, ctx, id, &old, &new).await?;
                (id, tags)
            }
        };
        for tag in tags {
            tags::add_tag(conn, ctx, RecordRef { kind: I::KIND, id }, &tag).await?;
        }
    }
    report.committed = true;
    Ok(())
}

impl Crm {
    /// Imports a CSV file of people, companies or deals. File-level problems (encoding, headers)
    /// are errors; row-level problems are listed in the report.
    pub async fn import_csv(
        &self,
        object: CsvObject,
        bytes: &[u8],
        options: &ImportOptions,
        source: UpdateSource,
    ) -> Result<ImportReport, ImportError> {
        if bytes.len() > MAX_IMPORT_BYTES {
            return Err(ImportError::TooLarge { size: bytes.len(), limit: MAX_IMPORT_BYTES });
        }
        let text = decode(bytes, options.encoding.as_deref())?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let headers: Vec<String> =
            reader.headers().map_err(|e| ImportError::Csv(e.to_string()))?.iter().map(str::to_string).collect();
        if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
            return Err(ImportError::Empty);
        }
        let mut records = Vec::new();
        let mut rejected = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if record.len() != headers.len() {
                rejected.push(RejectedRow {
                    line,
                    reason: format!("the row has {} fields; the header has {}", record.len(), headers.len()),
                    field: None,
                });
                continue;
            }
            records.push((line, record));
        }

        let ctx = self.ctx(source);
        let mut tx = self.store.begin_write().await?;
        let kind = match object {
            CsvObject::People => RecordKind::Person,
            CsvObject::Companies => RecordKind::Company,
            CsvObject::Deals => RecordKind::Deal,
        };
        let defs = custom_fields::load_defs(&mut tx, kind).await?;
        let cols = map_columns(object, &headers, &defs, &options.mapping)?;
        let mut report = ImportReport {
            object,
            dry_run: options.dry_run,
            committed: false,
            rows: (records.len() + rejected.len()) as u64,
            created: 0,
            updated: 0,
            unchanged: 0,
            rejected,
            columns: cols.mapping.clone(),
        };
        match object {
            CsvObject::People => {
                let mut importer = PeopleImporter { defs, companies: CompanyResolver::default() };
                run(&mut importer, &mut tx, &ctx, &cols, records, options, &mut report).await?;
            }
            CsvObject::Companies => {
                let mut importer = CompaniesImporter { defs };
                run(&mut importer, &mut tx, &ctx, &cols, records, options, &mut report).await?;
            }
            CsvObject::Deals => {
                let pipelines = crate::pipelines::load_all(&mut tx).await?;
                let mut importer =
                    DealsImporter { defs, pipelines, companies: CompanyResolver::default(), now: ctx.now.clone() };
                run(&mut importer, &mut tx, &ctx, &cols, records, options, &mut report).await?;
            }
        }
        if report.committed {
            tx.commit().await?;
            self.emit_many_changed(kind, source);
        } else {
            tx.rollback().await?;
        }
        tracing::info!(
            object = object.as_str(),
            rows = report.rows,
            created = report.created,
            updated = report.updated,
            rejected = report.rejected.len(),
            committed = report.committed,
            "csv import"
        );
        Ok(report)
    }
}
