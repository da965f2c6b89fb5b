//! The deal board: a pipeline's open deals as columns by stage. Cards move by drag and drop
//! (between and within columns; the order persists), each column shows its count, total and
//! probability-weighted total, idle deals are marked as rotting, and deals can be won or lost.

use crate::components::controls::{Button, IconButton, Input, Select, Tone};
use crate::components::display::{Badge, BadgeTone, EmptyState, Skeleton};
use crate::components::hooks::use_changes_of;
use crate::components::overlay::Modal;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::route::Route;
use crate::shell::ShellHandle;
use crate::state::board::{drop_position, is_rotting};
use crate::state::format;
use dealdesk_model::ipc::{ChangeDealStatus, GetBoard, MoveDealStage};
use dealdesk_model::{Board, BoardQuery, Deal, DealStatus, MoveDeal, RecordKind, SetDealStatus};
use gloo_events::EventListener;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

/// Pixels the pointer must travel before a press becomes a drag (otherwise it is a click).
const DRAG_THRESHOLD: f64 = 5.0;

#[derive(Debug, Clone, PartialEq)]
struct Drag {
    deal: Deal,
    start: (f64, f64),
    at: (f64, f64),
    moving: bool,
}

/// Where a drop at a screen point lands: the column's stage and the index among its cards.
fn drop_target(x: f64, y: f64, dragged: Uuid) -> Option<(String, usize)> {
    let document = web_sys::window()?.document()?;
    let element = document.element_from_point(x as f32, y as f32)?;
    let column = element.closest("[data-stage]").ok()??;
    let stage = column.get_attribute("data-stage")?;
    let cards = column.query_selector_all(".card-deal").ok()?;
    let mut index = 0;
    for i in 0..cards.length() {
        let Some(card) = cards.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else {
            continue;
        };
        if card.get_attribute("data-deal-id").as_deref() == Some(&dragged.to_string()) {
            continue;
        }
        let rect = card.get_bounding_client_rect();
        if y > rect.top() + rect.height() / 2.0 {
            index += 1;
        }
    }
    Some((stage, index))
}

#[function_component(BoardPage)]
pub fn board_page() -> Html {
    let version = use_changes_of(RecordKind::Deal);
    let pipeline = use_state(|| None::<Uuid>);
    let board = use_state(|| None::<Board>);
    let error = use_state(|| None::<String>);
    let drag = use_mut_ref(|| None::<Drag>);
    let frame = use_state(|| 0u64);
    let losing = use_state(|| None::<(Deal, String)>);
    let notifier = use_notifier();
    let navigator = use_navigator();
    let shell = use_context::<ShellHandle>();
    let all_pipelines = use_state(Vec::<dealdesk_model::Pipeline>::new);
    {
        let all_pipelines = all_pipelines.clone();
        use_effect_with(version, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                all_pipelines.set(invoke::<dealdesk_model::ipc::ListPipelines>(&()).await.unwrap_or_default());
            });
        });
    }

    let reload = {
        let board = board.clone();
        let error = error.clone();
        Callback::from(move |pipeline_id: Option<Uuid>| {
            let board = board.clone();
            let error = error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<GetBoard>(&BoardQuery { pipeline_id, per_column: Some(200) }).await {
                    Ok(b) => {
                        board.set(Some(b));
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((*pipeline, version), move |(pipeline, _)| reload.emit(*pipeline));
    }

    // While a card is pressed, follow the pointer on the whole document.
    let dragging = drag.borrow().is_some();
    {
        let drag = drag.clone();
        let frame = frame.clone();
        let board = board.clone();
        let reload = reload.clone();
        let pipeline = *pipeline;
        let notifier = notifier.clone();
        let navigator = navigator.clone();
        use_effect_with(dragging, move |dragging| {
            let listeners = (*dragging).then(|| {
                let document = web_sys::window().and_then(|w| w.document());
                document.map(|document| {
                    let (drag_move, frame_move) = (drag.clone(), frame.clone());
                    let on_move = EventListener::new(&document, "mousemove", move |event| {
                        let Some(e) = event.dyn_ref::<MouseEvent>() else { return };
                        if let Some(d) = drag_move.borrow_mut().as_mut() {
                            d.at = (f64::from(e.client_x()), f64::from(e.client_y()));
                            let (dx, dy) = (d.at.0 - d.start.0, d.at.1 - d.start.1);
                            d.moving |= dx.hypot(dy) > DRAG_THRESHOLD;
                        }
                        frame_move.set(*frame_move + 1);
                    });
                    let on_up = EventListener::new(&document, "mouseup", move |event| {
                        let Some(e) = event.dyn_ref::<MouseEvent>() else { return };
                        let Some(d) = drag.borrow_mut().take() else { return };
                        frame.set(*frame + 1);
                        if !d.moving {
                            if let Some(nav) = &navigator {
                                nav.push(&Route::Deal { id: d.deal.id });
                            }
                            return;
                        }
                        let Some((stage, index)) =
                            drop_target(f64::from(e.client_x()), f64::from(e.client_y()), d.deal.id)
                        else {
                            return;
                        };
                        let Some(current) = (*board).clone() else { return };
                        let positions: Vec<f64> = current
                            .columns
                            .iter()
                            .find(|c| c.stage.name == stage)
                            .map(|c| c.deals.iter().filter(|x| x.id != d.deal.id).map(|x| x.position).collect())
                            .unwrap_or_default();
                        let position = drop_position(&positions, index);
                        // Show the card where it was dropped at once; the core's answer follows.
                        let mut optimistic = current.clone();
                        for column in &mut optimistic.columns {
                            column.deals.retain(|x| x.id != d.deal.id);
                        }
                        if let Some(column) = optimistic.columns.iter_mut().find(|c| c.stage.name == stage) {
                            let mut card = d.deal.clone();
                            card.position = position;
                            let at = index.min(column.deals.len());
                            column.deals.insert(at, card);
                        }
                        board.set(Some(optimistic));
                        let request = MoveDeal { deal_id: d.deal.id, stage: stage.clone(), position: Some(position) };
                        let reload = reload.clone();
                        let notifier = notifier.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            if let (Err(e), Some(n)) = (invoke::<MoveDealStage>(&request).await, notifier) {
                                n.error(e.message);
                            }
                            reload.emit(pipeline);
                        });
                    });
                    (on_move, on_up)
                })
            });
            move || drop(listeners)
        });
    }

    let set_status = {
        let reload = reload.clone();
        let notifier = notifier.clone();
        let pipeline = *pipeline;
        Callback::from(move |(deal, status, reason): (Deal, DealStatus, Option<String>)| {
            let reload = reload.clone();
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let request = SetDealStatus { deal_id: deal.id, status, lost_reason: reason };
                match invoke::<ChangeDealStatus>(&request).await {
                    Ok(d) => {
                        if let Some(n) = notifier {
                            n.success(format!("{} marked {}", d.name, d.status.as_str()));
                        }
                    }
                    Err(e) => {
                        if let Some(n) = notifier {
                            n.error(e.message);
                        }
                    }
                }
                reload.emit(pipeline);
            });
        })
    };

    let Some(current) = (*board).clone() else {
        return html! {
            <section class="page">
                <header class="page-header"><h1>{ "Deal board" }</h1></header>
                if let Some(e) = &*error { <div class="banner error" role="alert">{ e.clone() }</div> } else { <Skeleton rows={6} /> }
            </section>
        };
    };
    let now = format::now();
    let dragged = drag.borrow().clone();
    let hover_stage =
        dragged.as_ref().filter(|d| d.moving).and_then(|d| drop_target(d.at.0, d.at.1, d.deal.id)).map(|(s, _)| s);
    let pipeline_options: Vec<(AttrValue, AttrValue)> =
        vec![(AttrValue::from(current.pipeline.id.to_string()), AttrValue::from(current.pipeline.name.clone()))];
    let options: Vec<(AttrValue, AttrValue)> = if all_pipelines.is_empty() {
        pipeline_options
    } else {
        all_pipelines.iter().map(|p| (AttrValue::from(p.id.to_string()), AttrValue::from(p.name.clone()))).collect()
    };
    let switch = {
        let pipeline = pipeline.clone();
        Callback::from(move |id: String| pipeline.set(Uuid::parse_str(&id).ok()))
    };
    let new_deal = shell.map(|s| Callback::from(move |_| s.create.emit(RecordKind::Deal)));
    html! {
        <section class="page board-page">
            <header class="page-header">
                <h1>{ "Deal board" }</h1>
                <Select id="pipeline-switch" value={current.pipeline.id.to_string()} {options} on_change={switch} aria_label={AttrValue::from("Pipeline")} />
                <div class="spacer" />
                if let Some(onclick) = new_deal {
                    <Button tone={Tone::Primary} id="new-deal" {onclick}>{ "New deal" }</Button>
                }
            </header>
            if let Some(e) = &*error { <div class="banner error" role="alert">{ e.clone() }</div> }
            <div class={classes!("board", dragged.as_ref().is_some_and(|d| d.moving).then_some("dragging"))} id="board">
                { for current.columns.iter().map(|column| {
                    let stage = column.stage.name.clone();
                    let over = hover_stage.as_deref() == Some(stage.as_str());
                    html! {
                        <div class={classes!("board-column", over.then_some("drop-target"))} data-stage={stage.clone()}>
                            <header class="column-header">
                                <div class="column-title">
                                    <span class="column-name">{ stage.clone() }</span>
                                    <span class="column-count" data-role="count">{ column.count }</span>
                                </div>
                                <div class="column-totals">
                                    <span data-role="total">{ column.totals.first().map(|m| m.display()).unwrap_or_else(|| "0".into()) }</span>
                                    <span class="weighted" data-role="weighted" title="Weighted by the stage's probability">
                                        { format!("{}% · {}", column.stage.probability, column.weighted.first().map(|m| m.display()).unwrap_or_else(|| "0".into())) }
                                    </span>
                                    if column.totals.len() > 1 {
                                        <span class="muted">{ format!("+{} more currencies", column.totals.len() - 1) }</span>
                                    }
                                </div>
                            </header>
                            <div class="column-cards">
                                if column.deals.is_empty() {
                                    <div class="column-empty">{ "Drop deals here" }</div>
                                }
                                { for column.deals.iter().map(|deal| {
                                    let rotting = is_rotting(deal.meta.updated_at.max(deal.stage_entered_at), column.stage.rotting_days, now);
                                    let is_dragged = dragged.as_ref().is_some_and(|d| d.moving && d.deal.id == deal.id);
                                    let onmousedown = {
                                        let drag = drag.clone();
                                        let frame = frame.clone();
                                        let deal = deal.clone();
                                        Callback::from(move |e: MouseEvent| {
                                            if e.button() != 0 { return; }
                                            if e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|t| t.closest("button").ok().flatten().is_some()) {
                                                return;
                                            }
                                            e.prevent_default();
                                            let point = (f64::from(e.client_x()), f64::from(e.client_y()));
                                            *drag.borrow_mut() = Some(Drag { deal: deal.clone(), start: point, at: point, moving: false });
                                            frame.set(*frame + 1);
                                        })
                                    };
                                    let won = { let set = set_status.clone(); let deal = deal.clone(); Callback::from(move |_| set.emit((deal.clone(), DealStatus::Won, None))) };
                                    let lost = { let losing = losing.clone(); let deal = deal.clone(); Callback::from(move |_| losing.set(Some((deal.clone(), String::new())))) };
                                    html! {
                                        <article key={deal.id.to_string()} class={classes!("card-deal", rotting.then_some("rotting"), is_dragged.then_some("placeholder"))}
                                            data-deal-id={deal.id.to_string()} {onmousedown}>
                                            <div class="card-title">{ deal.name.clone() }</div>
                                            <div class="card-amount">{ deal.amount.display() }</div>
                                            <div class="card-meta">
                                                { deal.company_name.clone().or(deal.contact_name.clone()).unwrap_or_default() }
                                            </div>
                                            <div class="card-actions">
                                                <IconButton icon="✓" label="Mark won" onclick={won} />
                                                <IconButton icon="✕" label="Mark lost" onclick={lost} />
                                            </div>
                                            if rotting {
                                                <div class="card-foot">
                                                    <Badge text={format!("idle {}", format::relative(deal.meta.updated_at.max(deal.stage_entered_at), now))} tone={BadgeTone::Warning} />
                                                </div>
                                            }
                                        </article>
                                    }
                                }) }
                                if (column.deals.len() as u64) < column.count {
                                    <div class="column-more">{ format!("{} more in the Deals table", column.count - column.deals.len() as u64) }</div>
                                }
                            </div>
                        </div>
                    }
                }) }
            </div>
            if current.columns.iter().all(|c| c.count == 0) {
                <EmptyState title="No open deals in this pipeline" hint={AttrValue::from("Create one with New deal, or press n.")} />
            }
            if let Some(d) = dragged.as_ref().filter(|d| d.moving) {
                <div class="drag-ghost" style={format!("left: {}px; top: {}px;", d.at.0 + 8.0, d.at.1 + 8.0)}>
                    <div class="card-title">{ d.deal.name.clone() }</div>
                    <div class="card-amount">{ d.deal.amount.display() }</div>
                </div>
            }
            if let Some((deal, reason)) = (*losing).clone() {
                <Modal title={format!("Why was {} lost?", deal.name)} id="lost-dialog" on_close={{ let losing = losing.clone(); Callback::from(move |_| losing.set(None)) }}
                    footer={html! {
                        <Button tone={Tone::Danger} id="lost-confirm" disabled={reason.trim().is_empty()} onclick={{
                            let set = set_status.clone(); let losing = losing.clone(); let deal = deal.clone(); let reason = reason.clone();
                            Callback::from(move |_| { set.emit((deal.clone(), DealStatus::Lost, Some(reason.clone()))); losing.set(None); })
                        }}>{ "Mark lost" }</Button>
                    }}>
                    <Input id="lost-reason" label={AttrValue::from("Lost reason")} value={reason.clone()} autofocus=true
                        placeholder="Budget, timing, went with a competitor…"
                        on_change={{ let losing = losing.clone(); let deal = deal.clone(); Callback::from(move |r| losing.set(Some((deal.clone(), r)))) }} />
                </Modal>
            }
        </section>
    }
}
