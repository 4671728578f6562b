//! Everything the admin subcommands print: aligned tables and lines for
//! people, pretty JSON for scripts, and the certificate report that
//! `servers validate` and `servers add` share.
//!
//! Output goes to stdout; errors are printed once by `main` on stderr.
//! Deciding what to show is left to the subcommands.

use std::io::{self, Write};

use nbwss_tls::ChainReport;
use serde::Serialize;

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    line(&text)
}

/// Prints one line.
pub fn line(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
}

/// A table with a header row, printed with columns padded to the widest
/// cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Creates a table with these column headers.
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells print empty.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Prints the header and every row.
    pub fn print(&self) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(index) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        let mut out = io::stdout().lock();
        writeln!(out, "{}", format_row(&header, &widths))?;
        for row in &self.rows {
            writeln!(out, "{}", format_row(row, &widths))?;
        }
        Ok(())
    }
}

fn format_row(cells: &[String], widths: &[usize]) -> String {
    let mut text = String::new();
    for (index, width) in widths.iter().enumerate() {
        let cell = cells.get(index).map(String::as_str).unwrap_or_default();
        if index + 1 == widths.len() {
            text.push_str(cell);
        } else {
            text.push_str(cell);
            let padding = width.saturating_sub(cell.chars().count()) + 2;
            text.extend(std::iter::repeat_n(' ', padding));
        }
    }
    text.trim_end().to_owned()
}

/// Returns the value, or `-` when it is absent.
pub fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

/// Formats a duration in seconds as `45s`, `12m`, `3h` or `2d`.
pub fn age(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86_400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86_400),
    }
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_time(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let seconds = epoch_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian date, with
/// Howard Hinnant's `civil_from_days` algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Prints the certificate report of one endpoint under `heading`.
pub fn report(heading: &str, report: Option<&ChainReport>, error: Option<&str>) -> io::Result<()> {
    line(heading)?;
    if let Some(error) = error {
        return line(&format!("  not checked: {error}"));
    }
    let Some(report) = report else {
        return line("  no certificate: a ws:// test endpoint");
    };
    for (index, cert) in report.certificates.iter().enumerate() {
        let role = if index == 0 {
            "certificate"
        } else {
            "issued by  "
        };
        line(&format!("  {role}  {}", cert.subject))?;
        if index == 0 {
            line(&format!("    issuer   {}", cert.issuer))?;
            line(&format!(
                "    names    {}",
                cert.subject_alt_names.join(", ")
            ))?;
            line(&format!(
                "    valid    {} to {}",
                cert.not_before_text, cert.not_after_text
            ))?;
        }
    }
    line(&format!(
        "  SHA-256 fingerprint  {}",
        report.leaf_fingerprint
    ))?;
    line(&format!(
        "  trusted  {}    matches host  {}",
        yes_no(report.trusted),
        yes_no(report.host_matches)
    ))?;
    for problem in &report.problems {
        line(&format!("  problem  {problem}"))?;
    }
    Ok(())
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells are padded to the widest cell of their column.
    #[test]
    fn format_row_pads_columns() {
        let row = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(format_row(&row, &[3, 1, 1]), "a    b  c");
    }

    /// Epoch seconds format as a UTC date and time.
    #[test]
    fn utc_time_formats_known_instant() {
        assert_eq!(utc_time(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    /// The epoch itself is 1970-01-01.
    #[test]
    fn utc_time_formats_epoch() {
        assert_eq!(utc_time(0), "1970-01-01T00:00:00Z");
    }

    /// Ages use the largest whole unit.
    #[test]
    fn age_uses_largest_unit() {
        assert_eq!(age(7_200), "2h");
    }
}
