//! The letter as a Word document (Office Open XML, written with `docx-rs`) that Word,
//! LibreOffice and pandoc open and a person edits before signing. The letterhead is the page
//! header, where an organisation's own letterhead goes; the address block sits where a window
//! envelope shows it; the signature block is kept on one page with the closing.

use docx_rs::{
    AlignmentType, BreakType, Docx, Header, LineSpacing, PageMargin, Paragraph, Run, RunFonts,
};

use super::{Block, LetterParts, Span};
use crate::error::Error;

/// Twentieths of a point: US Letter, one-inch margins.
const PAGE_WIDTH: u32 = 12_240;
const PAGE_HEIGHT: u32 = 15_840;
const INCH: i32 = 1_440;
/// Half-points.
const BODY_SIZE: usize = 22;
const ORGANISATION_SIZE: usize = 26;
/// Space after a paragraph, in twentieths of a point.
const AFTER: u32 = 200;
/// The room left to sign in, below the closing.
const SIGNING_ROOM: u32 = 560;

/// The `.docx` bytes of one letter, dated `created` (RFC 3339) in its properties.
pub(crate) fn docx(parts: &LetterParts, created: &str) -> Result<Vec<u8>, Error> {
    let mut header = Header::new();
    for (i, line) in parts.letterhead.iter().enumerate() {
        let mut run = Run::new().add_text(line);
        if i == 0 {
            run = run.bold().size(ORGANISATION_SIZE);
        }
        header = header.add_paragraph(
            Paragraph::new()
                .add_run(run)
                .align(AlignmentType::Left)
                .line_spacing(LineSpacing::new().after(0)),
        );
    }
    let font = RunFonts::new()
        .ascii("Georgia")
        .hi_ansi("Georgia")
        .cs("Georgia")
        .east_asia("Georgia");
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(INCH)
                .bottom(INCH)
                .left(INCH)
                .right(INCH)
                .header(INCH / 2),
        )
        .default_size(BODY_SIZE)
        .default_fonts(font)
        .header(header)
        .created_at(created)
        .add_paragraph(spaced(
            Paragraph::new().add_run(Run::new().add_text(&parts.date)),
        ));
    if !parts.recipient.is_empty() {
        doc = doc.add_paragraph(spaced(lines(&parts.recipient)));
    }
    for block in &parts.body {
        let p = runs(block.spans());
        doc = doc.add_paragraph(match block {
            Block::Paragraph(_) => spaced(p),
            Block::Heading(_) => spaced(p.bold().keep_next(true)),
            Block::Item(_) => spaced(runs_after("• ", block.spans())),
        });
    }
    // The closing and the signer stay together, each line its own paragraph kept with the next.
    let count = parts.signature.len();
    for (i, line) in parts.signature.iter().enumerate() {
        // An empty line is the room to sign in.
        let after = if line.is_empty() { SIGNING_ROOM } else { 0 };
        let p = Paragraph::new()
            .add_run(Run::new().add_text(line))
            .line_spacing(LineSpacing::new().after(after))
            .keep_next(i + 1 < count)
            .keep_lines(true);
        doc = doc.add_paragraph(p);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| Error::internal("cannot write a Word document", e))?;
    Ok(out.into_inner())
}

fn spaced(p: Paragraph) -> Paragraph {
    p.line_spacing(LineSpacing::new().after(AFTER))
}

/// Lines of one block (the address), broken within one paragraph.
fn lines(lines: &[String]) -> Paragraph {
    let mut p = Paragraph::new();
    for (i, line) in lines.iter().enumerate() {
        let mut run = Run::new();
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        p = p.add_run(run.add_text(line));
    }
    p
}

fn runs(spans: &[Span]) -> Paragraph {
    runs_after("", spans)
}

fn runs_after(prefix: &str, spans: &[Span]) -> Paragraph {
    let mut p = Paragraph::new();
    if !prefix.is_empty() {
        p = p.add_run(Run::new().add_text(prefix));
    }
    for s in spans {
        let mut run = Run::new().add_text(&s.text);
        if s.bold {
            run = run.bold();
        }
        if s.italic {
            run = run.italic();
        }
        p = p.add_run(run);
    }
    p
}
