//! Messaging a customer on Whop: one outbox operation (`message.send`) per message. When it goes
//! out, `POST /dm_channels` opens the DM channel with the customer (Whop returns the existing one,
//! as the SDK's `dmChannels.create` says), then `POST /messages` sends the text in it, under the
//! operation's idempotency key. A resend after a crash or a lost answer therefore sends nothing
//! twice: the channel create is idempotent by nature (and carries a key derived from the
//! operation's), and the message is answered from Whop's stored result of its key.
//!
//! Whop keeps a key for 24 hours. Unlike a refund or a membership change, a message cannot be
//! checked afterwards without reading the conversation (`chat:read`, which Dealdesk does not ask
//! for), so an operation whose key Whop may have forgotten is stopped with a reason instead of
//! being sent again: Retry sends it again under a new key, once the seller has looked.

use super::Whop;
use super::actions::{TARGET, request};
use super::client::{WriteOutcome, WriteRequest};
use super::error::WhopError;
use dealdesk_model::outbox::MessageRecipient;
use dealdesk_model::{RecordRef, TimelineEvent, TimelineEventKind, UpdateSource};
use dealdesk_outbox::queue::NewOperation;
use dealdesk_store::time;
use serde_json::{Map, Value, json};
use sqlx::{SqliteConnection, SqlitePool};

pub const ACTION: &str = "message.send";
/// Operations are per Whop user: messages to one customer go out in the order they were written.
pub const RECORD_KIND: &str = "whop_user";
/// Whop documents no limit; this is Dealdesk's, well above a chat message and well below what
/// would make a queued operation unwieldy.
pub use dealdesk_model::outbox::MAX_WHOP_MESSAGE_CHARS as MAX_MESSAGE_CHARS;
/// How much of a message a summary or a timeline line shows.
const EXCERPT_CHARS: usize = 80;

fn invalid(message: impl Into<String>) -> WhopError {
    WhopError::InvalidAction(message.into())
}

/// The first `max` characters of `text` on one line, with "…" when cut.
fn excerpt(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// The idempotency key of the channel create that goes with an operation's key.
fn channel_key(key: &str) -> String {
    format!("{key}.dm-channel")
}

/// The text as it goes out, or why it cannot.
fn check_text(text: &str) -> Result<&str, WhopError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("a Whop message needs some text"));
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(invalid(format!("a Whop message is at most {MAX_MESSAGE_CHARS} characters; this one has {chars}")));
    }
    Ok(text)
}

/// The person's name, or why they cannot be messaged.
async fn person_name(conn: &mut SqliteConnection, id: uuid::Uuid) -> Result<String, WhopError> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT trim(first_name || ' ' || last_name), deleted_at FROM person WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        None => Err(invalid(format!("no person {id} is known here"))),
        Some((name, Some(_))) => Err(invalid(format!("{name} is in the trash: restore them to message them on Whop"))),
        Some((name, None)) => Ok(name),
    }
}

/// The Whop user a message goes to, and a name for the summary.
async fn recipient(conn: &mut SqliteConnection, to: &MessageRecipient) -> Result<(String, String), WhopError> {
    match to {
        MessageRecipient::Person(id) => {
            let name = person_name(conn, *id).await?;
            let users: Vec<String> =
                sqlx::query_scalar("SELECT user_id FROM whop_person WHERE person_id = ? ORDER BY user_id")
                    .bind(id.to_string())
                    .fetch_all(&mut *conn)
                    .await?;
            match users.as_slice() {
                [] => Err(invalid(format!(
                    "{name} has no Whop account: only customers synced from Whop can be messaged on Whop"
                ))),
                [user] => Ok((user.clone(), name)),
                several => Err(invalid(format!(
                    "{name} has {} Whop accounts ({}): message one of them by its Whop user id",
                    several.len(),
                    several.join(", ")
                ))),
            }
        }
        MessageRecipient::WhopUser(user) => {
            let person: Option<String> = sqlx::query_scalar("SELECT person_id FROM whop_person WHERE user_id = ?")
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            let Some(person) = person.and_then(|p| uuid::Uuid::parse_str(&p).ok()) else {
                return Err(invalid(format!(
                    "no Whop customer {user} is known here: check the id, or sync Whop first"
                )));
            };
            Ok((user.clone(), person_name(conn, person).await?))
        }
    }
}

/// Checks a message and builds its outbox operation (nothing is written).
pub(super) async fn prepare(
    conn: &mut SqliteConnection,
    to: &MessageRecipient,
    text: &str,
) -> Result<NewOperation, WhopError> {
    let text = check_text(text)?;
    let (user, name) = recipient(conn, to).await?;
    let mut payload = request("POST", "/messages".into(), json!({ "content": text }));
    // The channel is opened (or found) when the message goes out; its id goes into the body then.
    payload["dm_channel"] = json!({ "with_user_ids": [user] });
    Ok(NewOperation {
        target: TARGET,
        action: ACTION,
        record_kind: RECORD_KIND,
        summary: format!("Message {name} on Whop: \"{}\"", excerpt(text, EXCERPT_CHARS)),
        record_id: user,
        payload,
        optimistic: Map::new(),
        base: Map::new(),
    })
}

impl Whop {
    /// Opens (or finds) the DM channel a queued message goes to: its id, or what to do instead of
    /// sending the message.
    pub(super) async fn open_dm_channel(
        &self,
        channel: &Value,
        idempotency_key: &str,
        api_version: &str,
    ) -> Result<String, WriteOutcome> {
        let request = WriteRequest {
            method: reqwest::Method::POST,
            path: "/dm_channels".into(),
            body: Some(channel.clone()),
            idempotency_key: channel_key(idempotency_key),
            api_version: api_version.to_string(),
        };
        match self.api.write(request).await {
            WriteOutcome::Confirmed(answer) => match answer.get("id").and_then(Value::as_str) {
                Some(id) => Ok(id.to_string()),
                None => Err(WriteOutcome::Retry {
                    wait: None,
                    error: WhopError::Decode {
                        url: format!("{}/dm_channels", self.config().api_url),
                        message: "the DM channel Whop answered has no id".into(),
                    },
                }),
            },
            other => Err(other),
        }
    }
}

/// Notes Whop's id of a sent message on its operation (for the person's timeline).
pub(super) async fn record_sent(conn: &mut SqliteConnection, op_id: i64, answer: &Value) -> Result<(), WhopError> {
    if let Some(id) = answer.get("id").and_then(Value::as_str) {
        sqlx::query("UPDATE outbox SET payload = json_set(payload, '$.sent_message_id', ?) WHERE id = ?")
            .bind(id)
            .bind(op_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Why an operation whose key Whop may have forgotten is not sent again.
pub(super) fn unverifiable(first_sent: chrono::DateTime<chrono::Utc>) -> WhopError {
    WhopError::MessageMayHaveArrived { first_sent: time::format(first_sent) }
}

#[derive(sqlx::FromRow)]
struct SentRow {
    id: i64,
    content: Option<String>,
    message_id: Option<String>,
    finished_at: Option<String>,
    source: String,
}

/// Messages Whop took for a person (through their Whop users), newest first.
pub(super) async fn timeline_events(
    pool: &SqlitePool,
    record: RecordRef,
    limit: i64,
) -> Result<Vec<TimelineEvent>, WhopError> {
    let rows: Vec<SentRow> = sqlx::query_as(
        "SELECT id, json_extract(payload, '$.body.content') AS content,
                json_extract(payload, '$.sent_message_id') AS message_id, finished_at, source
         FROM outbox
         WHERE target = ?1 AND action = ?2 AND status = 'done' AND record_kind = ?3
           AND record_id IN (SELECT user_id FROM whop_person WHERE person_id = ?4)
         ORDER BY finished_at DESC LIMIT ?5",
    )
    .bind(TARGET)
    .bind(ACTION)
    .bind(RECORD_KIND)
    .bind(record.id.to_string())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let at = time::parse(row.finished_at.as_deref()?).ok()?;
            Some(TimelineEvent {
                // Below payments (-rowid) and refunds (-(rowid + 2^40)), so none of them collide.
                seq: -(row.id + (1 << 41)),
                at,
                hlc: String::new(),
                record,
                source: UpdateSource::parse(&row.source).unwrap_or(UpdateSource::Ui),
                author: None,
                kind: TimelineEventKind::WhopMessage {
                    message_id: row.message_id,
                    excerpt: excerpt(row.content.as_deref().unwrap_or_default(), 200),
                },
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_checked_and_excerpts_cut_on_a_character() {
        assert!(check_text("  \n\t ").is_err());
        assert_eq!(check_text("  hi there \n").unwrap(), "hi there");
        assert!(check_text(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        let too_long = check_text(&"x".repeat(MAX_MESSAGE_CHARS + 1)).unwrap_err().to_string();
        assert!(too_long.contains("at most 4000") && too_long.contains("4001"), "{too_long}");
        assert_eq!(excerpt("Hello\n\nthere", 80), "Hello there");
        assert_eq!(excerpt("ééééé", 3), "ééé…");
        assert_eq!(channel_key("k1"), "k1.dm-channel");
    }
}
