use crate::CrmError;

/// A CSV file that cannot be imported at all. Problems with single rows are not errors: they are
/// reported per row in the `ImportReport`.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error(
        "the file is not valid UTF-8 (first bad byte on line {line}); save it as UTF-8 or choose its encoding, e.g. windows-1252 (Encoding in the import dialog, --encoding in the CLI)"
    )]
    NotUtf8 { line: u64 },
    #[error("unknown encoding '{0}' (try utf-8, utf-16le, windows-1252, iso-8859-1, shift_jis)")]
    UnknownEncoding(String),
    #[error("the file is not valid {encoding}")]
    BadEncoding { encoding: String },
    #[error("the file is empty: expected a header row")]
    Empty,
    #[error("column {column} has an empty header")]
    EmptyHeader { column: usize },
    #[error("the header '{0}' appears twice")]
    DuplicateHeader(String),
    #[error("two columns fill the field '{field}': '{first}' and '{second}'")]
    DuplicateField { field: String, first: String, second: String },
    #[error("missing required column for '{field}' (headers found: {headers})")]
    MissingColumn { field: String, headers: String },
    #[error("--map names a column '{0}' that is not in the file")]
    UnknownMappedColumn(String),
    #[error("--map names an unknown field '{field}' for {object} (fields: {known})")]
    UnknownMappedField { object: String, field: String, known: String },
    #[error("bad --map '{0}': expected HEADER=FIELD")]
    BadMapping(String),
    #[error("cannot read the CSV: {0}")]
    Csv(String),
    #[error(transparent)]
    Crm(#[from] CrmError),
}

impl From<sqlx::Error> for ImportError {
    fn from(error: sqlx::Error) -> Self {
        ImportError::Crm(CrmError::Database(error))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the CSV: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Crm(#[from] CrmError),
}
