//! The shell's keyboard map: Ctrl/Cmd+K, `?`, `/`, `g` then a letter, `n` for new.

/// The screens the sidebar and the keyboard can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Dashboard,
    People,
    Companies,
    Deals,
    Board,
    Tasks,
    Notes,
    Automations,
    Contracts,
    Whop,
    /// MRR, net revenue, churn, cohorts, LTV and top customers.
    Revenue,
    /// Failed payments and past-due memberships to win back.
    Recover,
    /// Churn segments (canceling, past due, at risk…) and their customers.
    Churn,
    Settings,
}

impl Screen {
    pub const ALL: [Screen; 14] = [
        Screen::Dashboard,
        Screen::People,
        Screen::Companies,
        Screen::Deals,
        Screen::Board,
        Screen::Tasks,
        Screen::Notes,
        Screen::Automations,
        Screen::Contracts,
        Screen::Whop,
        Screen::Revenue,
        Screen::Recover,
        Screen::Churn,
        Screen::Settings,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Screen::Dashboard => "Dashboard",
            Screen::People => "People",
            Screen::Companies => "Companies",
            Screen::Deals => "Deals",
            Screen::Board => "Deal board",
            Screen::Tasks => "Tasks",
            Screen::Notes => "Notes",
            Screen::Automations => "Automations",
            Screen::Contracts => "Contracts",
            Screen::Whop => "Whop",
            Screen::Revenue => "Revenue",
            Screen::Recover => "Recover",
            Screen::Churn => "Churn",
            Screen::Settings => "Settings",
        }
    }

    /// The letter after `g` that opens it.
    pub fn go_key(self) -> Option<char> {
        match self {
            Screen::Dashboard => Some('h'),
            Screen::People => Some('p'),
            Screen::Companies => Some('c'),
            Screen::Deals => Some('d'),
            Screen::Board => Some('b'),
            Screen::Tasks => Some('t'),
            Screen::Notes => Some('n'),
            Screen::Settings => Some('s'),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInput {
    pub key: String,
    pub ctrl: bool,
    pub meta: bool,
    pub alt: bool,
    /// Focus is in a text field: plain letters belong to it.
    pub typing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellAction {
    OpenPalette,
    ToggleHelp,
    Close,
    Go(Screen),
    /// Create a record of the kind the current screen shows.
    NewHere,
}

/// Remembers a pending `g` between key presses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyState {
    pending_go: bool,
}

pub fn on_key(state: KeyState, key: &KeyInput) -> (KeyState, Option<ShellAction>) {
    let idle = KeyState::default();
    if (key.ctrl || key.meta) && key.key.eq_ignore_ascii_case("k") {
        return (idle, Some(ShellAction::OpenPalette));
    }
    if key.key == "Escape" {
        return (idle, Some(ShellAction::Close));
    }
    if key.typing || key.ctrl || key.meta || key.alt {
        return (idle, None);
    }
    if state.pending_go {
        let target = key.key.chars().next().and_then(|c| Screen::ALL.into_iter().find(|s| s.go_key() == Some(c)));
        return (idle, target.map(ShellAction::Go));
    }
    match key.key.as_str() {
        "?" => (idle, Some(ShellAction::ToggleHelp)),
        // Search is the palette (records and commands in one list), as `/` is in Linear and GitHub.
        "/" => (idle, Some(ShellAction::OpenPalette)),
        "g" => (KeyState { pending_go: true }, None),
        "n" => (idle, Some(ShellAction::NewHere)),
        _ => (idle, None),
    }
}

/// The shortcuts the help overlay lists.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl/⌘ K", "Command palette: search records, jump, run commands"),
    ("/", "Search: opens the command palette, ready to type"),
    ("n", "New record on this screen"),
    ("g h", "Go to the dashboard"),
    ("g p", "Go to people"),
    ("g c", "Go to companies"),
    ("g d", "Go to deals"),
    ("g b", "Go to the deal board"),
    ("g t", "Go to tasks"),
    ("g n", "Go to notes"),
    ("g s", "Go to settings"),
    ("Enter / double-click", "Edit the selected table cell"),
    ("Esc", "Close a dialog or cancel an edit"),
    ("?", "Show or hide this help"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> KeyInput {
        KeyInput { key: k.into(), ctrl: false, meta: false, alt: false, typing: false }
    }

    #[test]
    fn palette_opens_even_while_typing() {
        let input = KeyInput { ctrl: true, typing: true, ..key("k") };
        assert_eq!(on_key(KeyState::default(), &input).1, Some(ShellAction::OpenPalette));
        let mac = KeyInput { meta: true, ..key("K") };
        assert_eq!(on_key(KeyState::default(), &mac).1, Some(ShellAction::OpenPalette));
    }

    #[test]
    fn slash_does_what_the_shortcut_list_says() {
        let listed = SHORTCUTS.iter().find(|(keys, _)| *keys == "/").map(|(_, what)| *what);
        assert!(listed.is_some_and(|what| what.contains("command palette")), "{listed:?}");
        assert_eq!(on_key(KeyState::default(), &key("/")).1, Some(ShellAction::OpenPalette));
        let typing = KeyInput { typing: true, ..key("/") };
        assert_eq!(on_key(KeyState::default(), &typing).1, None, "a slash typed in a field stays in it");
    }

    #[test]
    fn g_then_a_letter_goes_somewhere() {
        let (state, action) = on_key(KeyState::default(), &key("g"));
        assert_eq!(action, None);
        assert_eq!(on_key(state, &key("d")).1, Some(ShellAction::Go(Screen::Deals)));
        assert_eq!(on_key(state, &key("x")).1, None);
        let (after, _) = on_key(state, &key("x"));
        assert_eq!(on_key(after, &key("d")).1, None, "the pending g is used up");
    }

    #[test]
    fn letters_belong_to_text_fields() {
        let typing = KeyInput { typing: true, ..key("?") };
        assert_eq!(on_key(KeyState::default(), &typing).1, None);
        assert_eq!(on_key(KeyState::default(), &key("?")).1, Some(ShellAction::ToggleHelp));
        assert_eq!(on_key(KeyState::default(), &key("n")).1, Some(ShellAction::NewHere));
        assert_eq!(
            on_key(KeyState::default(), &KeyInput { typing: true, ..key("Escape") }).1,
            Some(ShellAction::Close)
        );
    }
}
