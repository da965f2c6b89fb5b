//! Short messages about results and errors, shown in the corner and dismissed after a while.

use std::rc::Rc;
use yew::Reducible;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub text: String,
    /// The label of the toast's button (Undo), if it has one.
    pub action: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Toasts {
    pub items: Vec<Toast>,
    next_id: u64,
}

/// At most this many toasts are on screen; older ones make room.
const MAX_TOASTS: usize = 4;

pub enum ToastAction {
    Push(ToastKind, String, Option<String>),
    Dismiss(u64),
}

impl Toasts {
    pub fn apply(&self, action: ToastAction) -> Toasts {
        let mut next = self.clone();
        match action {
            ToastAction::Push(kind, text, action) => {
                next.items.push(Toast { id: next.next_id, kind, text, action });
                next.next_id += 1;
                if next.items.len() > MAX_TOASTS {
                    next.items.remove(0);
                }
            }
            ToastAction::Dismiss(id) => next.items.retain(|t| t.id != id),
        }
        next
    }

    /// The id the next pushed toast will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }
}

impl Reducible for Toasts {
    type Action = ToastAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_caps_and_dismisses() {
        let mut toasts = Toasts::default();
        for i in 0..6 {
            toasts = toasts.apply(ToastAction::Push(ToastKind::Success, format!("t{i}"), None));
        }
        assert_eq!(toasts.items.len(), MAX_TOASTS);
        assert_eq!(toasts.items[0].text, "t2");
        let first = toasts.items[0].id;
        toasts = toasts.apply(ToastAction::Dismiss(first));
        assert!(toasts.items.iter().all(|t| t.id != first));
    }
}
