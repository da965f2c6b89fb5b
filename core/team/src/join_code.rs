//! A join code: what a new member's desktop needs to reach the hub as their own role, once.
//! `ddj1.` then the fields as base64url JSON; the password is one-time (`team join` replaces it).

use crate::error::TeamError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const PREFIX: &str = "ddj1.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinCode {
    /// A host name, or the directory of a Unix socket.
    pub host: String,
    pub port: u16,
    pub database: String,
    pub workspace: Uuid,
    pub role: String,
    pub password: String,
}

impl JoinCode {
    pub fn encode(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// Reads a code as pasted: surrounding spaces and line breaks are ignored.
    pub fn decode(text: &str) -> Result<JoinCode, TeamError> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let body = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| TeamError::BadJoinCode("it does not start with 'ddj1.'; copy the whole code".into()))?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| TeamError::BadJoinCode("it is cut short or was changed; copy the whole code again".into()))?;
        let code: JoinCode = serde_json::from_slice(&json)
            .map_err(|e| TeamError::BadJoinCode(format!("its contents are incomplete ({e})")))?;
        if code.host.is_empty() || code.database.is_empty() || !crate::is_member_role(&code.role) {
            return Err(TeamError::BadJoinCode("it names no hub or no member".into()));
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_round_trips_and_bad_ones_say_why() {
        let code = JoinCode {
            host: "db.example.com".into(),
            port: 5432,
            database: "acme".into(),
            workspace: Uuid::nil(),
            role: "dd_0123456789abcdef".into(),
            password: "secret".into(),
        };
        let text = code.encode();
        assert_eq!(JoinCode::decode(&format!("  {text}\n")).unwrap(), code);
        let message = |t: &str| JoinCode::decode(t).unwrap_err().to_string();
        assert!(message("hello").contains("does not start with"));
        assert!(
            message(&text[..text.len() - 3]).contains("copy the whole code")
                || message(&text[..text.len() - 3]).contains("incomplete")
        );
        let evil = JoinCode { role: "postgres; DROP".into(), ..code };
        assert!(message(&evil.encode()).contains("no member"));
    }
}
