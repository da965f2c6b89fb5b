//! One row of the Recover list: who, what, why, when Whop acts next, and the row's actions.

use crate::components::controls::{Button, Tone};
use crate::components::display::{Badge, BadgeTone};
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::pages::revenue::person_link;
use crate::pages::whop_actions::retry_button;
use crate::state::revenue::{
    MessageDraft, attempts_text, cancel_text, exact_time, failure_text, item_amount, product_plan, retry_text,
    retry_view, task_body, task_title,
};
use crate::state::whop_actions::ActionDraft;
use chrono::{DateTime, Utc};
use dealdesk_model::ipc::AddTask;
use dealdesk_model::revenue::RecoverItem;
use dealdesk_model::{NewTask, RecordKind, RecordRef};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RecoverRowProps {
    pub item: RecoverItem,
    pub now: DateTime<Utc>,
    /// Opens the confirmation dialog of a Whop action (Retry payment).
    pub on_action: Callback<ActionDraft>,
    /// Opens the compose dialog of a Whop message.
    pub on_message: Callback<MessageDraft>,
}

/// `.recover-row`: the customer (opening their page), product and plan, amount, Whop's reason,
/// attempts, next retry and expected cancellation, then Retry payment, Message on Whop and Add task.
#[function_component(RecoverRow)]
pub fn recover_row(props: &RecoverRowProps) -> Html {
    let notifier = use_notifier();
    // Add task: `Some(false)` while it is on its way, `Some(true)` once added.
    let task = use_state(|| None::<bool>);
    let task_label = match *task {
        Some(true) => "Task added",
        Some(false) => "Adding…",
        None => "Add task",
    };
    let item = &props.item;
    let add_task = item.person_id.map(|person| {
        let (task, notifier, title, body) = (task.clone(), notifier.clone(), task_title(item), task_body(item));
        let customer = item.customer.clone();
        Callback::from(move |_: MouseEvent| {
            if task.is_some() {
                return;
            }
            task.set(Some(false));
            let request = NewTask {
                title: title.clone(),
                body: Some(body.clone()),
                targets: vec![RecordRef { kind: RecordKind::Person, id: person }],
                ..Default::default()
            };
            let (task, notifier, customer) = (task.clone(), notifier.clone(), customer.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<AddTask>(&request).await;
                match &result {
                    Ok(added) => {
                        if let Some(n) = &notifier {
                            n.success(format!("Added the task “{}” to {customer}", added.title));
                        }
                    }
                    Err(e) => {
                        if let Some(n) = &notifier {
                            n.error(format!("Cannot add the task: {}", e.message));
                        }
                    }
                }
                task.set(result.ok().map(|_| true));
            });
        })
    });
    let retry = retry_view(item).map(|payment| retry_button(&payment, &props.on_action)).unwrap_or_default();
    let message = MessageDraft::recover(item).map(|draft| {
        let open = props.on_message.clone();
        html! {
            <Button small=true tone={Tone::Secondary} class={classes!("recover-message")}
                aria_label={AttrValue::from(format!("Message on Whop: {}", item.customer))}
                onclick={Callback::from(move |_| open.emit(draft.clone()))}>
                { "Message on Whop" }
            </Button>
        }
    });
    let status = item.membership_status.as_deref().filter(|s| !s.is_empty());
    html! {
        <tr class="recover-row" data-payment={item.payment_id.clone()} data-membership={item.membership_id.clone()}
            data-retryable={item.retryable.to_string()} data-person={item.person_id.map(|p| p.to_string())}>
            <td class="recover-customer">
                { person_link(item.person_id, &item.customer) }
                if let Some(email) = &item.email { <div class="muted recover-email">{ email.clone() }</div> }
            </td>
            <td>
                { product_plan(item) }
                if let Some(status) = status {
                    { " " }<Badge text={status.replace('_', " ")} tone={if status == "past_due" { BadgeTone::Warning } else { BadgeTone::Neutral }} />
                }
            </td>
            <td class="num recover-amount">{ item_amount(item) }</td>
            <td class="recover-failure">{ failure_text(item) }</td>
            <td class="num">{ attempts_text(item.attempts) }</td>
            <td class="recover-next" title={exact_time(item.next_attempt_at.as_deref())}>{ retry_text(item, props.now) }</td>
            <td class="recover-cancels" title={exact_time(item.cancels_at.as_deref())}>{ cancel_text(item, props.now) }</td>
            <td class="row-buttons">
                { retry }
                { message.unwrap_or_default() }
                if let Some(add) = add_task {
                    <Button small=true tone={Tone::Ghost} class={classes!("recover-add-task")} onclick={add}
                        disabled={task.is_some()} aria_label={AttrValue::from(format!("{task_label}: a follow-up for {}", item.customer))}>
                        { task_label }
                    </Button>
                }
            </td>
        </tr>
    }
}
