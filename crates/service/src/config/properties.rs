//! Parser for the Java properties syntax of `nbwss.properties`, and the
//! escaping that writes values back in that syntax.
//!
//! Follows `java.util.Properties::load` with four differences. The text is
//! UTF-8 (the caller decodes it). A duplicate key is an error instead of the
//! last one winning. An empty key is an error. A `\u` escape of an unpaired
//! UTF-16 surrogate is an error, because a Rust string cannot contain one.
//! Keys and values are returned as strings. Which keys exist and what they
//! accept is left to `keys.rs` and `validated.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One `key=value` entry of a properties file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Key with escapes resolved.
    pub key: String,
    /// Value with escapes resolved. Trailing whitespace is kept, as in Java.
    pub value: String,
    /// 1-based number of the line where the entry starts.
    pub line: usize,
}

/// Syntax error in a properties file. Each message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum PropertiesError {
    /// A `\u` escape is not followed by 4 hexadecimal digits.
    #[error(
        "invalid unicode escape {sequence:?} in {}:{line}: expected \\u and 4 hex digits",
        path.display()
    )]
    InvalidUnicodeEscape {
        /// File being parsed.
        path: PathBuf,
        /// Line of the entry.
        line: usize,
        /// Escape as written, e.g. `\u12G4`.
        sequence: String,
    },
    /// A `\u` escape is half of a UTF-16 surrogate pair without the other half.
    #[error(
        "unpaired surrogate {sequence:?} in {}:{line}: expected a \\uD800-\\uDBFF escape followed by a \\uDC00-\\uDFFF escape",
        path.display()
    )]
    UnpairedSurrogate {
        /// File being parsed.
        path: PathBuf,
        /// Line of the entry.
        line: usize,
        /// Escape as written, e.g. `\uD800`.
        sequence: String,
    },
    /// A line has a value but no key, e.g. `=30`.
    #[error("missing key in {}:{line}: expected key=value", path.display())]
    MissingKey {
        /// File being parsed.
        path: PathBuf,
        /// Line of the entry.
        line: usize,
    },
    /// The same key appears twice.
    #[error(
        "duplicate key {key:?} in {} at lines {first_line} and {line}: keep one of them",
        path.display()
    )]
    DuplicateKey {
        /// File being parsed.
        path: PathBuf,
        /// Key that is repeated.
        key: String,
        /// Line of the first entry.
        first_line: usize,
        /// Line of the repeated entry.
        line: usize,
    },
}

/// Whitespace that separates tokens in the properties syntax.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Parses properties text into entries, in file order.
///
/// `path` only labels error messages. A leading byte order mark is skipped.
pub fn parse_properties(text: &str, path: &Path) -> Result<Vec<Property>, PropertiesError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = split_natural_lines(text);
    let mut properties = Vec::new();
    let mut first_lines: HashMap<String, usize> = HashMap::new();
    let mut index = 0;
    while index < lines.len() {
        let line = index + 1;
        let (logical, next) = join_logical_line(&lines, index);
        index = next;
        let Some(logical) = logical else { continue };
        let property = parse_entry(&logical, line, path)?;
        if let Some(&first_line) = first_lines.get(&property.key) {
            return Err(PropertiesError::DuplicateKey {
                path: path.to_owned(),
                key: property.key,
                first_line,
                line,
            });
        }
        first_lines.insert(property.key.clone(), line);
        properties.push(property);
    }
    Ok(properties)
}

/// Splits text at `\n`, `\r\n` and `\r`, the three line terminators Java accepts.
fn split_natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(end) => {
                lines.push(&rest[..end]);
                let terminator = if rest[end..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = &rest[end + terminator..];
            }
            None => {
                lines.push(rest);
                rest = "";
            }
        }
    }
    lines
}

/// Joins the natural line at `index` with its continuation lines.
///
/// Returns `None` for a blank or comment line, and the index of the next
/// unread line. A line continues when it ends in an odd number of
/// backslashes. The next line's leading whitespace is dropped, and a final
/// backslash at the end of the text is dropped too. A comment line never
/// continues, but a continuation line that starts with `#` is content.
fn join_logical_line(lines: &[&str], index: usize) -> (Option<String>, usize) {
    let first = lines[index].trim_start_matches(is_blank);
    if first.is_empty() || first.starts_with(['#', '!']) {
        return (None, index + 1);
    }
    let mut logical = first.to_owned();
    let mut next = index + 1;
    while ends_with_continuation(&logical) {
        logical.pop();
        let Some(line) = lines.get(next) else { break };
        logical.push_str(line.trim_start_matches(is_blank));
        next += 1;
    }
    (Some(logical), next)
}

fn ends_with_continuation(line: &str) -> bool {
    let backslashes = line.chars().rev().take_while(|&c| c == '\\').count();
    backslashes % 2 == 1
}

/// Splits a logical line into key and value, then resolves escapes in both.
///
/// The key ends at the first unescaped `=`, `:` or whitespace. Whitespace
/// and at most one `=` or `:` separate it from the value.
fn parse_entry(logical: &str, line: usize, path: &Path) -> Result<Property, PropertiesError> {
    let mut key_end = logical.len();
    let mut chars = logical.char_indices();
    while let Some((at, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == '=' || c == ':' || is_blank(c) {
            key_end = at;
            break;
        }
    }
    let raw_key = &logical[..key_end];
    let mut rest = logical[key_end..].trim_start_matches(is_blank);
    if let Some(after) = rest.strip_prefix(['=', ':']) {
        rest = after.trim_start_matches(is_blank);
    }
    if raw_key.is_empty() {
        return Err(PropertiesError::MissingKey {
            path: path.to_owned(),
            line,
        });
    }
    Ok(Property {
        key: unescape(raw_key, line, path)?,
        value: unescape(rest, line, path)?,
        line,
    })
}

/// Resolves `\t \n \r \f \\ \uXXXX` escapes. A backslash before any other
/// character stands for that character, so `\=`, `\:`, `\ ` and `\#` are
/// literal.
fn unescape(raw: &str, line: usize, path: &Path) -> Result<String, PropertiesError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escaped = &rest[at + 1..];
        let Some(c) = escaped.chars().next() else {
            // A lone final backslash has nothing to escape, so Java drops it.
            return Ok(out);
        };
        rest = &escaped[c.len_utf8()..];
        match c {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\x0c'),
            'u' => rest = push_unicode_escape(&mut out, rest, line, path)?,
            other => out.push(other),
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Decodes the 4 hex digits after a `\u`, and the second `\uXXXX` of a
/// surrogate pair when the first is a high surrogate. Returns the text after
/// the escape.
fn push_unicode_escape<'a>(
    out: &mut String,
    rest: &'a str,
    line: usize,
    path: &Path,
) -> Result<&'a str, PropertiesError> {
    let (unit, rest) = hex_unit(rest).ok_or_else(|| PropertiesError::InvalidUnicodeEscape {
        path: path.to_owned(),
        line,
        sequence: format!("\\u{}", rest.chars().take(4).collect::<String>()),
    })?;
    let unpaired = || PropertiesError::UnpairedSurrogate {
        path: path.to_owned(),
        line,
        sequence: format!("\\u{unit:04X}"),
    };
    if let Some(c) = char::from_u32(u32::from(unit)) {
        out.push(c);
        return Ok(rest);
    }
    if !(0xD800..=0xDBFF).contains(&unit) {
        return Err(unpaired());
    }
    let low = rest.strip_prefix("\\u").and_then(hex_unit);
    let Some((low, rest)) = low.filter(|(low, _)| (0xDC00..=0xDFFF).contains(low)) else {
        return Err(unpaired());
    };
    let code = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
    out.extend(char::from_u32(code));
    Ok(rest)
}

/// Reads 4 hex digits at the start of `text`.
fn hex_unit(text: &str) -> Option<(u16, &str)> {
    let digits = text.get(..4)?;
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let unit = u16::from_str_radix(digits, 16).ok()?;
    Some((unit, &text[4..]))
}

/// Escapes a value so that [`parse_properties`] reads it back unchanged.
///
/// Backslashes, control characters and a leading blank are escaped. Other
/// characters, including non-ASCII ones, are written as they are.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (at, c) in value.char_indices() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            ' ' if at == 0 => out.push_str("\\ "),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}
