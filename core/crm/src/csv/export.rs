//! CSV export of people, companies and deals, in the column layout the import reads back.

use super::ExportError;
use super::columns::fields;
use crate::{Crm, CrmError};
use dealdesk_model::{
    CompanyQuery, CsvObject, CustomFieldDef, CustomValues, DealQuery, MAX_PAGE_SIZE, PersonQuery, RecordKind,
};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

/// Spreadsheet apps run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula
/// (CSV injection). Such cells get a leading `'` unless they are plain numbers; the import strips
/// it again, so a round trip keeps the value.
pub fn guard_formula(value: &str) -> Cow<'_, str> {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let plain_number = dealdesk_model::money::parse_decimal_micros(value).is_ok();
    if risky && !plain_number { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) }
}

fn custom_cell(values: &CustomValues, key: &str) -> String {
    match values.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

struct Out<W: Write> {
    writer: csv::Writer<W>,
    rows: u64,
}

impl<W: Write> Out<W> {
    fn header(&mut self, object: CsvObject, defs: &[CustomFieldDef]) -> Result<(), ExportError> {
        let names = fields(object).iter().map(|f| f.name).filter(|name| *name != "name" || object != CsvObject::People);
        let mut header: Vec<String> = names.map(str::to_string).collect();
        header.extend(defs.iter().map(|d| d.key.clone()));
        self.writer.write_record(&header)?;
        Ok(())
    }

    fn row(
        &mut self,
        mut cells: Vec<String>,
        custom: &CustomValues,
        defs: &[CustomFieldDef],
    ) -> Result<(), ExportError> {
        cells.extend(defs.iter().map(|d| custom_cell(custom, &d.key)));
        self.writer.write_record(cells.iter().map(|c| guard_formula(c).into_owned()))?;
        self.rows += 1;
        Ok(())
    }
}

impl Crm {
    /// Writes every live record of `object` as CSV; returns the number of rows written.
    pub async fn export_csv<W: Write>(&self, object: CsvObject, writer: W) -> Result<u64, ExportError> {
        let kind = match object {
            CsvObject::People => RecordKind::Person,
            CsvObject::Companies => RecordKind::Company,
            CsvObject::Deals => RecordKind::Deal,
        };
        let defs = self.custom_fields(kind).await?;
        let mut out = Out { writer: csv::Writer::from_writer(writer), rows: 0 };
        out.header(object, &defs)?;
        let limit = Some(MAX_PAGE_SIZE);
        match object {
            CsvObject::People => {
                let mut query = PersonQuery { limit, ..Default::default() };
                loop {
                    let page = self.list_people(&query).await?;
                    for p in &page.items {
                        let cells = vec![
                            p.id.to_string(),
                            p.first_name.clone(),
                            p.last_name.clone(),
                            opt(&p.email),
                            opt(&p.phone),
                            opt(&p.job_title),
                            opt(&p.city),
                            opt(&p.linkedin_url),
                            opt(&p.avatar_url),
                            p.company_id.map(|c| c.to_string()).unwrap_or_default(),
                            opt(&p.company_name),
                            p.tags.join("; "),
                        ];
                        out.row(cells, &p.custom, &defs)?;
                    }
                    match page.next_cursor {
                        Some(cursor) => query.cursor = Some(cursor),
                        None => break,
                    }
                }
            }
            CsvObject::Companies => {
                let mut query = CompanyQuery { limit, ..Default::default() };
                loop {
                    let page = self.list_companies(&query).await?;
                    for c in &page.items {
                        let cells = vec![
                            c.id.to_string(),
                            c.name.clone(),
                            opt(&c.domain),
                            c.employees.map(|e| e.to_string()).unwrap_or_default(),
                            c.arr.as_ref().map(|m| m.amount_text()).unwrap_or_default(),
                            c.arr.as_ref().map(|m| m.currency.clone()).unwrap_or_default(),
                            opt(&c.address),
                            opt(&c.linkedin_url),
                            c.icp.to_string(),
                            c.tags.join("; "),
                        ];
                        out.row(cells, &c.custom, &defs)?;
                    }
                    match page.next_cursor {
                        Some(cursor) => query.cursor = Some(cursor),
                        None => break,
                    }
                }
            }
            CsvObject::Deals => {
                let pipelines: HashMap<_, _> =
                    self.list_pipelines().await?.into_iter().map(|p| (p.id, p.name)).collect();
                let mut query = DealQuery { limit, ..Default::default() };
                loop {
                    let page = self.list_deals(&query).await?;
                    for d in &page.items {
                        let pipeline = pipelines
                            .get(&d.pipeline_id)
                            .cloned()
                            .ok_or_else(|| CrmError::UnknownPipeline(d.pipeline_id.to_string()))?;
                        let cells = vec![
                            d.id.to_string(),
                            d.name.clone(),
                            d.amount.amount_text(),
                            d.amount.currency.clone(),
                            d.close_date.map(|c| c.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                            pipeline,
                            d.stage_name.clone(),
                            d.status.as_str().to_string(),
                            opt(&d.lost_reason),
                            d.contact_id.map(|c| c.to_string()).unwrap_or_default(),
                            opt(&d.contact_name),
                            d.company_id.map(|c| c.to_string()).unwrap_or_default(),
                            opt(&d.company_name),
                            d.tags.join("; "),
                        ];
                        out.row(cells, &d.custom, &defs)?;
                    }
                    match page.next_cursor {
                        Some(cursor) => query.cursor = Some(cursor),
                        None => break,
                    }
                }
            }
        }
        out.writer.flush()?;
        Ok(out.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::guard_formula;

    #[test]
    fn formulas_are_neutralised_but_numbers_are_not() {
        assert_eq!(guard_formula("=cmd()"), "'=cmd()");
        assert_eq!(guard_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard_formula("+1-2"), "'+1-2");
        assert_eq!(guard_formula("-12.5"), "-12.5");
        assert_eq!(guard_formula("Ann"), "Ann");
    }
}
