//! ICAO Doc 9303 Part 3 §6 machine-readable transliteration of names, for the DCC
//! `fnt`/`gnt` fields (schema pattern `^[A-Z<]*$`, at most 80 characters).
//!
//! Latin letters with diacritics follow the ICAO recommended table (Æ→AE, Ø→OE, Å→AA,
//! Ä→AE, Ö→OE, Ü→UE, ß→SS, Þ→TH, ...), Cyrillic and Greek follow the ICAO tables too.
//! Spaces and hyphens become the filler `<`; apostrophes and other punctuation are dropped.
//! The module is pure: no I/O.

/// Longest transliterated name the DCC schema accepts (`maxLength: 80`).
pub const MAX_LEN: usize = 80;

/// Why a name could not be transliterated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslitError {
    /// A character with no ICAO transliteration (the character is not echoed: names are personal data).
    #[error("character at position {position} has no ICAO 9303 transliteration")]
    Unsupported {
        /// Character index in the input.
        position: usize,
    },
    /// The result is longer than the schema's 80 characters.
    #[error("transliterated name is {length} characters, more than {MAX_LEN}")]
    TooLong {
        /// Length of the transliteration.
        length: usize,
    },
    /// Nothing is left after transliteration.
    #[error("name is empty after transliteration")]
    Empty,
}

/// The ICAO 9303 transliteration of one upper-case character, `Some("")` when it is
/// dropped, `None` when it has none.
fn map_char(c: char) -> Option<&'static str> {
    Some(match c {
        // Latin (ICAO 9303-3 §6.A)
        'À' | 'Á' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => "A",
        'Ä' => "AE",
        'Å' => "AA",
        'Æ' => "AE",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'Ď' | 'Đ' | 'Ð' => "D",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'Ĥ' | 'Ħ' => "H",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'Ĳ' => "IJ",
        'Ĵ' => "J",
        'Ķ' => "K",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' | 'Ŋ' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'Ö' | 'Ø' | 'Œ' => "OE",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'ẞ' => "SS",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'Þ' => "TH",
        'Ù' | 'Ú' | 'Û' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'Ü' => "UE",
        'Ŵ' => "W",
        'Ý' | 'Ŷ' | 'Ÿ' => "Y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        // Cyrillic (ICAO 9303-3 §6.B)
        'А' => "A",
        'Б' => "B",
        'В' => "V",
        'Г' | 'Ґ' | 'Ѓ' => "G",
        'Д' | 'Ђ' => "D",
        'Е' | 'Ё' | 'Э' => "E",
        'Є' => "IE",
        'Ж' => "ZH",
        'З' => "Z",
        'И' | 'І' | 'Ї' | 'Й' => "I",
        'Ј' => "J",
        'К' | 'Ќ' => "K",
        'Л' => "L",
        'Љ' => "LJ",
        'М' => "M",
        'Н' => "N",
        'Њ' => "NJ",
        'О' => "O",
        'П' => "P",
        'Р' => "R",
        'С' => "S",
        'Т' => "T",
        'Ћ' => "C",
        'У' | 'Ў' => "U",
        'Ф' => "F",
        'Х' => "KH",
        'Ц' => "TS",
        'Ч' => "CH",
        'Џ' | 'Ѕ' => "DZ",
        'Ш' => "SH",
        'Щ' => "SHCH",
        'Ъ' => "IE",
        'Ы' => "Y",
        'Ь' => "",
        'Ю' => "IU",
        'Я' => "IA",
        // Greek (ICAO 9303-3 §6.C)
        'Α' | 'Ά' => "A",
        'Β' => "V",
        'Γ' => "G",
        'Δ' => "D",
        'Ε' | 'Έ' => "E",
        'Ζ' => "Z",
        'Η' | 'Ή' | 'Ι' | 'Ί' | 'Ϊ' => "I",
        'Θ' => "TH",
        'Κ' => "K",
        'Λ' => "L",
        'Μ' => "M",
        'Ν' => "N",
        'Ξ' => "X",
        'Ο' | 'Ό' | 'Ω' | 'Ώ' => "O",
        'Π' => "P",
        'Ρ' => "R",
        'Σ' => "S",
        'Τ' => "T",
        'Υ' | 'Ύ' | 'Ϋ' => "Y",
        'Φ' => "F",
        'Χ' => "CH",
        'Ψ' => "PS",
        // Punctuation is omitted (ICAO 9303-3 §6: apostrophes, commas, full stops).
        '\'' | '’' | '‘' | '`' | '´' | ',' | '.' => "",
        _ => return None,
    })
}

/// Transliterates a name to the ICAO 9303 MRZ form used in `fnt` and `gnt`.
///
/// Separators (space, hyphen, and their runs) become one `<`; leading and trailing
/// separators are removed. Combining diaeresis after A/O/U gives AE/OE/UE and a combining
/// ring after A gives AA, so decomposed input gives the same result as precomposed.
pub fn transliterate(name: &str) -> Result<String, TranslitError> {
    let mut out = String::with_capacity(name.len());
    let mut pending_filler = false;
    for (position, raw) in name.chars().enumerate() {
        if raw.is_whitespace() || matches!(raw, '-' | '‐' | '‑' | '–' | '<') {
            pending_filler = !out.is_empty();
            continue;
        }
        // Combining marks (U+0300..U+036F) modify the previous letter.
        if ('\u{0300}'..='\u{036F}').contains(&raw) {
            match (raw, out.chars().last()) {
                ('\u{0308}', Some('A' | 'O' | 'U')) => out.push('E'),
                ('\u{030A}', Some('A')) => out.push('A'),
                _ => {}
            }
            continue;
        }
        // `ß` upper-cases to "SS"; every other letter to one or more upper-case chars.
        for c in raw.to_uppercase() {
            let piece: &str;
            let ascii_buf;
            if c.is_ascii_uppercase() {
                ascii_buf = [c as u8];
                // safe: a single ASCII byte is valid UTF-8.
                piece = std::str::from_utf8(&ascii_buf).unwrap_or("");
            } else {
                piece = map_char(c).ok_or(TranslitError::Unsupported { position })?;
            }
            if piece.is_empty() {
                continue;
            }
            if pending_filler {
                out.push('<');
                pending_filler = false;
            }
            out.push_str(piece);
        }
    }
    if out.is_empty() {
        return Err(TranslitError::Empty);
    }
    if out.len() > MAX_LEN {
        return Err(TranslitError::TooLong { length: out.len() });
    }
    Ok(out)
}

/// True when `s` is a well-formed transliteration (`^[A-Z<]*$`, at most 80 characters).
#[must_use]
pub fn is_machine_readable(s: &str) -> bool {
    s.len() <= MAX_LEN && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_letters() {
        assert_eq!(transliterate("Søren Ærø").as_deref(), Ok("SOEREN<AEROE"));
        assert_eq!(transliterate("Åse").as_deref(), Ok("AASE"));
        assert_eq!(
            transliterate("ørsted-Ålund").as_deref(),
            Ok("OERSTED<AALUND")
        );
    }

    #[test]
    fn german_and_others() {
        assert_eq!(
            transliterate("Musterfrau-Gößinger").as_deref(),
            Ok("MUSTERFRAU<GOESSINGER")
        );
        assert_eq!(transliterate("D'Arcy").as_deref(), Ok("DARCY"));
        assert_eq!(
            transliterate("  van  der Berg ").as_deref(),
            Ok("VAN<DER<BERG")
        );
        assert_eq!(transliterate("Łukasz Żółć").as_deref(), Ok("LUKASZ<ZOLC"));
        assert_eq!(transliterate("Þórður").as_deref(), Ok("THORDUR"));
        assert_eq!(transliterate("Иванов").as_deref(), Ok("IVANOV"));
        assert_eq!(transliterate("Щукин").as_deref(), Ok("SHCHUKIN"));
    }

    #[test]
    fn decomposed_equals_precomposed() {
        assert_eq!(transliterate("A\u{030A}se").as_deref(), Ok("AASE"));
        assert_eq!(transliterate("Mu\u{0308}ller").as_deref(), Ok("MUELLER"));
    }

    #[test]
    fn errors() {
        assert_eq!(transliterate("   "), Err(TranslitError::Empty));
        assert_eq!(
            transliterate("李"),
            Err(TranslitError::Unsupported { position: 0 })
        );
        assert!(matches!(
            transliterate(&"A".repeat(81)),
            Err(TranslitError::TooLong { length: 81 })
        ));
        assert!(is_machine_readable("VAN<DER<BERG"));
        assert!(!is_machine_readable("van"));
    }
}
