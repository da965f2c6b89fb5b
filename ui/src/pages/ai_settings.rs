//! Settings → AI: the provider settings (`#ai-settings`) with Save and Test connection, the usage
//! dashboard (`#ai-usage`), and the prompt templates (`#prompt-templates`, in `prompts.rs`).

use crate::components::charts::{BarChart, LineChart};
use crate::components::controls::{Button, Checkbox, Input, Select, Tone};
use crate::components::display::{Card, Skeleton};
use crate::components::hooks::{use_ai_changes, use_core_events};
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::pages::ai::tone_class;
use crate::route::Route;
use crate::state::ai::{
    AiSettingsView, FormEdit, SettingsAction, action_label, budget_percent, budget_text, calls_per_day, cost_per_day,
    effective_differences, key_text, latency_text, record_text, tokens_text, usd,
};
use crate::state::format::short_time;
use crate::state::whop::StatusTone;
use dealdesk_model::ai::{AiCallOutcome, AiCallView, AiProviderKind, AiUsageReport, AiUsageRow};
use dealdesk_model::ipc::{AiGetStatus, AiGetUsage, AiSaveSettings, AiTestConnection, CoreEvent};
use yew::prelude::*;
use yew_router::prelude::*;

/// The AI tab of Settings.
#[function_component(AiSettingsTab)]
pub fn ai_settings_tab() -> Html {
    html! {
        <div class="ai-settings-tab">
            <AiSettingsCard />
            <AiUsage />
            <crate::pages::prompts::PromptTemplates />
        </div>
    }
}

fn load_status(dispatch: UseReducerDispatcher<AiSettingsView>) {
    wasm_bindgen_futures::spawn_local(async move {
        dispatch
            .dispatch(SettingsAction::Loaded(invoke::<AiGetStatus>(&()).await.map(Box::new).map_err(|e| e.message)));
    });
}

/// `#ai-settings`: provider, URL, model, key, limits, budget and prices.
#[function_component(AiSettingsCard)]
pub fn ai_settings_card() -> Html {
    let view = use_reducer(AiSettingsView::default);
    let notifier = use_notifier();
    {
        let dispatch = view.dispatcher();
        use_effect_with((), move |_| load_status(dispatch));
    }
    {
        let dispatch = view.dispatcher();
        use_core_events(Callback::from(move |event: CoreEvent| {
            if matches!(event, CoreEvent::AiChanged { .. } | CoreEvent::ConfigChanged) {
                load_status(dispatch.clone());
            }
        }));
    }
    let (Some(status), Some(form)) = (view.status.clone(), view.form.clone()) else {
        return html! {
            <Card title={AttrValue::from("AI provider")} id="ai-settings">
                if let Some(message) = &view.load_error {
                    <div class="banner error" id="ai-load-error" role="alert">{ format!("Cannot read the AI settings: {message}") }</div>
                } else {
                    <Skeleton rows={5} />
                }
            </Card>
        };
    };
    let edit = |make: fn(String) -> FormEdit| {
        let dispatch = view.dispatcher();
        Callback::from(move |value: String| dispatch.dispatch(SettingsAction::Edit(make(value))))
    };
    let send = |edit: FormEdit| {
        let dispatch = view.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(SettingsAction::Edit(edit.clone())))
    };
    let save = {
        let (dispatch, notifier, form) = (view.dispatcher(), notifier.clone(), form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = match form.validate() {
                Ok(request) => request,
                Err(errors) => {
                    dispatch.dispatch(SettingsAction::Invalid(errors));
                    return;
                }
            };
            dispatch.dispatch(SettingsAction::Saving);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<AiSaveSettings>(&request).await {
                    Ok(status) => {
                        if let Some(n) = &notifier {
                            n.success("Saved the AI settings");
                        }
                        dispatch.dispatch(SettingsAction::Saved(Box::new(status)));
                    }
                    Err(e) => {
                        if let Some(n) = &notifier {
                            n.error(e.message.clone());
                        }
                        dispatch.dispatch(SettingsAction::SaveFailed(e.message));
                    }
                }
            });
        })
    };
    let test = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(SettingsAction::Testing);
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                dispatch.dispatch(SettingsAction::Tested(invoke::<AiTestConnection>(&()).await.map_err(|e| e.message)));
            });
        })
    };
    let discard = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(SettingsAction::Discard))
    };
    let errors = &view.errors;
    let error = |e: &Option<String>| e.clone().map(AttrValue::from);
    let providers: Vec<(AttrValue, AttrValue)> =
        AiProviderKind::ALL.into_iter().map(|p| (AttrValue::from(p.as_str()), AttrValue::from(p.label()))).collect();
    let differences = effective_differences(&status.settings, &status.effective);
    let dirty = view.dirty();
    let off = status.disabled_by_env;
    html! {
        <Card title={AttrValue::from("AI provider")} id="ai-settings" class="ai-settings">
            if off {
                <div class="banner warning" id="ai-disabled-env" role="status">
                    { "Switched off by DEALDESK_AI=off: AI stays off whatever is set here. Remove the variable and restart Dealdesk to use AI." }
                </div>
            }
            if !status.env_overrides.is_empty() {
                <div class="banner warning ai-env" id="ai-env-overrides" role="status">
                    <div>{ format!("Set by the environment, and winning over the saved settings: {}.", status.env_overrides.join(", ")) }</div>
                    if !differences.is_empty() {
                        <ul class="ai-env-values">
                            { for differences.iter().map(|(label, value)| html! {
                                <li data-field={*label}>{ format!("In force: {label} = ") }<code>{ value.clone() }</code></li>
                            }) }
                        </ul>
                    }
                </div>
            }
            <form class="ai-settings-form" onsubmit={save} novalidate=true aria-label="AI settings">
                <div class="ai-enabled-row">
                    <Checkbox id="ai-enabled" checked={form.enabled} disabled={off} label={AttrValue::from("Use AI in Dealdesk")}
                        on_change={{ let d = view.dispatcher(); Callback::from(move |(on, _): (bool, bool)| d.dispatch(SettingsAction::Edit(FormEdit::Enabled(on)))) }} />
                </div>
                <div class="form-grid">
                    <Select id="ai-provider" label={AttrValue::from("Provider")} value={form.provider.as_str()} options={providers}
                        on_change={{ let d = view.dispatcher(); Callback::from(move |v: String| {
                            if let Some(p) = AiProviderKind::parse(&v) { d.dispatch(SettingsAction::Edit(FormEdit::Provider(p))) }
                        }) }} />
                    <Input id="ai-model" label={AttrValue::from("Model")} value={form.model.clone()}
                        placeholder={form.provider.default_model()} error={error(&errors.model)} on_change={edit(FormEdit::Model)} />
                    <Input id="ai-base-url" label={AttrValue::from("Base URL")} value={form.base_url.clone()}
                        placeholder={form.provider.default_base_url()} error={error(&errors.base_url)} on_change={edit(FormEdit::BaseUrl)} />
                    <div class="ai-key">
                        <Input id="ai-api-key" kind="password" label={AttrValue::from("API key")} value={form.api_key.clone()}
                            placeholder={if status.has_api_key { "•••••••• stored: type to replace" } else { "Stored in the OS keyring" }}
                            error={error(&errors.api_key)} on_change={edit(FormEdit::ApiKey)} />
                        <div class="ai-key-line">
                            <span class={classes!("muted", "ai-key-status")} id="ai-key-status" data-has-key={status.has_api_key.to_string()}>
                                { key_text(status.has_api_key, &form) }
                            </span>
                            if status.has_api_key && !form.clear_api_key {
                                <button type="button" class="link-btn" id="ai-remove-key" onclick={send(FormEdit::ClearKey(true))}>{ "Remove key" }</button>
                            }
                            if form.clear_api_key {
                                <button type="button" class="link-btn" id="ai-keep-key" onclick={send(FormEdit::ClearKey(false))}>{ "Keep the key" }</button>
                            }
                        </div>
                    </div>
                    <Input id="ai-rpm" label={AttrValue::from("Max requests per minute (0 = no limit)")} value={form.max_requests_per_minute.clone()}
                        error={error(&errors.max_requests_per_minute)} on_change={edit(FormEdit::MaxRequestsPerMinute)} />
                    <Input id="ai-timeout" label={AttrValue::from("Timeout (seconds)")} value={form.timeout_secs.clone()}
                        error={error(&errors.timeout_secs)} on_change={edit(FormEdit::TimeoutSecs)} />
                    <Input id="ai-max-tokens" label={AttrValue::from("Max output tokens")} value={form.max_output_tokens.clone()}
                        error={error(&errors.max_output_tokens)} on_change={edit(FormEdit::MaxOutputTokens)} />
                    <Input id="ai-budget" label={AttrValue::from("Monthly budget in $ (empty: none)")} value={form.budget.clone()}
                        placeholder="No budget" error={error(&errors.budget)} on_change={edit(FormEdit::Budget)} />
                </div>
                <div class={classes!("ai-month", status.over_budget.then_some("over"))} id="ai-month-spend">
                    { format!("Spent this month: {}", usd(status.month_cost_micros)) }
                    if status.over_budget { { " " }<span class="badge danger">{ "Over budget" }</span> }
                </div>
                <h4 class="whop-subhead">{ "Prices" }<span class="count">{ "$ per million tokens; models without a price cost nothing (local servers)" }</span></h4>
                <table class="stage-editor ai-prices" id="ai-prices">
                    <thead><tr><th>{ "Model or prefix*" }</th><th>{ "Input $/M" }</th><th>{ "Output $/M" }</th><th /></tr></thead>
                    <tbody>
                        { for form.prices.iter().enumerate().map(|(i, row)| {
                            let d = view.dispatcher();
                            let on = move |make: fn(usize, String) -> FormEdit| {
                                let d = d.clone();
                                Callback::from(move |v: String| d.dispatch(SettingsAction::Edit(make(i, v))))
                            };
                            html! {
                                <>
                                    <tr class="ai-price-row" data-index={i.to_string()}>
                                        <td><Input id={format!("ai-price-model-{i}")} value={row.model.clone()} placeholder="gpt-4o*" on_change={on(FormEdit::PriceModel)} /></td>
                                        <td><Input id={format!("ai-price-input-{i}")} value={row.input.clone()} placeholder="0.15" on_change={on(FormEdit::PriceInput)} /></td>
                                        <td><Input id={format!("ai-price-output-{i}")} value={row.output.clone()} placeholder="0.60" on_change={on(FormEdit::PriceOutput)} /></td>
                                        <td class="row-buttons">
                                            <Button small=true tone={Tone::Ghost} class="ai-price-remove" aria_label={AttrValue::from(format!("Remove the price of {}", row.model))}
                                                onclick={send(FormEdit::RemovePrice(i))}>{ "✕" }</Button>
                                        </td>
                                    </tr>
                                    if let Some(message) = errors.prices.get(&i) {
                                        <tr class="ai-price-error"><td colspan="4"><span class="field-error" role="alert">{ message.clone() }</span></td></tr>
                                    }
                                </>
                            }
                        }) }
                    </tbody>
                </table>
                if form.prices.is_empty() { <div class="muted">{ "No prices: every call costs $0." }</div> }
                <div class="inline-form">
                    <Button small=true id="ai-price-add" onclick={send(FormEdit::AddPrice)}>{ "Add price" }</Button>
                </div>
                if !errors.is_empty() {
                    <div class="banner error" id="ai-settings-errors" role="alert">
                        <div>{ "Fix these first:" }</div>
                        <ul>{ for errors.messages().into_iter().map(|m| html! { <li>{ m }</li> }) }</ul>
                    </div>
                }
                if let Some(message) = &view.save_error {
                    <div class="banner error" id="ai-save-error" role="alert">{ message.clone() }</div>
                }
                <div class="inline-form">
                    <Button kind="submit" tone={Tone::Primary} id="ai-save" disabled={view.saving}>
                        { if view.saving { "Saving…" } else { "Save" } }
                    </Button>
                    <Button id="ai-test-connection" disabled={view.testing || off} onclick={test}
                        title={AttrValue::from("Sends a tiny request with the saved settings")}>
                        if view.testing { <span class="spinner" aria-hidden="true" />{ " Testing…" } } else { { "Test connection" } }
                    </Button>
                    if dirty {
                        <Button tone={Tone::Ghost} id="ai-discard" onclick={discard}>{ "Discard changes" }</Button>
                        <span class="muted ai-dirty">{ "Unsaved changes: Test connection uses the saved settings." }</span>
                    }
                </div>
            </form>
            { test_result(&view) }
        </Card>
    }
}

fn test_result(view: &AiSettingsView) -> Html {
    match &view.test {
        None => html! {},
        Some(Ok(t)) => html! {
            <div class={classes!("banner", if t.ok { "success" } else { "error" }, "ai-test-result")} id="ai-test-result"
                data-ok={t.ok.to_string()} role="status">
                <strong>{ if t.ok { "Connection works" } else { "Connection failed" } }</strong>
                { format!(" · {} · {} · {}", t.provider.label(), t.model, latency_text(t.latency_ms)) }
                if !t.message.trim().is_empty() { <div class="ai-test-message">{ t.message.clone() }</div> }
            </div>
        },
        Some(Err(message)) => html! {
            <div class="banner error ai-test-result" id="ai-test-result" data-ok="false" role="alert">
                <strong>{ "Connection failed" }</strong>{ format!(" · {message}") }
            </div>
        },
    }
}

/// `#ai-usage`: this month against the budget, calls and cost per day, tables per action and
/// model, the slowest and the failed calls.
#[function_component(AiUsage)]
pub fn ai_usage() -> Html {
    let changes = use_ai_changes(None, false);
    let report = use_state(|| None::<Result<AiUsageReport, String>>);
    {
        let report = report.clone();
        use_effect_with(changes, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                report.set(Some(invoke::<AiGetUsage>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    let r = match &*report {
        None => return html! { <Card title={AttrValue::from("Usage")} id="ai-usage"><Skeleton rows={5} /></Card> },
        Some(Err(message)) => {
            return html! {
                <Card title={AttrValue::from("Usage")} id="ai-usage">
                    <div class="banner error" role="alert">{ format!("Cannot read the AI usage: {message}") }</div>
                </Card>
            };
        }
        Some(Ok(r)) => r,
    };
    let percent = r.budget_micros.and_then(|b| budget_percent(r.month_cost_micros, b));
    let over = percent.is_some_and(|p| p >= 100);
    let any_calls = r.per_day.iter().any(|d| d.calls > 0);
    let axis_usd = Callback::from(|v: f64| usd(v as i64));
    html! {
        <Card title={AttrValue::from(format!("Usage · {}", r.month))} id="ai-usage" class="ai-usage">
            <div class="kpis ai-kpis">
                <div class="card kpi">
                    <div class="kpi-label">{ "This month" }</div>
                    <div class="kpi-value" id="ai-month-cost">{ usd(r.month_cost_micros) }</div>
                    <div class="muted ai-budget-text" id="ai-budget-text">{ budget_text(r.month_cost_micros, r.budget_micros) }</div>
                    if let Some(p) = percent {
                        <div class={classes!("ai-budget-bar", over.then_some("over"))} role="progressbar" aria-label="Budget used"
                            aria-valuemin="0" aria-valuemax="100" aria-valuenow={p.min(100).to_string()}>
                            <div class="ai-budget-fill" style={format!("width: {}%", p.min(100))} />
                        </div>
                    }
                </div>
                <div class="card kpi">
                    <div class="kpi-label">{ "Calls, all time" }</div>
                    <div class="kpi-value" id="ai-total-calls">{ r.total.calls }</div>
                    <div class="muted">{ format!("{} failed", r.total.failed) }</div>
                </div>
                <div class="card kpi">
                    <div class="kpi-label">{ "Tokens, all time" }</div>
                    <div class="kpi-value">{ r.total.tokens_in + r.total.tokens_out }</div>
                    <div class="muted">{ tokens_text(r.total.tokens_in, r.total.tokens_out) }</div>
                </div>
                <div class="card kpi">
                    <div class="kpi-label">{ "Cost, all time" }</div>
                    <div class="kpi-value" id="ai-total-cost">{ usd(r.total.cost_micros) }</div>
                </div>
            </div>
            if any_calls {
                <div class="charts ai-charts">
                    <div class="ai-chart" id="ai-calls-chart">
                        <h4 class="whop-subhead">{ "Calls per day" }<span class="count">{ "last 30 days" }</span></h4>
                        <BarChart title="AI calls per day" data={calls_per_day(&r.per_day)} />
                    </div>
                    <div class="ai-chart" id="ai-cost-chart">
                        <h4 class="whop-subhead">{ "Cost per day" }<span class="count">{ "last 30 days" }</span></h4>
                        <LineChart title="AI cost per day" data={cost_per_day(&r.per_day)} axis={axis_usd} />
                    </div>
                </div>
            } else {
                <div class="chart-empty" id="ai-usage-empty">{ "No AI calls in the last 30 days. Run an action from the AI card of a person, company or deal and it shows here." }</div>
            }
            <div class="charts">
                <div>
                    <h4 class="whop-subhead">{ "Per action" }</h4>
                    { usage_table("ai-usage-actions", "Action", &r.per_action, true) }
                </div>
                <div>
                    <h4 class="whop-subhead">{ "Per model" }</h4>
                    { usage_table("ai-usage-models", "Model", &r.per_model, false) }
                </div>
            </div>
            <h4 class="whop-subhead">{ "Slowest calls" }</h4>
            { calls_table("ai-slowest", &r.slowest, "No calls yet.") }
            <h4 class="whop-subhead">{ "Failed calls" }</h4>
            { calls_table("ai-failed", &r.failed, "No failed calls.") }
        </Card>
    }
}

fn usage_table(id: &'static str, what: &'static str, rows: &[AiUsageRow], actions: bool) -> Html {
    if rows.is_empty() {
        return html! { <div class="muted" id={id}>{ "No calls yet." }</div> };
    }
    html! {
        <table class="whop-table ai-usage-table" {id}>
            <thead><tr>
                <th>{ what }</th><th class="num">{ "Calls" }</th><th class="num">{ "Failed" }</th>
                <th class="num">{ "Tokens in" }</th><th class="num">{ "Tokens out" }</th><th class="num">{ "Cost" }</th>
            </tr></thead>
            <tbody>
                { for rows.iter().map(|row| html! {
                    <tr class="ai-usage-row" key={row.key.clone()} data-key={row.key.clone()}>
                        <td>{ if actions { action_label(&row.key) } else { row.key.clone() } }</td>
                        <td class="num">{ row.calls }</td>
                        <td class={classes!("num", (row.failed > 0).then_some("whop-error"))}>{ row.failed }</td>
                        <td class="num">{ row.tokens_in }</td>
                        <td class="num">{ row.tokens_out }</td>
                        <td class="num">{ usd(row.cost_micros) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

fn outcome_tone(outcome: AiCallOutcome) -> StatusTone {
    match outcome {
        AiCallOutcome::Ok => StatusTone::Success,
        AiCallOutcome::InvalidOutput => StatusTone::Warning,
        AiCallOutcome::Error => StatusTone::Danger,
    }
}

fn calls_table(id: &'static str, calls: &[AiCallView], empty: &'static str) -> Html {
    if calls.is_empty() {
        return html! { <div class="muted" {id}>{ empty }</div> };
    }
    html! {
        <table class="whop-table ai-calls" {id}>
            <thead><tr>
                <th>{ "Time" }</th><th>{ "Action" }</th><th>{ "Model" }</th><th>{ "Record" }</th>
                <th class="num">{ "Tokens" }</th><th class="num">{ "Cost" }</th><th class="num">{ "Latency" }</th><th>{ "Error" }</th>
            </tr></thead>
            <tbody>
                { for calls.iter().map(|c| html! {
                    <tr class="ai-call-row" key={c.id.to_string()} data-call={c.id.to_string()} data-outcome={c.outcome.as_str()}>
                        <td>{ short_time(&c.at) }</td>
                        <td>
                            { c.action.label() }
                            if c.outcome != AiCallOutcome::Ok {
                                { " " }<span class={classes!("badge", tone_class(outcome_tone(c.outcome)))}>{ c.outcome.as_str().replace('_', " ") }</span>
                            }
                        </td>
                        <td><code>{ c.model.clone() }</code></td>
                        <td>
                            { match c.record.and_then(|r| crate::shell::record_route(r).map(|route| (r, route))) {
                                Some((r, route)) => html! { <Link<Route> to={route} classes="ai-record-link">{ record_text(&r) }</Link<Route>> },
                                None => html! { <span class="muted">{ "—" }</span> },
                            } }
                        </td>
                        <td class="num">{ tokens_text(c.tokens_in, c.tokens_out) }</td>
                        <td class="num">{ usd(c.cost_micros) }</td>
                        <td class="num">{ latency_text(c.latency_ms) }</td>
                        <td class={classes!("ai-call-error", c.error.is_some().then_some("whop-error"))}>{ c.error.clone().unwrap_or_else(|| "—".into()) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}
