//! A company's page.

use super::*;

#[function_component(CompanyPage)]
pub fn company_page(props: &RecordProps) -> Html {
    let version = use_changes_of(RecordKind::Company);
    let people_version = use_changes_of(RecordKind::Person);
    let deals_version = use_changes_of(RecordKind::Deal);
    let company = use_state(|| None::<Result<Company, ApiError>>);
    let people = use_state(Vec::<Person>::new);
    let deals = use_state(Vec::<Deal>::new);
    let defs = use_custom_fields(RecordKind::Company);
    {
        let (company, people, deals) = (company.clone(), people.clone(), deals.clone());
        use_effect_with((props.id, version, people_version, deals_version), move |(id, ..)| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                company.set(Some(invoke::<GetCompany>(&id).await));
                let q = PersonQuery { company_id: Some(id), limit: Some(100), ..Default::default() };
                people.set(invoke::<ListPeople>(&q).await.map(|p| p.items).unwrap_or_default());
                let q = DealQuery { company_id: Some(id), limit: Some(100), ..Default::default() };
                deals.set(invoke::<ListDeals>(&q).await.map(|p| p.items).unwrap_or_default());
            });
        });
    }
    let c = match &*company {
        None => return html! { <section class="page"><Skeleton rows={6} /></section> },
        Some(Err(e)) => return html! { <section class="page"><EmptyState title={e.message.clone()} /></section> },
        Some(Ok(c)) => c.clone(),
    };
    let id = c.id;
    let save = |field: &'static str| {
        save_with(move |value: String| {
            let mut patch = CompanyPatch::default();
            match field {
                "name" => patch.name = Some(value),
                "domain" => patch.domain = Some(value),
                "address" => patch.address = Some(value),
                _ => patch.linkedin_url = Some(value),
            }
            Box::pin(async move { invoke::<UpdateCompany>(&(id, patch)).await })
        })
    };
    let record = RecordRef { kind: RecordKind::Company, id };
    let trashed = c.meta.deleted_at.is_some();
    html! {
        <section class="page record-page" id="company-page">
            <header class="page-header">
                <div class="avatar square">{ c.name.chars().next().unwrap_or('?').to_string() }</div>
                <h1>{ c.name.clone() }</h1>
                if c.icp { <Badge text="ICP" tone={BadgeTone::Accent} /> }
                if trashed { <Badge text="In the trash" tone={BadgeTone::Danger} /> }
                <div class="spacer" />
                if !trashed { { delete_button(record, c.name.clone(), Route::Companies) } }
            </header>
            <div class="record-layout">
                <div class="record-main">
                    <Card title={AttrValue::from("Details")}>
                        <FieldRow id="name" label="Name" value={c.name.clone()} save={save("name")} />
                        <FieldRow id="domain" label="Domain" value={c.domain.clone().unwrap_or_default()} save={save("domain")} />
                        <FieldRow id="address" label="Address" value={c.address.clone().unwrap_or_default()} save={save("address")} />
                        <FieldRow id="linkedin_url" label="LinkedIn" value={c.linkedin_url.clone().unwrap_or_default()} save={save("linkedin_url")} />
                        <FieldRow id="employees" label="Employees" value={c.employees.map(|e| e.to_string()).unwrap_or_default()} save={save_with(move |value: String| {
                            let parsed = value.trim().parse::<i64>().ok();
                            let patch = CompanyPatch { employees: Some(parsed), ..Default::default() };
                            Box::pin(async move { invoke::<UpdateCompany>(&(id, patch)).await })
                        })} />
                        <FieldRow id="arr" label="ARR" value={c.arr.as_ref().map(Money::display).unwrap_or_default()} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Ideal customer" }</div>
                            <Checkbox checked={c.icp} aria_label={AttrValue::from("Ideal customer")} on_change={Callback::from(move |(checked, _): (bool, bool)| {
                                let patch = CompanyPatch { icp: Some(checked), ..Default::default() };
                                wasm_bindgen_futures::spawn_local(async move { let _ = invoke::<UpdateCompany>(&(id, patch)).await; });
                            })} />
                        </div>
                        { custom_rows("company", &defs, &c.custom, |key, _| save_with(move |value: String| {
                            let patch = CompanyPatch { custom: custom_patch(key.clone(), value), ..Default::default() };
                            Box::pin(async move { invoke::<UpdateCompany>(&(id, patch)).await })
                        })) }
                        <div class="field-row">
                            <div class="field-row-label">{ "Tags" }</div>
                            <TagsEditor {record} tags={c.tags.clone()} />
                        </div>
                    </Card>
                    <AiCard key={id.to_string()} {record} />
                    <Card title={AttrValue::from(format!("People ({})", people.len()))}>
                        if people.is_empty() { <div class="muted">{ "Nobody here yet." }</div> }
                        { for people.iter().map(|p| html! {
                            <div class="related-line">
                                <Link<Route> to={Route::Person { id: p.id }}>{ p.full_name() }</Link<Route>>
                                <span class="muted">{ format!(" · {}", p.job_title.clone().or(p.email.clone()).unwrap_or_default()) }</span>
                            </div>
                        }) }
                    </Card>
                    <Card title={AttrValue::from(format!("Deals ({})", deals.len()))}>
                        if deals.is_empty() { <div class="muted">{ "No deals." }</div> }
                        { for deals.iter().map(related_deal) }
                    </Card>
                    { integrations() }
                </div>
                <div class="record-side">{ side_panels(record) }</div>
            </div>
        </section>
    }
}
