//! The IPC surface between the window and the shell, typed once.
//!
//! Each command is a unit type implementing [`Command`]: its wire name, request and response.
//! The shell registers one Tauri command per type (named [`Command::NAME`], taking one argument
//! called `request`); the UI calls them through one generic `invoke::<C>(request)`.

use crate::ai::{
    AiConnectionTest, AiInsights, AiRunOutcome, AiRunRequest, AiStatus, AiUsageReport, MergeField, MergeFieldsRequest,
    OpenDraftInMail, PromptPreview, PromptPreviewRequest, PromptTemplate, SaveAiSettings, SavePromptTemplate,
};
use crate::automation::{RunWorkflow, RunsQuery, SaveWorkflow, Workflow, WorkflowRun};
use crate::contract::{
    Contract, ContractField, ContractPdf, ContractPreview, ContractPreviewRequest, ContractTemplate, EsignStatus,
    SaveContractTemplate, SaveEsignSettings, SendContract,
};
use crate::import::{CsvObject, ImportReport};
use crate::outbox::{
    ConflictView, OutboxEntry, OutboxSummary, PendingOperation, ResolveConflict, RestoreFieldValue, WhopAction,
    WhopPromoCodeView,
};
use crate::query::{CompanyQuery, DealQuery, NoteQuery, Page, PersonQuery, SearchQuery, TaskQuery};
use crate::record::{
    Company, CompanyPatch, CustomFieldDef, Deal, DealPatch, MoveDeal, NewCompany, NewCustomField, NewDeal, NewNote,
    NewPerson, NewTask, Note, Person, PersonPatch, Pipeline, RecordKind, RecordRef, SearchHit, SetDealStatus, Tag,
    Task,
};
use crate::revenue::{
    ChurnCustomer, ChurnQuery, DrillRow, FigureCustomer, FigureQuery, MrrDrill, RecoverList, RevenueOverview,
    RevenueScope, SegmentCount, SummaryQuery,
};
use crate::support::{Backups, Diagnostics, ImportCsvRequest, SampleLoaded, Welcome};
use crate::team::{TeamHeldChange, TeamInit, TeamInvite, TeamMember, TeamStatus, TeamSyncReport};
use crate::timeline::TimelineEvent;
use crate::views::{
    AppInfo, Board, BoardQuery, BulkRequest, BulkResult, CustomFieldPatch, Dashboard, FileWritten, NewSavedView,
    NoteEdit, SavePipeline, SavedView, Settings, TagRequest, TaskPatch,
};
use crate::whop::{
    DoctorCheck, ProductRevenue, SyncRun, WhopLoginStarted, WhopMembershipView, WhopPersonQuery, WhopPersonSummary,
    WhopSettings, WhopStatus,
};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

pub trait Command {
    /// The Tauri command name.
    const NAME: &'static str;
    type Request: Serialize + DeserializeOwned;
    type Response: Serialize + DeserializeOwned;
}

/// The name of the single argument every command takes.
pub const REQUEST_ARG: &str = "request";

/// The Tauri event the shell emits for every [`CoreEvent`].
pub const CORE_EVENT: &str = "core-event";

/// What the core tells open windows, so views refresh without a reload.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CoreEvent {
    RecordChanged {
        record: RecordRef,
        source: crate::record::UpdateSource,
    },
    /// Settings or configuration (pipelines, custom fields, saved views) changed.
    ConfigChanged,
    /// A Whop sync made progress (after each page, and once per finished resource).
    WhopSync {
        progress: crate::whop::SyncProgress,
    },
    /// The Whop connection, settings or sync history changed: reload the Whop status.
    WhopChanged,
    /// A Whop sign-in came back refused (a bad or stale link, a denied consent, a token error).
    WhopLoginFailed {
        message: String,
    },
    /// Many records changed at once (an import); views of this kind should reload.
    RecordsChanged {
        kind: crate::record::RecordKind,
        source: crate::record::UpdateSource,
    },
    /// The outbox, the conflicts or the connectivity changed: the status area's numbers.
    OutboxChanged {
        summary: OutboxSummary,
    },
    /// The remote refused an operation; its local effect was rolled back.
    OutboxRejected {
        operation: PendingOperation,
    },
    /// An AI result arrived for a record (or the usage log grew): reload AI cards and usage.
    AiChanged {
        record: Option<RecordRef>,
    },
    /// Workflows or their run history changed.
    WorkflowsChanged,
    /// A contract changed (sent, signed, voided…), or the e-sign settings did (`deal` is `None`).
    ContractsChanged {
        deal: Option<Uuid>,
    },
    /// Backups were taken or a restore was scheduled.
    BackupsChanged,
    /// The team workspace's state changed (a sync ran, a member joined or left): the top bar's
    /// team state and Settings → Team. `None`: this desktop is in no workspace.
    TeamChanged {
        status: Option<TeamStatus>,
    },
    /// A restore is waiting: the shell restarts the app to apply it.
    RestartRequired,
}

macro_rules! commands {
    ($( $(#[$doc:meta])* $ty:ident = $name:literal : $req:ty => $resp:ty; )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $ty;
            impl Command for $ty {
                const NAME: &'static str = $name;
                type Request = $req;
                type Response = $resp;
            }
        )*
        /// Every command name, for the shell's registration check.
        pub const ALL_COMMANDS: &[&str] = &[$($name),*];
    };
}

commands! {
    ListPeople = "list_people": PersonQuery => Page<Person>;
    /// How many people match (for the table's scroll height).
    CountPeople = "count_people": PersonQuery => u64;
    GetPerson = "get_person": Uuid => Person;
    CreatePerson = "create_person": NewPerson => Person;
    UpdatePerson = "update_person": (Uuid, PersonPatch) => Person;
    ListCompanies = "list_companies": CompanyQuery => Page<Company>;
    CountCompanies = "count_companies": CompanyQuery => u64;
    GetCompany = "get_company": Uuid => Company;
    CreateCompany = "create_company": NewCompany => Company;
    UpdateCompany = "update_company": (Uuid, CompanyPatch) => Company;
    ListDeals = "list_deals": DealQuery => Page<Deal>;
    CountDeals = "count_deals": DealQuery => u64;
    GetDeal = "get_deal": Uuid => Deal;
    CreateDeal = "create_deal": NewDeal => Deal;
    UpdateDeal = "update_deal": (Uuid, DealPatch) => Deal;
    MoveDealStage = "move_deal_stage": MoveDeal => Deal;
    ChangeDealStatus = "set_deal_status": SetDealStatus => Deal;
    GetBoard = "get_board": BoardQuery => Board;
    ListPipelines = "list_pipelines": () => Vec<Pipeline>;
    SavePipelineEdit = "save_pipeline": SavePipeline => Pipeline;
    ListCustomFields = "list_custom_fields": RecordKind => Vec<CustomFieldDef>;
    DefineCustomField = "define_custom_field": NewCustomField => CustomFieldDef;
    UpdateCustomField = "update_custom_field": CustomFieldPatch => CustomFieldDef;
    DeleteCustomField = "delete_custom_field": Uuid => ();
    ListNotes = "list_notes": NoteQuery => Page<Note>;
    AddNote = "add_note": NewNote => Note;
    UpdateNote = "update_note": NoteEdit => Note;
    ListTasks = "list_tasks": TaskQuery => Page<Task>;
    CountTasks = "count_tasks": TaskQuery => u64;
    AddTask = "add_task": NewTask => Task;
    UpdateTask = "update_task": (Uuid, TaskPatch) => Task;
    ListTags = "list_tags": () => Vec<Tag>;
    TagRecord = "tag_record": TagRequest => Tag;
    UntagRecord = "untag_record": TagRequest => ();
    /// Moves any record to the trash; `RestoreRecord` brings it back (undo).
    TrashRecord = "trash_record": RecordRef => ();
    RestoreRecord = "restore_record": RecordRef => ();
    /// The Trash screen: what is in the trash, newest deletion first.
    TrashList = "trash_list": crate::trash::TrashQuery => crate::trash::TrashList;
    /// Deletes one record in the trash for good (a live record is refused).
    TrashDeleteForGood = "trash_delete_for_good": RecordRef => ();
    /// Deletes everything in the trash (of one kind, or all) for good; answers how many went.
    TrashEmpty = "trash_empty": Option<crate::RecordKind> => u64;
    /// Sets how many days the trash keeps records (0: until deleted by hand).
    TrashSetRetention = "trash_set_retention": u32 => crate::trash::TrashList;
    Bulk = "bulk": BulkRequest => BulkResult;
    Search = "search": SearchQuery => Vec<SearchHit>;
    Timeline = "timeline": RecordRef => Vec<TimelineEvent>;
    GetDashboard = "get_dashboard": () => Dashboard;
    ListSavedViews = "list_saved_views": RecordKind => Vec<SavedView>;
    SaveView = "save_view": NewSavedView => SavedView;
    DeleteSavedView = "delete_saved_view": Uuid => ();
    GetSettings = "get_settings": () => Settings;
    SaveSettings = "save_settings": Settings => Settings;
    GetAppInfo = "get_app_info": () => AppInfo;
    BackupDatabase = "backup_database": () => FileWritten;
    ExportCsv = "export_csv": CsvObject => FileWritten;
    /// Connection, settings, cursors, totals and the last sync run.
    WhopGetStatus = "whop_status": () => WhopStatus;
    /// Starts Connect Whop: the shell opens the browser on the returned page; the login completes
    /// when the `dealdesk://` redirect comes back (a `WhopChanged` or `WhopLoginFailed` event).
    WhopConnect = "whop_connect": () => WhopLoginStarted;
    /// Connect Whop with a loopback redirect instead of the `dealdesk://` link (RFC 8252): for
    /// when the browser cannot hand the link back to the app.
    WhopConnectLoopback = "whop_connect_loopback": () => WhopLoginStarted;
    /// Revokes and deletes the tokens; synced data stays.
    WhopDisconnect = "whop_disconnect": () => ();
    /// Runs a sync now (progress arrives as `WhopSync` events); answers with the finished run.
    WhopSyncNow = "whop_sync_now": () => SyncRun;
    WhopSaveSettings = "whop_save_settings": WhopSettings => WhopSettings;
    WhopSyncHistory = "whop_sync_history": () => Vec<SyncRun>;
    /// Which business accounts to sync (ids of `WhopStatus::businesses`; at least one).
    WhopSelectBusinesses = "whop_select_businesses": Vec<String> => WhopStatus;
    /// Checks the connection end to end, one line per check (as `dealdesk-cli whop doctor`).
    WhopDoctor = "whop_doctor": () => Vec<DoctorCheck>;
    /// A person's memberships, payments and lifetime value, for one of their businesses or all.
    WhopGetPersonSummary = "whop_person_summary": WhopPersonQuery => WhopPersonSummary;
    /// Revenue per product, for one business or all.
    WhopGetProductRevenue = "whop_product_revenue": Option<String> => Vec<ProductRevenue>;
    /// The Revenue screen: summary, 12 months of MRR and net revenue, cohorts, LTV, top customers.
    RevenueGetOverview = "revenue_overview": SummaryQuery => RevenueOverview;
    /// The customers behind one MRR figure (a month's movement in one currency).
    RevenueDrill = "revenue_drill": MrrDrill => Vec<DrillRow>;
    /// The customers behind a net revenue month, a cohort cell or an LTV row.
    RevenueFigureCustomers = "revenue_figure_customers": FigureQuery => Vec<FigureCustomer>;
    /// The Recover screen: past-due memberships and failed payments, most at stake first.
    RecoverGetList = "recover_list": RevenueScope => RecoverList;
    /// How many customers each churn segment holds (the sidebar's counts).
    ChurnGetSegments = "churn_segments": RevenueScope => Vec<SegmentCount>;
    /// A churn segment's customers with their at-risk score and its reasons, highest first.
    ChurnGetCustomers = "churn_customers": ChurnQuery => Vec<ChurnCustomer>;
    /// The membership a Whop deal mirrors (with pending changes applied), if it is one.
    WhopGetDealMembership = "whop_deal_membership": Uuid => Option<WhopMembershipView>;
    /// Promo codes, for one business or all.
    WhopListPromoCodes = "whop_promo_codes": Option<String> => Vec<WhopPromoCodeView>;
    /// Records a Whop action locally and queues it; it reaches Whop when the network allows.
    WhopRunAction = "whop_action": WhopAction => OutboxEntry;
    /// Waiting, failed and conflicting counts plus connectivity.
    OutboxGetSummary = "outbox_summary": () => OutboxSummary;
    /// Open operations (pending, in flight, failed, conflict), oldest first; `true` adds finished ones.
    OutboxList = "outbox_list": bool => Vec<OutboxEntry>;
    OutboxRetry = "outbox_retry": i64 => OutboxEntry;
    OutboxDiscard = "outbox_discard": i64 => OutboxEntry;
    /// Unresolved conflicts, oldest first.
    ConflictsList = "conflicts_list": () => Vec<ConflictView>;
    ConflictResolve = "conflict_resolve": ResolveConflict => ConflictView;
    /// Puts back the value a field had before one change of the record's history.
    RestoreField = "restore_field_value": RestoreFieldValue => ();
    /// Settings → AI: saved and effective settings, the key's state, this month's spend.
    AiGetStatus = "ai_status": () => AiStatus;
    AiSaveSettings = "ai_save_settings": SaveAiSettings => AiStatus;
    /// Sends a tiny request with the effective settings.
    AiTestConnection = "ai_test_connection": () => AiConnectionTest;
    /// Runs an action on a record now, or queues it when offline.
    AiRun = "ai_run": AiRunRequest => AiRunOutcome;
    /// A record's sentiment, lead score, unread texts and drafts, and queued runs.
    AiGetInsights = "ai_insights": RecordRef => AiInsights;
    /// Marks a text or draft result as used or dismissed.
    AiDismissResult = "ai_dismiss_result": i64 => ();
    /// Saves a generated text as a note on its record and marks it used, in one step.
    AiSaveResultAsNote = "ai_save_result_as_note": i64 => Note;
    /// Opens an email draft in the user's mail client (a `mailto:` link to the address given).
    AiOpenDraftInMail = "ai_open_draft_in_mail": OpenDraftInMail => ();
    AiGetUsage = "ai_usage": () => AiUsageReport;
    /// The newest version of each template.
    PromptTemplatesList = "prompt_templates": () => Vec<PromptTemplate>;
    /// Every version of one template, newest first.
    PromptTemplateVersions = "prompt_template_versions": Uuid => Vec<PromptTemplate>;
    PromptTemplateSave = "prompt_template_save": SavePromptTemplate => PromptTemplate;
    /// Makes a template the one its action uses.
    PromptTemplateActivate = "prompt_template_activate": Uuid => PromptTemplate;
    PromptTemplatePreview = "prompt_preview": PromptPreviewRequest => PromptPreview;
    PromptMergeFields = "prompt_merge_fields": MergeFieldsRequest => Vec<MergeField>;
    WorkflowsList = "workflows_list": () => Vec<Workflow>;
    WorkflowSave = "workflow_save": SaveWorkflow => Workflow;
    WorkflowDelete = "workflow_delete": Uuid => ();
    /// Runs a workflow now and answers with the finished (or waiting) run.
    WorkflowRunNow = "workflow_run": RunWorkflow => WorkflowRun;
    WorkflowRuns = "workflow_runs": RunsQuery => Vec<WorkflowRun>;
    /// Settings → Contracts: switches, connections, polling.
    EsignGetStatus = "esign_status": () => EsignStatus;
    EsignSaveSettings = "esign_save_settings": SaveEsignSettings => EsignStatus;
    /// Starts Connect DocuSign (PKCE); completes when `dealdesk://oauth/docusign/callback` comes back.
    EsignConnectDocuSign = "esign_connect_docusign": () => WhopLoginStarted;
    EsignDisconnectDocuSign = "esign_disconnect_docusign": () => ();
    /// Forgets the Dropbox Sign API key stored in the keyring.
    EsignRemoveDropboxSignKey = "esign_remove_dropbox_sign_key": () => EsignStatus;
    ContractTemplatesList = "contract_templates": () => Vec<ContractTemplate>;
    ContractTemplateSave = "contract_template_save": SaveContractTemplate => ContractTemplate;
    ContractTemplateDelete = "contract_template_delete": Uuid => ();
    /// Renders a template on a deal (SVG pages), or says what is missing.
    ContractPreviewRender = "contract_preview": ContractPreviewRequest => ContractPreview;
    /// The merge fields and their values on a deal (the editor's completion list).
    ContractFields = "contract_fields": Uuid => Vec<ContractField>;
    /// Renders, stores (encrypted) and queues the contract; it goes out when the network allows.
    ContractSend = "contract_send": SendContract => Contract;
    /// A deal's contracts, newest first.
    ContractsForDeal = "contracts_for_deal": Uuid => Vec<Contract>;
    /// Asks the provider for this contract's status now.
    ContractRefresh = "contract_refresh": Uuid => Contract;
    ContractVoid = "contract_void": (Uuid, String) => Contract;
    /// The signed PDF (or the sent draft before completion), decrypted in memory.
    ContractOpenPdf = "contract_pdf": Uuid => ContractPdf;
    /// Writes the signed PDF to the user's downloads folder (the only plaintext copy on disk).
    ContractExportPdf = "contract_export_pdf": Uuid => FileWritten;
    /// First run: whether to show the welcome screen, and where the data lives.
    WelcomeGet = "welcome": () => Welcome;
    WelcomeDismiss = "welcome_dismiss": () => ();
    /// Loads the sample workspace through the CSV import (and a few notes and tasks).
    SampleDataLoad = "sample_data_load": () => SampleLoaded;
    /// Imports (or, with `dry_run`, checks) a CSV file picked in the window.
    ImportCsv = "import_csv": ImportCsvRequest => ImportReport;
    BackupsList = "backups_list": () => Backups;
    /// Checks the backup, takes a copy of the current database, and restores at the next start;
    /// the app then restarts itself (a `RestartRequired` event).
    BackupRestore = "backup_restore": String => Backups;
    /// Forgets a restore still waiting for the next start.
    BackupRestoreCancel = "backup_restore_cancel": () => Backups;
    /// The backups, read without the database: for the "cannot open its database" screen, so it
    /// answers while every other command answers `Unavailable`.
    UnavailableBackupsList = "unavailable_backups_list": () => Backups;
    /// Puts a backup in place of the database that could not be opened (the damaged file kept
    /// aside), then restarts the app on it. Refused once the database is open.
    UnavailableRestore = "unavailable_restore": String => crate::support::RestoredInPlace;
    /// Help → Diagnostics.
    DiagnosticsGet = "diagnostics": () => Diagnostics;
    /// Opens the logs folder in the file manager.
    OpenLogsFolder = "open_logs_folder": () => ();
    /// Settings → Team: this desktop's team workspace, `None` when it is in none.
    TeamGetStatus = "team_status": () => Option<TeamStatus>;
    /// Makes the hub on an empty PostgreSQL database, with this desktop as the owner.
    TeamCreate = "team_init": TeamInit => TeamStatus;
    /// A join code for a new member (the owner only).
    TeamInviteMember = "team_invite": TeamInvite => String;
    TeamJoin = "team_join": String => TeamStatus;
    /// Pushes and pulls now; answers with what it did.
    TeamSyncNow = "team_sync_now": () => TeamSyncReport;
    TeamListMembers = "team_members": () => Vec<TeamMember>;
    /// Removes a member by email (the owner only): their access ends at once.
    TeamRemoveMember = "team_remove": String => ();
    /// Stops syncing; the local copy stays.
    TeamLeave = "team_leave": () => ();
    /// The owner brings a hub made by an older Dealdesk to this one's schema; answers with the
    /// version it was at.
    TeamUpgradeHub = "team_upgrade_hub": () => i32;
    /// Makes this desktop the one that runs the workspace's Whop automations.
    TeamRunWhopHere = "team_run_whop_here": () => TeamStatus;
    /// Changes from other desktops that wait for what they need, oldest first.
    TeamListHeld = "team_held": () => Vec<TeamHeldChange>;
    /// Drops a held change by its hub number: this desktop keeps its own version of what it
    /// changed.
    TeamDiscardHeld = "team_discard_held": i64 => ();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_unique_snake_case() {
        let mut names = ALL_COMMANDS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_COMMANDS.len());
        assert!(ALL_COMMANDS.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }
}
