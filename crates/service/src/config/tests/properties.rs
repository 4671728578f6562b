//! Tests of the Java properties parser and of value escaping.

use std::path::Path;

use crate::config::properties::{PropertiesError, Property, escape_value, parse_properties};

const PATH: &str = "/etc/nbwss/nbwss.properties";

fn parse(text: &str) -> Vec<Property> {
    parse_properties(text, Path::new(PATH)).unwrap_or_else(|error| panic!("{text:?}: {error}"))
}

fn parse_error(text: &str) -> PropertiesError {
    match parse_properties(text, Path::new(PATH)) {
        Ok(properties) => panic!("expected an error for {text:?}, got {properties:?}"),
        Err(error) => error,
    }
}

/// Returns (key, value) pairs, dropping line numbers.
fn pairs(text: &str) -> Vec<(String, String)> {
    parse(text).into_iter().map(|p| (p.key, p.value)).collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `=`, `:` and whitespace all separate a key from its value.
#[test]
fn accepts_all_three_separators() {
    let parsed = pairs("a=1\nb: 2\nc 3\nd = 4\ne\t:\t5\n");
    assert_eq!(
        parsed,
        owned(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")])
    );
}

/// Only the first separator counts, so later `=` and `:` belong to the value.
#[test]
fn keeps_later_separators_in_value() {
    let parsed = pairs("url=http://h:1/?a=b\nx = = y\n");
    assert_eq!(parsed, owned(&[("url", "http://h:1/?a=b"), ("x", "= y")]));
}

/// `#` and `!` comments, blank and whitespace-only lines are skipped.
#[test]
fn skips_comments_and_blank_lines() {
    let parsed = parse("# comment\n! comment\n\n   \t\n   # indented comment\n  a=1\n");
    let expected = vec![Property {
        key: "a".into(),
        value: "1".into(),
        line: 6,
    }];
    assert_eq!(parsed, expected);
}

/// A `#` after a value is part of the value, not a comment.
#[test]
fn keeps_hash_inside_value() {
    let parsed = pairs("a=1 # not a comment\n");
    assert_eq!(parsed, owned(&[("a", "1 # not a comment")]));
}

/// A key without a separator or value has an empty value.
#[test]
fn reads_key_without_value() {
    let parsed = pairs("lonely\nalso=\n");
    assert_eq!(parsed, owned(&[("lonely", ""), ("also", "")]));
}

/// Trailing whitespace of a value is kept, as Java does.
#[test]
fn keeps_trailing_whitespace_of_value() {
    let parsed = pairs("a=1  \n");
    assert_eq!(parsed, owned(&[("a", "1  ")]));
}

/// A trailing backslash joins the next line without its leading whitespace.
#[test]
fn joins_continuation_lines() {
    let parsed = parse("a=one \\\n    two\\\n\tthree\nb=4\n");
    let expected = vec![
        Property {
            key: "a".into(),
            value: "one twothree".into(),
            line: 1,
        },
        Property {
            key: "b".into(),
            value: "4".into(),
            line: 4,
        },
    ];
    assert_eq!(parsed, expected);
}

/// A continued key is joined too.
#[test]
fn joins_continued_key() {
    let parsed = pairs("log.\\\n  level=debug\n");
    assert_eq!(parsed, owned(&[("log.level", "debug")]));
}

/// An even number of trailing backslashes is an escaped backslash, not a
/// continuation.
#[test]
fn even_backslashes_do_not_continue() {
    let parsed = pairs("a=x\\\\\nb=y\n");
    assert_eq!(parsed, owned(&[("a", "x\\"), ("b", "y")]));
}

/// A comment line ending in a backslash does not swallow the next line.
#[test]
fn comment_line_does_not_continue() {
    let parsed = pairs("# comment \\\na=1\n");
    assert_eq!(parsed, owned(&[("a", "1")]));
}

/// A continuation line that starts with `#` is content.
#[test]
fn continuation_line_starting_with_hash_is_content() {
    let parsed = pairs("a=x\\\n  #y\n");
    assert_eq!(parsed, owned(&[("a", "x#y")]));
}

/// A backslash at the very end of the text is dropped.
#[test]
fn drops_backslash_at_end_of_text() {
    let parsed = pairs("a=x\\");
    assert_eq!(parsed, owned(&[("a", "x")]));
}

/// `\t \n \r \f \\ \uXXXX` are resolved, and a backslash before any other
/// character stands for that character.
#[test]
fn resolves_escapes() {
    let parsed = pairs("a=\\t\\n\\r\\f\\\\\\u00e9\\=\\:\\#\\!\\q\n");
    assert_eq!(parsed, owned(&[("a", "\t\n\r\x0c\\é=:#!q")]));
}

/// An escaped leading space is kept in the value.
#[test]
fn keeps_escaped_leading_space() {
    let parsed = pairs("a=\\  x\n");
    assert_eq!(parsed, owned(&[("a", "  x")]));
}

/// Escaped separators and spaces are part of a key.
#[test]
fn resolves_escaped_separators_in_key() {
    let parsed = pairs("a\\=b\\:c\\ d=e\n");
    assert_eq!(parsed, owned(&[("a=b:c d", "e")]));
}

/// A UTF-16 surrogate pair of `\u` escapes becomes one character.
#[test]
fn combines_surrogate_pair() {
    let parsed = pairs("a=\\uD83D\\uDE00\n");
    assert_eq!(parsed, owned(&[("a", "\u{1F600}")]));
}

/// UTF-8 text is read as it is.
#[test]
fn reads_utf8_text() {
    let parsed = pairs("clé=café\n");
    assert_eq!(parsed, owned(&[("clé", "café")]));
}

/// `\r\n` and a lone `\r` end lines like `\n`.
#[test]
fn accepts_crlf_and_cr_line_endings() {
    let parsed = parse("a=1\r\nb=2\rc=3\\\r\n  4\r\nd=5\r\n");
    let expected = vec![
        Property {
            key: "a".into(),
            value: "1".into(),
            line: 1,
        },
        Property {
            key: "b".into(),
            value: "2".into(),
            line: 2,
        },
        Property {
            key: "c".into(),
            value: "34".into(),
            line: 3,
        },
        Property {
            key: "d".into(),
            value: "5".into(),
            line: 5,
        },
    ];
    assert_eq!(parsed, expected);
}

/// A leading byte order mark is skipped.
#[test]
fn skips_byte_order_mark() {
    let parsed = pairs("\u{feff}a=1\n");
    assert_eq!(parsed, owned(&[("a", "1")]));
}

/// A repeated key is an error naming the key and both lines.
#[test]
fn rejects_duplicate_key() {
    let message = parse_error("a=1\n\n# c\nb=2\na = 3\n").to_string();
    assert_eq!(
        message,
        "duplicate key \"a\" in /etc/nbwss/nbwss.properties at lines 1 and 5: keep one of them"
    );
}

/// Duplicates are found after escapes are resolved.
#[test]
fn rejects_duplicate_key_spelled_with_escape() {
    let error = parse_error("ab=1\na\\b=2\n");
    assert!(matches!(
        error,
        PropertiesError::DuplicateKey {
            first_line: 1,
            line: 2,
            ..
        }
    ));
}

/// A `\u` escape needs 4 hex digits, and the message names file and line.
#[test]
fn rejects_invalid_unicode_escape() {
    let message = parse_error("a=1\nb=\\u12G4\n").to_string();
    assert_eq!(
        message,
        "invalid unicode escape \"\\\\u12G4\" in /etc/nbwss/nbwss.properties:2: expected \\u and 4 hex digits"
    );
}

/// A `\u` escape cut short by the end of the line is rejected.
#[test]
fn rejects_truncated_unicode_escape() {
    let error = parse_error("a=\\u12\n");
    assert!(matches!(
        error,
        PropertiesError::InvalidUnicodeEscape { line: 1, .. }
    ));
}

/// A high surrogate without its low half is rejected.
#[test]
fn rejects_unpaired_high_surrogate() {
    let error = parse_error("a=\\uD83Dx\n");
    assert!(matches!(
        error,
        PropertiesError::UnpairedSurrogate { line: 1, .. }
    ));
}

/// A low surrogate on its own is rejected.
#[test]
fn rejects_lone_low_surrogate() {
    let message = parse_error("a=\\uDE00\n").to_string();
    assert!(message.contains("\"\\\\uDE00\""), "{message}");
}

/// A line with a separator but no key is rejected.
#[test]
fn rejects_missing_key() {
    let message = parse_error("a=1\n=5\n").to_string();
    assert_eq!(
        message,
        "missing key in /etc/nbwss/nbwss.properties:2: expected key=value"
    );
}

/// Escaped values read back unchanged.
#[test]
fn escaped_values_round_trip() {
    let values = [
        "",
        "plain",
        " leading space",
        "trailing space ",
        "back\\slash",
        "tab\tnew\nline\rfeed\x0c",
        "bell\x07",
        "= : # !",
        "café \u{1F600}",
        "ends with backslash\\",
    ];
    for value in values {
        let text = format!("k={}\n", escape_value(value));
        let parsed = pairs(&text);
        assert_eq!(parsed, owned(&[("k", value)]), "escaped as {text:?}");
    }
}
