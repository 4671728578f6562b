//! Splits a filter into tokens: bare words and single-quoted text.
//!
//! What the tokens mean is left to the parser in the parent module.

use super::FilterError;

/// One lexical token: a bare word or a quoted text with quotes removed.
#[derive(Clone, Debug)]
pub(super) enum Token {
    Word(String),
    Quoted(String),
}

impl Token {
    /// Returns the token as written, with quotes around quoted text.
    pub(super) fn text(&self) -> String {
        match self {
            Token::Word(word) => word.clone(),
            Token::Quoted(text) => format!("'{}'", text.replace('\'', "''")),
        }
    }
}

/// Splits `input` into words at whitespace, reading `'...'` (with `''` for a
/// quote) as one token.
pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next() {
                    Some((_, '\'')) if matches!(chars.peek(), Some((_, '\''))) => {
                        chars.next();
                        text.push('\'');
                    }
                    Some((_, '\'')) => break,
                    Some((_, other)) => text.push(other),
                    None => {
                        let start: String = input[start..].chars().take(20).collect();
                        return Err(FilterError::UnterminatedText { start });
                    }
                }
            }
            tokens.push(Token::Quoted(text));
        } else {
            let mut end = input.len();
            while let Some(&(index, c)) = chars.peek() {
                if c.is_whitespace() {
                    end = index;
                    break;
                }
                chars.next();
            }
            tokens.push(Token::Word(input[start..end].to_owned()));
        }
    }
    Ok(tokens)
}
