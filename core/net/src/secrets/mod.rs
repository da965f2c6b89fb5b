//! Secrets (OAuth tokens, API keys) live only in the OS keyring, behind [`SecretStore`], so the
//! database file and the logs never hold them. Tests use the same trait with [`MemoryStore`] where a
//! real backend is not the point.

mod error;

pub use error::SecretError;

use std::collections::HashMap;
use std::sync::Mutex;

/// Stores small secrets by key. Implementations are cheap to call from async code (the keyring's
/// D-Bus round trip takes about a millisecond).
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError>;
    fn set(&self, key: &str, value: &str) -> Result<(), SecretError>;
    /// Deleting a missing key is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretError>;
    /// For diagnostics: which backend this is.
    fn backend(&self) -> &'static str;
}

/// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    /// `service` separates Dealdesk's entries from other apps' (one per data folder, see `App`).
    pub fn new(service: impl Into<String>) -> Self {
        KeyringStore { service: service.into() }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, key).map_err(|e| map_error(key, e))
    }

    /// Whether a usable keyring is there: writes, reads back and deletes a probe entry.
    pub fn probe(&self) -> Result<(), SecretError> {
        let key = "dealdesk-probe";
        self.set(key, "ok")?;
        let read = self.get(key)?;
        self.delete(key)?;
        match read.as_deref() {
            Some("ok") => Ok(()),
            _ => Err(SecretError::Unavailable("a probe entry did not read back".into())),
        }
    }
}

fn map_error(key: &str, error: keyring::Error) -> SecretError {
    match error {
        keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => {
            SecretError::Unavailable(e.to_string())
        }
        keyring::Error::BadEncoding(_) => SecretError::Corrupt { key: key.into(), message: "not UTF-8".into() },
        other => SecretError::Access { key: key.into(), message: other.to_string() },
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(key, e)),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), SecretError> {
        self.entry(key)?.set_password(value).map_err(|e| map_error(key, e))
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(key, e)),
        }
    }

    fn backend(&self) -> &'static str {
        "os-keyring"
    }
}

/// Secrets in process memory: for tests of code that is not about the keyring itself.
#[derive(Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<String, String>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys stored (tests look up entries they did not name).
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A panic while holding this lock cannot leave the map half-written: recover it.
        self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), SecretError> {
        self.lock().insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.lock().remove(key);
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
