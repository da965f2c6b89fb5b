//! Field checks and normalisation shared by every write path (forms, CLI, CSV import).
//! Each returns a specific [`CrmError`] naming the field.

use super::CrmError;

/// Names (person parts, company, deal, tag, stage).
pub const NAME_LIMIT: usize = 200;
/// Other one-line text (job title, city, phone, address, lost reason).
pub const LINE_LIMIT: usize = 1_000;
pub const URL_LIMIT: usize = 2_048;
/// Note bodies and task descriptions.
pub const BODY_LIMIT: usize = 100_000;
/// A custom text value.
pub const CUSTOM_TEXT_LIMIT: usize = 10_000;

fn check_length(field: &str, value: &str, limit: usize) -> Result<(), CrmError> {
    let len = value.chars().count();
    if len > limit {
        return Err(CrmError::TooLong { field: field.to_string(), len, limit });
    }
    Ok(())
}

/// Trimmed one-line text without control characters; may be empty.
pub fn line(field: &str, value: &str, limit: usize) -> Result<String, CrmError> {
    let trimmed = value.trim();
    check_length(field, trimmed, limit)?;
    if trimmed.chars().any(char::is_control) {
        return Err(CrmError::ControlCharacters { field: field.to_string() });
    }
    Ok(trimmed.to_string())
}

/// Like [`line`], but empty means absent.
pub fn optional_line(field: &str, value: Option<&str>, limit: usize) -> Result<Option<String>, CrmError> {
    match value {
        None => Ok(None),
        Some(v) => line(field, v, limit).map(|s| if s.is_empty() { None } else { Some(s) }),
    }
}

/// Multi-line text: newlines and tabs are kept, other control characters refused.
pub fn body(field: &str, value: &str, limit: usize) -> Result<String, CrmError> {
    let normalized = value.replace("\r\n", "\n");
    let trimmed = normalized.trim();
    check_length(field, trimmed, limit)?;
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CrmError::ControlCharacters { field: field.to_string() });
    }
    Ok(trimmed.to_string())
}

fn valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld = labels[labels.len() - 1];
    let tld_ok = (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)) || tld.starts_with("xn--");
    tld_ok && labels.iter().all(|l| label_ok(l))
}

/// An email address, or `None` when empty. The domain part is lower-cased.
pub fn email(field: &'static str, value: Option<&str>) -> Result<Option<String>, CrmError> {
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let invalid = || CrmError::InvalidEmail { field, value: raw.chars().take(100).collect() };
    if raw.len() > 254 {
        return Err(invalid());
    }
    let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let domain = domain.to_lowercase();
    if !local_ok || !valid_domain(&domain) {
        return Err(invalid());
    }
    Ok(Some(format!("{local}@{domain}")))
}

/// A company domain, normalised: `https://www.Acme.com/about` becomes `acme.com`.
pub fn domain(value: Option<&str>) -> Result<Option<String>, CrmError> {
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let lower = raw.to_lowercase();
    let without_scheme = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).unwrap_or(&lower);
    let host = without_scheme.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let host = host.strip_prefix("www.").unwrap_or(host).trim_end_matches('.');
    if !valid_domain(host) {
        return Err(CrmError::InvalidDomain(raw.chars().take(100).collect()));
    }
    Ok(Some(host.to_string()))
}

/// An http(s) address; `linkedin.com/in/x` gains `https://`.
pub fn url(field: &'static str, value: Option<&str>) -> Result<Option<String>, CrmError> {
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let invalid = || CrmError::InvalidUrl { field, value: raw.chars().take(100).collect() };
    check_length(field, raw, URL_LIMIT)?;
    let lower = raw.to_ascii_lowercase();
    let full = if lower.starts_with("https://") || lower.starts_with("http://") {
        raw.to_string()
    } else if lower.contains("://") || lower.starts_with("javascript:") || lower.starts_with("data:") {
        return Err(invalid());
    } else {
        format!("https://{raw}")
    };
    if full.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let after_scheme = full.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
    let host = after_scheme.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default().split(':').next().unwrap_or_default().to_lowercase();
    if !(valid_domain(&host) || host == "localhost") {
        return Err(invalid());
    }
    Ok(Some(full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email("email", Some(" Ann.Lee@Example.COM ")).unwrap().as_deref(), Some("Ann.Lee@example.com"));
        assert_eq!(email("email", Some("")).unwrap(), None);
        assert_eq!(email("email", Some("jörg@bücher.de")).unwrap().as_deref(), Some("jörg@bücher.de"));
        for bad in
            ["ann", "ann@", "@x.com", "a b@x.com", "ann@x", "ann@@x.com", "a..b@x.com", "ann@x.c0m", "ann@-x.com"]
        {
            assert!(matches!(email("email", Some(bad)), Err(CrmError::InvalidEmail { .. })), "{bad}");
        }
    }

    #[test]
    fn domains_are_normalised() {
        assert_eq!(domain(Some("https://www.Acme.com/about?x=1")).unwrap().as_deref(), Some("acme.com"));
        assert_eq!(domain(Some("shop.acme.co.uk:8080")).unwrap().as_deref(), Some("shop.acme.co.uk"));
        for bad in ["acme", "acme..com", "ac me.com", "http://"] {
            assert!(matches!(domain(Some(bad)), Err(CrmError::InvalidDomain(_))), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            url("linkedin_url", Some("linkedin.com/in/ann")).unwrap().as_deref(),
            Some("https://linkedin.com/in/ann")
        );
        assert!(url("linkedin_url", Some("javascript:alert(1)")).is_err());
        assert!(url("linkedin_url", Some("ftp://x.com")).is_err());
        assert!(url("linkedin_url", Some("https://exa mple.com")).is_err());
    }

    #[test]
    fn text_limits_and_control_characters() {
        assert_eq!(line("city", "  Paris ", LINE_LIMIT).unwrap(), "Paris");
        assert!(matches!(line("city", "a\u{0}b", LINE_LIMIT), Err(CrmError::ControlCharacters { .. })));
        assert!(matches!(line("city", &"x".repeat(1001), LINE_LIMIT), Err(CrmError::TooLong { len: 1001, .. })));
        assert_eq!(body("body", "a\r\nb\tc", BODY_LIMIT).unwrap(), "a\nb\tc");
        assert!(body("body", "a\u{1b}[31m", BODY_LIMIT).is_err());
        assert_eq!(optional_line("phone", Some("  "), LINE_LIMIT).unwrap(), None);
    }
}
