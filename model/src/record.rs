//! CRM records as the UI and the CLI see them, and the inputs that create or change them.

use crate::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

/// Values of custom fields, keyed by the field definition's `key`.
pub type CustomValues = BTreeMap<String, serde_json::Value>;

/// The kinds of record a note, task, tag or timeline event can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Person,
    Company,
    Deal,
    Note,
    Task,
}

impl RecordKind {
    pub const ALL: [RecordKind; 5] =
        [RecordKind::Person, RecordKind::Company, RecordKind::Deal, RecordKind::Note, RecordKind::Task];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Person => "person",
            RecordKind::Company => "company",
            RecordKind::Deal => "deal",
            RecordKind::Note => "note",
            RecordKind::Task => "task",
        }
    }

    pub fn parse(text: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Person => "Person",
            RecordKind::Company => "Company",
            RecordKind::Deal => "Deal",
            RecordKind::Note => "Note",
            RecordKind::Task => "Task",
        }
    }

    pub fn plural_label(self) -> &'static str {
        match self {
            RecordKind::Person => "people",
            RecordKind::Company => "companies",
            RecordKind::Deal => "deals",
            RecordKind::Note => "notes",
            RecordKind::Task => "tasks",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pointer to any record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordRef {
    pub kind: RecordKind,
    pub id: Uuid,
}

/// Who made a write. Stored on every change-log row and carried by every core event, so a sync
/// never echoes its own writes and the timeline can say where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateSource {
    /// The desktop window.
    Ui,
    /// `dealdesk-cli`.
    Cli,
    /// A CSV import.
    Import,
    /// The Whop sync.
    Sync,
    /// A workflow step (workflows never fire on their own writes).
    Workflow,
    /// A change another desktop of the team workspace made, pulled from the hub (workflows and
    /// Whop actions already ran on that desktop, so they never fire on it here).
    Team,
}

impl UpdateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateSource::Ui => "ui",
            UpdateSource::Cli => "cli",
            UpdateSource::Import => "import",
            UpdateSource::Sync => "sync",
            UpdateSource::Workflow => "workflow",
            UpdateSource::Team => "team",
        }
    }

    pub fn parse(text: &str) -> Option<UpdateSource> {
        [
            UpdateSource::Ui,
            UpdateSource::Cli,
            UpdateSource::Import,
            UpdateSource::Sync,
            UpdateSource::Workflow,
            UpdateSource::Team,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Where a record came from: made in Dealdesk, or mirrored from Whop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    #[default]
    Local,
    Whop,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Whop => "whop",
        }
    }

    pub fn parse(text: &str) -> Option<Origin> {
        match text {
            "local" => Some(Origin::Local),
            "whop" => Some(Origin::Whop),
            _ => None,
        }
    }
}

/// Columns every record carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordMeta {
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the record is in the trash; restorable.
    pub deleted_at: Option<DateTime<Utc>>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub city: Option<String>,
    pub linkedin_url: Option<String>,
    pub avatar_url: Option<String>,
    pub company_id: Option<Uuid>,
    /// The company's name, joined for display.
    pub company_name: Option<String>,
    pub tags: Vec<String>,
    pub custom: CustomValues,
    #[serde(flatten)]
    pub meta: RecordMeta,
}

impl Person {
    pub fn full_name(&self) -> String {
        match (self.first_name.is_empty(), self.last_name.is_empty()) {
            (false, false) => format!("{} {}", self.first_name, self.last_name),
            (false, true) => self.first_name.clone(),
            _ => self.last_name.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewPerson {
    /// Set only to keep an id from elsewhere (a CSV export); otherwise the core makes a UUIDv7.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub linkedin_url: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub company_id: Option<Uuid>,
    #[serde(default)]
    pub custom: CustomValues,
}

/// A partial update. `None` leaves a field alone; for optional text, an empty string clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonPatch {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub linkedin_url: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default, with = "crate::record::double_option", skip_serializing_if = "Option::is_none")]
    pub company_id: Option<Option<Uuid>>,
    /// Custom field values to set; `null` clears one.
    #[serde(default)]
    pub custom: CustomValues,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: Uuid,
    pub name: String,
    /// Normalised: lower case, no scheme, no `www.`, no path.
    pub domain: Option<String>,
    pub employees: Option<i64>,
    pub arr: Option<Money>,
    pub address: Option<String>,
    pub linkedin_url: Option<String>,
    /// Ideal customer profile.
    pub icp: bool,
    pub tags: Vec<String>,
    pub custom: CustomValues,
    #[serde(flatten)]
    pub meta: RecordMeta,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewCompany {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub employees: Option<i64>,
    #[serde(default)]
    pub arr: Option<Money>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub linkedin_url: Option<String>,
    #[serde(default)]
    pub icp: bool,
    #[serde(default)]
    pub custom: CustomValues,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default, with = "crate::record::double_option", skip_serializing_if = "Option::is_none")]
    pub employees: Option<Option<i64>>,
    #[serde(default, with = "crate::record::double_option", skip_serializing_if = "Option::is_none")]
    pub arr: Option<Option<Money>>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub linkedin_url: Option<String>,
    #[serde(default)]
    pub icp: Option<bool>,
    #[serde(default)]
    pub custom: CustomValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    #[default]
    Open,
    Won,
    Lost,
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }

    pub fn parse(text: &str) -> Option<DealStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "open" => Some(DealStatus::Open),
            "won" => Some(DealStatus::Won),
            "lost" => Some(DealStatus::Lost),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    pub id: Uuid,
    pub name: String,
    pub amount: Money,
    pub close_date: Option<NaiveDate>,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    /// The stage's name, joined for display.
    pub stage_name: String,
    /// Effective win probability in percent: 100 when won, 0 when lost, else the stage's.
    pub probability: u8,
    pub status: DealStatus,
    pub lost_reason: Option<String>,
    /// Point of contact.
    pub contact_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub company_id: Option<Uuid>,
    pub company_name: Option<String>,
    pub stage_entered_at: DateTime<Utc>,
    /// When the deal was won or lost; `None` while open.
    pub closed_at: Option<DateTime<Utc>>,
    /// Position within its stage column on the board.
    pub position: f64,
    pub tags: Vec<String>,
    pub custom: CustomValues,
    #[serde(flatten)]
    pub meta: RecordMeta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDeal {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    pub amount: Money,
    #[serde(default)]
    pub close_date: Option<NaiveDate>,
    /// Pipeline by id; the default pipeline when absent.
    #[serde(default)]
    pub pipeline_id: Option<Uuid>,
    /// Stage by name within the pipeline (case-insensitive); the pipeline's first stage when absent.
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub status: DealStatus,
    #[serde(default)]
    pub lost_reason: Option<String>,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    #[serde(default)]
    pub company_id: Option<Uuid>,
    #[serde(default)]
    pub custom: CustomValues,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DealPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub amount: Option<Money>,
    #[serde(default, with = "crate::record::double_option", skip_serializing_if = "Option::is_none")]
    pub close_date: Option<Option<NaiveDate>>,
    #[serde(default, with = "crate::record::double_option", skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Option<Uuid>>,
    #[serde(default, with = "crate::record::double_option", skip_serializing_if = "Option::is_none")]
    pub company_id: Option<Option<Uuid>>,
    #[serde(default)]
    pub custom: CustomValues,
}

/// Moves a deal to a stage (by name, in the deal's pipeline) and optionally places it on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveDeal {
    pub deal_id: Uuid,
    pub stage: String,
    /// New position within the target column; the end of the column when absent.
    #[serde(default)]
    pub position: Option<f64>,
}

/// Closes (won/lost) or reopens a deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetDealStatus {
    pub deal_id: Uuid,
    pub status: DealStatus,
    /// Required when `status` is lost.
    #[serde(default)]
    pub lost_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: Uuid,
    pub name: String,
    pub is_default: bool,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub name: String,
    pub position: i64,
    /// Win probability in percent while a deal sits here.
    pub probability: u8,
    /// Deals idle longer than this are "rotting"; `None` never rots.
    pub rotting_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: Uuid,
    /// Markdown.
    pub body: String,
    pub targets: Vec<RecordRef>,
    #[serde(flatten)]
    pub meta: RecordMeta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNote {
    pub body: String,
    pub targets: Vec<RecordRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    #[default]
    Todo,
    InProgress,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<TaskStatus> {
        match text.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "todo" | "to_do" => Some(TaskStatus::Todo),
            "in_progress" => Some(TaskStatus::InProgress),
            "done" => Some(TaskStatus::Done),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub reminder_at: Option<DateTime<Utc>>,
    pub status: TaskStatus,
    pub targets: Vec<RecordRef>,
    #[serde(flatten)]
    pub meta: RecordMeta,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reminder_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub targets: Vec<RecordRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub id: Uuid,
    pub name: String,
    pub color: Option<String>,
}

/// The kind of value a custom field holds; values are checked against it on every write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CustomFieldType {
    Text,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    Boolean,
    Url,
    Select {
        options: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDef {
    pub id: Uuid,
    /// Person, company or deal.
    pub object: RecordKind,
    /// Stable identifier: lower-case letters, digits and `_`.
    pub key: String,
    pub label: String,
    pub field_type: CustomFieldType,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCustomField {
    pub object: RecordKind,
    pub key: String,
    pub label: String,
    pub field_type: CustomFieldType,
}

/// One result of the global full-text search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub record: RecordRef,
    pub title: String,
    pub subtitle: Option<String>,
    /// FTS5 bm25 rank: lower is better.
    pub rank: f64,
}

/// `Option<Option<T>>` that tells "absent" (leave alone) from `null` (clear).
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(value: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_absent_from_null() {
        let absent: PersonPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.company_id, None);
        let cleared: PersonPatch = serde_json::from_str(r#"{"company_id":null}"#).unwrap();
        assert_eq!(cleared.company_id, Some(None));
        let id = Uuid::nil();
        let set: PersonPatch = serde_json::from_str(&format!(r#"{{"company_id":"{id}"}}"#)).unwrap();
        assert_eq!(set.company_id, Some(Some(id)));
        let round: PersonPatch = serde_json::from_str(&serde_json::to_string(&cleared).unwrap()).unwrap();
        assert_eq!(round, cleared);
    }

    #[test]
    fn kinds_and_sources_round_trip_through_text() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(UpdateSource::parse("import"), Some(UpdateSource::Import));
        assert_eq!(TaskStatus::parse("In progress"), Some(TaskStatus::InProgress));
        assert_eq!(DealStatus::parse(" WON "), Some(DealStatus::Won));
    }
}
