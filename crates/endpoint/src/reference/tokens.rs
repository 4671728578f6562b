//! The reference server's tokens file: one token per line.
//!
//! Surrounding whitespace is trimmed, and blank lines and lines starting
//! with `#` are ignored. The file is read once at start; picking up changes
//! needs a restart.

use std::path::Path;

use super::ReferenceError;

/// Reads the tokens in file order, without duplicates. A missing file or
/// one with no token is an error naming the path.
pub(crate) fn load_tokens(path: &Path) -> Result<Vec<String>, ReferenceError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReferenceError::TokensRead {
        path: path.to_owned(),
        source,
    })?;
    let tokens = parse_tokens(&text);
    if tokens.is_empty() {
        return Err(ReferenceError::TokensEmpty {
            path: path.to_owned(),
        });
    }
    Ok(tokens)
}

fn parse_tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !tokens.iter().any(|token| token == line) {
            tokens.push(line.to_owned());
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Comments, blank lines and surrounding spaces are skipped.
    #[test]
    fn skips_comments_and_blank_lines() {
        let tokens = parse_tokens("# tokens\n\n  first  \nsecond\n#third\n");
        assert_eq!(tokens, ["first", "second"]);
    }

    /// A repeated token is kept once, at its first position.
    #[test]
    fn drops_duplicate_tokens() {
        let tokens = parse_tokens("a\nb\na\n");
        assert_eq!(tokens, ["a", "b"]);
    }

    /// A missing file is an error naming the path.
    #[test]
    fn missing_file_names_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.txt");
        let error = load_tokens(&path).unwrap_err().to_string();
        assert!(error.contains("absent.txt"), "{error}");
    }

    /// A file with only comments is an error naming the path.
    #[test]
    fn file_without_tokens_names_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.txt");
        std::fs::write(&path, "# nothing here\n\n").unwrap();
        let error = load_tokens(&path).unwrap_err().to_string();
        assert!(error.contains("tokens.txt"), "{error}");
    }
}
