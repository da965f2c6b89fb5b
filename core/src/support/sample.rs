//! The sample workspace behind the welcome screen's "Try it with sample data" and
//! `dealdesk-cli sample load`: the CSV files in `core/sample/`, imported exactly as a user's would
//! be (companies, then people, then deals, which link to them by name and email), plus a few
//! notes and tasks. Once per database.
//!
//! A load that fails partway (a full disk, a crash, the app closed) can be run again, and the
//! second run finishes it without repeating a record (issue 21). The loader writes through the
//! core's bulk path, the CSV import, which commits each file in its own transaction, and adds
//! each note and task in its own; one transaction around all of it would need a second,
//! connection-taking variant of each of those CRM write paths. So instead every step is made safe
//! to repeat, keyed on what stays the same from one run to the next:
//! - companies and people: the import matches them by domain and by email (every sample row has
//!   one), so a second run finds them "unchanged";
//! - deals have no natural key, so each sample deal gets an id the import matches on: derived from
//!   a seed the first run keeps in the database, it is the same on every run here, yet differs
//!   between databases, so two desktops that both tried the sample never share a deal's id in a
//!   team workspace;
//! - notes and tasks are looked up on their person (by body, by title) before being added.
//!
//! A database that has records takes the sample only when a load began there and did not finish
//! (the seed is there, the mark of a finished load is not): its records may then be the sample's,
//! and the load finishes them. A load killed with its process leaves a claim that keeps other
//! loads out for a few minutes only.

use super::SupportError;
use crate::app::App;
use crate::store::time;
use dealdesk_model::support::{ImportCsvRequest, SampleLoaded};
use dealdesk_model::{CsvObject, NewNote, NewTask, NoteQuery, RecordKind, RecordRef, TaskQuery, UpdateSource};
use uuid::Uuid;

const COMPANIES_CSV: &[u8] = include_bytes!("../../sample/companies.csv");
const PEOPLE_CSV: &[u8] = include_bytes!("../../sample/people.csv");
/// Text, not bytes: each row gets its deal's id before the import (`deals_with_ids`).
const DEALS_CSV: &str = include_str!("../../sample/deals.csv");

/// Set when a load has finished. Releases before issue 21 set it when a load began and removed it
/// when that load failed, so either way it means "loaded" (or a load killed under such a release).
const SAMPLE_LOADED_KEY: &str = "sample.loaded_at";
/// Set by the first load that begins here, never removed: the seed of the sample deals' ids.
const SAMPLE_SEED_KEY: &str = "sample.deal_id_seed";
/// Held while a load runs, so a double click or the CLI at the same time does not run a second
/// load beside it (a note or task is looked up, then added, in two transactions).
const SAMPLE_LOADING_KEY: &str = "sample.loading";
/// A load takes about a second; a claim older than this belongs to a process that died with it,
/// and must not keep the sample out of this database for good.
const STALE_CLAIM: chrono::Duration = chrono::Duration::minutes(10);

const NOTES: &[(&str, &str)] = &[
    (
        "ava.bennett@northwindacademy.com",
        "Call with Ava: 400 members on the monthly plan, churn is the worry. Interested in an annual plan with a \
         founder discount. Send pricing by Friday.",
    ),
    (
        "sofia.lindqvist@atlasfit.club",
        "Sofia wants a private coaching bundle for the spring cohort. Budget approved; needs the contract reviewed \
         by their lawyer.",
    ),
    (
        "zara.khan@quantumleaplabs.io",
        "Enterprise seats: 120 employees, SSO is a must. Follow up with the security questionnaire.",
    ),
];
const TASKS: &[(&str, &str, i64)] = &[
    ("ava.bennett@northwindacademy.com", "Send annual plan pricing to Ava", 2),
    ("sofia.lindqvist@atlasfit.club", "Draft the coaching bundle contract", 4),
    ("zara.khan@quantumleaplabs.io", "Answer the security questionnaire", 7),
];

impl App {
    /// Loads the sample workspace into an empty database, or finishes a load that failed partway
    /// here (see the module's comment). A finished load is not run again: `NotEmpty` once it left
    /// records, `SampleAlreadyLoaded` if they were purged since or another load is running.
    pub async fn load_sample_workspace(&self, source: UpdateSource) -> Result<SampleLoaded, SupportError> {
        if !self.sample_unfinished().await? && !self.is_empty().await? {
            return Err(SupportError::NotEmpty);
        }
        let Some(claim) = self.claim_sample_load().await? else {
            return Err(SupportError::SampleAlreadyLoaded);
        };
        // Read under the claim: a load that finished while this one was deciding is not run again.
        let loaded = match self.sample_loaded().await {
            Ok(true) => Err(SupportError::SampleAlreadyLoaded),
            Ok(false) => self.load_sample_files(source).await,
            Err(error) => Err(error),
        };
        let loaded = match loaded {
            Ok(loaded) => self.finish_sample_load().await.map(|()| loaded),
            Err(error) => Err(error),
        };
        // Released whatever happened, so a second run can finish a failed one at once.
        if let Err(error) = self.release_sample_claim(&claim).await {
            tracing::warn!(%error, "could not release the sample load's claim; it lapses on its own");
        }
        let loaded = loaded?;
        self.dismiss_welcome().await?;
        tracing::info!(notes = loaded.notes, tasks = loaded.tasks, "sample workspace loaded");
        Ok(loaded)
    }

    async fn sample_loaded(&self) -> Result<bool, SupportError> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM setting WHERE key = ?)")
            .bind(SAMPLE_LOADED_KEY)
            .fetch_one(self.store().pool())
            .await?)
    }

    /// A load began here and did not finish: the records here may be its, and a load resumes it.
    async fn sample_unfinished(&self) -> Result<bool, SupportError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM setting WHERE key = ?1) AND NOT EXISTS (SELECT 1 FROM setting WHERE key = ?2)",
        )
        .bind(SAMPLE_SEED_KEY)
        .bind(SAMPLE_LOADED_KEY)
        .fetch_one(self.store().pool())
        .await?)
    }

    /// Takes the claim (free, or left by a process that died) and returns its time, which
    /// releasing it checks; `None` while another load holds it.
    async fn claim_sample_load(&self) -> Result<Option<String>, SupportError> {
        let now = time::now();
        let at = time::format(now);
        let claimed = sqlx::query(
            "INSERT INTO setting (key, value, updated_at) VALUES (?1, json_quote(?2), ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
             WHERE setting.updated_at < ?3",
        )
        .bind(SAMPLE_LOADING_KEY)
        .bind(&at)
        .bind(time::format(now - STALE_CLAIM))
        .execute(self.store().pool())
        .await?
        .rows_affected();
        Ok((claimed == 1).then_some(at))
    }

    /// Drops this load's claim, not one a later load took after it had gone stale.
    async fn release_sample_claim(&self, claim: &str) -> Result<(), SupportError> {
        sqlx::query("DELETE FROM setting WHERE key = ? AND updated_at = ?")
            .bind(SAMPLE_LOADING_KEY)
            .bind(claim)
            .execute(self.store().pool())
            .await?;
        Ok(())
    }

    async fn finish_sample_load(&self) -> Result<(), SupportError> {
        Ok(self.store().set_setting(SAMPLE_LOADED_KEY, &time::format(time::now())).await?)
    }

    /// The seed of the sample deals' ids: made by the first load here, read back by every later
    /// one (the insert keeps a seed already there).
    async fn sample_deal_id_seed(&self) -> Result<Uuid, SupportError> {
        let seed = serde_json::Value::String(Uuid::now_v7().to_string()).to_string();
        sqlx::query("INSERT INTO setting (key, value, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO NOTHING")
            .bind(SAMPLE_SEED_KEY)
            .bind(seed)
            .bind(time::format(time::now()))
            .execute(self.store().pool())
            .await?;
        let stored: Option<String> = sqlx::query_scalar("SELECT json_extract(value, '$') FROM setting WHERE key = ?")
            .bind(SAMPLE_SEED_KEY)
            .fetch_optional(self.store().pool())
            .await?;
        let stored = stored.unwrap_or_default();
        Uuid::parse_str(&stored).map_err(|_| SupportError::SampleSeed(stored))
    }

    async fn load_sample_files(&self, source: UpdateSource) -> Result<SampleLoaded, SupportError> {
        let seed = self.sample_deal_id_seed().await?;
        let files = [
            (CsvObject::Companies, "companies.csv", COMPANIES_CSV.to_vec()),
            (CsvObject::People, "people.csv", PEOPLE_CSV.to_vec()),
            (CsvObject::Deals, "deals.csv", deals_with_ids(DEALS_CSV, seed).into_bytes()),
        ];
        let mut reports = Vec::new();
        for (object, file_name, bytes) in files {
            let request = ImportCsvRequest {
                object,
                file_name: file_name.to_string(),
                bytes,
                dry_run: false,
                keep_good_rows: true,
                encoding: None,
            };
            reports.push(self.import_csv_file(&request, source).await?);
        }
        let (notes, tasks) = self.sample_notes_and_tasks(source).await?;
        Ok(SampleLoaded { reports, notes, tasks })
    }

    /// Adds the notes and tasks an earlier run has not; returns how many this run added.
    async fn sample_notes_and_tasks(&self, source: UpdateSource) -> Result<(u64, u64), SupportError> {
        let crm = self.crm();
        let mut notes = 0;
        for (email, body) in NOTES {
            let Some(person) = crm.find_person_by_email(email).await? else { continue };
            let target = RecordRef { kind: RecordKind::Person, id: person.id };
            let query = NoteQuery { record: Some(target), limit: Some(100), ..Default::default() };
            if crm.list_notes(&query).await?.items.iter().any(|note| note.body == *body) {
                continue;
            }
            crm.add_note(NewNote { body: body.to_string(), targets: vec![target] }, source).await?;
            notes += 1;
        }
        let mut tasks = 0;
        for (email, title, days) in TASKS {
            let Some(person) = crm.find_person_by_email(email).await? else { continue };
            let target = RecordRef { kind: RecordKind::Person, id: person.id };
            let query = TaskQuery { record: Some(target), include_done: true, limit: Some(100), ..Default::default() };
            if crm.list_tasks(&query).await?.items.iter().any(|task| task.title == *title) {
                continue;
            }
            let task = NewTask {
                title: title.to_string(),
                body: None,
                due_at: Some(chrono::Utc::now() + chrono::Duration::days(*days)),
                reminder_at: None,
                targets: vec![target],
            };
            crm.add_task(task, source).await?;
            tasks += 1;
        }
        Ok((notes, tasks))
    }
}

/// The deals file with an `id` column in front: the n-th deal (from 1) gets the seed with its last
/// four bytes set to n. The seed is a UUIDv7 and only its random tail changes, so the ids stay
/// UUIDv7 like every other id, and no two rows share one. A row ends at a line break outside
/// quotes, so a quoted cell may hold one.
fn deals_with_ids(csv: &str, seed: Uuid) -> String {
    let mut out = String::with_capacity(csv.len() + 40 * csv.lines().count());
    let mut row: u32 = 0;
    let mut in_quotes = false;
    for line in csv.split_inclusive('\n') {
        if !in_quotes {
            if line.trim().is_empty() {
                continue;
            }
            if row == 0 {
                out.push_str("id");
            } else {
                let mut id = *seed.as_bytes();
                id[12..].copy_from_slice(&row.to_be_bytes());
                out.push_str(&Uuid::from_bytes(id).to_string());
            }
            out.push(',');
            row += 1;
        }
        out.push_str(line);
        // `""` inside a quoted cell counts twice, so an odd count opens or closes a quote.
        if line.matches('"').count() % 2 == 1 {
            in_quotes = !in_quotes;
        }
    }
    out
}
