//! `NO_PROXY` rules: which hosts are dialed directly even when a proxy is
//! configured.
//!
//! The list is comma-separated. `*` matches every host. A domain, with or
//! without a leading `.` (or `*.`), matches itself and its subdomains. An
//! IP address matches exactly, and `address/prefix` matches a network.
//! Matching ignores case and ports. Entries that fit none of these forms
//! are kept as domains, so they simply never match an IP host.

use std::net::IpAddr;

/// A parsed `NO_PROXY` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// A domain in lower case, without leading `.` or trailing `.`.
    Domain(String),
    Address(IpAddr),
    Network(IpAddr, u8),
}

impl NoProxy {
    /// Parses a comma-separated list. Empty items are skipped.
    pub fn parse(list: &str) -> Self {
        let mut no_proxy = Self::default();
        for item in list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            if item == "*" {
                no_proxy.all = true;
            } else {
                no_proxy.entries.push(parse_entry(item));
            }
        }
        no_proxy
    }

    /// Returns whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        !self.all && self.entries.is_empty()
    }

    /// Returns whether `host` is to be dialed without the proxy. `host`
    /// may carry a port and brackets, which are ignored.
    pub fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = normalize_host(host);
        match host.parse::<IpAddr>() {
            Ok(address) => self.entries.iter().any(|entry| match entry {
                Entry::Address(listed) => *listed == address,
                Entry::Network(network, prefix) => in_network(address, *network, *prefix),
                Entry::Domain(_) => false,
            }),
            Err(_) => self.entries.iter().any(|entry| match entry {
                Entry::Domain(domain) => domain_matches(&host, domain),
                Entry::Address(_) | Entry::Network(..) => false,
            }),
        }
    }
}

fn parse_entry(item: &str) -> Entry {
    if let Some((address, prefix)) = item.split_once('/') {
        if let (Ok(address), Ok(prefix)) = (address.parse::<IpAddr>(), prefix.parse::<u8>()) {
            let max = if address.is_ipv4() { 32 } else { 128 };
            if prefix <= max {
                return Entry::Network(address, prefix);
            }
        }
    }
    let host = normalize_host(item);
    if let Ok(address) = host.parse::<IpAddr>() {
        return Entry::Address(address);
    }
    let domain = host
        .strip_prefix("*.")
        .or_else(|| host.strip_prefix('.'))
        .unwrap_or(&host);
    Entry::Domain(domain.to_owned())
}

/// Lower-cases a host and strips brackets, a port and a trailing dot.
fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let bare = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if host.parse::<IpAddr>().is_ok() {
        host
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        }
    };
    bare.trim_end_matches('.').to_ascii_lowercase()
}

fn domain_matches(host: &str, domain: &str) -> bool {
    if domain.is_empty() {
        return false;
    }
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

fn in_network(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (address, network) {
        (IpAddr::V4(address), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(address) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(address), IpAddr::V6(network)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(address) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of the (list, host, expected) matching table is satisfied.
    #[test]
    fn matching_table() {
        let table: &[(&str, &str, bool)] = &[
            ("", "example.com", false),
            ("*", "anything.example", true),
            ("*", "10.1.2.3", true),
            ("example.com", "example.com", true),
            ("example.com", "api.example.com", true),
            ("example.com", "a.b.example.com", true),
            ("example.com", "badexample.com", false),
            ("example.com", "example.com.evil", false),
            (".example.com", "example.com", true),
            (".example.com", "api.example.com", true),
            ("*.example.com", "api.example.com", true),
            ("Example.COM", "API.example.com", true),
            ("example.com.", "api.example.com", true),
            ("example.com:8443", "example.com", true),
            ("example.com", "example.com:443", true),
            ("example.com", "example.com.", true),
            ("10.0.0.1", "10.0.0.1", true),
            ("10.0.0.1", "10.0.0.10", false),
            ("10.0.0.1:3128", "10.0.0.1", true),
            ("10.0.0.0/8", "10.200.3.4", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("0.0.0.0/0", "192.0.2.1", true),
            ("::1", "[::1]", true),
            ("[::1]:443", "::1", true),
            ("fd00::/8", "fd12::1", true),
            ("fd00::/8", "fe80::1", false),
            ("10.0.0.0/8", "fd12::1", false),
            ("localhost, 127.0.0.1 ,,", "127.0.0.1", true),
            ("localhost,127.0.0.1", "LOCALHOST", true),
            ("localhost,127.0.0.1", "127.0.0.2", false),
            ("1.2.3.4", "host.1.2.3.4", false),
        ];
        for (list, host, expected) in table {
            let actual = NoProxy::parse(list).matches(host);
            assert_eq!(actual, *expected, "NO_PROXY={list:?} host={host:?}");
        }
    }

    /// A list of only commas and spaces is empty.
    #[test]
    fn blank_list_is_empty() {
        assert!(NoProxy::parse(" , ,").is_empty());
    }
}
