//! Raw configuration: the key/value strings read from `nbwss.properties` and
//! `--set` flags, each with where it came from, before any validation.
//!
//! Nothing here checks keys or values. `validated.rs` turns a [`RawConfig`]
//! into a typed `Config` and uses the origins in its error messages.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::ConfigError;
use super::properties::parse_properties;
use super::values::redact_value;

/// Source of a raw value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of a properties file.
    File {
        /// Path of the file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A command-line `--set key=value` flag.
    Flag,
    /// The built-in default of the key.
    Default,
}

impl Origin {
    /// Phrase that follows a key in an error message: "in FILE:LINE",
    /// "from --set" or "from the default".
    pub(crate) fn phrase(&self) -> String {
        match self {
            Origin::File { .. } => format!("in {self}"),
            Origin::Flag => "from --set".to_owned(),
            Origin::Default => "from the default".to_owned(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Flag => f.write_str("--set"),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// One raw key/value pair.
#[derive(Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// Key as written.
    pub key: String,
    /// Value as written, escapes resolved.
    pub value: String,
    /// Source of the pair.
    pub origin: Origin,
}

impl fmt::Debug for RawEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawEntry")
            .field("key", &self.key)
            .field("value", &redact_value(&self.key, &self.value))
            .field("origin", &self.origin)
            .finish()
    }
}

/// Raw key/value pairs in the order they were first set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawConfig {
    entries: Vec<RawEntry>,
}

impl RawConfig {
    /// Reads and parses a properties file. A missing file yields an empty
    /// configuration, so that every key takes its default.
    pub fn read_file(path: &Path) -> Result<RawConfig, ConfigError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(path = %path.display(), "properties file not found, using defaults");
                return Ok(RawConfig::default());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let text = String::from_utf8(bytes).map_err(|error| {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|&&byte| byte == b'\n').count();
            ConfigError::NotUtf8 {
                path: path.to_owned(),
                line,
            }
        })?;
        RawConfig::parse(&text, path)
    }

    /// Parses properties text. `path` labels origins and error messages.
    pub fn parse(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
        let mut raw = RawConfig::default();
        for property in parse_properties(text, path)? {
            let origin = Origin::File {
                path: path.to_owned(),
                line: property.line,
            };
            raw.set(property.key, property.value, origin);
        }
        Ok(raw)
    }

    /// Sets `key`, replacing an earlier value in place, so a later `--set`
    /// flag beats the file and an earlier flag.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>, origin: Origin) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|entry| entry.key == key) {
            Some(entry) => {
                entry.value = value;
                entry.origin = origin;
            }
            None => self.entries.push(RawEntry { key, value, origin }),
        }
    }

    /// Applies `--set key=value` flags, given as (key, value) pairs, in order.
    pub fn apply_overrides(&mut self, overrides: &[(String, String)]) {
        for (key, value) in overrides {
            self.set(key.as_str(), value.as_str(), Origin::Flag);
        }
    }

    /// Returns the entry of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&RawEntry> {
        self.entries.iter().find(|entry| entry.key == key)
    }

    /// Iterates over the entries in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = &RawEntry> {
        self.entries.iter()
    }
}
