//! Create dialogs for people, companies, deals and tasks, with errors shown on their fields.

use super::picker::Picker;
use super::record_route;
use crate::components::controls::{Button, DatePicker, Input, Select, Tone};
use crate::components::overlay::Modal;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::state::form::{self, Form};
use chrono::NaiveDate;
use dealdesk_model::ipc::{AddTask, CreateCompany, CreateDeal, CreatePerson, ListPipelines};
use dealdesk_model::{ApiError, Pipeline, RecordKind, RecordRef};
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CreateProps {
    pub kind: RecordKind,
    pub on_close: Callback<()>,
    /// Attach a new task to this record.
    #[prop_or_default]
    pub target: Option<RecordRef>,
    /// What was typed last time this dialog was closed without creating (never lost).
    #[prop_or_default]
    pub draft: Option<Form>,
    /// Keeps what is typed, so closing the dialog does not lose it.
    #[prop_or_default]
    pub on_draft: Callback<Option<Form>>,
}

const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK", "BRL", "INR"];

async fn create(
    kind: RecordKind,
    form: &Form,
    target: Option<RecordRef>,
) -> Result<Result<(RecordRef, String), ApiError>, form::Errors> {
    Ok(match kind {
        RecordKind::Person => {
            let request = form::new_person(form)?;
            invoke::<CreatePerson>(&request).await.map(|p| (RecordRef { kind, id: p.id }, p.full_name()))
        }
        RecordKind::Company => {
            let request = form::new_company(form)?;
            invoke::<CreateCompany>(&request).await.map(|c| (RecordRef { kind, id: c.id }, c.name))
        }
        RecordKind::Deal => {
            let request = form::new_deal(form)?;
            invoke::<CreateDeal>(&request).await.map(|d| (RecordRef { kind, id: d.id }, d.name))
        }
        _ => {
            let request = form::new_task(form, target.into_iter().collect())?;
            invoke::<AddTask>(&request).await.map(|t| (RecordRef { kind: RecordKind::Task, id: t.id }, t.title))
        }
    })
}

#[function_component(CreateDialog)]
pub fn create_dialog(props: &CreateProps) -> Html {
    let form = use_state(|| props.draft.clone().unwrap_or_else(|| Form::default().with("currency", "USD")));
    {
        let on_draft = props.on_draft.clone();
        use_effect_with((*form).clone(), move |form| on_draft.emit(Some(form.as_draft())));
    }
    let pipelines = use_state(Vec::<Pipeline>::new);
    let company = use_state(|| None::<(Uuid, String)>);
    let contact = use_state(|| None::<(Uuid, String)>);
    let notifier = use_notifier();
    let navigator = use_navigator();
    {
        let pipelines = pipelines.clone();
        let form = form.clone();
        use_effect_with(props.kind, move |kind| {
            if *kind == RecordKind::Deal {
                wasm_bindgen_futures::spawn_local(async move {
                    let list = invoke::<ListPipelines>(&()).await.unwrap_or_default();
                    if let Some(default) = list.iter().find(|p| p.is_default) {
                        let mut next = (*form).clone();
                        next.set("pipeline_id", default.id.to_string());
                        if let Some(first) = default.stages.first() {
                            next.set("stage", first.name.clone());
                        }
                        form.set(next);
                    }
                    pipelines.set(list);
                });
            }
        });
    }
    let set = |field: &'static str| {
        let form = form.clone();
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            next.set(field, value);
            form.set(next);
        })
    };
    let submit = {
        let form = form.clone();
        let kind = props.kind;
        let target = props.target;
        let on_close = props.on_close.clone();
        let on_draft = props.on_draft.clone();
        let company = company.clone();
        let contact = contact.clone();
        Callback::from(move |_| {
            let mut current = (*form).clone();
            if current.saving {
                return;
            }
            if let Some((id, _)) = &*company {
                current.set("company_id", id.to_string());
            }
            if let Some((id, _)) = &*contact {
                current.set("contact_id", id.to_string());
            }
            current.saving = true;
            form.set(current.clone());
            let form = form.clone();
            let on_close = on_close.clone();
            let on_draft = on_draft.clone();
            let notifier = notifier.clone();
            let navigator = navigator.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match create(kind, &current, target).await {
                    Err(errors) => form.set(current.with_errors(errors)),
                    Ok(Err(error)) => form.set(current.with_error(&error)),
                    Ok(Ok((record, name))) => {
                        on_close.emit(());
                        on_draft.emit(None);
                        if let Some(n) = notifier {
                            let open = record_route(record).filter(|_| record.kind != RecordKind::Task);
                            match (open, navigator) {
                                (Some(route), Some(nav)) => n.with_action(
                                    format!("Added {name}"),
                                    "Open",
                                    Callback::from(move |_| nav.push(&route)),
                                ),
                                _ => n.success(format!("Added {name}")),
                            }
                        }
                    }
                }
            });
        })
    };
    let error = |field: &str| form.error(field).map(|e| AttrValue::from(e.to_string()));
    let on_enter = {
        let submit = submit.clone();
        Callback::from(move |_: String| submit.emit(()))
    };
    let title = match props.kind {
        RecordKind::Person => "New person",
        RecordKind::Company => "New company",
        RecordKind::Deal => "New deal",
        _ => "New task",
    };
    let body = match props.kind {
        RecordKind::Person => html! {
            <div class="form-grid">
                <Input id="new-first-name" label={AttrValue::from("First name")} value={form.get("first_name").to_string()} autofocus=true
                    error={error("first_name")} on_change={set("first_name")} on_enter={on_enter.clone()} />
                <Input id="new-last-name" label={AttrValue::from("Last name")} value={form.get("last_name").to_string()}
                    error={error("last_name")} on_change={set("last_name")} on_enter={on_enter.clone()} />
                <Input id="new-email" kind="email" label={AttrValue::from("Email")} value={form.get("email").to_string()}
                    error={error("email")} on_change={set("email")} on_enter={on_enter.clone()} />
                <Input id="new-job-title" label={AttrValue::from("Job title")} value={form.get("job_title").to_string()}
                    error={error("job_title")} on_change={set("job_title")} on_enter={on_enter.clone()} />
                <Picker id="new-company" label="Company" kind={RecordKind::Company} value={(*company).clone()}
                    error={error("company")} on_change={{ let company = company.clone(); Callback::from(move |v| company.set(v)) }} />
            </div>
        },
        RecordKind::Company => html! {
            <div class="form-grid">
                <Input id="new-company-name" label={AttrValue::from("Name")} value={form.get("name").to_string()} autofocus=true
                    error={error("name")} on_change={set("name")} on_enter={on_enter.clone()} />
                <Input id="new-domain" label={AttrValue::from("Domain")} placeholder="acme.com" value={form.get("domain").to_string()}
                    error={error("domain")} on_change={set("domain")} on_enter={on_enter.clone()} />
            </div>
        },
        RecordKind::Deal => {
            let stages: Vec<(AttrValue, AttrValue)> = pipelines
                .iter()
                .find(|p| p.id.to_string() == form.get("pipeline_id"))
                .map(|p| {
                    p.stages
                        .iter()
                        .map(|s| (AttrValue::from(s.name.clone()), AttrValue::from(s.name.clone())))
                        .collect()
                })
                .unwrap_or_default();
            let pipeline_options: Vec<(AttrValue, AttrValue)> = pipelines
                .iter()
                .map(|p| (AttrValue::from(p.id.to_string()), AttrValue::from(p.name.clone())))
                .collect();
            let currencies: Vec<(AttrValue, AttrValue)> =
                CURRENCIES.iter().map(|c| (AttrValue::from(*c), AttrValue::from(*c))).collect();
            html! {
                <div class="form-grid">
                    <Input id="new-deal-name" label={AttrValue::from("Name")} value={form.get("name").to_string()} autofocus=true
                        error={error("name")} on_change={set("name")} on_enter={on_enter.clone()} />
                    <Input id="new-amount" label={AttrValue::from("Amount")} placeholder="1200.50" value={form.get("amount").to_string()}
                        error={error("amount")} on_change={set("amount")} on_enter={on_enter.clone()} />
                    <Select id="new-currency" label={AttrValue::from("Currency")} value={form.get("currency").to_string()}
                        options={currencies} error={error("currency")} on_change={set("currency")} />
                    if pipeline_options.len() > 1 {
                        <Select id="new-pipeline" label={AttrValue::from("Pipeline")} value={form.get("pipeline_id").to_string()}
                            options={pipeline_options} on_change={set("pipeline_id")} />
                    }
                    <Select id="new-stage" label={AttrValue::from("Stage")} value={form.get("stage").to_string()} options={stages}
                        error={error("stage")} on_change={set("stage")} />
                    <DatePicker id="new-close-date" label={AttrValue::from("Expected close")}
                        value={NaiveDate::parse_from_str(form.get("close_date"), "%Y-%m-%d").ok()}
                        on_change={{ let set = set("close_date"); Callback::from(move |d: Option<NaiveDate>| set.emit(d.map(|d| d.to_string()).unwrap_or_default())) }} />
                    <Picker id="new-deal-company" label="Company" kind={RecordKind::Company} value={(*company).clone()}
                        error={error("company")} on_change={{ let company = company.clone(); Callback::from(move |v| company.set(v)) }} />
                    <Picker id="new-contact" label="Point of contact" kind={RecordKind::Person} value={(*contact).clone()}
                        error={error("contact")} on_change={{ let contact = contact.clone(); Callback::from(move |v| contact.set(v)) }} />
                </div>
            }
        }
        _ => html! {
            <div class="form-grid">
                <Input id="new-task-title" label={AttrValue::from("Title")} value={form.get("title").to_string()} autofocus=true
                    error={error("title")} on_change={set("title")} on_enter={on_enter.clone()} />
                <DatePicker id="new-task-due" label={AttrValue::from("Due")}
                    value={NaiveDate::parse_from_str(form.get("due"), "%Y-%m-%d").ok()}
                    on_change={{ let set = set("due"); Callback::from(move |d: Option<NaiveDate>| set.emit(d.map(|d| d.to_string()).unwrap_or_default())) }} />
            </div>
        },
    };
    let footer = html! {
        <>
            if let Some(general) = form.error("") {
                <span class="field-error" role="alert">{ general.to_string() }</span>
            }
            <Button tone={Tone::Ghost} onclick={{ let close = props.on_close.clone(); Callback::from(move |_| close.emit(())) }}>{ "Cancel" }</Button>
            <Button tone={Tone::Primary} id="create-submit" disabled={form.saving} onclick={{ let submit = submit.clone(); Callback::from(move |_| submit.emit(())) }}>
                { if form.saving { "Saving…" } else { "Create" } }
            </Button>
        </>
    };
    html! {
        <Modal {title} id="create-dialog" on_close={props.on_close.clone()} {footer}>
            { body }
        </Modal>
    }
}
