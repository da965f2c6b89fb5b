//! `#ai-card` on the person, company and deal pages: the four AI actions with optional
//! instructions, the lead score and sentiment badges, unread texts (Save as note, Dismiss) and
//! email drafts (edit, Copy, Open in mail client, Dismiss), runs queued while offline, and the
//! question before running past the monthly budget.

use crate::components::controls::{Button, Input, TextArea, Tone};
use crate::components::display::Skeleton;
use crate::components::hooks::use_ai_changes;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::{Notifier, use_notifier};
use crate::ipc::invoke;
use crate::pages::whop::copy_to_clipboard;
use crate::pages::whop_actions::PendingBadges;
use crate::route::Route;
use crate::state::ai::{
    AiCard as CardState, CardAction, LastRun, QUEUED_TEXT, ScoreBand, latency_text, lead_score_text, sentiment_text,
    sentiment_tone, tokens_text, usd,
};
use crate::state::format::short_time;
use crate::state::whop::StatusTone;
use dealdesk_model::RecordRef;
use dealdesk_model::ai::{AiAction, AiCallView, AiOutput, AiResult, AiRunRequest, OpenDraftInMail};
use dealdesk_model::ipc::{AiDismissResult, AiGetInsights, AiOpenDraftInMail, AiRun, AiSaveResultAsNote, GetPerson};
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

/// The class of a badge of this tone.
pub fn tone_class(t: StatusTone) -> &'static str {
    match t {
        StatusTone::Neutral => "neutral",
        StatusTone::Accent => "accent",
        StatusTone::Success => "success",
        StatusTone::Warning => "warning",
        StatusTone::Danger => "danger",
    }
}

fn toast_error(notifier: &Option<Notifier>, message: impl Into<String>) {
    if let Some(n) = notifier {
        n.error(message);
    }
}

fn toast_success(notifier: &Option<Notifier>, message: impl Into<String>) {
    if let Some(n) = notifier {
        n.success(message);
    }
}

fn load(record: RecordRef, dispatch: UseReducerDispatcher<CardState>) {
    wasm_bindgen_futures::spawn_local(async move {
        let insights = invoke::<AiGetInsights>(&record).await;
        dispatch.dispatch(CardAction::Insights(insights.map(Box::new).map_err(|e| e.message)));
    });
}

#[derive(Properties, PartialEq)]
pub struct AiCardProps {
    pub record: RecordRef,
    /// Where drafts go (a person's email).
    #[prop_or_default]
    pub email: Option<String>,
    /// A deal's point of contact: drafts go to their email.
    #[prop_or_default]
    pub contact: Option<Uuid>,
}

/// The AI card of a record page. Render it with `key` set to the record, so another record
/// starts with a fresh card.
#[function_component(AiCard)]
pub fn ai_card(props: &AiCardProps) -> Html {
    let card = use_reducer(CardState::default);
    let notifier = use_notifier();
    let changes = use_ai_changes(Some(props.record), true);
    let contact_email = use_state(|| None::<String>);
    {
        let dispatch = card.dispatcher();
        use_effect_with((props.record, changes), move |(record, _)| load(*record, dispatch));
    }
    {
        let contact_email = contact_email.clone();
        use_effect_with(props.contact, move |contact| {
            if let Some(id) = *contact {
                wasm_bindgen_futures::spawn_local(async move {
                    contact_email.set(invoke::<GetPerson>(&id).await.ok().and_then(|p| p.email));
                });
            }
        });
    }
    let record = props.record;
    let email = props.email.clone().or_else(|| (*contact_email).clone());

    let send = {
        let (dispatch, notifier) = (card.dispatcher(), notifier.clone());
        Callback::from(move |request: AiRunRequest| {
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<AiRun>(&request).await;
                if let Err(e) = &result {
                    toast_error(&notifier, format!("{} failed: {}", request.action.label(), e.message));
                }
                dispatch.dispatch(CardAction::Finished(request, result));
                load(record, dispatch);
            });
        })
    };
    let run = {
        let (card, send) = (card.clone(), send.clone());
        Callback::from(move |action: AiAction| {
            if !card.can_run() {
                return;
            }
            let request = card.request(action, record);
            card.dispatch(CardAction::Started(action));
            send.emit(request);
        })
    };
    let confirm_budget = {
        let (card, send) = (card.clone(), send.clone());
        Callback::from(move |_: ()| {
            let Some(ask) = card.over_budget.clone() else { return };
            card.dispatch(CardAction::ConfirmOverBudget);
            send.emit(ask.confirmed());
        })
    };
    let cancel_budget = {
        let dispatch = card.dispatcher();
        Callback::from(move |_: ()| dispatch.dispatch(CardAction::CancelOverBudget))
    };
    let dismiss = {
        let (dispatch, notifier) = (card.dispatcher(), notifier.clone());
        Callback::from(move |id: i64| {
            dispatch.dispatch(CardAction::ResultBusy(id));
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<AiDismissResult>(&id).await {
                    Ok(()) => dispatch.dispatch(CardAction::ResultGone(id)),
                    Err(e) => {
                        toast_error(&notifier, e.message.clone());
                        dispatch.dispatch(CardAction::ResultFailed(id, e.message));
                    }
                }
            });
        })
    };
    let save_note = {
        let (dispatch, notifier) = (card.dispatcher(), notifier.clone());
        Callback::from(move |id: i64| {
            dispatch.dispatch(CardAction::ResultBusy(id));
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                // One command: the core marks the result used before it writes the note, so a
                // second click cannot make a second note.
                match invoke::<AiSaveResultAsNote>(&id).await {
                    Ok(_) => {
                        toast_success(&notifier, "Saved as a note");
                        dispatch.dispatch(CardAction::ResultGone(id));
                    }
                    Err(e) => {
                        let message = format!("Cannot save the note: {}", e.message);
                        toast_error(&notifier, message.clone());
                        dispatch.dispatch(CardAction::ResultFailed(id, message));
                        // It may be used already (another click, another window): show what is so.
                        load(record, dispatch);
                    }
                }
            });
        })
    };
    let open_mail = {
        let (dispatch, notifier) = (card.dispatcher(), notifier.clone());
        Callback::from(move |request: OpenDraftInMail| {
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = invoke::<AiOpenDraftInMail>(&request).await {
                    let message = format!("Cannot open the mail client: {}", e.message);
                    toast_error(&notifier, message.clone());
                    dispatch.dispatch(CardAction::Error(message));
                }
            });
        })
    };
    let copy = {
        let notifier = notifier.clone();
        Callback::from(move |(subject, body): (String, String)| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if copy_to_clipboard(&format!("Subject: {subject}\n\n{body}")).await {
                    toast_success(&notifier, "Copied the draft");
                } else {
                    toast_error(&notifier, "Cannot reach the clipboard: select the text and press Ctrl+C");
                }
            });
        })
    };

    let body = match &card.insights {
        None => html! { <Skeleton rows={3} /> },
        Some(Err(message)) => html! {
            <div class="banner error" id="ai-card-error" role="alert">{ format!("Cannot read the AI results: {message}") }</div>
        },
        Some(Ok(insights)) => {
            let running = card.running;
            let can_run = card.can_run();
            html! {
                <>
                    if !insights.enabled {
                        <div class="ai-off" id="ai-off">
                            { "AI is off. Turn it on and choose a provider in " }
                            <Link<Route> to={Route::SettingsTab { tab: "ai".into() }} classes="ai-settings-link">{ "Settings → AI" }</Link<Route>>
                            { "." }
                        </div>
                    }
                    { insight_badges(insights.lead_score.as_ref(), insights.sentiment.as_ref()) }
                    if insights.enabled {
                        <div class="ai-actions" role="group" aria-label="AI actions">
                            { for AiAction::ALL.into_iter().map(|action| {
                                let run = run.clone();
                                let busy = running == Some(action);
                                html! {
                                    <Button small=true tone={if action == AiAction::ScoreLead { Tone::Primary } else { Tone::Secondary }}
                                        class={classes!("ai-action", format!("ai-action-{}", action.as_str()), busy.then_some("running"))}
                                        disabled={!can_run} onclick={Callback::from(move |_| run.emit(action))}>
                                        if busy { <span class="spinner" aria-hidden="true" />{ " " } }
                                        { action.label() }
                                    </Button>
                                }
                            }) }
                        </div>
                        <div class="ai-instructions">
                            <Input id="ai-instructions" label={AttrValue::from("Instructions")} value={card.instructions.clone()}
                                placeholder="Optional: what to stress, the tone, the offer to mention…"
                                on_change={{ let d = card.dispatcher(); Callback::from(move |v| d.dispatch(CardAction::Instructions(v))) }} />
                        </div>
                    }
                    if let Some(action) = running {
                        <div class="ai-running" id="ai-running" role="status" aria-live="polite">
                            <span class="spinner" aria-hidden="true" />{ format!(" {}…", action.label()) }
                        </div>
                    }
                    if let Some(message) = &card.error {
                        <div class="banner error ai-error" id="ai-error" role="alert">
                            <span>{ message.clone() }</span>
                            <button type="button" class="link-btn ai-error-close" aria-label="Hide this message"
                                onclick={{ let d = card.dispatcher(); Callback::from(move |_| d.dispatch(CardAction::DismissError)) }}>{ "×" }</button>
                        </div>
                    }
                    { last_run(&card) }
                    if !insights.queued.is_empty() {
                        <h4 class="whop-subhead">{ "Queued" }<span class="count">{ insights.queued.len() }</span></h4>
                        <ul class="ai-queued-list" id="ai-queued-list">
                            { for insights.queued.iter().map(|op| html! {
                                <li class="ai-queued-item" key={op.outbox_id.to_string()} data-outbox={op.outbox_id.to_string()}>
                                    <span>{ op.summary.clone() }</span>{ " " }
                                    <PendingBadges pending={vec![op.clone()]} />
                                </li>
                            }) }
                        </ul>
                    }
                    if !insights.unread.is_empty() {
                        <h4 class="whop-subhead">{ "Unread" }<span class="count">{ insights.unread.len() }</span></h4>
                        <div class="ai-unread-list" id="ai-unread">
                            { for insights.unread.iter().map(|r| unread_item(&card, r, email.as_deref(), &save_note, &open_mail, &dismiss, &copy)) }
                        </div>
                    }
                </>
            }
        }
    };
    let actions = match card.running {
        Some(_) => html! { <span class="spinner" aria-label="Running" /> },
        None => html! {},
    };
    html! {
        <crate::components::display::Card title={AttrValue::from("AI")} id="ai-card" class="ai-card" {actions}>
            { body }
            if let Some(ask) = &card.over_budget {
                <ConfirmDialog title="Over this month's AI budget" id="ai-budget-dialog" confirm_id="ai-budget-confirm"
                    confirm_label="Run anyway" on_confirm={confirm_budget} on_close={cancel_budget}>
                    <p class="dialog-lead" id="ai-budget-question">{ ask.question() }</p>
                    <p class="muted dialog-note">{ format!("{} on this record. The budget is set in Settings → AI.", ask.request.action.label()) }</p>
                </ConfirmDialog>
            }
        </crate::components::display::Card>
    }
}

/// The lead score badge with its reasons, and the sentiment badge with its summary.
fn insight_badges(lead: Option<&AiResult>, sentiment: Option<&AiResult>) -> Html {
    let lead = lead.and_then(|r| match &r.output {
        AiOutput::LeadScore { score, reasons } => Some((r, *score, reasons.clone())),
        _ => None,
    });
    let sentiment = sentiment.and_then(|r| match &r.output {
        AiOutput::Sentiment { label, score, summary } => Some((r, *label, *score, summary.clone())),
        _ => None,
    });
    if lead.is_none() && sentiment.is_none() {
        return html! {
            <div class="muted ai-none" id="ai-no-insights">{ "No lead score or sentiment yet: run Score lead or Analyse sentiment." }</div>
        };
    }
    html! {
        <div class="ai-insights">
            if let Some((r, score, reasons)) = lead {
                <div class="ai-insight">
                    { lead_badge(score) }
                    <span class="muted ai-when">{ format!("{} · {}", short_time(&r.created_at), r.model) }</span>
                    if !reasons.is_empty() {
                        <ul class="ai-reasons" id="lead-score-reasons">
                            { for reasons.iter().map(|reason| html! { <li>{ reason.clone() }</li> }) }
                        </ul>
                    }
                </div>
            }
            if let Some((r, label, score, summary)) = sentiment {
                <div class="ai-insight">
                    <span id="sentiment-badge" class={classes!("badge", tone_class(sentiment_tone(label)), "sentiment-badge")}
                        data-label={label.as_str()} data-score={format!("{score:.2}")}>
                        { sentiment_text(label, score) }
                    </span>
                    <span class="muted ai-when">{ format!("{} · {}", short_time(&r.created_at), r.model) }</span>
                    if !summary.trim().is_empty() {
                        <p class="ai-sentiment-summary" id="sentiment-summary">{ summary }</p>
                    }
                </div>
            }
        </div>
    }
}

fn lead_badge(score: u8) -> Html {
    let band = ScoreBand::of(score);
    html! {
        <span id="lead-score-badge" class={classes!("badge", tone_class(band.tone()), "lead-score-badge", format!("band-{}", band.as_str()))}
            data-band={band.as_str()} data-score={score.to_string()}>
            { lead_score_text(score) }
        </span>
    }
}

/// What the last run from this card gave.
fn last_run(card: &CardState) -> Html {
    match &card.last {
        None => html! {},
        Some(LastRun::Queued { action, operation }) => html! {
            <div class="banner warning ai-queued" id="ai-queued" role="status" data-outbox={operation.outbox_id.to_string()}>
                { format!("{}: {QUEUED_TEXT}.", action.label()) }
            </div>
        },
        Some(LastRun::Done { result, call }) => {
            // Scores show in the badges above; texts and drafts in full unless they wait below.
            let structured = matches!(result.output, AiOutput::LeadScore { .. } | AiOutput::Sentiment { .. });
            let waiting = !structured && !card.last_shown_in_full();
            html! {
                <div class="ai-result" id="ai-result" data-action={result.output.action().as_str()} data-result={result.id.to_string()}>
                    <div class="ai-result-head">
                        <span class="badge success">{ "Done" }</span>
                        <strong>{ result.output.action().label() }</strong>
                        <span class="muted ai-call-meta">{ call_meta(call) }</span>
                    </div>
                    if structured {
                        <div class="ai-result-headline">{ result.output.headline() }</div>
                    } else if waiting {
                        <div class="ai-result-headline">{ result.output.headline() }</div>
                        <div class="muted">{ "It waits under Unread below: save it or dismiss it." }</div>
                    } else {
                        { output_view(&result.output) }
                    }
                </div>
            }
        }
    }
}

fn call_meta(call: &AiCallView) -> String {
    format!(
        "{} · {} · {} · {}",
        call.model,
        tokens_text(call.tokens_in, call.tokens_out),
        usd(call.cost_micros),
        latency_text(call.latency_ms)
    )
}

/// A result in full.
fn output_view(output: &AiOutput) -> Html {
    match output {
        AiOutput::Text { text } => html! { <div class="ai-text-body">{ text.clone() }</div> },
        AiOutput::Sentiment { label, score, summary } => html! {
            <div>
                <span class={classes!("badge", tone_class(sentiment_tone(*label)))}>{ sentiment_text(*label, *score) }</span>
                <p class="ai-sentiment-summary">{ summary.clone() }</p>
            </div>
        },
        AiOutput::LeadScore { score, reasons } => {
            let band = ScoreBand::of(*score);
            html! {
                <div>
                    <span class={classes!("badge", tone_class(band.tone()))}>{ lead_score_text(*score) }</span>
                    <ul class="ai-reasons">{ for reasons.iter().map(|r| html! { <li>{ r.clone() }</li> }) }</ul>
                </div>
            }
        }
        AiOutput::EmailDraft { subject, body } => html! {
            <div>
                <div class="ai-draft-subject-text"><strong>{ subject.clone() }</strong></div>
                <div class="ai-text-body">{ body.clone() }</div>
            </div>
        },
    }
}

/// One unread text (Save as note, Dismiss) or email draft (edit, Copy, Open in mail client,
/// Dismiss).
fn unread_item(
    card: &UseReducerHandle<CardState>,
    r: &AiResult,
    email: Option<&str>,
    save_note: &Callback<i64>,
    open_mail: &Callback<OpenDraftInMail>,
    dismiss: &Callback<i64>,
    copy: &Callback<(String, String)>,
) -> Html {
    let id = r.id;
    let busy = card.busy.contains(&id);
    let meta = format!("{} · {}", short_time(&r.created_at), r.model);
    let dismiss_button = {
        let dismiss = dismiss.clone();
        html! {
            <Button small=true tone={Tone::Ghost} class="ai-dismiss" disabled={busy}
                aria_label={AttrValue::from(format!("Dismiss AI result {id}"))}
                onclick={Callback::from(move |_| dismiss.emit(id))}>{ "Dismiss" }</Button>
        }
    };
    match &r.output {
        AiOutput::Text { text } => {
            let save_note = save_note.clone();
            html! {
                <article class="ai-unread ai-text" key={id.to_string()} data-result={id.to_string()}>
                    <div class="ai-unread-meta muted">{ format!("Generated text · {meta}") }</div>
                    <div class="ai-text-body">{ text.clone() }</div>
                    <div class="ai-unread-buttons">
                        <Button small=true tone={Tone::Primary} class="ai-save-note" disabled={busy}
                            onclick={Callback::from(move |_| save_note.emit(id))}>{ "Save as note" }</Button>
                        { dismiss_button }
                    </div>
                </article>
            }
        }
        AiOutput::EmailDraft { .. } => {
            let (subject, body) = card.draft_text(r).unwrap_or_default();
            let copy = copy.clone();
            let texts = (subject.clone(), body.clone());
            let open_mail = open_mail.clone();
            let mail = OpenDraftInMail {
                result: Some(id),
                to: email.map(str::to_string),
                subject: subject.clone(),
                body: body.clone(),
            };
            html! {
                <article class="ai-unread ai-draft" key={id.to_string()} data-result={id.to_string()}>
                    <div class="ai-unread-meta muted">
                        { format!("Email draft · {meta}") }
                        if let Some(to) = email { { format!(" · to {to}") } }
                    </div>
                    <Input id={format!("ai-draft-subject-{id}")} label={AttrValue::from("Subject")} value={subject}
                        on_change={{ let d = card.dispatcher(); Callback::from(move |v| d.dispatch(CardAction::Subject(id, v))) }} />
                    <TextArea id={format!("ai-draft-body-{id}")} label={AttrValue::from("Body")} value={body} rows={8}
                        on_change={{ let d = card.dispatcher(); Callback::from(move |v| d.dispatch(CardAction::Body(id, v))) }} />
                    <div class="ai-unread-buttons">
                        <Button small=true class="ai-draft-copy" disabled={busy}
                            onclick={Callback::from(move |_| copy.emit(texts.clone()))}>{ "Copy" }</Button>
                        <Button small=true class="ai-draft-mailto" disabled={busy}
                            onclick={Callback::from(move |_| open_mail.emit(mail.clone()))}>{ "Open in mail client" }</Button>
                        { dismiss_button }
                    </div>
                </article>
            }
        }
        other => html! {
            <article class="ai-unread" key={id.to_string()} data-result={id.to_string()}>
                <div class="ai-unread-meta muted">{ meta }</div>
                { output_view(other) }
                <div class="ai-unread-buttons">{ dismiss_button }</div>
            </article>
        },
    }
}
