use super::{error_banner, use_list};
use crate::components::field::Field;
use crate::components::hooks::use_changes_of;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::state::list::ListAction;
use crate::state::person_form::PersonForm;
use dealdesk_model::ipc::{CreatePerson, ListPeople};
use dealdesk_model::{PersonQuery, RecordKind};
use yew::prelude::*;

#[function_component(PeoplePage)]
pub fn people_page() -> Html {
    let version = use_changes_of(RecordKind::Person);
    let list = use_list::<ListPeople, _>(PersonQuery { limit: Some(200), ..Default::default() }, version);
    let form = use_state(PersonForm::default);
    let notifier = use_notifier();

    let edit = |apply: fn(&mut PersonForm, String)| {
        let form = form.clone();
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            apply(&mut next, value);
            next.errors.clear();
            form.set(next);
        })
    };
    let on_submit = {
        let form = form.clone();
        let list = list.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = match form.request() {
                Ok(request) => request,
                Err(errors) => {
                    form.set(PersonForm { errors, ..(*form).clone() });
                    return;
                }
            };
            form.set(PersonForm { saving: true, ..(*form).clone() });
            let form = form.clone();
            let list = list.clone();
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<CreatePerson>(&request).await {
                    Ok(person) => {
                        if let Some(n) = &notifier {
                            n.success(format!("Added {}", person.full_name()));
                        }
                        list.dispatch(ListAction::Upsert(person));
                        form.set(PersonForm::default());
                    }
                    Err(error) => {
                        if let (None, Some(n)) = (&error.field, &notifier) {
                            n.error(error.message.clone());
                        }
                        form.set((*form).clone().with_error(&error));
                    }
                }
            });
        })
    };

    let error = |field: &str| form.error(field).map(|e| AttrValue::from(e.to_string()));
    html! {
        <section class="page">
            <header class="page-header">
                <h1>{ "People" }</h1>
                <span class="count">{ if list.has_more { format!("{}+", list.items.len()) } else { list.items.len().to_string() } }</span>
            </header>
            <form class="card add-form" id="add-person-form" onsubmit={on_submit} novalidate=true>
                <Field id="first-name" label="First name" value={form.first_name.clone()} error={error("first_name")}
                    on_change={edit(|f, v| f.first_name = v)} />
                <Field id="last-name" label="Last name" value={form.last_name.clone()} error={error("last_name")}
                    on_change={edit(|f, v| f.last_name = v)} />
                <Field id="email" label="Email" kind="email" value={form.email.clone()} error={error("email")}
                    placeholder="name@company.com" on_change={edit(|f, v| f.email = v)} />
                <button type="submit" id="add-person" class="btn primary" disabled={form.saving}>{ "Add person" }</button>
                if let Some(general) = form.error("") {
                    <div class="field-error" role="alert">{ general.to_string() }</div>
                }
            </form>
            { error_banner(&list.error) }
            if list.items.is_empty() && !list.loading && list.error.is_none() {
                <div class="empty">{ "No people yet. Add the first one above, or import a CSV with dealdesk-cli." }</div>
            } else {
                <table class="records" id="people-table">
                    <thead><tr><th>{ "Name" }</th><th>{ "Email" }</th><th>{ "Company" }</th><th>{ "Job title" }</th></tr></thead>
                    <tbody>
                        { for list.items.iter().map(|p| html! {
                            <tr key={p.id.to_string()} data-id={p.id.to_string()}>
                                <td class="name">{ p.full_name() }</td>
                                <td>{ p.email.clone().unwrap_or_default() }</td>
                                <td>{ p.company_name.clone().unwrap_or_default() }</td>
                                <td>{ p.job_title.clone().unwrap_or_default() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
