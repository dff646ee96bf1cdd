//! Text in the PDFs our services write (letters, pass sheets): the standard Helvetica
//! fonts with WinAnsiEncoding, which every PDF reader has built in and which cover the
//! Danish letters, and reading that text back for checks and tests.

/// Encodes text for a WinAnsiEncoding font (Windows-1252).
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Decodes a Windows-1252 byte (the inverse of [`win_ansi`]).
fn from_win_ansi(b: u8) -> char {
    match b {
        0x80 => '€',
        0x82 => '‚',
        0x84 => '„',
        0x85 => '…',
        0x91 => '‘',
        0x92 => '’',
        0x93 => '“',
        0x94 => '”',
        0x95 => '•',
        0x96 => '–',
        0x97 => '—',
        0x20..=0x7e | 0xa0..=0xff => char::from(b),
        _ => '?',
    }
}

/// The text our renderer drew, one line per `Tj`, decoded back to Unicode. Reads only
/// what our renderers write (uncompressed content streams); for checks and tests.
pub fn extract_text(pdf: &[u8]) -> String {
    let mut lines = Vec::new();
    let mut i = 0;
    while i < pdf.len() {
        let (bytes, end) = match pdf[i] {
            b'(' => literal(pdf, i + 1),
            b'<' if pdf.get(i + 1) != Some(&b'<') => hex(pdf, i + 1),
            _ => {
                i += 1;
                continue;
            }
        };
        let rest = &pdf[end.min(pdf.len())..];
        let trimmed = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |p| &rest[p..]);
        if trimmed.starts_with(b"Tj") {
            lines.push(bytes.into_iter().map(from_win_ansi).collect::<String>());
        }
        i = end.max(i + 1);
    }
    lines.join("\n")
}

/// A literal string starting after `(`: its bytes and the index after `)`.
fn literal(pdf: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0usize;
    while let Some(&b) = pdf.get(i) {
        match b {
            b'\\' => {
                let next = pdf.get(i + 1).copied().unwrap_or(b'\\');
                match next {
                    b'0'..=b'7' => {
                        let mut value = 0u32;
                        let mut n = 0;
                        while n < 3 {
                            match pdf.get(i + 1 + n) {
                                Some(d @ b'0'..=b'7') => value = value * 8 + u32::from(d - b'0'),
                                _ => break,
                            }
                            n += 1;
                        }
                        out.push((value & 0xff) as u8);
                        i += 1 + n;
                        continue;
                    }
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    other => out.push(other),
                }
                i += 2;
                continue;
            }
            b'(' => depth += 1,
            b')' if depth == 0 => return (out, i + 1),
            b')' => depth -= 1,
            _ => {}
        }
        out.push(b);
        i += 1;
    }
    (out, i)
}

/// A hex string starting after `<`: its bytes and the index after `>`.
fn hex(pdf: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut digits = Vec::new();
    while let Some(&b) = pdf.get(i) {
        i += 1;
        if b == b'>' {
            break;
        }
        if let Some(d) = char::from(b).to_digit(16) {
            digits.push(d as u8);
        }
    }
    if digits.len() % 2 == 1 {
        digits.push(0);
    }
    (digits.chunks(2).map(|p| p[0] * 16 + p[1]).collect(), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_text_reads_escapes_and_hex() {
        let pdf = b"BT (a\\(b\\)\\346) Tj ET <C6D8> Tj (skip) TJx";
        assert_eq!(extract_text(pdf), "a(b)æ\nÆØ");
    }

    #[test]
    fn danish_letters_are_encoded_for_the_font() {
        assert_eq!(win_ansi("æøåÆØÅ"), vec![0xe6, 0xf8, 0xe5, 0xc6, 0xd8, 0xc5]);
        assert_eq!(win_ansi("a€☃"), vec![b'a', 0x80, b'?']);
    }
}
