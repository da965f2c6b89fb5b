//! The Churn screen (`/churn`, `/churn/<segment>`): the segments from Whop's own signals and from
//! activity (canceling, churned this month, past due, trial ending, paused, at risk) with their
//! counts, and one segment's customers, highest at-risk score first: the score as a badge with its
//! reasons, and every segment the customer is in. "Run a workflow…" runs one workflow on each of
//! the segment's people. Figures come from the core (`churn_segments`, `churn_customers`);
//! `state::churn` turns them into texts.

use crate::components::display::{Card, EmptyState, Skeleton, TagChip};
use crate::components::hooks::use_churn_changes;
use crate::ipc::invoke;
use crate::pages::ai::tone_class;
use crate::pages::revenue::{connect_whop, person_link, use_whop_connected};
use crate::pages::whop::{BusinessPicker, use_business_filter, use_synced_businesses, whop_badge};
use crate::route::Route;
use crate::shell::link::RouteLink;
use crate::state::churn::{
    ScoreLevel, count_label, count_of, customers_text, default_segment, empty_title, reasons, score_text, score_title,
    segment_hint, segment_named,
};
use dealdesk_model::ipc::{ChurnGetCustomers, ChurnGetSegments};
use dealdesk_model::revenue::{ChurnCustomer, ChurnQuery, ChurnSegment, RevenueScope, SegmentCount};
use std::rc::Rc;
use yew::prelude::*;

mod run;

use run::RunOnSegment;

#[derive(Properties, PartialEq)]
pub struct ChurnProps {
    /// The segment's name from the address (`past_due`); the first one with customers without it.
    #[prop_or_default]
    pub segment: Option<AttrValue>,
}

/// The customers of one query, kept with it so a late answer for another segment is not shown.
type Customers = (ChurnQuery, Result<Rc<Vec<ChurnCustomer>>, String>);

#[function_component(ChurnPage)]
pub fn churn_page(props: &ChurnProps) -> Html {
    let connected = use_whop_connected();
    let businesses = use_synced_businesses();
    let (business, on_business) = use_business_filter(&businesses);
    let changes = use_churn_changes();
    let scope = RevenueScope { business: business.clone(), product: None };
    let counts = use_state(|| None::<Result<Vec<SegmentCount>, String>>);
    {
        let counts = counts.clone();
        use_effect_with((changes, scope.clone()), move |(_, scope)| {
            let scope = scope.clone();
            wasm_bindgen_futures::spawn_local(async move {
                counts.set(Some(invoke::<ChurnGetSegments>(&scope).await.map_err(|e| e.message)));
            });
        });
    }
    // The segment the address names; without one, the first with customers once counted.
    let named = props.segment.as_deref().map(segment_named);
    let segment = match (named, &*counts) {
        (Some(named), _) => named,
        (None, Some(Ok(c))) => Some(default_segment(c)),
        (None, _) => None,
    };
    let query = segment.map(|s| ChurnQuery { scope: scope.clone(), segment: Some(s) });
    let customers = use_state(|| None::<Customers>);
    {
        let customers = customers.clone();
        use_effect_with((changes, query.clone()), move |(_, query)| {
            if let Some(query) = query.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = invoke::<ChurnGetCustomers>(&query).await;
                    customers.set(Some((query, answer.map(Rc::new).map_err(|e| e.message))));
                });
            }
        });
    }
    let shown = match (&*customers, &query) {
        (Some((asked, answer)), Some(query)) if asked == query => Some(answer.clone()),
        _ => None,
    };
    let count = match (&shown, connected) {
        (Some(Ok(list)), Some(true) | None) => Some(customers_text(list.len() as u64)),
        _ => None,
    };
    let counted: Vec<SegmentCount> = match &*counts {
        Some(Ok(c)) => c.clone(),
        _ => Vec::new(),
    };
    let body = match (connected, segment) {
        (Some(false), _) => connect_whop(
            "churn-connect",
            "Churn segments come from the memberships, payments and member activity Whop syncs. Connect Whop to see who is canceling, past due or at risk.",
        ),
        (_, None) if matches!(named, Some(None)) => html! {
            <>
                { picker(&counted, None) }
                <div class="banner error" id="churn-unknown" role="alert">
                    { format!("There is no churn segment “{}”: pick one above.", props.segment.clone().unwrap_or_default()) }
                </div>
            </>
        },
        (_, None) => match &*counts {
            Some(Err(message)) => html! {
                <div class="banner error" id="churn-error" role="alert">{ format!("Cannot read the churn segments: {message}") }</div>
            },
            _ => html! { <Skeleton rows={6} /> },
        },
        (_, Some(segment)) => html! {
            <>
                { picker(&counted, Some(segment)) }
                { segment_body(segment, shown) }
            </>
        },
    };
    html! {
        <section class="page churn-page" id="churn-page">
            <header class="page-header">
                <h1>{ "Churn" }</h1>
                if let Some(count) = count { <span class="count" id="churn-count">{ count }</span> }
                { whop_badge() }
            </header>
            <div class="revenue-filters">
                <BusinessPicker id="churn-business" {businesses} value={business} on_change={on_business} />
            </div>
            { body }
        </section>
    }
}

/// The segments, each a link with its count; the open one marked as the current page.
fn picker(counts: &[SegmentCount], open: Option<ChurnSegment>) -> Html {
    html! {
        <nav class="churn-segments" id="churn-segments" aria-label="Churn segments">
            { for ChurnSegment::ALL.into_iter().map(|segment| {
                let count = count_of(counts, segment);
                let here = open == Some(segment);
                html! {
                    <RouteLink to={Route::churn(segment)} id={AttrValue::from(format!("churn-segment-{}", segment.name()))}
                        class={classes!("churn-segment", here.then_some("active"))} current={here}
                        label={count.map(|n| AttrValue::from(count_label(segment, n)))}>
                        <span class="churn-segment-label">{ segment.label() }</span>
                        if let Some(n) = count {
                            <span class={classes!("churn-segment-count", (n == 0).then_some("zero"))} aria-hidden="true">{ n }</span>
                        }
                    </RouteLink>
                }
            }) }
        </nav>
    }
}

/// The open segment: its customers, its empty state, or why they cannot be read.
fn segment_body(segment: ChurnSegment, shown: Option<Result<Rc<Vec<ChurnCustomer>>, String>>) -> Html {
    match shown {
        None => html! { <Skeleton rows={6} /> },
        Some(Err(message)) => html! {
            <div class="banner error" id="churn-error" role="alert">{ format!("Cannot read the customers: {message}") }</div>
        },
        Some(Ok(list)) if list.is_empty() => html! {
            <div id="churn-empty" data-segment={segment.name()}>
                <EmptyState title={AttrValue::from(empty_title(segment))} hint={AttrValue::from(segment_hint(segment))} />
            </div>
        },
        Some(Ok(list)) => html! {
            <Card title={AttrValue::from(segment.label())} id="churn-list" class="churn-list"
                actions={html! {
                    <>
                        <RouteLink to={Route::people_in(segment)} id="churn-open-people" class="btn ghost small">
                            { "Open in People" }
                        </RouteLink>
                        <RunOnSegment {segment} customers={list.clone()} />
                    </>
                }}>
                <div class="muted churn-hint">{ format!("{} Highest at-risk score first.", segment_hint(segment)) }</div>
                <div class="table-scroll">
                    <table class="whop-table churn-table" id="churn-table" data-segment={segment.name()}>
                        <caption class="visually-hidden">
                            { format!("{}: {}, highest at-risk score first", segment.label(), customers_text(list.len() as u64)) }
                        </caption>
                        <thead><tr>
                            <th scope="col">{ "Customer" }</th>
                            <th scope="col">{ "At-risk score" }</th>
                            <th scope="col">{ "Why" }</th>
                            <th scope="col">{ "Segments" }</th>
                        </tr></thead>
                        <tbody>
                            { for list.iter().map(row) }
                        </tbody>
                    </table>
                </div>
            </Card>
        },
    }
}

/// `.churn-row`: the customer (opening their page), the score badge, its reasons, the segments.
fn row(c: &ChurnCustomer) -> Html {
    let level = ScoreLevel::of(c.score);
    let reasons = reasons(c);
    html! {
        <tr class="churn-row" key={c.user_id.clone()} data-user={c.user_id.clone()}
            data-person={c.person_id.map(|p| p.to_string())} data-score={c.score.to_string()}>
            <th scope="row" class="churn-customer">
                { person_link(c.person_id, &c.name) }
                if c.person_id.is_none() {
                    <div class="muted churn-no-person">{ "Not a person in Dealdesk yet" }</div>
                }
            </th>
            <td>
                <span class={classes!("badge", tone_class(level.tone()), "churn-score", format!("level-{}", level.as_str()))}
                    data-level={level.as_str()} data-score={c.score.to_string()} title={score_title(c.score)}>
                    { score_text(c.score) }
                </span>
            </td>
            <td>
                if reasons.is_empty() {
                    <span class="muted">{ "No signal" }</span>
                } else {
                    <ul class="churn-reasons">
                        { for reasons.iter().map(|r| html! {
                            <li>
                                { r.text.clone() }
                                if let Some(points) = r.points_text() {
                                    { " " }<span class="churn-points">{ points }</span>
                                }
                            </li>
                        }) }
                    </ul>
                }
            </td>
            <td>
                <ul class="churn-chips">
                    { for c.segments.iter().map(|s| html! {
                        <li data-segment={s.name()}><TagChip text={AttrValue::from(s.label())} /></li>
                    }) }
                </ul>
            </td>
        </tr>
    }
}
