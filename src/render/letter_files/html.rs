//! The letter as one HTML page with print styles: US Letter, one-inch margins, the letterhead
//! at the top, the signature block kept on the page of the closing. Every word is escaped and
//! the page forbids scripts, so a name or a fact can never become markup.

use super::{Block, LetterParts, Span};

const STYLE: &str = "\
body{font-family:Georgia,'DejaVu Serif',serif;font-size:11pt;line-height:1.4;color:#000;margin:2em auto;max-width:6.5in}\
.letterhead{border-bottom:1px solid #444;padding-bottom:.5em;margin-bottom:1.5em}\
.letterhead .organisation{font-size:13pt;font-weight:bold}\
.recipient{font-style:normal;margin:1.5em 0}\
.signature{margin-top:1.5em;break-inside:avoid;page-break-inside:avoid}\
.signature .gap{height:2.5em}\
h2{font-size:12pt;margin:1em 0 .5em}\
@page{size:letter;margin:1in}\
@media print{body{margin:0;max-width:none}.letter{break-after:page;page-break-after:always}}";

/// The page for one letter.
pub(crate) fn html(parts: &LetterParts) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<title>Notice of a data breach</title>\n<style>");
    out.push_str(STYLE);
    out.push_str(
        "</style>\n</head>\n<body>\n<article class=\"letter\">\n<header class=\"letterhead\">\n",
    );
    for (i, line) in parts.letterhead.iter().enumerate() {
        let class = if i == 0 { "organisation" } else { "line" };
        out.push_str(&format!("<div class=\"{class}\">{}</div>\n", escape(line)));
    }
    out.push_str("</header>\n");
    out.push_str(&format!("<p class=\"date\">{}</p>\n", escape(&parts.date)));
    if !parts.recipient.is_empty() {
        let block: Vec<String> = parts.recipient.iter().map(|l| escape(l)).collect();
        out.push_str(&format!(
            "<address class=\"recipient\">{}</address>\n",
            block.join("<br>\n")
        ));
    }
    out.push_str("<main>\n");
    for block in &parts.body {
        let (open, close) = match block {
            Block::Paragraph(_) => ("<p>", "</p>"),
            Block::Heading(_) => ("<h2>", "</h2>"),
            Block::Item(_) => ("<ul><li>", "</li></ul>"),
        };
        out.push_str(open);
        out.push_str(&spans(block.spans()));
        out.push_str(close);
        out.push('\n');
    }
    out.push_str("</main>\n<footer class=\"signature\">\n");
    for line in &parts.signature {
        if line.is_empty() {
            out.push_str("<div class=\"gap\"></div>\n");
        } else {
            out.push_str(&format!("<div>{}</div>\n", escape(line)));
        }
    }
    out.push_str("</footer>\n</article>\n</body>\n</html>\n");
    out
}

fn spans(spans: &[Span]) -> String {
    let mut out = String::new();
    for s in spans {
        let mut text = escape(&s.text);
        if s.italic {
            text = format!("<em>{text}</em>");
        }
        if s.bold {
            text = format!("<strong>{text}</strong>");
        }
        out.push_str(&text);
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
