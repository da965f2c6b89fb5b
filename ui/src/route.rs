//! Every screen's address. Screens link to each other through `Route`; the shell maps it to the
//! page (`app.rs`).

use crate::state::import::object_of;
use crate::state::shell::Screen;
use dealdesk_model::revenue::ChurnSegment;
use dealdesk_model::{CsvObject, RecordKind};
use uuid::Uuid;
use yew_router::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/dashboard")]
    Dashboard,
    #[at("/people")]
    People,
    #[at("/people/:id")]
    Person { id: Uuid },
    /// People filtered to one churn segment, by its name (`/people/churn/at_risk`).
    #[at("/people/churn/:segment")]
    PeopleInSegment { segment: String },
    #[at("/companies")]
    Companies,
    #[at("/companies/:id")]
    Company { id: Uuid },
    #[at("/deals")]
    Deals,
    #[at("/deals/:id")]
    Deal { id: Uuid },
    #[at("/board")]
    Board,
    #[at("/tasks")]
    Tasks,
    #[at("/notes")]
    Notes,
    #[at("/automations")]
    Automations,
    #[at("/contracts")]
    Contracts,
    /// The contract template editor.
    #[at("/contracts/templates")]
    ContractTemplates,
    #[at("/whop")]
    Whop,
    /// The revenue desk: MRR and its movement, net revenue, churn, cohorts, LTV.
    #[at("/revenue")]
    Revenue,
    /// Failed payments and past-due memberships, most at stake first.
    #[at("/recover")]
    Recover,
    /// Churn segments, opened on the first one with customers.
    #[at("/churn")]
    Churn,
    /// Churn opened on one segment, by its name (`/churn/past_due`, `ChurnSegment::name`).
    #[at("/churn/:segment")]
    ChurnSegment { segment: String },
    /// Changes waiting for the network, refused ones, and conflicts.
    #[at("/outbox")]
    Outbox,
    /// Deleted records: Restore, Delete for good, Empty trash.
    #[at("/trash")]
    Trash,
    #[at("/settings")]
    Settings,
    /// Settings opened on one tab (`/settings/ai`).
    #[at("/settings/:tab")]
    SettingsTab { tab: String },
    /// First run: what Dealdesk is, where the data lives, and how to start.
    #[at("/welcome")]
    Welcome,
    /// Help → Diagnostics.
    #[at("/diagnostics")]
    Diagnostics,
    /// Every design-system component, for docs/design-system.md.
    #[at("/design")]
    Design,
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    pub fn of(screen: Screen) -> Route {
        match screen {
            Screen::Dashboard => Route::Dashboard,
            Screen::People => Route::People,
            Screen::Companies => Route::Companies,
            Screen::Deals => Route::Deals,
            Screen::Board => Route::Board,
            Screen::Tasks => Route::Tasks,
            Screen::Notes => Route::Notes,
            Screen::Automations => Route::Automations,
            Screen::Contracts => Route::Contracts,
            Screen::Whop => Route::Whop,
            Screen::Revenue => Route::Revenue,
            Screen::Recover => Route::Recover,
            Screen::Churn => Route::Churn,
            Screen::Settings => Route::Settings,
        }
    }

    /// What "new" creates on this screen.
    pub fn new_kind(&self) -> Option<RecordKind> {
        match self {
            Route::Home | Route::People | Route::PeopleInSegment { .. } | Route::Person { .. } => {
                Some(RecordKind::Person)
            }
            Route::Companies | Route::Company { .. } => Some(RecordKind::Company),
            Route::Deals | Route::Deal { .. } | Route::Board | Route::Dashboard => Some(RecordKind::Deal),
            Route::Tasks => Some(RecordKind::Task),
            _ => None,
        }
    }

    /// What "Import CSV…" imports on this screen (people elsewhere).
    pub fn import_object(&self) -> CsvObject {
        self.new_kind().and_then(object_of).unwrap_or(CsvObject::People)
    }

    /// Churn opened on one segment.
    pub fn churn(segment: ChurnSegment) -> Route {
        Route::ChurnSegment { segment: segment.name().to_string() }
    }

    /// The People table filtered to a churn segment (a view the user can refine and save).
    pub fn people_in(segment: ChurnSegment) -> Route {
        Route::PeopleInSegment { segment: segment.name().to_string() }
    }

    /// The list of the records a CSV object imports.
    pub fn list_of(object: CsvObject) -> Route {
        match object {
            CsvObject::People => Route::People,
            CsvObject::Companies => Route::Companies,
            CsvObject::Deals => Route::Deals,
        }
    }
}
