//! Private files and directories, below every module that keeps anything on disk (the store,
//! the runbooks, the profile, the sort's segments): directories 0700 and files 0600 whatever the
//! umask, refusal of what is a symlink, another user's or writable by others, whole files
//! replaced atomically, bounded reads of files someone could plant, and the network file
//! systems whose locks and appends cannot be trusted. It knows nothing of what the files hold.

pub(crate) mod fault;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::Error;

/// Refuses a path that is a symlink, not a regular file, owned by another user, or writable by
/// group or others.
pub(crate) fn check_private_file(path: &Path) -> Result<(), Error> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io("open", path, e))?;
    if meta.file_type().is_symlink() {
        return Err(Error::Unsafe(format!(
            "{} is a symbolic link; it must be a regular file in the store",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::Unsafe(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    check_owner_and_mode(path, &meta)
}

/// The effective user id of this process.
pub(crate) fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Refuses a file or directory owned by another user or writable by group or others.
pub(crate) fn check_owner_and_mode(path: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
    let me = current_uid();
    if meta.uid() != me {
        return Err(Error::Unsafe(format!(
            "{} belongs to user id {}, not to you (user id {me}); refusing to use it",
            path.display(),
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Error::Unsafe(format!(
            "{} is writable by group or others (mode {:o}); run `chmod go-w {}`",
            path.display(),
            meta.mode() & 0o7777,
            path.display()
        )));
    }
    Ok(())
}

/// Creates a directory (and missing parents) with mode 0700, and refuses an existing one that is
/// a symlink, belongs to someone else or is writable by others.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => {
            if meta.file_type().is_symlink() {
                return Err(Error::Unsafe(format!(
                    "{} is a symbolic link; give the real directory",
                    dir.display()
                )));
            }
            if !meta.is_dir() {
                return Err(Error::Unsafe(format!(
                    "{} is not a directory",
                    dir.display()
                )));
            }
            check_owner_and_mode(dir, &meta)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent()
                && !parent.as_os_str().is_empty()
                && !parent.exists()
            {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)
                    .map_err(|e| Error::io("create directory", parent, e))?;
            }
            match std::fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("create directory", dir, e)),
            }
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::io("set permissions on", dir, e))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
            Ok(())
        }
        Err(e) => Err(Error::io("inspect", dir, e)),
    }
}

/// The kind of network file system `path` is on, if it is on one: their locks and appends are
/// not the guarantees the log relies on.
pub(crate) fn network_file_system(path: &Path) -> Option<&'static str> {
    network_fs_name(fs_magic(path)?)
}

fn fs_magic(path: &Path) -> Option<i64> {
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    rustix::fs::statfs(path).ok().map(|stat| stat.f_type as i64)
}

/// Names the file-system magic numbers of network file systems (see statfs(2)).
pub(crate) fn network_fs_name(magic: i64) -> Option<&'static str> {
    match magic {
        0x6969 => Some("NFS"),
        0x517B => Some("SMB"),
        0xFF53_4D42 => Some("CIFS"),
        0xFE53_4D42 => Some("SMB2"),
        0x5346_414F => Some("AFS"),
        0x0BD0_0BD0 => Some("Lustre"),
        0x4750_4653 => Some("GPFS"),
        0x0102_1997 => Some("9P"),
        0x6573_5546 => Some("FUSE, possibly a network mount"),
        _ => None,
    }
}

/// Writes a whole file, mode 0600, atomically: to a temporary file beside it, synced, then moved
/// into place. Without `replace`, an existing file is refused, even one that appears meanwhile.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8], replace: bool) -> Result<(), Error> {
    write_private_file_with(path, replace, &mut |out| out.write_all(bytes))
}

/// As [`write_private_file`], with the content written by `fill` as it is made, so that it
/// is never held whole; nothing is left at `path` when `fill` fails (a caller that fails for a
/// reason of its own returns an I/O error to stop, and reports its own).
pub(crate) fn write_private_file_with(
    path: &Path,
    replace: bool,
    fill: &mut dyn FnMut(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<(), Error> {
    if !replace && std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::refused(format!(
            "{} exists; add --force to replace it",
            path.display()
        )));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = dir.join(format!(".breach-{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&temp)
        .and_then(|f| {
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, f);
            fill(&mut out)?;
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?
                .sync_all()
        })
        .and_then(|()| {
            if replace {
                std::fs::rename(&temp, path)
            } else {
                // Hard-link then unlink: fails rather than replace a file that appeared meanwhile.
                std::fs::hard_link(&temp, path).and_then(|()| std::fs::remove_file(&temp))
            }
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::io("write", path, e));
    }
    sync_dir(dir)
}

/// Reads a small file someone could have planted (a runbook, a template, the profile): only a
/// regular file of at most `max_bytes`, refused at once otherwise, with its path, so a FIFO, a
/// device such as `/dev/zero` or an enormous file can neither hang nor exhaust the machine.
/// `Ok(None)` when nothing is there.
pub(crate) fn read_small_file(
    path: &Path,
    max_bytes: u64,
    what: &str,
) -> Result<Option<Vec<u8>>, Error> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{}: the {what} is not a regular file; refusing to read it",
            path.display()
        )));
    }
    if meta.len() > max_bytes {
        return Err(Error::input(format!(
            "{}: the {what} is {} bytes; at most {max_bytes} bytes are accepted",
            path.display(),
            meta.len()
        )));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| Error::io("read", path, e))?;
    // Read at most one byte past the limit, in case the file grew after the check.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::input(format!(
            "{}: the {what} is larger than {max_bytes} bytes",
            path.display()
        )));
    }
    Ok(Some(bytes))
}

/// Makes a directory's entries durable (a new file's name, a rename).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    fault::point()
        .and_then(|()| File::open(dir))
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_file_systems_are_recognised() {
        assert_eq!(network_fs_name(0x6969), Some("NFS"));
        assert_eq!(network_fs_name(0xFF53_4D42), Some("CIFS"));
        assert_eq!(network_fs_name(0xEF53), None, "ext4 is local");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(network_file_system(dir.path()), None, "a temp dir is local");
    }
}
