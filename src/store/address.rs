//! Where a store is, as a person names it (`--store`, `BREACH_STORE`, `push --to`, `pull
//! --from`): read once into a type, so that which backend a name means is decided in one place
//! and nothing else looks at the string to find out.

use std::path::{Path, PathBuf};

/// A store's address: a directory on this machine, or a PostgreSQL connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreAddress {
    Directory(PathBuf),
    /// A `postgresql://` (or `postgres://`) connection string, as given: it may hold a
    /// password, so it is never shown as it is (see [`StoreAddress`]'s `Display`).
    Postgres(String),
}

impl StoreAddress {
    /// What `given` names: a connection string when it starts with `postgresql://` or
    /// `postgres://`, a directory otherwise.
    pub(crate) fn parse(given: &Path) -> StoreAddress {
        match given
            .to_str()
            .filter(|s| s.starts_with("postgresql://") || s.starts_with("postgres://"))
        {
            Some(url) => StoreAddress::Postgres(url.to_owned()),
            None => StoreAddress::Directory(given.to_owned()),
        }
    }

    /// The directory of the organisation's own files (`profile.json`, `runbooks/`,
    /// `templates/`) for this store, without opening it: the store itself for a directory,
    /// a private directory of the user's, one per database, for a database store.
    pub(crate) fn files_dir(&self) -> PathBuf {
        match self {
            StoreAddress::Directory(root) => root.clone(),
            StoreAddress::Postgres(url) => super::postgres::files_dir(url),
        }
    }
}

impl std::fmt::Display for StoreAddress {
    /// The address as people see it: a directory's path, or a connection string without its
    /// password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreAddress::Directory(root) => write!(f, "{}", root.display()),
            StoreAddress::Postgres(url) => f.write_str(&super::postgres::shown(url)),
        }
    }
}

/// The per-user default store: `$XDG_DATA_HOME/breach` (usually `~/.local/share/breach`).
pub(crate) fn default_root() -> PathBuf {
    use etcetera::BaseStrategy;
    match etcetera::choose_base_strategy() {
        Ok(base) => base.data_dir().join("breach"),
        Err(_) => PathBuf::from(".breach"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_string_is_a_database_and_anything_else_a_directory() {
        for url in ["postgresql://u@h/db", "postgres://u@h/db"] {
            assert_eq!(
                StoreAddress::parse(Path::new(url)),
                StoreAddress::Postgres(url.to_owned())
            );
        }
        for dir in [
            "./store",
            "/var/breach",
            "postgresql:/not-a-url",
            "mysql://u@h/db",
        ] {
            assert_eq!(
                StoreAddress::parse(Path::new(dir)),
                StoreAddress::Directory(PathBuf::from(dir))
            );
        }
        let secret = StoreAddress::parse(Path::new("postgresql://u:hunter2@h/db"));
        assert!(!secret.to_string().contains("hunter2"), "{secret}");
    }
}
