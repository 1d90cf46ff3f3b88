//! The files of a store's caches: derived data kept beside the record to make reads cheap, never
//! a record itself. Each is rebuilt from the logs whenever it is missing, unreadable, too large
//! or stale, so everything here is best effort: a cache that cannot be read is not read, and
//! one that cannot be written is not kept.
//!
//! Files are private (0600, in a 0700 directory), never followed through a link, read only when
//! they are regular files of a sane size, and replaced whole by renaming a finished temporary
//! file over them, so a reader never sees half of one.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A cache larger than this is not read (it is rebuilt instead): room for some 200,000
/// incidents' summaries.
pub(crate) const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// A cache's whole content, if there is a readable one.
pub(crate) fn read(dir: &Path, name: &str) -> Option<Vec<u8>> {
    crate::files::read_small_file(&dir.join(name), MAX_BYTES, "cache")
        .ok()
        .flatten()
}

/// A cache to read line by line, if there is a readable one.
pub(crate) fn open(dir: &Path, name: &str) -> Option<BufReader<File>> {
    let path = dir.join(name);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    // Only a regular file of a sane size: a planted FIFO or device is not read.
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(&path)
        .ok()?;
    Some(BufReader::with_capacity(256 * 1024, file))
}

/// Keeps `bytes` as the cache `name`.
pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) {
    if let Some(mut writer) = Writer::create(dir, name)
        && writer.write_all(bytes).is_ok()
    {
        writer.commit();
    }
}

/// Keeps a small record of fixed width as the cache `name`, written in place (one open and one
/// write, no rename: for what every append keeps). A write torn by a crash leaves a record that
/// does not read, which is treated as none; where the file cannot be opened, it is made whole.
pub(crate) fn overwrite_fixed(dir: &Path, name: &str, record: &[u8]) {
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(dir.join(name));
    match opened {
        Ok(mut file) => {
            let _ = file.write_all(record);
        }
        Err(_) => write(dir, name, record),
    }
}

/// A cache being written: a private temporary file, renamed over the cache by [`Writer::commit`]
/// and removed if dropped before.
#[derive(Debug)]
pub(crate) struct Writer {
    temp: PathBuf,
    path: PathBuf,
    file: Option<BufWriter<File>>,
}

impl Writer {
    /// Starts writing the cache `name`; `None` when it cannot be (a read-only store keeps none).
    pub(crate) fn create(dir: &Path, name: &str) -> Option<Writer> {
        crate::files::create_private_dir(dir).ok()?;
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        // Not synced: a cache lost in a crash is rebuilt, and a torn line is not read.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&temp)
            .ok()?;
        Some(Writer {
            path: dir.join(name),
            temp,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
        })
    }

    /// Copies the first `bytes` bytes of `from` (the cache being replaced, up to where it is
    /// still right).
    pub(crate) fn copy_from(&mut self, from: &Path, bytes: u64) -> std::io::Result<()> {
        let mut source = File::open(from)?.take(bytes);
        let copied = std::io::copy(&mut source, self)?;
        if copied == bytes {
            Ok(())
        } else {
            Err(std::io::Error::other("the cache changed while it was read"))
        }
    }

    /// Puts the finished cache in place.
    pub(crate) fn commit(mut self) {
        if let Some(file) = self.file.take()
            && file.into_inner().is_ok()
            && std::fs::rename(&self.temp, &self.path).is_ok()
        {
            return;
        }
        let _ = std::fs::remove_file(&self.temp);
    }
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(file) => file.write(buf),
            None => Err(std::io::Error::other("the cache is closed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
