//! The organisation's files on a database store: every version of the profile, the runbooks,
//! the templates and the files the profile names, in `breach.organisation_files` (insert-only;
//! a withdrawal is a row without content), and this machine's cache of the current version.
//!
//! The cache is a directory per version (`organisation/v<N>` under the machine's directory for
//! this database), built whole in a temporary directory and renamed into place, so a command
//! reads one version or another, never half of one. Every command learns the current version in
//! the query that checks the schema, and builds the cache only when it has changed. A change is
//! read, decided and inserted under one lock (the row of `breach.organisation_lock`, which only
//! writers may lock), so two machines changing the profile at once both keep their change and a
//! read-only login cannot hold changes up.

use std::path::{Path, PathBuf};

use postgres::Client;
use sha2::{Digest, Sha256};

use super::Address;
use crate::error::Error;
use crate::store::organisation::{Change, FileKind, FileVersion, MAX_FILE_BYTES, Replaced};

/// Cached versions kept besides the current one, for commands on this machine that started
/// on an older one.
const KEPT_VERSIONS: usize = 2;

/// The directory this machine reads version `version` of the organisation's files from,
/// built from the database when it is not there yet.
pub(super) fn cache(
    client: &mut Client,
    address: &Address,
    version: i64,
) -> Result<PathBuf, Error> {
    let machine = super::files_dir(&address.shown);
    let root = machine.join("organisation");
    let dir = root.join(format!("v{version}"));
    if dir.is_dir() {
        return Ok(dir);
    }
    crate::files::create_private_dir(&root)?;
    let building = root.join(format!(".building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    crate::files::create_private_dir(&building)?;
    let filled = fill(client, address, version, &building);
    if let Err(e) = filled {
        let _ = std::fs::remove_dir_all(&building);
        return Err(e);
    }
    if std::fs::rename(&building, &dir).is_err() {
        // Another command on this machine built the same version first.
        let _ = std::fs::remove_dir_all(&building);
    }
    forget_old_versions(&root, version);
    Ok(dir)
}

/// Writes the files current at `version` into `dir`.
fn fill(client: &mut Client, address: &Address, version: i64, dir: &Path) -> Result<(), Error> {
    let rows = client
        .query(
            "SELECT DISTINCT ON (kind, name) kind, name, content FROM breach.organisation_files \
             WHERE version <= $1 ORDER BY kind, name, version DESC",
            &[&version],
        )
        .map_err(|e| address.error("read the organisation's files", &e))?;
    for row in rows {
        let column: &str = row.get(0);
        let name: &str = row.get(1);
        let Some(content) = row.get::<_, Option<&[u8]>>(2) else {
            continue;
        };
        let kind = FileKind::from_column(column).ok_or_else(|| {
            Error::input(format!(
                "{} holds an organisation file of a kind this breach does not know (`{}`): update breach",
                address.shown,
                crate::text::sanitize(column)
            ))
        })?;
        crate::store::organisation::check_name(name)?;
        let path = kind.path(dir, name);
        if let Some(parent) = path.parent() {
            crate::files::create_private_dir(parent)?;
        }
        crate::files::write_private_file(&path, content, false)?;
    }
    Ok(())
}

/// Removes the cached versions older than the few kept.
fn forget_old_versions(root: &Path, current: i64) {
    let Ok(read) = std::fs::read_dir(root) else {
        return;
    };
    let mut versions: Vec<i64> = read
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix('v')?.parse().ok())
        .filter(|v| *v < current)
        .collect();
    versions.sort_unstable_by(|a, b| b.cmp(a));
    for old in versions.into_iter().skip(KEPT_VERSIONS) {
        let _ = std::fs::remove_dir_all(root.join(format!("v{old}")));
    }
}

/// Reads the current content of one file, lets `change` decide, and inserts the new version
/// (or a withdrawal) when it differs, all under the files' lock; then this machine's cache of
/// the version that made.
pub(super) fn replace(
    client: &mut Client,
    address: &Address,
    kind: FileKind,
    name: &str,
    change: &mut Change,
) -> Result<(Replaced, PathBuf), Error> {
    crate::store::organisation::check_name(name)?;
    let fail = |doing: &str, e: postgres::Error| address.error(doing, &e);
    let mut tx = client.transaction().map_err(|e| fail("begin", e))?;
    tx.execute("SELECT id FROM breach.organisation_lock FOR UPDATE", &[])
        .map_err(|e| fail("lock the organisation's files", e))?;
    let current: Option<Vec<u8>> = tx
        .query_opt(
            "SELECT content FROM breach.organisation_files WHERE kind = $1 AND name = $2 \
             ORDER BY version DESC LIMIT 1",
            &[&kind.column(), &name],
        )
        .map_err(|e| fail("read the organisation's files", e))?
        .and_then(|row| row.get(0));
    let next = change(current.as_deref())?;
    if next.as_ref().is_some_and(|c| c.len() > MAX_FILE_BYTES) {
        return Err(Error::input(format!(
            "`{name}` is over {} MiB, more than the store keeps of an organisation file",
            MAX_FILE_BYTES >> 20
        )));
    }
    let changed = next != current;
    if changed {
        let sha256 = next.as_ref().map(|c| hex::encode(Sha256::digest(c)));
        tx.execute(
            "INSERT INTO breach.organisation_files (kind, name, content, sha256) \
             VALUES ($1, $2, $3, $4)",
            &[&kind.column(), &name, &next, &sha256],
        )
        .map_err(|e| fail("keep the organisation's file", e))?;
    }
    let version: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM breach.organisation_files",
            &[],
        )
        .map_err(|e| fail("read the organisation's files", e))?
        .get(0);
    tx.commit()
        .map_err(|e| fail("commit the organisation's file", e))?;
    let dir = cache(client, address, version)?;
    let replaced = Replaced {
        version: Some(version),
        changed,
        path: kind.path(&dir, name),
    };
    Ok((replaced, dir))
}

/// Every version of every organisation file, oldest first.
pub(super) fn history(client: &mut Client, address: &Address) -> Result<Vec<FileVersion>, Error> {
    let rows = client
        .query(
            "SELECT version, kind, name, sha256, written_by::text, \
             to_char(written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
             FROM breach.organisation_files ORDER BY version",
            &[],
        )
        .map_err(|e| address.error("read the organisation's files", &e))?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(FileVersion {
                version: row.get(0),
                kind: FileKind::from_column(row.get(1))?.column(),
                name: row.get(2),
                sha256: row.get(3),
                written_by: row.get(4),
                written_at: row.get(5),
            })
        })
        .collect())
}
