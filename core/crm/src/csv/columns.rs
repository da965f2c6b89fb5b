//! Which CSV column fills which field: by header (with common aliases), overridable by the user.

use super::ImportError;
use dealdesk_model::{ColumnMapping, CsvObject, CustomFieldDef};
use std::collections::HashMap;

pub(crate) struct FieldSpec {
    /// The canonical name; also the header the export writes.
    pub name: &'static str,
    /// Other normalised headers that mean the same.
    pub aliases: &'static [&'static str],
}

const fn field(name: &'static str, aliases: &'static [&'static str]) -> FieldSpec {
    FieldSpec { name, aliases }
}

const PEOPLE: &[FieldSpec] = &[
    field("id", &["record_id"]),
    field("first_name", &["firstname", "first", "given_name"]),
    field("last_name", &["lastname", "last", "surname", "family_name"]),
    field("name", &["full_name", "fullname", "contact_name"]),
    field("email", &["email_address", "e_mail", "mail", "primary_email"]),
    field("phone", &["phone_number", "mobile", "telephone", "tel"]),
    field("job_title", &["title", "position", "role", "jobtitle"]),
    field("city", &["town", "location"]),
    field("linkedin_url", &["linkedin", "linkedin_profile"]),
    field("avatar_url", &["avatar", "photo", "picture"]),
    field("company_id", &[]),
    field("company", &["company_name", "organization", "organisation", "account"]),
    field("tags", &["labels"]),
];

const COMPANIES: &[FieldSpec] = &[
    field("id", &["record_id"]),
    field("name", &["company", "company_name", "organization", "organisation"]),
    field("domain", &["website", "url", "web", "domain_name"]),
    field("employees", &["employee_count", "headcount", "size", "number_of_employees"]),
    field("arr", &["annual_recurring_revenue", "revenue"]),
    field("arr_currency", &["currency"]),
    field("address", &["street_address"]),
    field("linkedin_url", &["linkedin", "linkedin_page"]),
    field("icp", &["ideal_customer", "ideal_customer_profile"]),
    field("tags", &["labels"]),
];

const DEALS: &[FieldSpec] = &[
    field("id", &["record_id"]),
    field("name", &["deal", "deal_name", "title", "opportunity"]),
    field("amount", &["value", "deal_value", "amount_value"]),
    field("currency", &["amount_currency", "currency_code"]),
    field("close_date", &["expected_close", "expected_close_date", "close"]),
    field("pipeline", &["pipeline_name"]),
    field("stage", &["deal_stage", "stage_name"]),
    field("status", &["deal_status", "state"]),
    field("lost_reason", &["reason_lost", "loss_reason"]),
    field("contact_id", &[]),
    field("contact", &["contact_email", "person", "point_of_contact", "contact_person"]),
    field("company_id", &[]),
    field("company", &["company_name", "organization", "organisation", "account"]),
    field("tags", &["labels"]),
];

pub(crate) fn fields(object: CsvObject) -> &'static [FieldSpec] {
    match object {
        CsvObject::People => PEOPLE,
        CsvObject::Companies => COMPANIES,
        CsvObject::Deals => DEALS,
    }
}

/// Lower case, trimmed, spaces, dashes and dots as `_`: `First Name` → `first_name`.
pub(crate) fn normalize_header(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.trim().trim_start_matches('\u{feff}').chars() {
        match c {
            ' ' | '-' | '.' | '/' => {
                if !out.ends_with('_') {
                    out.push('_');
                }
            }
            c => out.extend(c.to_lowercase()),
        }
    }
    out.trim_matches('_').to_string()
}

/// Undoes the export's formula guard: `'=1+2` was written for the value `=1+2`.
pub(crate) fn unguard(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

pub(crate) struct Columns {
    by_field: HashMap<String, usize>,
    pub mapping: Vec<ColumnMapping>,
}

impl Columns {
    /// The trimmed value of `field` in this row; `None` when the column is absent or the cell empty.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, field: &str) -> Option<&'r str> {
        let index = *self.by_field.get(field)?;
        let value = unguard(record.get(index)?.trim());
        if value.is_empty() { None } else { Some(value) }
    }

    #[cfg(test)]
    pub fn has(&self, field: &str) -> bool {
        self.by_field.contains_key(field)
    }

    /// The custom field keys that have a column.
    pub fn custom_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> =
            self.by_field.keys().filter_map(|f| f.strip_prefix("custom.").map(str::to_string)).collect();
        keys.sort();
        keys
    }
}

/// Maps headers to fields. `overrides` are `(header, field)` pairs from the user; a field of `-`
/// or `ignore` drops the column.
pub(crate) fn map_columns(
    object: CsvObject,
    headers: &[String],
    custom: &[CustomFieldDef],
    overrides: &[(String, String)],
) -> Result<Columns, ImportError> {
    let specs = fields(object);
    let known_fields = || {
        specs
            .iter()
            .map(|s| s.name.to_string())
            .chain(custom.iter().map(|d| format!("custom.{}", d.key)))
            .collect::<Vec<_>>()
    };
    let mut seen = HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        let normalized = normalize_header(header);
        if normalized.is_empty() {
            return Err(ImportError::EmptyHeader { column: i + 1 });
        }
        if seen.insert(normalized, i).is_some() {
            return Err(ImportError::DuplicateHeader(header.trim().to_string()));
        }
    }
    let mut forced: HashMap<usize, Option<String>> = HashMap::new();
    for (header, field) in overrides {
        let index =
            *seen.get(&normalize_header(header)).ok_or_else(|| ImportError::UnknownMappedColumn(header.clone()))?;
        let field = field.trim();
        if field == "-" || field.eq_ignore_ascii_case("ignore") {
            forced.insert(index, None);
        } else {
            let canonical = resolve_field(specs, custom, &normalize_header(field)).ok_or_else(|| {
                ImportError::UnknownMappedField {
                    object: object.to_string(),
                    field: field.to_string(),
                    known: known_fields().join(", "),
                }
            })?;
            forced.insert(index, Some(canonical));
        }
    }

    let mut by_field: HashMap<String, usize> = HashMap::new();
    let mut mapping = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let field = match forced.get(&i) {
            Some(forced) => forced.clone(),
            None => resolve_field(specs, custom, &normalize_header(header)),
        };
        if let Some(field) = &field
            && let Some(first) = by_field.insert(field.clone(), i)
        {
            return Err(ImportError::DuplicateField {
                field: field.clone(),
                first: headers[first].trim().to_string(),
                second: header.trim().to_string(),
            });
        }
        mapping.push(ColumnMapping { header: header.trim().to_string(), field });
    }

    let missing = |field: &str| ImportError::MissingColumn {
        field: field.to_string(),
        headers: headers.iter().map(|h| h.trim()).collect::<Vec<_>>().join(", "),
    };
    let required: &[&str] = match object {
        CsvObject::People => {
            if !(by_field.contains_key("first_name")
                || by_field.contains_key("last_name")
                || by_field.contains_key("name"))
            {
                return Err(missing("first_name (or last_name, or name)"));
            }
            &[]
        }
        CsvObject::Companies => &["name"],
        CsvObject::Deals => &["name", "amount", "currency"],
    };
    for field in required {
        if !by_field.contains_key(*field) {
            return Err(missing(field));
        }
    }
    Ok(Columns { by_field, mapping })
}

fn resolve_field(specs: &[FieldSpec], custom: &[CustomFieldDef], normalized: &str) -> Option<String> {
    if let Some(spec) = specs.iter().find(|s| s.name == normalized || s.aliases.contains(&normalized)) {
        return Some(spec.name.to_string());
    }
    let key = normalized.strip_prefix("custom_").unwrap_or(normalized);
    custom
        .iter()
        .find(|d| d.key == key || normalize_header(&d.label) == normalized)
        .map(|d| format!("custom.{}", d.key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn maps_aliases_and_reports_ignored_columns() {
        let cols =
            map_columns(CsvObject::People, &headers(&["First Name", "Surname", "E-mail", "Shoe size"]), &[], &[])
                .unwrap();
        assert!(cols.has("first_name") && cols.has("last_name") && cols.has("email"));
        assert_eq!(cols.mapping[3].field, None);
    }

    #[test]
    fn overrides_win_and_are_checked() {
        let h = headers(&["Who", "Mail"]);
        let cols =
            map_columns(CsvObject::People, &h, &[], &[("Who".into(), "name".into()), ("Mail".into(), "-".into())])
                .unwrap();
        assert!(cols.has("name") && !cols.has("email"));
        assert!(matches!(
            map_columns(CsvObject::People, &h, &[], &[("Nope".into(), "name".into())]),
            Err(ImportError::UnknownMappedColumn(_))
        ));
        assert!(matches!(
            map_columns(CsvObject::People, &h, &[], &[("Who".into(), "shoe".into())]),
            Err(ImportError::UnknownMappedField { .. })
        ));
    }

    #[test]
    fn missing_duplicate_and_empty_headers_are_file_errors() {
        assert!(matches!(
            map_columns(CsvObject::Deals, &headers(&["name", "amount"]), &[], &[]),
            Err(ImportError::MissingColumn { .. })
        ));
        assert!(matches!(
            map_columns(CsvObject::People, &headers(&["name", "Name"]), &[], &[]),
            Err(ImportError::DuplicateHeader(_))
        ));
        assert!(matches!(
            map_columns(CsvObject::People, &headers(&["name", " "]), &[], &[]),
            Err(ImportError::EmptyHeader { column: 2 })
        ));
        assert!(matches!(
            map_columns(CsvObject::People, &headers(&["name", "full name"]), &[], &[]),
            Err(ImportError::DuplicateField { .. })
        ));
    }

    #[test]
    fn unguard_undoes_only_the_formula_guard() {
        assert_eq!(unguard("'=cmd()"), "=cmd()");
        assert_eq!(unguard("'quoted"), "'quoted");
        assert_eq!(unguard("plain"), "plain");
    }
}
