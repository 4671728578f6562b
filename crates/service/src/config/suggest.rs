//! Suggestion of the known key closest to a misspelled one, for the
//! unknown-key error message.
//!
//! Deciding that a key is unknown is left to `validated.rs`.

use super::keys::{KEYS, Kind};

/// Largest edit distance, ignoring case, at which a key is suggested.
const MAX_DISTANCE: usize = 3;

/// Returns the known key closest to `unknown`, if one is close enough.
///
/// A key matches when its case-folded Levenshtein distance to `unknown` is
/// at most [`MAX_DISTANCE`], the nearest winning, or when `unknown` is the
/// last segment of exactly one key (`retryDelay` for
/// `connection.retryDelay`). The secret key is never suggested, since the
/// file does not accept it.
pub(crate) fn closest_key(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_lowercase();
    let candidates = KEYS
        .iter()
        .filter(|spec| !matches!(spec.kind, Kind::Secret));
    let nearest = candidates
        .clone()
        .map(|spec| {
            (
                edit_distance(&unknown, &spec.name.to_ascii_lowercase()),
                spec.name,
            )
        })
        .min_by_key(|&(distance, _)| distance)
        .filter(|&(distance, _)| distance <= MAX_DISTANCE);
    if let Some((_, name)) = nearest {
        return Some(name);
    }
    let mut by_last_segment = candidates.filter(|spec| {
        let last = spec.name.rsplit('.').next().unwrap_or(spec.name);
        last.eq_ignore_ascii_case(&unknown)
    });
    match (by_last_segment.next(), by_last_segment.next()) {
        (Some(spec), None) => Some(spec.name),
        _ => None,
    }
}

/// Levenshtein distance counted in chars: insertions, deletions and
/// substitutions each cost 1.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // previous[j] is the distance between the first i-1 chars of `a` and the
    // first j chars of `b`.
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, a_char) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, &b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distances of the textbook cases.
    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    /// A key with a typo is matched to the real key.
    #[test]
    fn suggests_key_with_typo() {
        let suggestion = closest_key("keepAlive.scheduleRate");
        assert_eq!(suggestion, Some("keepAlive.scheduledRate"));
    }

    /// A key written in the wrong case is matched.
    #[test]
    fn suggests_key_in_wrong_case() {
        let suggestion = closest_key("LOG.LEVEL");
        assert_eq!(suggestion, Some("log.level"));
    }

    /// A key without its prefix is matched by its last segment.
    #[test]
    fn suggests_key_missing_prefix() {
        let suggestion = closest_key("retryDelay");
        assert_eq!(suggestion, Some("connection.retryDelay"));
    }

    /// An ambiguous last segment gives no suggestion.
    #[test]
    fn skips_ambiguous_last_segment() {
        let suggestion = closest_key("scheduledRate");
        assert_eq!(suggestion, None);
    }

    /// A key unlike any other gives no suggestion.
    #[test]
    fn skips_unrelated_key() {
        let suggestion = closest_key("database.url");
        assert_eq!(suggestion, None);
    }
}
