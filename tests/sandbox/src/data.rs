//! The seeded data set: typed records kept in memory, one `Vec` per resource sorted by `created_at`
//! (strictly increasing, so a cursor can name an item by `(created_at, id)` and find it by binary search).

use serde::{Serialize, Serializer};

use crate::rng::{Rng, make_id};

/// Milliseconds since the Unix epoch, serialised as ISO 8601 UTC with milliseconds and `Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub i64);

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_ts(self.0))
    }
}

pub fn format_ts(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        // Out of chrono's range never happens for sandbox data; an empty string keeps this total.
        None => String::new(),
    }
}

/// Money is a decimal number in major units; cents are kept as integers so sums stay exact.
pub fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

pub const DAY_MS: i64 = 86_400_000;
/// 2026-09-01T00:00:00Z: seeded history ends near here, so data never depends on the wall clock.
const BASE_END_MS: i64 = 1_788_220_800_000;
const SPAN_MS: i64 = 730 * DAY_MS;

pub trait Record: Serialize {
    fn id(&self) -> &str;
    fn created_ms(&self) -> i64;
    /// The seller's business the object belongs to (an index into `Data::accounts`); `None` for
    /// the seller's own purchases from other creators.
    fn business(&self) -> Option<usize>;
}

macro_rules! record {
    ($t:ty) => {
        impl Record for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn created_ms(&self) -> i64 {
                self.created_at.0
            }
            fn business(&self) -> Option<usize> {
                self.biz
            }
        }
    };
}

#[derive(Serialize, Clone, Debug)]
pub struct IdRef {
    pub id: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct TitledRef {
    pub id: String,
    pub title: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct UserRef {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub username: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct PublicUserRef {
    pub id: String,
    pub name: Option<String>,
    pub username: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct PromoRef {
    pub id: String,
    pub code: String,
}

/// Arbitrary JSON per key, as Whop stores it (`PATCH /memberships/{id}` replaces it wholesale).
pub type Metadata = serde_json::Map<String, serde_json::Value>;

#[derive(Serialize, Clone, Debug)]
pub struct Account {
    pub id: String,
    pub title: String,
    pub route: String,
    pub require_2fa: bool,
    pub send_customer_emails: bool,
    pub show_joined_whops: bool,
    pub show_reviews_dtc: bool,
    pub show_user_directory: bool,
    pub use_logo_as_opengraph_image_fallback: bool,
    pub member_count: usize,
    pub metadata: Metadata,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Account);

#[derive(Serialize, Clone, Debug)]
pub struct Product {
    pub id: String,
    pub title: String,
    pub route: String,
    pub visibility: &'static str,
    pub member_count: usize,
    pub published_reviews_count: usize,
    pub verified: bool,
    pub metadata: Metadata,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Product);

#[derive(Serialize, Clone, Debug)]
pub struct Plan {
    pub id: String,
    pub product: TitledRef,
    pub plan_type: &'static str,
    pub billing_period: Option<u32>,
    pub initial_price: f64,
    pub renewal_price: f64,
    pub currency: &'static str,
    pub trial_period_days: Option<u32>,
    pub release_method: &'static str,
    pub visibility: &'static str,
    pub member_count: usize,
    pub purchase_url: String,
    pub adaptive_pricing_enabled: bool,
    pub unlimited_stock: bool,
    pub metadata: Metadata,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub price_cents: i64,
    #[serde(skip)]
    pub product_idx: usize,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Plan);

#[derive(Serialize, Clone, Debug)]
pub struct Member {
    pub id: String,
    pub user: UserRef,
    pub phone: Option<String>,
    pub status: &'static str,
    pub access_level: &'static str,
    pub most_recent_action: Option<&'static str>,
    pub most_recent_action_at: Option<Ts>,
    pub usd_total_spent: f64,
    pub company_token_balance: f64,
    pub joined_at: Ts,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub spent_cents: i64,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Member);

#[derive(Serialize, Clone, Debug)]
pub struct Membership {
    pub id: String,
    pub status: &'static str,
    pub user: UserRef,
    pub member: IdRef,
    pub product: TitledRef,
    pub plan: IdRef,
    pub company: TitledRef,
    pub promo_code: Option<PromoRef>,
    pub currency: &'static str,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<Ts>,
    pub cancel_option: Option<&'static str>,
    pub cancellation_reason: Option<String>,
    pub renewal_period_start: Option<Ts>,
    pub renewal_period_end: Option<Ts>,
    pub joined_at: Ts,
    pub payment_collection_paused: bool,
    pub license_key: Option<String>,
    pub manage_url: String,
    pub metadata: Metadata,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub member_idx: usize,
    #[serde(skip)]
    pub plan_idx: usize,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Membership);

/// A payment's membership as Whop embeds it (its status when the payment was made).
#[derive(Serialize, Clone, Debug)]
pub struct MembershipRef {
    pub id: String,
    pub status: &'static str,
}

/// A product as payments embed it.
#[derive(Serialize, Clone, Debug)]
pub struct ProductRef {
    pub id: String,
    pub title: String,
    pub route: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct Payment {
    pub id: String,
    pub status: &'static str,
    pub substatus: &'static str,
    pub auto_refunded: bool,
    pub three_ds_verified: bool,
    pub settlement_amount: f64,
    pub total: f64,
    pub subtotal: f64,
    pub usd_total: f64,
    pub amount_after_fees: f64,
    pub tax_amount: f64,
    pub refunded_amount: f64,
    pub currency: &'static str,
    pub settlement_currency: &'static str,
    pub billing_reason: &'static str,
    pub paid_at: Option<Ts>,
    pub refunded_at: Option<Ts>,
    pub user: UserRef,
    pub member: IdRef,
    pub membership: MembershipRef,
    pub product: ProductRef,
    pub plan: IdRef,
    pub promo_code: Option<PromoRef>,
    pub card_brand: Option<&'static str>,
    pub card_last4: Option<String>,
    pub payment_method_type: &'static str,
    pub failure_message: Option<&'static str>,
    pub refundable: bool,
    pub retryable: bool,
    pub voidable: bool,
    /// Whop's count of failed attempts to collect this payment (recovered ones keep theirs).
    pub payments_failed: Option<u32>,
    /// When Whop retries a failed payment next (`None`: no retry scheduled).
    pub next_payment_attempt: Option<Ts>,
    pub last_payment_attempt: Option<Ts>,
    pub metadata: Metadata,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// The sandbox's own rule: a retry of this payment is declined again (Recover's refusal path).
    #[serde(skip)]
    pub retry_declines: bool,
    #[serde(skip)]
    pub total_cents: i64,
    /// Sum of this payment's refunds, exact (refunded_amount is its decimal rendering).
    #[serde(skip)]
    pub refunded_cents: i64,
    #[serde(skip)]
    pub member_idx: usize,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Payment);

#[derive(Serialize, Clone, Debug)]
pub struct Refund {
    pub id: String,
    pub amount: f64,
    pub currency: &'static str,
    pub status: &'static str,
    pub payment: IdRef,
    pub provider: &'static str,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Refund);

#[derive(Serialize, Clone, Debug)]
pub struct Review {
    pub id: String,
    pub stars: u8,
    pub title: String,
    pub description: Option<String>,
    pub status: &'static str,
    pub user: PublicUserRef,
    pub paid_for_product: bool,
    pub published_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub biz: Option<usize>,
    /// The product reviewed: Whop's review objects do not name it (lists are per product).
    #[serde(skip)]
    pub product_id: String,
}
record!(Review);

#[derive(Serialize, Clone, Debug)]
pub struct PromoCode {
    pub id: String,
    pub code: String,
    pub promo_type: &'static str,
    pub amount_off: f64,
    /// Any ISO 4217 code a seller creates a promo code in, so not a fixed set like payment currencies.
    pub currency: String,
    pub duration: &'static str,
    pub promo_duration_months: Option<u32>,
    pub uses: u64,
    /// The use limit (0 with unlimited stock).
    pub stock: u64,
    pub unlimited_stock: bool,
    pub expires_at: Option<Ts>,
    pub new_users_only: bool,
    pub churned_users_only: bool,
    pub existing_memberships_only: bool,
    pub one_per_customer: bool,
    pub product: Option<TitledRef>,
    pub company: TitledRef,
    pub status: &'static str,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(PromoCode);

#[derive(Serialize, Clone, Debug)]
pub struct Lead {
    pub id: String,
    pub user: UserRef,
    pub member: Option<IdRef>,
    pub product: TitledRef,
    pub referrer: Option<String>,
    pub metadata: Metadata,
    pub created_at: Ts,
    pub updated_at: Ts,
    #[serde(skip)]
    pub biz: Option<usize>,
}
record!(Lead);

/// The signed-in seller (the OAuth user). Fixed so tests can assert on it.
#[derive(Clone, Debug)]
pub struct Seller {
    pub id: String,
}

pub const SELLER_NAME: &str = "Sam Seller";
pub const SELLER_USERNAME: &str = "samseller";
pub const SELLER_EMAIL: &str = "sam@sandbox.whop.test";
/// The seller's business accounts, in order (`SandboxConfig::businesses` of them).
pub const BUSINESS_TITLES: &[&str] = &["Sandbox Studio", "Sandbox Academy", "Sandbox Labs", "Sandbox Media"];
/// Another creator's business the seller bought from: their own purchases, which a user token's
/// unfiltered membership and payment lists include and which must never become customers.
pub const OUTSIDE_TITLE: &str = "Other Creator Co";

pub struct Data {
    pub seed: u64,
    pub seller: Seller,
    /// The seller's business accounts.
    pub accounts: Vec<Account>,
    /// Per account: the seller still has access to it (a test can take it away).
    pub accessible: Vec<bool>,
    /// The company the seller's own purchases are from.
    pub outside: TitledRef,
    pub products: Vec<Product>,
    pub plans: Vec<Plan>,
    pub members: Vec<Member>,
    pub memberships: Vec<Membership>,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    pub reviews: Vec<Review>,
    pub promo_codes: Vec<PromoCode>,
    pub leads: Vec<Lead>,
    /// DM channels and messages the seller sent through the API (none are seeded).
    pub dms: crate::dms::Dms,
    /// Users created so far (members' users plus lead-only users); numbers new users' ids and emails.
    user_counter: u64,
    /// The latest created_at across all resources: the sandbox clock never runs behind it.
    pub latest_ms: i64,
    rng: Rng,
}

// Salts keep the id streams of different resources apart.
const SALT_USER: u64 = 1;
const SALT_MEMBER: u64 = 2;
const SALT_MEMBERSHIP: u64 = 3;
const SALT_PAYMENT: u64 = 4;
const SALT_REFUND: u64 = 5;
const SALT_REVIEW: u64 = 6;
const SALT_LEAD: u64 = 7;
const SALT_MISC: u64 = 8;
const SALT_PROMO: u64 = 9;

const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mateo", "Isla", "Leo", "Chloe",
    "Arjun", "Hana", "Yuki", "Amara", "Kofi", "Lena", "Jonas", "Priya", "Omar", "Zara", "Diego", "Nora", "Felix",
    "Aisha", "Hugo", "Ines", "Marco", "Freya", "Elias", "Maya", "Tariq", "Clara", "Ravi", "Elif", "Sven", "Lucia",
    "Kai",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Garcia", "Müller", "Nguyen", "Kim", "Patel", "Rossi", "Dubois", "Silva", "Kowalski",
    "Andersen", "Tanaka", "Okafor", "Haddad", "Novak", "Schmidt", "Jensen", "Costa", "Brown", "Lopez", "Wilson",
    "Ivanova", "Yilmaz", "Martin", "Fischer", "Larsen", "Moreau", "Ferreira", "Chen", "Singh", "Ali", "Murphy",
    "O'Brien", "Walker", "Reyes", "Sato", "Berg", "Hoffmann", "Clarke",
];
const CANCEL_OPTIONS: &[&str] =
    &["too_expensive", "switching", "missing_features", "technical_issues", "bad_experience", "other"];
const CARD_BRANDS: &[&str] = &["visa", "mastercard", "amex", "discover"];
const REFERRERS: &[&str] =
    &["https://twitter.com/", "https://www.google.com/", "https://www.youtube.com/", "https://discord.com/"];
const REVIEW_TITLES: &[(&str, u8)] = &[
    ("Worth every penny", 5),
    ("Great community", 5),
    ("Solid content", 4),
    ("Good but pricey", 3),
    ("Not for me", 2),
    ("Disappointed", 1),
];

fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'ü' => Some('u'),
            '\'' => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// The first time at or after `at` that no item of `items` (sorted, distinct) was created at.
fn free_time<T: Record>(items: &[T], mut at: i64) -> i64 {
    while items.binary_search_by_key(&at, Record::created_ms).is_ok() {
        at += 1;
    }
    at
}

/// Inserts `item` where its created_at keeps `items` sorted (its time must be free: [`free_time`]).
fn insert_sorted<T: Record>(items: &mut Vec<T>, item: T) {
    let at = items.partition_point(|x| x.created_ms() < item.created_ms());
    items.insert(at, item);
}

/// Makes times strictly increasing after sorting; keeps created_at distinct within a resource.
fn make_distinct(times: &mut [i64]) {
    for i in 1..times.len() {
        if times[i] <= times[i - 1] {
            times[i] = times[i - 1] + 1;
        }
    }
}

/// Seeding plans: each row becomes a record once times are sorted.
struct Draft {
    at: i64,
    owner: usize,
    kind: u8,
}

fn sort_drafts(drafts: &mut [Draft]) {
    drafts.sort_by_key(|d| (d.at, d.owner));
    let mut times: Vec<i64> = drafts.iter().map(|d| d.at).collect();
    make_distinct(&mut times);
    for (d, t) in drafts.iter_mut().zip(times) {
        d.at = t;
    }
}

impl Data {
    /// `ends_at`: when the history ends (ms), near 2026-09-01 when `None`.
    pub fn seed(
        seed: u64,
        n_members: usize,
        n_memberships: usize,
        n_payments: usize,
        businesses: usize,
        ends_at: Option<i64>,
    ) -> Data {
        let businesses = businesses.clamp(1, BUSINESS_TITLES.len());
        let mut rng = Rng::new(seed);
        // The epoch moves a little with the seed so different seeds do not share timestamps.
        let end = ends_at.unwrap_or(BASE_END_MS + (crate::rng::mix(seed) % (7 * DAY_MS as u64)) as i64);
        let start = end - SPAN_MS;
        let company_created = start - 30 * DAY_MS;

        let accounts: Vec<Account> = BUSINESS_TITLES[..businesses]
            .iter()
            .enumerate()
            .map(|(b, title)| Account {
                id: make_id("biz_", seed, SALT_MISC, b as u64),
                title: (*title).into(),
                route: title.to_lowercase().replace(' ', "-"),
                require_2fa: false,
                send_customer_emails: true,
                show_joined_whops: false,
                show_reviews_dtc: true,
                show_user_directory: false,
                use_logo_as_opengraph_image_fallback: false,
                member_count: 0,
                metadata: Metadata::new(),
                created_at: Ts(company_created + b as i64 * 60_000),
                updated_at: Ts(company_created + DAY_MS),
                biz: Some(b),
            })
            .collect();

        let product_specs: &[(&str, &str, &'static str)] = &[
            ("Pro Community", "pro-community", "visible"),
            ("Trading Signals", "trading-signals", "visible"),
            ("Zero to Launch Course", "zero-to-launch", "hidden"),
            ("1:1 Coaching (legacy)", "coaching-legacy", "archived"),
        ];
        let mut products = Vec::new();
        for (i, (title, route, visibility)) in product_specs.iter().enumerate() {
            let at = company_created + (i as i64 + 1) * DAY_MS;
            products.push(Product {
                id: make_id("prod_", seed, SALT_MISC, 100 + i as u64),
                title: (*title).into(),
                route: (*route).into(),
                visibility,
                member_count: 0,
                published_reviews_count: 0,
                verified: false,
                metadata: Metadata::new(),
                created_at: Ts(at),
                updated_at: Ts(at + 3_600_000),
                biz: Some(i % businesses),
            });
        }

        // (plan_type, billing_period, price in cents, currency, trial days) per product.
        type PlanSpec = (&'static str, Option<u32>, i64, &'static str, Option<u32>);
        let plan_specs: [&[PlanSpec]; 4] = [
            &[("renewal", Some(30), 4900, "usd", Some(7)), ("renewal", Some(365), 49000, "usd", None)],
            &[
                ("renewal", Some(30), 9900, "usd", None),
                ("renewal", Some(30), 8900, "eur", None),
                ("renewal", Some(365), 99000, "usd", None),
            ],
            &[("one_time", None, 19900, "usd", None), ("one_time", None, 14999, "eur", None)],
            &[("one_time", None, 25000, "usd", None), ("renewal", Some(30), 1043, "usd", None)],
        ];
        let mut plans = Vec::new();
        for (pi, specs) in plan_specs.iter().enumerate() {
            for (k, (plan_type, period, cents, currency, trial)) in specs.iter().enumerate() {
                let at = company_created + (pi as i64 + 1) * DAY_MS + (k as i64 + 1) * 3_600_000;
                let id = make_id("plan_", seed, SALT_MISC, 200 + plans.len() as u64);
                plans.push(Plan {
                    purchase_url: format!("https://whop.com/checkout/{id}"),
                    id,
                    product: TitledRef { id: products[pi].id.clone(), title: products[pi].title.clone() },
                    plan_type,
                    billing_period: *period,
                    initial_price: money(*cents),
                    renewal_price: if *plan_type == "renewal" { money(*cents) } else { 0.0 },
                    currency,
                    trial_period_days: *trial,
                    release_method: "buy_now",
                    visibility: products[pi].visibility,
                    member_count: 0,
                    adaptive_pricing_enabled: false,
                    unlimited_stock: true,
                    metadata: Metadata::new(),
                    created_at: Ts(at),
                    updated_at: Ts(at),
                    price_cents: *cents,
                    product_idx: pi,
                    biz: products[pi].biz,
                });
            }
        }
        // Plans were created product by product, so their times are already increasing.
        plans.sort_by_key(|p| p.created_at);

        let promo_specs: &[(&str, &'static str, i64, &'static str, Option<usize>)] = &[
            ("WELCOME10", "percentage", 10, "forever", None),
            ("LAUNCH20", "percentage", 20, "once", Some(2)),
            ("FLAT5", "flat_amount", 500, "repeating", None),
            ("VIP50", "percentage", 50, "repeating", Some(0)),
            ("BLACKFRIDAY", "percentage", 30, "once", None),
        ];
        let mut promo_codes = Vec::new();
        for (i, (code, promo_type, amount, duration, product)) in promo_specs.iter().enumerate() {
            let at = start + (i as i64) * 90 * DAY_MS + 12_345;
            // A product's code belongs to its business; the others are shared out in turn.
            let b = product.and_then(|p| products[p].biz).unwrap_or((i / 2) % businesses);
            promo_codes.push(PromoCode {
                id: make_id("promo_", seed, SALT_MISC, 300 + i as u64),
                code: (*code).into(),
                promo_type,
                amount_off: if *promo_type == "flat_amount" { money(*amount) } else { *amount as f64 },
                currency: "usd".into(),
                duration,
                promo_duration_months: if *duration == "repeating" { Some(3) } else { None },
                uses: 0,
                stock: if i % 2 == 0 { 0 } else { 100 },
                unlimited_stock: i % 2 == 0,
                expires_at: if *code == "BLACKFRIDAY" { Some(Ts(at + 4 * DAY_MS)) } else { None },
                new_users_only: *code == "WELCOME10",
                churned_users_only: false,
                existing_memberships_only: false,
                one_per_customer: true,
                product: product.map(|p| TitledRef { id: products[p].id.clone(), title: products[p].title.clone() }),
                company: TitledRef { id: accounts[b].id.clone(), title: accounts[b].title.clone() },
                status: "active",
                created_at: Ts(at),
                updated_at: Ts(at),
                biz: Some(b),
            });
        }

        let seller = Seller { id: make_id("user_", seed, SALT_MISC, 400) };

        let mut data = Data {
            seed,
            seller,
            accessible: vec![true; accounts.len()],
            accounts,
            outside: TitledRef { id: make_id("biz_", seed, SALT_MISC, 90), title: OUTSIDE_TITLE.into() },
            products,
            plans,
            members: Vec::with_capacity(n_members),
            memberships: Vec::with_capacity(n_memberships),
            payments: Vec::with_capacity(n_payments),
            refunds: Vec::new(),
            reviews: Vec::new(),
            promo_codes,
            leads: Vec::new(),
            dms: crate::dms::Dms::default(),
            user_counter: 0,
            latest_ms: end,
            rng: Rng::new(0),
        };

        // Members: spread over the span on an even grid with jitter inside each slot (already sorted).
        let step = (SPAN_MS / n_members.max(1) as i64).max(1);
        for i in 0..n_members {
            let at = start + i as i64 * step + rng.below(step as u64) as i64;
            let user = data.new_user(&mut rng);
            let member = data.build_member(&mut rng, i as u64, user, at);
            data.members.push(member);
        }

        // Memberships: the first ones cover every member shortly after joining; extras go to random
        // members at a random later time, so nothing predates its owner.
        let mut drafts = Vec::with_capacity(n_memberships);
        for j in 0..n_memberships {
            let (m, at) = if j < n_members {
                (j, data.members[j].created_at.0 + 1_000 + rng.below(600_000) as i64)
            } else {
                let m = rng.index(n_members);
                let from = data.members.get(m).map_or(start, |x| x.created_at.0);
                (m, from + rng.below((end - from).max(1) as u64) as i64)
            };
            drafts.push(Draft { at, owner: m, kind: 0 });
        }
        sort_drafts(&mut drafts);
        for (j, d) in drafts.iter().enumerate() {
            if n_members == 0 {
                break;
            }
            let ms = data.build_membership(&mut rng, j as u64, d.owner, d.at, end, None);
            data.memberships.push(ms);
        }

        // Payments: the first one per membership is its purchase; extras are renewals at random later times.
        let n_ms = data.memberships.len();
        let mut drafts = Vec::with_capacity(n_payments);
        for k in 0..n_payments {
            if n_ms == 0 {
                break;
            }
            let (ms, at, kind) = if k < n_ms {
                (k, data.memberships[k].created_at.0 + 500 + rng.below(60_000) as i64, 0)
            } else {
                let ms = rng.index(n_ms);
                let from = data.memberships[ms].created_at.0;
                (ms, from + rng.below((end - from).max(1) as u64) as i64, 1)
            };
            drafts.push(Draft { at, owner: ms, kind });
        }
        sort_drafts(&mut drafts);
        for (k, d) in drafts.iter().enumerate() {
            let reason = if d.kind == 0 { "subscription_create" } else { "subscription_cycle" };
            let status = *rng.weighted(&[("paid", 92), ("open", 3), ("void", 2), ("uncollectible", 3)]);
            let p = data.build_payment(&mut rng, k as u64, d.owner, d.at, status, reason);
            data.payments.push(p);
        }

        // Every business has a failed payment Whop can retry (Recover needs one to act on): the
        // newest unpaid one, unless one is retryable already.
        for b in 0..data.accounts.len() {
            let of_b = |p: &Payment| p.biz == Some(b);
            if data.payments.iter().any(|p| of_b(p) && p.retryable) {
                continue;
            }
            if let Some(p) = data.payments.iter_mut().rev().find(|p| of_b(p) && p.status != "paid") {
                p.status = "open";
                p.substatus = "failed";
                p.failure_message = Some("Your card was declined.");
                p.retryable = true;
                p.voidable = true;
                p.payments_failed = Some(1);
                p.last_payment_attempt = Some(p.created_at);
                p.next_payment_attempt = Some(Ts(end + 2 * DAY_MS));
            }
        }
        // And a renewal that failed and is past due now, whose retry Whop declines again: the
        // newest unpaid payment of a membership still running. Its membership is past due.
        for b in 0..data.accounts.len() {
            let live = |status: &str| matches!(status, "active" | "past_due" | "trialing" | "canceling");
            let found = data
                .payments
                .iter()
                .rposition(|p| p.biz == Some(b) && p.status != "paid" && !p.retryable && live(p.membership.status));
            let Some(k) = found else { continue };
            let p = &mut data.payments[k];
            p.status = "open";
            p.substatus = "failed";
            p.failure_message = Some("Insufficient funds.");
            p.retryable = true;
            p.voidable = true;
            p.payments_failed = Some(2);
            p.last_payment_attempt = Some(p.created_at);
            p.next_payment_attempt = Some(Ts(end + DAY_MS));
            p.retry_declines = true;
            p.membership.status = "past_due";
            let membership = p.membership.id.clone();
            if let Some(ms) = data.memberships.iter_mut().find(|m| m.id == membership) {
                ms.status = "past_due";
            }
        }

        // Refunds: ~2% of paid payments, a few days after the payment.
        let mut drafts = Vec::new();
        for (k, p) in data.payments.iter().enumerate() {
            if p.status == "paid" && rng.chance(2) {
                drafts.push(Draft {
                    at: p.created_at.0 + 3_600_000 + rng.below(5 * DAY_MS as u64) as i64,
                    owner: k,
                    kind: 0,
                });
            }
        }
        sort_drafts(&mut drafts);
        for (r, d) in drafts.iter().enumerate() {
            let partial = rng.chance(20);
            data.refund_payment(r as u64, d.owner, d.at, partial);
        }

        // Reviews: ~5% of members, some weeks after joining.
        let mut drafts = Vec::new();
        for (m, member) in data.members.iter().enumerate() {
            if rng.chance(5) {
                drafts.push(Draft {
                    at: member.created_at.0 + 7 * DAY_MS + rng.below(30 * DAY_MS as u64) as i64,
                    owner: m,
                    kind: 0,
                });
            }
        }
        sort_drafts(&mut drafts);
        // A review is about a product the member bought: their first membership's product.
        let mut first_product: Vec<Option<String>> = vec![None; data.members.len()];
        for ms in &data.memberships {
            if first_product[ms.member_idx].is_none() {
                first_product[ms.member_idx] = Some(ms.product.id.clone());
            }
        }
        for (r, d) in drafts.iter().enumerate() {
            let (title, stars) = *rng.pick(REVIEW_TITLES);
            let member = &data.members[d.owner];
            let product = first_product[d.owner].clone().unwrap_or_else(|| data.products[0].id.clone());
            let biz = data.products.iter().find(|p| p.id == product).and_then(|p| p.biz);
            data.reviews.push(Review {
                id: make_id("rev_", seed, SALT_REVIEW, r as u64),
                stars,
                title: title.into(),
                description: if rng.chance(70) {
                    Some(format!("{title}. Would tell a friend about it."))
                } else {
                    None
                },
                status: "published",
                user: PublicUserRef {
                    id: member.user.id.clone(),
                    name: member.user.name.clone(),
                    username: member.user.username.clone(),
                },
                paid_for_product: true,
                published_at: Some(Ts(d.at)),
                created_at: Ts(d.at),
                updated_at: Ts(d.at),
                biz,
                product_id: product,
            });
        }

        // Leads: ~10% of members (seen shortly before joining) plus some visitors who never bought.
        let mut drafts = Vec::new();
        for (m, member) in data.members.iter().enumerate() {
            if rng.chance(10) {
                let converted = rng.chance(60);
                let at = member.created_at.0 - 1 - rng.below(DAY_MS as u64) as i64;
                drafts.push(Draft { at, owner: m, kind: u8::from(converted) });
            }
        }
        sort_drafts(&mut drafts);
        for (l, d) in drafts.iter().enumerate() {
            let (user, member) = if d.kind == 1 {
                let m = &data.members[d.owner];
                (m.user.clone(), Some(IdRef { id: m.id.clone() }))
            } else {
                (data.new_user(&mut rng), None)
            };
            let product = &data.products[rng.index(3)];
            let (product, biz) = (TitledRef { id: product.id.clone(), title: product.title.clone() }, product.biz);
            let referrer = if rng.chance(70) { Some((*rng.pick(REFERRERS)).to_string()) } else { None };
            data.leads.push(Lead {
                id: make_id("lead_", seed, SALT_LEAD, l as u64),
                user,
                member,
                product,
                referrer,
                metadata: Metadata::new(),
                created_at: Ts(d.at),
                updated_at: Ts(d.at),
                biz,
            });
        }

        data.add_own_purchases(company_created, start);
        data.recount();
        data.latest_ms = data.latest_ms.max(data.max_created());
        data.rng = Rng::new(crate::rng::mix(seed ^ 0x0005_eed0_fa11));
        data
    }

    /// The seller's own purchases from another creator: two memberships and three payments, in
    /// the membership and payment lists of a user token that names no company.
    fn add_own_purchases(&mut self, company_created: i64, start: i64) {
        let seed = self.seed;
        let product_at = company_created + 10 * DAY_MS;
        let product = Product {
            id: make_id("prod_", seed, SALT_MISC, 190),
            title: "Creator Masterclass".into(),
            route: "creator-masterclass".into(),
            visibility: "visible",
            member_count: 0,
            published_reviews_count: 0,
            verified: true,
            metadata: Metadata::new(),
            created_at: Ts(product_at),
            updated_at: Ts(product_at),
            biz: None,
        };
        let product_ref = TitledRef { id: product.id.clone(), title: product.title.clone() };
        let plan_id = make_id("plan_", seed, SALT_MISC, 290);
        let plan = Plan {
            purchase_url: format!("https://whop.com/checkout/{plan_id}"),
            id: plan_id,
            product: product_ref.clone(),
            plan_type: "renewal",
            billing_period: Some(30),
            initial_price: money(2900),
            renewal_price: money(2900),
            currency: "usd",
            trial_period_days: None,
            release_method: "buy_now",
            visibility: "visible",
            member_count: 0,
            adaptive_pricing_enabled: false,
            unlimited_stock: true,
            metadata: Metadata::new(),
            created_at: Ts(product_at + 3_600_000),
            updated_at: Ts(product_at + 3_600_000),
            price_cents: 2900,
            product_idx: self.products.len(),
            biz: None,
        };
        // Created after every seeded product and plan, so appending keeps both lists sorted.
        self.products.push(product);
        let plan_idx = self.plans.len();
        let plan_ref = IdRef { id: plan.id.clone() };
        self.plans.push(plan);
        let user = UserRef {
            id: self.seller.id.clone(),
            email: Some(SELLER_EMAIL.into()),
            name: Some(SELLER_NAME.into()),
            username: SELLER_USERNAME.into(),
        };
        let member = IdRef { id: make_id("mber_", seed, SALT_MISC, 91) };
        for (i, (days, status)) in [(100, "active"), (400, "canceled")].into_iter().enumerate() {
            let at = free_time(&self.memberships, start + days * DAY_MS);
            let id = make_id("mem_", seed, SALT_MISC, 500 + i as u64);
            let ms = Membership {
                manage_url: format!("https://whop.com/orders/{id}/manage"),
                license_key: None,
                id,
                status,
                user: user.clone(),
                member: member.clone(),
                product: product_ref.clone(),
                plan: plan_ref.clone(),
                company: self.outside.clone(),
                promo_code: None,
                currency: "usd",
                cancel_at_period_end: false,
                canceled_at: (status == "canceled").then_some(Ts(at + 40 * DAY_MS)),
                cancel_option: None,
                cancellation_reason: None,
                renewal_period_start: Some(Ts(at)),
                renewal_period_end: Some(Ts(at + 30 * DAY_MS)),
                joined_at: Ts(at),
                payment_collection_paused: false,
                metadata: Metadata::new(),
                created_at: Ts(at),
                updated_at: Ts(at + 1_000),
                member_idx: usize::MAX,
                plan_idx,
                biz: None,
            };
            let payments = if status == "active" { 2 } else { 1 };
            for k in 0..payments {
                let paid_at = free_time(&self.payments, at + 500 + k * 30 * DAY_MS);
                let payment = Payment {
                    id: make_id("pay_", seed, SALT_MISC, 600 + (i * 2 + k as usize) as u64),
                    status: "paid",
                    substatus: "succeeded",
                    auto_refunded: false,
                    three_ds_verified: false,
                    settlement_amount: money(2900),
                    total: money(2900),
                    subtotal: money(2900),
                    usd_total: money(2900),
                    amount_after_fees: money(2900),
                    tax_amount: 0.0,
                    refunded_amount: 0.0,
                    currency: "usd",
                    settlement_currency: "usd",
                    billing_reason: if k == 0 { "subscription_create" } else { "subscription_cycle" },
                    paid_at: Some(Ts(paid_at + 1_500)),
                    refunded_at: None,
                    user: user.clone(),
                    member: member.clone(),
                    membership: MembershipRef { id: ms.id.clone(), status: ms.status },
                    product: ProductRef {
                        id: product_ref.id.clone(),
                        title: product_ref.title.clone(),
                        route: "creator-masterclass".into(),
                    },
                    plan: plan_ref.clone(),
                    promo_code: None,
                    card_brand: Some("visa"),
                    card_last4: Some("4242".into()),
                    payment_method_type: "card",
                    failure_message: None,
                    refundable: false,
                    retryable: false,
                    voidable: false,
                    payments_failed: None,
                    next_payment_attempt: None,
                    last_payment_attempt: None,
                    metadata: Metadata::new(),
                    created_at: Ts(paid_at),
                    updated_at: Ts(paid_at + 1_500),
                    retry_declines: false,
                    total_cents: 2900,
                    refunded_cents: 0,
                    member_idx: usize::MAX,
                    biz: None,
                };
                insert_sorted(&mut self.payments, payment);
            }
            insert_sorted(&mut self.memberships, ms);
        }
    }

    fn new_user(&mut self, rng: &mut Rng) -> UserRef {
        let n = self.user_counter;
        self.user_counter += 1;
        let first = *rng.pick(FIRST_NAMES);
        let last = *rng.pick(LAST_NAMES);
        let (f, l) = (ascii_fold(first), ascii_fold(last));
        // About 1 in 50 users shares no email with the seller; their `email` is null.
        let email = if rng.chance(2) { None } else { Some(format!("{f}.{l}{n}@example.com")) };
        UserRef {
            id: make_id("user_", self.seed, SALT_USER, n),
            email,
            name: Some(format!("{first} {last}")),
            username: format!("{f}{l}{n}"),
        }
    }

    fn build_member(&mut self, rng: &mut Rng, n: u64, user: UserRef, at: i64) -> Member {
        let status = *rng.weighted(&[("joined", 85), ("left", 12), ("drafted", 3)]);
        let action = match status {
            "joined" => *rng.pick(&["paid_subscriber", "renewing", "joined", "trialing", "paid_once"]),
            "left" => *rng.pick(&["churned", "left"]),
            _ => "joined",
        };
        Member {
            id: make_id("mber_", self.seed, SALT_MEMBER, n),
            user,
            phone: if rng.chance(30) { Some(format!("+1555{:07}", rng.below(10_000_000))) } else { None },
            status,
            access_level: if status == "joined" { "customer" } else { "no_access" },
            most_recent_action: Some(action),
            most_recent_action_at: Some(Ts(at + 60_000)),
            usd_total_spent: 0.0,
            company_token_balance: 0.0,
            joined_at: Ts(at),
            created_at: Ts(at),
            updated_at: Ts(at + 60_000),
            spent_cents: 0,
            // Members are spread over the seller's businesses in turn.
            biz: Some(n as usize % self.accounts.len()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build_membership(
        &mut self,
        rng: &mut Rng,
        n: u64,
        member_idx: usize,
        at: i64,
        end: i64,
        status: Option<&'static str>,
    ) -> Membership {
        // A plan of one of the member's business's products.
        let member = &self.members[member_idx];
        let biz = member.biz;
        let eligible: Vec<usize> = (0..self.plans.len()).filter(|&i| self.plans[i].biz == biz).collect();
        let plan_idx = eligible[rng.index(eligible.len())];
        let plan = &self.plans[plan_idx];
        let account = &self.accounts[biz.unwrap_or(0)];
        let company = TitledRef { id: account.id.clone(), title: account.title.clone() };
        let status = status.unwrap_or_else(|| {
            *rng.weighted(&[
                ("active", 70),
                ("trialing", 4),
                ("past_due", 4),
                ("canceled", 10),
                ("expired", 5),
                ("completed", 4),
                ("canceling", 3),
            ])
        });
        let canceled = matches!(status, "canceled" | "canceling");
        let canceled_at = if canceled { Some(Ts(at + rng.below((end - at).max(1) as u64) as i64)) } else { None };
        let period = i64::from(plan.billing_period.unwrap_or(30)) * DAY_MS;
        // The current period is the one containing `end` (or the first one for fresh memberships).
        let elapsed = (end - at).max(0) / period;
        let period_start = at + elapsed * period;
        let id = make_id("mem_", self.seed, SALT_MEMBERSHIP, n);
        let promo_code = if rng.chance(5) {
            let p = rng.pick(&self.promo_codes);
            Some(PromoRef { id: p.id.clone(), code: p.code.clone() })
        } else {
            None
        };
        let updated = canceled_at.map_or(at + 1_000, |c| c.0);
        Membership {
            manage_url: format!("https://whop.com/orders/{id}/manage"),
            license_key: if plan.product_idx == 2 { Some(format!("LIC-{:012X}", rng.next_u64() >> 16)) } else { None },
            id,
            status,
            user: member.user.clone(),
            member: IdRef { id: member.id.clone() },
            product: plan.product.clone(),
            plan: IdRef { id: plan.id.clone() },
            company,
            promo_code,
            currency: plan.currency,
            cancel_at_period_end: status == "canceling",
            canceled_at,
            cancel_option: if canceled { Some(*rng.pick(CANCEL_OPTIONS)) } else { None },
            cancellation_reason: if canceled && rng.chance(50) { Some("Taking a break for now".into()) } else { None },
            renewal_period_start: plan.billing_period.map(|_| Ts(period_start)),
            renewal_period_end: plan.billing_period.map(|_| Ts(period_start + period)),
            joined_at: Ts(at),
            payment_collection_paused: false,
            metadata: Metadata::new(),
            created_at: Ts(at),
            updated_at: Ts(updated.max(at)),
            member_idx,
            plan_idx,
            biz,
        }
    }

    fn build_payment(
        &mut self,
        rng: &mut Rng,
        n: u64,
        ms_idx: usize,
        at: i64,
        status: &'static str,
        billing_reason: &'static str,
    ) -> Payment {
        let ms = &self.memberships[ms_idx];
        let plan = &self.plans[ms.plan_idx];
        let cents = plan.price_cents;
        // EUR is settled in USD at a fixed, made-up rate so usd_total differs visibly.
        let usd_cents = if plan.currency == "eur" { cents * 108 / 100 } else { cents };
        let fee = usd_cents * 3 / 100 + 30;
        let paid = status == "paid";
        let (substatus, failure) = match status {
            "paid" => ("succeeded", None),
            "open" => ("pending", None),
            "void" => ("canceled", None),
            _ => ("failed", Some("Your card was declined.")),
        };
        let card = rng.chance(90);
        let member_idx = ms.member_idx;
        // Failed attempts, from the payment's number (not the generator, so the rest of the seed
        // stays as it was): uncollectible payments failed 2 to 4 times; one renewal in 23 failed
        // once or twice before it was paid, which Recover counts as recovered.
        let payments_failed = match status {
            "uncollectible" => Some(2 + (n % 3) as u32),
            "paid" if billing_reason == "subscription_cycle" && n % 23 == 5 => Some(1 + (n % 2) as u32),
            _ => None,
        };
        let p = Payment {
            id: make_id("pay_", self.seed, SALT_PAYMENT, n),
            status,
            substatus,
            auto_refunded: false,
            three_ds_verified: card,
            settlement_amount: if paid { money(usd_cents) } else { 0.0 },
            total: money(cents),
            subtotal: money(cents),
            usd_total: money(usd_cents),
            amount_after_fees: if paid { money(usd_cents - fee) } else { 0.0 },
            tax_amount: 0.0,
            refunded_amount: 0.0,
            currency: plan.currency,
            settlement_currency: "usd",
            billing_reason,
            paid_at: if paid { Some(Ts(at + 1_500)) } else { None },
            refunded_at: None,
            user: ms.user.clone(),
            member: ms.member.clone(),
            membership: MembershipRef { id: ms.id.clone(), status: ms.status },
            product: ProductRef {
                id: ms.product.id.clone(),
                title: ms.product.title.clone(),
                route: self.products[plan.product_idx].route.clone(),
            },
            plan: ms.plan.clone(),
            promo_code: None,
            card_brand: if card { Some(*rng.pick(CARD_BRANDS)) } else { None },
            card_last4: if card { Some(format!("{:04}", rng.below(10_000))) } else { None },
            payment_method_type: if card { "card" } else { "paypal" },
            failure_message: failure,
            refundable: paid,
            retryable: status == "uncollectible",
            voidable: status == "open",
            payments_failed,
            next_payment_attempt: None,
            last_payment_attempt: payments_failed.map(|_| Ts(at + 1_000)),
            metadata: Metadata::new(),
            created_at: Ts(at),
            updated_at: Ts(if paid { at + 1_500 } else { at }),
            retry_declines: false,
            total_cents: cents,
            refunded_cents: 0,
            member_idx,
            biz: ms.biz,
        };
        if paid {
            let member = &mut self.members[member_idx];
            member.spent_cents += usd_cents;
            member.usd_total_spent = money(member.spent_cents);
        }
        p
    }

    /// Records a refund of payment `k` at `at` and reflects it on the payment.
    fn refund_payment(&mut self, n: u64, k: usize, at: i64, partial: bool) -> String {
        let total = self.payments[k].total_cents;
        let cents = if partial { (total / 2).max(1) } else { total };
        self.add_refund(n, k, cents, at)
    }

    /// Appends refund number `n` of `cents` on payment `k` at `at`; refunds accumulate on the payment.
    /// The caller checks that `cents` fits in what remains and that `at` is after every existing refund.
    pub fn add_refund(&mut self, n: u64, k: usize, cents: i64, at: i64) -> String {
        let p = &mut self.payments[k];
        p.refunded_cents += cents;
        p.refunded_amount = money(p.refunded_cents);
        p.refunded_at = Some(Ts(at));
        let partial = p.refunded_cents < p.total_cents;
        p.substatus = if partial { "partially_refunded" } else { "refunded" };
        p.refundable = partial;
        p.updated_at = Ts(at);
        let refund = Refund {
            id: make_id("rfnd_", self.seed, SALT_REFUND, n),
            amount: money(cents),
            currency: p.currency,
            status: "succeeded",
            payment: IdRef { id: p.id.clone() },
            provider: "stripe",
            created_at: Ts(at),
            updated_at: Ts(at),
            biz: p.biz,
        };
        let id = refund.id.clone();
        self.refunds.push(refund);
        id
    }

    /// A fresh promo code id; promo codes are never removed, so their count numbers them uniquely.
    pub fn new_promo_id(&self) -> String {
        make_id("promo_", self.seed, SALT_PROMO, self.promo_codes.len() as u64)
    }

    /// Derived counters (member_count, promo uses) after seeding or mutation.
    pub fn recount(&mut self) {
        let mut per_product = vec![0usize; self.products.len()];
        let mut per_plan = vec![0usize; self.plans.len()];
        for ms in &self.memberships {
            if matches!(ms.status, "active" | "trialing" | "past_due" | "canceling") {
                per_plan[ms.plan_idx] += 1;
                per_product[self.plans[ms.plan_idx].product_idx] += 1;
            }
        }
        for (p, c) in self.products.iter_mut().zip(per_product) {
            p.member_count = c;
        }
        for (p, c) in self.plans.iter_mut().zip(per_plan) {
            p.member_count = c;
        }
        for p in &mut self.products {
            p.published_reviews_count =
                self.reviews.iter().filter(|r| r.product_id == p.id && r.status == "published").count();
        }
        for (b, a) in self.accounts.iter_mut().enumerate() {
            a.member_count = self.members.iter().filter(|m| m.status == "joined" && m.biz == Some(b)).count();
        }
        for promo in &mut self.promo_codes {
            promo.uses = 0;
        }
        for ms in &self.memberships {
            if let Some(code) = &ms.promo_code
                && let Some(promo) = self.promo_codes.iter_mut().find(|p| p.id == code.id)
            {
                promo.uses += 1;
            }
        }
    }

    fn max_created(&self) -> i64 {
        [
            self.members.last().map(Record::created_ms),
            self.memberships.last().map(Record::created_ms),
            self.payments.last().map(Record::created_ms),
            self.refunds.last().map(Record::created_ms),
            self.reviews.last().map(Record::created_ms),
            self.leads.last().map(Record::created_ms),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }

    /// Objects per resource in the seller's businesses (their own purchases are not counted).
    pub fn counts(&self) -> std::collections::BTreeMap<String, usize> {
        fn owned<T: Record>(items: &[T]) -> usize {
            items.iter().filter(|x| x.business().is_some()).count()
        }
        [
            ("accounts", self.accounts.len()),
            ("products", owned(&self.products)),
            ("plans", owned(&self.plans)),
            ("members", owned(&self.members)),
            ("memberships", owned(&self.memberships)),
            ("payments", owned(&self.payments)),
            ("refunds", owned(&self.refunds)),
            ("reviews", owned(&self.reviews)),
            ("promo_codes", owned(&self.promo_codes)),
            ("leads", owned(&self.leads)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Applies a mutation at sandbox time `now` (ms). Every new object gets a created_at after all
    /// existing ones of its resource, so ascending cursors stay valid across mutations.
    pub fn mutate(&mut self, m: &crate::Mutation, now: i64) -> crate::MutationResult {
        let mut rng = self.rng.clone();
        let mut t = now.max(self.latest_ms + 1);
        let mut out = crate::MutationResult::default();

        for _ in 0..m.new_members {
            let user = self.new_user(&mut rng);
            let n = self.members.len() as u64;
            let member = self.build_member(&mut rng, n, user, t);
            let member_idx = self.members.len();
            out.created_member_ids.push(member.id.clone());
            self.members.push(member);
            let members = &mut self.members[member_idx];
            members.status = "joined";
            members.access_level = "customer";
            members.most_recent_action = Some("paid_subscriber");
            members.most_recent_action_at = Some(Ts(t));
            members.updated_at = Ts(t);
            let n = self.memberships.len() as u64;
            let ms = self.build_membership(&mut rng, n, member_idx, t, t, Some("active"));
            self.memberships.push(ms);
            let n = self.payments.len() as u64;
            let p = self.build_payment(&mut rng, n, self.memberships.len() - 1, t, "paid", "subscription_create");
            out.created_payment_ids.push(p.id.clone());
            self.payments.push(p);
            t += 1;
        }

        // The seller's own purchases are not theirs to renew, cancel or refund.
        let active: Vec<usize> = self
            .memberships
            .iter()
            .enumerate()
            .filter(|(_, ms)| ms.status == "active" && ms.biz.is_some())
            .map(|(i, _)| i)
            .collect();
        for _ in 0..m.new_payments {
            if active.is_empty() {
                break;
            }
            let ms = active[rng.index(active.len())];
            let n = self.payments.len() as u64;
            let p = self.build_payment(&mut rng, n, ms, t, "paid", "subscription_cycle");
            let member_idx = p.member_idx;
            out.created_payment_ids.push(p.id.clone());
            self.payments.push(p);
            let member = &mut self.members[member_idx];
            member.most_recent_action = Some("renewing");
            member.most_recent_action_at = Some(Ts(t));
            member.updated_at = Ts(t);
            t += 1;
        }

        let mut active = active;
        for _ in 0..m.cancellations {
            // Memberships canceled earlier in this call are no longer active; drop them from the pool.
            active.retain(|&i| self.memberships[i].status == "active");
            if active.is_empty() {
                break;
            }
            let i = active.swap_remove(rng.index(active.len()));
            let ms = &mut self.memberships[i];
            ms.status = "canceled";
            ms.canceled_at = Some(Ts(t));
            ms.cancel_option = Some(*rng.pick(CANCEL_OPTIONS));
            ms.cancellation_reason = Some("Canceled from the sandbox".into());
            ms.cancel_at_period_end = false;
            ms.updated_at = Ts(t);
            out.canceled_membership_ids.push(ms.id.clone());
            t += 1;
        }

        let mut paid: Vec<usize> = self
            .payments
            .iter()
            .enumerate()
            .filter(|(_, p)| p.status == "paid" && p.refunded_amount == 0.0 && p.biz.is_some())
            .map(|(i, _)| i)
            .collect();
        for _ in 0..m.refunds {
            if paid.is_empty() {
                break;
            }
            let k = paid.swap_remove(rng.index(paid.len()));
            let n = self.refunds.len() as u64;
            out.refund_ids.push(self.refund_payment(n, k, t, false));
            t += 1;
        }

        // Targeted changes, for tests that need a specific object to change behind the client's back.
        for id in &m.cancel_membership_ids {
            if let Some(ms) = self.memberships.iter_mut().find(|ms| &ms.id == id) {
                ms.status = "canceled";
                ms.canceled_at = Some(Ts(t));
                ms.cancel_at_period_end = false;
                ms.updated_at = Ts(t);
                out.canceled_membership_ids.push(ms.id.clone());
                t += 1;
            }
        }
        for id in &m.pause_membership_ids {
            if let Some(ms) = self.memberships.iter_mut().find(|ms| &ms.id == id) {
                ms.payment_collection_paused = true;
                ms.updated_at = Ts(t);
                t += 1;
            }
        }
        if !m.delete_membership_ids.is_empty() {
            // Nothing keeps an index into `memberships` across calls (payments name theirs by id), so
            // removing from the middle is safe and the rest stays sorted.
            let doomed: std::collections::HashSet<&str> = m.delete_membership_ids.iter().map(String::as_str).collect();
            let deleted = &mut out.deleted_membership_ids;
            self.memberships.retain(|ms| {
                let keep = !doomed.contains(ms.id.as_str());
                if !keep {
                    deleted.push(ms.id.clone());
                }
                keep
            });
        }

        self.latest_ms = self.latest_ms.max(t);
        self.rng = rng;
        self.recount();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_sorted_distinct_and_deterministic() {
        let a = Data::seed(3, 200, 300, 1000, 1, None);
        let b = Data::seed(3, 200, 300, 1000, 1, None);
        assert_eq!(a.counts()["payments"], 1000);
        assert_eq!(a.payments.iter().filter(|p| p.biz.is_none()).count(), 3, "the seller's own purchases");
        assert_eq!(a.payments[500].id, b.payments[500].id);
        assert!(a.payments.windows(2).all(|w| w[0].created_at < w[1].created_at));
        assert!(a.memberships.windows(2).all(|w| w[0].created_at < w[1].created_at));
        assert!(a.refunds.windows(2).all(|w| w[0].created_at < w[1].created_at));
        assert!(a.leads.windows(2).all(|w| w[0].created_at < w[1].created_at));
        let emails: std::collections::HashSet<_> = a.members.iter().filter_map(|m| m.user.email.clone()).collect();
        assert_eq!(emails.len(), a.members.iter().filter(|m| m.user.email.is_some()).count());
        assert_eq!(format_ts(1_772_619_630_123), "2026-03-04T10:20:30.123Z");
    }
}
