//! [`Secret`], a string that hides itself from `Debug` and `Display`.
//!
//! Wrapping tokens and API keys in this type makes a stray `{:?}` or `%` in a
//! log line print `***` instead of the value. It does not zero its memory on
//! drop and does not stop a caller from logging the result of `expose()`.

use std::fmt;

/// A secret string, such as an endpoint token or an upstream API key.
///
/// `Debug` and `Display` print `***`. Call [`Secret::expose`] to read the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the plaintext value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Consumes the wrapper and returns the plaintext value.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    /// Debug output hides the value.
    #[test]
    fn debug_prints_stars() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "***");
    }

    /// Display output hides the value.
    #[test]
    fn display_prints_stars() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "***");
    }

    /// `expose` returns the value unchanged.
    #[test]
    fn expose_returns_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(secret.expose(), "hunter2");
    }
}
