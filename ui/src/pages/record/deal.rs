//! A deal's page.

use super::*;

#[function_component(DealPage)]
pub fn deal_page(props: &RecordProps) -> Html {
    let version = use_changes_of(RecordKind::Deal);
    let deal = use_state(|| None::<Result<Deal, ApiError>>);
    let pipelines = use_state(Vec::<dealdesk_model::Pipeline>::new);
    let lost_reason = use_state(String::new);
    let defs = use_custom_fields(RecordKind::Deal);
    let notifier = use_notifier();
    {
        let (deal, pipelines) = (deal.clone(), pipelines.clone());
        use_effect_with((props.id, version), move |(id, _)| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                deal.set(Some(invoke::<GetDeal>(&id).await));
                pipelines.set(invoke::<ListPipelines>(&()).await.unwrap_or_default());
            });
        });
    }
    let d = match &*deal {
        None => return html! { <section class="page"><Skeleton rows={6} /></section> },
        Some(Err(e)) => return html! { <section class="page"><EmptyState title={e.message.clone()} /></section> },
        Some(Ok(d)) => d.clone(),
    };
    let id = d.id;
    let currency = d.amount.currency.clone();
    let stages: Vec<(AttrValue, AttrValue)> = pipelines
        .iter()
        .find(|p| p.id == d.pipeline_id)
        .map(|p| p.stages.iter().map(|s| (AttrValue::from(s.name.clone()), AttrValue::from(s.name.clone()))).collect())
        .unwrap_or_default();
    let move_stage = {
        let notifier = notifier.clone();
        Callback::from(move |stage: String| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = invoke::<MoveDealStage>(&MoveDeal { deal_id: id, stage, position: None }).await {
                    toast_error(&notifier, e);
                }
            });
        })
    };
    let set_status = {
        let notifier = notifier.clone();
        Callback::from(move |(status, reason): (DealStatus, Option<String>)| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let request = SetDealStatus { deal_id: id, status, lost_reason: reason };
                if let Err(e) = invoke::<ChangeDealStatus>(&request).await {
                    toast_error(&notifier, e);
                }
            });
        })
    };
    let save_name = save_with(move |value: String| {
        let patch = DealPatch { name: Some(value), ..Default::default() };
        Box::pin(async move { invoke::<UpdateDeal>(&(id, patch)).await })
    });
    let save_amount = save_with(move |value: String| {
        let currency = currency.clone();
        Box::pin(async move {
            let amount = crate::pages::edited_money(&value, &currency)?;
            invoke::<UpdateDeal>(&(id, DealPatch { amount: Some(amount), ..Default::default() })).await
        })
    });
    let set_close = Callback::from(move |date: Option<NaiveDate>| {
        let patch = DealPatch { close_date: Some(date), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdateDeal>(&(id, patch)).await;
        });
    });
    let set_company = Callback::from(move |choice: Option<(Uuid, String)>| {
        let patch = DealPatch { company_id: Some(choice.map(|(c, _)| c)), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdateDeal>(&(id, patch)).await;
        });
    });
    let set_contact = Callback::from(move |choice: Option<(Uuid, String)>| {
        let patch = DealPatch { contact_id: Some(choice.map(|(c, _)| c)), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdateDeal>(&(id, patch)).await;
        });
    });
    let record = RecordRef { kind: RecordKind::Deal, id };
    let (tone, status) = match d.status {
        DealStatus::Open => (BadgeTone::Neutral, "Open"),
        DealStatus::Won => (BadgeTone::Success, "Won"),
        DealStatus::Lost => (BadgeTone::Danger, "Lost"),
    };
    let trashed = d.meta.deleted_at.is_some();
    // Deals of the Whop memberships pipeline: the sync owns their stage and status.
    let from_whop = pipelines.iter().any(|p| p.id == d.pipeline_id && p.name == WHOP_PIPELINE);
    html! {
        <section class="page record-page" id="deal-page">
            <header class="page-header">
                <h1>{ d.name.clone() }</h1>
                <Badge text={status} {tone} />
                if from_whop { { whop_badge() } }
                if trashed { <Badge text="In the trash" tone={BadgeTone::Danger} /> }
                <div class="spacer" />
                if !from_whop {
                    if d.status == DealStatus::Open {
                        <Button small=true id="deal-won" onclick={{ let s = set_status.clone(); Callback::from(move |_| s.emit((DealStatus::Won, None))) }}>{ "Mark won" }</Button>
                    } else {
                        <Button small=true id="deal-reopen" onclick={{ let s = set_status.clone(); Callback::from(move |_| s.emit((DealStatus::Open, None))) }}>{ "Reopen" }</Button>
                    }
                }
                if !trashed { { delete_button(record, d.name.clone(), Route::Deals) } }
            </header>
            <RecordConflicts {record} />
            <div class="record-layout">
                <div class="record-main">
                    <Card title={AttrValue::from("Details")}>
                        <FieldRow id="name" label="Name" value={d.name.clone()} save={save_name} />
                        <FieldRow id="amount" label={format!("Amount ({})", d.amount.currency)} value={d.amount.amount_text()} save={save_amount} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Stage" }</div>
                            if from_whop {
                                <div class="field-row-value whop-stage" id="deal-stage-whop">{ d.stage_name.clone() }{ " " }{ whop_badge() }</div>
                            } else {
                                <Select id="deal-stage" value={d.stage_name.clone()} options={stages} on_change={move_stage} aria_label={AttrValue::from("Stage")} />
                            }
                        </div>
                        if from_whop {
                            <div class="whop-note" id="whop-deal-note">{ "Stage and status follow the Whop membership; they change with sync." }</div>
                        }
                        <FieldRow id="probability" label="Probability" value={format!("{}%", d.probability)} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Expected close" }</div>
                            <DatePicker id="deal-close" value={d.close_date} on_change={set_close} />
                        </div>
                        <div class="field-row">
                            <div class="field-row-label">{ "Company" }</div>
                            <Picker id="deal-company" label="" kind={RecordKind::Company} value={d.company_id.zip(d.company_name.clone())} on_change={set_company} />
                        </div>
                        <div class="field-row">
                            <div class="field-row-label">{ "Point of contact" }</div>
                            <Picker id="deal-contact" label="" kind={RecordKind::Person} value={d.contact_id.zip(d.contact_name.clone())} on_change={set_contact} />
                        </div>
                        if d.status == DealStatus::Lost {
                            <FieldRow id="lost_reason" label="Lost reason" value={d.lost_reason.clone().unwrap_or_default()} />
                        }
                        <FieldRow id="stage_entered" label="In this stage since" value={d.stage_entered_at.format("%Y-%m-%d").to_string()} />
                        { custom_rows("deal", &defs, &d.custom, |key, _| save_with(move |value: String| {
                            let patch = DealPatch { custom: custom_patch(key.clone(), value), ..Default::default() };
                            Box::pin(async move { invoke::<UpdateDeal>(&(id, patch)).await })
                        })) }
                        <div class="field-row">
                            <div class="field-row-label">{ "Tags" }</div>
                            <TagsEditor {record} tags={d.tags.clone()} />
                        </div>
                    </Card>
                    <AiCard key={id.to_string()} {record} contact={d.contact_id} />
                    <ContractsCard key={format!("contracts-{id}")} deal={id} contact={d.contact_id} contact_name={d.contact_name.clone()} />
                    if d.status == DealStatus::Open && !from_whop {
                        <Card title={AttrValue::from("Lost?")}>
                            <div class="inline-form">
                                <Input id="deal-lost-reason" value={(*lost_reason).clone()} placeholder="Why it was lost"
                                    on_change={{ let r = lost_reason.clone(); Callback::from(move |v| r.set(v)) }} />
                                <Button small=true tone={Tone::Danger} id="deal-lost" disabled={lost_reason.trim().is_empty()}
                                    onclick={{ let s = set_status.clone(); let r = lost_reason.clone(); Callback::from(move |_| s.emit((DealStatus::Lost, Some((*r).clone())))) }}>
                                    { "Mark lost" }
                                </Button>
                            </div>
                        </Card>
                    }
                    <Card title={AttrValue::from("Related")}>
                        if let Some(contact) = d.contact_id {
                            <div class="related-line">{ "Contact: " }<Link<Route> to={Route::Person { id: contact }}>{ d.contact_name.clone().unwrap_or_default() }</Link<Route>></div>
                        }
                        if let Some(company) = d.company_id {
                            <div class="related-line">{ "Company: " }<Link<Route> to={Route::Company { id: company }}>{ d.company_name.clone().unwrap_or_default() }</Link<Route>></div>
                        }
                        if d.contact_id.is_none() && d.company_id.is_none() { <div class="muted">{ "No contact or company yet." }</div> }
                    </Card>
                    // A Whop deal shows its membership; any other deal the placeholder (unless
                    // it does mirror a membership after all).
                    { integrations_with(Some(html! {
                        <WhopDealMembership deal={id} fallback={if from_whop { Html::default() } else { whop_placeholder() }} />
                    })) }
                </div>
                <div class="record-side">{ side_panels(record) }</div>
            </div>
        </section>
    }
}
