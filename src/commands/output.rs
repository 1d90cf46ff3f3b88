//! Where a command's documents go: a file `-o` names (private, replaced only with `--force`),
//! standard output as the document is made when that is a file or a pipe, or the outcome's text
//! for a terminal or a caller in the same process.

use super::*;

/// Where a long document (a JSON or CSV export, a store-wide view) goes when no `-o` names a
/// file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sink {
    /// The binary's standard output: written as it is made when that is a file or a pipe, so
    /// that nothing holds the whole document; a terminal gets it through the outcome, whose text
    /// is made safe before it is shown.
    Stdout,
    /// The outcome's text, whole: for a caller in the same process.
    Outcome,
}

impl Sink {
    pub(super) fn streams(self) -> bool {
        use std::io::IsTerminal;
        self == Sink::Stdout && !std::io::stdout().is_terminal()
    }
}

/// The file `-o` names, or `None` for standard output (no `-o`, or `-o -`, as for every tool
/// that writes files).
pub(super) fn to_file(out: &crate::cli::FileOut) -> Option<&std::path::Path> {
    out.output.as_deref().filter(|p| p.as_os_str() != "-")
}

/// Writes a document that may be long as `write` makes it: to the file `-o` names (created
/// 0600, replaced only with `--force`, and said so), or straight to standard output when that
/// is a file or a pipe (a reader that stops early is not a failure), or, for a terminal, into
/// the outcome, whose text is made safe before it is shown. Nothing holds the whole document
/// but the terminal's copy.
pub(super) fn write_document(
    sink: Sink,
    out: &crate::cli::FileOut,
    what: &str,
    write: &dyn Fn(&mut (dyn std::io::Write + Send)) -> Result<(), Error>,
) -> Result<Outcome, Error> {
    use std::io::Write;
    if let Some(path) = to_file(out) {
        let mut written = 0u64;
        let mut failed = None;
        crate::files::write_private_file_with(path, out.force, &mut |f| {
            let mut counted = Counted { inner: f, bytes: 0 };
            let result = write(&mut counted);
            written = counted.bytes;
            result.map_err(|e| {
                let message = e.to_string();
                failed = Some(e);
                std::io::Error::other(message)
            })
        })
        .map_err(|e| failed.take().unwrap_or(e))?;
        return Ok(Outcome::ok(format!(
            "Wrote {what} to {} ({written} bytes).\n",
            path.display()
        )));
    }
    if !sink.streams() {
        let mut text = Vec::new();
        write(&mut text)?;
        return Ok(Outcome::ok(String::from_utf8_lossy(&text).into_owned()));
    }
    let mut piped = Piped {
        inner: std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout()),
        closed: false,
    };
    let written = write(&mut piped).and_then(|()| {
        piped
            .flush()
            .map_err(|e| Error::io("write", std::path::Path::new("standard output"), e))
    });
    match written {
        // A reader that stopped early (`| head`) is not a failure.
        Err(_) if piped.closed => Ok(Outcome::ok(String::new())),
        other => other.map(|()| Outcome::ok(String::new())),
    }
}

/// Standard output, noting when the reader went away.
struct Piped<W: std::io::Write> {
    inner: W,
    closed: bool,
}

impl<W: std::io::Write> std::io::Write for Piped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }
}

/// A writer that counts the bytes through it.
struct Counted<'a> {
    inner: &'a mut (dyn std::io::Write + Send),
    bytes: u64,
}

impl std::io::Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a document to the file `-o` names (created 0600, replaced only with `--force`) and
/// says so, or returns it for standard output.
pub(super) fn deliver(
    out: &crate::cli::FileOut,
    text: String,
    what: &str,
) -> Result<String, Error> {
    let Some(path) = to_file(out) else {
        return Ok(text);
    };
    crate::files::write_private_file(path, text.as_bytes(), out.force)?;
    Ok(format!(
        "Wrote {what} to {} ({} bytes).\n",
        path.display(),
        text.len()
    ))
}
