//! The Import CSV dialog as plain data: the object, the chosen file (kept through errors), the
//! dry run's report, the real run, and the texts about them.

use dealdesk_model::support::{ImportCsvRequest, SampleLoaded};
use dealdesk_model::{CsvObject, ImportReport, RecordKind};
use std::collections::BTreeSet;
use std::rc::Rc;
use yew::Reducible;

/// Rejected rows listed in the report; the rest are counted.
pub const REJECTED_SHOWN: usize = 50;

/// Files larger than this are refused in the window: the bytes cross the IPC as one JSON message
/// (several times their size in memory); `dealdesk-cli import` takes files up to 50 MB.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The objects the dialog offers, in order.
pub const OBJECTS: [CsvObject; 3] = [CsvObject::People, CsvObject::Companies, CsvObject::Deals];

/// The encodings the import dialog offers (WHATWG labels, as the core reads them) beside
/// "Automatic": what spreadsheets on Windows and older Macs, and Japanese Excel, save.
pub const ENCODINGS: &[(&str, &str)] = &[
    ("", "Automatic (UTF-8 or UTF-16)"),
    ("windows-1252", "Western, Windows (Excel on Windows)"),
    ("iso-8859-1", "Western, ISO Latin-1"),
    ("macintosh", "Western, Mac OS Roman"),
    ("windows-1250", "Central European, Windows"),
    ("shift_jis", "Japanese, Shift JIS"),
];

/// The encoding a select value stands for (`None` for automatic).
pub fn encoding_of(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

/// "People", "Companies", "Deals".
pub fn object_label(object: CsvObject) -> &'static str {
    match object {
        CsvObject::People => "People",
        CsvObject::Companies => "Companies",
        CsvObject::Deals => "Deals",
    }
}

/// "1 person", "3 people", "1 company", "0 deals".
pub fn count_noun(object: CsvObject, count: u64) -> String {
    let (one, many) = match object {
        CsvObject::People => ("person", "people"),
        CsvObject::Companies => ("company", "companies"),
        CsvObject::Deals => ("deal", "deals"),
    };
    format!("{count} {}", if count == 1 { one } else { many })
}

/// "1 row", "12 rows".
pub fn rows_text(count: u64) -> String {
    if count == 1 { "1 row".to_string() } else { format!("{count} rows") }
}

/// The CSV object a list of records imports into (tasks and notes have none).
pub fn object_of(kind: RecordKind) -> Option<CsvObject> {
    match kind {
        RecordKind::Person => Some(CsvObject::People),
        RecordKind::Company => Some(CsvObject::Companies),
        RecordKind::Deal => Some(CsvObject::Deals),
        RecordKind::Note | RecordKind::Task => None,
    }
}

/// Lines of the file with at least one rejection (a row can be rejected for several fields).
pub fn rejected_lines(report: &ImportReport) -> u64 {
    report.rejected.iter().map(|r| r.line).collect::<BTreeSet<_>>().len() as u64
}

/// Rows that would be imported: every row but the rejected ones.
pub fn good_rows(report: &ImportReport) -> u64 {
    report.rows.saturating_sub(rejected_lines(report))
}

/// The toast after an import that went through.
pub fn imported_text(report: &ImportReport) -> String {
    let mut text = format!(
        "Imported {}: {} new, {} updated, {} unchanged",
        count_noun(report.object, report.created + report.updated + report.unchanged),
        report.created,
        report.updated,
        report.unchanged
    );
    let skipped = rejected_lines(report);
    if skipped > 0 {
        text.push_str(&format!("; skipped {}", rows_text(skipped)));
    }
    text
}

/// The toast after loading the sample workspace: what it holds.
pub fn sample_text(loaded: &SampleLoaded) -> String {
    let mut parts: Vec<String> =
        loaded.reports.iter().map(|r| count_noun(r.object, r.created + r.updated + r.unchanged)).collect();
    if loaded.notes > 0 {
        parts.push(if loaded.notes == 1 { "1 note".into() } else { format!("{} notes", loaded.notes) });
    }
    if loaded.tasks > 0 {
        parts.push(if loaded.tasks == 1 { "1 task".into() } else { format!("{} tasks", loaded.tasks) });
    }
    if parts.is_empty() {
        "Loaded the sample data".to_string()
    } else {
        format!("Loaded sample data: {}", parts.join(", "))
    }
}

/// The column mapping line: the field a header fills, or "ignored".
pub fn mapping_text(field: Option<&str>) -> String {
    field.map(|f| f.replace('_', " ")).unwrap_or_else(|| "ignored".to_string())
}

/// The file the user picked, read in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenFile {
    pub name: String,
    pub bytes: Rc<Vec<u8>>,
}

/// What the dialog is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportStep {
    /// Waiting for a file (or for the user).
    #[default]
    Idle,
    Reading,
    /// The dry run.
    Checking,
    Importing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportView {
    pub object: CsvObject,
    pub file: Option<ChosenFile>,
    pub step: ImportStep,
    /// The latest dry run for this file and object.
    pub report: Option<ImportReport>,
    pub keep_good_rows: bool,
    /// The file's encoding, `None` for automatic (UTF-8, or UTF-16 with a byte-order mark).
    pub encoding: Option<String>,
    /// Why the last step failed (the file stays chosen).
    pub error: Option<String>,
    /// Bumped by every change that makes an answer in flight stale.
    pub generation: u64,
}

impl ImportView {
    pub fn new(object: CsvObject) -> ImportView {
        ImportView {
            object,
            file: None,
            step: ImportStep::Idle,
            report: None,
            keep_good_rows: false,
            encoding: None,
            error: None,
            generation: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportAction {
    Object(CsvObject),
    /// Another encoding (`None`: automatic): the file is checked again.
    Encoding(Option<String>),
    Reading,
    /// The file could not be read (or is too large).
    ReadFailed(String),
    File(ChosenFile),
    KeepGoodRows(bool),
    Checking,
    Checked {
        generation: u64,
        result: Result<ImportReport, String>,
    },
    Importing,
    /// The real run answered: a report that did not commit stays on screen with an error.
    Imported {
        generation: u64,
        result: Result<ImportReport, String>,
    },
}

impl ImportView {
    pub fn apply(&self, action: ImportAction) -> ImportView {
        let mut next = self.clone();
        match action {
            ImportAction::Object(object) => {
                if object != next.object {
                    next.object = object;
                    next.report = None;
                    next.error = None;
                    next.step = ImportStep::Idle;
                    next.generation += 1;
                }
            }
            ImportAction::Encoding(encoding) => {
                if encoding != next.encoding {
                    next.encoding = encoding;
                    next.report = None;
                    next.error = None;
                    next.step = ImportStep::Idle;
                    next.generation += 1;
                }
            }
            ImportAction::Reading => {
                next.step = ImportStep::Reading;
                next.error = None;
                next.generation += 1;
            }
            // The previous file and its report go: "Import" must never run a file other than
            // the one the user just picked.
            ImportAction::ReadFailed(message) => {
                next.step = ImportStep::Idle;
                next.error = Some(message);
                next.file = None;
                next.report = None;
            }
            ImportAction::File(file) => {
                next.file = Some(file);
                next.report = None;
                next.keep_good_rows = false;
                next.error = None;
                next.step = ImportStep::Idle;
                next.generation += 1;
            }
            ImportAction::KeepGoodRows(keep) => next.keep_good_rows = keep,
            ImportAction::Checking => {
                next.step = ImportStep::Checking;
                next.error = None;
            }
            ImportAction::Checked { generation, result } => {
                if generation == next.generation {
                    next.step = ImportStep::Idle;
                    match result {
                        Ok(report) => next.report = Some(report),
                        Err(message) => {
                            next.report = None;
                            next.error = Some(message);
                        }
                    }
                }
            }
            ImportAction::Importing => {
                next.step = ImportStep::Importing;
                next.error = None;
            }
            ImportAction::Imported { generation, result } => {
                if generation == next.generation {
                    next.step = ImportStep::Idle;
                    match result {
                        Ok(report) if report.committed => next.report = Some(report),
                        Ok(report) => {
                            next.error = Some(format!(
                                "Nothing was imported: {} rejected. Fix them in the file, or import the good rows only.",
                                rows_text(rejected_lines(&report))
                            ));
                            next.report = Some(report);
                        }
                        Err(message) => next.error = Some(message),
                    }
                }
            }
        }
        next
    }

    /// The request for a dry run (`true`) or the real import; `None` without a file.
    pub fn request(&self, dry_run: bool) -> Option<ImportCsvRequest> {
        let file = self.file.as_ref()?;
        Some(ImportCsvRequest {
            object: self.object,
            file_name: file.name.clone(),
            bytes: file.bytes.as_ref().clone(),
            dry_run,
            keep_good_rows: self.keep_good_rows,
            encoding: self.encoding.clone(),
        })
    }

    pub fn busy(&self) -> bool {
        self.step != ImportStep::Idle
    }

    /// Rows the real run would import, once the dry run answered.
    pub fn rows_to_import(&self) -> Option<u64> {
        self.report.as_ref().map(good_rows)
    }

    /// Whether the real run can start: a checked file with good rows, and with rejected rows only
    /// when the user chose to import the good ones.
    pub fn can_import(&self) -> bool {
        let Some(report) = &self.report else { return false };
        !self.busy()
            && self.file.is_some()
            && good_rows(report) > 0
            && (report.rejected.is_empty() || self.keep_good_rows)
    }

    /// The run button's text.
    pub fn run_label(&self) -> String {
        match (self.step, self.rows_to_import()) {
            (ImportStep::Importing, _) => "Importing…".to_string(),
            (_, Some(rows)) => format!("Import {}", rows_text(rows)),
            (_, None) => "Import".to_string(),
        }
    }

    /// Why the run button is off, when a report is on screen.
    pub fn blocked_reason(&self) -> Option<&'static str> {
        let report = self.report.as_ref()?;
        if good_rows(report) == 0 {
            Some("No row of this file can be imported.")
        } else if !report.rejected.is_empty() && !self.keep_good_rows {
            Some("Some rows are rejected: fix them in the file and choose it again, or import the good rows only.")
        } else {
            None
        }
    }
}

impl Reducible for ImportView {
    type Action = ImportAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::{ColumnMapping, RejectedRow};

    fn report(rows: u64, rejected: &[u64]) -> ImportReport {
        ImportReport {
            object: CsvObject::People,
            dry_run: true,
            committed: false,
            rows,
            created: rows - rejected.len() as u64,
            updated: 0,
            unchanged: 0,
            rejected: rejected
                .iter()
                .map(|line| RejectedRow { line: *line, reason: "bad email".into(), field: Some("email".into()) })
                .collect(),
            columns: vec![ColumnMapping { header: "E-mail".into(), field: Some("email".into()) }],
        }
    }

    fn file() -> ChosenFile {
        ChosenFile { name: "people.csv".into(), bytes: Rc::new(b"name,email\nAnn,ann@x.io\n".to_vec()) }
    }

    #[test]
    fn another_encoding_checks_the_file_again_and_travels_with_the_request() {
        let mut v = ImportView::new(CsvObject::People).apply(ImportAction::File(file()));
        assert_eq!(v.request(true).unwrap().encoding, None);
        let generation = v.generation;
        v = v.apply(ImportAction::Checked { generation, result: Err("the file is not valid UTF-8".into()) });
        assert!(v.error.is_some());
        v = v.apply(ImportAction::Encoding(encoding_of("windows-1252")));
        assert!(v.generation > generation, "the answer for the old encoding is stale");
        assert!(v.error.is_none() && v.report.is_none(), "checked again");
        assert_eq!(v.request(true).unwrap().encoding.as_deref(), Some("windows-1252"));
        let same = v.generation;
        v = v.apply(ImportAction::Encoding(encoding_of("windows-1252")));
        assert_eq!(v.generation, same, "the same choice changes nothing");
        assert_eq!(v.apply(ImportAction::Encoding(encoding_of(""))).encoding, None);
    }

    #[test]
    fn a_file_is_checked_then_imported() {
        let mut v = ImportView::new(CsvObject::People);
        assert!(v.request(true).is_none());
        v = v.apply(ImportAction::Reading);
        v = v.apply(ImportAction::File(file()));
        let request = v.request(true).unwrap();
        assert_eq!(
            (request.dry_run, request.file_name.as_str(), request.object),
            (true, "people.csv", CsvObject::People)
        );
        v = v.apply(ImportAction::Checking);
        assert!(v.busy() && !v.can_import());
        let generation = v.generation;
        v = v.apply(ImportAction::Checked { generation, result: Ok(report(3, &[])) });
        assert!(v.can_import());
        assert_eq!(v.run_label(), "Import 3 rows");
        v = v.apply(ImportAction::Importing);
        assert_eq!(v.run_label(), "Importing…");
        let done = ImportReport { committed: true, dry_run: false, ..report(3, &[]) };
        v = v.apply(ImportAction::Imported { generation, result: Ok(done) });
        assert_eq!((v.error.clone(), v.report.as_ref().map(|r| r.committed)), (None, Some(true)));
    }

    #[test]
    fn rejected_rows_need_consent() {
        let mut v = ImportView::new(CsvObject::People).apply(ImportAction::File(file()));
        let generation = v.generation;
        // Line 4 is rejected twice (two fields): one row.
        v = v.apply(ImportAction::Checked { generation, result: Ok(report(5, &[2, 4, 4])) });
        assert_eq!(v.rows_to_import(), Some(3));
        assert!(!v.can_import());
        assert!(v.blocked_reason().unwrap().contains("good rows"));
        v = v.apply(ImportAction::KeepGoodRows(true));
        assert!(v.can_import() && v.blocked_reason().is_none());
        assert!(v.request(false).unwrap().keep_good_rows);
        // A real run that did not commit explains why and keeps the report.
        v = v.apply(ImportAction::Imported { generation, result: Ok(report(5, &[2, 4])) });
        assert!(v.error.as_deref().unwrap().starts_with("Nothing was imported: 2 rows rejected"));
        assert!(v.report.is_some() && v.file.is_some());
    }

    #[test]
    fn errors_keep_the_file_and_stale_answers_are_ignored() {
        let mut v = ImportView::new(CsvObject::People).apply(ImportAction::File(file()));
        let old = v.generation;
        v = v.apply(ImportAction::Checked { generation: old, result: Err("the file is not UTF-8".into()) });
        assert_eq!(v.error.as_deref(), Some("the file is not UTF-8"));
        assert_eq!(v.file, Some(file()));
        // Another object: the old answer no longer applies.
        v = v.apply(ImportAction::Object(CsvObject::Deals));
        v = v.apply(ImportAction::Checked { generation: old, result: Ok(report(1, &[])) });
        assert_eq!((v.report.clone(), v.object, v.error.clone()), (None, CsvObject::Deals, None));
        assert_eq!(v.request(true).unwrap().object, CsvObject::Deals);
        // The same object again changes nothing.
        let same = v.apply(ImportAction::Object(CsvObject::Deals));
        assert_eq!(same.generation, v.generation);
        // A failed read drops the previous file and its report: Import cannot run the old one.
        let failed = v.apply(ImportAction::Reading).apply(ImportAction::ReadFailed("too large".into()));
        assert_eq!((failed.file.clone(), failed.step), (None, ImportStep::Idle));
        assert!(!failed.can_import());
    }

    #[test]
    fn texts() {
        assert_eq!(count_noun(CsvObject::People, 1), "1 person");
        assert_eq!(count_noun(CsvObject::Companies, 2), "2 companies");
        assert_eq!(rows_text(1), "1 row");
        assert_eq!(mapping_text(Some("job_title")), "job title");
        assert_eq!(mapping_text(None), "ignored");
        let done = ImportReport { committed: true, created: 2, updated: 1, unchanged: 0, ..report(4, &[3]) };
        assert_eq!(imported_text(&done), "Imported 3 people: 2 new, 1 updated, 0 unchanged; skipped 1 row");
        let deals = ImportReport { object: CsvObject::Deals, created: 4, ..report(4, &[]) };
        let sample = SampleLoaded { reports: vec![report(2, &[]), deals], notes: 3, tasks: 1 };
        assert_eq!(sample_text(&sample), "Loaded sample data: 2 people, 4 deals, 3 notes, 1 task");
        assert_eq!(object_of(RecordKind::Company), Some(CsvObject::Companies));
        assert_eq!(object_of(RecordKind::Task), None);
    }
}
