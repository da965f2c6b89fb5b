//! Encryption at rest for contract files: XChaCha20-Poly1305 with one 256-bit key per data folder,
//! kept in the OS keyring. The database holds only nonces and ciphertext, so no plaintext PDF is
//! written to disk until the user exports one.

use super::error::EsignError;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use dealdesk_net::secrets::SecretStore;
use std::sync::{Arc, Mutex, PoisonError};

/// A sealed file: the random nonce and the ciphertext (with its tag).
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

pub struct Vault {
    secrets: Arc<dyn SecretStore>,
    entry: String,
    /// Read from the keyring once per process.
    key: Mutex<Option<[u8; 32]>>,
}

impl Vault {
    pub fn new(secrets: Arc<dyn SecretStore>, entry: String) -> Vault {
        Vault { secrets, entry, key: Mutex::new(None) }
    }

    /// The key, made on first use. `create` is false for reads: a missing key then means the
    /// files cannot be opened (the keyring was reset), which is said plainly instead of making a
    /// new key that opens nothing.
    fn key(&self, create: bool) -> Result<Option<XChaCha20Poly1305>, EsignError> {
        let mut cached = self.key.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = *cached {
            return Ok(Some(XChaCha20Poly1305::new(&key.into())));
        }
        let stored = self.secrets.get(&self.entry)?;
        let key: [u8; 32] = match stored {
            Some(text) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|e| EsignError::Config(format!("the contracts key in the keyring is not base64: {e}")))?;
                bytes
                    .try_into()
                    .map_err(|_| EsignError::Config("the contracts key in the keyring is not 32 bytes".into()))?
            }
            None if create => {
                let key = XChaCha20Poly1305::generate_key(&mut OsRng);
                self.secrets.set(&self.entry, &base64::engine::general_purpose::STANDARD.encode(key))?;
                tracing::info!("contracts: made the encryption key for stored contract files");
                key.into()
            }
            None => return Ok(None),
        };
        *cached = Some(key);
        Ok(Some(XChaCha20Poly1305::new(&key.into())))
    }

    /// Seals `plaintext`; `aad` binds it to its row (contract id and kind).
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Result<Sealed, EsignError> {
        let Some(cipher) = self.key(true)? else {
            return Err(EsignError::Config("no contracts key could be made".into()));
        };
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: aad.as_bytes() })
            .map_err(|_| EsignError::Config("encrypting a contract file failed".into()))?;
        Ok(Sealed { nonce: nonce.to_vec(), ciphertext })
    }

    /// Opens a sealed file; a wrong key, a changed byte or a blob from another row fails.
    pub fn open(&self, nonce: &[u8], ciphertext: &[u8], aad: &str) -> Result<Vec<u8>, String> {
        let cipher = match self.key(false) {
            Ok(Some(cipher)) => cipher,
            Ok(None) => return Err("the contracts key is missing from the OS keyring".into()),
            Err(error) => return Err(error.to_string()),
        };
        let Ok(nonce) = <[u8; 24]>::try_from(nonce) else {
            return Err("the stored nonce is damaged".into());
        };
        cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: aad.as_bytes() })
            .map_err(|_| "the file does not decrypt with this data folder's key (damaged, or another key)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_net::secrets::MemoryStore;

    #[test]
    fn sealing_round_trips_and_refuses_the_wrong_key_or_row() {
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        let vault = Vault::new(secrets.clone(), "contracts-key:test".into());
        let sealed = vault.seal(b"%PDF-1.7 secret", "c1:signed").unwrap();
        assert!(!sealed.ciphertext.windows(4).any(|w| w == b"%PDF"));
        assert_eq!(vault.open(&sealed.nonce, &sealed.ciphertext, "c1:signed").unwrap(), b"%PDF-1.7 secret");
        // Another row's associated data.
        assert!(vault.open(&sealed.nonce, &sealed.ciphertext, "c2:signed").is_err());
        // A flipped byte.
        let mut damaged = sealed.ciphertext.clone();
        damaged[3] ^= 1;
        assert!(vault.open(&sealed.nonce, &damaged, "c1:signed").is_err());
        // Another key.
        let other = Vault::new(Arc::new(MemoryStore::new()), "contracts-key:test".into());
        other.seal(b"x", "x").unwrap();
        assert!(other.open(&sealed.nonce, &sealed.ciphertext, "c1:signed").is_err());
        // No key at all: a clear error, and no new key made by a read.
        let empty = Vault::new(Arc::new(MemoryStore::new()), "contracts-key:test".into());
        assert!(empty.open(&sealed.nonce, &sealed.ciphertext, "c1:signed").unwrap_err().contains("missing"));
    }
}
