//! The template editor.

use super::*;

/// What "New template" starts from.
pub const STARTER_TEMPLATE: &str = r#"#set page(paper: "us-letter", margin: (x: 1in, y: 1in), numbering: "1 of 1")
#set text(size: 11pt)
#set par(justify: true)

#align(center)[
  #text(size: 18pt, weight: "bold")[Agreement]
  #v(-0.4em)
  #text(size: 10pt, fill: luma(90))[{{deal.title}} · {{today}}]
]

This Agreement is made on {{today}} between *{{sender.company}}* and *{{company.name}}*,
represented by {{contact.name}} ({{contact.email}}).

== 1. Scope
Describe what is agreed. Type {{ to insert a merge field.

== 2. Fees
The Client will pay *{{deal.amount}}*.

#v(1em)
*Signed by the parties:*
#signatures()
"#;

/// A template in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDraft {
    /// `None`: a new template.
    pub id: Option<Uuid>,
    pub name: String,
    pub body: String,
    /// The version the editor started from.
    pub version: Option<i64>,
    pub builtin: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractDraftErrors {
    pub name: Option<String>,
    pub body: Option<String>,
}

impl ContractDraftErrors {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.body.is_none()
    }
}

impl ContractDraft {
    pub fn of(t: &ContractTemplate) -> ContractDraft {
        ContractDraft {
            id: Some(t.id),
            name: t.name.clone(),
            body: t.body.clone(),
            version: Some(t.version),
            builtin: t.builtin,
        }
    }

    pub fn blank() -> ContractDraft {
        ContractDraft {
            id: None,
            name: String::new(),
            body: STARTER_TEMPLATE.to_string(),
            version: None,
            builtin: false,
        }
    }

    /// A new template starting from another's text.
    pub fn copy_of(t: &ContractTemplate) -> ContractDraft {
        ContractDraft {
            id: None,
            name: format!("Copy of {}", t.name).chars().take(100).collect(),
            body: t.body.clone(),
            version: None,
            builtin: false,
        }
    }

    /// The text differs from the saved template (a new draft always does).
    pub fn changed_from(&self, saved: Option<&ContractTemplate>) -> bool {
        match saved {
            Some(t) => self.name != t.name || self.body != t.body,
            None => true,
        }
    }

    pub fn validate(&self) -> Result<SaveContractTemplate, ContractDraftErrors> {
        let mut errors = ContractDraftErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.name = Some("Name the template".to_string());
        } else if name.chars().count() > 100 {
            errors.name = Some("A name has at most 100 characters".to_string());
        }
        if self.body.trim().is_empty() {
            errors.body = Some("The template is empty".to_string());
        } else if self.body.len() > MAX_TEMPLATE_BYTES {
            errors.body = Some(format!("A template has at most {} KiB", MAX_TEMPLATE_BYTES / 1024));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SaveContractTemplate { id: self.id, name: name.to_string(), body: self.body.clone() })
    }
}

/// The fields matching what follows `{{`: names starting with it first, then names or labels
/// containing it.
pub fn filter_contract_fields<'a>(fields: &'a [ContractField], query: &str) -> Vec<&'a ContractField> {
    let q = query.trim().to_lowercase();
    let mut starts = Vec::new();
    let mut contains = Vec::new();
    for field in fields {
        let name = field.name.to_lowercase();
        if name.starts_with(&q) {
            starts.push(field);
        } else if name.contains(&q) || field.label.to_lowercase().contains(&q) {
            contains.push(field);
        }
    }
    starts.extend(contains);
    starts
}

/// A field's value on the preview deal, shortened for the list.
pub fn field_value_text(field: &ContractField) -> String {
    match field.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => "no value on this deal".to_string(),
        Some(value) if value.chars().count() > 48 => format!("{}…", value.chars().take(47).collect::<String>()),
        Some(value) => value.to_string(),
    }
}

/// Templates listed shipped ones first, then by name.
pub fn sorted_templates(list: &[ContractTemplate]) -> Vec<ContractTemplate> {
    let mut sorted = list.to_vec();
    sorted.sort_by(|a, b| b.builtin.cmp(&a.builtin).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
    sorted
}
