//! Whop actions as plain data: which actions a membership, payment or promo code offers, the
//! confirmation dialog's text and inputs, and the checks on what is typed (free days, metadata
//! JSON, refund amounts, new promo codes) before anything is queued.

use crate::state::format::money_text;
use dealdesk_model::money::{MoneyParseError, currency_minor_units, format_decimal_micros, normalize_currency};
use dealdesk_model::outbox::{CancelMode, NewPromoCode, PromoType, WhopAction, WhopPromoCodeView};
use dealdesk_model::whop::{WhopMembershipView, WhopPaymentView};
use std::rc::Rc;
use yew::Reducible;

/// Limits the core applies to metadata (checked here first for a clear message).
pub const MAX_METADATA_KEYS: usize = 50;
pub const MAX_METADATA_BYTES: usize = 16 * 1024;
/// Free days one action may add (Whop's documented range).
pub const MAX_FREE_DAYS: u32 = 1095;
/// A limited discount lasts this many months at most.
pub const MAX_PROMO_MONTHS: u32 = 36;

/// The sentence every confirmation ends with.
pub const SENT_WHEN_ONLINE: &str =
    "Dealdesk records it now and sends it to Whop as soon as it is online; until Whop confirms, it shows as waiting.";

/// Membership statuses after which nothing can be cancelled or paused.
const ENDED: [&str; 5] = ["canceled", "cancelled", "expired", "completed", "canceling"];

/// One thing a user can do to a Whop object from the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    CancelAtPeriodEnd,
    Uncancel,
    CancelNow,
    Pause,
    Resume,
    AddFreeDays,
    EditMetadata,
    Refund,
    RetryPayment,
    DeactivatePromo,
    CreatePromo,
}

impl ActionKind {
    /// The button that offers it.
    pub fn button_label(self) -> &'static str {
        match self {
            ActionKind::CancelAtPeriodEnd => "Cancel at period end",
            ActionKind::Uncancel => "Keep membership",
            ActionKind::CancelNow => "Cancel now",
            ActionKind::Pause => "Pause",
            ActionKind::Resume => "Resume",
            ActionKind::AddFreeDays => "Add free days",
            ActionKind::EditMetadata => "Edit metadata",
            ActionKind::Refund => "Refund",
            ActionKind::RetryPayment => "Retry payment",
            ActionKind::DeactivatePromo => "Deactivate",
            ActionKind::CreatePromo => "Create promo code",
        }
    }

    /// The button's class suffix: `whop-action-<key>`.
    pub fn key(self) -> &'static str {
        match self {
            ActionKind::CancelAtPeriodEnd => "cancel-at-period-end",
            ActionKind::Uncancel => "uncancel",
            ActionKind::CancelNow => "cancel-now",
            ActionKind::Pause => "pause",
            ActionKind::Resume => "resume",
            ActionKind::AddFreeDays => "add-free-days",
            ActionKind::EditMetadata => "edit-metadata",
            ActionKind::Refund => "refund",
            ActionKind::RetryPayment => "retry-payment",
            ActionKind::DeactivatePromo => "deactivate",
            ActionKind::CreatePromo => "create-promo",
        }
    }

    /// Actions that take something away from the customer or the business.
    pub fn is_destructive(self) -> bool {
        matches!(
            self,
            ActionKind::CancelAtPeriodEnd | ActionKind::CancelNow | ActionKind::Refund | ActionKind::DeactivatePromo
        )
    }
}

fn ended(m: &WhopMembershipView) -> bool {
    ENDED.contains(&m.status.as_str())
}

/// The actions a membership offers, in button order. A membership deleted on Whop offers none.
pub fn membership_actions(m: &WhopMembershipView) -> Vec<ActionKind> {
    if m.deleted_remotely {
        return vec![];
    }
    let mut actions = Vec::new();
    let over = ended(m);
    if !over && !m.cancel_at_period_end {
        actions.push(ActionKind::CancelAtPeriodEnd);
    }
    if m.status == "canceling" || (m.cancel_at_period_end && !over) {
        actions.push(ActionKind::Uncancel);
    }
    if !matches!(m.status.as_str(), "canceled" | "cancelled" | "expired" | "completed") {
        actions.push(ActionKind::CancelNow);
    }
    if m.paused {
        actions.push(ActionKind::Resume);
    } else if !over {
        actions.push(ActionKind::Pause);
    }
    if !over {
        actions.push(ActionKind::AddFreeDays);
    }
    actions.push(ActionKind::EditMetadata);
    actions
}

/// What is left to refund of a payment (pending refunds counted).
pub fn refundable_micros(p: &WhopPaymentView) -> i64 {
    (p.total_micros - p.refunded_micros).max(0)
}

/// Refund is offered for collected payments with something left.
pub fn can_refund(p: &WhopPaymentView) -> bool {
    refundable_micros(p) > 0
        && !matches!(p.status.as_str(), "failed" | "void" | "uncollectible" | "draft" | "open" | "pending" | "refunded")
}

/// A failed payment Whop says it can charge again.
pub fn can_retry(p: &WhopPaymentView) -> bool {
    p.retryable
}

/// A promo code can be deactivated (archived on Whop) once Whop created it, until it is archived.
pub fn can_deactivate(p: &WhopPromoCodeView) -> bool {
    p.id.is_some() && matches!(p.status.as_str(), "active" | "inactive")
}

/// Digits after the point a currency's amounts have (2 when the code is unknown).
fn minor_units(currency: &str) -> u32 {
    currency_minor_units(&currency.trim().to_ascii_uppercase()).map(u32::from).unwrap_or(2)
}

/// An amount in major units for an input: `49.00` for USD, `500` for JPY.
pub fn amount_input(micros: i64, currency: &str) -> String {
    format_decimal_micros(micros, minor_units(currency) as usize)
}

fn money_error(error: MoneyParseError) -> String {
    match error {
        MoneyParseError::Empty => "Enter an amount".to_string(),
        MoneyParseError::NotANumber(text) => format!("“{text}” is not an amount like 12.50"),
        MoneyParseError::TooPrecise(text) | MoneyParseError::TooLarge(text) => {
            format!("“{text}” is not a usable amount")
        }
        MoneyParseError::UnknownCurrency(code) => format!("“{code}” is not a currency code such as USD or EUR"),
    }
}

/// Parses an amount of `currency` into micros, refusing more decimals than the currency has.
pub fn parse_amount(text: &str, currency: &str) -> Result<i64, String> {
    let micros = dealdesk_model::money::parse_decimal_micros(text).map_err(money_error)?;
    let minor = minor_units(currency);
    let step = 10_i64.pow(6 - minor.min(6));
    if micros % step != 0 {
        let code = currency.trim().to_ascii_uppercase();
        return Err(match minor {
            0 => format!("{code} amounts have no decimals"),
            1 => format!("{code} amounts have at most 1 decimal"),
            m => format!("{code} amounts have at most {m} decimals"),
        });
    }
    Ok(micros)
}

/// A refund amount: more than 0 and at most what remains. The whole remainder is a full refund
/// (`None`, which refunds whatever is left when Whop gets it).
pub fn parse_refund(text: &str, remaining_micros: i64, currency: &str) -> Result<Option<i64>, String> {
    let micros = parse_amount(text, currency)?;
    if micros <= 0 {
        return Err("A refund must be more than 0".to_string());
    }
    if micros > remaining_micros {
        return Err(format!("At most {} is left to refund", money_text(remaining_micros, currency)));
    }
    Ok(if micros == remaining_micros { None } else { Some(micros) })
}

/// Free days to add: a whole number from 1 to 1095.
pub fn parse_free_days(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(days) if (1..=MAX_FREE_DAYS).contains(&days) => Ok(days),
        _ if text.trim().is_empty() => Err(format!("Enter a number of days from 1 to {MAX_FREE_DAYS}")),
        _ => Err(format!("“{}” is not a whole number of days from 1 to {MAX_FREE_DAYS}", text.trim())),
    }
}

/// Membership metadata: a JSON object (`{}` clears it) within Whop's limits.
pub fn parse_metadata(text: &str) -> Result<serde_json::Value, String> {
    if text.trim().is_empty() {
        return Err("Enter a JSON object, such as {\"plan\": \"gold\"}, or {} to clear the metadata".to_string());
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("Not valid JSON: {e}"))?;
    let what = match &value {
        serde_json::Value::Object(map) => {
            if map.len() > MAX_METADATA_KEYS {
                return Err(format!("Metadata holds at most {MAX_METADATA_KEYS} keys (this has {})", map.len()));
            }
            if value.to_string().len() > MAX_METADATA_BYTES {
                return Err(format!("Metadata holds at most {} KiB", MAX_METADATA_BYTES / 1024));
            }
            return Ok(value);
        }
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "true or false",
        serde_json::Value::Null => "null",
    };
    Err(format!("Metadata must be a JSON object in braces {{…}}, not {what}"))
}

/// The confirmation dialog of one action, with what the user types into it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDraft {
    pub kind: ActionKind,
    /// The membership, payment or promo code id (the code, for a new promo code).
    pub target: String,
    /// What people know it by: the product, the amount, the code.
    pub label: String,
    pub days: String,
    pub metadata: String,
    pub amount: String,
    /// Refunds: what is left and its currency.
    pub remaining_micros: i64,
    pub currency: String,
    /// The promo code a CreatePromo draft creates.
    pub promo: Option<NewPromoCode>,
    /// What is wrong with the typed input (shown under it).
    pub error: Option<String>,
    /// Why the core refused the action (shown in the dialog).
    pub refusal: Option<String>,
    /// The action is on its way to the core.
    pub sending: bool,
}

impl ActionDraft {
    fn new(kind: ActionKind, target: String, label: String) -> ActionDraft {
        ActionDraft {
            kind,
            target,
            label,
            days: String::new(),
            metadata: "{}".to_string(),
            amount: String::new(),
            remaining_micros: 0,
            currency: String::new(),
            promo: None,
            error: None,
            refusal: None,
            sending: false,
        }
    }

    pub fn membership(kind: ActionKind, m: &WhopMembershipView) -> ActionDraft {
        let label = match &m.product {
            Some(product) if !product.trim().is_empty() => format!("{product} ({})", m.id),
            _ => format!("membership {}", m.id),
        };
        let mut draft = ActionDraft::new(kind, m.id.clone(), label);
        // Whop replaces the whole object: editing starts from what is there, so a key is only
        // removed when the user takes it out.
        if let Some(metadata) = m.metadata.as_ref().filter(|v| v.as_object().is_some_and(|o| !o.is_empty())) {
            draft.metadata = format!("{metadata:#}");
        }
        draft
    }

    pub fn refund(p: &WhopPaymentView) -> ActionDraft {
        let remaining = refundable_micros(p);
        let mut draft = ActionDraft::new(ActionKind::Refund, p.id.clone(), format!("{} payment {}", p.amount, p.id));
        draft.remaining_micros = remaining;
        draft.currency = p.currency.clone();
        draft.amount = amount_input(remaining, &p.currency);
        draft
    }

    pub fn retry(p: &WhopPaymentView) -> ActionDraft {
        ActionDraft::new(ActionKind::RetryPayment, p.id.clone(), format!("{} payment {}", p.amount, p.id))
    }

    pub fn deactivate(p: &WhopPromoCodeView) -> ActionDraft {
        ActionDraft::new(ActionKind::DeactivatePromo, p.id.clone().unwrap_or_default(), p.code.clone())
    }

    pub fn create_promo(promo: NewPromoCode) -> ActionDraft {
        let mut draft = ActionDraft::new(ActionKind::CreatePromo, promo.code.clone(), promo.code.clone());
        draft.promo = Some(promo);
        draft
    }

    pub fn title(&self) -> String {
        match self.kind {
            ActionKind::CancelAtPeriodEnd => "Cancel at the end of the period?".to_string(),
            ActionKind::Uncancel => "Keep the membership?".to_string(),
            ActionKind::CancelNow => "Cancel the membership now?".to_string(),
            ActionKind::Pause => "Pause payments?".to_string(),
            ActionKind::Resume => "Resume payments?".to_string(),
            ActionKind::AddFreeDays => "Add free days".to_string(),
            ActionKind::EditMetadata => "Edit metadata".to_string(),
            ActionKind::Refund => "Refund payment".to_string(),
            ActionKind::RetryPayment => "Retry the payment?".to_string(),
            ActionKind::DeactivatePromo => format!("Deactivate {}?", self.label),
            ActionKind::CreatePromo => format!("Create promo code {}?", self.label.trim().to_uppercase()),
        }
    }

    /// What happens on Whop, for the dialog's first paragraph.
    pub fn explanation(&self) -> String {
        let who = &self.label;
        match self.kind {
            ActionKind::CancelAtPeriodEnd => format!(
                "Whop stops renewing {who}: the customer keeps access until the current period ends and is not charged again."
            ),
            ActionKind::Uncancel => {
                format!("Whop takes back the cancellation of {who}: it renews at the end of the period as before.")
            }
            ActionKind::CancelNow => {
                format!("Whop cancels {who} right away: the customer loses access now and is not charged again.")
            }
            ActionKind::Pause => format!(
                "Whop pauses payment collection for {who}: no renewal charges are taken until payments are resumed."
            ),
            ActionKind::Resume => format!("Whop resumes payment collection for {who}: renewals are charged again."),
            ActionKind::AddFreeDays => match parse_free_days(&self.days) {
                Ok(days) => format!(
                    "Whop moves the next renewal of {who} {days} day{} later, at no charge.",
                    if days == 1 { "" } else { "s" }
                ),
                Err(_) => format!("Whop moves the next renewal of {who} later by the days you give, at no charge."),
            },
            ActionKind::EditMetadata => {
                format!("Whop replaces the metadata of {who} with this JSON object (keys left out are removed).")
            }
            ActionKind::Refund => {
                let remaining = money_text(self.remaining_micros, &self.currency);
                match parse_refund(&self.amount, self.remaining_micros, &self.currency) {
                    Ok(None) => format!("Whop refunds all that is left, {remaining}, of {who} to the customer."),
                    Ok(Some(micros)) => format!(
                        "Whop refunds {} of {who} to the customer ({remaining} is left to refund).",
                        money_text(micros, &self.currency)
                    ),
                    Err(_) => format!("Whop refunds the amount you give, up to {remaining}, of {who} to the customer."),
                }
            }
            ActionKind::RetryPayment => format!(
                "Whop charges the customer's payment method again for {who}. If it goes through, the payment is paid."
            ),
            ActionKind::DeactivatePromo => format!(
                "Whop archives the promo code {who}: customers can no longer use it at checkout, and it cannot be turned back on."
            ),
            ActionKind::CreatePromo => match &self.promo {
                Some(promo) => {
                    format!("Whop creates the promo code {}: {}.", promo.code.trim().to_uppercase(), promo_terms(promo))
                }
                None => "Whop creates the promo code.".to_string(),
            },
        }
    }

    pub fn confirm_label(&self) -> &'static str {
        match self.kind {
            ActionKind::CancelAtPeriodEnd => "Cancel at period end",
            ActionKind::Uncancel => "Keep membership",
            ActionKind::CancelNow => "Cancel now",
            ActionKind::Pause => "Pause payments",
            ActionKind::Resume => "Resume payments",
            ActionKind::AddFreeDays => "Add free days",
            ActionKind::EditMetadata => "Save metadata",
            ActionKind::Refund => "Refund",
            ActionKind::RetryPayment => "Retry payment",
            ActionKind::DeactivatePromo => "Deactivate",
            ActionKind::CreatePromo => "Create",
        }
    }

    /// The action to queue, or why it cannot be.
    pub fn to_action(&self) -> Result<WhopAction, String> {
        let id = self.target.clone();
        Ok(match self.kind {
            ActionKind::CancelAtPeriodEnd => {
                WhopAction::CancelMembership { membership_id: id, mode: CancelMode::AtPeriodEnd }
            }
            ActionKind::Uncancel => WhopAction::UncancelMembership { membership_id: id },
            ActionKind::CancelNow => WhopAction::CancelMembership { membership_id: id, mode: CancelMode::Immediately },
            ActionKind::Pause => WhopAction::PauseMembership { membership_id: id },
            ActionKind::Resume => WhopAction::ResumeMembership { membership_id: id },
            ActionKind::AddFreeDays => {
                WhopAction::AddFreeDays { membership_id: id, days: parse_free_days(&self.days)? }
            }
            ActionKind::EditMetadata => {
                WhopAction::UpdateMembershipMetadata { membership_id: id, metadata: parse_metadata(&self.metadata)? }
            }
            ActionKind::Refund => WhopAction::RefundPayment {
                payment_id: id,
                amount_micros: parse_refund(&self.amount, self.remaining_micros, &self.currency)?,
            },
            ActionKind::RetryPayment => WhopAction::RetryPayment { payment_id: id },
            ActionKind::DeactivatePromo => WhopAction::DeactivatePromoCode { promo_code_id: id },
            ActionKind::CreatePromo => {
                WhopAction::CreatePromoCode(self.promo.clone().ok_or_else(|| "No promo code to create".to_string())?)
            }
        })
    }

    /// The dialog has an input to type into.
    pub fn has_input(&self) -> bool {
        matches!(self.kind, ActionKind::AddFreeDays | ActionKind::EditMetadata | ActionKind::Refund)
    }

    /// The error under the dialog's input, checked as the user types.
    fn check_input(&self) -> Option<String> {
        match self.kind {
            ActionKind::AddFreeDays => parse_free_days(&self.days).err(),
            ActionKind::EditMetadata => parse_metadata(&self.metadata).err(),
            ActionKind::Refund => parse_refund(&self.amount, self.remaining_micros, &self.currency).err(),
            _ => None,
        }
    }
}

/// The terms of a promo code for people: "20% off for 3 months, new customers only".
pub fn promo_terms(promo: &NewPromoCode) -> String {
    let amount = format!(
        "{} off",
        dealdesk_model::whop::promo_amount_text(promo.promo_type, promo.amount_off_micros, Some(&promo.currency))
    );
    let duration = match promo.duration_months {
        1 => " for 1 month".to_string(),
        months => format!(" for {months} months"),
    };
    let who = if promo.new_users_only { ", new customers only" } else { "" };
    format!("{amount}{duration}{who}")
}

#[derive(Debug, Clone, PartialEq)]
pub enum DraftAction {
    Days(String),
    Metadata(String),
    Amount(String),
    /// Confirm was pressed: check the inputs and mark it sending, or show why not.
    Confirm,
    /// The core refused it.
    Refused(String),
}

impl ActionDraft {
    pub fn apply(&self, action: DraftAction) -> ActionDraft {
        let mut next = self.clone();
        if matches!(action, DraftAction::Days(_) | DraftAction::Metadata(_) | DraftAction::Amount(_)) {
            next.refusal = None;
        }
        match action {
            DraftAction::Days(text) => {
                next.days = text;
                next.error = next.check_input();
            }
            DraftAction::Metadata(text) => {
                next.metadata = text;
                next.error = next.check_input();
            }
            DraftAction::Amount(text) => {
                next.amount = text;
                next.error = next.check_input();
            }
            DraftAction::Confirm => match next.to_action() {
                Ok(_) => {
                    next.error = None;
                    next.refusal = None;
                    next.sending = true;
                }
                Err(message) if next.has_input() => next.error = Some(message),
                Err(message) => next.refusal = Some(message),
            },
            DraftAction::Refused(message) => {
                next.sending = false;
                next.refusal = Some(message);
            }
        }
        next
    }
}

impl Reducible for ActionDraft {
    type Action = DraftAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

/// The "New promo code" form.
#[derive(Debug, Clone, PartialEq)]
pub struct PromoForm {
    pub code: String,
    pub promo_type: PromoType,
    pub amount: String,
    pub currency: String,
    pub new_users_only: bool,
    /// How many billing months the discount lasts (Whop's API needs a number).
    pub duration_months: String,
    /// The business it is for (chosen in the form when more than one syncs).
    pub business_id: Option<String>,
}

impl Default for PromoForm {
    fn default() -> Self {
        PromoForm {
            code: String::new(),
            promo_type: PromoType::Percentage,
            amount: String::new(),
            currency: "USD".to_string(),
            new_users_only: false,
            duration_months: "1".to_string(),
            business_id: None,
        }
    }
}

/// What is wrong with a promo form, per field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromoErrors {
    pub code: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub duration: Option<String>,
}

impl PromoErrors {
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.amount.is_none() && self.currency.is_none() && self.duration.is_none()
    }
}

impl PromoForm {
    /// The promo code to create (amounts in micros: a percentage as micros of a percent, a flat
    /// amount as micros of the currency), or what to fix.
    pub fn validate(&self) -> Result<NewPromoCode, PromoErrors> {
        let mut errors = PromoErrors::default();
        let code = self.code.trim();
        if code.is_empty() {
            errors.code = Some("Enter a code".to_string());
        } else if code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            errors.code = Some("A code is up to 64 letters, digits, _ or -".to_string());
        }
        let currency = match normalize_currency(&self.currency) {
            Ok(code) => Some(code),
            Err(e) => {
                errors.currency = Some(money_error(e));
                None
            }
        };
        let amount = match self.promo_type {
            PromoType::Percentage => match dealdesk_model::money::parse_decimal_micros(&self.amount) {
                Ok(micros) if micros > 0 && micros <= 100_000_000 => Some(micros),
                Ok(_) => {
                    errors.amount = Some("A percentage is more than 0 and at most 100".to_string());
                    None
                }
                Err(MoneyParseError::Empty) => {
                    errors.amount = Some("Enter a percentage".to_string());
                    None
                }
                Err(_) => {
                    errors.amount = Some(format!("“{}” is not a percentage like 20", self.amount.trim()));
                    None
                }
            },
            PromoType::FlatAmount => match parse_amount(&self.amount, currency.as_deref().unwrap_or("USD")) {
                Ok(micros) if micros > 0 => Some(micros),
                Ok(_) => {
                    errors.amount = Some("The amount off must be more than 0".to_string());
                    None
                }
                Err(message) => {
                    errors.amount = Some(message);
                    None
                }
            },
        };
        let duration_months = match self.duration_months.trim().parse::<u32>() {
            Ok(m) if (1..=MAX_PROMO_MONTHS).contains(&m) => Some(m),
            _ => {
                errors.duration = Some(format!(
                    "Enter how many billing months it lasts, 1 to {MAX_PROMO_MONTHS} (Whop has no \"forever\" here)"
                ));
                None
            }
        };
        match (errors.is_empty(), amount, currency, duration_months) {
            (true, Some(amount_off_micros), Some(currency), Some(duration_months)) => Ok(NewPromoCode {
                code: code.to_uppercase(),
                promo_type: self.promo_type,
                amount_off_micros,
                currency,
                new_users_only: self.new_users_only,
                duration_months,
                business_id: self.business_id.clone(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests;
