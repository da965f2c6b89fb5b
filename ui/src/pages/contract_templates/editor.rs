//! The template body editor with merge-field completion at the caret.

use super::*;

/// Where the completion list goes: under the caret's line, or above it near the bottom.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Anchor {
    top: f64,
    left: f64,
    above: bool,
}

/// The caret's place in the editor, measured on a hidden copy of the text up to it that wraps
/// like the textarea (`.contract-body-mirror`), relative to the editor's box.
pub(super) fn caret_offset(area: &HtmlTextAreaElement, before: &str) -> Option<(f64, f64)> {
    let document = web_sys::window()?.document()?;
    let parent = area.parent_element()?;
    let mirror = document.create_element("div").ok()?;
    mirror.set_class_name("contract-body-mirror");
    mirror.set_attribute("aria-hidden", "true").ok()?;
    // The textarea's border box: its client width plus the two 1 px borders.
    mirror.set_attribute("style", &format!("width: {}px", area.client_width() + 2)).ok()?;
    mirror.set_text_content(Some(before));
    let marker = document.create_element("span").ok()?;
    marker.set_text_content(Some("\u{200b}"));
    mirror.append_child(&marker).ok()?;
    parent.append_child(&mirror).ok()?;
    let marker = marker.dyn_into::<HtmlElement>().ok();
    let offset = marker.map(|m| (f64::from(m.offset_top()), f64::from(m.offset_left())));
    let _ = parent.remove_child(&mirror);
    // Offsets count from inside the mirror's 1 px border.
    offset.map(|(top, left)| (top + 1.0, left + 1.0))
}

pub(super) fn anchor_at(area: &HtmlTextAreaElement, text: &str, cursor: usize) -> Anchor {
    let before = text.get(..cursor.min(text.len())).unwrap_or(text);
    let Some((top, left)) = caret_offset(area, before) else { return Anchor::default() };
    let line_top = top - f64::from(area.scroll_top());
    let left = left - f64::from(area.scroll_left());
    let width = f64::from(area.client_width());
    let height = f64::from(area.offset_height());
    let left = left.min(width - LIST_WIDTH_PX).max(0.0);
    let below = line_top + LINE_PX + 2.0;
    if below + LIST_HEIGHT_PX > height && line_top > LIST_HEIGHT_PX / 2.0 {
        Anchor { top: line_top.max(0.0) - 2.0, left, above: true }
    } else {
        Anchor { top: below.clamp(0.0, height.max(0.0)), left, above: false }
    }
}

#[derive(Properties, PartialEq)]
pub struct BodyEditorProps {
    pub value: AttrValue,
    pub fields: Rc<Vec<ContractField>>,
    /// A preview deal is chosen (the fields come from it).
    pub has_deal: bool,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_change: Callback<String>,
}

/// `#contract-template-body`: Typst in a monospace editor; `{{` opens `#contract-field-list` at
/// the caret (arrows choose, Enter or Tab inserts, Escape closes).
#[function_component(ContractBodyEditor)]
pub fn contract_body_editor(props: &BodyEditorProps) -> Html {
    let node = use_node_ref();
    let list = use_node_ref();
    let menu = use_state(MergeMenu::default);
    let anchor = use_state(Anchor::default);
    let matches: Vec<ContractField> = menu
        .open
        .as_ref()
        .map(|q| filter_contract_fields(&props.fields, &q.query).into_iter().cloned().collect())
        .unwrap_or_default();
    {
        // Keeps the highlighted field in view.
        let list = list.clone();
        use_effect_with(menu.selected, move |_| {
            if let Some(selected) =
                list.cast::<web_sys::Element>().and_then(|l| l.query_selector(".selected").ok().flatten())
            {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                selected.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    }
    let follow = {
        let (menu, anchor) = (menu.clone(), anchor.clone());
        move |area: &HtmlTextAreaElement| {
            let value = area.value();
            let at = area.selection_start().ok().flatten().unwrap_or(0) as usize;
            let cursor = byte_index(&value, at);
            let next = MergeMenu::at(&value, cursor);
            if next.open.is_some() {
                anchor.set(anchor_at(area, &value, cursor));
            }
            menu.set(next);
            value
        }
    };
    let pick = {
        let (node, menu, on_change) = (node.clone(), menu.clone(), props.on_change.clone());
        Callback::from(move |name: String| {
            let Some(area) = node.cast::<HtmlTextAreaElement>() else { return };
            let Some(query) = menu.open.clone() else { return };
            let value = area.value();
            let (next, at) = insert_field(&value, &query, menu.cursor.min(value.len()), &name);
            area.set_value(&next);
            let position = utf16_index(&next, at) as u32;
            let _ = area.set_selection_range(position, position);
            let _ = area.focus();
            menu.set(MergeMenu::default());
            on_change.emit(next);
        })
    };
    let oninput = {
        let (follow, on_change) = (follow.clone(), props.on_change.clone());
        Callback::from(move |e: InputEvent| {
            let value = follow(&e.target_unchecked_into::<HtmlTextAreaElement>());
            on_change.emit(value);
        })
    };
    let onkeydown = {
        let (menu, pick, matches) = (menu.clone(), pick.clone(), matches.clone());
        Callback::from(move |e: KeyboardEvent| {
            if menu.open.is_none() {
                return;
            }
            if e.key() == "Escape" {
                e.prevent_default();
                e.stop_propagation();
                menu.set(MergeMenu::default());
                return;
            }
            if matches.is_empty() {
                return;
            }
            match e.key().as_str() {
                "ArrowDown" | "ArrowUp" => {
                    e.prevent_default();
                    menu.set(menu.moved(e.key() == "ArrowDown", matches.len()));
                }
                "Enter" | "Tab" => {
                    e.prevent_default();
                    if let Some(field) = matches.get(menu.selected.min(matches.len() - 1)) {
                        pick.emit(field.name.clone());
                    }
                }
                _ => {}
            }
        })
    };
    let onkeyup = {
        let follow = follow.clone();
        Callback::from(move |e: KeyboardEvent| {
            if matches!(e.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End" | "PageUp" | "PageDown") {
                follow(&e.target_unchecked_into::<HtmlTextAreaElement>());
            }
        })
    };
    let onclick = {
        let follow = follow.clone();
        Callback::from(move |e: MouseEvent| {
            follow(&e.target_unchecked_into::<HtmlTextAreaElement>());
        })
    };
    let onscroll = {
        // The list follows the caret's line as the editor scrolls.
        let (menu, anchor) = (menu.clone(), anchor.clone());
        Callback::from(move |e: Event| {
            if menu.open.is_some() {
                let area = e.target_unchecked_into::<HtmlTextAreaElement>();
                let value = area.value();
                let next = anchor_at(&area, &value, menu.cursor.min(value.len()));
                if next != *anchor {
                    anchor.set(next);
                }
            }
        })
    };
    let onblur = {
        let menu = menu.clone();
        // Later than an option's mousedown, so a click still lands.
        Callback::from(move |_: FocusEvent| {
            let menu = menu.clone();
            Timeout::new(150, move || menu.set(MergeMenu::default())).forget();
        })
    };
    let no_fields = props.fields.is_empty();
    let open = menu.open.is_some() && (!matches.is_empty() || no_fields);
    let style = format!("top: {:.0}px; left: {:.0}px", anchor.top, anchor.left);
    html! {
        <div class={classes!("field", "contract-body-field", props.error.is_some().then_some("invalid"))}>
            <label class="field-label" for="contract-template-body">{ "Template (Typst)" }</label>
            <div class="contract-body-wrap">
                <textarea ref={node} id="contract-template-body" class="contract-template-body" value={props.value.clone()}
                    spellcheck="false" autocomplete="off" aria-autocomplete="list"
                    aria-controls={open.then_some("contract-field-list")}
                    {oninput} {onkeydown} {onkeyup} {onclick} {onscroll} {onblur} />
                if open {
                    <ul ref={list} id="contract-field-list" class={classes!("contract-field-list", anchor.above.then_some("above"))}
                        role="listbox" aria-label="Merge fields" {style}>
                        if no_fields {
                            <li class="contract-field-hint muted">
                                { if props.has_deal { "Reading the fields…" } else { "Pick a preview deal: its merge fields appear here." } }
                            </li>
                        }
                        { for matches.iter().enumerate().map(|(i, field)| {
                            let (pick, name) = (pick.clone(), field.name.clone());
                            let selected = i == menu.selected;
                            html! {
                                <li role="option" aria-selected={selected.to_string()} key={field.name.clone()}
                                    class={classes!("contract-field", selected.then_some("selected"))} data-field={field.name.clone()}
                                    onmousedown={Callback::from(move |e: MouseEvent| { e.prevent_default(); pick.emit(name.clone()); })}>
                                    <code class="contract-field-name">{ format!("{{{{{}}}}}", field.name) }</code>
                                    <span class="contract-field-label">{ field.label.clone() }</span>
                                    <span class={classes!("contract-field-value", field.value.is_none().then_some("empty"))}>{ field_value_text(field) }</span>
                                </li>
                            }
                        }) }
                    </ul>
                }
            </div>
            if let Some(error) = &props.error {
                <span class="field-error" role="alert">{ error.clone() }</span>
            }
        </div>
    }
}
