//! Parsing the OAuth redirect that comes back as `dealdesk://oauth/<provider>/callback?…` (a deep
//! link) or to the loopback listener. Any program can open a `dealdesk://` URL, so this is strict: one
//! path, known parameters once each, bounded printable values.

use super::DeepLinkError;

/// The longest link accepted; real callbacks are a few hundred bytes.
const MAX_LINK_BYTES: usize = 4096;
const MAX_VALUE_BYTES: usize = 1024;

/// What the authorization server sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    Code { code: String, state: String },
    Denied { error: String, description: Option<String>, state: Option<String> },
}

impl Callback {
    pub fn state(&self) -> Option<&str> {
        match self {
            Callback::Code { state, .. } => Some(state),
            Callback::Denied { state, .. } => state.as_deref(),
        }
    }
}

/// Parses a `dealdesk://{path}?code=…&state=…` deep link (each provider has its own path).
pub fn parse_deep_link_at(link: &str, expected_path: &str) -> Result<Callback, DeepLinkError> {
    let link = link.trim();
    if link.len() > MAX_LINK_BYTES {
        return Err(DeepLinkError::TooLong(link.len()));
    }
    let url = url::Url::parse(link).map_err(|_| DeepLinkError::NotAUrl)?;
    if url.scheme() != "dealdesk" {
        return Err(DeepLinkError::WrongScheme(url.scheme().chars().take(20).collect()));
    }
    let path = format!("{}{}", url.host_str().unwrap_or_default(), url.path());
    if path != expected_path || url.fragment().is_some() || !url.username().is_empty() || url.port().is_some() {
        return Err(DeepLinkError::UnknownPath(path.chars().take(80).collect()));
    }
    parse_query(url.query().unwrap_or_default())
}

/// Parses the query of a callback (deep link or loopback request).
pub fn parse_query(query: &str) -> Result<Callback, DeepLinkError> {
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            // Sent by some servers (RFC 9207 issuer, granted scope); accepted and ignored.
            "iss" | "scope" | "error_uri" => continue,
            other => return Err(DeepLinkError::UnknownParameter(other.chars().take(40).collect())),
        };
        if slot.is_some() {
            return Err(DeepLinkError::DuplicateParameter(name.into_owned()));
        }
        *slot = Some(value.into_owned());
    }
    let state = state.map(|s| checked_token("state", s)).transpose()?;
    if let Some(error) = error {
        let error = checked_token("error", error)?;
        let description = description.map(|d| d.chars().filter(|c| !c.is_control()).take(300).collect());
        return Ok(Callback::Denied { error, description, state });
    }
    let code = checked_token("code", code.ok_or(DeepLinkError::MissingParameter("code"))?)?;
    let state = state.ok_or(DeepLinkError::MissingParameter("state"))?;
    Ok(Callback::Code { code, state })
}

/// Codes, states and error codes are short printable ASCII (RFC 6749 allows %x20-7E).
fn checked_token(name: &'static str, value: String) -> Result<String, DeepLinkError> {
    let ok = !value.is_empty() && value.len() <= MAX_VALUE_BYTES && value.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok { Ok(value) } else { Err(DeepLinkError::MalformedParameter(name)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_deep_link(link: &str) -> Result<Callback, DeepLinkError> {
        parse_deep_link_at(link, "oauth/whop/callback")
    }

    #[test]
    fn accepts_a_callback_with_code_and_state() {
        let link = "dealdesk://oauth/whop/callback?code=abc-123&state=xyz";
        assert_eq!(parse_deep_link(link), Ok(Callback::Code { code: "abc-123".into(), state: "xyz".into() }));
    }

    #[test]
    fn accepts_an_error_callback() {
        let link = "dealdesk://oauth/whop/callback?error=access_denied&error_description=User+said+no&state=s1";
        assert_eq!(
            parse_deep_link(link),
            Ok(Callback::Denied {
                error: "access_denied".into(),
                description: Some("User said no".into()),
                state: Some("s1".into())
            })
        );
    }

    #[test]
    fn refuses_anything_else() {
        let cases = [
            ("https://oauth/whop/callback?code=a&state=b", DeepLinkError::WrongScheme("https".into())),
            ("dealdesk://oauth/whop/other?code=a&state=b", DeepLinkError::UnknownPath("oauth/whop/other".into())),
            (
                "dealdesk://oauth/whop/callback/?code=a&state=b",
                DeepLinkError::UnknownPath("oauth/whop/callback/".into()),
            ),
            ("dealdesk://oauth/whop/callback?code=a&code=b&state=c", DeepLinkError::DuplicateParameter("code".into())),
            ("dealdesk://oauth/whop/callback?code=a&state=b&next=x", DeepLinkError::UnknownParameter("next".into())),
            ("dealdesk://oauth/whop/callback?state=b", DeepLinkError::MissingParameter("code")),
            ("dealdesk://oauth/whop/callback?code=a", DeepLinkError::MissingParameter("state")),
            ("dealdesk://oauth/whop/callback?code=a%0Ab&state=c", DeepLinkError::MalformedParameter("code")),
            ("dealdesk://oauth/whop/callback?code=&state=c", DeepLinkError::MalformedParameter("code")),
            ("not a link", DeepLinkError::NotAUrl),
        ];
        for (link, expected) in cases {
            assert_eq!(parse_deep_link(link), Err(expected), "{link}");
        }
        let long = format!("dealdesk://oauth/whop/callback?code={}&state=s", "a".repeat(5000));
        assert!(matches!(parse_deep_link(&long), Err(DeepLinkError::TooLong(_))));
    }
}
