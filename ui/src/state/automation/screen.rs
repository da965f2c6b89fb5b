//! The screen.

use super::*;

/// The Automations screen: the list, the editor, the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutomationsView {
    pub workflows: Option<Result<Vec<Workflow>, String>>,
    pub runs: Option<Result<Vec<WorkflowRun>, String>>,
    /// The history of one workflow only.
    pub runs_of: Option<Uuid>,
    /// Runs whose steps are open.
    pub expanded: BTreeSet<i64>,
    pub editor: Option<WorkflowDraft>,
    pub errors: WorkflowErrors,
    pub saving: bool,
    pub save_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AutomationsAction {
    Workflows(Result<Vec<Workflow>, String>),
    Runs(Result<Vec<WorkflowRun>, String>),
    RunsOf(Option<Uuid>),
    ToggleRun(i64),
    New,
    Open(Box<Workflow>),
    Close,
    Edit(WorkflowEdit),
    Invalid(WorkflowErrors),
    Saving,
    Saved(Box<Workflow>),
    SaveFailed(String),
    /// A workflow changed from the list (its switch).
    Updated(Box<Workflow>),
    Deleted(Uuid),
    /// Run now answered: the run goes on top, open.
    Ran(Box<WorkflowRun>),
}

impl AutomationsView {
    pub fn workflow(&self, id: Uuid) -> Option<&Workflow> {
        match &self.workflows {
            Some(Ok(list)) => list.iter().find(|w| w.id == id),
            _ => None,
        }
    }

    /// The editor differs from the workflow it opened (or a new one has content).
    pub fn dirty(&self) -> bool {
        match &self.editor {
            None => false,
            Some(draft) => match draft.id.and_then(|id| self.workflow(id)) {
                Some(w) => *draft != WorkflowDraft::of(w),
                None => *draft != WorkflowDraft::default(),
            },
        }
    }

    /// An editor without changes follows its workflow when the list brings a newer version.
    fn follow_saved(&mut self, before: &AutomationsView) {
        let Some(id) = self.editor.as_ref().and_then(|d| d.id) else { return };
        if before.dirty() {
            return;
        }
        if let Some(w) = self.workflow(id) {
            self.editor = Some(WorkflowDraft::of(w));
        }
    }

    pub fn apply(&self, action: AutomationsAction) -> AutomationsView {
        let mut next = self.clone();
        match action {
            AutomationsAction::Workflows(result) => {
                next.workflows = Some(result);
                next.follow_saved(self);
            }
            AutomationsAction::Runs(result) => next.runs = Some(result),
            AutomationsAction::RunsOf(filter) => {
                next.runs_of = filter;
                next.runs = None;
            }
            AutomationsAction::ToggleRun(id) => {
                if !next.expanded.remove(&id) {
                    next.expanded.insert(id);
                }
            }
            AutomationsAction::New => {
                next.editor = Some(WorkflowDraft::default());
                next.errors = WorkflowErrors::default();
                next.save_error = None;
            }
            AutomationsAction::Open(w) => {
                next.editor = Some(WorkflowDraft::of(&w));
                next.errors = WorkflowErrors::default();
                next.save_error = None;
            }
            AutomationsAction::Close => {
                next.editor = None;
                next.errors = WorkflowErrors::default();
                next.save_error = None;
            }
            AutomationsAction::Edit(edit) => {
                if let Some(draft) = &next.editor {
                    next.editor = Some(draft.apply(edit));
                    // Errors clear as the user fixes things; Save checks again.
                    if !next.errors.is_empty() {
                        next.errors = next.editor.as_ref().and_then(|d| d.validate().err()).unwrap_or_default();
                    }
                }
            }
            AutomationsAction::Invalid(errors) => next.errors = errors,
            AutomationsAction::Saving => {
                next.saving = true;
                next.save_error = None;
                next.errors = WorkflowErrors::default();
            }
            AutomationsAction::Saved(w) => {
                next.saving = false;
                next.editor = Some(WorkflowDraft::of(&w));
                next = next.apply(AutomationsAction::Updated(w));
            }
            AutomationsAction::SaveFailed(message) => {
                next.saving = false;
                next.save_error = Some(message);
            }
            AutomationsAction::Updated(w) => {
                if let Some(Ok(list)) = &mut next.workflows {
                    match list.iter_mut().find(|x| x.id == w.id) {
                        Some(slot) => *slot = *w,
                        None => list.push(*w),
                    }
                }
                next.follow_saved(self);
            }
            AutomationsAction::Deleted(id) => {
                if let Some(Ok(list)) = &mut next.workflows {
                    list.retain(|w| w.id != id);
                }
                if next.editor.as_ref().is_some_and(|d| d.id == Some(id)) {
                    next.editor = None;
                }
                if next.runs_of == Some(id) {
                    next.runs_of = None;
                }
            }
            AutomationsAction::Ran(run) => {
                next.expanded.insert(run.id);
                if let Some(Ok(list)) = &mut next.runs {
                    list.retain(|r| r.id != run.id);
                    list.insert(0, *run);
                }
            }
        }
        next
    }
}

impl Reducible for AutomationsView {
    type Action = AutomationsAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}
