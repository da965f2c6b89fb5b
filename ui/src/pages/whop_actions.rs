//! Whop actions in the window: the pending marks beside Whop records, a membership's row and
//! action buttons (the person page's Whop card and the deal page use the same ones), the refund
//! button, the confirmation dialog every action goes through, the deal page's membership card,
//! and the promo codes on the Whop screen.

use crate::components::controls::{Button, Checkbox, Input, Select, TextArea, Tone};
use crate::components::display::{Badge, BadgeTone, Card, Skeleton};
use crate::components::hooks::use_whop_data_changes;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::pages::whop::{tone, whop_badge};
use crate::route::Route;
use crate::state::format::{money_text, short_date};
use crate::state::outbox::{pending_label, queued_text};
use crate::state::whop::{StatusTone, membership_term, membership_tone};
use crate::state::whop_actions::{
    ActionDraft, ActionKind, DraftAction, PromoErrors, PromoForm, SENT_WHEN_ONLINE, can_deactivate, can_refund,
    can_retry, membership_actions, refundable_micros,
};
use dealdesk_model::RecordKind;
use dealdesk_model::ipc::{WhopGetDealMembership, WhopListPromoCodes, WhopRunAction};
use dealdesk_model::outbox::{PendingOperation, PromoType, WhopPromoCodeView};
use dealdesk_model::whop::{WhopAccount, WhopMembershipView, WhopPaymentView};
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

fn tone_class(t: StatusTone) -> &'static str {
    match t {
        StatusTone::Neutral => "neutral",
        StatusTone::Accent => "accent",
        StatusTone::Success => "success",
        StatusTone::Warning => "warning",
        StatusTone::Danger => "danger",
    }
}

#[derive(Properties, PartialEq)]
pub struct PendingProps {
    pub pending: Vec<PendingOperation>,
}

/// One `.pending-badge` per operation Whop has not confirmed: waiting, sending, in conflict, or
/// refused (with Whop's reason, styled as an error).
#[function_component(PendingBadges)]
pub fn pending_badges(props: &PendingProps) -> Html {
    if props.pending.is_empty() {
        return html! {};
    }
    html! {
        <span class="pending-badges">
            { for props.pending.iter().filter_map(|op| pending_label(op).map(|(text, t, error)| html! {
                <span key={op.outbox_id.to_string()} class={classes!("badge", tone_class(t), "pending-badge", error.then_some("error"))}
                    data-status={op.status.as_str()} data-outbox={op.outbox_id.to_string()} title={op.summary.clone()}>
                    { text }
                </span>
            })) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct MembershipProps {
    pub membership: WhopMembershipView,
    /// Opens the confirmation dialog of an action.
    pub on_action: Callback<ActionDraft>,
}

/// The buttons of a membership's actions (what its state allows).
#[function_component(MembershipActions)]
pub fn membership_actions_view(props: &MembershipProps) -> Html {
    let m = &props.membership;
    let actions = membership_actions(m);
    if actions.is_empty() {
        return html! {};
    }
    html! {
        <div class="whop-actions" role="group" aria-label={format!("Whop actions for membership {}", m.id)}>
            { for actions.into_iter().map(|kind| {
                let (open, draft) = (props.on_action.clone(), ActionDraft::membership(kind, m));
                html! {
                    <Button small=true tone={if kind.is_destructive() { Tone::Danger } else { Tone::Secondary }}
                        class={classes!("whop-action", format!("whop-action-{}", kind.key()))}
                        aria_label={AttrValue::from(format!("{} (membership {})", kind.button_label(), m.id))}
                        onclick={Callback::from(move |_| open.emit(draft.clone()))}>
                        { kind.button_label() }
                    </Button>
                }
            }) }
        </div>
    }
}

/// A membership in a list: product, status, paused, deleted on Whop, renewal, pending marks and
/// its actions.
#[function_component(MembershipRow)]
pub fn membership_row(props: &MembershipProps) -> Html {
    let m = &props.membership;
    html! {
        <li class={classes!("whop-membership", m.deleted_remotely.then_some("deleted"))} data-membership={m.id.clone()}
            data-status={m.status.clone()} data-paused={m.paused.to_string()} data-deleted={m.deleted_remotely.to_string()}>
            <div class="whop-membership-line">
                <span class="whop-item-title">{ m.product.clone().unwrap_or_else(|| m.id.clone()) }</span>
                <Badge text={m.status.replace('_', " ")} tone={tone(membership_tone(&m.status))} />
                if m.paused { <span class="badge warning whop-paused">{ "Paused" }</span> }
                if m.deleted_remotely { <span class="badge danger whop-deleted">{ "Deleted on Whop" }</span> }
                <PendingBadges pending={m.pending.clone()} />
                <span class="muted whop-term">{ membership_term(m) }</span>
                if let Some(deal) = m.deal_id {
                    <Link<Route> to={Route::Deal { id: deal }} classes="whop-deal-link">{ "Deal" }</Link<Route>>
                }
            </div>
            <MembershipActions membership={m.clone()} on_action={props.on_action.clone()} />
        </li>
    }
}

/// The Retry button of a failed payment Whop can charge again.
pub fn retry_button(p: &WhopPaymentView, on_action: &Callback<ActionDraft>) -> Html {
    if !can_retry(p) {
        return html! {};
    }
    let (open, draft) = (on_action.clone(), ActionDraft::retry(p));
    html! {
        <Button small=true tone={Tone::Secondary} class={classes!("whop-action", "whop-action-retry-payment")}
            aria_label={AttrValue::from(format!("Retry payment {}", p.id))}
            onclick={Callback::from(move |_| open.emit(draft.clone()))}>
            { "Retry" }
        </Button>
    }
}

/// The Refund button of a payment row, when something is left to refund.
pub fn refund_button(p: &WhopPaymentView, on_action: &Callback<ActionDraft>) -> Html {
    if !can_refund(p) {
        return html! {};
    }
    let (open, draft) = (on_action.clone(), ActionDraft::refund(p));
    html! {
        <Button small=true tone={Tone::Danger} class={classes!("whop-action", "whop-action-refund")}
            aria_label={AttrValue::from(format!("Refund payment {}", p.id))}
            title={AttrValue::from(format!("{} left to refund", money_text(refundable_micros(p), &p.currency)))}
            onclick={Callback::from(move |_| open.emit(draft.clone()))}>
            { "Refund" }
        </Button>
    }
}

#[derive(Properties, PartialEq)]
pub struct ActionDialogProps {
    pub draft: ActionDraft,
    pub on_close: Callback<()>,
    /// The action was queued.
    pub on_done: Callback<()>,
}

/// `#whop-action-dialog`: what the action does on Whop, its inputs, and the confirm button
/// `#whop-action-confirm`; the core's refusal shows in the dialog.
#[function_component(WhopActionDialog)]
pub fn whop_action_dialog(props: &ActionDialogProps) -> Html {
    let draft = use_reducer(|| props.draft.clone());
    let notifier = use_notifier();
    let confirm = {
        let (draft, notifier, on_done) = (draft.clone(), notifier.clone(), props.on_done.clone());
        Callback::from(move |_: ()| {
            if draft.sending {
                return;
            }
            let action = draft.to_action();
            draft.dispatch(DraftAction::Confirm);
            let Ok(action) = action else { return };
            let (dispatch, notifier, on_done) = (draft.dispatcher(), notifier.clone(), on_done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<WhopRunAction>(&action).await {
                    Ok(entry) => {
                        if let Some(n) = &notifier {
                            n.success(queued_text(&entry));
                        }
                        on_done.emit(());
                    }
                    Err(e) => dispatch.dispatch(DraftAction::Refused(e.message)),
                }
            });
        })
    };
    let on_enter = {
        let confirm = confirm.clone();
        Callback::from(move |_: String| confirm.emit(()))
    };
    let input = match draft.kind {
        ActionKind::AddFreeDays => html! {
            <Input id="whop-free-days" kind="number" label={AttrValue::from("Free days (1–365)")} value={draft.days.clone()}
                placeholder="7" error={draft.error.clone().map(AttrValue::from)} on_enter={on_enter}
                on_change={{ let d = draft.dispatcher(); Callback::from(move |v| d.dispatch(DraftAction::Days(v))) }} />
        },
        ActionKind::EditMetadata => html! {
            <TextArea id="whop-metadata" label={AttrValue::from("Metadata (a JSON object)")} rows={7} value={draft.metadata.clone()}
                placeholder={r#"{"plan": "gold"}"#} error={draft.error.clone().map(AttrValue::from)}
                on_change={{ let d = draft.dispatcher(); Callback::from(move |v| d.dispatch(DraftAction::Metadata(v))) }} />
        },
        ActionKind::Refund => {
            let full = crate::state::whop_actions::amount_input(draft.remaining_micros, &draft.currency);
            html! {
                <>
                    <div class="whop-refund-left" id="whop-refund-left">
                        { format!("Left to refund: {}", money_text(draft.remaining_micros, &draft.currency)) }
                    </div>
                    <div class="whop-refund-amount">
                        <Input id="whop-refund-amount" label={AttrValue::from(format!("Amount ({})", draft.currency.to_uppercase()))}
                            value={draft.amount.clone()} error={draft.error.clone().map(AttrValue::from)} on_enter={on_enter}
                            on_change={{ let d = draft.dispatcher(); Callback::from(move |v| d.dispatch(DraftAction::Amount(v))) }} />
                        <button type="button" class="link-btn" id="whop-refund-full"
                            onclick={{ let d = draft.dispatcher(); Callback::from(move |_| d.dispatch(DraftAction::Amount(full.clone()))) }}>
                            { "Refund everything left" }
                        </button>
                    </div>
                </>
            }
        }
        _ => html! {},
    };
    html! {
        <ConfirmDialog title={draft.title()} id="whop-action-dialog" confirm_id="whop-action-confirm"
            confirm_label={draft.confirm_label()} danger={draft.kind.is_destructive()} busy={draft.sending}
            error={draft.refusal.clone().map(AttrValue::from)} on_confirm={confirm} on_close={props.on_close.clone()}>
            <p class="dialog-lead" id="whop-action-explanation">{ draft.explanation() }</p>
            { input }
            <p class="muted dialog-note">{ SENT_WHEN_ONLINE }</p>
        </ConfirmDialog>
    }
}

/// A card's action dialog: the callback opens one for a draft; the Html draws it while open.
/// `on_done` runs once the action is queued (the dialog closes by itself).
#[hook]
pub fn use_action_dialog(on_done: Callback<()>) -> (Callback<ActionDraft>, Html) {
    // Each opening is a new dialog (fresh inputs), hence the counter in the key.
    let open = use_state(|| None::<(u32, ActionDraft)>);
    let count = use_mut_ref(|| 0_u32);
    let start = {
        let open = open.clone();
        Callback::from(move |draft: ActionDraft| {
            *count.borrow_mut() += 1;
            let n = *count.borrow();
            open.set(Some((n, draft)));
        })
    };
    let view = match &*open {
        Some((n, draft)) => {
            let close = {
                let open = open.clone();
                Callback::from(move |_| open.set(None))
            };
            let done = {
                let open = open.clone();
                Callback::from(move |_| {
                    open.set(None);
                    on_done.emit(());
                })
            };
            html! { <WhopActionDialog key={n.to_string()} draft={draft.clone()} on_close={close} on_done={done} /> }
        }
        None => html! {},
    };
    (start, view)
}

#[derive(Properties, PartialEq)]
pub struct DealMembershipProps {
    pub deal: Uuid,
    /// Shown while loading and when the deal mirrors no membership.
    #[prop_or_default]
    pub fallback: Html,
}

/// `#whop-deal-membership`: the membership a Whop deal mirrors, with its pending changes and the
/// same actions as on the person page; the fallback when the deal mirrors none.
#[function_component(WhopDealMembership)]
pub fn whop_deal_membership(props: &DealMembershipProps) -> Html {
    let changes = use_whop_data_changes(Some(RecordKind::Deal));
    let membership = use_state(|| None::<Result<Option<WhopMembershipView>, String>>);
    {
        let membership = membership.clone();
        use_effect_with((props.deal, changes), move |(deal, _)| {
            let deal = *deal;
            wasm_bindgen_futures::spawn_local(async move {
                membership.set(Some(invoke::<WhopGetDealMembership>(&deal).await.map_err(|e| e.message)));
            });
        });
    }
    let (open, dialog) = use_action_dialog(Callback::noop());
    let body = match &*membership {
        None | Some(Ok(None)) => return props.fallback.clone(),
        Some(Err(message)) => {
            return html! {
                <Card title={AttrValue::from("Whop")} id="whop-card">
                    <div class="banner error" role="alert">{ format!("Cannot read the Whop membership: {message}") }</div>
                </Card>
            };
        }
        Some(Ok(Some(m))) => html! {
            <>
                if m.deleted_remotely {
                    <div class="banner warning whop-deleted" id="whop-deal-deleted" role="status">
                        { "Deleted on Whop. Dealdesk keeps this deal and its history; nothing can be sent to the membership any more." }
                    </div>
                }
                <div class="field-row">
                    <div class="field-row-label">{ "Membership" }</div>
                    <div class="field-row-value">
                        { m.product.clone().unwrap_or_default() }{ " " }<code class="muted">{ m.id.clone() }</code>
                    </div>
                </div>
                <div class="field-row">
                    <div class="field-row-label">{ "Status" }</div>
                    <div class="field-row-value" id="whop-deal-status">
                        <Badge text={m.status.replace('_', " ")} tone={tone(membership_tone(&m.status))} />
                        if m.cancel_at_period_end { <span class="muted">{ " · cancels at the end of the period" }</span> }
                    </div>
                </div>
                <div class="field-row">
                    <div class="field-row-label">{ "Renewal" }</div>
                    <div class="field-row-value" id="whop-deal-renewal">
                        { m.renewal_period_end.as_deref().map(short_date).unwrap_or_else(|| "—".into()) }
                    </div>
                </div>
                <div class="field-row">
                    <div class="field-row-label">{ "Payments" }</div>
                    <div class="field-row-value" id="whop-deal-paused" data-paused={m.paused.to_string()}>
                        if m.paused { <span class="badge warning whop-paused">{ "Paused" }</span> } else { { "Collected" } }
                    </div>
                </div>
                if !m.pending.is_empty() {
                    <div class="field-row">
                        <div class="field-row-label">{ "Not on Whop yet" }</div>
                        <div class="field-row-value"><PendingBadges pending={m.pending.clone()} /></div>
                    </div>
                }
                <MembershipActions membership={m.clone()} on_action={open} />
            </>
        },
    };
    html! {
        <Card title={AttrValue::from("Whop membership")} id="whop-deal-membership" class="whop-deal-membership" actions={whop_badge()}>
            <div class="muted whop-readonly">{ "These fields come from Whop and change with sync; changes made here show at once and reach Whop when Dealdesk is online." }</div>
            { body }
            { dialog }
        </Card>
    }
}

#[derive(Properties, PartialEq)]
pub struct PromoCodesProps {
    /// One business (its id), or all of them.
    #[prop_or_default]
    pub business: Option<String>,
    /// The businesses that sync (a new code names one when there are several).
    #[prop_or_default]
    pub businesses: Vec<WhopAccount>,
}

/// `#whop-promo-codes` on the Whop screen: the promo codes (pending ones included), Deactivate,
/// and the New promo code form.
#[function_component(WhopPromoCodes)]
pub fn whop_promo_codes(props: &PromoCodesProps) -> Html {
    let changes = use_whop_data_changes(None);
    let codes = use_state(|| None::<Result<Vec<WhopPromoCodeView>, String>>);
    let form = use_state(|| None::<PromoForm>);
    let errors = use_state(PromoErrors::default);
    {
        let codes = codes.clone();
        use_effect_with((changes, props.business.clone()), move |(_, business)| {
            let business = business.clone();
            wasm_bindgen_futures::spawn_local(async move {
                codes.set(Some(invoke::<WhopListPromoCodes>(&business).await.map_err(|e| e.message)));
            });
        });
    }
    let created = {
        let (form, errors) = (form.clone(), errors.clone());
        Callback::from(move |_| {
            form.set(None);
            errors.set(PromoErrors::default());
        })
    };
    let (open, dialog) = use_action_dialog(created);
    let new_code = {
        let (form, business) =
            (form.clone(), props.business.clone().or_else(|| props.businesses.first().map(|b| b.id.clone())));
        Callback::from(move |_: MouseEvent| {
            form.set(Some(PromoForm { business_id: business.clone(), ..PromoForm::default() }))
        })
    };
    let table = match &*codes {
        None => html! { <Skeleton rows={3} /> },
        Some(Err(message)) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
        Some(Ok(rows)) if rows.is_empty() => {
            html! { <div class="muted" id="promo-empty">{ "No promo codes yet." }</div> }
        }
        Some(Ok(rows)) => html! {
            <table class="whop-table promo-codes">
                <thead><tr>
                    <th>{ "Code" }</th><th>{ "Amount off" }</th><th>{ "Status" }</th><th class="num">{ "Uses" }</th><th />
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|p| {
                        let key = p.id.clone().unwrap_or_else(|| format!("code:{}", p.code));
                        let deactivate = can_deactivate(p).then(|| {
                            let (open, draft) = (open.clone(), ActionDraft::deactivate(p));
                            html! {
                                <Button small=true tone={Tone::Danger} class={classes!("whop-action", "whop-action-deactivate", "promo-deactivate")}
                                    aria_label={AttrValue::from(format!("Deactivate promo code {}", p.code))}
                                    onclick={Callback::from(move |_| open.emit(draft.clone()))}>
                                    { "Deactivate" }
                                </Button>
                            }
                        });
                        html! {
                            <tr class="promo-code-row" key={key} data-code={p.code.clone()} data-status={p.status.clone()}
                                data-id={p.id.clone()}>
                                <td><code class="promo-code">{ p.code.clone() }</code></td>
                                <td>{ p.amount_off.clone() }</td>
                                <td>
                                    <Badge text={p.status.replace('_', " ")} tone={if p.status == "active" { BadgeTone::Success } else { BadgeTone::Neutral }} />
                                    { " " }<PendingBadges pending={p.pending.clone()} />
                                </td>
                                <td class="num">{ p.uses.map(|u| u.to_string()).unwrap_or_else(|| "—".into()) }</td>
                                <td class="row-buttons">{ deactivate.unwrap_or_default() }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <Card title={AttrValue::from("Promo codes")} id="whop-promo-codes" class="whop-promo-codes" actions={html! {
            <>
                if form.is_none() {
                    <Button small=true tone={Tone::Primary} id="promo-new" onclick={new_code}>{ "New promo code" }</Button>
                }
                { whop_badge() }
            </>
        }}>
            if let Some(current) = (*form).clone() {
                { promo_form(current, &props.businesses, form.clone(), errors.clone(), open.clone()) }
            }
            { table }
            { dialog }
        </Card>
    }
}

/// The New promo code form; Create checks it and opens the confirmation dialog.
fn promo_form(
    current: PromoForm,
    businesses: &[WhopAccount],
    form: UseStateHandle<Option<PromoForm>>,
    errors: UseStateHandle<PromoErrors>,
    open: Callback<ActionDraft>,
) -> Html {
    let edit = |change: fn(&mut PromoForm, String)| {
        let (form, current) = (form.clone(), current.clone());
        Callback::from(move |value: String| {
            let mut next = current.clone();
            change(&mut next, value);
            form.set(Some(next));
        })
    };
    let submit = {
        let (current, errors) = (current.clone(), errors.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match current.validate() {
                Ok(promo) => {
                    errors.set(PromoErrors::default());
                    open.emit(ActionDraft::create_promo(promo));
                }
                Err(found) => errors.set(found),
            }
        })
    };
    let cancel = {
        let (form, errors) = (form.clone(), errors.clone());
        Callback::from(move |_: MouseEvent| {
            form.set(None);
            errors.set(PromoErrors::default());
        })
    };
    let percent = current.promo_type == PromoType::Percentage;
    let set_new_users = {
        let (form, current) = (form.clone(), current.clone());
        Callback::from(move |(checked, _): (bool, bool)| {
            form.set(Some(PromoForm { new_users_only: checked, ..current.clone() }));
        })
    };
    let error = |e: &Option<String>| e.clone().map(AttrValue::from);
    html! {
        <form class="promo-form" id="promo-form" onsubmit={submit} aria-label="New promo code" novalidate=true>
            <div class="form-grid">
                <Input id="promo-code" label={AttrValue::from("Code")} value={current.code.clone()} placeholder="SPRING20"
                    error={error(&errors.code)} on_change={edit(|f, v| f.code = v)} />
                <Select id="promo-type" label={AttrValue::from("Discount")}
                    value={if percent { "percentage" } else { "flat_amount" }}
                    options={vec![(AttrValue::from("percentage"), AttrValue::from("Percent off")), (AttrValue::from("flat_amount"), AttrValue::from("Amount off"))]}
                    on_change={edit(|f, v| f.promo_type = if v == "flat_amount" { PromoType::FlatAmount } else { PromoType::Percentage })} />
                <Input id="promo-amount" label={AttrValue::from(if percent { "Percent off (up to 100)" } else { "Amount off" })}
                    value={current.amount.clone()} placeholder={if percent { "20" } else { "10.00" }}
                    error={error(&errors.amount)} on_change={edit(|f, v| f.amount = v)} />
                <Input id="promo-currency" label={AttrValue::from("Currency")} value={current.currency.clone()} placeholder="USD"
                    error={error(&errors.currency)} on_change={edit(|f, v| f.currency = v)} />
                <Input id="promo-duration" label={AttrValue::from("Billing months it applies (1–36)")} kind="number"
                    value={current.duration_months.clone()} error={error(&errors.duration)} on_change={edit(|f, v| f.duration_months = v)} />
                if businesses.len() > 1 {
                    <Select id="promo-business" label={AttrValue::from("Business")}
                        value={AttrValue::from(current.business_id.clone().unwrap_or_default())}
                        options={current.business_id.is_none().then(|| (AttrValue::from(""), AttrValue::from("Choose a business")))
                            .into_iter()
                            .chain(businesses.iter().map(|b| (AttrValue::from(b.id.clone()), AttrValue::from(b.title.clone()))))
                            .collect::<Vec<_>>()}
                        on_change={edit(|f, v| f.business_id = (!v.is_empty()).then_some(v))} />
                }
                <div class="promo-new-users">
                    <Checkbox id="promo-new-users" checked={current.new_users_only} label={AttrValue::from("New customers only")}
                        on_change={set_new_users} />
                </div>
            </div>
            <div class="inline-form">
                <Button kind="submit" tone={Tone::Primary} small=true id="promo-create">{ "Create promo code" }</Button>
                <Button tone={Tone::Ghost} small=true id="promo-cancel" onclick={cancel}>{ "Cancel" }</Button>
            </div>
        </form>
    }
}
