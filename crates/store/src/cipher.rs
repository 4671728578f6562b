//! Encryption of secrets at rest with ChaCha20-Poly1305 (`ring::aead`).
//!
//! A sealed value is `nonce (12 bytes) || ciphertext || tag (16 bytes)`. Each
//! value gets a fresh random nonce. The associated data binds the value to
//! its record (`kind`, a NUL byte, then the record's key), so a sealed token
//! copied onto another endpoint fails to decrypt. Loading the key is left to
//! `keyfile`.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Result, StoreError};

/// Length in bytes of the key in the key file.
pub(crate) const KEY_LEN: usize = 32;

/// The kind of record a sealed value belongs to. Its label is part of the
/// associated data, so it must never change for an existing kind.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SealedKind {
    /// An endpoint's CONNECT token, keyed by host name.
    EndpointToken,
    /// A named secret such as `notification.upstreamApiKey`.
    NamedSecret,
    /// The known value that checks the key file against the database.
    KeyCheck,
}

impl SealedKind {
    /// Returns the label used in associated data and error messages.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::EndpointToken => "endpoint token",
            Self::NamedSecret => "secret",
            Self::KeyCheck => "key check",
        }
    }
}

/// Seals and opens values with the store's key.
pub(crate) struct Cipher {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl Cipher {
    /// Builds a cipher from the raw key bytes.
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        // CHACHA20_POLY1305 takes exactly KEY_LEN bytes, so this cannot fail.
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, key)
            .expect("a 32-byte key is valid for ChaCha20-Poly1305");
        Self {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// Encrypts `plaintext` for the record `kind`/`name` and returns
    /// `nonce || ciphertext || tag`.
    pub(crate) fn seal(&self, kind: SealedKind, name: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| StoreError::RandomUnavailable)?;

        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        sealed.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data(kind, name)),
                &mut body,
            )
            .map_err(|_| StoreError::Crypto {
                what: kind.label(),
                name: name.to_owned(),
            })?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// Decrypts a value sealed by [`Cipher::seal`] for the same record.
    pub(crate) fn open(&self, kind: SealedKind, name: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let failed = || StoreError::Crypto {
            what: kind.label(),
            name: name.to_owned(),
        };
        if sealed.len() < NONCE_LEN {
            return Err(failed());
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| failed())?;
        let mut body = body.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(associated_data(kind, name)), &mut body)
            .map_err(|_| failed())?;
        Ok(plaintext.to_vec())
    }

    /// Encrypts a UTF-8 string.
    pub(crate) fn seal_str(&self, kind: SealedKind, name: &str, value: &str) -> Result<Vec<u8>> {
        self.seal(kind, name, value.as_bytes())
    }

    /// Decrypts a value sealed by [`Cipher::seal_str`].
    pub(crate) fn open_str(&self, kind: SealedKind, name: &str, sealed: &[u8]) -> Result<String> {
        let plaintext = self.open(kind, name, sealed)?;
        String::from_utf8(plaintext).map_err(|_| StoreError::Crypto {
            what: kind.label(),
            name: name.to_owned(),
        })
    }
}

/// Builds the associated data `label || 0x00 || name`.
fn associated_data(kind: SealedKind, name: &str) -> Vec<u8> {
    let label = kind.label().as_bytes();
    let mut data = Vec::with_capacity(label.len() + 1 + name.len());
    data.extend_from_slice(label);
    data.push(0);
    data.extend_from_slice(name.as_bytes());
    data
}

/// Fills `buffer` from the operating system's random number generator.
pub(crate) fn fill_random(buffer: &mut [u8]) -> Result<()> {
    SystemRandom::new()
        .fill(buffer)
        .map_err(|_| StoreError::RandomUnavailable)
}

#[cfg(test)]
mod tests {
    use super::{Cipher, KEY_LEN, SealedKind};

    fn cipher() -> Cipher {
        Cipher::new(&[7u8; KEY_LEN])
    }

    /// A sealed value opens to the original plaintext.
    #[test]
    fn seal_then_open_round_trips() {
        let cipher = cipher();
        let sealed = cipher
            .seal_str(SealedKind::EndpointToken, "a.example", "tok")
            .unwrap();
        let opened = cipher
            .open_str(SealedKind::EndpointToken, "a.example", &sealed)
            .unwrap();
        assert_eq!(opened, "tok");
    }

    /// A value sealed for one record does not open under another record's key.
    #[test]
    fn open_rejects_value_moved_to_other_record() {
        let cipher = cipher();
        let sealed = cipher
            .seal_str(SealedKind::EndpointToken, "a.example", "tok")
            .unwrap();
        let moved = cipher.open_str(SealedKind::EndpointToken, "b.example", &sealed);
        assert!(moved.is_err());
    }

    /// A value sealed for one kind does not open as another kind.
    #[test]
    fn open_rejects_value_of_other_kind() {
        let cipher = cipher();
        let sealed = cipher
            .seal_str(SealedKind::EndpointToken, "x", "tok")
            .unwrap();
        let moved = cipher.open_str(SealedKind::NamedSecret, "x", &sealed);
        assert!(moved.is_err());
    }

    /// A different key cannot open the value.
    #[test]
    fn open_rejects_other_key() {
        let sealed = cipher()
            .seal_str(SealedKind::NamedSecret, "x", "value")
            .unwrap();
        let other = Cipher::new(&[8u8; KEY_LEN]);
        assert!(
            other
                .open_str(SealedKind::NamedSecret, "x", &sealed)
                .is_err()
        );
    }

    /// Two seals of the same value differ because each has a fresh nonce.
    #[test]
    fn seal_uses_fresh_nonce() {
        let cipher = cipher();
        let first = cipher.seal_str(SealedKind::NamedSecret, "x", "v").unwrap();
        let second = cipher.seal_str(SealedKind::NamedSecret, "x", "v").unwrap();
        assert_ne!(first, second);
    }

    /// Input shorter than a nonce is rejected without panicking.
    #[test]
    fn open_rejects_truncated_input() {
        let result = cipher().open(SealedKind::NamedSecret, "x", &[1, 2, 3]);
        assert!(result.is_err());
    }
}
