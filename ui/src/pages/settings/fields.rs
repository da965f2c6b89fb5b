//! Settings → Fields: pipelines and their stages, custom fields.

use super::*;

/// A stage as typed in the editor: numbers stay text until saved, so a field can be cleared and
/// retyped without the editor fighting back.
#[derive(Debug, Clone, PartialEq)]
pub struct StageRow {
    pub id: Option<uuid::Uuid>,
    pub name: String,
    pub probability: String,
    pub rotting: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineDraft {
    pub id: Option<uuid::Uuid>,
    pub name: String,
    pub is_default: bool,
    pub stages: Vec<StageRow>,
}

impl PipelineDraft {
    fn of(p: &Pipeline) -> PipelineDraft {
        PipelineDraft {
            id: Some(p.id),
            name: p.name.clone(),
            is_default: p.is_default,
            stages: p
                .stages
                .iter()
                .map(|s| StageRow {
                    id: Some(s.id),
                    name: s.name.clone(),
                    probability: s.probability.to_string(),
                    rotting: s.rotting_days.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect(),
        }
    }

    fn new_pipeline() -> PipelineDraft {
        PipelineDraft {
            id: None,
            name: String::new(),
            is_default: false,
            stages: vec![StageRow { id: None, name: "New".into(), probability: "10".into(), rotting: "14".into() }],
        }
    }

    /// The save request, or what to fix first.
    pub fn request(&self) -> Result<SavePipeline, String> {
        let mut stages = Vec::with_capacity(self.stages.len());
        for (i, row) in self.stages.iter().enumerate() {
            let which = format!("Stage {} ({})", i + 1, row.name.trim());
            let probability = row
                .probability
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| format!("{which}: the probability must be a whole number from 0 to 100"))?;
            let rotting_days = match row.rotting.trim() {
                "" => None,
                text => Some(text.parse::<u32>().ok().filter(|d| *d > 0).ok_or_else(|| {
                    format!("{which}: rotting days must be a whole number of days, or empty for never")
                })?),
            };
            stages.push(StageEdit { id: row.id, name: row.name.clone(), probability, rotting_days });
        }
        Ok(SavePipeline { id: self.id, name: self.name.clone(), is_default: self.is_default, stages })
    }
}

#[function_component(PipelinesEditor)]
pub(super) fn pipelines_editor() -> Html {
    let pipelines = use_state(Vec::<Pipeline>::new);
    let draft = use_state(|| None::<PipelineDraft>);
    let error = use_state(|| None::<String>);
    let notifier = use_notifier();
    let load = {
        let (pipelines, draft) = (pipelines.clone(), draft.clone());
        Callback::from(move |select: Option<uuid::Uuid>| {
            let (pipelines, draft) = (pipelines.clone(), draft.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let list = invoke::<ListPipelines>(&()).await.unwrap_or_default();
                let chosen = list.iter().find(|p| Some(p.id) == select).or_else(|| list.iter().find(|p| p.is_default));
                draft.set(chosen.map(PipelineDraft::of));
                pipelines.set(list);
            });
        })
    };
    {
        let load = load.clone();
        use_effect_with((), move |_| load.emit(None));
    }
    let Some(current) = (*draft).clone() else {
        return html! { <div class="muted">{ "Loading…" }</div> };
    };
    let change = {
        let draft = draft.clone();
        let error = error.clone();
        move |apply: Box<dyn Fn(&mut PipelineDraft)>| {
            let draft = draft.clone();
            let error = error.clone();
            Callback::from(move |_: ()| {
                if let Some(mut next) = (*draft).clone() {
                    apply(&mut next);
                    error.set(None);
                    draft.set(Some(next));
                }
            })
        }
    };
    let set_stage = |i: usize, apply: fn(&mut StageRow, String)| {
        let draft = draft.clone();
        Callback::from(move |value: String| {
            if let Some(mut next) = (*draft).clone() {
                if let Some(stage) = next.stages.get_mut(i) {
                    apply(stage, value);
                }
                draft.set(Some(next));
            }
        })
    };
    let save = {
        let (draft, error, notifier, load) = (draft.clone(), error.clone(), notifier.clone(), load.clone());
        Callback::from(move |_| {
            let Some(current) = (*draft).clone() else { return };
            let request = match current.request() {
                Ok(request) => request,
                Err(message) => {
                    error.set(Some(message));
                    return;
                }
            };
            let (error, notifier, load) = (error.clone(), notifier.clone(), load.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<SavePipelineEdit>(&request).await {
                    Ok(saved) => {
                        if let Some(n) = notifier {
                            n.success(format!("Saved pipeline {}", saved.name));
                        }
                        load.emit(Some(saved.id));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let mut options: Vec<(AttrValue, AttrValue)> =
        pipelines.iter().map(|p| (AttrValue::from(p.id.to_string()), AttrValue::from(p.name.clone()))).collect();
    options.push(("new".into(), "New pipeline…".into()));
    let choose = {
        let (draft, load) = (draft.clone(), load.clone());
        Callback::from(move |value: String| {
            if value == "new" {
                draft.set(Some(PipelineDraft::new_pipeline()));
            } else {
                load.emit(uuid::Uuid::parse_str(&value).ok());
            }
        })
    };
    let count = current.stages.len();
    html! {
        <Card title={AttrValue::from("Pipelines and stages")} id="pipelines-editor">
            <div class="inline-form">
                <Select id="pipeline-choice" value={current.id.map(|i| i.to_string()).unwrap_or_else(|| "new".into())} {options} on_change={choose}
                    aria_label={AttrValue::from("Pipeline to edit")} />
                <Input id="pipeline-name" value={current.name.clone()} placeholder="Pipeline name"
                    on_change={{ let draft = draft.clone(); Callback::from(move |v: String| if let Some(mut n) = (*draft).clone() { n.name = v; draft.set(Some(n)); }) }} />
                <Checkbox checked={current.is_default} label={AttrValue::from("Default pipeline")}
                    on_change={{ let draft = draft.clone(); Callback::from(move |(c, _): (bool, bool)| if let Some(mut n) = (*draft).clone() { n.is_default = c; draft.set(Some(n)); }) }} />
            </div>
            <table class="stage-editor">
                <thead><tr><th>{ "Stage" }</th><th>{ "Probability %" }</th><th>{ "Rotting days" }</th><th /></tr></thead>
                <tbody>
                    { for current.stages.iter().enumerate().map(|(i, stage)| html! {
                        <tr key={format!("{i}-{}", stage.id.map(|x| x.to_string()).unwrap_or_default())}>
                            <td><Input id={format!("stage-name-{i}")} value={stage.name.clone()} on_change={set_stage(i, |s, v| s.name = v)}
                                aria_label={AttrValue::from(format!("Stage {} name", i + 1))} /></td>
                            <td><Input id={format!("stage-probability-{i}")} value={stage.probability.clone()} on_change={set_stage(i, |s, v| s.probability = v)}
                                aria_label={AttrValue::from(format!("Stage {} probability", i + 1))} /></td>
                            <td><Input id={format!("stage-rotting-{i}")} value={stage.rotting.clone()} placeholder="never" on_change={set_stage(i, |s, v| s.rotting = v)} /></td>
                            <td class="row-buttons">
                                <Button small=true tone={Tone::Ghost} disabled={i == 0} title={AttrValue::from("Move up")}
                                    onclick={{ let u = change(Box::new(move |p: &mut PipelineDraft| p.stages.swap(i, i - 1))); Callback::from(move |_| u.emit(())) }}>{ "↑" }</Button>
                                <Button small=true tone={Tone::Ghost} disabled={i + 1 == count} title={AttrValue::from("Move down")}
                                    onclick={{ let u = change(Box::new(move |p: &mut PipelineDraft| p.stages.swap(i, i + 1))); Callback::from(move |_| u.emit(())) }}>{ "↓" }</Button>
                                <Button small=true tone={Tone::Ghost} disabled={count == 1} title={AttrValue::from("Remove")}
                                    onclick={{ let u = change(Box::new(move |p: &mut PipelineDraft| { p.stages.remove(i); })); Callback::from(move |_| u.emit(())) }}>{ "✕" }</Button>
                            </td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if let Some(e) = &*error { <div class="banner error" role="alert">{ e.clone() }</div> }
            <div class="inline-form">
                <Button small=true id="add-stage" onclick={{ let u = change(Box::new(|p: &mut PipelineDraft| p.stages.push(StageRow { id: None, name: format!("Stage {}", p.stages.len() + 1), probability: "50".into(), rotting: String::new() }))); Callback::from(move |_| u.emit(())) }}>{ "Add stage" }</Button>
                <Button tone={Tone::Primary} id="save-pipeline" onclick={save}>{ "Save pipeline" }</Button>
            </div>
        </Card>
    }
}

pub(super) fn type_label(t: &CustomFieldType) -> String {
    match t {
        CustomFieldType::Text => "Text".into(),
        CustomFieldType::Number => "Number".into(),
        CustomFieldType::Date => "Date".into(),
        CustomFieldType::Boolean => "Yes/No".into(),
        CustomFieldType::Url => "Link".into(),
        CustomFieldType::Select { options } => format!("Select: {}", options.join(", ")),
    }
}

/// `Renewal date` → `renewal_date`.
pub fn key_from_label(label: &str) -> String {
    let mut key = String::new();
    for c in label.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_').to_string();
    if key.starts_with(|c: char| c.is_ascii_digit()) { format!("f_{key}") } else { key }
}

#[function_component(CustomFieldsEditor)]
pub(super) fn custom_fields_editor() -> Html {
    let object = use_state(|| RecordKind::Person);
    let fields = use_state(Vec::<CustomFieldDef>::new);
    let label = use_state(String::new);
    let kind = use_state(|| "text".to_string());
    let options = use_state(String::new);
    let error = use_state(|| None::<String>);
    let version = use_state(|| 0u32);
    {
        let fields = fields.clone();
        use_effect_with((*object, *version), move |(object, _)| {
            let object = *object;
            wasm_bindgen_futures::spawn_local(async move {
                fields.set(invoke::<ListCustomFields>(&object).await.unwrap_or_default());
            });
        });
    }
    let add = {
        let (object, label, kind, options, error, version) =
            (object.clone(), label.clone(), kind.clone(), options.clone(), error.clone(), version.clone());
        Callback::from(move |_| {
            let field_type = match kind.as_str() {
                "number" => CustomFieldType::Number,
                "date" => CustomFieldType::Date,
                "boolean" => CustomFieldType::Boolean,
                "url" => CustomFieldType::Url,
                "select" => CustomFieldType::Select {
                    options: options.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect(),
                },
                _ => CustomFieldType::Text,
            };
            let new =
                NewCustomField { object: *object, key: key_from_label(&label), label: (*label).clone(), field_type };
            let (label, error, version) = (label.clone(), error.clone(), version.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<DefineCustomField>(&new).await {
                    Ok(_) => {
                        label.set(String::new());
                        error.set(None);
                        version.set(*version + 1);
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let objects: Vec<(AttrValue, AttrValue)> = vec![
        ("person".into(), "People".into()),
        ("company".into(), "Companies".into()),
        ("deal".into(), "Deals".into()),
    ];
    let types: Vec<(AttrValue, AttrValue)> = vec![
        ("text".into(), "Text".into()),
        ("number".into(), "Number".into()),
        ("date".into(), "Date".into()),
        ("boolean".into(), "Yes/No".into()),
        ("url".into(), "Link".into()),
        ("select".into(), "Select".into()),
    ];
    html! {
        <Card title={AttrValue::from("Custom fields")} id="custom-fields-editor">
            <Select id="custom-object" value={object.as_str().to_string()} options={objects} aria_label={AttrValue::from("Fields of")}
                on_change={{ let object = object.clone(); Callback::from(move |v: String| object.set(RecordKind::parse(&v).unwrap_or(RecordKind::Person))) }} />
            <table class="stage-editor">
                <thead><tr><th>{ "Label" }</th><th>{ "Key" }</th><th>{ "Type" }</th><th /></tr></thead>
                <tbody>
                    { for fields.iter().map(|f| {
                        let id = f.id;
                        let version = version.clone();
                        let rename = {
                            let version = version.clone();
                            Callback::from(move |label: String| {
                                let version = version.clone();
                                wasm_bindgen_futures::spawn_local(async move {
                                    let _ = invoke::<UpdateCustomField>(&CustomFieldPatch { id, label: Some(label), options: None }).await;
                                    version.set(*version + 1);
                                });
                            })
                        };
                        html! {
                            <tr key={f.id.to_string()}>
                                <td><Input id={format!("field-label-{}", f.key)} value={f.label.clone()} on_change={Callback::noop()} on_enter={rename} /></td>
                                <td><code>{ f.key.clone() }</code></td>
                                <td>{ type_label(&f.field_type) }</td>
                                <td><Button small=true tone={Tone::Ghost} onclick={Callback::from(move |_| {
                                    let version = version.clone();
                                    wasm_bindgen_futures::spawn_local(async move {
                                        let _ = invoke::<DeleteCustomField>(&id).await;
                                        version.set(*version + 1);
                                    });
                                })}>{ "Remove" }</Button></td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            if fields.is_empty() { <div class="muted">{ "No custom fields yet." }</div> }
            <div class="inline-form">
                <Input id="new-field-label" value={(*label).clone()} placeholder="Label, e.g. Renewal date"
                    on_change={{ let label = label.clone(); Callback::from(move |v| label.set(v)) }} />
                <Select id="new-field-type" value={(*kind).clone()} options={types} aria_label={AttrValue::from("New field's type")} on_change={{ let kind = kind.clone(); Callback::from(move |v| kind.set(v)) }} />
                if *kind == "select" {
                    <Input id="new-field-options" value={(*options).clone()} placeholder="Options, comma separated"
                        on_change={{ let options = options.clone(); Callback::from(move |v| options.set(v)) }} />
                }
                <Button tone={Tone::Primary} id="add-field" disabled={label.trim().is_empty()} onclick={add}>{ "Add field" }</Button>
            </div>
            if let Some(e) = &*error { <div class="banner error" role="alert">{ e.clone() }</div> }
        </Card>
    }
}
