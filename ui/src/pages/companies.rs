use super::tag_filter;
use crate::ipc::invoke;
use crate::route::Route;
use crate::state::format;
use crate::state::table::{ColumnSpec, Edit, ViewState};
use crate::table::{FilterSpec, RecordTable, TableObject};
use dealdesk_model::ipc::{CountCompanies, ListCompanies, UpdateCompany};
use dealdesk_model::{
    ApiError, Company, CompanyPatch, CompanyQuery, CompanySort, ErrorCode, Page, RecordKind, SortDirection,
};
use uuid::Uuid;
use yew::prelude::*;

pub struct CompaniesTable;

fn query(view: &ViewState) -> CompanyQuery {
    CompanyQuery {
        text: Some(view.text.clone()).filter(|t| !t.trim().is_empty()),
        tag: view.select("tag").map(str::to_string),
        icp: view.select("icp").map(|v| v == "yes"),
        sort: match view.sort.as_deref() {
            Some("updated") => CompanySort::UpdatedAt,
            Some("created") => CompanySort::CreatedAt,
            _ => CompanySort::Name,
        },
        direction: if view.descending { SortDirection::Desc } else { SortDirection::Asc },
        ..Default::default()
    }
}

impl TableObject for CompaniesTable {
    type Record = Company;
    const KIND: RecordKind = RecordKind::Company;
    const TITLE: &'static str = "Companies";
    const NOUN: &'static str = "company";

    fn columns() -> Vec<ColumnSpec> {
        vec![
            ColumnSpec::new("name", "Name", 200).sortable().edit(Edit::Text),
            ColumnSpec::new("domain", "Domain", 160).edit(Edit::Text),
            ColumnSpec::new("employees", "Employees", 100).numeric().edit(Edit::Text),
            ColumnSpec::new("arr", "ARR", 130).numeric(),
            ColumnSpec::new("icp", "ICP", 60),
            ColumnSpec::new("tags", "Tags", 120),
            ColumnSpec::new("updated", "Updated", 110).sortable(),
            ColumnSpec::new("created", "Created", 110).sortable().hidden(),
        ]
    }

    fn id(record: &Company) -> Uuid {
        record.id
    }

    fn cell(c: &Company, key: &str) -> String {
        match key {
            "name" => c.name.clone(),
            "domain" => c.domain.clone().unwrap_or_default(),
            "employees" => c.employees.map(|e| e.to_string()).unwrap_or_default(),
            "arr" => c.arr.as_ref().map(|m| m.display()).unwrap_or_default(),
            "icp" => {
                if c.icp {
                    "Yes".into()
                } else {
                    String::new()
                }
            }
            "tags" => c.tags.join(", "),
            "updated" => format::relative(c.meta.updated_at, format::now()),
            "created" => c.meta.created_at.format("%Y-%m-%d").to_string(),
            _ => String::new(),
        }
    }

    fn route(c: &Company) -> Option<Route> {
        Some(Route::Company { id: c.id })
    }

    async fn filters() -> Vec<FilterSpec> {
        vec![
            tag_filter().await,
            FilterSpec {
                key: "icp",
                label: "ICP",
                options: vec![("yes".into(), "ICP".into()), ("no".into(), "Not ICP".into())],
            },
        ]
    }

    async fn fetch(view: ViewState, offset: u32, limit: u32) -> Result<Page<Company>, ApiError> {
        invoke::<ListCompanies>(&CompanyQuery { offset: Some(offset), limit: Some(limit), ..query(&view) }).await
    }

    async fn count(view: ViewState) -> Result<u64, ApiError> {
        invoke::<CountCompanies>(&query(&view)).await
    }

    async fn update(id: Uuid, key: &'static str, value: String) -> Result<Company, ApiError> {
        let mut patch = CompanyPatch::default();
        match key {
            "name" => patch.name = Some(value),
            "domain" => patch.domain = Some(value),
            "employees" => {
                let trimmed = value.trim();
                patch.employees = Some(if trimmed.is_empty() {
                    None
                } else {
                    Some(trimmed.parse::<i64>().map_err(|_| {
                        ApiError::new(ErrorCode::Validation, format!("'{trimmed}' is not a whole number"))
                            .with_field("employees")
                    })?)
                });
            }
            _ => {}
        }
        invoke::<UpdateCompany>(&(id, patch)).await
    }
}

#[function_component(CompaniesPage)]
pub fn companies_page() -> Html {
    html! { <RecordTable<CompaniesTable> /> }
}
