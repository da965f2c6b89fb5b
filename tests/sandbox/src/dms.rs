//! Direct messages: `POST /dm_channels` (a DM channel with one or more users) and `POST /messages`
//! (a message in it), as the pinned SDK defines them (`dmChannels.create`, `messages.create`).
//!
//! Both reach these handlers through the contract's gate (params, types, the version date and
//! `chat:message:create` for messages), then go through the same [`write`] as every other write:
//! `Idempotency-Key` replay and reuse checks, one data lock, the write log. Channels and messages
//! are kept so tests can read back what was sent ([`crate::Sandbox::dm_channels`],
//! [`crate::Sandbox::messages`], `GET /_sandbox/dms`).
//!
//! What the sandbox decides where Whop's documentation is silent: a seller may only open a DM with
//! users who are members of one of their businesses (403 `no_access` otherwise), and a message must
//! have some text. The SDK's `dmChannels.create` says "Returns the existing channel if one already
//! exists": the same users (and the same `company_id` scope) get the same channel back.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AppState;
use crate::api::ApiError;
use crate::contract::shaped;
use crate::data::{Data, PublicUserRef, SELLER_EMAIL, SELLER_NAME, SELLER_USERNAME, Ts, format_ts};
use crate::rng::make_id;
use crate::writes::{Applied, Fields, WriteReq, as_str, field, required, to_json, write};

// Id streams of their own (the seeded data uses salts 1 to 9).
const SALT_DM_CHANNEL: u64 = 20;
const SALT_MESSAGE: u64 = 21;

/// Every DM channel and message sent through the API, oldest first.
#[derive(Default)]
pub struct Dms {
    channels: Vec<DmChannel>,
    messages: Vec<Message>,
}

/// A channel as `dmChannels.create` answers it (`DmChannel`), plus who is in it.
#[derive(Serialize, Clone, Debug)]
struct DmChannel {
    id: String,
    created_at: Ts,
    last_message_at: Option<Ts>,
    name: Option<String>,
    /// The other members (the seller is always in their own channels), as user ids.
    #[serde(skip)]
    users: BTreeSet<String>,
    #[serde(skip)]
    company_id: Option<String>,
}

/// A message as `messages.create` answers it (`Shared.Message`); the fields the sandbox does not
/// model (mentions, reactions, views) are completed by `shaped`.
#[derive(Serialize, Clone, Debug)]
struct Message {
    id: String,
    content: Option<String>,
    created_at: Ts,
    updated_at: Ts,
    is_edited: bool,
    is_pinned: bool,
    mentions_everyone: bool,
    message_type: &'static str,
    poll: Option<Value>,
    replying_to_message_id: Option<String>,
    user: PublicUserRef,
    #[serde(skip)]
    channel_id: String,
}

/// A DM channel as tests read it back.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DmChannelRecord {
    pub id: String,
    /// The users the seller opened it with (user ids, sorted).
    pub with_user_ids: Vec<String>,
    pub company_id: Option<String>,
    pub name: Option<String>,
    pub created_at: String,
    pub last_message_at: Option<String>,
}

/// A message as tests read it back.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MessageRecord {
    pub id: String,
    pub channel_id: String,
    /// The author: always the signed-in seller.
    pub user_id: String,
    pub content: String,
    pub replying_to_message_id: Option<String>,
    pub created_at: String,
}

impl Dms {
    pub fn channels(&self) -> Vec<DmChannelRecord> {
        self.channels
            .iter()
            .map(|c| DmChannelRecord {
                id: c.id.clone(),
                with_user_ids: c.users.iter().cloned().collect(),
                company_id: c.company_id.clone(),
                name: c.name.clone(),
                created_at: format_ts(c.created_at.0),
                last_message_at: c.last_message_at.map(|t| format_ts(t.0)),
            })
            .collect()
    }

    pub fn messages(&self) -> Vec<MessageRecord> {
        self.messages
            .iter()
            .map(|m| MessageRecord {
                id: m.id.clone(),
                channel_id: m.channel_id.clone(),
                user_id: m.user.id.clone(),
                content: m.content.clone().unwrap_or_default(),
                replying_to_message_id: m.replying_to_message_id.clone(),
                created_at: format_ts(m.created_at.0),
            })
            .collect()
    }
}

impl crate::Sandbox {
    /// Every DM channel opened through `POST /dm_channels`, oldest first.
    pub fn dm_channels(&self) -> Vec<DmChannelRecord> {
        self.shared.data().dms.channels()
    }

    /// Every message sent through `POST /messages`, oldest first (a replayed request sends none).
    pub fn messages(&self) -> Vec<MessageRecord> {
        self.shared.data().dms.messages()
    }
}

/// Whether `entry` names the signed-in seller (by id, username or email).
fn is_seller(data: &Data, entry: &str) -> bool {
    entry == data.seller.id || entry.eq_ignore_ascii_case(SELLER_USERNAME) || entry.eq_ignore_ascii_case(SELLER_EMAIL)
}

/// The user id `entry` names (a user id, username or email, as the SDK allows) among the members of
/// the seller's businesses they can still reach; `None` for anyone else.
fn related_user(data: &Data, entry: &str) -> Option<String> {
    data.members
        .iter()
        .filter(|m| m.biz.is_some_and(|b| data.accessible.get(b).copied().unwrap_or(false)))
        .find(|m| {
            m.user.id == entry
                || m.user.username.eq_ignore_ascii_case(entry)
                || m.user.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(entry))
        })
        .map(|m| m.user.id.clone())
}

fn optional_str<'a>(body: &'a Fields, name: &'static str) -> Result<Option<&'a str>, ApiError> {
    field(body, name).map(|v| as_str(v, name)).transpose()
}

/// `POST /dm_channels`: the channel between the seller and `with_user_ids`, new or existing.
pub async fn create_dm_channel(State(s): State<AppState>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let Some(entries) = required(body, "with_user_ids")?.as_array() else {
            return Err(ApiError::invalid("with_user_ids", "with_user_ids must be a list of users".into()));
        };
        let company_id = optional_str(body, "company_id")?;
        if let Some(company) = company_id {
            let reachable = data.accounts.iter().position(|a| a.id == company).is_some_and(|b| data.accessible[b]);
            if !reachable {
                return Err(ApiError::no_access("company_id", company));
            }
        }
        let name = optional_str(body, "custom_name")?.map(str::to_string);
        let mut users = BTreeSet::new();
        for entry in entries {
            let entry = as_str(entry, "with_user_ids")?.trim();
            if is_seller(data, entry) {
                continue;
            }
            let Some(user) = related_user(data, entry) else {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("You can only message users who are members of one of your businesses; {entry} is not"),
                    Some("no_access"),
                    Some("with_user_ids".into()),
                ));
            };
            users.insert(user);
        }
        if users.is_empty() {
            return Err(ApiError::invalid("with_user_ids", "with_user_ids must name at least one other user".into()));
        }
        let company_id = company_id.map(str::to_string);
        // "Returns the existing channel if one already exists" (the SDK's dmChannels.create).
        if let Some(existing) = data.dms.channels.iter().find(|c| c.users == users && c.company_id == company_id) {
            return Ok(Applied {
                object_id: existing.id.clone(),
                response: shaped("dmChannels.create", to_json(existing)),
            });
        }
        let channel = DmChannel {
            id: make_id("feed_", data.seed, SALT_DM_CHANNEL, data.dms.channels.len() as u64),
            created_at: Ts(now),
            last_message_at: None,
            name,
            users,
            company_id,
        };
        let applied =
            Applied { object_id: channel.id.clone(), response: shaped("dmChannels.create", to_json(&channel)) };
        data.dms.channels.push(channel);
        Ok(applied)
    })
}

/// `POST /messages`: a message from the seller in one of their DM channels.
pub async fn create_message(State(s): State<AppState>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let channel_id = as_str(required(body, "channel_id")?, "channel_id")?;
        let content = as_str(required(body, "content")?, "content")?;
        if content.trim().is_empty() {
            return Err(ApiError::invalid("content", "content must not be empty".into()));
        }
        // The sandbox stores no files, so no attachment id can name one.
        if let Some(first) = field(body, "attachments").and_then(Value::as_array).and_then(|a| a.first()) {
            let id = first.get("id").and_then(Value::as_str).unwrap_or_default();
            return Err(ApiError::invalid("attachments", format!("No file found with id {id}")));
        }
        let poll = field(body, "poll").cloned();
        let Some(c) = data.dms.channels.iter().position(|c| c.id == channel_id) else {
            return Err(ApiError::not_found(format!("No channel found with id {channel_id}")));
        };
        let replying_to = optional_str(body, "replying_to_message_id")?;
        if let Some(reply) = replying_to
            && !data.dms.messages.iter().any(|m| m.id == reply && m.channel_id == channel_id)
        {
            return Err(ApiError::invalid(
                "replying_to_message_id",
                format!("No message {reply} in channel {channel_id}"),
            ));
        }
        let message = Message {
            id: make_id("post_", data.seed, SALT_MESSAGE, data.dms.messages.len() as u64),
            content: Some(content.to_string()),
            created_at: Ts(now),
            updated_at: Ts(now),
            is_edited: false,
            is_pinned: false,
            mentions_everyone: false,
            message_type: "regular",
            poll,
            replying_to_message_id: replying_to.map(str::to_string),
            user: PublicUserRef {
                id: data.seller.id.clone(),
                name: Some(SELLER_NAME.into()),
                username: SELLER_USERNAME.into(),
            },
            channel_id: channel_id.to_string(),
        };
        data.dms.channels[c].last_message_at = Some(Ts(now));
        let applied = Applied { object_id: message.id.clone(), response: shaped("messages.create", to_json(&message)) };
        data.dms.messages.push(message);
        Ok(applied)
    })
}
