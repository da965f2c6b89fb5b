//! A list view of records: what is shown, whether it is loading, and the last error.

use dealdesk_model::{Company, Deal, Page, Person};
use std::rc::Rc;
use uuid::Uuid;
use yew::Reducible;

/// A record a list can show, in a stable order.
pub trait Listed: Clone + PartialEq {
    fn id(&self) -> Uuid;
    /// The order the list is sorted by (the core sorts the same way: by name, case-insensitive).
    fn sort_key(&self) -> (String, Uuid);
}

impl Listed for Person {
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self) -> (String, Uuid) {
        (format!("{}\u{0}{}", self.first_name.to_lowercase(), self.last_name.to_lowercase()), self.id)
    }
}

impl Listed for Company {
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self) -> (String, Uuid) {
        (self.name.to_lowercase(), self.id)
    }
}

impl Listed for Deal {
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self) -> (String, Uuid) {
        (self.name.to_lowercase(), self.id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListState<T> {
    pub items: Vec<T>,
    pub loading: bool,
    pub error: Option<String>,
    /// More rows exist beyond the loaded page.
    pub has_more: bool,
}

impl<T> Default for ListState<T> {
    fn default() -> Self {
        ListState { items: Vec::new(), loading: true, error: None, has_more: false }
    }
}

pub enum ListAction<T> {
    Loading,
    Loaded(Page<T>),
    Failed(String),
    /// A record was created or changed here: show it in place without a reload.
    Upsert(T),
}

impl<T: Listed> ListState<T> {
    pub fn apply(&self, action: ListAction<T>) -> ListState<T> {
        let mut next = self.clone();
        match action {
            ListAction::Loading => next.loading = true,
            ListAction::Loaded(page) => {
                next.items = page.items;
                next.has_more = page.next_cursor.is_some();
                next.loading = false;
                next.error = None;
            }
            ListAction::Failed(message) => {
                next.loading = false;
                next.error = Some(message);
            }
            ListAction::Upsert(record) => {
                next.items.retain(|r| r.id() != record.id());
                let key = record.sort_key();
                let at = next.items.partition_point(|r| r.sort_key() < key);
                next.items.insert(at, record);
            }
        }
        next
    }
}

impl<T: Listed + 'static> Reducible for ListState<T> {
    type Action = ListAction<T>;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use dealdesk_model::{Origin, RecordMeta};

    fn person(first: &str, last: &str) -> Person {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Person {
            id: Uuid::from_u128(u128::from(NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed))),
            first_name: first.into(),
            last_name: last.into(),
            email: None,
            phone: None,
            job_title: None,
            city: None,
            linkedin_url: None,
            avatar_url: None,
            company_id: None,
            company_name: None,
            tags: vec![],
            custom: Default::default(),
            meta: RecordMeta {
                created_at: Utc::now(),
                updated_at: Utc::now(),
                deleted_at: None,
                origin: Origin::Local,
            },
        }
    }

    #[test]
    fn loaded_page_replaces_items_and_clears_errors() {
        let state = ListState::default().apply(ListAction::Failed("offline".into()));
        assert_eq!(state.error.as_deref(), Some("offline"));
        let page = Page { items: vec![person("Ann", "Lee")], next_cursor: Some("c".into()) };
        let state = state.apply(ListAction::Loaded(page));
        assert_eq!(state.items.len(), 1);
        assert!(state.has_more && !state.loading && state.error.is_none());
    }

    #[test]
    fn upsert_keeps_name_order_and_replaces_in_place() {
        let mut state = ListState::default().apply(ListAction::Loaded(Page {
            items: vec![person("Ann", "Lee"), person("Zoe", "Park")],
            next_cursor: None,
        }));
        let mia = person("mia", "Chen");
        state = state.apply(ListAction::Upsert(mia.clone()));
        let names: Vec<_> = state.items.iter().map(|p| p.first_name.clone()).collect();
        assert_eq!(names, ["Ann", "mia", "Zoe"]);
        let mut renamed = mia;
        renamed.first_name = "Aaron".into();
        state = state.apply(ListAction::Upsert(renamed));
        let names: Vec<_> = state.items.iter().map(|p| p.first_name.clone()).collect();
        assert_eq!(names, ["Aaron", "Ann", "Zoe"]);
    }
}
