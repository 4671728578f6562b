//! Service configuration: `nbwss.properties` in the configuration directory
//! plus `--set key=value` command-line overrides, validated into a typed
//! [`Config`].
//!
//! Layout: `properties.rs` parses the Java properties syntax, `raw.rs` keeps
//! the unvalidated strings with their origins, `keys.rs` is the table of
//! keys, defaults and ranges, `values.rs` and `reader.rs` convert single
//! values, and `validated.rs` builds the [`Config`]. A bad key or value stops
//! loading with an error that names key, value, origin and accepted range.
//!
//! Left to others: parsing the command line into overrides, reading the
//! upstream API key secret (kept in the store, never in this file), loading
//! the CA file, and deciding which changes a reload can apply live.

mod keys;
mod properties;
mod raw;
mod reader;
mod suggest;
mod validated;
mod values;

use std::error::Error as StdError;
use std::io;
use std::path::{Path, PathBuf};

pub use keys::{KEYS, KeySpec, Kind, Max, Unit, describe_keys, find_key};
pub use properties::{PropertiesError, Property, escape_value, parse_properties};
pub use raw::{Origin, RawConfig, RawEntry};
pub use validated::{Config, LogFormat};

/// Name of the properties file in the configuration directory.
pub const PROPERTIES_FILE: &str = "nbwss.properties";

/// Parser error kept as the source of an invalid value.
pub type BoxedError = Box<dyn StdError + Send + Sync>;

/// Error while loading or validating the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The properties file exists but could not be read.
    #[error("failed to read {}", path.display())]
    Read {
        /// Path of the file.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// The properties file is not valid UTF-8.
    #[error("invalid UTF-8 in {}:{line}: save the file as UTF-8", path.display())]
    NotUtf8 {
        /// Path of the file.
        path: PathBuf,
        /// Line of the first invalid byte.
        line: usize,
    },
    /// The properties file has a syntax error.
    #[error(transparent)]
    Properties(#[from] PropertiesError),
    /// A key is not in the key table. Fix the spelling or remove the line.
    #[error("unknown key {key:?} {}{}", origin.phrase(), did_you_mean(*suggestion))]
    UnknownKey {
        /// Key as written.
        key: String,
        /// Source of the key: file line, flag or default.
        origin: Origin,
        /// Closest known key, when one is close.
        suggestion: Option<&'static str>,
    },
    /// A secret was set in the file or with `--set`. Remove it and set the
    /// secret through the admin API or the CLI instead.
    #[error(
        "{key} {} is a secret and is not accepted in configuration: set it with \"nbwss secrets set-upstream-api-key\" or the admin API",
        origin.phrase()
    )]
    SecretKey {
        /// Key of the secret.
        key: &'static str,
        /// Source of the key: file line, flag or default.
        origin: Origin,
    },
    /// A value is malformed or out of range.
    #[error("invalid value {value:?} for {key} {}: expected {expected}", origin.phrase())]
    InvalidValue {
        /// Key of the value.
        key: &'static str,
        /// Value as written, trimmed, with any password replaced by `***`.
        value: String,
        /// Source of the key: file line, flag or default.
        origin: Origin,
        /// Accepted values, with unit and range.
        expected: String,
        /// Error of the value's parser, where it adds detail.
        #[source]
        source: Option<BoxedError>,
    },
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|key| format!(", did you mean {key:?}?"))
        .unwrap_or_default()
}

impl Config {
    /// Loads `nbwss.properties` from `config_dir`, applies `overrides` in
    /// order (a later one beats the file and earlier ones), and validates.
    ///
    /// A missing file means every key not overridden takes its default.
    pub fn load(config_dir: &Path, overrides: &[(String, String)]) -> Result<Config, ConfigError> {
        let path = config_dir.join(PROPERTIES_FILE);
        let mut raw = RawConfig::read_file(&path)?;
        raw.apply_overrides(overrides);
        Config::from_raw(&raw)
    }

    /// Validates `pairs` as if each were a `--set` flag, over the defaults.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: &[(K, V)],
    ) -> Result<Config, ConfigError> {
        let mut raw = RawConfig::default();
        for (key, value) in pairs {
            raw.set(key.as_ref(), value.as_ref(), Origin::Flag);
        }
        Config::from_raw(&raw)
    }
}

#[cfg(test)]
mod tests;
