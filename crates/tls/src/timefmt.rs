//! RFC 3339 text for certificate dates in errors and reports.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats a time as RFC 3339, or as `@` and Unix seconds for years that
/// RFC 3339 cannot represent.
pub(crate) fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339)
        .unwrap_or_else(|_| format!("@{}", time.unix_timestamp()))
}

/// Formats Unix seconds like [`rfc3339`].
pub(crate) fn rfc3339_from_unix(seconds: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(time) => rfc3339(time),
        Err(_) => format!("@{seconds}"),
    }
}
