//! A person's page.

use super::*;

#[function_component(PersonPage)]
pub fn person_page(props: &RecordProps) -> Html {
    let version = use_changes_of(RecordKind::Person);
    let person = use_state(|| None::<Result<Person, ApiError>>);
    let deals = use_state(Vec::<Deal>::new);
    let defs = use_custom_fields(RecordKind::Person);
    {
        let (person, deals) = (person.clone(), deals.clone());
        use_effect_with((props.id, version), move |(id, _)| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                person.set(Some(invoke::<GetPerson>(&id).await));
                let query = DealQuery { contact_id: Some(id), limit: Some(50), ..Default::default() };
                deals.set(invoke::<ListDeals>(&query).await.map(|p| p.items).unwrap_or_default());
            });
        });
    }
    let p = match &*person {
        None => return html! { <section class="page"><Skeleton rows={6} /></section> },
        Some(Err(e)) => return html! { <section class="page"><EmptyState title={e.message.clone()} /></section> },
        Some(Ok(p)) => p.clone(),
    };
    let id = p.id;
    let save = |field: &'static str| {
        save_with(move |value: String| {
            let mut patch = PersonPatch::default();
            match field {
                "first_name" => patch.first_name = Some(value),
                "last_name" => patch.last_name = Some(value),
                "email" => patch.email = Some(value),
                "phone" => patch.phone = Some(value),
                "job_title" => patch.job_title = Some(value),
                "city" => patch.city = Some(value),
                _ => patch.linkedin_url = Some(value),
            }
            Box::pin(async move { invoke::<UpdatePerson>(&(id, patch)).await })
        })
    };
    let set_company = Callback::from(move |choice: Option<(Uuid, String)>| {
        let patch = PersonPatch { company_id: Some(choice.map(|(c, _)| c)), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdatePerson>(&(id, patch)).await;
        });
    });
    let record = RecordRef { kind: RecordKind::Person, id };
    let trashed = p.meta.deleted_at.is_some();
    html! {
        <section class="page record-page" id="person-page">
            <header class="page-header">
                <div class="avatar">{ p.full_name().chars().next().unwrap_or('?').to_string() }</div>
                <h1>{ p.full_name() }</h1>
                if trashed { <Badge text="In the trash" tone={BadgeTone::Danger} /> }
                <div class="spacer" />
                if !trashed { { delete_button(record, p.full_name(), Route::People) } }
            </header>
            <RecordConflicts {record} />
            <div class="record-layout">
                <div class="record-main">
                    <Card title={AttrValue::from("Details")}>
                        <FieldRow id="first_name" label="First name" value={p.first_name.clone()} save={save("first_name")} />
                        <FieldRow id="last_name" label="Last name" value={p.last_name.clone()} save={save("last_name")} />
                        <FieldRow id="email" label="Email" kind="email" value={p.email.clone().unwrap_or_default()} save={save("email")} />
                        <FieldRow id="phone" label="Phone" value={p.phone.clone().unwrap_or_default()} save={save("phone")} />
                        <FieldRow id="job_title" label="Job title" value={p.job_title.clone().unwrap_or_default()} save={save("job_title")} />
                        <FieldRow id="city" label="City" value={p.city.clone().unwrap_or_default()} save={save("city")} />
                        <FieldRow id="linkedin_url" label="LinkedIn" value={p.linkedin_url.clone().unwrap_or_default()} save={save("linkedin_url")} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Company" }</div>
                            <Picker id="person-company" label="" kind={RecordKind::Company}
                                value={p.company_id.zip(p.company_name.clone())} on_change={set_company} />
                        </div>
                        { custom_rows("person", &defs, &p.custom, |key, _| save_with(move |value: String| {
                            let patch = PersonPatch { custom: custom_patch(key.clone(), value), ..Default::default() };
                            Box::pin(async move { invoke::<UpdatePerson>(&(id, patch)).await })
                        })) }
                        <div class="field-row">
                            <div class="field-row-label">{ "Tags" }</div>
                            <TagsEditor {record} tags={p.tags.clone()} />
                        </div>
                    </Card>
                    <AiCard key={id.to_string()} {record} email={p.email.clone()} />
                    <Card title={AttrValue::from("Deals")}>
                        if deals.is_empty() { <div class="muted">{ "Not the contact of any deal." }</div> }
                        { for deals.iter().map(related_deal) }
                        if let Some(company_id) = p.company_id {
                            <div class="related-line">{ "Works at " }<Link<Route> to={Route::Company { id: company_id }}>{ p.company_name.clone().unwrap_or_default() }</Link<Route>></div>
                        }
                    </Card>
                    { integrations_with(Some(html! { <WhopPersonCard person={id} /> })) }
                </div>
                <div class="record-side">{ side_panels(record) }</div>
            </div>
        </section>
    }
}
