//! The merge rules as code (`dealdesk_team::merge`): hand-worked cases for each rule, then random
//! edits from several desktops (skewed clocks, repeats) applied in many orders, which must all
//! give the same workspace. Seeded; seeds that once failed go in `KEPT_SEEDS`.
#![allow(clippy::unwrap_used)]

use dealdesk_team::Change;
use dealdesk_team::merge::{Applied, Merged};
use serde_json::json;

const KEPT_SEEDS: &[u64] = &[];

fn at(node: &str, time: u64, op: &str, field: Option<&str>, value: serde_json::Value) -> Change {
    Change {
        node: node.into(),
        node_seq: time as i64,
        hlc: format!("{time:016x}/{node}"),
        record_kind: "person".into(),
        record_id: "p1".into(),
        op: op.into(),
        field: field.map(str::to_string),
        value: (!value.is_null()).then_some(value),
    }
}

fn merged(changes: &[Change]) -> Merged {
    let mut m = Merged::default();
    for c in changes {
        m.apply(c);
    }
    m
}

#[test]
fn the_later_field_change_wins_whatever_the_order_of_arrival() {
    let create = at("a", 1, "create", None, json!({"first_name": "Ann", "city": "Oslo"}));
    let ann = at("a", 5, "update", Some("city"), json!("Rome"));
    let bob = at("b", 7, "update", Some("city"), json!("Lima"));
    for order in [vec![&create, &ann, &bob], vec![&bob, &ann, &create], vec![&ann, &create, &bob]] {
        let m = merged(&order.into_iter().cloned().collect::<Vec<_>>());
        let p = m.record("person", "p1").unwrap();
        assert_eq!(p.fields["city"].0, json!("Lima"));
        assert_eq!(p.fields["first_name"].0, json!("Ann"));
        assert!(p.is_live());
    }
    // The same HLC on two desktops: the node breaks the tie, the same way everywhere.
    let x = at("a", 9, "update", Some("city"), json!("A"));
    let y = at("b", 9, "update", Some("city"), json!("B"));
    assert_eq!(merged(&[x.clone(), y.clone()]), merged(&[y, x]));
}

#[test]
fn a_delete_and_a_concurrent_update_follow_the_stated_rule() {
    let create = at("a", 1, "create", None, json!({"city": "Oslo"}));
    let delete = at("a", 5, "delete", None, json!(null));
    let late_update = at("b", 6, "update", Some("city"), json!("Rome"));
    let early_update = at("b", 4, "update", Some("city"), json!("Lima"));
    // An update after the delete does not bring the record back; its value is kept for a restore.
    let m = merged(&[create.clone(), delete.clone(), late_update.clone()]);
    let p = m.record("person", "p1").unwrap();
    assert!(!p.is_live());
    assert_eq!(p.fields["city"].0, json!("Rome"));
    // A restore does, when it is later than the delete; an earlier one does not.
    let restore = at("b", 8, "restore", None, json!(null));
    assert!(merged(&[create.clone(), restore.clone(), delete.clone()]).record("person", "p1").unwrap().is_live());
    let old_restore = at("b", 3, "restore", None, json!(null));
    assert!(!merged(&[create.clone(), delete.clone(), old_restore]).record("person", "p1").unwrap().is_live());
    // A create arriving after a later delete leaves the record deleted.
    assert!(!merged(&[delete, create, early_update]).record("person", "p1").unwrap().is_live());
}

#[test]
fn tags_are_present_by_their_latest_change_and_repeats_change_nothing() {
    let tag = at("a", 2, "tag", Some("tags"), json!("vip"));
    let untag = at("b", 3, "untag", Some("tags"), json!("vip"));
    let retag = at("a", 4, "tag", Some("tags"), json!("vip"));
    let mut m = Merged::default();
    assert_eq!(m.apply(&untag), Applied::Won);
    assert_eq!(m.apply(&tag), Applied::Superseded);
    assert!(m.record("person", "p1").unwrap().tags().is_empty());
    assert_eq!(m.apply(&retag), Applied::Won);
    assert_eq!(m.apply(&retag), Applied::Superseded, "a change seen twice");
    assert_eq!(m.record("person", "p1").unwrap().tags(), ["vip"]);
    assert_eq!(m.apply(&at("a", 5, "teleport", None, json!(null))), Applied::Unknown);
}

/// A small deterministic generator (xorshift), so a seed names one history.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Edits from five desktops on three records, each desktop's clock skewed and increasing.
fn random_edits(seed: u64) -> Vec<Change> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let nodes = ["n1", "n2", "n3", "n4", "n5"];
    let mut clocks: Vec<u64> = nodes.iter().map(|_| 1_000 + rng.below(50)).collect();
    let mut edits = Vec::new();
    for seq in 0..1_000 {
        let n = rng.below(5) as usize;
        clocks[n] += 1 + rng.below(20);
        let record = format!("r{}", rng.below(3));
        let (op, field, value) = match rng.below(8) {
            0 => ("create", None, json!({"city": format!("c{}", rng.below(9)), "phone": "1"})),
            1 => ("delete", None, json!(null)),
            2 => ("restore", None, json!(null)),
            3 => ("tag", Some("tags"), json!(format!("t{}", rng.below(3)))),
            4 => ("untag", Some("tags"), json!(format!("t{}", rng.below(3)))),
            _ => (
                "update",
                Some(["city", "phone", "email"][rng.below(3) as usize]),
                json!(format!("v{}", rng.below(99))),
            ),
        };
        edits.push(Change {
            node: nodes[n].into(),
            node_seq: seq,
            hlc: format!("{:016x}/{}", clocks[n], nodes[n]),
            record_kind: "person".into(),
            record_id: record,
            op: op.into(),
            field: field.map(str::to_string),
            value: (!value.is_null()).then_some(value),
        });
    }
    edits
}

#[test]
fn any_order_of_arrival_with_repeats_gives_the_same_workspace() {
    for seed in KEPT_SEEDS.iter().copied().chain(1..=20) {
        let edits = random_edits(seed);
        let reference = merged(&edits).dump();
        let mut rng = Rng(seed + 77);
        for _ in 0..5 {
            // A shuffled order, with about a tenth of the changes arriving twice.
            let mut order = edits.clone();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let repeats: Vec<Change> = order.iter().filter(|_| rng.below(10) == 0).cloned().collect();
            order.extend(repeats);
            assert_eq!(merged(&order).dump(), reference, "seed {seed}");
        }
        // The reference is not trivial: records were deleted and restored, tagged and untagged.
        let dump = reference.to_string();
        assert!(dump.contains("\"live\":true") || dump.contains("\"live\":false"), "seed {seed}");
    }
}
