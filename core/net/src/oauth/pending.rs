//! Logins started and waiting for their redirect, keyed by their `state`: single use, and
//! forgotten after a time-to-live (providers' codes expire after about 10 minutes too).

use super::{Callback, OAuthError};
use oauth2::{CsrfToken, PkceCodeChallenge};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A fresh PKCE pair (S256) and `state` for one login.
pub struct Pkce {
    /// Sent with the authorization request (`code_challenge`, method S256).
    pub challenge: String,
    /// Kept until the code is exchanged (`code_verifier`).
    pub verifier: String,
    pub state: String,
}

impl Pkce {
    pub fn new() -> Pkce {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        Pkce {
            challenge: challenge.as_str().to_string(),
            verifier: verifier.secret().clone(),
            state: CsrfToken::new_random().secret().clone(),
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// Logins of type `T` (what a provider keeps for its exchange) waiting for their redirect.
pub struct PendingLogins<T> {
    ttl: Duration,
    logins: Mutex<HashMap<String, (T, Instant)>>,
}

impl<T> PendingLogins<T> {
    pub fn new(ttl: Duration) -> Self {
        PendingLogins { ttl, logins: Mutex::new(HashMap::new()) }
    }

    fn live(&self) -> MutexGuard<'_, HashMap<String, (T, Instant)>> {
        // The map holds plain values; a panic elsewhere cannot leave it inconsistent.
        let mut logins = self.logins.lock().unwrap_or_else(PoisonError::into_inner);
        let ttl = self.ttl;
        logins.retain(|_, (_, started)| started.elapsed() < ttl);
        logins
    }

    /// Remembers a login under its `state`.
    pub fn insert(&self, state: String, login: T) {
        self.live().insert(state, (login, Instant::now()));
    }

    /// Whether a login is waiting for its redirect.
    pub fn any(&self) -> bool {
        !self.live().is_empty()
    }

    pub fn clear(&self) {
        self.live().clear();
    }

    /// Takes the login `callback` answers (once) and its authorization code. A callback whose
    /// state matches no live login is refused, as is a denied one (its login is used up).
    pub fn take(&self, callback: &Callback) -> Result<(T, String), OAuthError> {
        let login = callback.state().and_then(|state| self.live().remove(state));
        let Some((login, _)) = login else {
            tracing::warn!("oauth: refused a callback whose state matches no login in progress");
            return Err(OAuthError::UnknownState);
        };
        match callback {
            Callback::Code { code, .. } => Ok((login, code.clone())),
            Callback::Denied { error, description, .. } => {
                Err(OAuthError::Denied { error: error.clone(), description: description.clone() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(state: &str) -> Callback {
        Callback::Code { code: "c".into(), state: state.into() }
    }

    #[test]
    fn a_login_is_taken_once_and_only_by_its_state() {
        let logins = PendingLogins::new(Duration::from_secs(60));
        logins.insert("s1".into(), 7);
        assert!(logins.any());
        assert_eq!(logins.take(&code("other")), Err(OAuthError::UnknownState));
        assert_eq!(logins.take(&code("s1")), Ok((7, "c".to_string())));
        assert_eq!(logins.take(&code("s1")), Err(OAuthError::UnknownState));
        assert!(!logins.any());
    }

    #[test]
    fn a_denied_login_is_used_up_and_expired_ones_are_gone() {
        let logins = PendingLogins::new(Duration::from_secs(60));
        logins.insert("s1".into(), ());
        let denied = Callback::Denied { error: "access_denied".into(), description: None, state: Some("s1".into()) };
        assert!(matches!(logins.take(&denied), Err(OAuthError::Denied { .. })));
        assert_eq!(logins.take(&code("s1")), Err(OAuthError::UnknownState));
        let short = PendingLogins::new(Duration::ZERO);
        short.insert("s2".into(), ());
        assert_eq!(short.take(&code("s2")), Err(OAuthError::UnknownState));
    }

    #[test]
    fn pkce_pairs_are_fresh_and_s256_sized() {
        let (a, b) = (Pkce::new(), Pkce::new());
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(a.state, b.state);
        assert_eq!(a.challenge.len(), 43, "base64url of a SHA-256");
    }
}
