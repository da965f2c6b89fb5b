//! The hub on a real PostgreSQL (a private server from Debian's package, on a Unix socket): who
//! may do what is checked as the database roles themselves, with SQL, not through this crate's
//! functions; pushes are idempotent and pulls see the hub's commit order without gaps.
#![allow(clippy::unwrap_used)]

use dealdesk_team::test_support::PrivatePostgres;
use dealdesk_team::{Access, Change, Hub, JoinCode, TeamError};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

fn change(node: &str, node_seq: i64, field: &str, value: &str) -> Change {
    Change {
        node: node.into(),
        node_seq,
        hlc: format!("{node_seq:016x}/{node}"),
        record_kind: "person".into(),
        record_id: "0190f3a1-0000-7000-8000-000000000001".into(),
        op: "update".into(),
        field: Some(field.into()),
        value: Some(serde_json::json!(value)),
    }
}

struct Team {
    server: PrivatePostgres,
    owner: Hub,
    workspace: Uuid,
}

async fn team(database: &str) -> Team {
    let server = PrivatePostgres::start().unwrap();
    let owner = Hub::connect(server.owner_database(database).unwrap()).await.unwrap();
    let workspace = owner.init("Acme sales", "owner@acme.com").await.unwrap();
    Team { server, owner, workspace }
}

impl Team {
    async fn invite(&self, email: &str, access: Access) -> JoinCode {
        let host = self.server.socket_dir().display().to_string();
        let text =
            self.owner.invite(self.workspace, email, access, &host, self.server.port(), "hub").await.unwrap().encode();
        JoinCode::decode(&text).unwrap()
    }

    /// The member's desktop: joins with the code (the one-time password replaced) and connects
    /// again with the new password, as their own role.
    async fn join(&self, code: &JoinCode) -> (Hub, String) {
        let first = Hub::connect(self.server.connect_as(&code.role, &code.password, &code.database)).await.unwrap();
        let password = dealdesk_team::new_password();
        first.join(code, &password).await.unwrap();
        let hub = Hub::connect(self.server.connect_as(&code.role, &password, &code.database)).await.unwrap();
        (hub, password)
    }

    async fn sql_as(&self, role: &str, password: &str) -> PgConnection {
        PgConnection::connect_with(&self.server.connect_as(role, password, "hub")).await.unwrap()
    }
}

#[tokio::test]
async fn members_read_and_write_only_what_their_access_allows_as_the_database_enforces() {
    let t = team("hub").await;
    assert!(matches!(
        t.owner.init("again", "owner@acme.com").await,
        Err(TeamError::AlreadyInitialised(dealdesk_team::SCHEMA_VERSION))
    ));
    let writer_code = t.invite("ann@acme.com", Access::Member).await;
    let reader_code = t.invite("rob@acme.com", Access::ReadOnly).await;
    let (writer, writer_password) = t.join(&writer_code).await;
    let (reader, reader_password) = t.join(&reader_code).await;
    // The one-time password is gone once used.
    assert!(Hub::connect(t.server.connect_as(&writer_code.role, &writer_code.password, "hub")).await.is_err());

    assert_eq!(writer.push(t.workspace, &[change("ann-laptop", 1, "city", "Oslo")]).await.unwrap(), 1);
    // A read-only member's push is refused by the database: through the hub's function, and as
    // plain SQL on the table.
    let refused = reader.push(t.workspace, &[change("rob-laptop", 1, "city", "Rome")]).await;
    assert!(matches!(refused, Err(TeamError::Refused(_))), "{refused:?}");
    let mut rob = t.sql_as(&reader_code.role, &reader_password).await;
    let insert = sqlx::query(
        "INSERT INTO dealdesk.change (workspace_id, seq, node, node_seq, hlc, record_kind, record_id, op, author)
         VALUES ($1, 99, 'rob', 1, 'x', 'person', 'x', 'update', current_user)",
    )
    .bind(t.workspace)
    .execute(&mut rob)
    .await;
    assert!(insert.unwrap_err().to_string().contains("permission denied"));
    let direct_push = sqlx::query("SELECT dealdesk.push($1, '[]')").bind(t.workspace).execute(&mut rob).await;
    assert!(direct_push.unwrap_err().to_string().contains("permission denied"));
    // Everyone in the workspace reads it.
    assert_eq!(reader.pull(t.workspace, 0, 100).await.unwrap().len(), 1);
    // Nobody pushes under another member's desktop: the node is claimed by its first push.
    let impostor = t.owner.push(t.workspace, &[change("ann-laptop", 2, "city", "Paris")]).await;
    assert!(matches!(impostor, Err(TeamError::Refused(_))), "{impostor:?}");
    assert_eq!(writer.push(t.workspace, &[change("ann-laptop", 2, "city", "Bergen")]).await.unwrap(), 1);

    // A second workspace on the same hub: its rows are invisible to the first one's members, as
    // SQL, whatever they ask for.
    let other = t.owner.create_workspace("Other team", "owner@acme.com").await.unwrap();
    let host = t.server.socket_dir().display().to_string();
    let stranger_code =
        t.owner.invite(other, "sam@other.com", Access::Member, &host, t.server.port(), "hub").await.unwrap();
    let (stranger, stranger_password) = t.join(&stranger_code).await;
    stranger.push(other, &[change("sam-desk", 1, "city", "Lima")]).await.unwrap();
    let mut ann = t.sql_as(&writer_code.role, &writer_password).await;
    let visible: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT workspace_id, node FROM dealdesk.change").fetch_all(&mut ann).await.unwrap();
    assert_eq!(visible, vec![(t.workspace, "ann-laptop".to_string()), (t.workspace, "ann-laptop".to_string())]);
    let workspaces: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dealdesk.workspace").fetch_one(&mut ann).await.unwrap();
    assert_eq!(workspaces, 1);
    let members: Vec<String> =
        sqlx::query_scalar("SELECT email FROM dealdesk.member ORDER BY email").fetch_all(&mut ann).await.unwrap();
    assert_eq!(members, ["ann@acme.com", "owner@acme.com", "rob@acme.com"]);
    // Writing into another workspace is refused too.
    assert!(matches!(writer.push(other, &[change("ann-laptop", 2, "city", "x")]).await, Err(TeamError::Refused(_))));
    let mut sam = t.sql_as(&stranger_code.role, &stranger_password).await;
    let theirs: i64 = sqlx::query_scalar("SELECT count(*) FROM dealdesk.change").fetch_one(&mut sam).await.unwrap();
    assert_eq!(theirs, 1);

    // Removed: at once, on the connection already open (nothing more is read, nothing is
    // written), and no new connection is let in.
    t.owner.remove(t.workspace, "ann@acme.com").await.unwrap();
    let after: Result<i64, _> = sqlx::query_scalar("SELECT count(*) FROM dealdesk.change").fetch_one(&mut ann).await;
    assert!(after.is_err() || after.unwrap() == 0, "a removed member reads nothing");
    assert!(writer.push(t.workspace, &[change("ann-laptop", 4, "city", "x")]).await.is_err());
    assert!(Hub::connect(t.server.connect_as(&writer_code.role, &writer_password, "hub")).await.is_err());
    let members = t.owner.members(t.workspace).await.unwrap();
    assert!(members.iter().any(|m| m.email == "ann@acme.com" && m.removed));
    assert!(matches!(t.owner.remove(t.workspace, "nobody@acme.com").await, Err(TeamError::NoSuchMember(_))));
    assert!(matches!(t.owner.remove(t.workspace, "owner@acme.com").await, Err(TeamError::NoSuchMember(_))));
}

#[tokio::test]
async fn pushes_are_idempotent_and_pulls_follow_the_commit_order_without_gaps() {
    let t = team("hub").await;
    let (ann, _) = t.join(&t.invite("ann@acme.com", Access::Member).await).await;
    let (bob, _) = t.join(&t.invite("bob@acme.com", Access::Member).await).await;
    let batch: Vec<Change> = (1..=50).map(|k| change("ann-laptop", k, "city", &format!("city {k}"))).collect();
    assert_eq!(ann.push(t.workspace, &batch).await.unwrap(), 50);
    // The same push again (a crash before the answer came): nothing new.
    assert_eq!(ann.push(t.workspace, &batch).await.unwrap(), 0);
    // Overlapping: only the new half counts.
    let more: Vec<Change> = (26..=75).map(|k| change("ann-laptop", k, "city", &format!("city {k}"))).collect();
    assert_eq!(ann.push(t.workspace, &more).await.unwrap(), 25);

    // Two desktops pushing at once, many times: every change lands once, numbered 1..=n with no
    // gap, and a reader paging through sees each once, in order.
    let pushes = (0..20).map(|round| {
        let (ann, bob, ws) = (ann.clone(), bob.clone(), t.workspace);
        async move {
            let a: Vec<Change> = (0..10).map(|k| change("ann-phone", round * 10 + k, "phone", "a")).collect();
            let b: Vec<Change> = (0..10).map(|k| change("bob-desk", round * 10 + k, "phone", "b")).collect();
            let (x, y) = tokio::join!(ann.push(ws, &a), bob.push(ws, &b));
            x.unwrap() + y.unwrap()
        }
    });
    let mut seen = Vec::new();
    let mut after = 0;
    for push in pushes {
        assert_eq!(push.await, 20);
        let page = bob.pull(t.workspace, after, 7).await.unwrap();
        for pulled in &page {
            seen.push(pulled.seq);
        }
        after = page.last().map_or(after, |p| p.seq);
    }
    loop {
        let page = bob.pull(t.workspace, after, 100).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        seen.extend(page.iter().map(|p| p.seq));
    }
    assert_eq!(seen, (1..=475).collect::<Vec<i64>>());
    let all = ann.pull(t.workspace, 0, 1_000).await.unwrap();
    assert!(all.iter().all(|p| !p.author.is_empty()));
    assert_eq!(all.iter().filter(|p| p.change.node == "bob-desk").count(), 200);
}

#[tokio::test]
async fn a_hub_newer_than_this_dealdesk_is_refused_with_a_clear_message() {
    let t = team("hub").await;
    t.server.superuser_sql("hub", "UPDATE dealdesk.hub SET schema_version = 99").unwrap();
    let code = t.invite("ann@acme.com", Access::Member).await;
    let first = Hub::connect(t.server.connect_as(&code.role, &code.password, "hub")).await.unwrap();
    let refused = first.join(&code, &dealdesk_team::new_password()).await.unwrap_err().to_string();
    assert!(refused.contains("update Dealdesk"), "{refused}");
    assert!(matches!(JoinCode::decode("ddj1.not-base64!"), Err(TeamError::BadJoinCode(_))));
    let bad_email = t.owner.invite(t.workspace, "not an email", Access::Member, "h", 1, "hub").await;
    assert!(matches!(bad_email, Err(TeamError::BadEmail(_))));
}

fn stamped_ahead(node: &str, node_seq: i64, secs: u64) -> Change {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    Change { hlc: format!("{:016x}/1", (now + secs) << 32), ..change(node, node_seq, "city", "Oslo") }
}

/// A hub made by an older Dealdesk (schema version 1) keeps working; only its owner can upgrade
/// it; version 2 refuses, in the database, changes stamped more than 60 s ahead of its clock.
#[tokio::test]
async fn the_owner_upgrades_an_older_hub_which_then_refuses_a_clock_running_ahead() {
    let server = PrivatePostgres::start().unwrap();
    let owner = Hub::connect(server.owner_database("hub").unwrap()).await.unwrap();
    let workspace = owner.init_at_version("Acme", "owner@acme.com", 1).await.unwrap();
    let t = Team { server, owner, workspace };
    assert_eq!(t.owner.schema_version().await.unwrap(), 1);
    let (ann, _) = t.join(&t.invite("ann@acme.com", Access::Member).await).await;
    assert_eq!(
        ann.push(t.workspace, &[stamped_ahead("ann-laptop", 1, 600)]).await.unwrap(),
        1,
        "version 1 has no check"
    );

    let refused = ann.upgrade().await;
    assert!(matches!(refused, Err(TeamError::Refused(_))), "a member cannot upgrade: {refused:?}");
    assert_eq!(t.owner.upgrade().await.unwrap(), 1);
    assert_eq!(t.owner.schema_version().await.unwrap(), dealdesk_team::SCHEMA_VERSION);
    assert_eq!(t.owner.upgrade().await.unwrap(), dealdesk_team::SCHEMA_VERSION, "a second upgrade is a no-op");

    let ahead = ann.push(t.workspace, &[stamped_ahead("ann-laptop", 2, 600)]).await;
    let Err(TeamError::ClockAhead(message)) = ahead else { panic!("{ahead:?}") };
    assert!(message.contains("ahead of the hub's clock"), "{message}");
    assert_eq!(ann.push(t.workspace, &[stamped_ahead("ann-laptop", 3, 20)]).await.unwrap(), 1, "within the margin");
    assert_eq!(ann.pull(t.workspace, 0, 10).await.unwrap().len(), 2, "the refused change is not on the hub");
}
