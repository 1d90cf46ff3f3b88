//! The report as a Word document, for counsel who redline in Word: the Markdown report (the
//! organisation's own template when it has one) laid out as Office Open XML with `docx-rs`,
//! the library the letters already use. Headings become Word's heading styles (so the
//! navigation pane and pandoc see them), tables become Word tables whose rows never split
//! across pages, a line break in a cell stays a line break, and every page carries the
//! organisation and the report's marking in its header and "Page N of M" in its footer.
//! Nothing in the text becomes a field or markup: raw HTML is kept as the words it shows.

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, Header, LineSpacing, NumPages, PageMargin, PageNum,
    Paragraph, Run, RunFonts, Shading, Style, StyleType, Table, TableCell, TableLayoutType,
    TableRow, WidthType,
};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::error::Error;

/// Twentieths of a point: US Letter, three-quarter-inch margins.
const PAGE_WIDTH: u32 = 12_240;
const PAGE_HEIGHT: u32 = 15_840;
const MARGIN: i32 = 1_080;
/// The width tables take, in twentieths of a point.
const TEXT_WIDTH: usize = (PAGE_WIDTH as usize) - 2 * (MARGIN as usize);
/// Half-points.
const BODY_SIZE: usize = 20;
const TABLE_SIZE: usize = 17;
const SMALL_SIZE: usize = 16;
/// Heading sizes by level, in half-points.
const HEADING_SIZES: [usize; 3] = [32, 26, 22];

/// What every page carries: the organisation's lines, the marking, and the incident.
pub(crate) struct PageFurniture {
    /// The organisation's name and address, one line.
    pub organisation: String,
    pub marking: Option<String>,
    /// "Incident 20260310-3amv", at the foot of each page.
    pub incident: String,
}

/// The `.docx` bytes of the report whose Markdown is `markdown`, dated `created` (RFC 3339).
pub(crate) fn report_docx(
    markdown: &str,
    page: &PageFurniture,
    created: &str,
) -> Result<Vec<u8>, Error> {
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(MARGIN + 360)
                .bottom(MARGIN)
                .left(MARGIN)
                .right(MARGIN)
                .header(MARGIN / 2)
                .footer(MARGIN / 2),
        )
        .default_size(BODY_SIZE)
        .default_fonts(font("Arial"))
        .header(header(page))
        .footer(footer(page))
        .created_at(created);
    for (level, size) in HEADING_SIZES.iter().enumerate() {
        doc = doc.add_style(
            Style::new(format!("Heading{}", level + 1), StyleType::Paragraph)
                .name(format!("heading {}", level + 1))
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .bold()
                .size(*size)
                .outline_lvl(level),
        );
    }
    let mut builder = Builder::default();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        builder.event(event);
    }
    for block in builder.finish() {
        doc = match block {
            Block::Paragraph(p) => doc.add_paragraph(*p),
            Block::Table(t) => doc.add_table(*t),
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| Error::internal("cannot write a Word document", e))?;
    Ok(out.into_inner())
}

fn font(name: &str) -> RunFonts {
    RunFonts::new()
        .ascii(name)
        .hi_ansi(name)
        .cs(name)
        .east_asia(name)
}

fn header(page: &PageFurniture) -> Header {
    let mut header = Header::new().add_paragraph(
        Paragraph::new()
            .add_run(Run::new().add_text(&page.organisation).size(SMALL_SIZE))
            .line_spacing(LineSpacing::new().after(0)),
    );
    if let Some(marking) = &page.marking {
        header = header.add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text(marking).bold().size(SMALL_SIZE))
                .align(AlignmentType::Right),
        );
    }
    header
}

fn footer(page: &PageFurniture) -> Footer {
    let small = |text: &str| Run::new().add_text(text).size(SMALL_SIZE);
    Footer::new().add_paragraph(
        Paragraph::new()
            .add_run(small(&format!("{} · Page ", page.incident)))
            .add_page_num(PageNum::new())
            .add_run(small(" of "))
            .add_num_pages(NumPages::new())
            .align(AlignmentType::Right),
    )
}

enum Block {
    Paragraph(Box<Paragraph>),
    Table(Box<Table>),
}

/// A table being read: its rows, each a row of cells, each cell its paragraphs.
#[derive(Default)]
struct TableBuild {
    rows: Vec<(bool, Vec<Vec<Paragraph>>)>,
    head: bool,
}

/// Turns the Markdown's events into Word blocks.
#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    /// The paragraph being filled, with its style.
    runs: Vec<Run>,
    style: Option<String>,
    bold: usize,
    italic: usize,
    /// Inside a list item: its paragraphs are the item's.
    in_item: bool,
    table: Option<TableBuild>,
    /// The cell being filled.
    cell: Vec<Paragraph>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                self.style = Some(format!("Heading{}", (level as usize).min(3)));
            }
            Event::Start(Tag::Item) => {
                self.in_item = true;
                self.runs.push(Run::new().add_text("• "));
            }
            Event::End(TagEnd::Item) => {
                self.in_item = false;
                self.end_paragraph();
            }
            Event::End(TagEnd::Heading(_)) => self.end_paragraph(),
            Event::End(TagEnd::Paragraph) if !self.in_item => self.end_paragraph(),
            Event::Start(Tag::Table(_)) => self.table = Some(TableBuild::default()),
            Event::Start(Tag::TableHead) => {
                if let Some(t) = &mut self.table {
                    t.head = true;
                    t.rows.push((true, Vec::new()));
                }
            }
            Event::Start(Tag::TableRow) => {
                if let Some(t) = &mut self.table {
                    t.head = false;
                    t.rows.push((false, Vec::new()));
                }
            }
            Event::End(TagEnd::TableCell) => {
                self.end_paragraph();
                let cell = std::mem::take(&mut self.cell);
                if let Some((_, cells)) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    cells.push(cell);
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = self.table.take() {
                    self.blocks.push(Block::Table(Box::new(table(t))));
                }
            }
            Event::Start(Tag::Strong) => self.bold += 1,
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => self.italic += 1,
            Event::End(TagEnd::Emphasis) => self.italic = self.italic.saturating_sub(1),
            Event::Text(t) => self.text(&t, false),
            Event::Code(t) => self.text(&t, true),
            Event::SoftBreak => self.text(" ", false),
            Event::HardBreak => self.line_break(),
            Event::Html(h) | Event::InlineHtml(h) => {
                if h.trim().eq_ignore_ascii_case("<br>") {
                    self.line_break();
                } else {
                    self.text(&h, false);
                }
            }
            Event::Rule => self.blocks.push(Block::Paragraph(Box::new(
                Paragraph::new().add_run(Run::new().add_text("—")),
            ))),
            _ => {}
        }
    }

    fn text(&mut self, text: &str, code: bool) {
        let mut run = Run::new().add_text(text);
        if self.bold > 0 {
            run = run.bold();
        }
        if self.italic > 0 {
            run = run.italic();
        }
        if code {
            run = run.fonts(font("Courier New"));
        }
        if self.table.is_some() {
            run = run.size(TABLE_SIZE);
        }
        self.runs.push(run);
    }

    fn line_break(&mut self) {
        self.runs
            .push(Run::new().add_break(BreakType::TextWrapping));
    }

    fn end_paragraph(&mut self) {
        let runs = std::mem::take(&mut self.runs);
        let style = self.style.take();
        if runs.is_empty() && self.table.is_none() {
            return;
        }
        let mut p = Paragraph::new();
        for run in runs {
            p = p.add_run(run);
        }
        if let Some(style) = &style {
            p = p.style(style).keep_next(true);
        }
        if self.table.is_some() {
            self.cell.push(p.line_spacing(LineSpacing::new().after(0)));
        } else {
            let p = p.line_spacing(LineSpacing::new().after(120));
            self.blocks.push(Block::Paragraph(Box::new(p)));
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.end_paragraph();
        self.blocks
    }
}

/// A Word table across the text width, its heading row shaded, no row split across pages.
fn table(t: TableBuild) -> Table {
    let columns = t
        .rows
        .iter()
        .map(|(_, c)| c.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let width = TEXT_WIDTH / columns;
    let rows = t
        .rows
        .into_iter()
        .map(|(head, cells)| {
            let mut row: Vec<TableCell> = cells
                .into_iter()
                .map(|paragraphs| {
                    let mut cell = TableCell::new().width(width, WidthType::Dxa);
                    if head {
                        cell = cell.shading(Shading::new().fill("F2F4F7"));
                    }
                    for p in paragraphs {
                        cell = cell.add_paragraph(p);
                    }
                    cell
                })
                .collect();
            while row.len() < columns {
                row.push(
                    TableCell::new()
                        .width(width, WidthType::Dxa)
                        .add_paragraph(Paragraph::new()),
                );
            }
            TableRow::new(row).cant_split()
        })
        .collect();
    Table::new(rows)
        .set_grid(vec![width; columns])
        .layout(TableLayoutType::Fixed)
        .width(TEXT_WIDTH, WidthType::Dxa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_becomes_a_word_package_with_its_furniture() {
        let page = PageFurniture {
            organisation: "Harbor Clinic · 1 Harbor Way".to_owned(),
            marking: Some("Privileged and confidential".to_owned()),
            incident: "Incident 1".to_owned(),
        };
        let md = "# Title\n\n| a | b |\n|---|---|\n| one<br>two | `x` |\n\n- item **bold**\n";
        let bytes = report_docx(md, &page, "2026-03-10T15:00:00Z").unwrap();
        assert!(bytes.starts_with(b"PK"), "a zip package");
    }
}
