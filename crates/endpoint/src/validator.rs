//! The check applied to the token of each CONNECT REQUEST.
//!
//! Where tokens come from (a file, a database, a secrets manager) is up to
//! the application. This module defines the interface and implements it for
//! closures and sets of tokens.

use std::collections::{BTreeSet, HashSet};

/// Decides whether a CONNECT token is accepted.
///
/// `validate` runs on the connection's task, so it should return quickly.
/// Implementations must not log the token.
pub trait TokenValidator: Send + Sync + 'static {
    /// Returns `true` when `token` is accepted.
    fn validate(&self, token: &str) -> bool;
}

impl<F> TokenValidator for F
where
    F: Fn(&str) -> bool + Send + Sync + 'static,
{
    fn validate(&self, token: &str) -> bool {
        self(token)
    }
}

impl TokenValidator for HashSet<String> {
    fn validate(&self, token: &str) -> bool {
        self.contains(token)
    }
}

impl TokenValidator for BTreeSet<String> {
    fn validate(&self, token: &str) -> bool {
        self.contains(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set accepts exactly its members.
    #[test]
    fn set_accepts_only_members() {
        let tokens: HashSet<String> = ["alpha".to_owned()].into();
        assert!(tokens.validate("alpha"));
        assert!(!tokens.validate("beta"));
    }

    /// A closure decides on its own.
    #[test]
    fn closure_is_a_validator() {
        let validator = |token: &str| token.starts_with("ok-");
        assert!(TokenValidator::validate(&validator, "ok-1"));
        assert!(!TokenValidator::validate(&validator, "no"));
    }
}
