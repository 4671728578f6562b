//! Admin API permissions: [`Permission`] and the set type [`Permissions`].
//!
//! The names match the admin API's vocabulary (View, Create, Update,
//! Delete). Which operation needs which permission is decided by the admin
//! API, not here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::StoreError;

/// One admin API permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Permission to read resources.
    View,
    /// Permission to create resources.
    Create,
    /// Permission to change resources.
    Update,
    /// Permission to remove resources.
    Delete,
}

impl Permission {
    /// Every permission, in display order.
    pub const ALL: [Permission; 4] = [Self::View, Self::Create, Self::Update, Self::Delete];

    /// Returns the upper-case name, such as `VIEW`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "VIEW",
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::View => 1,
            Self::Create => 2,
            Self::Update => 4,
            Self::Delete => 8,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = StoreError;

    /// Parses a permission name, ignoring case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|permission| permission.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| StoreError::UnknownPermission {
                name: name.to_owned(),
            })
    }
}

/// A set of permissions. Serialized as an array of names, such as
/// `["VIEW","UPDATE"]`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Permissions(u8);

impl Permissions {
    /// The empty set.
    pub const NONE: Permissions = Permissions(0);

    /// All four permissions.
    pub const ALL: Permissions = Permissions(0b1111);

    /// Returns whether `permission` is in the set.
    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Adds `permission` to the set.
    pub fn insert(&mut self, permission: Permission) {
        self.0 |= permission.bit();
    }

    /// Returns whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Iterates over the permissions in the set, in display order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |permission| self.contains(*permission))
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(permissions: I) -> Self {
        let mut set = Permissions::NONE;
        for permission in permissions {
            set.insert(permission);
        }
        set
    }
}

impl From<Permission> for Permissions {
    fn from(permission: Permission) -> Self {
        Permissions(permission.bit())
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Permissions {
    /// Writes the names joined by commas, such as `VIEW,UPDATE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, permission) in self.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            f.write_str(permission.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for Permissions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Permission::as_str))
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        names
            .iter()
            .map(|name| name.parse::<Permission>())
            .collect::<Result<Permissions, _>>()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::{Permission, Permissions};

    /// Names parse regardless of case.
    #[test]
    fn parse_ignores_case() {
        let parsed: Permission = "update".parse().unwrap();
        assert_eq!(parsed, Permission::Update);
    }

    /// An unknown name is rejected.
    #[test]
    fn parse_rejects_unknown_name() {
        assert!("admin".parse::<Permission>().is_err());
    }

    /// A set round-trips through JSON as an array of names.
    #[test]
    fn set_round_trips_through_json() {
        let set: Permissions = [Permission::View, Permission::Delete].into_iter().collect();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["VIEW","DELETE"]"#);
        let back: Permissions = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
    }
}
