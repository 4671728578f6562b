//! Tests of non-integer values, unknown keys and the secret key.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{config_from, error_message};
use crate::config::{ConfigError, LogFormat};

/// Booleans accept `true` and `false` in any case.
#[test]
fn accepts_booleans_in_any_case() {
    let config = config_from(&[
        ("exception.ignoreDecoder", "TRUE"),
        ("notification.jobPoller.enabled", "True"),
    ]);
    assert!(config.ignore_decoder);
    assert!(config.job_poller_enabled);
}

/// Booleans reject `yes`, `1` and empty.
#[test]
fn rejects_other_booleans() {
    for value in ["yes", "1", "on", ""] {
        let message = error_message(&[("exception.ignoreDecoder", value)]);
        let expected_message = format!(
            "invalid value \"{value}\" for exception.ignoreDecoder from --set: expected true or false"
        );
        assert_eq!(message, expected_message);
    }
}

/// Proxy URLs with and without credentials are accepted.
#[test]
fn accepts_proxy_urls() {
    for value in [
        "http://proxy:3128",
        "http://proxy.example.com:8080/",
        "HTTP://bob:s3cret@proxy:3128",
        "http://bob:p%40ss@10.0.0.1:3128",
        "http://bob:@proxy:3128",
        "http://[::1]:3128",
    ] {
        let config = config_from(&[("connection.proxy", value)]);
        assert_eq!(config.proxy.as_deref(), Some(value));
    }
}

/// An empty proxy value means no proxy.
#[test]
fn empty_proxy_is_none() {
    let config = config_from(&[("connection.proxy", "")]);
    assert_eq!(config.proxy, None);
}

/// Proxy values that are not `http://[user:pass@]host:port` are rejected.
#[test]
fn rejects_bad_proxy_urls() {
    for value in [
        "proxy:3128",
        "https://proxy:3128",
        "socks5://proxy:1080",
        "http://proxy",
        "http://proxy:0",
        "http://proxy:65536",
        "http://proxy:3128/path",
        "http://proxy:3128?x=1",
        "http://bob@proxy:3128",
        "http://:pw@proxy:3128",
        "http://bob:p@ss@proxy:3128",
        "http://:3128",
        "http://::1:3128",
        "http://pro xy:3128",
    ] {
        let message = error_message(&[("connection.proxy", value)]);
        let expected_message =
            "expected a URL of the form http://[user:pass@]host:port, or empty for none";
        assert!(message.ends_with(expected_message), "{value}: {message}");
    }
}

/// A rejected proxy URL is quoted with its password replaced.
#[test]
fn hides_proxy_password_in_error() {
    let message = error_message(&[("connection.proxy", "http://bob:s3cret@proxy")]);
    assert!(
        message.starts_with("invalid value \"http://bob:***@proxy\""),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
}

/// Upstream URLs keep scheme, host and port and lose a trailing `/`.
#[test]
fn accepts_upstream_urls() {
    for (value, stored) in [
        (
            "https://nbu.example.com:1556",
            "https://nbu.example.com:1556",
        ),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://[::1]:1556", "https://[::1]:1556"),
        ("HTTPS://nbu", "HTTPS://nbu"),
    ] {
        let config = config_from(&[("command.upstreamUrl", value)]);
        assert_eq!(config.upstream_url, stored);
    }
}

/// Upstream URLs with a path, credentials, another scheme or a bad port are
/// rejected.
#[test]
fn rejects_bad_upstream_urls() {
    for value in [
        "nbu:1556",
        "ftp://nbu:1556",
        "https://",
        "https://nbu:1556/netbackup",
        "https://nbu:1556//",
        "https://nbu:1556?x=1",
        "https://nbu:1556#frag",
        "https://user:pw@nbu:1556",
        "https://nbu:99999",
        "https://nbu:",
        "",
    ] {
        let message = error_message(&[("command.upstreamUrl", value)]);
        let expected_message = "for command.upstreamUrl from --set: \
                      expected a URL of the form https://host[:port] or http://host[:port], without a path";
        assert!(message.ends_with(expected_message), "{value}: {message}");
    }
}

/// Credentials in a rejected upstream URL are not echoed.
#[test]
fn hides_upstream_password_in_error() {
    let message = error_message(&[("command.upstreamUrl", "https://user:pw@nbu:1556")]);
    assert!(
        message.starts_with("invalid value \"https://user:***@nbu:1556\""),
        "{message}"
    );
}

/// The CA file is a path, or none when empty.
#[test]
fn reads_upstream_ca_file() {
    let set = config_from(&[("command.upstreamCaFile", "/etc/nbwss/ca.pem")]);
    let empty = config_from(&[("command.upstreamCaFile", " ")]);
    assert_eq!(
        set.upstream_ca_file,
        Some(PathBuf::from("/etc/nbwss/ca.pem"))
    );
    assert_eq!(empty.upstream_ca_file, None);
}

/// Path prefixes are split at commas and trimmed.
#[test]
fn splits_path_prefixes() {
    let config = config_from(&[(
        "command.allowedPathPrefixes",
        " /netbackup/admin/ , /netbackup/config/,",
    )]);
    assert_eq!(
        config.allowed_path_prefixes,
        vec!["/netbackup/admin/", "/netbackup/config/"]
    );
}

/// Path prefixes must start with `/` and contain no traversal or query.
#[test]
fn rejects_bad_path_prefixes() {
    for value in [
        "",
        " , ",
        "netbackup/",
        "/a/,b/",
        "//host/",
        "/a/../b",
        "/a/..",
        "/a?x",
        "/a#b",
        "/a b",
        "/a\\b",
    ] {
        let message = error_message(&[("command.allowedPathPrefixes", value)]);
        assert!(
            message.contains("expected comma-separated path prefixes, each starting with /"),
            "{value}: {message}"
        );
    }
}

/// `admin.listen` accepts IPv4 and IPv6 socket addresses, port 0 included.
#[test]
fn accepts_admin_listen_addresses() {
    for value in ["0.0.0.0:7450", "[::1]:7450", "127.0.0.1:0"] {
        let config = config_from(&[("admin.listen", value)]);
        let expected_message: SocketAddr = value.parse().expect("test address");
        assert_eq!(config.admin_listen, expected_message);
    }
}

/// `admin.listen` rejects host names, missing and bad ports.
#[test]
fn rejects_bad_admin_listen() {
    for value in [
        "localhost:7450",
        "127.0.0.1",
        "127.0.0.1:70000",
        "::1:7450",
        ":7450",
    ] {
        let message = error_message(&[("admin.listen", value)]);
        let expected_message = format!(
            "invalid value \"{value}\" for admin.listen from --set: \
             expected an IP address and port such as 127.0.0.1:7450 or [::1]:7450"
        );
        assert_eq!(message, expected_message);
    }
}

/// `log.level` accepts `EnvFilter` directives.
#[test]
fn accepts_log_filters() {
    for value in [
        "debug",
        "nbwss_service=trace,info",
        "warn,nbwss_service::config=debug",
    ] {
        let config = config_from(&[("log.level", value)]);
        assert_eq!(config.log_level, value);
    }
}

/// `log.level` rejects empty values and directives with a bad level, and
/// keeps the parser's error as the source.
#[test]
fn rejects_bad_log_filters() {
    let empty = error_message(&[("log.level", "")]);
    assert!(
        empty.starts_with("invalid value \"\" for log.level"),
        "{empty}"
    );
    let error =
        crate::config::Config::from_pairs(&[("log.level", "nbwss=loud")]).expect_err("bad level");
    assert!(
        matches!(
            error,
            ConfigError::InvalidValue {
                source: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
}

/// A bare word that is not a level, which `EnvFilter` would read as a
/// target and so log nothing, is rejected with the accepted levels.
#[test]
fn rejects_bare_word_log_level() {
    for value in ["verbose", "info,loud"] {
        let message = error_message(&[("log.level", value)]);
        assert!(
            message.contains("trace, debug, info, warn, error or off"),
            "{value}: {message}"
        );
    }
    let config = config_from(&[("log.level", "WARN")]);
    assert_eq!(config.log_level, "WARN");
}

/// `log.format` accepts `text` and `json` in any case and rejects others.
#[test]
fn reads_log_format() {
    let json = config_from(&[("log.format", "JSON")]);
    assert_eq!(json.log_format, LogFormat::Json);
    let message = error_message(&[("log.format", "xml")]);
    assert_eq!(
        message,
        "invalid value \"xml\" for log.format from --set: expected text or json"
    );
}

/// An unknown key close to a known one gets a suggestion.
#[test]
fn suggests_closest_key_for_unknown_key() {
    let message = error_message(&[("keepAlive.scheduleRate", "30")]);
    assert_eq!(
        message,
        "unknown key \"keepAlive.scheduleRate\" from --set, did you mean \"keepAlive.scheduledRate\"?"
    );
}

/// An unknown key unlike any known one gets no suggestion.
#[test]
fn reports_unknown_key_without_suggestion() {
    let message = error_message(&[("database.url", "x")]);
    assert_eq!(message, "unknown key \"database.url\" from --set");
}

/// Keys are case-sensitive.
#[test]
fn rejects_key_in_wrong_case() {
    let message = error_message(&[("LOG.LEVEL", "debug")]);
    assert!(
        message.ends_with("did you mean \"log.level\"?"),
        "{message}"
    );
}

/// The upstream API key is refused and its value is never echoed.
#[test]
fn rejects_secret_key() {
    let message = error_message(&[("notification.upstreamApiKey", "hunter2")]);
    assert_eq!(
        message,
        "notification.upstreamApiKey from --set is a secret and is not accepted in configuration: \
         set it with \"nbwss secrets set-upstream-api-key\" or the admin API"
    );
}
