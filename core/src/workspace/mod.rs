//! This desktop in a team workspace (issue 20, docs/team.md): its link to the hub (the
//! `team_link` row; the password in the keyring, never in the database), and the sync: push this
//! desktop's own changes, pull the others' in the hub's order and merge them through the CRM
//! (`crm::shared`), which writes them like any edit (search, timeline, events).

pub mod error;

pub use error::WorkspaceError;

use crate::crm::Crm;
use crate::crm::shared::{SharedChange, TeamChange};
use crate::secrets::SecretStore;
use crate::store::{EventBus, Store, time};
use crate::team::{Access, Hub, HubAddress, JoinCode, TeamError};
use dealdesk_model::UpdateSource;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::team::{TeamAccess, TeamHeldChange, TeamMember, TeamStatus, TeamSyncReport};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How far ahead of the hub's clock a desktop's changes may be stamped. Further ahead, a desktop
/// would win every conflict it takes part in; its sync is refused until its clock is set right.
/// Clocks kept by the network (every desktop OS's default) are within a second of each other.
pub const CLOCK_MARGIN_SECS: i64 = 60;
/// Changes per push or pull request.
const BATCH: i64 = 1_000;

/// This desktop's row of `team_link`.
#[derive(Debug, Clone)]
struct Link {
    address: HubAddress,
    workspace: Uuid,
    workspace_name: String,
    role: String,
    email: String,
    access: TeamAccess,
    joined_at: String,
    left_at: Option<String>,
    left_reason: Option<String>,
    pushed_seq: i64,
    pulled_seq: i64,
    last_push_at: Option<String>,
    last_pull_at: Option<String>,
    last_error: Option<String>,
    hub_version: Option<i32>,
}

/// What joining (or making) a workspace tells this desktop.
struct Joined {
    address: HubAddress,
    workspace: Uuid,
    workspace_name: String,
    role: String,
    email: String,
    access: TeamAccess,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    host: String,
    port: i64,
    database: String,
    ssl_mode: String,
    workspace: String,
    workspace_name: String,
    role: String,
    email: String,
    access: String,
    joined_at: String,
    left_at: Option<String>,
    left_reason: Option<String>,
    pushed_seq: i64,
    pulled_seq: i64,
    last_push_at: Option<String>,
    last_pull_at: Option<String>,
    last_error: Option<String>,
    hub_version: Option<i32>,
}

fn team_access(access: Access) -> TeamAccess {
    match access {
        Access::Owner => TeamAccess::Owner,
        Access::Member => TeamAccess::Member,
        Access::ReadOnly => TeamAccess::ReadOnly,
    }
}

fn hub_access(access: TeamAccess) -> Access {
    match access {
        TeamAccess::Owner => Access::Owner,
        TeamAccess::Member => Access::Member,
        TeamAccess::ReadOnly => Access::ReadOnly,
    }
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, WorkspaceError> {
    time::parse(text).map_err(|e| WorkspaceError::Corrupt(format!("{text}: {e}")))
}

fn parse_opt_time(text: &Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>, WorkspaceError> {
    text.as_deref().map(parse_time).transpose()
}

/// A connection failure as the user should read it: the owner removed this member (its role may
/// no longer log in, SQLSTATE 28000), a password the hub no longer takes (28P01), or no hub.
fn connect_failure(error: TeamError) -> WorkspaceError {
    match &error {
        TeamError::Hub(sqlx::Error::Database(db)) if db.code().as_deref() == Some("28000") => {
            WorkspaceError::Left("removed by the workspace's owner".into())
        }
        TeamError::Hub(sqlx::Error::Database(db)) if db.code().as_deref() == Some("28P01") => {
            WorkspaceError::PasswordRefused
        }
        TeamError::Hub(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_)) => {
            WorkspaceError::Offline(error.to_string())
        }
        _ => WorkspaceError::Team(error),
    }
}

pub struct Workspace {
    store: Store,
    events: EventBus,
    crm: Crm,
    secrets: Arc<dyn SecretStore>,
    /// This desktop's node: its install id.
    node: String,
    /// One sync at a time (the window's timer and a click on "Sync now").
    syncing: tokio::sync::Mutex<()>,
}

impl Workspace {
    pub fn new(store: Store, events: EventBus, crm: Crm, secrets: Arc<dyn SecretStore>, node: String) -> Workspace {
        Workspace { store, events, crm, secrets, node, syncing: tokio::sync::Mutex::new(()) }
    }

    /// Tells the windows the team state changed (the top bar, Settings → Team).
    async fn announce(&self) {
        match self.status().await {
            Ok(status) => self.events.emit(CoreEvent::TeamChanged { status }),
            Err(error) => tracing::warn!(%error, "team: the status could not be read"),
        }
    }

    /// The desktop's background sync: every `every`, and soon after a local edit, while this
    /// desktop is in a workspace. Failures are kept in the status (the top bar shows them) and
    /// tried again at the next round. Returns when the event bus closes.
    pub async fn run(self: Arc<Self>, every: Duration) {
        let mut events = self.events.subscribe();
        loop {
            let linked = matches!(self.link().await, Ok(Some(link)) if link.left_at.is_none());
            if linked && let Err(error) = self.sync_once().await {
                tracing::info!(%error, "team: the sync did not complete");
            }
            let deadline = tokio::time::sleep(every);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    _ = &mut deadline => break,
                    event = events.recv() => match event {
                        Ok(CoreEvent::RecordChanged { source, .. } | CoreEvent::RecordsChanged { source, .. })
                            if linked && source != UpdateSource::Team =>
                        {
                            // An edit here: push it soon, with what follows it in the next half second.
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            break;
                        }
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        }
    }

    fn secret_key(&self) -> String {
        format!("team-hub:{}", self.node)
    }

    async fn link(&self) -> Result<Option<Link>, WorkspaceError> {
        let row: Option<LinkRow> = sqlx::query_as(
            "SELECT host, port, database, ssl_mode, workspace, workspace_name, role, email, access, joined_at, left_at, left_reason, \
             pushed_seq, pulled_seq, last_push_at, last_pull_at, last_error, hub_version FROM team_link WHERE id = 1",
        )
        .fetch_optional(self.store.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let port = u16::try_from(row.port).map_err(|_| WorkspaceError::Corrupt(format!("port {}", row.port)))?;
        Ok(Some(Link {
            address: HubAddress { host: row.host, port, database: row.database, ssl_mode: row.ssl_mode },
            workspace: Uuid::parse_str(&row.workspace)
                .map_err(|e| WorkspaceError::Corrupt(format!("workspace: {e}")))?,
            workspace_name: row.workspace_name,
            role: row.role,
            email: row.email,
            access: TeamAccess::parse(&row.access)
                .ok_or_else(|| WorkspaceError::Corrupt(format!("access {}", row.access)))?,
            joined_at: row.joined_at,
            left_at: row.left_at,
            left_reason: row.left_reason,
            pushed_seq: row.pushed_seq,
            pulled_seq: row.pulled_seq,
            last_push_at: row.last_push_at,
            last_pull_at: row.last_pull_at,
            last_error: row.last_error,
            hub_version: row.hub_version,
        }))
    }

    /// The link of a desktop still in its workspace.
    async fn current(&self) -> Result<Link, WorkspaceError> {
        let link = self.link().await?.ok_or(WorkspaceError::NotLinked)?;
        if link.left_at.is_some() {
            return Err(WorkspaceError::Left(link.left_reason.unwrap_or_else(|| "left".into())));
        }
        Ok(link)
    }

    async fn refuse_if_linked(&self) -> Result<(), WorkspaceError> {
        match self.link().await? {
            Some(link) if link.left_at.is_none() => Err(WorkspaceError::AlreadyLinked(link.workspace.to_string())),
            _ => Ok(()),
        }
    }

    /// Links this desktop (again, after leaving): pushes and pulls start from the beginning.
    async fn save_link(&self, link: &Joined) -> Result<(), WorkspaceError> {
        sqlx::query(
            "INSERT OR REPLACE INTO team_link (id, host, port, database, ssl_mode, workspace, workspace_name, role, \
             email, access, joined_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&link.address.host)
        .bind(i64::from(link.address.port))
        .bind(&link.address.database)
        .bind(&link.address.ssl_mode)
        .bind(link.workspace.to_string())
        .bind(&link.workspace_name)
        .bind(&link.role)
        .bind(&link.email)
        .bind(link.access.as_str())
        .bind(time::format(time::now()))
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    async fn connect(&self, link: &Link) -> Result<Hub, WorkspaceError> {
        let password = self.secrets.get(&self.secret_key())?.ok_or(WorkspaceError::NoSecret)?;
        let hub = Hub::connect(link.address.options(&link.role, &password)?).await.map_err(connect_failure)?;
        let version = hub.schema_version().await?;
        sqlx::query("UPDATE team_link SET hub_version = ? WHERE id = 1")
            .bind(version)
            .execute(self.store.pool())
            .await?;
        hub.check_version().await?;
        Ok(hub)
    }

    /// `team upgrade-hub`: the owner brings a hub made by an older Dealdesk to this one's schema.
    /// Returns the version it was at.
    pub async fn upgrade_hub(&self) -> Result<i32, WorkspaceError> {
        let link = self.current().await?;
        if link.access != TeamAccess::Owner {
            return Err(WorkspaceError::NotOwner);
        }
        let hub = self.connect(&link).await?;
        let from = hub.upgrade().await;
        hub.close().await;
        let from = from?;
        sqlx::query("UPDATE team_link SET hub_version = ? WHERE id = 1")
            .bind(crate::team::SCHEMA_VERSION)
            .execute(self.store.pool())
            .await?;
        tracing::info!(from, to = crate::team::SCHEMA_VERSION, "team: upgraded the hub");
        self.announce().await;
        Ok(from)
    }

    /// `team init`: makes the hub on an empty database, as its owner (`url` names the owner's role;
    /// the password comes with the URL or as `password`), and links this desktop to its first
    /// workspace. This desktop's CRM becomes the workspace's first content at the next sync.
    pub async fn init(
        &self,
        url: &str,
        password: Option<String>,
        name: &str,
        email: &str,
    ) -> Result<TeamStatus, WorkspaceError> {
        self.refuse_if_linked().await?;
        let (address, role, in_url) = HubAddress::from_url(url)?;
        let password = in_url.or(password).filter(|p| !p.is_empty()).ok_or(WorkspaceError::NoPassword)?;
        let hub = Hub::connect(address.options(&role, &password)?).await.map_err(connect_failure)?;
        let workspace = hub.init(name, email).await?;
        let me =
            hub.me(workspace).await?.ok_or_else(|| WorkspaceError::Corrupt("the owner has no member row".into()))?;
        hub.close().await;
        self.secrets.set(&self.secret_key(), &password)?;
        let joined = Joined {
            address,
            workspace,
            workspace_name: name.trim().to_string(),
            role,
            email: me.email,
            access: TeamAccess::Owner,
        };
        self.save_link(&joined).await?;
        // What it will push counts from now (`team status`): the shape made before sharing too.
        self.crm.share_config(true).await?;
        tracing::info!(%workspace, "team: made a hub and its first workspace");
        self.announce().await;
        self.status().await?.ok_or(WorkspaceError::NotLinked)
    }

    /// `team invite`: a join code for `email` (the owner only).
    pub async fn invite(&self, email: &str, access: TeamAccess) -> Result<String, WorkspaceError> {
        let link = self.current().await?;
        if link.access != TeamAccess::Owner {
            return Err(WorkspaceError::NotOwner);
        }
        let hub = self.connect(&link).await?;
        let a = &link.address;
        let code = hub.invite(link.workspace, email, hub_access(access), &a.host, a.port, &a.database).await?;
        hub.close().await;
        self.announce().await;
        Ok(code.encode())
    }

    /// `team join`: uses the code's one-time password once (the hub replaces it with one kept in
    /// the keyring) and links this desktop. Its CRM merges into the workspace at the next sync.
    pub async fn join(&self, code: &str) -> Result<TeamStatus, WorkspaceError> {
        self.refuse_if_linked().await?;
        let code = JoinCode::decode(code)?;
        let address = code.address();
        let first = Hub::connect(address.options(&code.role, &code.password)?).await.map_err(connect_failure)?;
        // Into the keyring before the code's password is spent: a keyring that fails leaves the
        // code usable, never a member whose password nobody has.
        let password = crate::team::new_password();
        self.secrets.set(&self.secret_key(), &password)?;
        if let Err(error) = first.join(&code, &password).await {
            first.close().await;
            self.secrets.delete(&self.secret_key())?;
            return Err(error.into());
        }
        first.close().await;
        let hub = Hub::connect(address.options(&code.role, &password)?).await.map_err(connect_failure)?;
        let me = hub.me(code.workspace).await?.ok_or_else(|| WorkspaceError::Left("removed".into()))?;
        let workspace_name = hub.workspace_name(code.workspace).await?.unwrap_or_default();
        hub.close().await;
        let joined = Joined {
            address,
            workspace: code.workspace,
            workspace_name,
            role: code.role,
            email: me.email,
            access: team_access(me.access),
        };
        self.save_link(&joined).await?;
        tracing::info!(workspace = %joined.workspace, "team: joined a workspace");
        self.announce().await;
        self.status().await?.ok_or(WorkspaceError::NotLinked)
    }

    /// `team status`: `None` for a desktop that never joined a workspace.
    pub async fn status(&self) -> Result<Option<TeamStatus>, WorkspaceError> {
        let Some(link) = self.link().await? else { return Ok(None) };
        let waiting = if link.access == TeamAccess::ReadOnly || link.left_at.is_some() {
            0
        } else {
            self.crm.own_changes_waiting(link.pushed_seq).await?
        };
        let a = &link.address;
        let whop = if link.left_at.is_some() { None } else { self.crm.whop_desktop().await? };
        Ok(Some(TeamStatus {
            hub: format!("{}:{}/{}", a.host, a.port, a.database),
            workspace: link.workspace.to_string(),
            workspace_name: link.workspace_name.clone(),
            email: link.email.clone(),
            access: link.access,
            joined_at: parse_time(&link.joined_at)?,
            left_at: parse_opt_time(&link.left_at)?,
            left_reason: link.left_reason.clone(),
            last_push_at: parse_opt_time(&link.last_push_at)?,
            last_pull_at: parse_opt_time(&link.last_pull_at)?,
            waiting,
            held: self.crm.team_changes_held().await?,
            pulled_seq: link.pulled_seq,
            last_error: link.last_error.clone(),
            hub_version: link.hub_version,
            whop_here: whop.as_ref().is_none_or(|(node, _)| *node == self.node),
            whop_chosen: whop.is_some(),
            whop_desktop: whop.and_then(|(node, author)| if node == self.node { None } else { author }),
        }))
    }

    /// `team held`: changes from other desktops that wait for what they need.
    pub async fn held(&self) -> Result<Vec<TeamHeldChange>, WorkspaceError> {
        self.link().await?.ok_or(WorkspaceError::NotLinked)?;
        Ok(self.crm.team_held_changes().await?)
    }

    /// `team discard-held HUB_SEQ`: drops one; this desktop keeps its own version.
    pub async fn discard_held(&self, hub_seq: i64) -> Result<(), WorkspaceError> {
        self.link().await?.ok_or(WorkspaceError::NotLinked)?;
        if !self.crm.discard_team_held(hub_seq).await? {
            return Err(WorkspaceError::NoHeldChange(hub_seq));
        }
        self.announce().await;
        Ok(())
    }

    /// Whether this desktop has synced Whop (it has a Whop login and a mirror).
    async fn syncs_whop(&self) -> Result<bool, WorkspaceError> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sync_run WHERE status = 'done')")
            .fetch_one(self.store.pool())
            .await?)
    }

    /// Settings → Team, "Run Whop automations here": workflows triggered by Whop events run on
    /// this desktop from now on, and stop on the one before once the choice reaches it.
    pub async fn run_whop_here(&self) -> Result<TeamStatus, WorkspaceError> {
        let link = self.current().await?;
        if link.access == TeamAccess::ReadOnly {
            return Err(WorkspaceError::ReadOnly);
        }
        self.crm.set_whop_desktop(&self.node).await?;
        self.announce().await;
        self.status().await?.ok_or(WorkspaceError::NotLinked)
    }

    /// `team members`.
    pub async fn members(&self) -> Result<Vec<TeamMember>, WorkspaceError> {
        let link = self.current().await?;
        let hub = self.connect(&link).await?;
        let members = hub.members(link.workspace).await?;
        hub.close().await;
        Ok(members
            .into_iter()
            .map(|m| TeamMember { email: m.email, access: team_access(m.access), joined: m.joined, removed: m.removed })
            .collect())
    }

    /// `team remove`: the member loses access at once (the owner only).
    pub async fn remove(&self, email: &str) -> Result<(), WorkspaceError> {
        let link = self.current().await?;
        if link.access != TeamAccess::Owner {
            return Err(WorkspaceError::NotOwner);
        }
        let hub = self.connect(&link).await?;
        hub.remove(link.workspace, email).await?;
        hub.close().await;
        // A removed member's desktop no longer runs the Whop automations: nobody does until a
        // desktop that syncs Whop takes them.
        if self.crm.whop_desktop().await?.is_some_and(|(_, author)| author.as_deref() == Some(email)) {
            self.crm.set_whop_desktop("").await?;
        }
        self.announce().await;
        Ok(())
    }

    /// `team leave`: stops syncing and forgets the password; the local copy stays as it is.
    pub async fn leave(&self) -> Result<(), WorkspaceError> {
        self.current().await?;
        // Hands the Whop automations back (best effort: offline, the owner can remove this member,
        // which releases them too).
        if self.crm.whop_desktop().await?.is_some_and(|(node, _)| node == self.node) {
            self.crm.set_whop_desktop("").await?;
            if let Err(error) = self.sync_once().await {
                tracing::info!(%error, "team: leaving without telling the hub who runs the Whop automations");
            }
        }
        self.mark_left("left").await?;
        self.secrets.delete(&self.secret_key())?;
        self.announce().await;
        Ok(())
    }

    async fn mark_left(&self, reason: &str) -> Result<(), WorkspaceError> {
        sqlx::query("UPDATE team_link SET left_at = ?, left_reason = ? WHERE id = 1 AND left_at IS NULL")
            .bind(time::format(time::now()))
            .bind(reason)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    async fn note_error(&self, error: Option<String>) -> Result<(), WorkspaceError> {
        sqlx::query("UPDATE team_link SET last_error = ? WHERE id = 1").bind(error).execute(self.store.pool()).await?;
        Ok(())
    }

    /// `team sync --once`: pushes this desktop's changes, then pulls and merges the others'. A
    /// failure is kept as the status's `last_error` (offline, refused: why) and returned; a member
    /// the owner removed is marked as having left, its local copy kept.
    pub async fn sync_once(&self) -> Result<TeamSyncReport, WorkspaceError> {
        let _one_at_a_time = self.syncing.lock().await;
        let link = self.current().await?;
        let result = self.exchange(&link).await;
        match &result {
            Ok(_) => self.note_error(None).await?,
            Err(WorkspaceError::Left(reason)) => {
                self.mark_left(reason).await?;
                self.secrets.delete(&self.secret_key())?;
                self.note_error(Some(format!("refused: {reason}"))).await?;
            }
            Err(WorkspaceError::Offline(_)) => self.note_error(Some("offline".into())).await?,
            Err(error) => self.note_error(Some(format!("refused: {error}"))).await?,
        }
        self.announce().await;
        result
    }

    async fn exchange(&self, link: &Link) -> Result<TeamSyncReport, WorkspaceError> {
        let hub = self.connect(link).await?;
        let result = async {
            let mut report = TeamSyncReport::default();
            if link.access != TeamAccess::ReadOnly {
                // Pipelines and custom fields made before they were shared go with the rest.
                self.crm.share_config(link.access == TeamAccess::Owner).await?;
                report.pushed = self.push(&hub, link).await?;
            }
            self.pull(&hub, link, &mut report).await?;
            // With nobody running the Whop automations, a desktop that syncs Whop takes them
            // (after the pull, so a choice made elsewhere is seen first).
            if link.access != TeamAccess::ReadOnly
                && self.crm.whop_desktop().await?.is_none()
                && self.syncs_whop().await?
            {
                self.crm.set_whop_desktop(&self.node).await?;
                report.pushed += self.push(&hub, &self.current().await?).await?;
            }
            Ok(report)
        }
        .await;
        hub.close().await;
        result
    }

    async fn push(&self, hub: &Hub, link: &Link) -> Result<u64, WorkspaceError> {
        let mut after = link.pushed_seq;
        let mut pushed = 0;
        loop {
            let own = self.crm.own_changes(after, BATCH).await?;
            let Some(last) = own.last().map(|c| c.seq) else { break };
            self.refuse_a_clock_ahead(hub, own.iter().map(|c| c.change.hlc.as_str()).max()).await?;
            let changes: Vec<crate::team::Change> = own
                .into_iter()
                .map(|own| {
                    let SharedChange { hlc, record_kind, record_id, op, field, value } = own.change;
                    crate::team::Change {
                        node: self.node.clone(),
                        node_seq: own.seq,
                        hlc,
                        record_kind,
                        record_id,
                        op,
                        field,
                        value,
                    }
                })
                .collect();
            match hub.push(link.workspace, &changes).await {
                Ok(added) => pushed += added,
                Err(TeamError::Refused(why)) => {
                    if hub.me(link.workspace).await.ok().flatten().is_none() {
                        return Err(WorkspaceError::Left("removed by the workspace's owner".into()));
                    }
                    return Err(TeamError::Refused(why).into());
                }
                Err(other) => return Err(other.into()),
            }
            after = last;
            sqlx::query("UPDATE team_link SET pushed_seq = ?, last_push_at = ? WHERE id = 1")
                .bind(after)
                .bind(time::format(time::now()))
                .execute(self.store.pool())
                .await?;
        }
        Ok(pushed)
    }

    /// Refuses to push changes stamped further ahead of the hub's clock than the margin (and a
    /// desktop whose clock is that far ahead, even with nothing to push).
    async fn refuse_a_clock_ahead(&self, hub: &Hub, newest: Option<&str>) -> Result<(), WorkspaceError> {
        let hub_now = hub.server_time().await?;
        let newest = newest.and_then(crate::store::stamp_time).into_iter().chain([chrono::Utc::now()]).max();
        let ahead = newest.map(|at| (at - hub_now).num_seconds()).unwrap_or_default();
        if ahead > CLOCK_MARGIN_SECS {
            return Err(WorkspaceError::ClockAhead { ahead_secs: ahead, margin_secs: CLOCK_MARGIN_SECS });
        }
        Ok(())
    }

    async fn pull(&self, hub: &Hub, link: &Link, report: &mut TeamSyncReport) -> Result<(), WorkspaceError> {
        let mut after = link.pulled_seq;
        let mut emails: HashMap<String, String> = HashMap::new();
        loop {
            let pulled = hub.pull(link.workspace, after, BATCH).await?;
            let Some(last) = pulled.last().map(|p| p.seq) else { break };
            if pulled.iter().any(|p| !emails.contains_key(&p.author)) {
                emails = hub.members(link.workspace).await?.into_iter().map(|m| (m.role, m.email)).collect();
            }
            report.pulled += pulled.len() as u64;
            let theirs: Vec<TeamChange> = pulled
                .into_iter()
                .filter(|p| p.change.node != self.node)
                .map(|p| TeamChange {
                    hub_seq: p.seq,
                    author: emails.get(&p.author).cloned().unwrap_or_else(|| p.author.clone()),
                    node: p.change.node,
                    change: SharedChange {
                        hlc: p.change.hlc,
                        record_kind: p.change.record_kind,
                        record_id: p.change.record_id,
                        op: p.change.op,
                        field: p.change.field,
                        value: p.change.value,
                    },
                })
                .collect();
            let merged = self.crm.merge_team_changes(&self.node, &theirs).await?;
            report.applied += merged.applied;
            report.superseded += merged.superseded;
            report.held = merged.held;
            after = last;
            sqlx::query("UPDATE team_link SET pulled_seq = ?, last_pull_at = ? WHERE id = 1")
                .bind(after)
                .bind(time::format(time::now()))
                .execute(self.store.pool())
                .await?;
        }
        // What waits for a record here (a duplicate email the user has since resolved) is tried
        // again even when nothing new came.
        if report.pulled == 0 && self.crm.team_changes_held().await? > 0 {
            report.held = self.crm.merge_team_changes(&self.node, &[]).await?.held;
        }
        Ok(())
    }
}
