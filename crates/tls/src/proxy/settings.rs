//! Proxy selection for a host: the `connection.proxy` property, or
//! `HTTPS_PROXY`, minus the hosts listed in `NO_PROXY`.
//!
//! Only the HTTPS variables are read, because every nbwss connection is
//! TLS. Reading the property file is left to the configuration code.

use super::config::{ProxyConfig, ProxyError};
use super::no_proxy::NoProxy;

/// Environment variables for the proxy, in the order they are consulted.
const PROXY_VARIABLES: [&str; 2] = ["HTTPS_PROXY", "https_proxy"];

/// Environment variables for the exclusion list, in the order they are
/// consulted.
const NO_PROXY_VARIABLES: [&str; 2] = ["NO_PROXY", "no_proxy"];

/// The proxy and its exclusions. The default dials everything directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// The proxy, or `None` to dial directly.
    pub proxy: Option<ProxyConfig>,
    /// Hosts dialed directly even when `proxy` is set.
    pub no_proxy: NoProxy,
}

impl ProxySettings {
    /// Reads `HTTPS_PROXY` (or `https_proxy`) and `NO_PROXY` (or
    /// `no_proxy`). Upper case wins when both are set, and empty values count
    /// as unset.
    pub fn from_env() -> Result<Self, ProxyError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ProxySettings::from_env`], reading variables through `lookup`.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ProxyError> {
        let first_set = |names: [&'static str; 2]| {
            names.into_iter().find_map(|name| {
                lookup(name)
                    .filter(|value| !value.trim().is_empty())
                    .map(|value| (name, value))
            })
        };
        let proxy = match first_set(PROXY_VARIABLES) {
            Some((variable, value)) => {
                Some(value.parse().map_err(|source| ProxyError::InvalidEnv {
                    variable,
                    source: Box::new(source),
                })?)
            }
            None => None,
        };
        let no_proxy = first_set(NO_PROXY_VARIABLES)
            .map(|(_, value)| NoProxy::parse(&value))
            .unwrap_or_default();
        Ok(Self { proxy, no_proxy })
    }

    /// Replaces the proxy with `proxy_property` when it is not blank, as
    /// the `connection.proxy` property overrides the environment. The
    /// `NO_PROXY` list stays.
    pub fn with_proxy(mut self, proxy_property: &str) -> Result<Self, ProxyError> {
        if !proxy_property.trim().is_empty() {
            self.proxy = Some(proxy_property.parse()?);
        }
        Ok(self)
    }

    /// Returns the proxy to use for `host`, or `None` to dial directly.
    pub fn proxy_for(&self, host: &str) -> Option<&ProxyConfig> {
        self.proxy.as_ref().filter(|_| !self.no_proxy.matches(host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<ProxySettings, ProxyError> {
        ProxySettings::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    /// No variables means no proxy.
    #[test]
    fn empty_env_has_no_proxy() {
        let settings = settings(&[]).unwrap();
        assert_eq!(settings.proxy, None);
    }

    /// The upper-case variable wins over the lower-case one.
    #[test]
    fn upper_case_variable_wins() {
        let settings = settings(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:2"),
        ])
        .unwrap();
        assert_eq!(settings.proxy.unwrap().host, "upper");
    }

    /// An empty upper-case variable falls through to the lower-case one.
    #[test]
    fn empty_variable_counts_as_unset() {
        let settings = settings(&[("HTTPS_PROXY", ""), ("https_proxy", "http://lower:1")]).unwrap();
        assert_eq!(settings.proxy.unwrap().host, "lower");
    }

    /// A bad proxy variable is an error naming the variable.
    #[test]
    fn bad_variable_is_named() {
        let error = settings(&[("HTTPS_PROXY", "socks5://p:1")]).unwrap_err();
        assert!(error.to_string().contains("HTTPS_PROXY"), "{error}");
    }

    /// A non-blank property replaces the environment's proxy.
    #[test]
    fn property_overrides_env() {
        let settings = settings(&[("HTTPS_PROXY", "http://env:1")])
            .unwrap()
            .with_proxy("http://property:2")
            .unwrap();
        assert_eq!(settings.proxy.unwrap().host, "property");
    }

    /// A blank property keeps the environment's proxy.
    #[test]
    fn blank_property_keeps_env() {
        let settings = settings(&[("HTTPS_PROXY", "http://env:1")])
            .unwrap()
            .with_proxy("  ")
            .unwrap();
        assert_eq!(settings.proxy.unwrap().host, "env");
    }

    /// Hosts in `NO_PROXY` get no proxy, and others get the proxy.
    #[test]
    fn no_proxy_bypasses_proxy() {
        let settings =
            settings(&[("HTTPS_PROXY", "http://env:1"), ("no_proxy", ".internal")]).unwrap();
        assert!(settings.proxy_for("db.internal").is_none());
        assert!(settings.proxy_for("cloud.example").is_some());
    }
}
