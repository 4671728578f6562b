//! The validated, typed service configuration built from a [`RawConfig`],
//! and the listing of its effective values.
//!
//! Every key of the table in `keys.rs` has a field here. Validation stops at
//! the first problem, which the error names with key, value, origin and
//! accepted range. Which changes a running service can apply without a
//! restart is left to the service.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;
use super::keys::{self, Kind};
use super::properties::escape_value;
use super::raw::RawConfig;
use super::reader::Reader;
use super::values::redact_value;

/// Format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// Name as written in `log.format`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Validated service configuration. `describe_keys` lists each key's
/// meaning, default and range.
///
/// `Debug` shows the same redacted values as [`Config::entries`].
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `exception.ignoreDecoder`.
    pub ignore_decoder: bool,
    /// `notification.sendTimeout`.
    pub notification_send_timeout: Duration,
    /// `notification.scheduledRate`.
    pub notification_scheduled_rate: Duration,
    /// `keepAlive.scheduledRate`.
    pub keep_alive_rate: Duration,
    /// `keepAlive.maxPongMissAllowed`.
    pub keep_alive_max_pong_miss: u32,
    /// `connectionInfo.period`.
    pub connection_info_period: Duration,
    /// `connection.retryDelay`, at most `connection_info_period`.
    pub retry_delay: Duration,
    /// `connect.responseTimeout`.
    pub connect_response_timeout: Duration,
    /// `connection.maxInboundMessageBytes`, at most `hard_max_inbound_message_bytes`.
    pub max_inbound_message_bytes: usize,
    /// `connection.hardMaxInboundMessageBytes`.
    pub hard_max_inbound_message_bytes: usize,
    /// `connection.proxy`: `http://[user:pass@]host:port`, or `None` when empty.
    pub proxy: Option<String>,
    /// `command.upstreamUrl`: `http(s)://host[:port]` without a trailing `/`.
    pub upstream_url: String,
    /// `command.upstreamCaFile`, or `None` when empty. Whether the file
    /// exists is checked when the upstream client is built.
    pub upstream_ca_file: Option<PathBuf>,
    /// `command.allowedPathPrefixes`, each starting with `/`, never empty.
    pub allowed_path_prefixes: Vec<String>,
    /// `command.maxConcurrent`.
    pub command_max_concurrent: usize,
    /// `command.timeout`.
    pub command_timeout: Duration,
    /// `command.maxResponseBytes`.
    pub command_max_response_bytes: usize,
    /// `notification.maxBatch`.
    pub notification_max_batch: usize,
    /// `notification.maxPendingPerGroup`.
    pub max_pending_per_group: u64,
    /// `notification.jobPoller.enabled`.
    pub job_poller_enabled: bool,
    /// `admin.listen`.
    pub admin_listen: SocketAddr,
    /// `log.level`, a directive string that `EnvFilter::try_new` accepts.
    pub log_level: String,
    /// `log.format`.
    pub log_format: LogFormat,
}

impl Config {
    /// Validates raw values, taking each unset key's default.
    ///
    /// Unknown keys and the secret key are reported first, in input order,
    /// then values in table order.
    pub fn from_raw(raw: &RawConfig) -> Result<Config, ConfigError> {
        check_keys(raw)?;
        let reader = Reader::new(raw);
        Ok(Config {
            ignore_decoder: reader.boolean(&keys::IGNORE_DECODER)?,
            notification_send_timeout: reader.millis(&keys::NOTIFICATION_SEND_TIMEOUT)?,
            notification_scheduled_rate: reader.seconds(&keys::NOTIFICATION_SCHEDULED_RATE)?,
            keep_alive_rate: reader.seconds(&keys::KEEP_ALIVE_SCHEDULED_RATE)?,
            keep_alive_max_pong_miss: reader.sized(&keys::KEEP_ALIVE_MAX_PONG_MISS)?,
            connection_info_period: reader.seconds(&keys::CONNECTION_INFO_PERIOD)?,
            retry_delay: reader.seconds(&keys::RETRY_DELAY)?,
            connect_response_timeout: reader.seconds(&keys::CONNECT_RESPONSE_TIMEOUT)?,
            max_inbound_message_bytes: reader.sized(&keys::MAX_INBOUND_MESSAGE_BYTES)?,
            hard_max_inbound_message_bytes: reader.sized(&keys::HARD_MAX_INBOUND_MESSAGE_BYTES)?,
            proxy: reader.proxy(&keys::PROXY)?,
            upstream_url: reader.upstream_url(&keys::UPSTREAM_URL)?,
            upstream_ca_file: reader.pem_path(&keys::UPSTREAM_CA_FILE),
            allowed_path_prefixes: reader.path_prefixes(&keys::ALLOWED_PATH_PREFIXES)?,
            command_max_concurrent: reader.sized(&keys::COMMAND_MAX_CONCURRENT)?,
            command_timeout: reader.seconds(&keys::COMMAND_TIMEOUT)?,
            command_max_response_bytes: reader.sized(&keys::COMMAND_MAX_RESPONSE_BYTES)?,
            notification_max_batch: reader.sized(&keys::NOTIFICATION_MAX_BATCH)?,
            max_pending_per_group: reader.integer(&keys::MAX_PENDING_PER_GROUP)?,
            job_poller_enabled: reader.boolean(&keys::JOB_POLLER_ENABLED)?,
            admin_listen: reader.socket_addr(&keys::ADMIN_LISTEN)?,
            log_level: reader.log_filter(&keys::LOG_LEVEL)?,
            log_format: reader.log_format(&keys::LOG_FORMAT)?,
        })
    }

    /// Lists every key with its effective value in properties syntax, in
    /// table order, with the proxy password shown as `***`. The secret key
    /// is not listed.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        self.plain_entries()
            .into_iter()
            .map(|(key, value)| (key, redact_value(key, &value).into_owned()))
            .collect()
    }

    /// Renders [`Config::entries`] as `key=value` lines of a properties file.
    pub fn to_properties(&self) -> String {
        let mut text = String::new();
        for (key, value) in self.entries() {
            text.push_str(key);
            text.push('=');
            text.push_str(&escape_value(&value));
            text.push('\n');
        }
        text
    }

    /// Returns the keys whose effective values differ between `self` and
    /// `new`, in table order. A changed proxy password counts as a change.
    pub fn reloadable_diff(&self, new: &Config) -> Vec<&'static str> {
        self.plain_entries()
            .into_iter()
            .zip(new.plain_entries())
            .filter(|((_, old), (_, new))| old != new)
            .map(|((key, _), _)| key)
            .collect()
    }

    /// Lists every key with its effective value, unredacted.
    fn plain_entries(&self) -> Vec<(&'static str, String)> {
        let seconds = |duration: Duration| duration.as_secs().to_string();
        vec![
            (keys::IGNORE_DECODER.name, self.ignore_decoder.to_string()),
            (
                keys::NOTIFICATION_SEND_TIMEOUT.name,
                self.notification_send_timeout.as_millis().to_string(),
            ),
            (
                keys::NOTIFICATION_SCHEDULED_RATE.name,
                seconds(self.notification_scheduled_rate),
            ),
            (
                keys::KEEP_ALIVE_SCHEDULED_RATE.name,
                seconds(self.keep_alive_rate),
            ),
            (
                keys::KEEP_ALIVE_MAX_PONG_MISS.name,
                self.keep_alive_max_pong_miss.to_string(),
            ),
            (
                keys::CONNECTION_INFO_PERIOD.name,
                seconds(self.connection_info_period),
            ),
            (keys::RETRY_DELAY.name, seconds(self.retry_delay)),
            (
                keys::CONNECT_RESPONSE_TIMEOUT.name,
                seconds(self.connect_response_timeout),
            ),
            (
                keys::MAX_INBOUND_MESSAGE_BYTES.name,
                self.max_inbound_message_bytes.to_string(),
            ),
            (
                keys::HARD_MAX_INBOUND_MESSAGE_BYTES.name,
                self.hard_max_inbound_message_bytes.to_string(),
            ),
            (keys::PROXY.name, self.proxy.clone().unwrap_or_default()),
            (keys::UPSTREAM_URL.name, self.upstream_url.clone()),
            (
                keys::UPSTREAM_CA_FILE.name,
                self.upstream_ca_file
                    .as_ref()
                    .map(|path| path.display().to_string())
                    .unwrap_or_default(),
            ),
            (
                keys::ALLOWED_PATH_PREFIXES.name,
                self.allowed_path_prefixes.join(","),
            ),
            (
                keys::COMMAND_MAX_CONCURRENT.name,
                self.command_max_concurrent.to_string(),
            ),
            (keys::COMMAND_TIMEOUT.name, seconds(self.command_timeout)),
            (
                keys::COMMAND_MAX_RESPONSE_BYTES.name,
                self.command_max_response_bytes.to_string(),
            ),
            (
                keys::NOTIFICATION_MAX_BATCH.name,
                self.notification_max_batch.to_string(),
            ),
            (
                keys::MAX_PENDING_PER_GROUP.name,
                self.max_pending_per_group.to_string(),
            ),
            (
                keys::JOB_POLLER_ENABLED.name,
                self.job_poller_enabled.to_string(),
            ),
            (keys::ADMIN_LISTEN.name, self.admin_listen.to_string()),
            (keys::LOG_LEVEL.name, self.log_level.clone()),
            (keys::LOG_FORMAT.name, self.log_format.as_str().to_owned()),
        ]
    }
}

impl Default for Config {
    /// Returns the configuration with every key at its default.
    fn default() -> Config {
        // The defaults are constants of the key table, and a test checks
        // that they validate.
        Config::from_raw(&RawConfig::default()).expect("built-in defaults are valid")
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries()).finish()
    }
}

/// Rejects unknown keys, with a suggestion, and the secret key.
fn check_keys(raw: &RawConfig) -> Result<(), ConfigError> {
    for entry in raw.iter() {
        match keys::find_key(&entry.key) {
            Some(spec) if matches!(spec.kind, Kind::Secret) => {
                return Err(ConfigError::SecretKey {
                    key: spec.name,
                    origin: entry.origin.clone(),
                });
            }
            Some(_) => {}
            None => {
                return Err(ConfigError::UnknownKey {
                    key: entry.key.clone(),
                    origin: entry.origin.clone(),
                    suggestion: super::suggest::closest_key(&entry.key),
                });
            }
        }
    }
    Ok(())
}
