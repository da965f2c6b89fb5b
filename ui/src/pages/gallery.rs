//! Every design-system component in its states, rendered by the real app. The e2e suite
//! screenshots each section for docs/design-system.md; users reach it from the palette.

use crate::components::charts::BarChart;
use crate::components::controls::{Button, Checkbox, DatePicker, IconButton, Input, Select, TextArea, Tone};
use crate::components::display::{Badge, BadgeTone, Card, EmptyState, Skeleton, Tabs, TagChip};
use crate::components::overlay::{Drawer, Modal};
use crate::components::toasts::use_notifier;
use chrono::NaiveDate;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
struct SectionProps {
    id: AttrValue,
    title: AttrValue,
    children: Html,
}

#[function_component(Section)]
fn section(props: &SectionProps) -> Html {
    html! {
        <section class="gallery-section" id={props.id.clone()}>
            <h2>{ props.title.clone() }</h2>
            <div class="gallery-row">{ props.children.clone() }</div>
        </section>
    }
}

#[function_component(Gallery)]
pub fn gallery() -> Html {
    let text = use_state(|| "Ada Lovelace".to_string());
    let checked = use_state(|| true);
    let tab = use_state(|| AttrValue::from("timeline"));
    let modal = use_state(|| false);
    let drawer = use_state(|| false);
    let notifier = use_notifier();
    let noop = Callback::noop();
    html! {
        <section class="page gallery" id="gallery">
            <header class="page-header"><h1>{ "Design system" }</h1></header>
            <Section id="gallery-button" title="Button and IconButton">
                <Button tone={Tone::Primary}>{ "Primary" }</Button>
                <Button>{ "Secondary" }</Button>
                <Button tone={Tone::Danger}>{ "Danger" }</Button>
                <Button tone={Tone::Ghost}>{ "Ghost" }</Button>
                <Button small=true>{ "Small" }</Button>
                <Button disabled=true>{ "Disabled" }</Button>
                <IconButton icon="✓" label="Mark won" />
                <IconButton icon="✕" label="Mark lost" active=true />
            </Section>
            <Section id="gallery-input" title="Input, TextArea">
                <Input id="g-input" label={AttrValue::from("Name")} value={(*text).clone()} on_change={{ let t = text.clone(); Callback::from(move |v| t.set(v)) }} />
                <Input id="g-invalid" label={AttrValue::from("Email")} value="ada-at-example" error={AttrValue::from("'ada-at-example' is not a valid email address")} on_change={noop.clone()} />
                <TextArea id="g-text" label={AttrValue::from("Note")} value="Markdown **works** here." rows={2} on_change={noop.clone()} />
            </Section>
            <Section id="gallery-select" title="Select, Checkbox, DatePicker">
                <Select id="g-select" label={AttrValue::from("Stage")} value="MEETING" on_change={noop.clone()}
                    options={vec![("NEW".into(), "NEW".into()), ("MEETING".into(), "MEETING".into())]} />
                <Checkbox checked={*checked} label={AttrValue::from("Ideal customer")} on_change={{ let c = checked.clone(); Callback::from(move |(v, _)| c.set(v)) }} />
                <DatePicker id="g-date" label={AttrValue::from("Expected close")} value={NaiveDate::from_ymd_opt(2027, 3, 31)} on_change={Callback::noop()} />
            </Section>
            <Section id="gallery-badge" title="Badge and Tag">
                <Badge text="Open" />
                <Badge text="ICP" tone={BadgeTone::Accent} />
                <Badge text="Won" tone={BadgeTone::Success} />
                <Badge text="Lost" tone={BadgeTone::Danger} />
                <Badge text="idle 9 days" tone={BadgeTone::Warning} />
                <TagChip text="vip" on_remove={Callback::noop()} />
                <TagChip text="beta" />
            </Section>
            <Section id="gallery-card" title="Card, Tabs">
                <Card title={AttrValue::from("Details")}>
                    <Tabs tabs={vec![("timeline".into(), "Timeline".into()), ("notes".into(), "Notes".into()), ("tasks".into(), "Tasks".into())]}
                        active={(*tab).clone()} on_select={{ let tab = tab.clone(); Callback::from(move |k| tab.set(k)) }} />
                    <div class="muted">{ "Cards group a record's fields; tabs switch panels." }</div>
                </Card>
            </Section>
            <Section id="gallery-empty" title="EmptyState, Skeleton">
                <EmptyState title="No deals yet" hint={AttrValue::from("Create one with New deal, or press n.")} />
                <div style="width: 320px"><Skeleton rows={3} /></div>
            </Section>
            <Section id="gallery-table" title="Table">
                <div class="cell-error" role="alert" style="width: 100%">{ "'grace-at-navy' is not a valid email address" }</div>
                <div class="table" style="width: 100%">
                    <div class="thead tr" style="grid-template-columns: 36px 2fr 2fr 1fr;">
                        <div class="td check"><Checkbox checked=false on_change={Callback::noop()} /></div>
                        <div class="td th sortable">{ "Name ↑" }</div><div class="td th">{ "Email" }</div><div class="td th num">{ "Amount" }</div>
                    </div>
                    <div class="tr selected" style="grid-template-columns: 36px 2fr 2fr 1fr;">
                        <div class="td check"><Checkbox checked=true on_change={Callback::noop()} /></div>
                        <div class="td"><span class="cell-link">{ "Ada Lovelace" }</span></div><div class="td">{ "ada@engines.io" }</div><div class="td num">{ "1,200.50 USD" }</div>
                    </div>
                    <div class="tr" style="grid-template-columns: 36px 2fr 2fr 1fr;">
                        <div class="td check"><Checkbox checked=false on_change={Callback::noop()} /></div>
                        <div class="td"><span class="cell-link">{ "Grace Hopper" }</span></div>
                        <div class="td editing invalid"><input class="cell-input" value="grace-at-navy" /></div>
                        <div class="td num">{ "900.00 USD" }</div>
                    </div>
                </div>
            </Section>
            <Section id="gallery-chart" title="Chart (SVG from Rust)">
                <div style="width: 520px">
                    <BarChart title="Pipeline value by stage" data={vec![
                        ("NEW".to_string(), 2400.0, "2,400".to_string()),
                        ("MEETING".to_string(), 900.0, "900".to_string()),
                        ("PROPOSAL".to_string(), 12000.0, "12,000".to_string()),
                    ]} />
                </div>
            </Section>
            <Section id="gallery-overlay" title="Modal, Drawer, Toast">
                <Button id="g-open-modal" onclick={{ let m = modal.clone(); Callback::from(move |_| m.set(true)) }}>{ "Open a modal" }</Button>
                <Button id="g-open-drawer" onclick={{ let d = drawer.clone(); Callback::from(move |_| d.set(true)) }}>{ "Open a drawer" }</Button>
                <Button id="g-toast" onclick={Callback::from(move |_| if let Some(n) = &notifier {
                    n.with_action("Deleted 3 people", "Undo", Callback::noop());
                })}>{ "Show a toast" }</Button>
            </Section>
            if *modal {
                <Modal title="New person" id="g-modal" on_close={{ let m = modal.clone(); Callback::from(move |_| m.set(false)) }}
                    footer={html! { <><Button tone={Tone::Ghost}>{ "Cancel" }</Button><Button tone={Tone::Primary}>{ "Create" }</Button></> }}>
                    <Input id="g-modal-name" label={AttrValue::from("First name")} value="Ada" on_change={Callback::noop()} />
                </Modal>
            }
            if *drawer {
                <Drawer title="Keyboard shortcuts" id="g-drawer" on_close={{ let d = drawer.clone(); Callback::from(move |_| d.set(false)) }}>
                    <div class="muted">{ "Side panels slide in from the right." }</div>
                </Drawer>
            }
        </section>
    }
}
