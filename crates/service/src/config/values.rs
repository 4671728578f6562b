//! Conversions from raw value strings to typed values, one function per
//! kind of key, plus the redaction of credentials in URL values.
//!
//! The functions return `None` (or the parser's error) on bad input and leave
//! the error message, which names key, value, origin and accepted range, to
//! `validated.rs`. Callers trim surrounding whitespace first.

use std::borrow::Cow;
use std::net::Ipv6Addr;

use super::keys::{PROXY, UPSTREAM_API_KEY, UPSTREAM_URL};

/// Text that replaces a password or secret in displayed values.
pub(crate) const REDACTED: &str = "***";

/// Parses `true` or `false`, case-insensitive.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses a decimal integer made of ASCII digits only: no sign, no unit and
/// no separators.
pub(crate) fn parse_integer(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Checks `http://[user:pass@]host:port`, optionally followed by `/`.
///
/// The user name must not be empty, but the password may be. The scheme is
/// case-insensitive and the port is required.
pub(crate) fn is_proxy_url(text: &str) -> bool {
    let Some(authority) = strip_scheme(text, "http://").and_then(authority_only) else {
        return false;
    };
    let host_port = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            let Some((user, password)) = userinfo.split_once(':') else {
                return false;
            };
            if user.is_empty() || !is_userinfo_text(user) || !is_userinfo_text(password) {
                return false;
            }
            host_port
        }
        None => authority,
    };
    matches!(split_host_port(host_port), Some((_, Some(_))))
}

/// Parses `http(s)://host[:port]` with an optional trailing `/`, and returns
/// it without the trailing `/`, so that a command's `uri` can be appended.
pub(crate) fn parse_upstream_url(text: &str) -> Option<String> {
    let authority = strip_scheme(text, "https://")
        .or_else(|| strip_scheme(text, "http://"))
        .and_then(authority_only)?;
    if authority.contains('@') {
        return None;
    }
    split_host_port(authority)?;
    Some(text.strip_suffix('/').unwrap_or(text).to_owned())
}

/// Parses comma-separated path prefixes. Items are trimmed and empty items
/// skipped, but at least one prefix is required.
///
/// Each prefix must start with `/`, not with `//`, and must not contain
/// `..` segments, a backslash, `?`, `#`, whitespace or control characters.
/// A command `uri` that passes these rules can match the prefix.
pub(crate) fn parse_path_prefixes(text: &str) -> Option<Vec<String>> {
    let prefixes: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect();
    let valid = !prefixes.is_empty() && prefixes.iter().all(|prefix| is_path_prefix(prefix));
    valid.then_some(prefixes)
}

fn is_path_prefix(prefix: &str) -> bool {
    let forbidden = |c: char| matches!(c, '\\' | '?' | '#') || c.is_whitespace() || c.is_control();
    prefix.starts_with('/')
        && !prefix.starts_with("//")
        && !prefix.contains(forbidden)
        && !prefix.split('/').any(|segment| segment == "..")
}

/// Removes a case-insensitive scheme prefix such as `http://`.
fn strip_scheme<'a>(text: &'a str, scheme: &str) -> Option<&'a str> {
    let head = text.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &text[scheme.len()..])
}

/// Returns the authority of the rest of a URL after its scheme, provided
/// that nothing but an optional `/` follows it.
fn authority_only(rest: &str) -> Option<&str> {
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let forbidden =
        |c: char| matches!(c, '/' | '?' | '#' | '\\') || c.is_whitespace() || c.is_control();
    (!authority.is_empty() && !authority.contains(forbidden)).then_some(authority)
}

/// Characters allowed in a user name or password: unreserved, sub-delims
/// and percent-encoding, as in RFC 3986 section 3.2.1.
fn is_userinfo_text(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%".contains(c))
}

/// Splits `host[:port]`, where host is a DNS name, an IPv4 address or a
/// bracketed IPv6 address, and the port is 1 to 65535.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<Ipv6Addr>().ok()?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if !is_host_name(host) {
            return None;
        }
        (host, port)
    };
    match port {
        None => Some((host, None)),
        Some(port) => Some((host, Some(parse_port(port)?))),
    }
}

fn parse_port(text: &str) -> Option<u16> {
    let port = u16::try_from(parse_integer(text)?).ok()?;
    (port != 0).then_some(port)
}

/// Checks a DNS name or IPv4 address: dot-separated labels of 1 to 63
/// letters, digits, `-` or `_`, not starting or ending with `-`, at most 253
/// characters in all.
fn is_host_name(host: &str) -> bool {
    let is_label = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    (1..=253).contains(&host.len()) && host.split('.').all(is_label)
}

/// Returns `value` as it may be displayed in messages and listings: the whole
/// value for a secret key, the password of a URL's user info for the proxy
/// and upstream URL keys, replaced by `***`.
pub(crate) fn redact_value<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    if key == UPSTREAM_API_KEY.name {
        Cow::Borrowed(REDACTED)
    } else if key == PROXY.name || key == UPSTREAM_URL.name {
        redact_url_password(value)
    } else {
        Cow::Borrowed(value)
    }
}

/// Replaces the password in `scheme://user:password@host...` by `***`.
/// Works on malformed values too, since error messages quote those.
fn redact_url_password(value: &str) -> Cow<'_, str> {
    let start = value.find("://").map_or(0, |at| at + 3);
    let authority_end = value[start..]
        .find('/')
        .map_or(value.len(), |at| start + at);
    let Some(at) = value[start..authority_end].rfind('@') else {
        return Cow::Borrowed(value);
    };
    let userinfo_end = start + at;
    let Some(colon) = value[start..userinfo_end].find(':') else {
        return Cow::Borrowed(value);
    };
    let password_start = start + colon + 1;
    Cow::Owned(format!(
        "{}{REDACTED}{}",
        &value[..password_start],
        &value[userinfo_end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A proxy password is replaced, the user and host are kept.
    #[test]
    fn redacts_proxy_password() {
        let displayed = redact_value(PROXY.name, "http://bob:s3cret@proxy:3128");
        assert_eq!(displayed, "http://bob:***@proxy:3128");
    }

    /// A password that contains an unencoded `@` is replaced whole.
    #[test]
    fn redacts_password_containing_at_sign() {
        let displayed = redact_value(PROXY.name, "http://bob:p@ss@proxy:3128/");
        assert_eq!(displayed, "http://bob:***@proxy:3128/");
    }

    /// A user name without a password is left as it is.
    #[test]
    fn keeps_user_without_password() {
        let displayed = redact_value(PROXY.name, "http://bob@proxy:3128");
        assert_eq!(displayed, "http://bob@proxy:3128");
    }

    /// Values of other keys are displayed as they are.
    #[test]
    fn keeps_values_of_other_keys() {
        let displayed = redact_value("log.level", "a:b@c");
        assert_eq!(displayed, "a:b@c");
    }

    /// IPv6 hosts need brackets, and their port is read after the bracket.
    #[test]
    fn splits_bracketed_ipv6_host() {
        assert_eq!(split_host_port("[::1]:8080"), Some(("::1", Some(8080))));
        assert_eq!(split_host_port("::1:8080"), None);
    }

    /// Host names reject empty labels and leading hyphens.
    #[test]
    fn rejects_malformed_host_names() {
        assert!(!is_host_name("a..b"));
        assert!(!is_host_name("-a.b"));
        assert!(!is_host_name("a.b."));
        assert!(is_host_name("backup-01.example.com"));
    }

    /// Integers accept digits only.
    #[test]
    fn rejects_signs_and_units_in_integers() {
        assert_eq!(parse_integer("+5"), None);
        assert_eq!(parse_integer("-5"), None);
        assert_eq!(parse_integer("5s"), None);
        assert_eq!(parse_integer("1_000"), None);
        assert_eq!(parse_integer("99999999999999999999"), None);
        assert_eq!(parse_integer("007"), Some(7));
    }
}
