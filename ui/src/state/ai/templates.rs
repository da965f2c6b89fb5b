//! Prompt templates.

use super::*;

/// Templates by action (all four, in `AiAction::ALL` order): the active one first, then by name.
pub fn group_templates(templates: &[PromptTemplate]) -> Vec<(AiAction, Vec<PromptTemplate>)> {
    AiAction::ALL
        .into_iter()
        .map(|action| {
            let mut list: Vec<PromptTemplate> = templates.iter().filter(|t| t.action == action).cloned().collect();
            list.sort_by(|a, b| {
                b.active.cmp(&a.active).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            });
            (action, list)
        })
        .collect()
}

/// The record kind a preview starts on (the user may pick another).
pub fn natural_kind(action: AiAction) -> RecordKind {
    match action {
        AiAction::ScoreLead | AiAction::DraftEmail => RecordKind::Person,
        AiAction::GenerateText | AiAction::Sentiment => RecordKind::Person,
    }
}

/// The kinds a preview can run on.
pub const PREVIEW_KINDS: [RecordKind; 3] = [RecordKind::Person, RecordKind::Company, RecordKind::Deal];

/// A template in the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateDraft {
    /// `None`: a new template.
    pub id: Option<Uuid>,
    pub action: AiAction,
    pub name: String,
    pub system: String,
    pub user: String,
    /// The version the editor started from.
    pub version: Option<u32>,
    pub builtin: bool,
}

/// What is wrong with a template draft.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateErrors {
    pub name: Option<String>,
    pub user: Option<String>,
}

impl TemplateErrors {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.user.is_none()
    }
}

impl TemplateDraft {
    pub fn of(t: &PromptTemplate) -> TemplateDraft {
        TemplateDraft {
            id: Some(t.id),
            action: t.action,
            name: t.name.clone(),
            system: t.system.clone(),
            user: t.user.clone(),
            version: Some(t.version),
            builtin: t.builtin,
        }
    }

    /// A new template for an action, starting from another's text when given.
    pub fn new_for(action: AiAction, from: Option<&PromptTemplate>) -> TemplateDraft {
        TemplateDraft {
            id: None,
            action,
            name: from.map(|t| format!("Copy of {}", t.name)).unwrap_or_default(),
            system: from.map(|t| t.system.clone()).unwrap_or_default(),
            user: from.map(|t| t.user.clone()).unwrap_or_default(),
            version: None,
            builtin: false,
        }
    }

    /// The text differs from the template it started from.
    pub fn changed_from(&self, t: &PromptTemplate) -> bool {
        self.name != t.name || self.system != t.system || self.user != t.user
    }

    pub fn validate(&self) -> Result<SavePromptTemplate, TemplateErrors> {
        let mut errors = TemplateErrors::default();
        if self.name.trim().is_empty() {
            errors.name = Some("Name the template".to_string());
        }
        if self.user.trim().is_empty() {
            errors.user = Some("The user prompt is empty: write what the model should do".to_string());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SavePromptTemplate {
            id: self.id,
            action: self.action,
            name: self.name.trim().to_string(),
            system: self.system.clone(),
            user: self.user.clone(),
        })
    }
}

/// Restore: a version's text saved again as the newest version.
pub fn restore_request(version: &PromptTemplate) -> SavePromptTemplate {
    SavePromptTemplate {
        id: Some(version.id),
        action: version.action,
        name: version.name.clone(),
        system: version.system.clone(),
        user: version.user.clone(),
    }
}

/// "~120 tokens".
pub fn tokens_estimate_text(tokens: u64) -> String {
    format!("~{tokens} tokens")
}

/// The warning about fields the record kind lacks.
pub fn unknown_fields_text(fields: &[String], kind: RecordKind) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let list = fields.iter().map(|f| format!("{{{{{f}}}}}")).collect::<Vec<_>>().join(", ");
    Some(format!("Not a field of a {}: {list} (rendered empty)", kind.label().to_lowercase()))
}
