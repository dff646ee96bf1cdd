//! The letter as a PDF (A4, one or more pages) written with `pdf-writer`.
//!
//! The text uses the standard Helvetica fonts with WinAnsiEncoding, which every PDF
//! reader has built in and which cover the Danish letters æ ø å Æ Ø Å (Latin-1), so
//! nothing is downloaded or embedded. Characters outside Windows-1252 become `?`
//! rather than breaking the document.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
pub use service_kit::pdf_text::{extract_text, win_ansi};

use super::text::{local_time, Action, Letter};

/// A rendered PDF and its page count (the print manifest needs it).
#[derive(Debug, Clone)]
pub struct RenderedPdf {
    pub bytes: Vec<u8>,
    pub pages: u32,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 70.0;
const BODY_SIZE: f32 = 11.0;
const TITLE_SIZE: f32 = 15.0;
const LEADING: f32 = 15.0;
/// Characters per line: Helvetica averages about half an em per character.
const WRAP: usize = 82;

/// One line of the laid-out letter.
#[derive(Debug, Clone, PartialEq)]
enum Line {
    Title(String),
    Body(String),
    Blank,
}

/// Greedy word wrap at `width` characters; words longer than a line are cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: String = word.to_owned();
        while word.chars().count() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn layout(letter: &Letter, sender: &str, address: Option<&[String]>) -> Vec<Line> {
    let mut lines = vec![Line::Body(sender.to_owned()), Line::Blank];
    if let Some(address) = address {
        lines.extend(address.iter().map(|l| Line::Body(l.clone())));
        lines.push(Line::Blank);
    }
    for l in wrap(&letter.title, WRAP * 11 / 15) {
        lines.push(Line::Title(l));
    }
    lines.push(Line::Blank);
    lines.push(Line::Body(letter.salutation.clone()));
    lines.push(Line::Blank);
    for p in &letter.paragraphs {
        lines.extend(wrap(p, WRAP).into_iter().map(Line::Body));
        lines.push(Line::Blank);
    }
    match &letter.action {
        Some(Action::SelfService { label, url }) => {
            lines.extend(
                wrap(&format!("{label}: {url}"), WRAP)
                    .into_iter()
                    .map(Line::Body),
            );
        }
        Some(Action::Appointment { label, reservation }) => {
            let r = reservation;
            lines.push(Line::Body(format!("{label}:")));
            lines.extend(
                wrap(
                    &format!(
                        "{} – {}, {}",
                        local_time(letter.language, r.start),
                        local_time(letter.language, r.end),
                        r.location
                    ),
                    WRAP,
                )
                .into_iter()
                .map(Line::Body),
            );
        }
        None => {}
    }
    lines
}

/// Draws the letter. `address` is the recipient block for a window envelope (paper).
pub fn render(letter: &Letter, sender: &str, address: Option<&[String]>) -> RenderedPdf {
    let lines = layout(letter, sender, address);
    let per_page = ((PAGE_H - 2.0 * MARGIN) / LEADING).floor().max(1.0) as usize;
    let pages: Vec<&[Line]> = lines.chunks(per_page).collect();
    let page_count = pages.len().max(1);

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let font_bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ref = |i: usize| Ref::new((first_page + 2 * i) as i32);
    let content_ref = |i: usize| Ref::new((first_page + 2 * i + 1) as i32);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..page_count).map(page_ref))
        .count(page_count as i32);
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(font_bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(TextStr(&letter.title))
        .producer(TextStr("notifier"));

    let empty: &[Line] = &[];
    for i in 0..page_count {
        let page_lines = pages.get(i).copied().unwrap_or(empty);
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_ref(i));
        page.resources()
            .fonts()
            .pair(Name(b"F1"), font)
            .pair(Name(b"F2"), font_bold);
        page.finish();

        let mut content = Content::new();
        let mut y = PAGE_H - MARGIN;
        for line in page_lines {
            match line {
                Line::Blank => {}
                Line::Title(t) => {
                    content
                        .begin_text()
                        .set_font(Name(b"F2"), TITLE_SIZE)
                        .next_line(MARGIN, y)
                        .show(Str(&win_ansi(t)))
                        .end_text();
                }
                Line::Body(t) => {
                    content
                        .begin_text()
                        .set_font(Name(b"F1"), BODY_SIZE)
                        .next_line(MARGIN, y)
                        .show(Str(&win_ansi(t)))
                        .end_text();
                }
            }
            y -= LEADING;
        }
        let data = content.finish();
        pdf.stream(content_ref(i), &data);
    }
    RenderedPdf {
        bytes: pdf.finish(),
        pages: page_count as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    fn letter(paragraphs: Vec<String>) -> Letter {
        Letter {
            language: Language::Danish,
            title: "Bekræftelse af din tid på Ærø".into(),
            salutation: "Kære Søren Åberg,".into(),
            paragraphs,
            action: None,
            filename: "Bekraeftelse.pdf".into(),
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn renders_a_pdf_with_the_danish_text() {
        let pdf = render(&letter(vec!["Hej".into()]), "Afsender", None);
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert!(contains(&pdf.bytes, b"/WinAnsiEncoding"));
        assert!(contains(&pdf.bytes, b"/Helvetica"));
        let text = extract_text(&pdf.bytes);
        assert!(text.contains("Kære Søren Åberg,"), "{text}");
        assert!(text.contains("Bekræftelse af din tid på Ærø"), "{text}");
        assert_eq!(pdf.pages, 1);
    }

    #[test]
    fn long_letters_get_more_pages() {
        let long = vec!["ord ".repeat(2_000)];
        let pdf = render(&letter(long), "Afsender", Some(&["A".into(), "B".into()]));
        assert!(pdf.pages > 1);
        assert!(contains(
            &pdf.bytes,
            format!("/Count {}", pdf.pages).as_bytes()
        ));
    }

    #[test]
    fn wrap_keeps_lines_short() {
        let lines = wrap(&"abcdefghij ".repeat(30), 25);
        assert!(lines.iter().all(|l| l.chars().count() <= 25));
        assert_eq!(wrap(&"x".repeat(30), 10).len(), 3);
        assert!(wrap("", 10).is_empty());
    }

    /// A real PDF reader (poppler's `pdftotext`, which `infra/setup` installs) finds the
    /// Danish text where the byte-level checks above say it is.
    #[test]
    fn pdftotext_reads_danish_letters() {
        let pdf = render(&letter(vec!["Blåbærgrød på Øen".into()]), "Afsender", None);
        let dir = std::env::temp_dir().join(format!("notifier-pdf-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("letter.pdf");
        std::fs::write(&path, &pdf.bytes).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is missing: run infra/setup");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(out.status.success(), "pdftotext failed: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Blåbærgrød på Øen"), "extracted: {text}");
        assert!(text.contains("Kære Søren Åberg"), "extracted: {text}");
    }
}
