//! `dealdesk-cli`: the CRM from a terminal or a script, on the same database as the app.
//!
//! Human tables by default, JSON with `--json`. Bad input exits non-zero with one line on stderr.
//! A library so the installed app carries it as `dealdesk cli …` (one binary in the package,
//! decision 0017); `dealdesk-cli` is the same code as a binary of its own.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod ai;
mod contract;
mod outbox;
mod output;
mod revenue;
mod support;
mod team;
mod whop;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use dealdesk_core::crm::csv::ImportOptions;
use dealdesk_core::crm::parse_id;
use dealdesk_core::{App, default_data_dir};
use dealdesk_model::{
    CompanyQuery, CsvObject, DealQuery, DealStatus, ImportReport, Money, MoveDeal, NewCompany, NewDeal, NewNote,
    NewPerson, PersonQuery, SetDealStatus, UpdateSource,
};
use std::path::PathBuf;
use std::process::ExitCode;

const SOURCE: UpdateSource = UpdateSource::Cli;

#[derive(Parser)]
#[command(name = "dealdesk-cli", version, about = "Dealdesk CRM from the command line")]
struct Cli {
    /// Data folder holding dealdesk.sqlite3 [env: DEALDESK_DATA_DIR; default: the platform data dir]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
pub(crate) struct JsonFlag {
    /// Print JSON instead of a table
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// People (contacts)
    #[command(subcommand)]
    People(PeopleCommand),
    /// Companies
    #[command(subcommand)]
    Companies(CompaniesCommand),
    /// Deals in pipelines
    #[command(subcommand)]
    Deals(DealsCommand),
    /// Notes on people, companies and deals
    #[command(subcommand)]
    Notes(NotesCommand),
    /// Search people, companies, deals and notes (prefix matching)
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Import people, companies or deals from a CSV file
    Import {
        object: String,
        file: PathBuf,
        /// Report what would happen; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows even when some rows are rejected
        #[arg(long)]
        keep_good_rows: bool,
        /// Map a column to a field, overriding the automatic mapping (`-` ignores the column)
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        mapping: Vec<String>,
        /// The file's encoding when it is not UTF-8, e.g. windows-1252
        #[arg(long)]
        encoding: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Export people, companies or deals to a CSV file (re-importable)
    Export {
        object: String,
        file: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// What happened to a record, newest first
    Timeline {
        record_id: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Whop: sign in, sync, status, sign out, and actions on memberships, payments, promo codes
    #[command(subcommand)]
    Whop(whop::WhopCommand),
    /// Revenue from the Whop mirror: summary, MRR per month, cohorts
    #[command(subcommand)]
    Revenue(revenue::RevenueCommand),
    /// Failed payments and past-due memberships to recover
    #[command(subcommand)]
    Recover(revenue::RecoverCommand),
    /// Operations waiting for the network: list, drain, retry, discard
    #[command(subcommand)]
    Outbox(outbox::OutboxCommand),
    /// Conflicts between local and remote changes: list, resolve
    #[command(subcommand)]
    Conflicts(outbox::ConflictsCommand),
    /// AI actions on records (generate text, sentiment, lead score, email draft), usage and cost
    #[command(subcommand)]
    Ai(ai::AiCommand),
    /// Workflows: list, run, run history
    #[command(subcommand)]
    Workflows(ai::WorkflowsCommand),
    /// Contracts: templates, render, send for e-signature, status, download, void
    #[command(subcommand)]
    Contract(contract::ContractCommand),
    /// Backups of the database: create, list, restore
    #[command(subcommand)]
    Backup(support::BackupCommand),
    /// Versions, paths, integration states and recent timings (no secrets), for bug reports
    Diagnostics {
        #[command(flatten)]
        json: JsonFlag,
    },
    /// The sample workspace
    #[command(subcommand)]
    Sample(support::SampleCommand),
    /// Team workspaces: init, invite, join, status, sync, members, remove, leave
    #[command(subcommand)]
    Team(team::TeamCommand),
}

#[derive(Subcommand)]
enum PeopleCommand {
    /// Add a person
    Add {
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        job_title: Option<String>,
        /// Company name, domain or id (it must exist)
        #[arg(long)]
        company: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// List people, sorted by name
    List {
        /// Full-text prefix search over name, email, job title and city
        #[arg(long)]
        query: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Show one person
    Show {
        id: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Move a person to the trash
    Delete { id: String },
    /// Bring a person back from the trash
    Restore { id: String },
}

#[derive(Subcommand)]
enum CompaniesCommand {
    /// Add a company
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        domain: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// List companies, sorted by name
    List {
        #[arg(long)]
        query: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[command(flatten)]
        json: JsonFlag,
    },
}

#[derive(Subcommand)]
enum DealsCommand {
    /// Add a deal to the default pipeline
    Add {
        #[arg(long)]
        name: String,
        /// A plain decimal such as 1200.50
        #[arg(long)]
        amount: String,
        /// ISO 4217 code such as USD
        #[arg(long)]
        currency: String,
        /// Stage name; the pipeline's first stage when absent
        #[arg(long)]
        stage: Option<String>,
        /// Company name, domain or id (it must exist)
        #[arg(long)]
        company: Option<String>,
        /// The point of contact's person id
        #[arg(long, value_name = "PERSON_ID")]
        contact: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// List deals, sorted by name
    List {
        /// Only deals in this stage
        #[arg(long)]
        stage: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Move a deal to another stage of its pipeline
    Move {
        deal_id: String,
        #[arg(long)]
        stage: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Mark a deal won
    Won { deal_id: String },
    /// Mark a deal lost, with the reason
    Lost {
        deal_id: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum NotesCommand {
    /// Add a markdown note to a person, company or deal
    Add {
        record_id: String,
        #[arg(long)]
        body: String,
    },
}

/// Runs the command line `args` (the first is the program name) and returns the exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = error.print();
                return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // clap's message is a paragraph (and a usage block): keep the paragraph, on one line.
            let text = error.to_string();
            let first: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("error: {} (see --help)", first.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    // A caller that already logs (the app binary never does before `cli`) keeps its subscriber.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each said once. Our errors name their cause in their
/// own message (the window shows only that message), so `{:#}` would repeat each cause.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let command = match cli.command {
        Command::Backup(support::BackupCommand::CancelRestore { json }) => {
            return support::cancel_restore(&data_dir, json.json).await;
        }
        command => command,
    };
    let app = match App::open(&data_dir).await {
        Ok(app) => app,
        // A database that does not open can still have its backups listed and one put in place.
        Err(error) => {
            return match command {
                Command::Backup(backup) => support::run_backup_unopened(&data_dir, backup, error).await,
                _ => Err(error.into()),
            };
        }
    };
    let result = dispatch(&app, command).await;
    app.close().await;
    result
}

fn or_dash(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "-".into())
}

async fn dispatch(app: &App, command: Command) -> anyhow::Result<()> {
    let crm = app.crm();
    match command {
        Command::Whop(command) => whop::run(app, command).await?,
        Command::Outbox(command) => outbox::run(app, command).await?,
        Command::Revenue(command) => revenue::run(app, command).await?,
        Command::Team(command) => team::run(app, command).await?,
        Command::Recover(command) => revenue::run_recover(app, command).await?,
        Command::Conflicts(command) => outbox::run_conflicts(app, command).await?,
        Command::Ai(command) => ai::run(app, command).await?,
        Command::Workflows(command) => ai::run_workflows(app, command).await?,
        Command::Contract(command) => contract::run(app, command).await?,
        Command::Backup(command) => support::run_backup(app, command).await?,
        Command::Diagnostics { json } => support::run_diagnostics(app, json.json).await?,
        Command::Sample(command) => support::run_sample(app, command).await?,
        Command::People(PeopleCommand::Add { first_name, last_name, email, phone, job_title, company, json }) => {
            let company_id = match company {
                Some(text) => Some(crm.resolve_company(&text).await?.id),
                None => None,
            };
            let new = NewPerson { first_name, last_name, email, phone, job_title, company_id, ..Default::default() };
            let person = crm.create_person(new, SOURCE).await?;
            if json.json {
                output::json(&person)?;
            } else {
                output::line(format!("added person {} ({})", person.full_name(), person.id))?;
            }
        }
        Command::People(PeopleCommand::List { query, limit, json }) => {
            let page = crm.list_people(&PersonQuery { text: query, limit: Some(limit), ..Default::default() }).await?;
            if json.json {
                output::json(&page.items)?;
            } else {
                let rows: Vec<Vec<String>> = page
                    .items
                    .iter()
                    .map(|p| {
                        vec![
                            p.id.to_string(),
                            p.full_name(),
                            or_dash(&p.email),
                            or_dash(&p.company_name),
                            or_dash(&p.job_title),
                        ]
                    })
                    .collect();
                output::table(&["id", "name", "email", "company", "job title"], &rows)?;
                if page.next_cursor.is_some() {
                    output::line(format!("(first {limit} shown; use --limit for more)"))?;
                }
            }
        }
        Command::People(PeopleCommand::Show { id, json }) => {
            let person = crm.get_person(parse_id(&id)?).await?;
            if json.json {
                output::json(&person)?;
            } else {
                let mut rows = vec![
                    vec!["id".into(), person.id.to_string()],
                    vec!["name".into(), person.full_name()],
                    vec!["email".into(), or_dash(&person.email)],
                    vec!["phone".into(), or_dash(&person.phone)],
                    vec!["job title".into(), or_dash(&person.job_title)],
                    vec!["city".into(), or_dash(&person.city)],
                    vec!["company".into(), or_dash(&person.company_name)],
                    vec!["tags".into(), person.tags.join(", ")],
                ];
                for (key, value) in &person.custom {
                    rows.push(vec![key.clone(), value.to_string()]);
                }
                if person.meta.deleted_at.is_some() {
                    rows.push(vec!["status".into(), "in the trash".into()]);
                }
                output::table(&["field", "value"], &rows)?;
            }
        }
        Command::People(PeopleCommand::Delete { id }) => {
            let id = parse_id(&id)?;
            crm.delete_person(id, SOURCE).await?;
            output::line(format!("moved person {id} to the trash (restore with: people restore {id})"))?;
        }
        Command::People(PeopleCommand::Restore { id }) => {
            let person = crm.restore_person(parse_id(&id)?, SOURCE).await?;
            output::line(format!("restored person {} ({})", person.full_name(), person.id))?;
        }
        Command::Companies(CompaniesCommand::Add { name, domain, json }) => {
            let company = crm.create_company(NewCompany { name, domain, ..Default::default() }, SOURCE).await?;
            if json.json {
                output::json(&company)?;
            } else {
                output::line(format!("added company {} ({})", company.name, company.id))?;
            }
        }
        Command::Companies(CompaniesCommand::List { query, limit, json }) => {
            let page =
                crm.list_companies(&CompanyQuery { text: query, limit: Some(limit), ..Default::default() }).await?;
            if json.json {
                output::json(&page.items)?;
            } else {
                let rows: Vec<Vec<String>> = page
                    .items
                    .iter()
                    .map(|c| vec![c.id.to_string(), c.name.clone(), or_dash(&c.domain), c.tags.join(", ")])
                    .collect();
                output::table(&["id", "name", "domain", "tags"], &rows)?;
                if page.next_cursor.is_some() {
                    output::line(format!("(first {limit} shown; use --limit for more)"))?;
                }
            }
        }
        Command::Deals(DealsCommand::Add { name, amount, currency, stage, company, contact, json }) => {
            let amount = Money::parse(&amount, &currency)?;
            let company_id = match company {
                Some(text) => Some(crm.resolve_company(&text).await?.id),
                None => None,
            };
            let contact_id = contact.map(|c| parse_id(&c)).transpose()?;
            let new = NewDeal {
                id: None,
                name,
                amount,
                close_date: None,
                pipeline_id: None,
                stage,
                status: DealStatus::Open,
                lost_reason: None,
                contact_id,
                company_id,
                custom: Default::default(),
            };
            let deal = crm.create_deal(new, SOURCE).await?;
            if json.json {
                output::json(&deal)?;
            } else {
                output::line(format!("added deal {} ({}) in {}", deal.name, deal.id, deal.stage_name))?;
            }
        }
        Command::Deals(DealsCommand::List { stage, limit, json }) => {
            let page = crm.list_deals(&DealQuery { stage, limit: Some(limit), ..Default::default() }).await?;
            if json.json {
                output::json(&page.items)?;
            } else {
                let rows: Vec<Vec<String>> = page
                    .items
                    .iter()
                    .map(|d| {
                        vec![
                            d.id.to_string(),
                            d.name.clone(),
                            d.amount.display(),
                            d.stage_name.clone(),
                            d.status.as_str().to_string(),
                            or_dash(&d.company_name),
                        ]
                    })
                    .collect();
                output::table(&["id", "name", "amount", "stage", "status", "company"], &rows)?;
                if page.next_cursor.is_some() {
                    output::line(format!("(first {limit} shown; use --limit for more)"))?;
                }
            }
        }
        Command::Deals(DealsCommand::Move { deal_id, stage, json }) => {
            let deal =
                crm.move_deal_stage(MoveDeal { deal_id: parse_id(&deal_id)?, stage, position: None }, SOURCE).await?;
            if json.json {
                output::json(&deal)?;
            } else {
                output::line(format!("moved deal {} to {}", deal.name, deal.stage_name))?;
            }
        }
        Command::Deals(DealsCommand::Won { deal_id }) => {
            let request = SetDealStatus { deal_id: parse_id(&deal_id)?, status: DealStatus::Won, lost_reason: None };
            let deal = crm.set_deal_status(request, SOURCE).await?;
            output::line(format!("deal {} won", deal.name))?;
        }
        Command::Deals(DealsCommand::Lost { deal_id, reason }) => {
            let request =
                SetDealStatus { deal_id: parse_id(&deal_id)?, status: DealStatus::Lost, lost_reason: Some(reason) };
            let deal = crm.set_deal_status(request, SOURCE).await?;
            output::line(format!("deal {} lost", deal.name))?;
        }
        Command::Notes(NotesCommand::Add { record_id, body }) => {
            let record = crm.resolve_record(parse_id(&record_id)?).await?;
            let note = crm.add_note(NewNote { body, targets: vec![record] }, SOURCE).await?;
            output::line(format!("added note {} to {} {}", note.id, record.kind, record.id))?;
        }
        Command::Search { query, limit, json } => {
            let hits = crm.search(&query, Some(limit)).await?;
            if json.json {
                output::json(&hits)?;
            } else {
                let rows: Vec<Vec<String>> = hits
                    .iter()
                    .map(|h| {
                        vec![h.record.kind.to_string(), h.record.id.to_string(), h.title.clone(), or_dash(&h.subtitle)]
                    })
                    .collect();
                output::table(&["kind", "id", "title", "detail"], &rows)?;
            }
        }
        Command::Import { object, file, dry_run, keep_good_rows, mapping, encoding, json } => {
            let object = parse_object(&object)?;
            let mapping = mapping
                .iter()
                .map(|m| match m.split_once('=') {
                    Some((h, f)) if !h.trim().is_empty() && !f.trim().is_empty() => Ok((h.to_string(), f.to_string())),
                    _ => bail!("bad --map '{m}': expected HEADER=FIELD"),
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let options = ImportOptions { dry_run, keep_good_rows, mapping, encoding };
            let report = crm.import_csv(object, &bytes, &options, SOURCE).await?;
            if json.json {
                output::json(&report)?;
            } else {
                print_report(&report)?;
            }
            if !report.rejected.is_empty() && !keep_good_rows {
                let verb = if dry_run { "would be rejected" } else { "rejected; nothing was imported" };
                bail!("{} of {} rows {verb} (fix them, or pass --keep-good-rows)", report.rejected.len(), report.rows);
            }
        }
        Command::Export { object, file, json } => {
            let object = parse_object(&object)?;
            let rows = app.export_csv_to(object, &file).await?.rows.unwrap_or_default();
            if json.json {
                output::json(&serde_json::json!({ "object": object, "rows": rows, "file": file }))?;
            } else {
                output::line(format!("exported {rows} {object} to {}", file.display()))?;
            }
        }
        Command::Timeline { record_id, json } => {
            let record = crm.resolve_record(parse_id(&record_id)?).await?;
            let events = app.timeline(record).await?;
            if json.json {
                output::json(&events)?;
            } else {
                let rows: Vec<Vec<String>> = events
                    .iter()
                    .map(|e| {
                        vec![
                            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                            e.source.as_str().to_string(),
                            e.kind.describe(),
                        ]
                    })
                    .collect();
                output::line(format!("timeline of {} {}", record.kind, record.id))?;
                output::table(&["when (utc)", "by", "what"], &rows)?;
            }
        }
    }
    Ok(())
}

fn parse_object(text: &str) -> anyhow::Result<CsvObject> {
    CsvObject::parse(text).with_context(|| format!("unknown object '{text}': expected people, companies or deals"))
}

fn print_report(report: &ImportReport) -> anyhow::Result<()> {
    let mode = if report.dry_run {
        "dry run: nothing written"
    } else if report.committed {
        "imported"
    } else {
        "not imported"
    };
    output::line(format!(
        "{} {}: {} rows, {} created, {} updated, {} unchanged, {} rejected ({mode})",
        report.object,
        if report.dry_run { "import (dry run)" } else { "import" },
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
        report.rejected.len()
    ))?;
    let ignored: Vec<&str> = report.columns.iter().filter(|c| c.field.is_none()).map(|c| c.header.as_str()).collect();
    if !ignored.is_empty() {
        output::line(format!("ignored columns: {}", ignored.join(", ")))?;
    }
    if !report.rejected.is_empty() {
        let rows: Vec<Vec<String>> = report
            .rejected
            .iter()
            .map(|r| vec![r.line.to_string(), r.field.clone().unwrap_or_else(|| "-".into()), r.reason.clone()])
            .collect();
        output::table(&["line", "field", "reason"], &rows)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the database /d/dealdesk.sqlite3: {0}")]
    struct Open(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("file is not a database")]
    struct Inner;

    #[test]
    fn each_cause_is_said_once() {
        let error = anyhow::Error::new(Open(Inner));
        assert_eq!(one_line(&error), "cannot open the database /d/dealdesk.sqlite3: file is not a database");
        let wrapped = error.context("restoring dealdesk-1.sqlite3");
        assert_eq!(
            one_line(&wrapped),
            "restoring dealdesk-1.sqlite3: cannot open the database /d/dealdesk.sqlite3: file is not a database"
        );
        let plain = anyhow::anyhow!("line one\nline two").context("reading");
        assert_eq!(one_line(&plain), "reading: line one line two");
    }
}
