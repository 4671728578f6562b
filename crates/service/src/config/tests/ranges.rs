//! Tests of integer ranges: each key's lower and upper bound is accepted and
//! one past each is rejected with a message naming key, value and range.

use std::time::Duration;

use super::{config_from, error_message};
use crate::config::Config;

/// Checks that `min` and `max` of `key` are accepted and that `min - 1` and
/// `max + 1` are rejected with `expected` in the message. `extra` pairs are
/// set alongside, for keys whose range depends on another key.
fn check_range(key: &str, min: u64, max: u64, expected: &str, extra: &[(&str, &str)]) {
    for accepted in [min, max] {
        let value = accepted.to_string();
        let mut pairs = extra.to_vec();
        pairs.push((key, &value));
        let result = Config::from_pairs(&pairs);
        assert!(
            result.is_ok(),
            "{key}={value} rejected: {:?}",
            result.err().map(|e| e.to_string())
        );
    }
    let mut outside = vec![max + 1];
    if min > 0 {
        outside.push(min - 1);
    }
    for rejected in outside {
        let value = rejected.to_string();
        let mut pairs = extra.to_vec();
        pairs.push((key, &value));
        let message = error_message(&pairs);
        let expected_message =
            format!("invalid value \"{value}\" for {key} from --set: expected {expected}");
        assert_eq!(message, expected_message);
    }
}

/// `notification.sendTimeout` accepts 100 to 600000 ms.
#[test]
fn send_timeout_range() {
    let expected = "milliseconds from 100 to 600000";
    check_range("notification.sendTimeout", 100, 600_000, expected, &[]);
}

/// `notification.scheduledRate` accepts 1 to 3600 s.
#[test]
fn notification_scheduled_rate_range() {
    let expected = "seconds from 1 to 3600";
    check_range("notification.scheduledRate", 1, 3600, expected, &[]);
}

/// `keepAlive.scheduledRate` accepts 1 to 3600 s.
#[test]
fn keep_alive_rate_range() {
    check_range(
        "keepAlive.scheduledRate",
        1,
        3600,
        "seconds from 1 to 3600",
        &[],
    );
}

/// `keepAlive.maxPongMissAllowed` accepts 1 to 100.
#[test]
fn max_pong_miss_range() {
    check_range(
        "keepAlive.maxPongMissAllowed",
        1,
        100,
        "a count from 1 to 100",
        &[],
    );
}

/// `connectionInfo.period` accepts 1 to 86400 s.
#[test]
fn connection_info_period_range() {
    check_range(
        "connectionInfo.period",
        1,
        86_400,
        "seconds from 1 to 86400",
        &[],
    );
}

/// `connection.retryDelay` accepts 1 s up to the default period of 60 s.
#[test]
fn retry_delay_range_with_default_period() {
    let expected = "seconds from 1 to connectionInfo.period (60)";
    check_range("connection.retryDelay", 1, 60, expected, &[]);
}

/// `connection.retryDelay` follows a configured `connectionInfo.period`.
#[test]
fn retry_delay_range_follows_period() {
    let expected = "seconds from 1 to connectionInfo.period (3600)";
    let period = [("connectionInfo.period", "3600")];
    check_range("connection.retryDelay", 1, 3600, expected, &period);
}

/// A retry delay above a configured period is rejected, and the message
/// names the period's value.
#[test]
fn rejects_retry_delay_above_period() {
    let message = error_message(&[
        ("connection.retryDelay", "30"),
        ("connectionInfo.period", "10"),
    ]);
    let expected_message = "invalid value \"30\" for connection.retryDelay from --set: \
                  expected seconds from 1 to connectionInfo.period (10)";
    assert_eq!(message, expected_message);
}

/// `connect.responseTimeout` accepts 1 to 600 s.
#[test]
fn connect_response_timeout_range() {
    check_range(
        "connect.responseTimeout",
        1,
        600,
        "seconds from 1 to 600",
        &[],
    );
}

/// `connection.maxInboundMessageBytes` accepts 1024 up to the default hard
/// maximum.
#[test]
fn max_inbound_range_with_default_hard_max() {
    let expected = "a size in bytes from 1024 to connection.hardMaxInboundMessageBytes (16777216)";
    check_range(
        "connection.maxInboundMessageBytes",
        1024,
        16_777_216,
        expected,
        &[],
    );
}

/// `connection.hardMaxInboundMessageBytes` accepts 1024 to 1 GiB.
#[test]
fn hard_max_inbound_range() {
    let expected = "a size in bytes from 1024 to 1073741824";
    let policy = [("connection.maxInboundMessageBytes", "1024")];
    check_range(
        "connection.hardMaxInboundMessageBytes",
        1024,
        1 << 30,
        expected,
        &policy,
    );
}

/// A hard maximum below the default policy limit is reported on the policy
/// limit, naming the default as the origin.
#[test]
fn rejects_hard_max_below_default_policy_limit() {
    let message = error_message(&[("connection.hardMaxInboundMessageBytes", "1024")]);
    let expected_message = "invalid value \"2097152\" for connection.maxInboundMessageBytes from the default: \
                  expected a size in bytes from 1024 to connection.hardMaxInboundMessageBytes (1024)";
    assert_eq!(message, expected_message);
}

/// `command.maxConcurrent` accepts 1 to 4096.
#[test]
fn command_max_concurrent_range() {
    check_range(
        "command.maxConcurrent",
        1,
        4096,
        "a count from 1 to 4096",
        &[],
    );
}

/// `command.timeout` accepts 1 to 3600 s.
#[test]
fn command_timeout_range() {
    check_range("command.timeout", 1, 3600, "seconds from 1 to 3600", &[]);
}

/// `command.maxResponseBytes` accepts 1 KiB to 4 GiB.
#[test]
fn command_max_response_bytes_range() {
    let expected = "a size in bytes from 1024 to 4294967296";
    check_range("command.maxResponseBytes", 1024, 4 << 30, expected, &[]);
}

/// `notification.maxBatch` accepts 1 to 10000.
#[test]
fn notification_max_batch_range() {
    let expected = "a number of items from 1 to 10000";
    check_range("notification.maxBatch", 1, 10_000, expected, &[]);
}

/// `notification.maxPendingPerGroup` accepts 1 to 100000000.
#[test]
fn max_pending_per_group_range() {
    let expected = "a number of items from 1 to 100000000";
    check_range(
        "notification.maxPendingPerGroup",
        1,
        100_000_000,
        expected,
        &[],
    );
}

/// Integers with a sign, a unit or a fraction are rejected.
#[test]
fn rejects_non_digit_integers() {
    for value in ["-1", "+5", "30s", "1.5", "1e3", "", "thirty"] {
        let message = error_message(&[("keepAlive.scheduledRate", value)]);
        let expected_message = format!(
            "invalid value \"{value}\" for keepAlive.scheduledRate from --set: expected seconds from 1 to 3600"
        );
        assert_eq!(message, expected_message);
    }
}

/// A value past u64 is rejected like any other out-of-range value.
#[test]
fn rejects_integer_overflow() {
    let message = error_message(&[("command.timeout", "99999999999999999999999")]);
    assert!(
        message.ends_with("expected seconds from 1 to 3600"),
        "{message}"
    );
}

/// Surrounding whitespace of a value is ignored.
#[test]
fn trims_whitespace_around_values() {
    let config = config_from(&[("keepAlive.scheduledRate", "  45 \t")]);
    assert_eq!(config.keep_alive_rate, Duration::from_secs(45));
}

/// Millisecond and second keys become the matching durations.
#[test]
fn converts_units_to_durations() {
    let config = config_from(&[
        ("notification.sendTimeout", "1500"),
        ("command.timeout", "90"),
    ]);
    assert_eq!(
        config.notification_send_timeout,
        Duration::from_millis(1500)
    );
    assert_eq!(config.command_timeout, Duration::from_secs(90));
}
