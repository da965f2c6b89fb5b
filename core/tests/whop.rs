//! Whop login and sync against the sandbox: a real HTTP server on loopback, real SQLite files.
//! Tests that need the OS keyring (and run the CLI binary) are `#[ignore]`d for plain `cargo test`
//! and run by `cargo xtask test`, which provides an unlocked Secret Service.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_core::secrets::{KeyringStore, MemoryStore, SecretStore};
use dealdesk_core::test_support::{self, TestApp};
use dealdesk_core::whop::{WhopConfig, WhopError};
use dealdesk_sandbox::{Fault, FaultKind, Mutation, Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::Duration;

const REDIRECT: &str = "dealdesk://oauth/whop/callback";

/// Whop at the sandbox with 5-second timeouts and the default re-scan interval (the re-scan is
/// under test here).
fn config_for(sandbox: &Sandbox) -> WhopConfig {
    let rescan_interval = WhopConfig::default().rescan_interval;
    WhopConfig { request_timeout: Duration::from_secs(5), rescan_interval, ..test_support::whop_config(sandbox) }
}

async fn open(dir: &std::path::Path, config: WhopConfig, secrets: Arc<dyn SecretStore>) -> App {
    TestApp::new().whop(config).secrets(secrets).open(dir).await.unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn approve_in_browser(sandbox: &Sandbox, authorize_url: &str) -> String {
    sandbox.approve_in_browser(authorize_url).await.unwrap()
}

async fn login(app: &App, sandbox: &Sandbox) {
    let start = app.whop().start_login(REDIRECT).await.unwrap();
    let link = approve_in_browser(sandbox, &start.authorize_url).await;
    assert!(link.starts_with("dealdesk://oauth/whop/callback?"), "{link}");
    let status = app.whop().handle_deep_link(&link).await.unwrap();
    assert!(status.connected);
}

async fn count(app: &App, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(app.store().pool()).await.unwrap()
}

fn no_progress(_: &dealdesk_model::whop::SyncProgress) {}

#[tokio::test]
async fn pkce_login_then_full_and_incremental_sync() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(60)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<MemoryStore> = Arc::new(MemoryStore::new());
    let app = open(dir.path(), config_for(&sandbox), secrets.clone()).await;

    assert!(matches!(app.whop().sync(&no_progress).await, Err(WhopError::NotConnected)));
    login(&app, &sandbox).await;
    let status = app.whop().status().await.unwrap();
    let identity = status.identity.expect("identity after login");
    assert!(identity.user_id.starts_with("user_"));
    assert_eq!(status.businesses.len(), 1, "the seller's business accounts");
    assert!(status.businesses[0].selected, "the only business syncs without a choice");

    let run = app.whop().sync(&no_progress).await.unwrap();
    assert_eq!(run.status, "done");
    let counts = sandbox.counts();
    for (resource, table) in [
        ("members", "whop_member"),
        ("memberships", "whop_membership"),
        ("payments", "whop_payment"),
        ("products", "whop_product"),
        ("plans", "whop_plan"),
        ("refunds", "whop_refund"),
        ("reviews", "whop_review"),
        ("promo_codes", "whop_promo_code"),
        ("leads", "whop_lead"),
        ("accounts", "whop_account"),
    ] {
        assert_eq!(
            count(&app, &format!("SELECT count(*) FROM {table}")).await as usize,
            counts[resource],
            "{resource}"
        );
    }
    // One person per Whop user, one deal per membership, in the Whop pipeline.
    // Members, and leads who are not members yet.
    const USERS: &str = "SELECT count(*) FROM (SELECT user_id FROM whop_member UNION SELECT user_id FROM whop_lead UNION SELECT user_id FROM whop_membership)";
    let users = count(&app, USERS).await;
    assert_eq!(count(&app, "SELECT count(*) FROM whop_person").await, users);
    assert_eq!(count(&app, "SELECT count(*) FROM person WHERE origin = 'whop'").await, users);
    assert_eq!(count(&app, "SELECT count(*) FROM deal").await as usize, counts["memberships"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM deal d JOIN pipeline p ON p.id = d.pipeline_id WHERE p.name = 'Whop memberships'"
        )
        .await as usize,
        counts["memberships"]
    );
    // Lifetime value rolls up on the person.
    let person: String = sqlx::query_scalar(
        "SELECT person_id FROM whop_person wp JOIN whop_payment y ON y.user_id = wp.user_id WHERE y.status = 'paid' LIMIT 1",
    )
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    let query = dealdesk_model::whop::WhopPersonQuery { person_id: person.parse().unwrap(), business_id: None };
    let summary = app.whop().person_summary(query).await.unwrap();
    assert!(!summary.memberships.is_empty() && !summary.payments.is_empty() && !summary.lifetime_value.is_empty());
    assert!(!app.whop().product_revenue(None).await.unwrap().is_empty());
    // Payments are on the person's timeline, next to the change log's events.
    let timeline = app
        .timeline(dealdesk_model::RecordRef { kind: dealdesk_model::RecordKind::Person, id: person.parse().unwrap() })
        .await
        .unwrap();
    assert!(timeline.iter().any(|e| matches!(e.kind, dealdesk_model::TimelineEventKind::WhopPayment { .. })));
    assert!(timeline.iter().any(|e| matches!(e.kind, dealdesk_model::TimelineEventKind::Created)));
    assert!(timeline.windows(2).all(|w| w[0].at >= w[1].at), "newest first");

    // Whop-owned deal fields are read-only for local edits; other fields stay editable.
    let deal_id: String = sqlx::query_scalar(
        "SELECT w.deal_id FROM whop_deal w JOIN deal d ON d.id = w.deal_id JOIN stage s ON s.id = d.stage_id WHERE s.name = 'Active' LIMIT 1",
    )
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    let deal_id = deal_id.parse().unwrap();
    let ui = dealdesk_model::UpdateSource::Ui;
    let moved = app
        .crm()
        .move_deal_stage(dealdesk_model::MoveDeal { deal_id, stage: "Ended".into(), position: None }, ui)
        .await;
    assert!(
        matches!(moved, Err(dealdesk_core::CrmError::InvalidField { ref field, .. }) if field == "stage"),
        "{moved:?}"
    );
    let renamed = app
        .crm()
        .update_deal(
            deal_id,
            dealdesk_model::DealPatch { name: Some("Renamed locally".into()), ..Default::default() },
            ui,
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Renamed locally");

    // Nothing changed: one page request per resource of the business (reviews: per product).
    sandbox.reset_stats();
    app.whop().sync(&no_progress).await.unwrap();
    for resource in
        ["accounts", "products", "plans", "members", "memberships", "payments", "refunds", "promo_codes", "leads"]
    {
        assert_eq!(sandbox.request_count(&format!("/api/v1/{resource}")), 1, "{resource}");
    }
    assert_eq!(sandbox.request_count("/api/v1/reviews") as usize, counts["products"], "one reviews list per product");

    // New members and payments arrive incrementally, without duplicates.
    let mutation = sandbox.mutate(Mutation { new_members: 3, new_payments: 7, ..Default::default() });
    app.whop().sync(&no_progress).await.unwrap();
    let counts = sandbox.counts();
    assert_eq!(count(&app, "SELECT count(*) FROM whop_payment").await as usize, counts["payments"]);
    assert_eq!(count(&app, "SELECT count(*) FROM whop_member").await as usize, counts["members"]);
    assert_eq!(count(&app, USERS).await, users + 3);
    assert_eq!(count(&app, "SELECT count(*) FROM whop_person").await, users + 3);
    for id in &mutation.created_payment_ids {
        assert_eq!(count(&app, &format!("SELECT count(*) FROM whop_payment WHERE id = '{id}'")).await, 1);
    }

    // Cancellations only change updated_at: the periodic re-scan finds them and moves the deal.
    let canceled = sandbox.mutate(Mutation { cancellations: 2, ..Default::default() }).canceled_membership_ids;
    assert_eq!(canceled.len(), 2);
    app.close().await;
    let mut rescanning = config_for(&sandbox);
    rescanning.rescan_interval = Duration::ZERO;
    let app = open(dir.path(), rescanning, secrets.clone()).await;
    app.whop().sync(&no_progress).await.unwrap();
    for id in &canceled {
        let status: String = sqlx::query_scalar(
            "SELECT d.status FROM whop_deal w JOIN deal d ON d.id = w.deal_id WHERE w.membership_id = ?",
        )
        .bind(id)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
        assert_eq!(status, "lost", "deal of canceled membership {id}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM deal").await as usize, sandbox.counts()["memberships"]);
    // The move is on the deal's timeline (change log, written by sync).
    assert!(count(&app, "SELECT count(*) FROM change_log WHERE source = 'sync' AND field = 'stage_id'").await >= 1);

    // Logout revokes and deletes the tokens.
    let refresh = secrets_tokens(secrets.as_ref()).1;
    app.whop().logout().await.unwrap();
    assert!(!app.whop().status().await.unwrap().connected);
    let refused = http()
        .post(format!("{}/token", sandbox.oauth_url()))
        .json(&serde_json::json!({"grant_type": "refresh_token", "refresh_token": refresh, "client_id": dealdesk_sandbox::DEFAULT_CLIENT_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "a revoked refresh token is refused");
}

/// The memberships marked deleted on Whop, by id.
async fn marked_memberships(app: &App) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM whop_membership WHERE remote_deleted_at IS NOT NULL ORDER BY id")
        .fetch_all(app.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rescan_marks_a_membership_whop_no_longer_lists_as_deleted_and_keeps_it() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(20)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<MemoryStore> = Arc::new(MemoryStore::new());
    let app = open(dir.path(), config_for(&sandbox), secrets.clone()).await;
    login(&app, &sandbox).await;
    assert_eq!(app.whop().sync(&no_progress).await.unwrap().status, "done");
    assert!(marked_memberships(&app).await.is_empty());

    // An active membership, with its deal and its person.
    let (gone, deal_id, person_id): (String, String, String) = sqlx::query_as(
        "SELECT m.id, w.deal_id, wp.person_id FROM whop_membership m JOIN whop_deal w ON w.membership_id = m.id
         JOIN whop_person wp ON wp.user_id = m.user_id WHERE m.status = 'active' ORDER BY m.created_at LIMIT 1",
    )
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    let removed = sandbox.mutate(Mutation { delete_membership_ids: vec![gone.clone()], ..Default::default() });
    assert_eq!(removed.deleted_membership_ids, std::slice::from_ref(&gone));

    // An incremental pass lists only newer objects: it cannot tell, and marks nothing.
    assert_eq!(app.whop().sync(&no_progress).await.unwrap().status, "done");
    assert!(marked_memberships(&app).await.is_empty());

    // The re-scan (forced: interval zero) lists everything and finds it gone.
    app.close().await;
    let mut rescanning = config_for(&sandbox);
    rescanning.rescan_interval = Duration::ZERO;
    let app = open(dir.path(), rescanning, secrets.clone()).await;
    assert_eq!(app.whop().sync(&no_progress).await.unwrap().status, "done");
    assert_eq!(marked_memberships(&app).await, std::slice::from_ref(&gone));

    // Kept, not live: the row stays, the counts leave it out, the deal and the person panel show it
    // deleted on Whop, and no action is offered on it.
    let live = sandbox.counts()["memberships"];
    assert_eq!(count(&app, "SELECT count(*) FROM whop_membership").await as usize, live + 1);
    let status = app.whop().status().await.unwrap();
    assert_eq!(status.totals.memberships as usize, live);
    let state = status.resources.iter().find(|r| r.resource == "memberships").unwrap();
    assert_eq!(state.rows as usize, live);
    assert_eq!(status.businesses[0].memberships as usize, live);
    let deal_id = deal_id.parse().unwrap();
    let view = app.whop().deal_membership(deal_id).await.unwrap().unwrap();
    assert!(view.deleted_remotely, "{view:?}");
    let query = dealdesk_model::whop::WhopPersonQuery { person_id: person_id.parse().unwrap(), business_id: None };
    let summary = app.whop().person_summary(query).await.unwrap();
    let shown = summary.memberships.iter().find(|m| m.id == gone).expect("still on the person's Whop card");
    assert!(shown.deleted_remotely);
    assert!(summary.memberships.iter().filter(|m| m.id != gone).all(|m| !m.deleted_remotely));
    let cancel = dealdesk_model::outbox::WhopAction::CancelMembership {
        membership_id: gone.clone(),
        mode: dealdesk_model::outbox::CancelMode::AtPeriodEnd,
    };
    let refused = app.whop().run_action(&cancel, dealdesk_model::UpdateSource::Ui).await;
    assert!(matches!(&refused, Err(WhopError::InvalidAction(m)) if m.contains("deleted on Whop")), "{refused:?}");
    let deal = app.crm().get_deal(deal_id).await.unwrap();
    assert!(deal.meta.deleted_at.is_none(), "the deal stays");
    assert!(app.crm().get_person(person_id.parse().unwrap()).await.unwrap().meta.deleted_at.is_none());

    // The next re-scan keeps the mark; an object Whop lists again (here one marked by hand, as an
    // earlier re-scan might have) is unmarked.
    let back: String = sqlx::query_scalar("SELECT id FROM whop_membership WHERE id != ? ORDER BY created_at LIMIT 1")
        .bind(&gone)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE whop_membership SET remote_deleted_at = '2026-01-01T00:00:00.000000Z' WHERE id = ?")
        .bind(&back)
        .execute(app.store().pool())
        .await
        .unwrap();
    assert_eq!(app.whop().sync(&no_progress).await.unwrap().status, "done");
    assert_eq!(marked_memberships(&app).await, [gone]);
}

#[tokio::test]
async fn an_interrupted_rescan_marks_nothing_and_its_resumption_covers_the_whole_list() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(20)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Every sync a re-scan; memberships come ten to a page; a failed page fails at once.
    let config = WhopConfig { page_size: 10, max_retries: 0, rescan_interval: Duration::ZERO, ..config_for(&sandbox) };
    let app = open(dir.path(), config, Arc::new(MemoryStore::new())).await;
    login(&app, &sandbox).await;
    assert_eq!(app.whop().sync(&no_progress).await.unwrap().status, "done");
    assert!(sandbox.counts()["memberships"] > 20, "several pages of memberships");

    // The first membership (on the first page) and the last (on the last page) go.
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM whop_membership ORDER BY created_at, id")
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    let (first, last) = (ids[0].clone(), ids[ids.len() - 1].clone());
    let removed =
        sandbox.mutate(Mutation { delete_membership_ids: vec![first.clone(), last.clone()], ..Default::default() });
    assert_eq!(removed.deleted_membership_ids.len(), 2);

    // The re-scan of memberships fails after its first page: nothing is marked, and the pass waits
    // at its cursor.
    let injected = std::sync::atomic::AtomicBool::new(false);
    let fail_after_first_page = |p: &dealdesk_model::whop::SyncProgress| {
        if p.resource == "memberships"
            && p.fetched > 0
            && !p.done
            && !injected.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            sandbox.inject(Fault {
                kind: FaultKind::ServerError,
                path_prefix: Some("/api/v1/memberships".into()),
                count: 100,
                retry_after_secs: None,
                delay_ms: None,
            });
        }
    };
    match app.whop().sync(&fail_after_first_page).await {
        Err(WhopError::Api { status: 500, .. }) => {}
        other => panic!("expected the re-scan to fail on a 500, got {other:?}"),
    }
    assert!(injected.load(std::sync::atomic::Ordering::SeqCst));
    assert!(marked_memberships(&app).await.is_empty(), "a re-scan that failed partway marks nothing");
    let status = app.whop().status().await.unwrap();
    assert!(status.resources.iter().any(|r| r.resource == "memberships" && r.resuming));

    // Resumed from its cursor, the re-scan completes: what its first page listed before the failure
    // counts, so exactly the two memberships Whop no longer has are marked.
    sandbox.clear_faults();
    assert_eq!(app.whop().sync(&no_progress).await.unwrap().status, "done");
    let mut expected = vec![first, last];
    expected.sort();
    assert_eq!(marked_memberships(&app).await, expected);
}

/// (access, refresh) from the one token entry in a memory store.
fn secrets_tokens(secrets: &MemoryStore) -> (String, String) {
    let keys = secrets.keys();
    let key = keys.iter().find(|k| k.starts_with("whop-tokens:")).expect("tokens stored");
    let json = secrets.get(key).unwrap().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    (value["access_token"].as_str().unwrap().into(), value["refresh_token"].as_str().unwrap().into())
}

#[tokio::test]
async fn deep_links_are_checked_and_codes_are_single_use() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(5)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), config_for(&sandbox), Arc::new(MemoryStore::new())).await;
    let whop = app.whop();

    // Malformed and foreign links are refused without touching the login.
    for link in [
        "dealdesk://oauth/whop/other?code=a&state=b",
        "https://example.com/oauth/whop/callback?code=a&state=b",
        "dealdesk://oauth/whop/callback?code=a",
        "%%%",
    ] {
        assert!(matches!(whop.handle_deep_link(link).await, Err(WhopError::DeepLink(_))), "{link}");
    }
    // A state that matches no login in progress.
    let a = whop.start_login(REDIRECT).await.unwrap();
    let link_a = approve_in_browser(&sandbox, &a.authorize_url).await;
    let forged = link_a.replace(&a.state, "forged-state");
    assert!(matches!(whop.handle_deep_link(&forged).await, Err(WhopError::UnknownLoginState)));
    // The real one works once; the same link again is refused (single use).
    whop.handle_deep_link(&link_a).await.unwrap();
    assert!(matches!(whop.handle_deep_link(&link_a).await, Err(WhopError::UnknownLoginState)));

    let code_of = |link: &str| {
        let query = link.split_once('?').unwrap().1;
        url_param(query, "code")
    };
    // A replayed code under a fresh login: the server refuses it.
    let b = whop.start_login(REDIRECT).await.unwrap();
    let replay = format!("{REDIRECT}?code={}&state={}", code_of(&link_a), b.state);
    assert!(matches!(whop.handle_deep_link(&replay).await, Err(WhopError::Token(_))), "replayed code");
    // A code issued for another login's PKCE challenge: the verifier does not match.
    let c = whop.start_login(REDIRECT).await.unwrap();
    let d = whop.start_login(REDIRECT).await.unwrap();
    let link_c = approve_in_browser(&sandbox, &c.authorize_url).await;
    let swapped = format!("{REDIRECT}?code={}&state={}", code_of(&link_c), d.state);
    match whop.handle_deep_link(&swapped).await {
        Err(WhopError::Token(message)) => assert!(message.contains("invalid_grant"), "{message}"),
        other => panic!("tampered verifier accepted: {other:?}"),
    }
    // An expired code (10 minutes).
    let e = whop.start_login(REDIRECT).await.unwrap();
    let link_e = approve_in_browser(&sandbox, &e.authorize_url).await;
    sandbox.advance_clock(601);
    assert!(matches!(whop.handle_deep_link(&link_e).await, Err(WhopError::Token(_))), "expired code");
    // The user pressed Deny.
    let f = whop.start_login(REDIRECT).await.unwrap();
    let denied = format!("{REDIRECT}?error=access_denied&error_description=no&state={}", f.state);
    assert!(matches!(whop.handle_deep_link(&denied).await, Err(WhopError::Authorization { .. })));
}

fn url_param(query: &str, name: &str) -> String {
    query.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))).unwrap().to_string()
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_and_refresh_tokens_rotate() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(5)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let app = open(dir.path(), config_for(&sandbox), secrets.clone()).await;
    login(&app, &sandbox).await;
    let (access_before, refresh_before) = secrets_tokens(&secrets);

    // The server's clock passes the hour: the API answers 401, the client refreshes and retries.
    sandbox.advance_clock(3700);
    app.whop().sync(&no_progress).await.unwrap();
    let (access_after, refresh_after) = secrets_tokens(&secrets);
    assert_ne!(access_before, access_after);
    assert_ne!(refresh_before, refresh_after, "the rotated refresh token is stored");
    let reuse = http()
        .post(format!("{}/token", sandbox.oauth_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_before),
            ("client_id", dealdesk_sandbox::DEFAULT_CLIENT_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.status(), 400, "a used refresh token is refused");
    assert!(app.whop().status().await.unwrap().connected);
}

#[tokio::test]
async fn every_injected_fault_is_survived_or_reported() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(30)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let app = open(dir.path(), config_for(&sandbox), secrets.clone()).await;
    login(&app, &sandbox).await;

    let fault = |kind, path: &str, count| Fault {
        kind,
        path_prefix: Some(path.to_string()),
        count,
        retry_after_secs: Some(1),
        delay_ms: Some(300),
    };
    // Transient faults: retried (honouring Retry-After), the run completes.
    sandbox.inject(fault(FaultKind::RateLimit, "/api/v1/members", 2));
    sandbox.inject(fault(FaultKind::ServerError, "/api/v1/payments", 2));
    sandbox.inject(fault(FaultKind::Truncated, "/api/v1/memberships", 1));
    sandbox.inject(fault(FaultKind::Slow, "/api/v1/products", 1));
    sandbox.inject(fault(FaultKind::ExtraFields, "/api/v1/plans", 5));
    sandbox.reset_stats();
    let started = std::time::Instant::now();
    let run = app.whop().sync(&no_progress).await.unwrap();
    assert_eq!(run.status, "done");
    assert!(started.elapsed() >= Duration::from_secs(2), "two Retry-After: 1 waits");
    assert!(sandbox.request_count("/api/v1/members") >= 3);
    assert!(sandbox.request_count("/api/v1/payments") >= 3);
    let counts = sandbox.counts();
    assert_eq!(count(&app, "SELECT count(*) FROM whop_payment").await as usize, counts["payments"]);
    assert_eq!(count(&app, "SELECT count(*) FROM whop_membership").await as usize, counts["memberships"]);
    assert_eq!(count(&app, "SELECT count(*) FROM whop_plan").await as usize, counts["plans"]);

    // Missing optional fields: new objects still land, with what is there.
    sandbox.mutate(Mutation { new_members: 2, ..Default::default() });
    sandbox.inject(fault(FaultKind::MissingOptional, "/api/v1/", 50));
    app.whop().sync(&no_progress).await.unwrap();
    sandbox.clear_faults();
    assert_eq!(count(&app, "SELECT count(*) FROM whop_member").await as usize, sandbox.counts()["members"]);

    // A server that keeps failing: the run fails with a specific error, nothing is lost, and the
    // next run completes.
    sandbox.mutate(Mutation { new_payments: 5, ..Default::default() });
    sandbox.inject(fault(FaultKind::ServerError, "/api/v1/payments", 100));
    match app.whop().sync(&no_progress).await {
        Err(WhopError::Api { status: 500, .. }) => {}
        other => panic!("expected a 500 error, got {other:?}"),
    }
    let history = app.whop().sync_history(5).await.unwrap();
    assert_eq!(history[0].status, "failed");
    assert!(history[0].error.as_deref().unwrap_or_default().contains("500"));
    sandbox.clear_faults();
    app.whop().sync(&no_progress).await.unwrap();
    assert_eq!(count(&app, "SELECT count(*) FROM whop_payment").await as usize, sandbox.counts()["payments"]);
    let status = app.whop().status().await.unwrap();
    assert!(status.resources.iter().all(|r| r.last_error.is_none() && !r.resuming));
}

#[tokio::test]
async fn people_are_matched_by_email_and_never_duplicated() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(20)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), config_for(&sandbox), Arc::new(MemoryStore::new())).await;
    login(&app, &sandbox).await;
    // Someone already in the CRM under the same email as a Whop member.
    let token = sandbox.mint_access_token();
    let members: serde_json::Value = http()
        .get(format!("{}/members?first=5", sandbox.api_url()))
        .bearer_auth(token)
        .header("Api-Version-Date", "2026-07-20")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let email =
        members["data"].as_array().unwrap().iter().find_map(|m| m["user"]["email"].as_str()).unwrap().to_uppercase();
    let existing = app
        .crm()
        .create_person(
            dealdesk_model::NewPerson {
                first_name: "Already".into(),
                last_name: "Here".into(),
                email: Some(email.clone()),
                ..Default::default()
            },
            dealdesk_model::UpdateSource::Cli,
        )
        .await
        .unwrap();
    app.whop().sync(&no_progress).await.unwrap();
    app.whop().sync(&no_progress).await.unwrap();
    let linked: String = sqlx::query_scalar(
        "SELECT wp.person_id FROM whop_person wp JOIN whop_member m ON m.user_id = wp.user_id WHERE m.email = ? COLLATE NOCASE",
    )
    .bind(&email)
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    assert_eq!(linked, existing.id.to_string(), "matched by email, not duplicated");
    assert_eq!(count(&app, &format!("SELECT count(*) FROM person WHERE email = '{email}' COLLATE NOCASE")).await, 1);
    let users = count(
        &app,
        "SELECT count(*) FROM (SELECT user_id FROM whop_member UNION SELECT user_id FROM whop_lead UNION SELECT user_id FROM whop_membership)",
    )
    .await;
    assert_eq!(count(&app, "SELECT count(*) FROM person").await, users, "one person per Whop user");
}

#[tokio::test]
async fn the_switch_turns_the_integration_off() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), config_for(&sandbox), Arc::new(MemoryStore::new())).await;
    let mut settings = app.whop().settings().await.unwrap();
    settings.enabled = false;
    app.whop().save_settings(settings.clone()).await.unwrap();
    assert!(matches!(app.whop().start_login(REDIRECT).await, Err(WhopError::Disabled)));
    assert!(!app.whop().status().await.unwrap().enabled);
    settings.enabled = true;
    settings.sync_interval_minutes = 0;
    assert!(app.whop().save_settings(settings).await.is_err(), "interval 0 is refused");

    let mut off = config_for(&sandbox);
    off.enabled_by_env = false;
    let dir2 = tempfile::tempdir().unwrap();
    let app2 = open(dir2.path(), off, Arc::new(MemoryStore::new())).await;
    let status = app2.whop().status().await.unwrap();
    assert!(!status.enabled && status.disabled_by_env);
    assert!(matches!(app2.whop().start_login(REDIRECT).await, Err(WhopError::Disabled)));
}

/// The OS keyring itself (Secret Service here): set, read back, overwrite, delete.
#[test]
#[ignore = "needs an unlocked OS keyring: run through `cargo xtask test`"]
fn the_os_keyring_stores_and_deletes_secrets() {
    let store = KeyringStore::new("dealdesk-test");
    store.probe().expect("a usable keyring");
    let key = format!("test-{}", std::process::id());
    store.set(&key, "one").unwrap();
    assert_eq!(store.get(&key).unwrap().as_deref(), Some("one"));
    store.set(&key, "two").unwrap();
    assert_eq!(store.get(&key).unwrap().as_deref(), Some("two"));
    store.delete(&key).unwrap();
    assert_eq!(store.get(&key).unwrap(), None);
    store.delete(&key).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_can_sign_in_through_a_loopback_redirect_instead() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(&sandbox);
    config.loopback_port = 0;
    let app = open(dir.path(), config, Arc::new(MemoryStore::new())).await;
    // Asking twice replaces the first waiting login (and frees its port).
    app.whop().start_app_loopback_login().await.unwrap();
    let started = app.whop().start_app_loopback_login().await.unwrap();
    let location = approve_in_browser(&sandbox, &started.authorize_url).await;
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let page = http().get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200, "the browser lands on the app's listener");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !app.whop().status().await.unwrap().connected {
        assert!(std::time::Instant::now() < deadline, "the background login did not complete");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
