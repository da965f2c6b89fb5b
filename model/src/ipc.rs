//! The IPC surface between the window and the shell, typed once.
//!
//! Each command is a unit type implementing [`Command`]: its wire name, request and response.
//! The shell registers one Tauri command per type (named [`Command::NAME`], taking one argument
//! called `request`); the UI calls them through one generic `invoke::<C>(request)`.

use crate::query::{CompanyQuery, DealQuery, Page, PersonQuery, SearchQuery};
use crate::record::{
    Company, Deal, MoveDeal, NewCompany, NewDeal, NewPerson, Person, PersonPatch, Pipeline, RecordRef, SearchHit,
};
use crate::timeline::TimelineEvent;
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

pub trait Command {
    /// The Tauri command name.
    const NAME: &'static str;
    type Request: Serialize + DeserializeOwned;
    type Response: Serialize + DeserializeOwned;
}

/// The name of the single argument every command takes.
pub const REQUEST_ARG: &str = "request";

/// The Tauri event the shell emits for every [`CoreEvent`].
pub const CORE_EVENT: &str = "core-event";

/// What the core tells open windows, so views refresh without a reload.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CoreEvent {
    RecordChanged {
        record: RecordRef,
        source: crate::record::UpdateSource,
    },
    /// Many records changed at once (an import); views of this kind should reload.
    RecordsChanged {
        kind: crate::record::RecordKind,
        source: crate::record::UpdateSource,
    },
}

macro_rules! commands {
    ($( $(#[$doc:meta])* $ty:ident = $name:literal : $req:ty => $resp:ty; )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $ty;
            impl Command for $ty {
                const NAME: &'static str = $name;
                type Request = $req;
                type Response = $resp;
            }
        )*
        /// Every command name, for the shell's registration check.
        pub const ALL_COMMANDS: &[&str] = &[$($name),*];
    };
}

commands! {
    /// A page of people.
    ListPeople = "list_people": PersonQuery => Page<Person>;
    GetPerson = "get_person": Uuid => Person;
    CreatePerson = "create_person": NewPerson => Person;
    UpdatePerson = "update_person": (Uuid, PersonPatch) => Person;
    DeletePerson = "delete_person": Uuid => ();
    ListCompanies = "list_companies": CompanyQuery => Page<Company>;
    CreateCompany = "create_company": NewCompany => Company;
    ListDeals = "list_deals": DealQuery => Page<Deal>;
    CreateDeal = "create_deal": NewDeal => Deal;
    MoveDealStage = "move_deal_stage": MoveDeal => Deal;
    ListPipelines = "list_pipelines": () => Vec<Pipeline>;
    Search = "search": SearchQuery => Vec<SearchHit>;
    Timeline = "timeline": RecordRef => Vec<TimelineEvent>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_unique_snake_case() {
        let mut names = ALL_COMMANDS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_COMMANDS.len());
        assert!(ALL_COMMANDS.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }
}
