use super::tag_filter;
use crate::ipc::invoke;
use crate::route::Route;
use crate::state::format;
use crate::state::table::{ColumnSpec, Edit, ViewState};
use crate::table::{FilterSpec, RecordTable, TableObject};
use dealdesk_model::ipc::{CountPeople, ListPeople, UpdatePerson};
use dealdesk_model::revenue::ChurnSegment;
use dealdesk_model::{ApiError, Page, Person, PersonPatch, PersonQuery, PersonSort, RecordKind, SortDirection};
use uuid::Uuid;
use yew::prelude::*;

pub struct PeopleTable;

fn query(view: &ViewState) -> PersonQuery {
    PersonQuery {
        text: Some(view.text.clone()).filter(|t| !t.trim().is_empty()),
        tag: view.select("tag").map(str::to_string),
        churn_segment: view.select("churn").and_then(ChurnSegment::from_name),
        created_from: view.date_from,
        created_to: view.date_to,
        sort: match view.sort.as_deref() {
            Some("updated") => PersonSort::UpdatedAt,
            Some("created") => PersonSort::CreatedAt,
            _ => PersonSort::Name,
        },
        direction: if view.descending { SortDirection::Desc } else { SortDirection::Asc },
        ..Default::default()
    }
}

/// The churn segments (docs/revenue.md, "Churn"): a segment as a view of people, to save.
fn churn_filter() -> FilterSpec {
    FilterSpec {
        key: "churn",
        label: "Churn segment",
        options: ChurnSegment::ALL.into_iter().map(|s| (s.name().to_string(), s.label().to_string())).collect(),
    }
}

impl TableObject for PeopleTable {
    type Record = Person;
    const KIND: RecordKind = RecordKind::Person;
    const TITLE: &'static str = "People";
    const NOUN: &'static str = "person";
    const DATE_FILTER: Option<&'static str> = Some("Created");

    fn columns() -> Vec<ColumnSpec> {
        vec![
            ColumnSpec::new("name", "Name", 180).sortable(),
            ColumnSpec::new("email", "Email", 200).edit(Edit::Email),
            ColumnSpec::new("company", "Company", 150),
            ColumnSpec::new("job_title", "Job title", 140).edit(Edit::Text),
            ColumnSpec::new("phone", "Phone", 120).edit(Edit::Text),
            ColumnSpec::new("city", "City", 110).edit(Edit::Text).hidden(),
            ColumnSpec::new("tags", "Tags", 110),
            ColumnSpec::new("updated", "Updated", 110).sortable(),
            ColumnSpec::new("created", "Created", 110).sortable().hidden(),
        ]
    }

    fn id(record: &Person) -> Uuid {
        record.id
    }

    fn cell(p: &Person, key: &str) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        match key {
            "name" => p.full_name(),
            "email" => opt(&p.email),
            "company" => opt(&p.company_name),
            "job_title" => opt(&p.job_title),
            "phone" => opt(&p.phone),
            "city" => opt(&p.city),
            "tags" => p.tags.join(", "),
            "updated" => format::relative(p.meta.updated_at, format::now()),
            "created" => p.meta.created_at.format("%Y-%m-%d").to_string(),
            _ => String::new(),
        }
    }

    fn route(p: &Person) -> Option<Route> {
        Some(Route::Person { id: p.id })
    }

    async fn filters() -> Vec<FilterSpec> {
        vec![tag_filter().await, churn_filter()]
    }

    async fn fetch(view: ViewState, offset: u32, limit: u32) -> Result<Page<Person>, ApiError> {
        invoke::<ListPeople>(&PersonQuery { offset: Some(offset), limit: Some(limit), ..query(&view) }).await
    }

    async fn count(view: ViewState) -> Result<u64, ApiError> {
        invoke::<CountPeople>(&query(&view)).await
    }

    async fn update(id: Uuid, key: &'static str, value: String) -> Result<Person, ApiError> {
        let mut patch = PersonPatch::default();
        match key {
            "email" => patch.email = Some(value),
            "job_title" => patch.job_title = Some(value),
            "phone" => patch.phone = Some(value),
            "city" => patch.city = Some(value),
            _ => {}
        }
        invoke::<UpdatePerson>(&(id, patch)).await
    }
}

#[derive(Properties, PartialEq)]
pub struct PeoplePageProps {
    /// A churn segment's name: the table opens filtered to it (`Route::PeopleInSegment`).
    #[prop_or_default]
    pub segment: Option<String>,
}

#[function_component(PeoplePage)]
pub fn people_page(props: &PeoplePageProps) -> Html {
    // A segment that names none opens the whole list rather than an empty one.
    let segment = props.segment.as_deref().and_then(ChurnSegment::from_name);
    let initial = segment.map(|s| {
        let mut view = ViewState::default();
        view.set_select("churn", s.name());
        view
    });
    // Keyed by the segment: another segment (or none) is a fresh table, not a stale one.
    let key = segment.map_or("all", ChurnSegment::name);
    html! { <RecordTable<PeopleTable> {key} {initial} /> }
}
