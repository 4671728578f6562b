//! Tests of the configuration module: the properties parser, the key table,
//! value validation and loading from a directory.

mod load;
mod properties;
mod ranges;
mod table;
mod values;

use super::{Config, ConfigError};

/// Validates `pairs` as `--set` flags and returns the error message.
fn error_message(pairs: &[(&str, &str)]) -> String {
    match Config::from_pairs(pairs) {
        Ok(config) => panic!("expected an error for {pairs:?}, got {config:?}"),
        Err(error) => error.to_string(),
    }
}

/// Validates `pairs` as `--set` flags, panicking with the message on error.
fn config_from(pairs: &[(&str, &str)]) -> Config {
    Config::from_pairs(pairs).unwrap_or_else(|error: ConfigError| panic!("{pairs:?}: {error}"))
}
