//! The `filter` query parameter: a small subset of the OData syntax that the
//! NetBackup REST API accepts, such as
//! `lastUpdateTime gt 2026-12-04T15:00:00.000Z and state eq 'DONE'`.
//!
//! Supported:
//! - conditions `field op value` joined with `and`
//! - operators `eq`, `ne`, `gt`, `ge`, `lt`, `le` (text fields take only `eq`
//!   and `ne`)
//! - text in single quotes, with `''` for a quote
//! - times as unquoted (or quoted) RFC 3339, and integers unquoted
//!
//! Not supported, and rejected with an error naming the token: `or`, `not`,
//! parentheses and functions such as `contains()`. Which fields exist is up
//! to each collection.

use std::cmp::Ordering;

use time::OffsetDateTime;

use crate::timefmt;
use lexer::{Token, tokenize};

mod lexer;

/// Maximum filter length, in bytes.
pub(crate) const MAX_FILTER_LENGTH: usize = 2048;

/// Maximum number of conditions in one filter.
pub(crate) const MAX_CONDITIONS: usize = 20;

/// The type of a filterable field, which decides how its value is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Time,
    Text,
    Integer,
}

/// A field that a collection can be filtered on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
}

/// A field's value on one item, borrowed for comparison.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FieldValue<'a> {
    Time(OffsetDateTime),
    Text(&'a str),
    Integer(i64),
}

/// An item that a [`Filter`] can test.
pub(crate) trait Filterable {
    /// Returns the value of `field`, or `None` when the item has none (such
    /// as the end time of a running job). No condition matches `None`.
    fn field_value(&self, field: &str) -> Option<FieldValue<'_>>;
}

/// A parsed filter: all conditions must hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    conditions: Vec<Condition>,
}

#[derive(Clone, Debug)]
struct Condition {
    field: &'static str,
    operator: Operator,
    value: Literal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug)]
enum Literal {
    Time(OffsetDateTime),
    Text(String),
    Integer(i64),
}

/// A filter that could not be parsed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FilterError {
    #[error("filter is empty; expected conditions such as \"state eq 'DONE'\"")]
    Empty,
    #[error("filter is {length} bytes long; accepted at most {MAX_FILTER_LENGTH}")]
    TooLong { length: usize },
    #[error("filter has more than {MAX_CONDITIONS} conditions")]
    TooManyConditions,
    #[error("unknown filter field '{field}'; accepted: {accepted}")]
    UnknownField { field: String, accepted: String },
    #[error("unknown filter operator '{operator}'; accepted: eq, ne, gt, ge, lt, le")]
    UnknownOperator { operator: String },
    #[error(
        "filter operator '{operator}' does not apply to text field '{field}'; accepted: eq, ne"
    )]
    TextOperator { field: String, operator: String },
    #[error("invalid filter value '{value}' for '{field}'; expected {expected}")]
    InvalidValue {
        field: String,
        value: String,
        expected: &'static str,
    },
    #[error(
        "unsupported filter syntax '{token}'; expected conditions 'field op value' joined with 'and'"
    )]
    Unsupported { token: String },
    #[error("filter ends after '{after}'; expected {expected}")]
    Incomplete {
        after: String,
        expected: &'static str,
    },
    #[error("unterminated quoted text in filter starting at '{start}'")]
    UnterminatedText { start: String },
}

impl Filter {
    /// Parses `input` against the fields a collection offers.
    pub(crate) fn parse(input: &str, fields: &[Field]) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_LENGTH {
            return Err(FilterError::TooLong {
                length: input.len(),
            });
        }
        let tokens = tokenize(input)?;
        if tokens.is_empty() {
            return Err(FilterError::Empty);
        }
        let mut tokens = tokens.into_iter();
        let mut conditions = Vec::new();
        loop {
            if conditions.len() == MAX_CONDITIONS {
                return Err(FilterError::TooManyConditions);
            }
            conditions.push(parse_condition(&mut tokens, fields)?);
            match tokens.next() {
                None => break,
                Some(Token::Word(word)) if word == "and" => {}
                Some(other) => {
                    return Err(FilterError::Unsupported {
                        token: other.text(),
                    });
                }
            }
        }
        Ok(Self { conditions })
    }

    /// Tells whether every condition holds for `item`.
    pub(crate) fn matches(&self, item: &impl Filterable) -> bool {
        self.conditions
            .iter()
            .all(|condition| condition.holds(item))
    }
}

impl Condition {
    fn holds(&self, item: &impl Filterable) -> bool {
        let ordering = match (item.field_value(self.field), &self.value) {
            (Some(FieldValue::Time(actual)), Literal::Time(expected)) => actual.cmp(expected),
            (Some(FieldValue::Integer(actual)), Literal::Integer(expected)) => actual.cmp(expected),
            (Some(FieldValue::Text(actual)), Literal::Text(expected)) => {
                actual.cmp(expected.as_str())
            }
            _ => return false,
        };
        self.operator.accepts(ordering)
    }
}

impl Operator {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "eq" => Some(Self::Eq),
            "ne" => Some(Self::Ne),
            "gt" => Some(Self::Gt),
            "ge" => Some(Self::Ge),
            "lt" => Some(Self::Lt),
            "le" => Some(Self::Le),
            _ => None,
        }
    }

    /// Tells whether `actual.cmp(expected)` satisfies the operator.
    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
        }
    }
}

fn parse_condition(
    tokens: &mut impl Iterator<Item = Token>,
    fields: &[Field],
) -> Result<Condition, FilterError> {
    let field = match tokens.next() {
        Some(Token::Word(word)) => find_field(&word, fields)?,
        Some(other) => {
            return Err(FilterError::Unsupported {
                token: other.text(),
            });
        }
        None => {
            return Err(FilterError::Incomplete {
                after: "and".to_owned(),
                expected: "a condition",
            });
        }
    };
    let operator_word = match tokens.next() {
        Some(Token::Word(word)) => word,
        Some(other) => {
            return Err(FilterError::UnknownOperator {
                operator: other.text(),
            });
        }
        None => {
            return Err(FilterError::Incomplete {
                after: field.name.to_owned(),
                expected: "an operator",
            });
        }
    };
    let operator = Operator::parse(&operator_word).ok_or_else(|| FilterError::UnknownOperator {
        operator: operator_word.clone(),
    })?;
    if field.kind == FieldKind::Text && !matches!(operator, Operator::Eq | Operator::Ne) {
        return Err(FilterError::TextOperator {
            field: field.name.to_owned(),
            operator: operator_word,
        });
    }
    let value = tokens.next().ok_or_else(|| FilterError::Incomplete {
        after: format!("{} {operator_word}", field.name),
        expected: "a value",
    })?;
    Ok(Condition {
        field: field.name,
        operator,
        value: parse_literal(field, value)?,
    })
}

fn find_field(name: &str, fields: &[Field]) -> Result<Field, FilterError> {
    if name.contains(['(', ')']) || name == "not" {
        return Err(FilterError::Unsupported {
            token: name.to_owned(),
        });
    }
    fields
        .iter()
        .find(|field| field.name == name)
        .copied()
        .ok_or_else(|| FilterError::UnknownField {
            field: name.to_owned(),
            accepted: fields
                .iter()
                .map(|field| field.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn parse_literal(field: Field, token: Token) -> Result<Literal, FilterError> {
    let invalid = |expected: &'static str| FilterError::InvalidValue {
        field: field.name.to_owned(),
        value: token.text(),
        expected,
    };
    match (field.kind, &token) {
        (FieldKind::Time, Token::Word(text) | Token::Quoted(text)) => timefmt::parse_iso(text)
            .map(Literal::Time)
            .ok_or_else(|| invalid("an ISO-8601 time such as 2026-12-04T15:00:00.000Z")),
        (FieldKind::Integer, Token::Word(text)) => text
            .parse()
            .map(Literal::Integer)
            .map_err(|_| invalid("an unquoted integer")),
        (FieldKind::Integer, Token::Quoted(_)) => Err(invalid("an unquoted integer")),
        (FieldKind::Text, Token::Quoted(text)) => Ok(Literal::Text(text.clone())),
        (FieldKind::Text, Token::Word(_)) => Err(invalid("text in single quotes, such as 'DONE'")),
    }
}

#[cfg(test)]
mod tests;
