//! A letter as a file a mail house prints and a person opens: Word, PDF and HTML, beside the
//! Markdown draft. The template says what the letter says; this module only lays it out. The
//! letter arrives in parts kept apart — the organisation's letterhead, the date, the address
//! block, the body and the signature block — so that each format puts the letterhead where
//! letterheads go (a Word page header, the top of the printed page) and the signature block
//! where it is signed. The body is the template's Markdown, read into paragraphs, headings and
//! list items with bold and italic runs; nothing in it becomes markup or a field.

mod docx;
mod html;
mod pdf;

pub(crate) use docx::docx;
pub(crate) use html::html;
pub(crate) use pdf::{pdf, pdf_printable};

/// One letter, in the parts each format places on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LetterParts {
    /// The organisation's name and address, one line each.
    pub letterhead: Vec<String>,
    pub date: String,
    /// The addressee's name and address block, one line each.
    pub recipient: Vec<String>,
    pub body: Vec<Block>,
    /// The closing and the signer, one line each; an empty line is a gap (room to sign).
    pub signature: Vec<String>,
}

/// A block of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    Paragraph(Vec<Span>),
    Heading(Vec<Span>),
    Item(Vec<Span>),
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

impl Block {
    pub(crate) fn spans(&self) -> &[Span] {
        match self {
            Block::Paragraph(s) | Block::Heading(s) | Block::Item(s) => s,
        }
    }
}

/// The lines of a part of the template, blank ones at either end dropped, each without the
/// backslash that makes it a line of its own in Markdown (a hard line break).
pub(crate) fn lines(text: &str) -> Vec<String> {
    let all: Vec<String> = text
        .lines()
        .map(|l| {
            let l = l.trim();
            l.strip_suffix('\\').unwrap_or(l).trim_end().to_owned()
        })
        .collect();
    let first = all.iter().position(|l| !l.is_empty());
    let last = all.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(a), Some(b)) => all[a..=b].to_vec(),
        _ => Vec::new(),
    }
}

/// The body's Markdown as blocks. Raw HTML, code and links are kept as the text they show:
/// a letter holds words, never markup.
pub(crate) fn body_blocks(markdown: &str) -> Vec<Block> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut body = BodyBuilder::default();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => body.start(Kind::Heading),
            Event::Start(Tag::Item) => body.start(Kind::Item),
            // A paragraph inside a list item stays in the item.
            Event::Start(Tag::Paragraph) if body.kind != Kind::Item => body.start(Kind::Paragraph),
            Event::End(TagEnd::Heading(_) | TagEnd::Item) => body.start(Kind::Paragraph),
            Event::End(TagEnd::Paragraph) if body.kind != Kind::Item => {
                body.start(Kind::Paragraph);
            }
            Event::Start(Tag::Strong) => body.bold += 1,
            Event::End(TagEnd::Strong) => body.bold = body.bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => body.italic += 1,
            Event::End(TagEnd::Emphasis) => body.italic = body.italic.saturating_sub(1),
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                body.push(&t);
            }
            Event::SoftBreak | Event::HardBreak => body.push(" "),
            _ => {}
        }
    }
    body.start(Kind::Paragraph);
    body.blocks
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    Paragraph,
    Heading,
    Item,
}

/// The blocks read so far and the one being read.
#[derive(Debug, Default)]
struct BodyBuilder {
    blocks: Vec<Block>,
    spans: Vec<Span>,
    kind: Kind,
    bold: u32,
    italic: u32,
}

impl BodyBuilder {
    /// Ends the block being read (if it holds words) and starts one of `kind`.
    fn start(&mut self, kind: Kind) {
        if let Some(last) = self.spans.last_mut() {
            let trimmed = last.text.trim_end().len();
            last.text.truncate(trimmed);
        }
        if let Some(first) = self.spans.first_mut() {
            first.text = first.text.trim_start().to_owned();
        }
        self.spans.retain(|s| !s.text.is_empty());
        if !self.spans.is_empty() {
            let spans = std::mem::take(&mut self.spans);
            self.blocks.push(match self.kind {
                Kind::Paragraph => Block::Paragraph(spans),
                Kind::Heading => Block::Heading(spans),
                Kind::Item => Block::Item(spans),
            });
        }
        self.kind = kind;
    }

    fn push(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let (bold, italic) = (self.bold > 0, self.italic > 0);
        match self.spans.last_mut() {
            Some(last) if last.bold == bold && last.italic == italic => last.text.push_str(text),
            _ => self.spans.push(Span {
                text: text.to_owned(),
                bold,
                italic,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_keeps_its_paragraphs_runs_and_items_and_no_markup() {
        let blocks = body_blocks(
            "Dear Ana Ruiz,\n\n**What happened.** A message\nwent astray.\n\n# Heading\n\n- one\n- two <b>x</b>\n",
        );
        assert_eq!(blocks.len(), 5, "{blocks:?}");
        assert_eq!(blocks[0].spans()[0].text, "Dear Ana Ruiz,");
        let what = blocks[1].spans();
        assert!(what[0].bold && what[0].text == "What happened.");
        assert_eq!(what[1].text, " A message went astray.");
        assert!(matches!(blocks[2], Block::Heading(_)));
        assert!(matches!(blocks[4], Block::Item(_)));
        let item: String = blocks[4].spans().iter().map(|s| s.text.as_str()).collect();
        assert_eq!(item, "two <b>x</b>");
    }

    #[test]
    fn lines_drop_blank_ends_and_keep_inner_gaps() {
        assert_eq!(
            lines("\n\nSincerely,\n\nA B\\\nAcme\n\n"),
            ["Sincerely,", "", "A B", "Acme"]
        );
        assert!(lines(" \n ").is_empty());
    }
}
