//! Tests of the key table: defaults, listings, the Markdown reference and
//! the reload diff.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::config_from;
use crate::config::{Config, KEYS, Kind, LogFormat, Max, RawConfig, describe_keys, find_key};

/// Every field takes the documented default when nothing is set.
#[test]
fn every_key_has_documented_default() {
    let config = Config::from_pairs::<&str, &str>(&[]).expect("defaults are valid");
    let admin: SocketAddr = "127.0.0.1:7450".parse().expect("test address");
    assert!(!config.ignore_decoder);
    assert_eq!(
        config.notification_send_timeout,
        Duration::from_millis(2000)
    );
    assert_eq!(config.notification_scheduled_rate, Duration::from_secs(5));
    assert_eq!(config.keep_alive_rate, Duration::from_secs(30));
    assert_eq!(config.keep_alive_max_pong_miss, 2);
    assert_eq!(config.connection_info_period, Duration::from_secs(60));
    assert_eq!(config.retry_delay, Duration::from_secs(1));
    assert_eq!(config.connect_response_timeout, Duration::from_secs(10));
    assert_eq!(config.max_inbound_message_bytes, 2_097_152);
    assert_eq!(config.hard_max_inbound_message_bytes, 16_777_216);
    assert_eq!(config.proxy, None);
    assert_eq!(config.upstream_url, "https://localhost:1556");
    assert_eq!(config.upstream_ca_file, None);
    assert_eq!(config.allowed_path_prefixes, vec!["/netbackup/"]);
    assert_eq!(config.command_max_concurrent, 32);
    assert_eq!(config.command_timeout, Duration::from_secs(120));
    assert_eq!(config.command_max_response_bytes, 67_108_864);
    assert_eq!(config.notification_max_batch, 100);
    assert_eq!(config.max_pending_per_group, 100_000);
    assert!(!config.job_poller_enabled);
    assert_eq!(config.admin_listen, admin);
    assert_eq!(config.log_level, "info");
    assert_eq!(config.log_format, LogFormat::Text);
}

/// `Config::default` equals a configuration with nothing set.
#[test]
fn default_matches_empty_input() {
    let empty = Config::from_raw(&RawConfig::default()).expect("defaults are valid");
    assert_eq!(Config::default(), empty);
}

/// The effective values of a default configuration are the table's
/// defaults, key by key, in table order, without the secret key.
#[test]
fn entries_list_table_defaults() {
    let expected: Vec<(&str, String)> = KEYS
        .iter()
        .filter(|spec| !matches!(spec.kind, Kind::Secret))
        .map(|spec| (spec.name, spec.default.to_owned()))
        .collect();
    assert_eq!(Config::default().entries(), expected);
}

/// Key names are unique.
#[test]
fn key_names_are_unique() {
    for (index, spec) in KEYS.iter().enumerate() {
        let first = KEYS.iter().position(|other| other.name == spec.name);
        assert_eq!(first, Some(index), "{} listed twice", spec.name);
    }
}

/// A bound that names another key names an integer key of the table.
#[test]
fn bound_keys_exist() {
    for spec in KEYS {
        if let Kind::Integer {
            max: Max::Key(bound),
            ..
        } = spec.kind
        {
            let bound_spec = find_key(bound);
            assert!(
                matches!(bound_spec.map(|s| &s.kind), Some(Kind::Integer { .. })),
                "{} is bounded by {bound}, which is not an integer key",
                spec.name
            );
        }
    }
}

/// The Markdown reference has a header and one row per key.
#[test]
fn describe_keys_renders_row_per_key() {
    let table = describe_keys();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2 + KEYS.len());
    for spec in KEYS {
        let prefix = format!("| `{}` |", spec.name);
        assert!(
            lines.iter().any(|line| line.starts_with(&prefix)),
            "no row for {}",
            spec.name
        );
    }
}

/// The reference shows a dependent bound by the key's name.
#[test]
fn describe_keys_names_dependent_bound() {
    let table = describe_keys();
    let row = table
        .lines()
        .find(|line| line.starts_with("| `connection.retryDelay` |"))
        .expect("retryDelay row");
    assert!(row.contains("1 to `connectionInfo.period`"), "{row}");
}

/// The reference shows the secret as unset and how to set it.
#[test]
fn describe_keys_explains_secret() {
    let table = describe_keys();
    let row = table
        .lines()
        .find(|line| line.starts_with("| `notification.upstreamApiKey` |"))
        .expect("secret row");
    assert!(row.contains("| unset |"), "{row}");
    assert!(row.contains("nbwss secrets set-upstream-api-key"), "{row}");
}

/// `to_properties` output parses back into the same configuration.
#[test]
fn properties_output_round_trips() {
    let config = config_from(&[
        ("keepAlive.scheduledRate", "45"),
        ("connection.proxy", "http://proxy:3128"),
        ("command.upstreamCaFile", "/etc/nbwss/ca dir/ca.pem"),
        (
            "command.allowedPathPrefixes",
            "/netbackup/admin/,/netbackup/config/",
        ),
        ("log.level", "nbwss_service=debug,info"),
        ("log.format", "json"),
    ]);
    let text = config.to_properties();
    let raw = RawConfig::parse(&text, Path::new("status")).expect("output parses");
    let reread = Config::from_raw(&raw).expect("output validates");
    assert_eq!(reread, config, "{text}");
}

/// Listings and `Debug` hide the proxy password.
#[test]
fn listings_hide_proxy_password() {
    let config = config_from(&[("connection.proxy", "http://bob:s3cret@proxy:3128")]);
    let listed = config
        .entries()
        .into_iter()
        .find(|(key, _)| *key == "connection.proxy");
    assert_eq!(
        listed.map(|(_, value)| value),
        Some("http://bob:***@proxy:3128".to_owned())
    );
    assert!(!config.to_properties().contains("s3cret"));
    assert!(!format!("{config:?}").contains("s3cret"));
}

/// Identical configurations have no differences.
#[test]
fn reload_diff_of_equal_configs_is_empty() {
    let config = Config::default();
    assert_eq!(config.reloadable_diff(&config.clone()), Vec::<&str>::new());
}

/// The diff names every changed key in table order.
#[test]
fn reload_diff_names_changed_keys() {
    let old = Config::default();
    let new = config_from(&[("log.level", "debug"), ("keepAlive.scheduledRate", "10")]);
    assert_eq!(
        old.reloadable_diff(&new),
        vec!["keepAlive.scheduledRate", "log.level"]
    );
}

/// A changed proxy password is a change, although listings hide it.
#[test]
fn reload_diff_sees_proxy_password_change() {
    let old = config_from(&[("connection.proxy", "http://bob:one@proxy:3128")]);
    let new = config_from(&[("connection.proxy", "http://bob:two@proxy:3128")]);
    assert_eq!(old.reloadable_diff(&new), vec!["connection.proxy"]);
}
