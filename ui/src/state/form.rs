//! Create and edit forms: what was typed, the errors shown next to each field, and the checks
//! done before a round trip. The core checks everything again and its errors land on the same
//! fields.

use chrono::NaiveDate;
use dealdesk_model::{ApiError, DealStatus, Money, NewCompany, NewDeal, NewPerson, NewTask, RecordRef};
use std::collections::BTreeMap;
use uuid::Uuid;

pub type Errors = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Form {
    values: BTreeMap<String, String>,
    /// Field name → message; `""` holds an error that belongs to no field.
    pub errors: Errors,
    pub saving: bool,
}

impl Form {
    pub fn get(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// Sets a value and clears that field's error (the user is fixing it).
    pub fn set(&mut self, field: &str, value: String) {
        self.errors.remove(field);
        self.errors.remove("");
        self.values.insert(field.to_string(), value);
    }

    pub fn with(mut self, field: &str, value: &str) -> Form {
        self.set(field, value.to_string());
        self
    }

    fn trimmed(&self, field: &str) -> Option<String> {
        Some(self.get(field).trim().to_string()).filter(|v| !v.is_empty())
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// The form as a draft to keep: what was typed, not the in-flight state.
    pub fn as_draft(&self) -> Form {
        Form { saving: false, ..self.clone() }
    }

    /// Shows errors found before sending.
    pub fn with_errors(mut self, errors: Errors) -> Form {
        self.saving = false;
        self.errors = errors;
        self
    }

    /// Shows a refusal from the core next to the field it names.
    pub fn with_error(mut self, error: &ApiError) -> Form {
        self.saving = false;
        self.errors.insert(error.field.clone().unwrap_or_default(), error.message.clone());
        self
    }
}

fn looks_like_email(text: &str) -> bool {
    let mut parts = text.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.'))
}

pub fn new_person(form: &Form) -> Result<NewPerson, Errors> {
    let mut errors = Errors::new();
    if form.trimmed("first_name").is_none() && form.trimmed("last_name").is_none() {
        errors.insert("first_name".into(), "Give a first or last name".into());
    }
    if let Some(email) = form.trimmed("email").filter(|e| !looks_like_email(e)) {
        errors.insert("email".into(), format!("'{email}' is not a valid email address"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewPerson {
        first_name: form.trimmed("first_name").unwrap_or_default(),
        last_name: form.trimmed("last_name").unwrap_or_default(),
        email: form.trimmed("email"),
        phone: form.trimmed("phone"),
        job_title: form.trimmed("job_title"),
        company_id: form.trimmed("company_id").and_then(|id| Uuid::parse_str(&id).ok()),
        ..Default::default()
    })
}

pub fn new_company(form: &Form) -> Result<NewCompany, Errors> {
    let Some(name) = form.trimmed("name") else {
        return Err([("name".to_string(), "A company needs a name".to_string())].into());
    };
    Ok(NewCompany { name, domain: form.trimmed("domain"), ..Default::default() })
}

pub fn new_deal(form: &Form) -> Result<NewDeal, Errors> {
    let mut errors = Errors::new();
    let name = form.trimmed("name");
    if name.is_none() {
        errors.insert("name".into(), "A deal needs a name".into());
    }
    let currency = form.trimmed("currency").unwrap_or_else(|| "USD".into());
    let amount = match Money::parse(form.trimmed("amount").as_deref().unwrap_or("0"), &currency) {
        Ok(m) => Some(m),
        Err(e) => {
            let field =
                if matches!(e, dealdesk_model::MoneyParseError::UnknownCurrency(_)) { "currency" } else { "amount" };
            errors.insert(field.into(), e.to_string());
            None
        }
    };
    let close_date = match form.trimmed("close_date") {
        None => None,
        Some(text) => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.insert("close_date".into(), "Pick a date".into());
                None
            }
        },
    };
    match (name, amount) {
        (Some(name), Some(amount)) if errors.is_empty() => Ok(NewDeal {
            id: None,
            name,
            amount,
            close_date,
            pipeline_id: form.trimmed("pipeline_id").and_then(|id| Uuid::parse_str(&id).ok()),
            stage: form.trimmed("stage"),
            status: DealStatus::Open,
            lost_reason: None,
            contact_id: form.trimmed("contact_id").and_then(|id| Uuid::parse_str(&id).ok()),
            company_id: form.trimmed("company_id").and_then(|id| Uuid::parse_str(&id).ok()),
            custom: Default::default(),
        }),
        _ => Err(errors),
    }
}

pub fn new_task(form: &Form, targets: Vec<RecordRef>) -> Result<NewTask, Errors> {
    let Some(title) = form.trimmed("title") else {
        return Err([("title".to_string(), "A task needs a title".to_string())].into());
    };
    let due_at = match form.trimmed("due") {
        None => None,
        Some(text) => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            // Due at the end of that day (UTC noon keeps the day stable in every time zone).
            Ok(day) => day.and_hms_opt(12, 0, 0).map(|t| t.and_utc()),
            Err(_) => return Err([("due".to_string(), "Pick a date".to_string())].into()),
        },
    };
    Ok(NewTask { title, body: form.trimmed("body"), due_at, reminder_at: None, targets })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::ErrorCode;

    #[test]
    fn a_person_needs_a_name_and_a_plausible_email() {
        let form = Form::default().with("email", "nope");
        let errors = new_person(&form).unwrap_err();
        assert!(errors.contains_key("first_name") && errors.contains_key("email"));
        let ok = new_person(&Form::default().with("first_name", " Ann ").with("email", " ")).unwrap();
        assert_eq!((ok.first_name.as_str(), ok.email), ("Ann", None));
    }

    #[test]
    fn deals_parse_money_and_dates_before_sending() {
        let form = Form::default().with("name", "Renewal").with("amount", "1,200").with("currency", "usd");
        assert!(new_deal(&form).unwrap_err().contains_key("amount"));
        let form = form.with("amount", "1200.5").with("currency", "XYZ");
        assert!(new_deal(&form).unwrap_err().contains_key("currency"));
        let deal = new_deal(&form.with("currency", "eur").with("close_date", "2027-01-31")).unwrap();
        assert_eq!(deal.amount, Money { micros: 1_200_500_000, currency: "EUR".into() });
        assert_eq!(deal.close_date, NaiveDate::from_ymd_opt(2027, 1, 31));
    }

    #[test]
    fn core_errors_land_on_their_field_and_typing_clears_them() {
        let error = ApiError::new(ErrorCode::Conflict, "email taken").with_field("email");
        let mut form = Form { saving: true, ..Default::default() }.with_error(&error);
        assert_eq!(form.error("email"), Some("email taken"));
        assert!(!form.saving);
        form.set("email", "x@y.z".into());
        assert_eq!(form.error("email"), None);
    }

    #[test]
    fn tasks_need_titles_and_take_a_due_day() {
        assert!(new_task(&Form::default(), vec![]).is_err());
        let task = new_task(&Form::default().with("title", "Call").with("due", "2027-02-03"), vec![]).unwrap();
        assert_eq!(task.due_at.unwrap().date_naive(), NaiveDate::from_ymd_opt(2027, 2, 3).unwrap());
    }
}
