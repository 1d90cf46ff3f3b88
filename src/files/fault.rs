//! Fault injection for the storage tests: every I/O operation of creating an incident and of
//! appending an entry passes through [`point`], and a test can make the n-th one fail with
//! "no space left on device" (a write fails after writing half its bytes), the way SQLite's
//! I/O-error tests walk a failure through every operation in turn. In non-test builds these are
//! no-ops the compiler removes.

use std::io::{self, Write};

#[cfg(test)]
thread_local! {
    static FAIL_AT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    static SEEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Makes the `n`-th I/O operation from now fail (0 is the next one); `None` stops injecting.
#[cfg(test)]
pub(crate) fn fail_at(n: Option<usize>) {
    FAIL_AT.with(|f| f.set(n));
    SEEN.with(|s| s.set(0));
}

/// How many I/O operations have passed since the last [`fail_at`].
#[cfg(test)]
pub(crate) fn operations() -> usize {
    SEEN.with(std::cell::Cell::get)
}

/// Whether this operation is the one chosen to fail.
#[cfg(test)]
fn chosen() -> bool {
    let n = SEEN.with(|s| {
        let n = s.get();
        s.set(n + 1);
        n
    });
    FAIL_AT.with(|f| f.get() == Some(n))
}

#[cfg(not(test))]
#[inline(always)]
fn chosen() -> bool {
    false
}

fn no_space() -> io::Error {
    io::Error::from(rustix::io::Errno::NOSPC)
}

/// An I/O operation about to happen: fails when chosen.
#[inline]
pub(crate) fn point() -> io::Result<()> {
    if chosen() { Err(no_space()) } else { Ok(()) }
}

/// `write_all`, which when chosen writes half its bytes and then fails, as a full disk does.
#[inline]
pub(crate) fn write_all(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    if chosen() {
        out.write_all(&bytes[..bytes.len() / 2])?;
        return Err(no_space());
    }
    out.write_all(bytes)
}
