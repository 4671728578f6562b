//! Login tokens: issued by `POST /netbackup/login`, checked on every other
//! call, revoked by `POST /netbackup/logout`.
//!
//! Tokens look like a JWT (three base64url parts) so that clients which peek
//! at them do not break, but the simulator treats them as opaque: the
//! signature is random bytes and validity is a lookup. Reading the
//! `Authorization` header is left to `api::auth`.

use std::collections::{HashMap, VecDeque};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use time::{Duration, OffsetDateTime};

/// How long a token is valid, in simulator time: 24 hours.
pub(crate) const TOKEN_LIFETIME: Duration = Duration::hours(24);

/// Maximum number of tokens kept. Beyond it the oldest are dropped, so
/// repeated logins cannot grow memory without bound.
pub(crate) const MAX_TOKENS: usize = 10_000;

/// Issued tokens with their expiry times.
#[derive(Default)]
pub(crate) struct TokenStore {
    expiry: HashMap<String, OffsetDateTime>,
    order: VecDeque<String>,
}

impl TokenStore {
    /// Issues a token for `username`, valid for [`TOKEN_LIFETIME`] from `now`.
    pub(crate) fn issue(&mut self, username: &str, now: OffsetDateTime) -> String {
        let expires = now.saturating_add(TOKEN_LIFETIME);
        let token = make_token(username, now, expires);
        self.expiry.insert(token.clone(), expires);
        self.order.push_back(token.clone());
        while self.order.len() > MAX_TOKENS {
            if let Some(oldest) = self.order.pop_front() {
                self.expiry.remove(&oldest);
            }
        }
        token
    }

    /// Tells whether `token` was issued, not revoked, and not expired at `now`.
    pub(crate) fn is_valid(&self, token: &str, now: OffsetDateTime) -> bool {
        self.expiry.get(token).is_some_and(|expires| now < *expires)
    }

    /// Revokes `token`. Returns false when it was not issued or already gone.
    pub(crate) fn revoke(&mut self, token: &str) -> bool {
        if self.expiry.remove(token).is_none() {
            return false;
        }
        self.order.retain(|issued| issued != token);
        true
    }
}

/// Builds `header.payload.signature`, each part base64url without padding.
fn make_token(username: &str, issued: OffsetDateTime, expires: OffsetDateTime) -> String {
    let mut rng = rand::rng();
    let mut signature = [0u8; 32];
    rng.fill(&mut signature);
    let token_id: u128 = rng.random();
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    let payload = serde_json::json!({
        "sub": username,
        "iat": issued.unix_timestamp(),
        "exp": expires.unix_timestamp(),
        "jti": format!("{token_id:032x}"),
    });
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Compares two secrets in time that depends only on their lengths.
pub(crate) fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
    }

    /// A fresh token is valid and has three dot-separated parts.
    #[test]
    fn issued_token_is_valid() {
        let mut store = TokenStore::default();
        let token = store.issue("admin", start());
        assert!(store.is_valid(&token, start()));
        assert_eq!(token.split('.').count(), 3);
    }

    /// A token stops being valid when its lifetime ends.
    #[test]
    fn token_expires_after_lifetime() {
        let mut store = TokenStore::default();
        let token = store.issue("admin", start());
        assert!(!store.is_valid(&token, start() + TOKEN_LIFETIME));
    }

    /// A revoked token is no longer valid.
    #[test]
    fn revoked_token_is_invalid() {
        let mut store = TokenStore::default();
        let token = store.issue("admin", start());
        assert!(store.revoke(&token));
        assert!(!store.is_valid(&token, start()));
    }

    /// The oldest token is dropped once the store is full.
    #[test]
    fn oldest_token_dropped_when_full() {
        let mut store = TokenStore::default();
        let first = store.issue("admin", start());
        for _ in 0..MAX_TOKENS {
            store.issue("admin", start());
        }
        assert!(!store.is_valid(&first, start()));
    }

    /// Secrets of different lengths or contents are unequal.
    #[test]
    fn secrets_compare_by_content() {
        assert!(secrets_equal(b"abc", b"abc"));
        assert!(!secrets_equal(b"abc", b"abd"));
        assert!(!secrets_equal(b"abc", b"abcd"));
    }
}
