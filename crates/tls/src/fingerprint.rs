//! SHA-256 certificate fingerprints.
//!
//! A [`Fingerprint`] is the SHA-256 digest of a certificate's DER encoding,
//! written the way `openssl x509 -fingerprint -sha256` prints it: upper-case
//! hex pairs joined with `:`. Deciding which fingerprint to pin is left to
//! the caller.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of bytes in a SHA-256 digest.
const LEN: usize = 32;

/// The SHA-256 digest of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; LEN]);

/// Errors from parsing a fingerprint string.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FingerprintError {
    /// The text is not 32 hex-encoded bytes.
    #[error(
        "invalid SHA-256 fingerprint {value:?}: expected 32 hex byte pairs, \
         optionally separated by ':' (e.g. \"AB:CD:...\")"
    )]
    Invalid {
        /// The rejected text.
        value: String,
    },
}

impl Fingerprint {
    /// Computes the fingerprint of a DER-encoded certificate.
    pub fn of(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut bytes = [0u8; LEN];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// Returns the digest bytes.
    pub fn as_bytes(&self) -> &[u8; LEN] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = FingerprintError;

    /// Parses 64 hex digits, upper or lower case, with or without a `:`
    /// between each pair. Surrounding whitespace is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || FingerprintError::Invalid {
            value: text.to_owned(),
        };
        let trimmed = text.trim();
        let digits: Vec<u8> = if trimmed.contains(':') {
            split_pairs(trimmed).ok_or_else(invalid)?
        } else {
            trimmed.bytes().collect()
        };
        if digits.len() != LEN * 2 {
            return Err(invalid());
        }
        let mut bytes = [0u8; LEN];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (hex_value(pair[0]).ok_or_else(invalid)? << 4)
                | hex_value(pair[1]).ok_or_else(invalid)?;
        }
        Ok(Self(bytes))
    }
}

/// Joins the digits of a `:`-separated form, or returns `None` when any
/// group is not exactly two characters long.
fn split_pairs(text: &str) -> Option<Vec<u8>> {
    let mut digits = Vec::with_capacity(LEN * 2);
    for group in text.split(':') {
        if group.len() != 2 {
            return None;
        }
        digits.extend_from_slice(group.as_bytes());
    }
    Some(digits)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Fingerprint {
        Fingerprint::of(b"not really a certificate")
    }

    /// Display writes 32 upper-case pairs joined by colons.
    #[test]
    fn display_uses_openssl_format() {
        let text = Fingerprint([0xab; LEN]).to_string();
        assert_eq!(text, ["AB"; LEN].join(":"));
    }

    /// Parsing the displayed text gives back the same fingerprint.
    #[test]
    fn parses_displayed_text() {
        let fingerprint = sample();
        assert_eq!(fingerprint.to_string().parse(), Ok(fingerprint));
    }

    /// Lower-case digits without separators are accepted.
    #[test]
    fn parses_lower_case_without_colons() {
        let fingerprint = sample();
        let text = fingerprint.to_string().replace(':', "").to_lowercase();
        assert_eq!(text.parse(), Ok(fingerprint));
    }

    /// Surrounding whitespace, as pasted from a terminal, is ignored.
    #[test]
    fn parses_with_surrounding_whitespace() {
        let fingerprint = sample();
        let text = format!("  {fingerprint}\n");
        assert_eq!(text.parse(), Ok(fingerprint));
    }

    /// Wrong lengths, bad digits and misplaced colons are rejected.
    #[test]
    fn rejects_malformed_text() {
        let valid = sample().to_string();
        let cases = [
            String::new(),
            valid[3..].to_owned(),
            format!("{valid}:00"),
            format!("G{}", &valid[1..]),
            valid.replace(':', "::"),
            format!(":{}", valid.replace(':', "")),
            "AB".repeat(31) + "ABC",
            "ZZ".repeat(32),
        ];
        for case in cases {
            let result = case.parse::<Fingerprint>();
            assert!(result.is_err(), "accepted {case:?}");
        }
    }

    /// The parse error quotes the bad value and the accepted form.
    #[test]
    fn error_names_value_and_form() {
        let message = "12:34".parse::<Fingerprint>().unwrap_err().to_string();
        assert!(message.contains("\"12:34\""), "{message}");
        assert!(message.contains("32 hex byte pairs"), "{message}");
    }

    /// Serde writes the display string and reads it back.
    #[test]
    fn serde_round_trip() {
        let fingerprint = sample();
        let json = serde_json::to_string(&fingerprint).unwrap();
        assert_eq!(json, format!("\"{fingerprint}\""));
        let back: Fingerprint = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fingerprint);
    }

    /// The digest matches a known SHA-256 value.
    #[test]
    fn digest_matches_known_value() {
        let expected = "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:\
                        27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";
        assert_eq!(Fingerprint::of(b"").to_string(), expected);
    }
}
