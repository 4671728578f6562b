//! The relay rules for `uri` and headers.

use std::collections::BTreeMap;

use nbwss_protocol::policy::{check_headers, check_uri};

fn prefixes() -> Vec<String> {
    vec!["/netbackup/".to_owned()]
}

/// Ordinary NetBackup paths with queries pass.
#[test]
fn accepts_netbackup_paths() {
    for uri in [
        "/netbackup/admin/jobs",
        "/netbackup/admin/jobs?page[limit]=10",
        "/netbackup/admin/jobs?filter=state eq 'DONE'",
        "/netbackup/admin/jobs?filter=a..b",
        "/netbackup/config/servers/vmservers/vc%2Dhost",
    ] {
        assert_eq!(check_uri(uri, &prefixes()), Ok(()), "{uri}");
    }
}

/// Each broken rule is rejected with a reason that names it.
#[test]
fn rejects_each_rule() {
    let cases = [
        ("netbackup/admin", "start with"),
        ("//evil.example/netbackup/", "\"//\""),
        ("/netbackup/http://evil", "scheme"),
        ("/netbackup/a@b", "\"@\""),
        ("/netbackup\\admin", "backslash"),
        ("/netbackup/a\u{0}b", "control"),
        ("/netbackup/a\nb", "control"),
        ("/netbackup/../admin", "\"..\""),
        ("/netbackup/%2e%2e/admin", "\"..\""),
        ("/netbackup/%2E%2E/admin", "\"..\""),
        ("/netbackup/.%2e/admin", "\"..\""),
        ("/netbackup/%252e%252e/admin", "\"..\""),
        ("/netbackup/a%00b", "control"),
        ("/netbackup/a%5cb", "backslash"),
        ("/admin/jobs", "allowed prefixes"),
        ("/netbackupx/jobs", "allowed prefixes"),
        ("/netbackup/a#frag", "fragment"),
        ("/netbackup/..;/secret", "\"..\""),
        ("/netbackup/%2e%2e;/secret", "\"..\""),
        ("/netbackup/..%3b/secret", "\"..\""),
        ("/netbackup/%25252e%25252e/secret", "\"..\""),
        ("/netbackup/%2525252525252e", "percent-encoded more than"),
        ("/netbackup/%c0%ae%c0%ae/secret", "valid UTF-8"),
    ];
    for (uri, reason) in cases {
        let error = check_uri(uri, &prefixes()).expect_err(uri);
        assert!(error.reason.contains(reason), "{uri}: {}", error.reason);
    }
}

/// Several prefixes may be configured.
#[test]
fn accepts_any_configured_prefix() {
    let prefixes = vec!["/netbackup/".to_owned(), "/api/".to_owned()];
    assert_eq!(check_uri("/api/v1/x", &prefixes), Ok(()));
}

fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Hop-by-hop headers are dropped and the rest kept.
#[test]
fn drops_hop_by_hop_headers() {
    let input = headers(&[
        ("Authorization", "jwt"),
        ("Connection", "close"),
        ("Keep-Alive", "5"),
        ("Transfer-Encoding", "chunked"),
        ("TE", "trailers"),
        ("Upgrade", "h2c"),
        ("Proxy-Authorization", "Basic x"),
        ("Host", "evil"),
        ("Content-Type", "application/json"),
    ]);
    let kept = check_headers(&input).expect("valid");
    let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["Authorization", "Content-Type"]);
}

/// CR, LF and NUL in values, and bad names, are rejected.
#[test]
fn rejects_invalid_headers() {
    for (name, value) in [
        ("X-A", "a\r\nInjected: 1"),
        ("X-A", "a\nb"),
        ("X-A", "a\0b"),
        ("Bad Name", "v"),
        ("Bad:Name", "v"),
        ("", "v"),
    ] {
        let error = check_headers(&headers(&[(name, value)])).expect_err(name);
        assert_eq!(error.name, name);
        assert!(!error.to_string().contains("Injected"), "{error}");
    }
}

/// Percent-encoded UTF-8 such as an accented name is accepted.
#[test]
fn accepts_encoded_utf8() {
    assert_eq!(check_uri("/netbackup/vm/caf%C3%A9", &prefixes()), Ok(()));
}

/// A uri over the length limit is rejected before anything else.
#[test]
fn rejects_overlong_uri() {
    let uri = format!("/netbackup/{}", "a".repeat(40 * 1024));
    let error = check_uri(&uri, &prefixes()).expect_err("too long");
    assert!(error.reason.contains("longer than"), "{}", error.reason);
    assert!(error.uri.len() <= 256);
}
