//! The "new person" form: what was typed, and the errors to show next to each field.

use dealdesk_model::{ApiError, NewPerson};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Field name → message; `""` holds an error that belongs to no field.
    pub errors: BTreeMap<String, String>,
    pub saving: bool,
}

impl PersonForm {
    /// The request to send, or the errors to show without a round trip.
    pub fn request(&self) -> Result<NewPerson, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        if self.first_name.trim().is_empty() && self.last_name.trim().is_empty() {
            errors.insert("first_name".to_string(), "Give a first or last name".to_string());
        }
        let email = self.email.trim();
        if !email.is_empty() && !email.contains('@') {
            errors.insert("email".to_string(), format!("'{email}' is not a valid email address"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewPerson {
            first_name: self.first_name.trim().to_string(),
            last_name: self.last_name.trim().to_string(),
            email: Some(email.to_string()).filter(|e| !e.is_empty()),
            ..Default::default()
        })
    }

    /// Shows a refusal from the core next to the field it names.
    pub fn with_error(mut self, error: &ApiError) -> PersonForm {
        self.saving = false;
        self.errors.insert(error.field.clone().unwrap_or_default(), error.message.clone());
        self
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::ErrorCode;

    #[test]
    fn a_name_is_required_and_email_is_checked_before_sending() {
        let form = PersonForm { email: "nope".into(), ..Default::default() };
        let errors = form.request().unwrap_err();
        assert!(errors.contains_key("first_name") && errors.contains_key("email"));
        let form = PersonForm { first_name: " Ann ".into(), email: " ".into(), ..Default::default() };
        let request = form.request().unwrap();
        assert_eq!(request.first_name, "Ann");
        assert_eq!(request.email, None);
    }

    #[test]
    fn core_errors_land_on_their_field() {
        let error = ApiError::new(ErrorCode::Conflict, "email taken").with_field("email");
        let form = PersonForm { saving: true, ..Default::default() }.with_error(&error);
        assert_eq!(form.error("email"), Some("email taken"));
        assert!(!form.saving);
    }
}
