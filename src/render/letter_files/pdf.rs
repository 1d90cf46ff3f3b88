//! The letter as a PDF, written with `krilla` and no browser: US Letter pages with one-inch
//! margins, the letterhead at the top of the first page, the text wrapped at word breaks, a
//! new page when one is full, and the signature block never split from the page it starts on.
//! DejaVu Serif (regular and bold, `assets/fonts`, Bitstream Vera licence) is embedded, subset
//! to the letters used, so the PDF prints the same everywhere and its text can be copied and
//! searched. A character the font lacks is refused rather than printed as an empty box.

use std::sync::Arc;

use krilla::Document;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use super::{Block, LetterParts, Span};
use crate::error::Error;

const REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSerif.ttf");
const BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSerif-Bold.ttf");

/// Points: US Letter, one-inch margins.
const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 72.0;
const BODY: f32 = 10.5;
const ORGANISATION: f32 = 13.0;
const LEADING: f32 = 1.38;
const PARAGRAPH_GAP: f32 = 7.0;
const ITEM_INDENT: f32 = 16.0;

/// A run of text placed on a page: its baseline's start, size and weight.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    x: f32,
    baseline: f32,
    size: f32,
    bold: bool,
    text: String,
}

/// The PDF bytes of one letter.
pub(crate) fn pdf(parts: &LetterParts) -> Result<Vec<u8>, Error> {
    let measure = Measure::new()?;
    let pages = layout(parts, &measure)?;
    let regular = Font::new(Arc::new(REGULAR.to_vec()).into(), 0)
        .ok_or_else(|| Error::internal("cannot load the PDF font", "DejaVu Serif"))?;
    let bold = Font::new(Arc::new(BOLD.to_vec()).into(), 0)
        .ok_or_else(|| Error::internal("cannot load the PDF font", "DejaVu Serif Bold"))?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title("Notice of a data breach".to_owned())
            .creator("breach".to_owned())
            .language("en".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| Error::internal("cannot size a PDF page", "US Letter"))?;
    for runs in &pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for run in runs {
            let font = if run.bold { &bold } else { &regular };
            surface.draw_text(
                Point::from_xy(run.x, run.baseline),
                font.clone(),
                run.size,
                &run.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::internal("cannot write a PDF", format!("{e:?}")))
}

/// Whether the letter can be printed with the embedded font, without writing it: so that a
/// roster with one unprintable name is refused before any letter is written.
pub(crate) fn pdf_printable(parts: &LetterParts) -> Result<(), Error> {
    layout(parts, &Measure::new()?).map(drop)
}

/// Widths of text in the embedded fonts.
struct Measure {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Measure {
    fn new() -> Result<Measure, Error> {
        let load = |bytes: &'static [u8]| {
            FontRef::new(bytes).map_err(|e| Error::internal("cannot read the PDF font", e))
        };
        Ok(Measure {
            regular: load(REGULAR)?,
            bold: load(BOLD)?,
        })
    }

    /// The width of `text` at `size`, or an error if the font lacks one of its characters.
    fn width(&self, text: &str, size: f32, bold: bool) -> Result<f32, Error> {
        let font = if bold { &self.bold } else { &self.regular };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        let mut width = 0.0;
        for c in text.chars() {
            let advance = charmap
                .map(c)
                .and_then(|glyph| metrics.advance_width(glyph));
            match advance {
                Some(a) => width += a,
                None if c.is_whitespace() || c.is_control() => {}
                None => {
                    return Err(Error::input(
                        "it holds a character the PDF font (DejaVu Serif) cannot print; write these letters with --format docx or html",
                    ));
                }
            }
        }
        Ok(width)
    }
}

/// Lays the letter out in pages of placed runs.
struct Pages<'m> {
    measure: &'m Measure,
    pages: Vec<Vec<Placed>>,
    y: f32,
}

impl Pages<'_> {
    fn room(&self) -> f32 {
        PAGE_HEIGHT - MARGIN - self.y
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// One line of runs (text, bold) at `x`, on a new page if this one is full.
    fn line(&mut self, x: f32, runs: Vec<(String, bool)>, size: f32) -> Result<(), Error> {
        let height = size * LEADING;
        if self.room() < height {
            self.new_page();
        }
        let baseline = self.y + size;
        let mut at = x;
        for (text, bold) in runs {
            let width = self.measure.width(&text, size, bold)?;
            if let Some(page) = self.pages.last_mut() {
                page.push(Placed {
                    x: at,
                    baseline,
                    size,
                    bold,
                    text,
                });
            }
            at += width;
        }
        self.y += height;
        Ok(())
    }

    /// Spans wrapped at word breaks to the width left of `x`.
    fn wrapped(&mut self, x: f32, spans: &[Span], size: f32) -> Result<(), Error> {
        let width = PAGE_WIDTH - MARGIN - x;
        let space = self.measure.width(" ", size, false)?;
        let mut line: Vec<(String, bool)> = Vec::new();
        let mut used = 0.0;
        for (word, bold) in words(spans) {
            let mut word = word;
            let mut w = self.measure.width(&word, size, bold)?;
            // A word wider than the line is broken where it must be.
            while w > width {
                if !line.is_empty() {
                    self.line(x, std::mem::take(&mut line), size)?;
                    used = 0.0;
                }
                let (head, tail) = self.split_to_fit(&word, width, size, bold)?;
                self.line(x, vec![(head, bold)], size)?;
                word = tail;
                w = self.measure.width(&word, size, bold)?;
            }
            let gap = if line.is_empty() { 0.0 } else { space };
            if !line.is_empty() && used + gap + w > width {
                self.line(x, std::mem::take(&mut line), size)?;
                used = 0.0;
            }
            if word.is_empty() {
                continue;
            }
            match line.last_mut() {
                Some((text, b)) if *b == bold => {
                    text.push(' ');
                    text.push_str(&word);
                }
                Some((text, _)) => {
                    text.push(' ');
                    line.push((word, bold));
                }
                None => line.push((word, bold)),
            }
            used += if used == 0.0 { w } else { space + w };
        }
        if !line.is_empty() {
            self.line(x, line, size)?;
        }
        Ok(())
    }

    /// The longest head of `word` that fits in `width`, and the rest (never an empty head).
    fn split_to_fit(
        &self,
        word: &str,
        width: f32,
        size: f32,
        bold: bool,
    ) -> Result<(String, String), Error> {
        let mut end = 0;
        for (i, c) in word.char_indices() {
            let next = i + c.len_utf8();
            if end > 0 && self.measure.width(&word[..next], size, bold)? > width {
                break;
            }
            end = next;
        }
        Ok((word[..end].to_owned(), word[end..].to_owned()))
    }

    /// One block of the body: a paragraph, a heading in bold, or a list item with its bullet.
    fn block(&mut self, block: &Block) -> Result<(), Error> {
        match block {
            Block::Paragraph(spans) => self.wrapped(MARGIN, spans, BODY)?,
            Block::Heading(spans) => {
                let bold: Vec<Span> = spans
                    .iter()
                    .map(|s| Span {
                        bold: true,
                        ..s.clone()
                    })
                    .collect();
                self.wrapped(MARGIN, &bold, BODY * 1.15)?;
            }
            Block::Item(spans) => {
                // The bullet on the item's first line: that line starts here, on this page.
                if self.room() < BODY * LEADING {
                    self.new_page();
                }
                let bullet = Placed {
                    x: MARGIN + 4.0,
                    baseline: self.y + BODY,
                    size: BODY,
                    bold: false,
                    text: "•".to_owned(),
                };
                if let Some(page) = self.pages.last_mut() {
                    page.push(bullet);
                }
                self.wrapped(MARGIN + ITEM_INDENT, spans, BODY)?;
            }
        }
        Ok(())
    }

    fn gap(&mut self, points: f32) {
        self.y += points;
    }
}

/// The words of some spans, each with its weight (italic is printed upright).
fn words(spans: &[Span]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut joined = false;
    for s in spans {
        let starts_with_space = s.text.starts_with(char::is_whitespace);
        for (i, word) in s.text.split_whitespace().enumerate() {
            // A word that runs on from the previous span (no space between) stays one word.
            if i == 0
                && joined
                && !starts_with_space
                && let Some((prev, _)) = out.last_mut()
            {
                prev.push_str(word);
                continue;
            }
            out.push((word.to_owned(), s.bold));
        }
        joined = !s.text.ends_with(char::is_whitespace) && !s.text.is_empty();
    }
    out
}

fn layout(parts: &LetterParts, measure: &Measure) -> Result<Vec<Vec<Placed>>, Error> {
    let mut pages = Pages {
        measure,
        pages: vec![Vec::new()],
        y: MARGIN,
    };
    for (i, line) in parts.letterhead.iter().enumerate() {
        let (size, bold) = if i == 0 {
            (ORGANISATION, true)
        } else {
            (BODY, false)
        };
        let span = Span {
            text: line.clone(),
            bold,
            italic: false,
        };
        pages.wrapped(MARGIN, &[span], size)?;
    }
    pages.gap(BODY * 2.0);
    pages.wrapped(MARGIN, &[plain(&parts.date)], BODY)?;
    pages.gap(BODY);
    for line in &parts.recipient {
        pages.wrapped(MARGIN, &[plain(line)], BODY)?;
    }
    if !parts.recipient.is_empty() {
        pages.gap(BODY);
    }
    for block in &parts.body {
        pages.block(block)?;
        pages.gap(PARAGRAPH_GAP);
    }
    // The signature block whole on one page: a new page if it does not fit on this one.
    let lines = parts.signature.len() as f32;
    let gaps = parts.signature.iter().filter(|l| l.is_empty()).count() as f32;
    let needed = (lines + gaps) * BODY * LEADING + PARAGRAPH_GAP;
    if pages.room() < needed {
        pages.new_page();
    } else {
        pages.gap(PARAGRAPH_GAP);
    }
    for line in &parts.signature {
        if line.is_empty() {
            // Room for the signature.
            pages.gap(BODY * LEADING * 2.0);
        } else {
            pages.wrapped(MARGIN, &[plain(line)], BODY)?;
        }
    }
    Ok(pages.pages)
}

fn plain(text: &str) -> Span {
    Span {
        text: text.to_owned(),
        bold: false,
        italic: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(paragraphs: usize) -> LetterParts {
        let words = "The quick brown fox jumps over the lazy dog. ".repeat(12);
        LetterParts {
            letterhead: vec!["Harbor Clinic".into(), "1 Main St".into()],
            date: "December 3, 2026".into(),
            recipient: vec!["Ana Ruiz".into(), "2 Elm St".into()],
            body: (0..paragraphs)
                .map(|_| Block::Paragraph(vec![plain(&words)]))
                .collect(),
            signature: vec!["Sincerely,".into(), String::new(), "Officer".into()],
        }
    }

    #[test]
    fn lines_stay_inside_the_margins_and_a_long_letter_takes_more_pages() {
        let measure = Measure::new().unwrap();
        let short = layout(&parts(2), &measure).unwrap();
        assert_eq!(short.len(), 1);
        let long = layout(&parts(30), &measure).unwrap();
        assert!(long.len() > 1, "{} pages", long.len());
        for run in long.iter().flatten() {
            let w = measure.width(&run.text, run.size, run.bold).unwrap();
            assert!(
                run.x >= MARGIN && run.x + w <= PAGE_WIDTH - MARGIN + 0.01,
                "{run:?}"
            );
            assert!(run.baseline <= PAGE_HEIGHT - MARGIN + 0.01, "{run:?}");
        }
        // The signature block is on one page.
        let last = long.last().unwrap();
        assert!(last.iter().any(|r| r.text == "Sincerely,"));
        assert!(last.iter().any(|r| r.text == "Officer"));
    }

    #[test]
    fn a_word_wider_than_the_line_is_broken_and_an_unprintable_character_refused() {
        let measure = Measure::new().unwrap();
        let mut p = parts(0);
        p.body = vec![Block::Paragraph(vec![plain(&"x".repeat(500))])];
        let pages = layout(&p, &measure).unwrap();
        let xs: usize = pages
            .iter()
            .flatten()
            .filter(|r| r.text.starts_with('x'))
            .map(|r| r.text.len())
            .sum();
        assert_eq!(xs, 500);
        p.body = vec![Block::Paragraph(vec![plain("名前")])];
        let e = layout(&p, &measure).unwrap_err().to_string();
        assert!(e.contains("--format docx"), "{e}");
    }
}
