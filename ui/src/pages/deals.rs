use super::{amount_bound, edited_money, stage_filter, tag_filter};
use crate::components::controls::Button;
use crate::ipc::invoke;
use crate::route::Route;
use crate::state::format;
use crate::state::table::{ColumnSpec, Edit, ViewState};
use crate::table::{FilterSpec, RecordTable, TableObject};
use chrono::NaiveDate;
use dealdesk_model::ipc::{CountDeals, GetDeal, ListDeals, UpdateDeal};
use dealdesk_model::{
    ApiError, Deal, DealPatch, DealQuery, DealSort, DealStatus, ErrorCode, Page, RecordKind, SortDirection,
};
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

pub struct DealsTable;

fn query(view: &ViewState) -> DealQuery {
    DealQuery {
        text: Some(view.text.clone()).filter(|t| !t.trim().is_empty()),
        stage: view.select("stage").map(str::to_string),
        status: view.select("status").and_then(DealStatus::parse),
        tag: view.select("tag").map(str::to_string),
        amount_min: amount_bound(&view.amount_min),
        amount_max: amount_bound(&view.amount_max),
        close_from: view.date_from,
        close_to: view.date_to,
        sort: match view.sort.as_deref() {
            Some("amount") => DealSort::Amount,
            Some("updated") => DealSort::UpdatedAt,
            Some("created") => DealSort::CreatedAt,
            _ => DealSort::Name,
        },
        direction: if view.descending { SortDirection::Desc } else { SortDirection::Asc },
        ..Default::default()
    }
}

impl TableObject for DealsTable {
    type Record = Deal;
    const KIND: RecordKind = RecordKind::Deal;
    const TITLE: &'static str = "Deals";
    const NOUN: &'static str = "deal";
    const DATE_FILTER: Option<&'static str> = Some("Close date");
    const AMOUNT_FILTER: bool = true;
    const BULK_MOVE: bool = true;

    fn columns() -> Vec<ColumnSpec> {
        vec![
            ColumnSpec::new("name", "Deal", 200).sortable().edit(Edit::Text),
            ColumnSpec::new("amount", "Amount", 150).sortable().numeric().edit(Edit::Money),
            ColumnSpec::new("stage", "Stage", 110),
            ColumnSpec::new("probability", "Prob.", 60).numeric(),
            ColumnSpec::new("status", "Status", 70),
            ColumnSpec::new("close_date", "Close date", 110).edit(Edit::Date),
            ColumnSpec::new("company", "Company", 140),
            ColumnSpec::new("contact", "Contact", 130),
            ColumnSpec::new("tags", "Tags", 100).hidden(),
            ColumnSpec::new("updated", "Updated", 100).sortable(),
        ]
    }

    fn id(record: &Deal) -> Uuid {
        record.id
    }

    fn cell(d: &Deal, key: &str) -> String {
        match key {
            "name" => d.name.clone(),
            "amount" => d.amount.display(),
            "stage" => d.stage_name.clone(),
            "probability" => format!("{}%", d.probability),
            "status" => d.status.as_str().to_string(),
            "close_date" => d.close_date.map(|c| c.to_string()).unwrap_or_default(),
            "company" => d.company_name.clone().unwrap_or_default(),
            "contact" => d.contact_name.clone().unwrap_or_default(),
            "tags" => d.tags.join(", "),
            "updated" => format::relative(d.meta.updated_at, format::now()),
            _ => String::new(),
        }
    }

    fn edit_value(d: &Deal, key: &str) -> String {
        match key {
            "amount" => d.amount.amount_text(),
            other => Self::cell(d, other),
        }
    }

    fn route(d: &Deal) -> Option<Route> {
        Some(Route::Deal { id: d.id })
    }

    async fn filters() -> Vec<FilterSpec> {
        vec![
            stage_filter().await,
            FilterSpec {
                key: "status",
                label: "Status",
                options: vec![
                    ("open".into(), "Open".into()),
                    ("won".into(), "Won".into()),
                    ("lost".into(), "Lost".into()),
                ],
            },
            tag_filter().await,
        ]
    }

    async fn fetch(view: ViewState, offset: u32, limit: u32) -> Result<Page<Deal>, ApiError> {
        invoke::<ListDeals>(&DealQuery { offset: Some(offset), limit: Some(limit), ..query(&view) }).await
    }

    async fn count(view: ViewState) -> Result<u64, ApiError> {
        invoke::<CountDeals>(&query(&view)).await
    }

    async fn update(id: Uuid, key: &'static str, value: String) -> Result<Deal, ApiError> {
        let mut patch = DealPatch::default();
        match key {
            "name" => patch.name = Some(value),
            "amount" => {
                let current = invoke::<GetDeal>(&id).await?;
                patch.amount = Some(edited_money(&value, &current.amount.currency)?);
            }
            "close_date" => {
                let trimmed = value.trim();
                patch.close_date = Some(if trimmed.is_empty() {
                    None
                } else {
                    Some(NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|_| {
                        ApiError::new(ErrorCode::Validation, "pick a date (YYYY-MM-DD)").with_field("close_date")
                    })?)
                });
            }
            _ => {}
        }
        invoke::<UpdateDeal>(&(id, patch)).await
    }
}

#[function_component(DealsPage)]
pub fn deals_page() -> Html {
    let navigator = use_navigator();
    let to_board = Callback::from(move |_| {
        if let Some(nav) = &navigator {
            nav.push(&Route::Board);
        }
    });
    html! {
        <RecordTable<DealsTable> actions={html! { <Button small=true id="open-board" onclick={to_board}>{ "Board" }</Button> }} />
    }
}
