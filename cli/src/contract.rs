//! `dealdesk-cli contract …`: sign in to the providers, templates, render, send, status, download
//! and void.

use crate::output;
use anyhow::{Context, bail};
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_core::crm::parse_id;
use dealdesk_core::esign::render::AnchorStyle;
use dealdesk_model::UpdateSource;
use dealdesk_model::contract::{Contract, SaveEsignSettings, SendContract, SignatureProviderKind, SignerInput};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Subcommand)]
pub enum ContractCommand {
    /// Sign in to an e-sign provider (DocuSign: PKCE with a loopback redirect)
    Login {
        #[arg(value_parser = ["docusign"])]
        provider: String,
        /// Only print the URL; do not try to open a browser
        #[arg(long)]
        no_browser: bool,
        /// Give up after this many seconds
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Store an API key read from standard input in the OS keyring (Dropbox Sign), or remove it
    Key {
        #[arg(value_parser = ["dropbox-sign"])]
        provider: String,
        /// Remove the stored key instead of reading a new one
        #[arg(long)]
        remove: bool,
    },
    /// The contract templates
    Templates {
        #[arg(long)]
        json: bool,
    },
    /// Render a template on a deal to a PDF file (offline; the only plaintext copy is the file)
    Render {
        #[arg(long)]
        deal: String,
        /// Template name (or id)
        #[arg(long)]
        template: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Send a contract for signature (queued; goes out now, or when the network is back)
    Send {
        #[arg(long)]
        deal: String,
        #[arg(long)]
        template: String,
        #[arg(long, value_parser = ["docusign", "dropbox-sign"])]
        provider: String,
        /// A signer's email (repeat for more); default: the deal's contact
        #[arg(long = "signer")]
        signers: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// A contract's status and timeline (asks the provider first)
    Status {
        contract: String,
        #[arg(long)]
        json: bool,
    },
    /// Write the signed PDF (or the draft before completion) to a file
    Download {
        contract: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Void a contract out for signature
    Void {
        contract: String,
        #[arg(long)]
        reason: String,
    },
    /// Show or change the contract settings (your company and name on contracts, polling, switches)
    Settings {
        /// Your company, as contracts name it ({{sender.company}})
        #[arg(long)]
        sender_company: Option<String>,
        /// Your name ({{sender.name}})
        #[arg(long)]
        sender_name: Option<String>,
        /// Minutes between status checks (15 or more)
        #[arg(long)]
        poll_minutes: Option<u32>,
        #[arg(long, value_parser = ["docusign", "dropbox-sign"])]
        default_provider: Option<String>,
        /// Switch contract signing on or off
        #[arg(long)]
        enabled: Option<bool>,
        /// Mark a deal won when its contract is completed
        #[arg(long)]
        move_deal_to_won: Option<bool>,
        #[arg(long)]
        json: bool,
    },
    /// Check every open contract now
    Poll {
        #[arg(long)]
        json: bool,
    },
}

const SOURCE: UpdateSource = UpdateSource::Cli;

pub async fn run(app: &App, command: ContractCommand) -> anyhow::Result<()> {
    let esign = app.esign();
    match command {
        ContractCommand::Login { provider: _, no_browser, timeout } => {
            let status = esign
                .login_docusign_with_loopback(
                    |url| {
                        let _ = output::line(format!("Open this address to sign in to DocuSign:\n{url}"));
                        let _ = std::io::stdout().flush();
                        if !no_browser {
                            dealdesk_core::browser::open_in_browser(url);
                        }
                    },
                    Duration::from_secs(timeout),
                )
                .await?;
            let account = status.docusign_account.unwrap_or_else(|| "your account".into());
            output::line(format!("signed in to DocuSign ({account}); tokens are in the OS keyring"))?;
        }
        ContractCommand::Key { provider: _, remove: true } => {
            let status = esign.remove_dropbox_sign_key().await?;
            output::line(if status.dropbox_sign_key_set {
                "removed the Dropbox Sign API key from the OS keyring; DEALDESK_DROPBOX_SIGN_API_KEY still sets one"
            } else {
                "removed the Dropbox Sign API key from the OS keyring"
            })?;
        }
        ContractCommand::Key { provider: _, remove: false } => {
            let mut key = String::new();
            std::io::stdin().read_to_string(&mut key).context("reading the key from standard input")?;
            esign.set_dropbox_sign_key(key.trim())?;
            output::line("saved the Dropbox Sign API key in the OS keyring")?;
        }
        ContractCommand::Templates { json } => {
            let templates = esign.templates().await?;
            if json {
                output::json(&templates)?;
            } else {
                let rows: Vec<Vec<String>> = templates
                    .iter()
                    .map(|t| {
                        vec![
                            t.name.clone(),
                            format!("v{}", t.version),
                            if t.builtin { "shipped".into() } else { "yours".into() },
                            t.id.to_string(),
                        ]
                    })
                    .collect();
                output::table(&["TEMPLATE", "VERSION", "ORIGIN", "ID"], &rows)?;
            }
        }
        ContractCommand::Render { deal, template, out } => {
            let deal = resolve_deal(app, &deal).await?;
            let template = esign.find_template(&template).await?;
            let signers = default_signer(app, &deal).await.into_iter().collect::<Vec<_>>();
            let started = std::time::Instant::now();
            let pdf = esign.render_pdf(deal.id, &template, &signers, AnchorStyle::Preview).await?;
            let took = started.elapsed();
            write_file(&out, &pdf)?;
            output::line(format!(
                "rendered {} on \"{}\" to {} ({} bytes, {} ms)",
                template.name,
                deal.name,
                out.display(),
                pdf.len(),
                took.as_millis()
            ))?;
        }
        ContractCommand::Send { deal, template, provider, signers, json } => {
            let deal = resolve_deal(app, &deal).await?;
            let template = esign.find_template(&template).await?;
            let provider = SignatureProviderKind::parse(&provider).context("unknown provider")?;
            let signers = if signers.is_empty() {
                match default_signer(app, &deal).await {
                    Some((name, email)) => vec![SignerInput { name, email }],
                    None => bail!("the deal has no contact with an email: pass --signer EMAIL"),
                }
            } else {
                let mut list = Vec::new();
                for email in signers {
                    list.push(SignerInput { name: name_for(app, &email).await, email });
                }
                list
            };
            let request = SendContract { deal_id: deal.id, template_id: template.id, provider, signers, title: None };
            let contract = app.esign().send(&request, SOURCE).await?;
            // Send now if the network allows; otherwise it waits in the outbox.
            let _ = app.outbox().recover().await;
            let drained = app.outbox().drain(true).await?;
            let contract = esign.get(contract.id).await?;
            if json {
                output::json(&contract)?;
            } else {
                print_contract(&contract)?;
                if let Some(stopped) = drained.stopped {
                    output::line(format!("not sent yet ({stopped}); it goes out with the next `outbox drain`"))?;
                }
            }
        }
        ContractCommand::Status { contract, json } => {
            let contract = esign.find(&contract).await?;
            let contract = match esign.refresh(contract.id).await {
                Ok(fresh) => fresh,
                Err(error) => {
                    eprintln!("warning: could not ask the provider ({error}); showing the last known status");
                    contract
                }
            };
            if json { output::json(&contract)? } else { print_contract(&contract)? }
        }
        ContractCommand::Download { contract, out } => {
            let contract = esign.find(&contract).await?;
            let (name, bytes) = esign.pdf(contract.id).await?;
            write_file(&out, &bytes)?;
            output::line(format!("wrote {name} to {} ({} bytes)", out.display(), bytes.len()))?;
        }
        ContractCommand::Void { contract, reason } => {
            let contract = esign.find(&contract).await?;
            esign.void(contract.id, &reason, SOURCE).await?;
            app.outbox().poke();
            let _ = app.outbox().recover().await;
            let drained = app.outbox().drain(true).await?;
            let contract = esign.get(contract.id).await?;
            print_contract(&contract)?;
            if let Some(stopped) = drained.stopped {
                output::line(format!("the void waits ({stopped}); it goes out with the next `outbox drain`"))?;
            }
        }
        ContractCommand::Settings {
            sender_company,
            sender_name,
            poll_minutes,
            default_provider,
            enabled,
            move_deal_to_won,
            json,
        } => {
            let current = esign.status().await?;
            let changes = sender_company.is_some()
                || sender_name.is_some()
                || poll_minutes.is_some()
                || default_provider.is_some()
                || enabled.is_some()
                || move_deal_to_won.is_some();
            let status = if changes {
                let default_provider = match default_provider {
                    Some(name) => SignatureProviderKind::parse(&name).context("unknown provider")?,
                    None => current.default_provider,
                };
                esign
                    .save_settings(SaveEsignSettings {
                        enabled: enabled.unwrap_or(current.enabled || current.disabled_by_env),
                        poll_minutes: poll_minutes.unwrap_or(current.poll_minutes),
                        move_deal_to_won: move_deal_to_won.unwrap_or(current.move_deal_to_won),
                        default_provider,
                        sender_company: sender_company.unwrap_or(current.sender_company),
                        sender_name: sender_name.unwrap_or(current.sender_name),
                        dropbox_sign_api_key: None,
                    })
                    .await?
            } else {
                current
            };
            if json {
                output::json(&status)?;
            } else {
                let or_dash = |text: &str| if text.is_empty() { "-".to_string() } else { text.to_string() };
                output::line(format!(
                    "contract signing: {}\nyour company: {}\nyour name: {}\ndefault provider: {}\n\
                     DocuSign: {}\nDropbox Sign key: {}\nstatus checks: every {} min; completed contracts \
                     {} the deal won",
                    if status.enabled { "on" } else { "off" },
                    or_dash(&status.sender_company),
                    or_dash(&status.sender_name),
                    status.default_provider.label(),
                    status.docusign_account.as_deref().unwrap_or("not connected"),
                    if status.dropbox_sign_key_set { "set" } else { "not set" },
                    status.poll_minutes,
                    if status.move_deal_to_won { "mark" } else { "do not mark" },
                ))?;
            }
        }
        ContractCommand::Poll { json } => {
            let report = esign.poll(true).await?;
            if json {
                output::json(&report)?;
            } else {
                output::line(format!(
                    "checked {}, changed {}, completed {}{}",
                    report.checked,
                    report.changed,
                    report.completed,
                    if report.errors.is_empty() {
                        String::new()
                    } else {
                        format!("; errors: {}", report.errors.join("; "))
                    }
                ))?;
            }
        }
    }
    Ok(())
}

/// A deal by id, or by its exact name (case-insensitive) when that is unique.
async fn resolve_deal(app: &App, text: &str) -> anyhow::Result<dealdesk_model::Deal> {
    if let Ok(id) = parse_id(text) {
        return Ok(app.crm().get_deal(id).await?);
    }
    let query = dealdesk_model::DealQuery { text: Some(text.to_string()), ..Default::default() };
    let page = app.crm().list_deals(&query).await?;
    let mut named = page.items.into_iter().filter(|d| d.name.eq_ignore_ascii_case(text.trim()));
    match (named.next(), named.next()) {
        (Some(deal), None) => Ok(deal),
        (Some(_), Some(_)) => bail!("more than one deal is named {text:?}: pass its id"),
        _ => bail!("no deal {text:?}"),
    }
}

async fn default_signer(app: &App, deal: &dealdesk_model::Deal) -> Option<(String, String)> {
    let person = app.crm().get_person(deal.contact_id?).await.ok()?;
    Some((person.full_name(), person.email.clone()?))
}

/// A signer's name: the person with that email in the CRM, else the email's local part.
async fn name_for(app: &App, email: &str) -> String {
    let query = dealdesk_model::PersonQuery { text: Some(email.to_string()), ..Default::default() };
    if let Ok(page) = app.crm().list_people(&query).await
        && let Some(person) =
            page.items.iter().find(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
    {
        return person.full_name();
    }
    email.split('@').next().unwrap_or(email).to_string()
}

/// Writes a file atomically (a temporary file beside it, then a rename).
fn write_file(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let temp = dir.join(format!(".{}.part", path.file_name().and_then(|n| n.to_str()).unwrap_or("contract.pdf")));
    std::fs::write(&temp, bytes).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn print_contract(contract: &Contract) -> anyhow::Result<()> {
    output::line(format!(
        "{} · {} · {} · {}",
        contract.id,
        contract.title,
        contract.provider.label(),
        contract.status.label()
    ))?;
    for signer in &contract.signers {
        output::line(format!("  signer {} <{}>: {:?}", signer.name, signer.email, signer.status))?;
    }
    for event in &contract.events {
        output::line(format!("  {}  {:<14} {}", event.at, event.kind, event.detail))?;
    }
    if let Some(error) = &contract.error {
        output::line(format!("  last error: {error}"))?;
    }
    if contract.has_signed_pdf {
        output::line(format!(
            "  signed PDF stored (encrypted): dealdesk-cli contract download {} --out FILE.pdf",
            contract.id
        ))?;
    }
    Ok(())
}
