//! Unit tests for the filter parser and matcher.

use super::*;

const FIELDS: &[Field] = &[
    Field {
        name: "lastUpdateTime",
        kind: FieldKind::Time,
    },
    Field {
        name: "state",
        kind: FieldKind::Text,
    },
    Field {
        name: "jobId",
        kind: FieldKind::Integer,
    },
];

struct Item {
    updated: OffsetDateTime,
    state: &'static str,
    id: i64,
}

impl Filterable for Item {
    fn field_value(&self, field: &str) -> Option<FieldValue<'_>> {
        match field {
            "lastUpdateTime" => Some(FieldValue::Time(self.updated)),
            "state" => Some(FieldValue::Text(self.state)),
            "jobId" => Some(FieldValue::Integer(self.id)),
            _ => None,
        }
    }
}

fn item(updated: &str, state: &'static str, id: i64) -> Item {
    Item {
        updated: timefmt::parse_iso(updated).expect("valid time"),
        state,
        id,
    }
}

fn parse(input: &str) -> Filter {
    Filter::parse(input, FIELDS).expect("filter parses")
}

fn error(input: &str) -> String {
    Filter::parse(input, FIELDS)
        .expect_err("filter is rejected")
        .to_string()
}

/// `gt` on a time excludes an equal time and includes a later one.
#[test]
fn time_gt_is_strict() {
    let filter = parse("lastUpdateTime gt 2026-12-04T15:00:00.000Z");
    assert!(!filter.matches(&item("2026-12-04T15:00:00.000Z", "DONE", 1)));
    assert!(filter.matches(&item("2026-12-04T15:00:00.001Z", "DONE", 1)));
}

/// A quoted time is accepted as well as an unquoted one.
#[test]
fn time_accepts_quotes() {
    let filter = parse("lastUpdateTime ge '2026-12-04T15:00:00Z'");
    assert!(filter.matches(&item("2026-12-04T15:00:00.000Z", "DONE", 1)));
}

/// Conditions joined with `and` must all hold.
#[test]
fn and_requires_all_conditions() {
    let filter = parse("state eq 'DONE' and jobId le 5");
    assert!(filter.matches(&item("2026-12-04T15:00:00Z", "DONE", 5)));
    assert!(!filter.matches(&item("2026-12-04T15:00:00Z", "DONE", 6)));
    assert!(!filter.matches(&item("2026-12-04T15:00:00Z", "ACTIVE", 5)));
}

/// Two quotes inside quoted text stand for one quote.
#[test]
fn doubled_quote_is_literal() {
    let filter = parse("state eq 'it''s'");
    assert!(filter.matches(&item("2026-12-04T15:00:00Z", "it's", 1)));
}

/// Text comparison is case-sensitive.
#[test]
fn text_is_case_sensitive() {
    let filter = parse("state ne 'done'");
    assert!(filter.matches(&item("2026-12-04T15:00:00Z", "DONE", 1)));
}

/// An unknown field is named, with the accepted fields listed.
#[test]
fn rejects_unknown_field() {
    assert_eq!(
        error("color eq 'red'"),
        "unknown filter field 'color'; accepted: lastUpdateTime, state, jobId"
    );
}

/// `or` is reported as unsupported syntax.
#[test]
fn rejects_or() {
    assert!(error("state eq 'DONE' or jobId eq 1").contains("'or'"));
}

/// A function call is reported as unsupported syntax.
#[test]
fn rejects_function_call() {
    assert!(error("contains(state,'DO')").starts_with("unsupported filter syntax"));
}

/// Ordering operators are rejected on text fields.
#[test]
fn rejects_gt_on_text() {
    assert_eq!(
        error("state gt 'A'"),
        "filter operator 'gt' does not apply to text field 'state'; accepted: eq, ne"
    );
}

/// An unknown operator is named.
#[test]
fn rejects_unknown_operator() {
    assert!(error("jobId after 3").contains("'after'"));
}

/// A malformed time is named, with an example of the accepted form.
#[test]
fn rejects_bad_time() {
    let message = error("lastUpdateTime gt yesterday");
    assert!(message.contains("'yesterday'"), "{message}");
    assert!(message.contains("2026-12-04T15:00:00.000Z"), "{message}");
}

/// Unquoted text is rejected with a hint to quote it.
#[test]
fn rejects_unquoted_text() {
    assert!(error("state eq DONE").contains("single quotes"));
}

/// A condition missing its value is reported as incomplete.
#[test]
fn rejects_missing_value() {
    assert_eq!(
        error("state eq"),
        "filter ends after 'state eq'; expected a value"
    );
}

/// A trailing `and` is reported as incomplete.
#[test]
fn rejects_trailing_and() {
    assert!(error("jobId eq 1 and").starts_with("filter ends after 'and'"));
}

/// Text without its closing quote is rejected.
#[test]
fn rejects_unterminated_text() {
    assert!(error("state eq 'DONE").starts_with("unterminated quoted text"));
}

/// A blank filter is rejected.
#[test]
fn rejects_blank_filter() {
    assert!(error("   ").starts_with("filter is empty"));
}

/// More than the maximum number of conditions is rejected.
#[test]
fn rejects_too_many_conditions() {
    let input = vec!["jobId gt 0"; MAX_CONDITIONS + 1].join(" and ");
    assert!(error(&input).starts_with("filter has more than"));
}

/// A filter longer than the maximum is rejected.
#[test]
fn rejects_long_filter() {
    let input = "x".repeat(MAX_FILTER_LENGTH + 1);
    assert!(error(&input).starts_with("filter is 2049 bytes long"));
}
