//! One module per screen.

pub mod ai;
pub mod ai_settings;
pub mod automations;
pub mod board;
pub mod churn;
pub mod companies;
pub mod contract_templates;
pub mod contracts;
pub mod contracts_settings;
pub mod dashboard;
pub mod deals;
pub mod diagnostics;
pub mod gallery;
pub mod import;
pub mod notes;
pub mod outbox;
pub mod people;
pub mod prompts;
pub mod record;
pub mod recover;
pub mod revenue;
pub mod settings;
pub mod tasks;
pub mod team;
pub mod trash;
pub mod welcome;
pub mod whop;
pub mod whop_actions;

use crate::ipc::invoke;
use crate::table::FilterSpec;
use dealdesk_model::ipc::{ListPipelines, ListTags};
use dealdesk_model::{ApiError, ErrorCode, Money, money::parse_decimal_micros};

/// The tag filter, from the tags in use.
pub async fn tag_filter() -> FilterSpec {
    let tags = invoke::<ListTags>(&()).await.unwrap_or_default();
    FilterSpec { key: "tag", label: "Tag", options: tags.into_iter().map(|t| (t.name.clone(), t.name)).collect() }
}

/// The stages of the default pipeline.
pub async fn stage_filter() -> FilterSpec {
    let pipelines = invoke::<ListPipelines>(&()).await.unwrap_or_default();
    let stages = pipelines.into_iter().find(|p| p.is_default).map(|p| p.stages).unwrap_or_default();
    FilterSpec { key: "stage", label: "Stage", options: stages.into_iter().map(|s| (s.name.clone(), s.name)).collect() }
}

/// Parses an amount typed in a filter; empty is no bound.
pub fn amount_bound(text: &str) -> Option<i64> {
    parse_decimal_micros(text).ok()
}

/// Reads an edited amount, keeping the record's currency.
pub fn edited_money(text: &str, currency: &str) -> Result<Money, ApiError> {
    Money::parse(text, currency).map_err(|e| ApiError::new(ErrorCode::Validation, e.to_string()).with_field("amount"))
}
