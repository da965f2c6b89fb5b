//! The Whop panel as plain data: connection text, the login in progress, live sync progress per
//! resource, and the history, with pure transitions the core events drive.

use crate::state::format::short_date;
use dealdesk_model::whop::{SyncProgress, SyncRun, WhopIdentity, WhopMembershipView, WhopStatus};
use std::rc::Rc;
use yew::Reducible;

pub use dealdesk_model::whop::WHOP_PIPELINE;

/// What the panel says when `DEALDESK_WHOP=off`.
pub const DISABLED_BY_ENV: &str = "Switched off by DEALDESK_WHOP";

/// The sync intervals offered, in minutes.
pub const INTERVALS: [u32; 5] = [1, 5, 15, 30, 60];

/// The name a signed-in user goes by: name, else username, else email (blank ones skipped).
pub fn display_name(identity: &WhopIdentity) -> Option<String> {
    [&identity.name, &identity.username, &identity.email]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .map(str::to_string)
}

/// The `#whop-status` line.
pub fn status_text(status: &WhopStatus) -> String {
    if status.connected {
        return match &status.identity {
            Some(identity) => match display_name(identity) {
                Some(name) => format!("Connected as {name} ({})", identity.user_id),
                None => format!("Connected as {}", identity.user_id),
            },
            None => "Connected".to_string(),
        };
    }
    if status.disabled_by_env {
        DISABLED_BY_ENV.to_string()
    } else if !status.enabled {
        "Not connected (the integration is off)".to_string()
    } else {
        "Not connected".to_string()
    }
}

/// The interval choices, with the current value added when it is not one of them.
pub fn interval_options(current: u32) -> Vec<u32> {
    let mut options = INTERVALS.to_vec();
    if !options.contains(&current) {
        options.push(current);
        options.sort_unstable();
    }
    options
}

pub fn interval_label(minutes: u32) -> String {
    match minutes {
        1 => "Every minute".to_string(),
        60 => "Every hour".to_string(),
        m => format!("Every {m} minutes"),
    }
}

/// One resource of the running sync.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    pub resource: String,
    /// The business it was synced for, when it is per business.
    pub business: Option<String>,
    pub step: u32,
    pub fetched: u64,
    /// Objects per second.
    pub rate: f64,
    pub errors: u64,
    pub done: bool,
}

impl ProgressRow {
    /// "memberships" or "memberships · Sandbox Studio".
    pub fn label(&self) -> String {
        let name = self.resource.replace('_', " ");
        match &self.business {
            Some(business) => format!("{name} · {business}"),
            None => name,
        }
    }

    pub fn rate_text(&self) -> String {
        format!("{:.1}/s", self.rate)
    }
}

/// The progress of the current (or last seen) sync run, one row per resource in step order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncProgressState {
    pub rows: Vec<ProgressRow>,
    pub steps: u32,
    /// Events are still arriving (not every step is done, and the run was not settled).
    pub active: bool,
}

impl SyncProgressState {
    /// Every step reported done.
    pub fn complete(&self) -> bool {
        !self.rows.is_empty() && self.rows.len() as u32 >= self.steps && self.rows.iter().all(|r| r.done)
    }

    /// Takes one progress event; a step lower than one already seen, or an event after a
    /// completed run, starts a new run.
    pub fn apply(&self, p: &SyncProgress) -> SyncProgressState {
        let mut next = self.clone();
        if next.complete() || next.rows.iter().any(|r| r.step > p.step) {
            next.rows.clear();
        }
        let row = ProgressRow {
            resource: p.resource.clone(),
            business: p.business.clone(),
            step: p.step,
            fetched: p.fetched,
            rate: if p.rate.is_finite() { p.rate.max(0.0) } else { 0.0 },
            errors: p.errors,
            done: p.done,
        };
        match next.rows.iter_mut().find(|r| r.resource == p.resource && r.business == p.business) {
            Some(existing) => *existing = row,
            None => next.rows.push(row),
        }
        next.rows.sort_by_key(|r| r.step);
        next.steps = p.steps.max(next.rows.len() as u32);
        next.active = !next.complete();
        next
    }

    /// The run ended (the sync answered, or the status shows no run): stop animating.
    pub fn settle(&self) -> SyncProgressState {
        SyncProgressState { active: false, ..self.clone() }
    }

    /// The step being worked on (the highest seen).
    pub fn current_step(&self) -> u32 {
        self.rows.iter().map(|r| r.step).max().unwrap_or(0)
    }

    /// "Step 3 of 10", or "Done: 10 of 10 steps".
    pub fn step_text(&self) -> String {
        if self.complete() {
            format!("Done: {} of {} steps", self.steps, self.steps)
        } else if self.active {
            format!("Step {} of {}", self.current_step(), self.steps)
        } else {
            format!("Stopped at step {} of {}", self.current_step(), self.steps)
        }
    }
}

/// The toast after Sync now: what the run fetched, or what it could not sync.
pub fn run_summary(run: &SyncRun) -> (StatusTone, String) {
    let (fetched, inserted, updated) = run_totals(run);
    let counts = format!("{fetched} fetched, {inserted} new, {updated} updated");
    let why = run.error.as_deref().unwrap_or("see Sync history");
    match run.status.as_str() {
        "done" => (StatusTone::Success, format!("Whop sync finished: {counts}")),
        "partial" => {
            (StatusTone::Warning, format!("Whop sync finished, but some lists did not sync ({counts}): {why}"))
        }
        _ => (StatusTone::Danger, format!("Whop sync failed: {why}")),
    }
}

/// A sync run's fetched, inserted and updated objects over all resources.
pub fn run_totals(run: &SyncRun) -> (u64, u64, u64) {
    run.counts.iter().fold((0, 0, 0), |(f, i, u), c| (f + c.fetched, i + c.inserted, u + c.updated))
}

/// How a Whop status reads as a badge tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusTone {
    Neutral,
    /// Under way (being sent).
    Accent,
    Success,
    Warning,
    Danger,
}

pub fn membership_tone(status: &str) -> StatusTone {
    match status {
        "active" | "trialing" | "completed" => StatusTone::Success,
        "past_due" | "unresolved" | "pending" | "drafted" | "canceling" => StatusTone::Warning,
        "canceled" | "cancelled" | "expired" => StatusTone::Danger,
        _ => StatusTone::Neutral,
    }
}

pub fn payment_tone(status: &str) -> StatusTone {
    match status {
        "paid" | "succeeded" => StatusTone::Success,
        "open" | "pending" | "draft" => StatusTone::Warning,
        "failed" | "void" | "uncollectible" => StatusTone::Danger,
        _ => StatusTone::Neutral,
    }
}

pub fn run_tone(status: &str) -> StatusTone {
    match status {
        "done" => StatusTone::Success,
        "running" | "partial" => StatusTone::Warning,
        "failed" | "interrupted" => StatusTone::Danger,
        _ => StatusTone::Neutral,
    }
}

/// "renews 2026-12-01", "ends 2026-12-01", or empty.
pub fn membership_term(m: &WhopMembershipView) -> String {
    match &m.renewal_period_end {
        Some(end) if m.cancel_at_period_end => format!("ends {}", short_date(end)),
        Some(end) if matches!(m.status.as_str(), "canceled" | "cancelled" | "expired") => {
            format!("ended {}", short_date(end))
        }
        Some(end) => format!("renews {}", short_date(end)),
        None => String::new(),
    }
}

/// "1 payment", "12 payments".
pub fn payments_label(count: u64) -> String {
    if count == 1 { "1 payment".to_string() } else { format!("{count} payments") }
}

/// Everything the Whop panel shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhopView {
    pub status: Option<WhopStatus>,
    /// The status could not be read.
    pub load_error: Option<String>,
    pub history: Vec<SyncRun>,
    pub progress: SyncProgressState,
    /// The page Connect Whop opened in the browser, while the login waits.
    pub authorize_url: Option<String>,
    /// The last refused sign-in.
    pub login_error: Option<String>,
    /// A Sync now from this window is waiting for its answer.
    pub syncing: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WhopAction {
    /// Boxed: the status is much larger than the other actions.
    Status(Result<Box<WhopStatus>, String>),
    History(Vec<SyncRun>),
    Progress(SyncProgress),
    ConnectStarted,
    LoginStarted(String),
    LoginFailed(String),
    SyncStarted,
    SyncFinished,
}

impl WhopView {
    pub fn apply(&self, action: WhopAction) -> WhopView {
        let mut next = self.clone();
        match action {
            WhopAction::Status(Ok(status)) => {
                // A new connection clears the last sign-in error; a refused stray link while
                // already connected keeps its message on screen.
                let was_connected = self.status.as_ref().is_some_and(|s| s.connected);
                if status.connected && !was_connected {
                    next.authorize_url = None;
                    next.login_error = None;
                }
                // A reconnect (signing in again while connected) ends when its login stops waiting.
                let was_waiting = self.status.as_ref().is_some_and(|s| s.login_pending);
                if status.connected && was_waiting && !status.login_pending {
                    next.authorize_url = None;
                }
                let run_open = status.last_run.as_ref().is_some_and(|r| r.status == "running");
                if !run_open && !next.syncing && next.progress.active {
                    next.progress = next.progress.settle();
                }
                next.load_error = None;
                next.status = Some(*status);
            }
            WhopAction::Status(Err(message)) => next.load_error = Some(message),
            WhopAction::History(runs) => next.history = runs,
            WhopAction::Progress(p) => next.progress = next.progress.apply(&p),
            WhopAction::ConnectStarted => {
                next.login_error = None;
                next.authorize_url = None;
            }
            WhopAction::LoginStarted(url) => next.authorize_url = Some(url),
            WhopAction::LoginFailed(message) => {
                next.authorize_url = None;
                next.login_error = Some(message);
            }
            WhopAction::SyncStarted => {
                next.syncing = true;
                next.progress = SyncProgressState::default();
            }
            WhopAction::SyncFinished => {
                next.syncing = false;
                next.progress = next.progress.settle();
            }
        }
        next
    }

    /// A sync runs: one from this window, events still arriving, or a run the core has open.
    pub fn sync_running(&self) -> bool {
        self.syncing
            || self.progress.active
            || self.status.as_ref().and_then(|s| s.last_run.as_ref()).is_some_and(|r| r.status == "running")
    }

    /// Sync now is offered: connected, switched on, and nothing running.
    pub fn can_sync(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.connected && s.enabled && !s.disabled_by_env) && !self.sync_running()
    }

    /// Connect is offered: switched on and not connected.
    pub fn can_connect(&self) -> bool {
        self.status.as_ref().is_some_and(|s| !s.connected && s.enabled && !s.disabled_by_env)
    }

    /// Sign in again while connected (to approve missing permissions), unless a sign-in waits.
    pub fn can_reconnect(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.connected && s.enabled && !s.disabled_by_env && !s.login_pending)
            && self.authorize_url.is_none()
    }
}

impl Reducible for WhopView {
    type Action = WhopAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::format::{money_text, short_time};
    use dealdesk_model::whop::{ResourceCount, WhopTotals};

    fn status() -> WhopStatus {
        WhopStatus {
            enabled: true,
            disabled_by_env: false,
            connected: false,
            identity: None,
            login_pending: false,
            api_url: "https://api.whop.com".into(),
            environment: "production".into(),
            sync_interval_minutes: 15,
            actions_enabled: true,
            last_run: None,
            resources: vec![],
            totals: WhopTotals::default(),
            businesses: vec![],
            choose_businesses: false,
            permissions: vec![],
        }
    }

    fn identity(name: Option<&str>, username: Option<&str>, email: Option<&str>) -> WhopIdentity {
        WhopIdentity {
            user_id: "user_1".into(),
            name: name.map(Into::into),
            username: username.map(Into::into),
            email: email.map(Into::into),
        }
    }

    fn progress(resource: &str, step: u32, fetched: u64, done: bool) -> SyncProgress {
        SyncProgress {
            resource: resource.into(),
            business: None,
            step,
            steps: 3,
            fetched,
            rate: fetched as f64 / 2.0,
            errors: 0,
            done,
        }
    }

    #[test]
    fn a_reconnect_shows_its_link_until_the_login_is_done() {
        let connected = WhopStatus { connected: true, ..status() };
        let view = WhopView::default().apply(WhopAction::Status(Ok(Box::new(connected.clone()))));
        assert!(view.can_reconnect());
        let view =
            view.apply(WhopAction::ConnectStarted).apply(WhopAction::LoginStarted("https://whop/authorize".into()));
        assert!(!view.can_reconnect(), "one sign-in at a time");
        let waiting = WhopStatus { login_pending: true, ..connected.clone() };
        let view = view.apply(WhopAction::Status(Ok(Box::new(waiting))));
        assert_eq!(view.authorize_url.as_deref(), Some("https://whop/authorize"));
        let view = view.apply(WhopAction::Status(Ok(Box::new(connected))));
        assert_eq!(view.authorize_url, None, "signed in again");
        assert!(view.can_reconnect());
    }

    #[test]
    fn a_sync_that_partly_failed_does_not_read_as_a_success() {
        let run = |status: &str| SyncRun {
            id: 1,
            started_at: "2026-12-01T00:00:00Z".into(),
            finished_at: None,
            status: status.into(),
            counts: vec![ResourceCount { resource: "members".into(), fetched: 3, ..Default::default() }],
            error: (status != "done").then(|| "members of Acme: Whop refused GET /members".into()),
        };
        assert_eq!(run_summary(&run("done")).0, StatusTone::Success);
        let (tone, text) = run_summary(&run("partial"));
        assert_eq!(tone, StatusTone::Warning);
        assert!(text.contains("some lists did not sync") && text.contains("GET /members"), "{text}");
        assert_eq!(run_summary(&run("failed")).0, StatusTone::Danger);
        assert_eq!(run_tone("partial"), StatusTone::Warning);
    }

    #[test]
    fn status_text_for_connected_not_connected_and_disabled() {
        let mut s = status();
        assert_eq!(status_text(&s), "Not connected");
        s.enabled = false;
        assert_eq!(status_text(&s), "Not connected (the integration is off)");
        s.disabled_by_env = true;
        assert_eq!(status_text(&s), "Switched off by DEALDESK_WHOP");
        s = status();
        s.connected = true;
        s.identity = Some(identity(Some("Ada Lovelace"), Some("ada"), Some("ada@example.com")));
        assert_eq!(status_text(&s), "Connected as Ada Lovelace (user_1)");
        s.identity = Some(identity(Some(" "), Some("ada"), None));
        assert_eq!(status_text(&s), "Connected as ada (user_1)");
        s.identity = Some(identity(None, None, Some("ada@example.com")));
        assert_eq!(status_text(&s), "Connected as ada@example.com (user_1)");
        s.identity = Some(identity(None, None, None));
        assert_eq!(status_text(&s), "Connected as user_1");
        s.identity = None;
        assert_eq!(status_text(&s), "Connected");
    }

    #[test]
    fn progress_keeps_one_row_per_resource_in_step_order() {
        let mut p = SyncProgressState::default();
        p = p.apply(&progress("accounts", 1, 5, false));
        p = p.apply(&progress("accounts", 1, 10, true));
        p = p.apply(&progress("products", 2, 100, false));
        p = p.apply(&progress("products", 2, 250, false));
        let names: Vec<_> = p.rows.iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(names, ["accounts", "products"]);
        assert_eq!((p.rows[0].fetched, p.rows[0].done), (10, true));
        assert_eq!((p.rows[1].fetched, p.rows[1].done), (250, false));
        assert_eq!(p.rows[1].rate_text(), "125.0/s");
        assert!(p.active);
        assert_eq!(p.step_text(), "Step 2 of 3");
        p = p.apply(&progress("products", 2, 300, true));
        p = p.apply(&progress("payments", 3, 7, true));
        assert!(p.complete());
        assert!(!p.active);
        assert_eq!(p.step_text(), "Done: 3 of 3 steps");
        assert!(p.rows.iter().all(|r| r.done));
        // The next run starts over.
        p = p.apply(&progress("accounts", 1, 1, false));
        assert_eq!(p.rows.len(), 1);
        assert!(p.active);
    }

    #[test]
    fn a_lower_step_starts_a_new_run_and_bad_rates_read_zero() {
        let mut p = SyncProgressState::default();
        p = p.apply(&progress("products", 2, 50, false)).settle();
        assert_eq!(p.step_text(), "Stopped at step 2 of 3");
        let mut odd = progress("accounts", 1, 3, false);
        odd.rate = f64::NAN;
        p = p.apply(&odd);
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].rate, 0.0);
        assert!(p.active);
    }

    #[test]
    fn view_tracks_login_and_sync() {
        let mut v = WhopView::default();
        v = v.apply(WhopAction::Status(Ok(Box::new(status()))));
        assert!(v.can_connect());
        assert!(!v.can_sync());
        v = v.apply(WhopAction::LoginStarted("https://whop.com/oauth?x=1".into()));
        assert_eq!(v.authorize_url.as_deref(), Some("https://whop.com/oauth?x=1"));
        v = v.apply(WhopAction::LoginFailed("state mismatch".into()));
        assert_eq!((v.authorize_url.clone(), v.login_error.as_deref()), (None, Some("state mismatch")));
        v = v.apply(WhopAction::LoginStarted("https://whop.com/oauth?x=2".into()));
        let mut connected = status();
        connected.connected = true;
        v = v.apply(WhopAction::Status(Ok(Box::new(connected.clone()))));
        assert_eq!((v.authorize_url.clone(), v.login_error.clone()), (None, None));
        assert!(v.can_sync());
        // A stray link refused while connected stays visible across the status reload it causes.
        v = v.apply(WhopAction::LoginFailed("stray link".into()));
        v = v.apply(WhopAction::Status(Ok(Box::new(connected.clone()))));
        assert_eq!(v.login_error.as_deref(), Some("stray link"));
        v = v.apply(WhopAction::SyncStarted);
        assert!(!v.can_sync());
        v = v.apply(WhopAction::Progress(progress("accounts", 1, 2, false)));
        // A status without an open run does not stop a sync this window is waiting for.
        v = v.apply(WhopAction::Status(Ok(Box::new(connected.clone()))));
        assert!(v.progress.active);
        v = v.apply(WhopAction::SyncFinished);
        assert!(!v.sync_running());
        assert!(v.can_sync());
        // A sync started elsewhere (the scheduler) shows through its events and the status.
        v = v.apply(WhopAction::Progress(progress("accounts", 1, 2, false)));
        assert!(v.sync_running());
        v = v.apply(WhopAction::Status(Ok(Box::new(connected.clone()))));
        assert!(!v.sync_running());
        connected.disabled_by_env = true;
        v = v.apply(WhopAction::Status(Ok(Box::new(connected))));
        assert!(!v.can_sync());
    }

    #[test]
    fn run_totals_and_formatting() {
        let count = |f, i, u| ResourceCount { fetched: f, inserted: i, updated: u, ..Default::default() };
        let run = SyncRun {
            id: 1,
            started_at: "2026-11-26T19:09:04.123456Z".into(),
            finished_at: None,
            status: "done".into(),
            counts: vec![count(10, 4, 1), count(5, 0, 5)],
            error: None,
        };
        assert_eq!(run_totals(&run), (15, 4, 6));
        assert_eq!(short_time(&run.started_at), "2026-11-26 19:09 UTC");
        assert_eq!(short_time("yesterday"), "yesterday");
        assert_eq!(short_date("2026-12-01T00:00:00Z"), "2026-12-01");
        assert_eq!(money_text(1_234_500_000, "usd"), "USD 1234.50");
        assert_eq!(money_text(-2_000_000, "EUR"), "EUR -2.00");
        assert_eq!(payments_label(1), "1 payment");
        assert_eq!(payments_label(12), "12 payments");
        assert_eq!(interval_options(15), vec![1, 5, 15, 30, 60]);
        assert_eq!(interval_options(120), vec![1, 5, 15, 30, 60, 120]);
    }

    #[test]
    fn membership_terms() {
        let m = |status: &str, end: Option<&str>, cancel| WhopMembershipView {
            id: "mem_1".into(),
            status: status.into(),
            product: None,
            renewal_period_end: end.map(Into::into),
            cancel_at_period_end: cancel,
            paused: false,
            created_at: None,
            deal_id: None,
            deleted_remotely: false,
            metadata: None,
            pending: vec![],
        };
        assert_eq!(membership_term(&m("active", Some("2026-12-01T00:00:00Z"), false)), "renews 2026-12-01");
        assert_eq!(membership_term(&m("active", Some("2026-12-01T00:00:00Z"), true)), "ends 2026-12-01");
        assert_eq!(membership_term(&m("expired", Some("2026-12-01T00:00:00Z"), false)), "ended 2026-12-01");
        assert_eq!(membership_term(&m("active", None, false)), "");
        assert_eq!(membership_tone("active"), StatusTone::Success);
        assert_eq!(payment_tone("failed"), StatusTone::Danger);
    }
}
