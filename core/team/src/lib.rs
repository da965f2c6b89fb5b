//! Team workspaces (docs/team.md): the PostgreSQL hub several desktops share. Its schema, roles
//! and row-level security (`hub.sql`), the owner's operations (create a workspace, invite, remove),
//! join codes, and the two exchanges every desktop makes: push its changes, pull the others' in
//! the hub's commit order. Each desktop keeps its SQLite database as the working copy; applying
//! pulled changes to it is the app's, above this crate.

pub mod error;
pub mod join_code;
pub mod merge;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use error::TeamError;
pub use join_code::JoinCode;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use uuid::Uuid;

/// The hub schema this Dealdesk writes and reads.
pub const SCHEMA_VERSION: i32 = dealdesk_model::team::HUB_SCHEMA_VERSION;

/// The hub's schema: version 1 (`hub.sql`), then each upgrade to the version it names. A new hub
/// gets them all; a hub at an older version gets the rest when its owner allows (`upgrade`).
const UPGRADES: &[(i32, &str)] = &[(2, include_str!("hub_v2.sql"))];

/// A member's rights in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Owner,
    Member,
    ReadOnly,
}

impl Access {
    pub fn name(self) -> &'static str {
        match self {
            Access::Owner => "owner",
            Access::Member => "member",
            Access::ReadOnly => "read_only",
        }
    }

    /// The group role whose privileges the member's own role gets.
    fn group(self) -> &'static str {
        match self {
            Access::Owner | Access::Member => "dealdesk_writer",
            Access::ReadOnly => "dealdesk_reader",
        }
    }
}

/// One field's change as a desktop's change log stamps it, pushed as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub node: String,
    pub node_seq: i64,
    pub hlc: String,
    pub record_kind: String,
    pub record_id: String,
    pub op: String,
    pub field: Option<String>,
    pub value: Option<serde_json::Value>,
}

/// A change as the hub hands it out: its number in the hub's commit order and who pushed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulled {
    pub seq: i64,
    pub author: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub email: String,
    pub role: String,
    pub access: Access,
    pub joined: bool,
    pub removed: bool,
}

/// Where a hub is: a host name or a Unix socket's directory (starting with `/`), the port, the
/// database, and the connection's `sslmode` (`prefer` by default: TLS when the server offers it;
/// `verify-full` checks the server's certificate and name, docs/team.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubAddress {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub ssl_mode: String,
}

impl HubAddress {
    /// Reads `postgres://ROLE[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&host=/socket/dir]`: the
    /// address, the role and the password if the URL has one.
    pub fn from_url(url: &str) -> Result<(HubAddress, String, Option<String>), TeamError> {
        use std::str::FromStr;
        let bad = |why: &str| TeamError::BadUrl(format!("{why} (expected postgres://OWNER@HOST/DATABASE)"));
        let options = PgConnectOptions::from_str(url.trim()).map_err(|e| bad(&e.to_string()))?;
        let parsed = url::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        let role = options.get_username().to_string();
        if parsed.username().is_empty() {
            return Err(bad("it names no role"));
        }
        let database = options.get_database().ok_or_else(|| bad("it names no database"))?.to_string();
        let host = match options.get_socket() {
            Some(dir) => dir.display().to_string(),
            None => options.get_host().to_string(),
        };
        let ssl_mode = parsed
            .query_pairs()
            .find(|(key, _)| key == "sslmode")
            .map_or_else(|| "prefer".to_string(), |(_, mode)| mode.to_string());
        let password =
            parsed.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
        let address = HubAddress { host, port: options.get_port(), database, ssl_mode };
        address.ssl()?;
        Ok((address, role, password))
    }

    fn ssl(&self) -> Result<sqlx::postgres::PgSslMode, TeamError> {
        use std::str::FromStr;
        sqlx::postgres::PgSslMode::from_str(&self.ssl_mode)
            .map_err(|_| TeamError::BadUrl(format!("sslmode '{}' is not one PostgreSQL knows", self.ssl_mode)))
    }

    /// How to connect as `role`.
    pub fn options(&self, role: &str, password: &str) -> Result<PgConnectOptions, TeamError> {
        let options = PgConnectOptions::new_without_pgpass()
            .port(self.port)
            .database(&self.database)
            .username(role)
            .password(password)
            .ssl_mode(self.ssl()?)
            .application_name("dealdesk");
        Ok(if self.host.starts_with('/') { options.socket(&self.host) } else { options.host(&self.host) })
    }
}

impl JoinCode {
    pub fn address(&self) -> HubAddress {
        HubAddress {
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            ssl_mode: "prefer".into(),
        }
    }
}

/// A connection to a hub, as the role its options name (the owner's, or a member's own).
#[derive(Clone)]
pub struct Hub {
    pool: PgPool,
}

/// Member roles are named `dd_` and 16 hex digits, made here: never text from outside, since
/// `CREATE ROLE` takes no parameters.
pub(crate) fn is_member_role(name: &str) -> bool {
    name.len() == 19 && name.starts_with("dd_") && name[3..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A member's password after joining: 48 hex digits (never text from outside, as `ALTER ROLE`
/// takes no parameters).
pub fn new_password() -> String {
    random_hex(24)
}

fn random_hex(bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes * 2 {
        out.push_str(&Uuid::new_v4().simple().to_string());
    }
    out.truncate(bytes * 2);
    out
}

impl Hub {
    pub async fn connect(options: PgConnectOptions) -> Result<Hub, TeamError> {
        // A hub that cannot be reached is "offline" after a few seconds, not after the pool's
        // default half minute of retries.
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Hub { pool })
    }

    /// The hub's schema version, or `NotInitialised` on a database without one.
    pub async fn schema_version(&self) -> Result<i32, TeamError> {
        let installed: bool =
            sqlx::query_scalar("SELECT to_regclass('dealdesk.hub') IS NOT NULL").fetch_one(&self.pool).await?;
        if !installed {
            return Err(TeamError::NotInitialised);
        }
        sqlx::query_scalar("SELECT schema_version FROM dealdesk.hub WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
            .ok_or(TeamError::NotInitialised)
    }

    /// Refuses a hub newer than this Dealdesk ("update Dealdesk").
    pub async fn check_version(&self) -> Result<(), TeamError> {
        match self.schema_version().await? {
            hub if hub > SCHEMA_VERSION => Err(TeamError::HubIsNewer { hub, ours: SCHEMA_VERSION }),
            _ => Ok(()),
        }
    }

    /// `team init`: installs the hub on an empty database (as its owner, a role that may create
    /// roles) and creates the first workspace, with the connected role as its owner.
    pub async fn init(&self, workspace: &str, owner_email: &str) -> Result<Uuid, TeamError> {
        self.init_at_version(workspace, owner_email, SCHEMA_VERSION).await
    }

    /// `init`, stopping at an older schema version: how a hub made by an older Dealdesk looks
    /// (the upgrade's tests).
    pub async fn init_at_version(&self, workspace: &str, owner_email: &str, version: i32) -> Result<Uuid, TeamError> {
        let email = checked_email(owner_email)?;
        match self.schema_version().await {
            Ok(version) => return Err(TeamError::AlreadyInitialised(version)),
            Err(TeamError::NotInitialised) => {}
            Err(other) => return Err(other),
        }
        let mut tx = self.pool.begin().await?;
        // Group roles are the server's, shared by every hub on it: made once.
        for group in ["dealdesk_writer", "dealdesk_reader"] {
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(group)
                .fetch_one(&mut *tx)
                .await?;
            if !exists {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE ROLE {group} NOLOGIN"))).execute(&mut *tx).await?;
            }
        }
        sqlx::raw_sql(include_str!("hub.sql")).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO dealdesk.hub (id, schema_version) VALUES (1, 1)").execute(&mut *tx).await?;
        for (step, script) in UPGRADES.iter().filter(|(step, _)| *step <= version) {
            tracing::debug!(step, "team: installing a hub schema step");
            sqlx::raw_sql(*script).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.create_workspace(workspace, &email).await
    }

    /// `team upgrade-hub`: brings a hub made by an older Dealdesk to this one's schema, in one
    /// transaction, as the owner allows (only the role that owns the hub's schema can). Returns
    /// the version it was at; a hub already current is left as it is.
    pub async fn upgrade(&self) -> Result<i32, TeamError> {
        let mut tx = self.pool.begin().await?;
        let installed: Option<i32> =
            sqlx::query_scalar("SELECT schema_version FROM dealdesk.hub WHERE id = 1 FOR UPDATE")
                .fetch_optional(&mut *tx)
                .await
                .map_err(TeamError::from_hub)?;
        let from = installed.ok_or(TeamError::NotInitialised)?;
        if from > SCHEMA_VERSION {
            return Err(TeamError::HubIsNewer { hub: from, ours: SCHEMA_VERSION });
        }
        for (_, script) in UPGRADES.iter().filter(|(step, _)| *step > from) {
            sqlx::raw_sql(*script).execute(&mut *tx).await.map_err(TeamError::from_hub)?;
        }
        tx.commit().await?;
        Ok(from)
    }

    /// Another workspace on the same hub, owned by the connected role.
    pub async fn create_workspace(&self, name: &str, owner_email: &str) -> Result<Uuid, TeamError> {
        let email = checked_email(owner_email)?;
        let id = Uuid::new_v4();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO dealdesk.workspace (id, name) VALUES ($1, $2)")
            .bind(id)
            .bind(name.trim())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO dealdesk.member (workspace_id, role_name, email, access, joined_at)
             VALUES ($1, session_user, $2, 'owner', now())",
        )
        .bind(id)
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `team invite`: a role of the member's own with a one-time password, and the code that
    /// carries it. `host`/`port`/`database`: how the member's desktop reaches this hub.
    pub async fn invite(
        &self,
        workspace: Uuid,
        email: &str,
        access: Access,
        host: &str,
        port: u16,
        database: &str,
    ) -> Result<JoinCode, TeamError> {
        let email = checked_email(email)?;
        let role = format!("dd_{}", random_hex(8));
        let password = random_hex(24);
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO dealdesk.member (workspace_id, role_name, email, access) VALUES ($1, $2, $3, $4)")
            .bind(workspace)
            .bind(&role)
            .bind(&email)
            .bind(access.name())
            .execute(&mut *tx)
            .await
            .map_err(TeamError::from_hub)?;
        // Both names are made above from hex digits only.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE {}",
            access.group()
        )))
        .execute(&mut *tx)
        .await
        .map_err(TeamError::from_hub)?;
        tx.commit().await?;
        Ok(JoinCode { host: host.to_string(), port, database: database.to_string(), workspace, role, password })
    }

    /// `team remove`: the member's role can no longer log in, every policy stops answering it at
    /// once (on connections already open too), and its sessions are ended where the server lets
    /// the owner do so.
    pub async fn remove(&self, workspace: Uuid, email: &str) -> Result<(), TeamError> {
        let email = checked_email(email)?;
        let role: Option<String> = sqlx::query_scalar(
            "UPDATE dealdesk.member SET removed_at = coalesce(removed_at, now())
             WHERE workspace_id = $1 AND email = $2 AND access != 'owner' RETURNING role_name",
        )
        .bind(workspace)
        .bind(&email)
        .fetch_optional(&self.pool)
        .await?;
        let role = role.ok_or_else(|| TeamError::NoSuchMember(email.clone()))?;
        if !is_member_role(&role) {
            return Err(TeamError::NoSuchMember(email));
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER ROLE {role} NOLOGIN"))).execute(&self.pool).await?;
        let ended = sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1")
            .bind(&role)
            .execute(&self.pool)
            .await;
        if let Err(error) = ended {
            tracing::info!(%error, "the removed member's open sessions were left to the policies");
        }
        Ok(())
    }

    pub async fn members(&self, workspace: Uuid) -> Result<Vec<Member>, TeamError> {
        let rows: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
            "SELECT email, role_name, access, joined_at IS NOT NULL, removed_at IS NOT NULL
             FROM dealdesk.member WHERE workspace_id = $1 ORDER BY invited_at, email",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(email, role, access, joined, removed)| Member {
                email,
                role,
                access: match access.as_str() {
                    "owner" => Access::Owner,
                    "member" => Access::Member,
                    _ => Access::ReadOnly,
                },
                joined,
                removed,
            })
            .collect())
    }

    /// `team join`: the first connection with a join code's one-time password replaces it with
    /// `password` (made by [`new_password`] and put in the keyring first, so a keyring that
    /// fails never leaves a member locked out) and marks the member joined.
    pub async fn join(&self, code: &JoinCode, password: &str) -> Result<(), TeamError> {
        self.check_version().await?;
        if password.len() < 32 || !password.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(TeamError::BadJoinCode("the new password must be 32 or more hex digits".into()));
        }
        // One transaction: both or neither (the code stays usable if this fails), and one
        // connection: once the password changed, a new connection of the pool (made while the
        // first is being returned to it) would log in with the old one.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT dealdesk.joined($1)")
            .bind(code.workspace)
            .execute(&mut *tx)
            .await
            .map_err(TeamError::from_hub)?;
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER ROLE CURRENT_USER PASSWORD '{password}'")))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends changes; those the hub already has (by node and node_seq) change nothing. Returns how
    /// many were new.
    pub async fn push(&self, workspace: Uuid, changes: &[Change]) -> Result<u64, TeamError> {
        let added: i64 = sqlx::query_scalar("SELECT dealdesk.push($1, $2)")
            .bind(workspace)
            .bind(sqlx::types::Json(changes))
            .fetch_one(&self.pool)
            .await
            .map_err(TeamError::from_hub)?;
        Ok(u64::try_from(added).unwrap_or_default())
    }

    /// The hub's clock, which a desktop's stamps are checked against before they are pushed.
    pub async fn server_time(&self) -> Result<chrono::DateTime<chrono::Utc>, TeamError> {
        Ok(sqlx::query_scalar("SELECT now()").fetch_one(&self.pool).await?)
    }

    /// The connected role's own membership of `workspace` (email, access), `None` once removed.
    pub async fn me(&self, workspace: Uuid) -> Result<Option<Member>, TeamError> {
        let members = self.members(workspace).await?;
        let role: String = sqlx::query_scalar("SELECT session_user::text").fetch_one(&self.pool).await?;
        Ok(members.into_iter().find(|m| m.role == role && !m.removed))
    }

    /// The name of a workspace, as the connected role may see it.
    pub async fn workspace_name(&self, workspace: Uuid) -> Result<Option<String>, TeamError> {
        Ok(sqlx::query_scalar("SELECT name FROM dealdesk.workspace WHERE id = $1")
            .bind(workspace)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Up to `limit` changes after `after`, in the hub's commit order.
    pub async fn pull(&self, workspace: Uuid, after: i64, limit: i64) -> Result<Vec<Pulled>, TeamError> {
        type Row =
            (i64, String, String, i64, String, String, String, String, Option<String>, Option<serde_json::Value>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, author, node, node_seq, hlc, record_kind, record_id, op, field, value
             FROM dealdesk.change WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(workspace)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(TeamError::from_hub)?;
        Ok(rows
            .into_iter()
            .map(|(seq, author, node, node_seq, hlc, record_kind, record_id, op, field, value)| Pulled {
                seq,
                author,
                change: Change { node, node_seq, hlc, record_kind, record_id, op, field, value },
            })
            .collect())
    }
}

fn checked_email(email: &str) -> Result<String, TeamError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(email) } else { Err(TeamError::BadEmail(email)) }
}
