//! Named secrets, such as `notification.upstreamApiKey`, encrypted at rest.
//!
//! Each value is sealed by `cipher` with the secret's name as associated
//! data. Which names exist and what they mean is up to the caller.

use redb::ReadableTable;

use crate::cipher::SealedKind;
use crate::error::{Result, StoreError};
use crate::secret::Secret;
use crate::store::Store;
use crate::tables;

impl Store {
    /// Stores `value` under `name`, replacing any previous value.
    pub fn set_secret(&self, name: &str, value: &Secret) -> Result<()> {
        let sealed = self
            .cipher()
            .seal_str(SealedKind::NamedSecret, name, value.expose())?;
        self.write(|txn| {
            let mut table = txn.open_table(tables::SECRETS)?;
            table.insert(name, sealed.as_slice())?;
            Ok(())
        })?;
        tracing::debug!(secret = %name, "secret stored");
        Ok(())
    }

    /// Returns the secret stored under `name`, if any.
    pub fn get_secret(&self, name: &str) -> Result<Option<Secret>> {
        let sealed = self.read(|txn| {
            let table = txn.open_table(tables::SECRETS)?;
            let value = table.get(name)?;
            Ok(value.map(|guard| guard.value().to_vec()))
        })?;
        sealed
            .map(|sealed| {
                self.cipher()
                    .open_str(SealedKind::NamedSecret, name, &sealed)
                    .map(Secret::new)
            })
            .transpose()
    }

    /// Deletes the secret stored under `name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such secret.
    pub fn delete_secret(&self, name: &str) -> Result<()> {
        self.write(|txn| {
            let mut table = txn.open_table(tables::SECRETS)?;
            match table.remove(name)? {
                Some(_) => Ok(()),
                None => Err(StoreError::not_found("secret", name)),
            }
        })?;
        tracing::debug!(secret = %name, "secret deleted");
        Ok(())
    }
}
