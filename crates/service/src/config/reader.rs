//! Reading one key from a [`RawConfig`] as a typed value, falling back to the
//! key's default, with the error that names key, value, origin and range.
//!
//! The conversions themselves live in `values.rs`, and `validated.rs`
//! decides which key goes into which `Config` field.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

use super::keys::{self, KeySpec, Kind, Max};
use super::raw::{Origin, RawConfig};
use super::validated::LogFormat;
use super::values;
use super::{BoxedError, ConfigError};

/// Reads keys from raw values, taking the default of an unset key.
pub(super) struct Reader<'a> {
    raw: &'a RawConfig,
}

/// A value to convert and where it came from.
struct Input<'a> {
    spec: &'static KeySpec,
    /// Value with surrounding whitespace removed, which Java keeps at the end
    /// of a value but no key here needs.
    text: &'a str,
    origin: Origin,
}

impl Input<'_> {
    /// Builds the error for this value, with the accepted values as `expected`.
    fn invalid(&self, expected: impl Into<String>) -> ConfigError {
        self.error(expected.into(), None)
    }

    /// Builds the error for this value, keeping the parser's error as source.
    fn invalid_because(&self, expected: &str, source: BoxedError) -> ConfigError {
        self.error(expected.to_owned(), Some(source))
    }

    fn error(&self, expected: String, source: Option<BoxedError>) -> ConfigError {
        ConfigError::InvalidValue {
            key: self.spec.name,
            value: values::redact_value(self.spec.name, self.text).into_owned(),
            origin: self.origin.clone(),
            expected,
            source,
        }
    }
}

impl<'a> Reader<'a> {
    pub(super) fn new(raw: &'a RawConfig) -> Reader<'a> {
        Reader { raw }
    }

    fn input(&self, spec: &'static KeySpec) -> Input<'a> {
        match self.raw.get(spec.name) {
            Some(entry) => Input {
                spec,
                text: entry.value.trim(),
                origin: entry.origin.clone(),
            },
            None => Input {
                spec,
                text: spec.default,
                origin: Origin::Default,
            },
        }
    }

    /// Reads a `true`/`false` key.
    pub(super) fn boolean(&self, spec: &'static KeySpec) -> Result<bool, ConfigError> {
        let input = self.input(spec);
        values::parse_bool(input.text).ok_or_else(|| input.invalid("true or false"))
    }

    /// Reads an integer key and checks its range. A bound that is another
    /// key is read first, so an error in the bound key is reported first.
    pub(super) fn integer(&self, spec: &'static KeySpec) -> Result<u64, ConfigError> {
        let Kind::Integer { unit, min, max } = spec.kind else {
            unreachable!("{} is not an integer key", spec.name);
        };
        let (max, expected) = match max {
            Max::Fixed(max) => (max, format!("{} from {min} to {max}", unit.noun())),
            Max::Key(bound) => {
                let bound_spec = keys::find_key(bound).expect("Max::Key names a key of the table");
                let max = self.integer(bound_spec)?;
                (
                    max,
                    format!("{} from {min} to {bound} ({max})", unit.noun()),
                )
            }
        };
        let input = self.input(spec);
        values::parse_integer(input.text)
            .filter(|value| (min..=max).contains(value))
            .ok_or_else(|| input.invalid(expected))
    }

    /// Reads an integer key as a `usize` or `u32`. Every range in the table
    /// fits a 64-bit `usize`, so only a 32-bit platform can fail here.
    pub(super) fn sized<T: TryFrom<u64>>(&self, spec: &'static KeySpec) -> Result<T, ConfigError> {
        let value = self.integer(spec)?;
        T::try_from(value).map_err(|_| {
            let bits = std::mem::size_of::<T>() * 8;
            self.input(spec)
                .invalid(format!("a value below 2^{bits} on this platform"))
        })
    }

    /// Reads an integer key in seconds.
    pub(super) fn seconds(&self, spec: &'static KeySpec) -> Result<Duration, ConfigError> {
        self.integer(spec).map(Duration::from_secs)
    }

    /// Reads an integer key in milliseconds.
    pub(super) fn millis(&self, spec: &'static KeySpec) -> Result<Duration, ConfigError> {
        self.integer(spec).map(Duration::from_millis)
    }

    /// Reads an optional proxy URL, where empty means no proxy.
    pub(super) fn proxy(&self, spec: &'static KeySpec) -> Result<Option<String>, ConfigError> {
        let input = self.input(spec);
        if input.text.is_empty() {
            return Ok(None);
        }
        if !values::is_proxy_url(input.text) {
            return Err(
                input.invalid("a URL of the form http://[user:pass@]host:port, or empty for none")
            );
        }
        Ok(Some(input.text.to_owned()))
    }

    /// Reads the upstream base URL.
    pub(super) fn upstream_url(&self, spec: &'static KeySpec) -> Result<String, ConfigError> {
        let input = self.input(spec);
        values::parse_upstream_url(input.text).ok_or_else(|| {
            input.invalid(
                "a URL of the form https://host[:port] or http://host[:port], without a path",
            )
        })
    }

    /// Reads an optional file path, where empty means no file.
    pub(super) fn pem_path(&self, spec: &'static KeySpec) -> Option<PathBuf> {
        let input = self.input(spec);
        (!input.text.is_empty()).then(|| PathBuf::from(input.text))
    }

    /// Reads comma-separated path prefixes.
    pub(super) fn path_prefixes(&self, spec: &'static KeySpec) -> Result<Vec<String>, ConfigError> {
        let input = self.input(spec);
        values::parse_path_prefixes(input.text).ok_or_else(|| {
            input.invalid(
                "comma-separated path prefixes, each starting with / and without \"..\" segments, \\, ?, #, whitespace or control characters",
            )
        })
    }

    /// Reads an `ip:port` socket address.
    pub(super) fn socket_addr(&self, spec: &'static KeySpec) -> Result<SocketAddr, ConfigError> {
        let input = self.input(spec);
        input.text.parse().map_err(|_| {
            input.invalid("an IP address and port such as 127.0.0.1:7450 or [::1]:7450")
        })
    }

    /// Reads a `tracing` filter and checks that `EnvFilter` accepts it.
    pub(super) fn log_filter(&self, spec: &'static KeySpec) -> Result<String, ConfigError> {
        let input = self.input(spec);
        let expected = "a tracing filter such as info or nbwss_service=debug,info";
        if input.text.is_empty() {
            return Err(input.invalid(expected));
        }
        // EnvFilter reads a bare word as a target name, so a mistyped level
        // such as `verbose` would silently log nothing.
        const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
        let bare_non_level = input.text.split(',').map(str::trim).any(|directive| {
            !directive.is_empty()
                && !directive.contains(['=', '[', ':'])
                && !LEVELS
                    .iter()
                    .any(|level| directive.eq_ignore_ascii_case(level))
        });
        if bare_non_level {
            return Err(input.invalid(
                "levels trace, debug, info, warn, error or off, alone or as target=level",
            ));
        }
        match EnvFilter::try_new(input.text) {
            Ok(_) => Ok(input.text.to_owned()),
            Err(source) => Err(input.invalid_because(expected, Box::new(source))),
        }
    }

    /// Reads `text` or `json`, case-insensitive.
    pub(super) fn log_format(&self, spec: &'static KeySpec) -> Result<LogFormat, ConfigError> {
        let input = self.input(spec);
        if input.text.eq_ignore_ascii_case("text") {
            Ok(LogFormat::Text)
        } else if input.text.eq_ignore_ascii_case("json") {
            Ok(LogFormat::Json)
        } else {
            Err(input.invalid("text or json"))
        }
    }
}
