//! The merge rules (docs/team.md, "Merge rules") as a pure state: every change a workspace has
//! seen, folded so that the order of arrival and repeats do not matter. Per field, the change
//! with the greater (HLC, node) wins; a delete and a restore are changes of the record's
//! `deleted` field like any other; tags and links are members of a set, each present or absent by
//! its latest change. A desktop applies pulled changes by the same rule; the convergence test
//! compares every desktop with this state computed from all edits.

use crate::Change;
use dealdesk_model::team::member_slot;
use serde_json::Value;
use std::collections::BTreeMap;

/// When and where a change was made: ordered by the HLC (fixed-width hex first, so text order is
/// time order), then by node, so two desktops always agree on which change is later.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub hlc: String,
    pub node: String,
}

impl Stamp {
    pub fn of(change: &Change) -> Stamp {
        Stamp { hlc: change.hlc.clone(), node: change.node.clone() }
    }
}

/// What a record is after every change seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergedRecord {
    pub fields: BTreeMap<String, (Value, Stamp)>,
    /// In the trash or not, by the latest delete, restore or create.
    pub deleted: Option<(bool, Stamp)>,
    /// `tag:NAME` and `link:FIELD:ID` (`dealdesk_model::team::member_slot`), each present or not
    /// by its latest change.
    pub members: BTreeMap<String, (bool, Stamp)>,
}

impl MergedRecord {
    pub fn is_live(&self) -> bool {
        self.deleted.as_ref().is_some_and(|(deleted, _)| !deleted)
    }

    pub fn tags(&self) -> Vec<&str> {
        self.members
            .iter()
            .filter(|(_, (present, _))| *present)
            .filter_map(|(key, _)| key.strip_prefix("tag:"))
            .collect()
    }
}

/// What applying one change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It is now the latest word on at least one field.
    Won,
    /// Everything it says was already said later (or it was seen before).
    Superseded,
    /// An operation this version does not know; kept on the hub, ignored here.
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    records: BTreeMap<(String, String), MergedRecord>,
}

impl Merged {
    pub fn record(&self, kind: &str, id: &str) -> Option<&MergedRecord> {
        self.records.get(&(kind.to_string(), id.to_string()))
    }

    pub fn records(&self) -> impl Iterator<Item = (&(String, String), &MergedRecord)> {
        self.records.iter()
    }

    pub fn apply(&mut self, change: &Change) -> Applied {
        let stamp = Stamp::of(change);
        let record = self.records.entry((change.record_kind.clone(), change.record_id.clone())).or_default();
        let value = change.value.clone().unwrap_or(Value::Null);
        let won = match (change.op.as_str(), change.field.as_deref()) {
            ("create", _) => {
                // The snapshot's fields, each as if written by this change; and the record live.
                let mut won = later(&mut record.deleted, false, &stamp);
                if let Value::Object(snapshot) = value {
                    for (field, value) in snapshot {
                        won |= later_in(&mut record.fields, field, value, &stamp);
                    }
                }
                won
            }
            ("update", Some(field)) => later_in(&mut record.fields, field.to_string(), value, &stamp),
            ("delete", _) => later(&mut record.deleted, true, &stamp),
            ("restore", _) => later(&mut record.deleted, false, &stamp),
            ("tag" | "untag" | "link", _) => {
                let Some(slot) = member_slot(&change.op, change.field.as_deref(), change.value.as_ref()) else {
                    return Applied::Unknown;
                };
                later_in(&mut record.members, slot, change.op != "untag", &stamp)
            }
            _ => return Applied::Unknown,
        };
        if won { Applied::Won } else { Applied::Superseded }
    }

    /// Every record as canonical JSON: what two desktops compare. A field whose value is null is
    /// left out, as a database column cannot tell "never set" from "set to nothing".
    pub fn dump(&self) -> Value {
        let records: Vec<Value> = self
            .records
            .iter()
            .map(|((kind, id), r)| {
                let fields: serde_json::Map<String, Value> = r
                    .fields
                    .iter()
                    .filter(|(_, (v, _))| !v.is_null())
                    .map(|(k, (v, _))| (k.clone(), v.clone()))
                    .collect();
                let members: Vec<&String> = r.members.iter().filter(|(_, (p, _))| *p).map(|(k, _)| k).collect();
                serde_json::json!({
                    "kind": kind, "id": id, "live": r.is_live(), "fields": fields, "members": members,
                })
            })
            .collect();
        Value::Array(records)
    }
}

/// Sets `slot` to `value` if `stamp` is later than what it holds; whether it did.
fn later(slot: &mut Option<(bool, Stamp)>, value: bool, stamp: &Stamp) -> bool {
    if slot.as_ref().is_some_and(|(_, kept)| kept >= stamp) {
        return false;
    }
    *slot = Some((value, stamp.clone()));
    true
}

/// The same for one key of a map (a field, or a set member).
fn later_in<V>(map: &mut BTreeMap<String, (V, Stamp)>, key: String, value: V, stamp: &Stamp) -> bool {
    if map.get(&key).is_some_and(|(_, kept)| kept >= stamp) {
        return false;
    }
    map.insert(key, (value, stamp.clone()));
    true
}
