//! The revenue desk: MRR and its movement, net revenue, churn, cohorts and Recover (failed
//! payments), computed by the core from the Whop mirror. Every figure is defined in
//! `docs/revenue.md`; amounts are integer micros in one currency, never mixed.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The pseudo-currency of cross-currency totals: Whop's own USD amount of each payment
/// (`usd_total`), summed. Shown as "USD (all currencies, Whop's USD amounts)".
pub const ALL_IN_USD: &str = "USD*";

/// Which revenue to look at: one business or all synced ones, one product or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueScope {
    #[serde(default)]
    pub business: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
}

/// `revenue mrr`: the last `months` calendar months (UTC), oldest first, the current one to date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrrQuery {
    #[serde(default)]
    pub scope: RevenueScope,
    pub months: u32,
}

/// One currency's MRR at the end of one month (or now, for the current month) and how it moved
/// from the month before: `mrr = previous mrr + new + expansion + reactivated - contraction - churned`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrrMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// ISO code, or [`ALL_IN_USD`].
    pub currency: String,
    pub mrr_micros: i64,
    pub new_micros: i64,
    pub expansion_micros: i64,
    pub contraction_micros: i64,
    pub churned_micros: i64,
    pub reactivated_micros: i64,
    /// Customers paying for a renewal plan at the month's end.
    pub customers: u64,
    pub new_customers: u64,
    pub churned_customers: u64,
    pub reactivated_customers: u64,
}

/// Rows a total could not take in, so it says so instead of dropping them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    pub reason: ExcludedReason,
    pub payments: u64,
    pub micros: i64,
    /// The currency of `micros`, when it is known.
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcludedReason {
    /// A paid payment whose currency is missing or not an ISO 4217 code.
    UnknownCurrency,
    /// A paid payment whose membership or plan is not in the mirror: MRR cannot be normalised.
    NoPlan,
    /// A paid payment without Whop's USD amount: left out of the cross-currency total only.
    NoUsdAmount,
}

impl ExcludedReason {
    pub fn label(self) -> &'static str {
        match self {
            ExcludedReason::UnknownCurrency => "payments in an unknown currency",
            ExcludedReason::NoPlan => "payments whose plan is not synced (left out of MRR)",
            ExcludedReason::NoUsdAmount => "payments without Whop's USD amount (left out of the USD total)",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrrSeries {
    /// Per currency (ISO codes, then [`ALL_IN_USD`]), months oldest first.
    pub months: Vec<MrrMonth>,
    pub excluded: Vec<Excluded>,
}

/// One currency's net revenue in one month: paid payments minus refunds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetRevenueMonth {
    pub month: String,
    pub currency: String,
    pub gross_micros: i64,
    pub refunded_micros: i64,
    pub net_micros: i64,
    pub payments: u64,
    pub refunds: u64,
}

/// `revenue summary`: one month (the current one by default) at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryQuery {
    #[serde(default)]
    pub scope: RevenueScope,
    /// `YYYY-MM`; `None` for the current month.
    #[serde(default)]
    pub month: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RevenueSummary {
    pub month: String,
    pub scope: RevenueScope,
    /// Per currency, then [`ALL_IN_USD`].
    pub mrr: Vec<MrrMonth>,
    pub net_revenue: Vec<NetRevenueMonth>,
    /// Churned customers / customers at the start of the month, cross-currency (`None` without any).
    pub customer_churn_rate: Option<f64>,
    /// (Churned + contraction MRR) / MRR at the start of the month, in Whop's USD amounts.
    pub revenue_churn_rate: Option<f64>,
    pub recovery: RecoveryStats,
    pub excluded: Vec<Excluded>,
}

/// Failed payments recovered (paid after failing) in a month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecoveryStats {
    pub month: String,
    /// Recovered revenue paid in the month, per currency.
    pub recovered: Vec<CurrencyTotal>,
    pub recovered_payments: u64,
    /// Payments that failed, created in the month (recovered or not).
    pub failed_payments: u64,
    /// Of `failed_payments`, how many are paid now (`None` when none failed).
    pub recovery_rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotal {
    pub currency: String,
    pub micros: i64,
    pub count: u64,
}

/// `revenue cohorts`: customers by the month of their first payment, and how many of them are
/// still customers in each month after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortGrid {
    pub rows: Vec<CohortRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    /// `YYYY-MM` of the first paid payment.
    pub cohort: String,
    pub customers: u64,
    /// `retained[k]`: of `customers`, how many were customers in month `cohort + k` (`retained[0]`
    /// is `customers`), up to the current month.
    pub retained: Vec<u64>,
}

/// LTV and top customers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtvRow {
    pub product_id: String,
    pub product_title: Option<String>,
    /// `None`: the product as a whole.
    pub plan_id: Option<String>,
    pub plan_title: Option<String>,
    pub currency: String,
    pub customers: u64,
    pub net_micros: i64,
    /// `net_micros / customers`.
    pub ltv_micros: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopCustomer {
    pub user_id: String,
    pub person_id: Option<Uuid>,
    pub name: String,
    /// Whop's USD amounts, net of refunds.
    pub net_usd_micros: i64,
    pub payments: u64,
}

/// The records behind a figure: which movement of which month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrrDrill {
    #[serde(default)]
    pub scope: RevenueScope,
    pub month: String,
    pub currency: String,
    pub movement: Movement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Customers paying at the month's end.
    Active,
    New,
    Expansion,
    Contraction,
    Churned,
    Reactivated,
}

/// One customer behind a figure, with their MRR before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillRow {
    pub customer: String,
    pub person_id: Option<Uuid>,
    pub name: String,
    pub before_micros: i64,
    pub after_micros: i64,
}

/// A figure of the Revenue screen other than MRR, whose customers can be listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Figure {
    /// Net revenue of a month in one currency: each customer's payments and refunds in it.
    NetRevenue { month: String, currency: String },
    /// A cohort grid cell: the customers of `cohort` who were customers in `month`.
    Cohort { cohort: String, month: String },
    /// An LTV row: the product's (or plan's) customers with their net revenue in one currency.
    Ltv { product_id: String, plan_id: Option<String>, currency: String },
}

/// `revenue_figure_customers`: the customers behind a figure, within a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureQuery {
    #[serde(default)]
    pub scope: RevenueScope,
    pub figure: Figure,
}

/// One customer behind a figure: what they paid and had refunded within it (net revenue, LTV;
/// zero for a cohort cell), most first. At most [`FIGURE_CUSTOMERS_MAX`] rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureCustomer {
    pub customer: String,
    pub person_id: Option<Uuid>,
    pub name: String,
    pub paid_micros: i64,
    pub refunded_micros: i64,
    pub payments: u64,
}

/// The most customers a figure lists.
pub const FIGURE_CUSTOMERS_MAX: usize = 1000;

/// A membership to recover: past due, or its latest payment failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecoverItem {
    pub membership_id: Option<String>,
    pub membership_status: Option<String>,
    /// The failed payment (`None` for a past-due membership whose failed payment is not synced).
    pub payment_id: Option<String>,
    pub user_id: Option<String>,
    pub person_id: Option<Uuid>,
    pub customer: String,
    pub email: Option<String>,
    pub business_id: Option<String>,
    pub product_id: Option<String>,
    pub product_title: Option<String>,
    pub plan_id: Option<String>,
    pub plan_title: Option<String>,
    pub amount_micros: i64,
    pub currency: Option<String>,
    pub usd_micros: Option<i64>,
    pub failure_message: Option<String>,
    /// Whop's count of failed attempts on the payment.
    pub attempts: u32,
    /// When Whop retries next (`None`: no retry scheduled).
    pub next_attempt_at: Option<String>,
    /// When Whop is expected to cancel the membership (docs/revenue.md, "Recover").
    pub cancels_at: Option<String>,
    pub retryable: bool,
    pub failed_at: Option<String>,
    /// What is at stake per day left: the sort key (higher first).
    pub priority: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecoverList {
    pub items: Vec<RecoverItem>,
    /// This month's recovered revenue and rate.
    pub recovery: RecoveryStats,
    /// At stake across the list, per currency.
    pub at_stake: Vec<CurrencyTotal>,
}

/// Everything the Revenue screen shows at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RevenueOverview {
    pub summary: RevenueSummary,
    pub mrr: MrrSeries,
    pub net_revenue: Vec<NetRevenueMonth>,
    pub cohorts: CohortGrid,
    pub ltv: Vec<LtvRow>,
    pub top_customers: Vec<TopCustomer>,
}

/// Churn segments of customers, from Whop's own signals and from activity (docs/revenue.md, "Churn").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChurnSegment {
    /// A live membership set to cancel at the end of its period.
    Canceling,
    /// A membership ended this month and the customer has no live one left.
    ChurnedThisMonth,
    PastDue,
    /// A trial that ends within 7 days.
    TrialEnding,
    /// Payment collection paused.
    Paused,
    /// An at-risk score of [`AT_RISK_SCORE`] or more.
    AtRisk,
}

/// The score from which a customer is "at risk".
pub const AT_RISK_SCORE: u32 = 40;

impl ChurnSegment {
    pub const ALL: [ChurnSegment; 6] = [
        ChurnSegment::Canceling,
        ChurnSegment::ChurnedThisMonth,
        ChurnSegment::PastDue,
        ChurnSegment::TrialEnding,
        ChurnSegment::Paused,
        ChurnSegment::AtRisk,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ChurnSegment::Canceling => "Canceling",
            ChurnSegment::ChurnedThisMonth => "Churned this month",
            ChurnSegment::PastDue => "Past due",
            ChurnSegment::TrialEnding => "Trial ending in 7 days",
            ChurnSegment::Paused => "Paused",
            ChurnSegment::AtRisk => "At risk",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ChurnSegment::Canceling => "canceling",
            ChurnSegment::ChurnedThisMonth => "churned_this_month",
            ChurnSegment::PastDue => "past_due",
            ChurnSegment::TrialEnding => "trial_ending",
            ChurnSegment::Paused => "paused",
            ChurnSegment::AtRisk => "at_risk",
        }
    }

    pub fn from_name(name: &str) -> Option<ChurnSegment> {
        ChurnSegment::ALL.into_iter().find(|s| s.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentCount {
    pub segment: ChurnSegment,
    pub customers: u64,
}

/// One customer's churn signals: their segments and at-risk score with its reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnCustomer {
    pub user_id: String,
    pub person_id: Option<Uuid>,
    pub name: String,
    pub segments: Vec<ChurnSegment>,
    /// 0–100, from the rules in docs/revenue.md ("At risk").
    pub score: u32,
    pub reasons: Vec<String>,
}

/// The customers of a churn segment (every customer with a membership when `segment` is `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnQuery {
    #[serde(default)]
    pub scope: RevenueScope,
    #[serde(default)]
    pub segment: Option<ChurnSegment>,
}
