//! Tests of `Config::load`: reading `nbwss.properties` from a directory and
//! applying `--set` overrides.

use std::fs;
use std::time::Duration;

use tempfile::TempDir;

use crate::config::{Config, ConfigError, Origin, PROPERTIES_FILE, RawConfig};

/// Creates a configuration directory holding `text` as `nbwss.properties`.
fn config_dir(text: &[u8]) -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    fs::write(dir.path().join(PROPERTIES_FILE), text).expect("write properties file");
    dir
}

fn overrides(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load_error(dir: &TempDir, pairs: &[(&str, &str)]) -> ConfigError {
    match Config::load(dir.path(), &overrides(pairs)) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(error) => error,
    }
}

/// A directory without `nbwss.properties` gives the defaults.
#[test]
fn missing_file_gives_defaults() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = Config::load(dir.path(), &[]).expect("defaults");
    assert_eq!(config, Config::default());
}

/// Values from the file are applied.
#[test]
fn reads_values_from_file() {
    let dir = config_dir(b"# tuned\nkeepAlive.scheduledRate = 15\nlog.format: json\n");
    let config = Config::load(dir.path(), &[]).expect("valid file");
    assert_eq!(config.keep_alive_rate, Duration::from_secs(15));
    assert_eq!(config.log_format, crate::config::LogFormat::Json);
}

/// A `--set` override beats the file.
#[test]
fn override_beats_file() {
    let dir = config_dir(b"keepAlive.scheduledRate=15\n");
    let config =
        Config::load(dir.path(), &overrides(&[("keepAlive.scheduledRate", "20")])).expect("valid");
    assert_eq!(config.keep_alive_rate, Duration::from_secs(20));
}

/// Among overrides of the same key, the last one wins.
#[test]
fn last_override_wins() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pairs = overrides(&[("command.timeout", "5"), ("command.timeout", "6")]);
    let config = Config::load(dir.path(), &pairs).expect("valid");
    assert_eq!(config.command_timeout, Duration::from_secs(6));
}

/// An override fixes a bad value in the file.
#[test]
fn override_replaces_bad_file_value() {
    let dir = config_dir(b"command.timeout=0\n");
    let config = Config::load(dir.path(), &overrides(&[("command.timeout", "7")])).expect("valid");
    assert_eq!(config.command_timeout, Duration::from_secs(7));
}

/// An out-of-range file value is reported with file, line and range.
#[test]
fn reports_bad_value_with_file_and_line() {
    let dir =
        config_dir(b"# nbwss\n\nkeepAlive.scheduledRate=30\nkeepAlive.maxPongMissAllowed=0\n");
    let message = load_error(&dir, &[]).to_string();
    let path = dir.path().join(PROPERTIES_FILE);
    let expected_message = format!(
        "invalid value \"0\" for keepAlive.maxPongMissAllowed in {}:4: expected a count from 1 to 100",
        path.display()
    );
    assert_eq!(message, expected_message);
}

/// An unknown key in the file is reported with file, line and suggestion.
#[test]
fn reports_unknown_key_with_file_and_line() {
    let dir = config_dir(b"log.level=info\nlog.levle=debug\n");
    let message = load_error(&dir, &[]).to_string();
    let path = dir.path().join(PROPERTIES_FILE);
    let expected_message = format!(
        "unknown key \"log.levle\" in {}:2, did you mean \"log.level\"?",
        path.display()
    );
    assert_eq!(message, expected_message);
}

/// The secret key in the file is rejected without echoing its value.
#[test]
fn rejects_secret_in_file() {
    let dir = config_dir(b"notification.upstreamApiKey=A1b2C3secret\n");
    let error = load_error(&dir, &[]);
    let message = error.to_string();
    assert!(matches!(error, ConfigError::SecretKey { .. }), "{message}");
    assert!(message.contains(":1 is a secret"), "{message}");
    assert!(!message.contains("A1b2C3secret"), "{message}");
}

/// A duplicate key names the file and both lines.
#[test]
fn reports_duplicate_key_with_file() {
    let dir = config_dir(b"log.level=info\nlog.level=debug\n");
    let message = load_error(&dir, &[]).to_string();
    let path = dir.path().join(PROPERTIES_FILE);
    let expected_message = format!(
        "duplicate key \"log.level\" in {} at lines 1 and 2: keep one of them",
        path.display()
    );
    assert_eq!(message, expected_message);
}

/// A file that is not UTF-8 is reported with the line of the bad byte.
#[test]
fn rejects_file_that_is_not_utf8() {
    let dir = config_dir(b"log.level=info\nlog.format=t\xffxt\n");
    let error = load_error(&dir, &[]);
    assert!(
        matches!(error, ConfigError::NotUtf8 { line: 2, .. }),
        "{error}"
    );
}

/// A properties path that cannot be read is an error, not the defaults.
#[test]
fn rejects_unreadable_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    fs::create_dir(dir.path().join(PROPERTIES_FILE)).expect("directory in place of the file");
    let error = load_error(&dir, &[]);
    assert!(matches!(error, ConfigError::Read { .. }), "{error}");
}

/// Raw entries keep the file line of each value and mark overrides.
#[test]
fn raw_config_records_origins() {
    let dir = config_dir(b"a=1\n\nb=2\n");
    let path = dir.path().join(PROPERTIES_FILE);
    let mut raw = RawConfig::read_file(&path).expect("parses");
    raw.apply_overrides(&overrides(&[("b", "3"), ("c", "4")]));
    let origins: Vec<(String, String, Origin)> = raw
        .iter()
        .map(|e| (e.key.clone(), e.value.clone(), e.origin.clone()))
        .collect();
    let expected = vec![
        (
            "a".to_owned(),
            "1".to_owned(),
            Origin::File {
                path: path.clone(),
                line: 1,
            },
        ),
        ("b".to_owned(), "3".to_owned(), Origin::Flag),
        ("c".to_owned(), "4".to_owned(), Origin::Flag),
    ];
    assert_eq!(origins, expected);
}
