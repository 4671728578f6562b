//! The process-wide rustls crypto provider.
//!
//! The configs built by this crate name the `ring` provider themselves, so
//! installing the default only matters for code that calls rustls builders
//! without a provider (reqwest with `rustls-no-provider`, for example).

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

/// Returns the `ring` crypto provider that every config in this crate uses.
pub(crate) fn ring_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs rustls' `ring` provider as the process default.
///
/// Calling it again, or after another provider was installed, does nothing:
/// the provider installed first stays in place.
pub fn install_default_provider() {
    if CryptoProvider::get_default().is_some() {
        return;
    }
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        // Another thread installed a provider between the check and here.
        tracing::debug!("crypto provider already installed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second call leaves the installed provider in place without panicking.
    #[test]
    fn install_is_idempotent() {
        install_default_provider();
        install_default_provider();
        assert!(CryptoProvider::get_default().is_some());
    }
}
