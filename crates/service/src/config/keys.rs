//! The table of `nbwss.properties` keys: name, default, accepted values and
//! description of each, in one static list.
//!
//! The same table drives validation (see `validated.rs`), the error messages
//! that name the accepted range, the unknown-key suggestions and the Markdown
//! reference that [`describe_keys`] renders for the README. Converting values
//! is left to `values.rs`, and cross-key checks to `validated.rs`.

use std::fmt::Write as _;

/// One configuration key and the values it accepts.
#[derive(Debug)]
pub struct KeySpec {
    /// Key as written in `nbwss.properties`, e.g. `keepAlive.scheduledRate`.
    pub name: &'static str,
    /// Default value in properties syntax, empty when the key is unset by default.
    pub default: &'static str,
    /// Kind of value and its accepted range.
    pub kind: Kind,
    /// One-sentence description for the configuration reference.
    pub description: &'static str,
}

/// Kind of value a key accepts.
#[derive(Debug)]
pub enum Kind {
    /// `true` or `false`, case-insensitive.
    Boolean,
    /// A decimal integer from `min` to `max`, both inclusive.
    Integer {
        /// Unit that error messages and the reference name.
        unit: Unit,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: Max,
    },
    /// Empty, or `http://[user:pass@]host:port`.
    ProxyUrl,
    /// `http://host[:port]` or `https://host[:port]`, optionally followed by `/`.
    UpstreamUrl,
    /// Empty, or a file path.
    PemPath,
    /// Comma-separated URL path prefixes, each starting with `/`.
    PathPrefixes,
    /// An IP address and port, e.g. `127.0.0.1:7450`.
    SocketAddr,
    /// A `tracing` filter directive such as `info` or `nbwss=debug,info`.
    LogFilter,
    /// `text` or `json`, case-insensitive.
    LogFormat,
    /// A secret that the properties file and `--set` never accept.
    Secret,
}

/// Unit of an integer key.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// A plain count.
    Count,
    /// A number of notification items.
    Items,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Milliseconds,
    /// Bytes.
    Bytes,
}

/// Upper bound of an integer key.
#[derive(Debug, Clone, Copy)]
pub enum Max {
    /// A fixed bound.
    Fixed(u64),
    /// The effective value of another integer key, whose own range has the
    /// same unit.
    Key(&'static str),
}

impl Unit {
    /// Short label for the reference table.
    fn label(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Items => "items",
            Unit::Seconds => "s",
            Unit::Milliseconds => "ms",
            Unit::Bytes => "bytes",
        }
    }

    /// Noun phrase for error messages, e.g. "seconds" in "expected seconds from 1 to 60".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Unit::Count => "a count",
            Unit::Items => "a number of items",
            Unit::Seconds => "seconds",
            Unit::Milliseconds => "milliseconds",
            Unit::Bytes => "a size in bytes",
        }
    }
}

impl Kind {
    /// Unit column of the reference table.
    fn unit_label(&self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::Integer { unit, .. } => unit.label(),
            Kind::ProxyUrl | Kind::UpstreamUrl => "URL",
            Kind::PemPath => "path",
            Kind::PathPrefixes => "list",
            Kind::SocketAddr => "socket address",
            Kind::LogFilter => "tracing filter",
            Kind::LogFormat => "format",
            Kind::Secret => "secret",
        }
    }

    /// Range column of the reference table, in Markdown.
    fn range_markdown(&self) -> String {
        match self {
            Kind::Boolean => "`true` or `false`".to_owned(),
            Kind::Integer { min, max, .. } => match max {
                Max::Fixed(max) => format!("{min} to {max}"),
                Max::Key(key) => format!("{min} to `{key}`"),
            },
            Kind::ProxyUrl => "`http://[user:pass@]host:port`, or empty for none".to_owned(),
            Kind::UpstreamUrl => "`http(s)://host[:port]`, no path".to_owned(),
            Kind::PemPath => "PEM file, or empty for none".to_owned(),
            Kind::PathPrefixes => "comma-separated, each starting with `/`".to_owned(),
            Kind::SocketAddr => "`ip:port`".to_owned(),
            Kind::LogFilter => "`EnvFilter` directives".to_owned(),
            Kind::LogFormat => "`text` or `json`".to_owned(),
            Kind::Secret => "not accepted in the file".to_owned(),
        }
    }
}

/// Binary size units, in bytes.
const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

pub(crate) const IGNORE_DECODER: KeySpec = KeySpec {
    name: "exception.ignoreDecoder",
    default: "false",
    kind: Kind::Boolean,
    description: "Log and skip an undecodable message instead of closing the connection with 1007.",
};

pub(crate) const NOTIFICATION_SEND_TIMEOUT: KeySpec = KeySpec {
    name: "notification.sendTimeout",
    default: "2000",
    kind: Kind::Integer {
        unit: Unit::Milliseconds,
        min: 100,
        max: Max::Fixed(600_000),
    },
    description: "Time allowed to hand one NOTIFICATION REQUEST to a connection before the send is retried.",
};

pub(crate) const NOTIFICATION_SCHEDULED_RATE: KeySpec = KeySpec {
    name: "notification.scheduledRate",
    default: "5",
    kind: Kind::Integer {
        unit: Unit::Seconds,
        min: 1,
        max: Max::Fixed(3600),
    },
    description: "Interval between two polls of the upstream jobs list, and between resends of an unacknowledged NOTIFICATION REQUEST.",
};

pub(crate) const KEEP_ALIVE_SCHEDULED_RATE: KeySpec = KeySpec {
    name: "keepAlive.scheduledRate",
    default: "30",
    kind: Kind::Integer {
        unit: Unit::Seconds,
        min: 1,
        max: Max::Fixed(3600),
    },
    description: "Interval between two WebSocket pings on a connection.",
};

pub(crate) const KEEP_ALIVE_MAX_PONG_MISS: KeySpec = KeySpec {
    name: "keepAlive.maxPongMissAllowed",
    default: "2",
    kind: Kind::Integer {
        unit: Unit::Count,
        min: 1,
        max: Max::Fixed(100),
    },
    description: "Pings in a row without a pong after which the connection is closed and retried.",
};

pub(crate) const CONNECTION_INFO_PERIOD: KeySpec = KeySpec {
    name: "connectionInfo.period",
    default: "60",
    kind: Kind::Integer {
        unit: Unit::Seconds,
        min: 1,
        max: Max::Fixed(86_400),
    },
    description: "Interval of the periodic connection check, and the maximum retry backoff.",
};

pub(crate) const RETRY_DELAY: KeySpec = KeySpec {
    name: "connection.retryDelay",
    default: "1",
    kind: Kind::Integer {
        unit: Unit::Seconds,
        min: 1,
        max: Max::Key(CONNECTION_INFO_PERIOD.name),
    },
    description: "Initial backoff after a failed connection attempt.",
};

pub(crate) const CONNECT_RESPONSE_TIMEOUT: KeySpec = KeySpec {
    name: "connect.responseTimeout",
    default: "10",
    kind: Kind::Integer {
        unit: Unit::Seconds,
        min: 1,
        max: Max::Fixed(600),
    },
    description: "Time to wait for the CONNECT RESPONSE before closing with 1008.",
};

pub(crate) const HARD_MAX_INBOUND_MESSAGE_BYTES: KeySpec = KeySpec {
    name: "connection.hardMaxInboundMessageBytes",
    default: "16777216",
    kind: Kind::Integer {
        unit: Unit::Bytes,
        min: KIB,
        max: Max::Fixed(GIB),
    },
    description: "Memory limit: a larger inbound message closes the connection with 1009.",
};

pub(crate) const MAX_INBOUND_MESSAGE_BYTES: KeySpec = KeySpec {
    name: "connection.maxInboundMessageBytes",
    default: "2097152",
    kind: Kind::Integer {
        unit: Unit::Bytes,
        min: KIB,
        max: Max::Key(HARD_MAX_INBOUND_MESSAGE_BYTES.name),
    },
    description: "Policy limit: the service responds to a larger COMMAND REQUEST with 413.",
};

pub(crate) const PROXY: KeySpec = KeySpec {
    name: "connection.proxy",
    default: "",
    kind: Kind::ProxyUrl,
    description: "HTTP CONNECT proxy for the WebSocket connections. When empty, `HTTPS_PROXY` and `NO_PROXY` apply.",
};

pub(crate) const UPSTREAM_URL: KeySpec = KeySpec {
    name: "command.upstreamUrl",
    default: "https://localhost:1556",
    kind: Kind::UpstreamUrl,
    description: "Base URL of the REST API that commands are relayed to.",
};

pub(crate) const UPSTREAM_CA_FILE: KeySpec = KeySpec {
    name: "command.upstreamCaFile",
    default: "",
    kind: Kind::PemPath,
    description: "PEM file of CA certificates that the upstream client trusts.",
};

pub(crate) const ALLOWED_PATH_PREFIXES: KeySpec = KeySpec {
    name: "command.allowedPathPrefixes",
    default: "/netbackup/",
    kind: Kind::PathPrefixes,
    description: "A command `uri` must start with one of these prefixes.",
};

pub(crate) const COMMAND_MAX_CONCURRENT: KeySpec = KeySpec {
    name: "command.maxConcurrent",
    default: "32",
    kind: Kind::Integer {
        unit: Unit::Count,
        min: 1,
        max: Max::Fixed(4096),
    },
    description: "Maximum commands in flight per connection.",
};

pub(crate) const COMMAND_TIMEOUT: KeySpec = KeySpec {
    name: "command.timeout",
    default: "120",
    kind: Kind::Integer {
        unit: Unit::Seconds,
        min: 1,
        max: Max::Fixed(3600),
    },
    description: "Time limit of one relayed call, after which the service responds with 504.",
};

pub(crate) const COMMAND_MAX_RESPONSE_BYTES: KeySpec = KeySpec {
    name: "command.maxResponseBytes",
    default: "67108864",
    kind: Kind::Integer {
        unit: Unit::Bytes,
        min: KIB,
        max: Max::Fixed(4 * GIB),
    },
    description: "Maximum upstream response body. The service responds to a larger one with 502.",
};

pub(crate) const NOTIFICATION_MAX_BATCH: KeySpec = KeySpec {
    name: "notification.maxBatch",
    default: "100",
    kind: Kind::Integer {
        unit: Unit::Items,
        min: 1,
        max: Max::Fixed(10_000),
    },
    description: "Maximum items in one NOTIFICATION REQUEST.",
};

pub(crate) const MAX_PENDING_PER_GROUP: KeySpec = KeySpec {
    name: "notification.maxPendingPerGroup",
    default: "100000",
    kind: Kind::Integer {
        unit: Unit::Items,
        min: 1,
        max: Max::Fixed(100_000_000),
    },
    description: "Outbox capacity per group. When it is full, ingest responds with 503 and the poller waits.",
};

pub(crate) const JOB_POLLER_ENABLED: KeySpec = KeySpec {
    name: "notification.jobPoller.enabled",
    default: "false",
    kind: Kind::Boolean,
    description: "Poll the upstream jobs list and send JOB notifications.",
};

pub(crate) const UPSTREAM_API_KEY: KeySpec = KeySpec {
    name: "notification.upstreamApiKey",
    default: "",
    kind: Kind::Secret,
    description: "API key of the job poller, stored encrypted. Set it with `nbwss secrets set-upstream-api-key` or the admin API.",
};

pub(crate) const ADMIN_LISTEN: KeySpec = KeySpec {
    name: "admin.listen",
    default: "127.0.0.1:7450",
    kind: Kind::SocketAddr,
    description: "Address of the admin HTTP API.",
};

pub(crate) const LOG_LEVEL: KeySpec = KeySpec {
    name: "log.level",
    default: "info",
    kind: Kind::LogFilter,
    description: "Log filter, e.g. `info` or `nbwss_service=debug,info`.",
};

pub(crate) const LOG_FORMAT: KeySpec = KeySpec {
    name: "log.format",
    default: "text",
    kind: Kind::LogFormat,
    description: "Log line format.",
};

/// Every key, in the order of the reference table.
pub static KEYS: [&KeySpec; 24] = [
    &IGNORE_DECODER,
    &NOTIFICATION_SEND_TIMEOUT,
    &NOTIFICATION_SCHEDULED_RATE,
    &KEEP_ALIVE_SCHEDULED_RATE,
    &KEEP_ALIVE_MAX_PONG_MISS,
    &CONNECTION_INFO_PERIOD,
    &RETRY_DELAY,
    &CONNECT_RESPONSE_TIMEOUT,
    &MAX_INBOUND_MESSAGE_BYTES,
    &HARD_MAX_INBOUND_MESSAGE_BYTES,
    &PROXY,
    &UPSTREAM_URL,
    &UPSTREAM_CA_FILE,
    &ALLOWED_PATH_PREFIXES,
    &COMMAND_MAX_CONCURRENT,
    &COMMAND_TIMEOUT,
    &COMMAND_MAX_RESPONSE_BYTES,
    &NOTIFICATION_MAX_BATCH,
    &MAX_PENDING_PER_GROUP,
    &JOB_POLLER_ENABLED,
    &UPSTREAM_API_KEY,
    &ADMIN_LISTEN,
    &LOG_LEVEL,
    &LOG_FORMAT,
];

/// Returns the spec of `name`, matched exactly (keys are case-sensitive).
pub fn find_key(name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().copied().find(|spec| spec.name == name)
}

/// Renders the key table as Markdown, for the README's configuration section.
pub fn describe_keys() -> String {
    let mut table =
        String::from("| key | default | unit | accepted | description |\n|---|---|---|---|---|\n");
    for spec in KEYS {
        let default = match (&spec.kind, spec.default) {
            (Kind::Secret, _) => "unset".to_owned(),
            (_, "") => "empty".to_owned(),
            (_, value) => format!("`{value}`"),
        };
        // `fmt::Write` for `String` never returns an error.
        let _ = writeln!(
            table,
            "| `{}` | {} | {} | {} | {} |",
            spec.name,
            default,
            spec.kind.unit_label(),
            spec.kind.range_markdown(),
            spec.description,
        );
    }
    table
}
