//! Help → Diagnostics: versions, paths, integration states and recent timings, as data for the
//! window and as text to paste into a bug report. Never a secret: no keys, tokens or record data.

use super::SupportError;
use crate::app::App;
use dealdesk_model::support::{AiCallTiming, Diagnostics, IntegrationState, RecordCounts, RenderTiming, SyncTiming};
use std::fmt::Write;

/// Rows per timing table.
const RECENT: i64 = 20;

impl App {
    pub async fn diagnostics(&self) -> Result<Diagnostics, SupportError> {
        let pool = self.store().pool();
        let database = self.store().path().to_path_buf();
        let records: (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM person WHERE deleted_at IS NULL),
                    (SELECT count(*) FROM company WHERE deleted_at IS NULL),
                    (SELECT count(*) FROM deal WHERE deleted_at IS NULL)",
        )
        .fetch_one(pool)
        .await?;
        let ai_calls = sqlx::query_as::<_, (String, String, String, String, i64, String)>(
            "SELECT at, provider, model, action, latency_ms, outcome FROM ai_call ORDER BY id DESC LIMIT ?",
        )
        .bind(RECENT)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(at, provider, model, action, latency, outcome)| AiCallTiming {
            at,
            provider,
            model,
            action,
            latency_ms: latency.max(0) as u64,
            outcome,
        })
        .collect();
        let contract_renders = sqlx::query_as::<_, (String, String, String, i64, i64)>(
            "SELECT at, template, kind, pages, render_ms FROM contract_render ORDER BY id DESC LIMIT ?",
        )
        .bind(RECENT)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(at, template, kind, pages, ms)| RenderTiming {
            at,
            template,
            kind,
            pages: pages.max(0) as u32,
            render_ms: ms.max(0) as u64,
        })
        .collect();
        let whop_syncs = match self.whop().sync_history(RECENT as u32).await {
            Ok(runs) => runs.into_iter().map(sync_timing).collect(),
            Err(error) => {
                tracing::warn!(%error, "diagnostics: no sync history");
                Vec::new()
            }
        };
        let outbox_waiting = self.outbox().summary().await.map(|s| s.waiting).unwrap_or_default();
        let mut diagnostics = Diagnostics {
            version: env!("CARGO_PKG_VERSION").to_string(),
            platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            data_dir: self.data_dir().display().to_string(),
            database_bytes: self.store().bytes_on_disk(),
            database_file: database.display().to_string(),
            log_dir: self.log_dir().display().to_string(),
            backups_dir: self.backups_dir().display().to_string(),
            schema_version: crate::store::schema_version(pool).await?,
            records: RecordCounts {
                people: records.0.max(0) as u64,
                companies: records.1.max(0) as u64,
                deals: records.2.max(0) as u64,
            },
            integrations: self.integration_states().await,
            whop_syncs,
            ai_calls,
            contract_renders,
            outbox_waiting,
            text: String::new(),
        };
        diagnostics.text = as_text(&diagnostics);
        Ok(diagnostics)
    }

    /// Each integration in words: on or off, connected or not, which provider and model. The
    /// account names shown are the user's own; keys and tokens only as "set".
    async fn integration_states(&self) -> Vec<IntegrationState> {
        let state = |name: &str, state: String| IntegrationState { name: name.to_string(), state };
        let whop = match self.whop().status().await {
            Ok(s) if !s.enabled => "off".to_string(),
            Ok(s) if s.connected => {
                let who = s.identity.and_then(|i| i.username.or(i.name)).unwrap_or_else(|| "signed in".into());
                format!("connected ({who}), syncing every {} min from {}", s.sync_interval_minutes, s.api_url)
            }
            Ok(s) => format!("not connected ({})", s.api_url),
            Err(error) => format!("unavailable: {error}"),
        };
        let ai = match self.ai().status().await {
            Ok(s) if s.disabled_by_env || !s.effective.enabled => "off".to_string(),
            Ok(s) => format!(
                "{} {} at {}, API key {}",
                s.effective.provider.as_str(),
                s.effective.model,
                s.effective.base_url,
                if s.has_api_key { "set" } else { "not set" }
            ),
            Err(error) => format!("unavailable: {error}"),
        };
        let esign = match self.esign().status().await {
            Ok(s) if !s.enabled => "off".to_string(),
            Ok(s) => format!(
                "DocuSign {}, Dropbox Sign key {}, default {}, checks every {} min",
                if s.docusign_connected { "connected" } else { "not connected" },
                if s.dropbox_sign_key_set { "set" } else { "not set" },
                s.default_provider.label(),
                s.poll_minutes
            ),
            Err(error) => format!("unavailable: {error}"),
        };
        vec![state("Whop", whop), state("AI", ai), state("Contracts", esign)]
    }
}

fn sync_timing(run: dealdesk_model::whop::SyncRun) -> SyncTiming {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let duration_ms = run
        .finished_at
        .as_deref()
        .and_then(parse)
        .zip(parse(&run.started_at))
        .map(|(end, start)| end.signed_duration_since(start).num_milliseconds().max(0) as u64);
    let sum = |f: fn(&dealdesk_model::whop::ResourceCount) -> u64| run.counts.iter().map(f).sum::<u64>();
    SyncTiming {
        duration_ms,
        requests: sum(|c| c.requests),
        fetched: sum(|c| c.fetched),
        written: sum(|c| c.inserted + c.updated),
        started_at: run.started_at,
        status: run.status,
        error: run.error,
    }
}

/// The report as plain text (Markdown-ish), for "Copy diagnostics" and `dealdesk-cli diagnostics`.
fn as_text(d: &Diagnostics) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Dealdesk {} on {}", d.version, d.platform);
    let _ = writeln!(out, "Schema version: {}", d.schema_version);
    let _ = writeln!(out, "Data folder: {}", d.data_dir);
    let _ = writeln!(out, "Database: {} ({} bytes)", d.database_file, d.database_bytes);
    let _ = writeln!(out, "Logs: {}", d.log_dir);
    let _ = writeln!(out, "Backups: {}", d.backups_dir);
    let _ = writeln!(
        out,
        "Records: {} people, {} companies, {} deals; {} operations waiting to send",
        d.records.people, d.records.companies, d.records.deals, d.outbox_waiting
    );
    let _ = writeln!(out, "\nIntegrations:");
    for i in &d.integrations {
        let _ = writeln!(out, "- {}: {}", i.name, i.state);
    }
    let _ = writeln!(out, "\nWhop syncs (newest first):");
    for s in &d.whop_syncs {
        let duration = s.duration_ms.map_or_else(|| "running".to_string(), |ms| format!("{ms} ms"));
        let _ = writeln!(
            out,
            "- {} {} {}: {} requests, {} fetched, {} written{}",
            s.started_at,
            s.status,
            duration,
            s.requests,
            s.fetched,
            s.written,
            s.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "\nAI calls (newest first):");
    for c in &d.ai_calls {
        let _ = writeln!(out, "- {} {} {} {}: {} ms, {}", c.at, c.action, c.provider, c.model, c.latency_ms, c.outcome);
    }
    let _ = writeln!(out, "\nContract renders (newest first):");
    for r in &d.contract_renders {
        let _ = writeln!(out, "- {} {} ({}): {} pages in {} ms", r.at, r.template, r.kind, r.pages, r.render_ms);
    }
    out
}
