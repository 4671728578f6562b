//! Time stamps in the form the NetBackup REST API uses on the wire:
//! ISO-8601 UTC with exactly three fraction digits, such as
//! `2026-12-04T15:04:05.000Z`.
//!
//! Formatting is written by hand so that the output never varies with a
//! formatting library's defaults. Parsing accepts any RFC 3339 time. Epoch
//! conversions for the notification records are left to the service.

use serde::Serializer;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Formats `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC.
pub(crate) fn format_iso(time: OffsetDateTime) -> String {
    let utc = time.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    )
}

/// Parses an RFC 3339 time such as `2026-12-04T15:00:00.000Z` or
/// `2026-12-04T16:00:00+01:00`.
pub(crate) fn parse_iso(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Drops everything below the millisecond, so that two times that format the
/// same also compare equal.
pub(crate) fn truncate_to_millis(time: OffsetDateTime) -> OffsetDateTime {
    let nanos = u32::from(time.millisecond()) * 1_000_000;
    // A whole number of milliseconds is always a valid nanosecond value.
    time.replace_nanosecond(nanos).unwrap_or(time)
}

/// Serializes a time with [`format_iso`], for `#[serde(serialize_with)]`.
pub(crate) fn serialize<S: Serializer>(
    time: &OffsetDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_iso(*time))
}

/// Serializes an optional time with [`format_iso`], or `null` when absent.
pub(crate) fn serialize_option<S: Serializer>(
    time: &Option<OffsetDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serializer.serialize_str(&format_iso(*time)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output has three fraction digits and a `Z`, even for a whole second.
    #[test]
    fn formats_whole_second_with_millis() {
        let time = parse_iso("2026-12-04T15:04:05Z").expect("valid time");
        assert_eq!(format_iso(time), "2026-12-04T15:04:05.000Z");
    }

    /// A time with an offset is converted to UTC.
    #[test]
    fn formats_offset_time_in_utc() {
        let time = parse_iso("2026-12-04T16:04:05.120+01:00").expect("valid time");
        assert_eq!(format_iso(time), "2026-12-04T15:04:05.120Z");
    }

    /// Sub-millisecond digits are dropped by truncation.
    #[test]
    fn truncation_drops_micros() {
        let time = parse_iso("2026-12-04T15:04:05.123456Z").expect("valid time");
        let expected = parse_iso("2026-12-04T15:04:05.123Z").expect("valid time");
        assert_eq!(truncate_to_millis(time), expected);
    }

    /// Text that is not RFC 3339 is rejected.
    #[test]
    fn rejects_date_without_time() {
        assert!(parse_iso("2026-12-04").is_none());
    }
}
