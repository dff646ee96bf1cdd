//! The printable pass: one A4 page with the QR code drawn large as vector squares (sharp
//! on any printer, about 10 cm wide), the holder's name and birth date, the pass type,
//! validity, issuer and UVCI, in Danish, English or both, for people without a
//! smartphone. Written with `pdf-writer` the way the notifier writes letters: the
//! standard Helvetica fonts with WinAnsiEncoding (built into every PDF reader, covering
//! æ ø å), uncompressed content, nothing embedded or downloaded.
//!
//! What the page says is read back from the pass's own QR text (`HC1:` or `DK1:`), so
//! paper and QR cannot disagree. Pure: text in, bytes out.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Copenhagen;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use service_kit::pdf_text::win_ansi;

use certificate::codec;
use certificate::domestic::{self, Contents};

/// The page's language(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Danish,
    English,
    /// Danish and English side by side (`Navn / Name`).
    Both,
}

impl Lang {
    /// `da` (default), `en` or `both`.
    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s.unwrap_or("da") {
            "da" => Some(Self::Danish),
            "en" => Some(Self::English),
            "both" | "da,en" | "da+en" => Some(Self::Both),
            _ => None,
        }
    }

    fn pick(self, da: &str, en: &str) -> String {
        match self {
            Self::Danish => da.to_owned(),
            Self::English => en.to_owned(),
            Self::Both => format!("{da} / {en}"),
        }
    }
}

/// What kind of pass, with the facts its line shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Vaccination { dose: u64, of: u64, date: String },
    Test { negative: bool },
    Recovery,
    Domestic { level: u8 },
}

/// What the printed page shows: only what the pass itself carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassSheet {
    pub kind: Kind,
    /// Given and family name as written (absent on a level-1 domestic pass).
    pub name: Option<String>,
    /// `YYYY-MM-DD` (or the shorter forms a DCC allows).
    pub birth_date: Option<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: DateTime<Utc>,
    pub issuer: String,
    pub uvci: Option<String>,
    /// The QR text.
    pub qr_text: String,
}

/// Why a pass's text could not be read for printing (our own passes always can).
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the pass text cannot be read: {0}")]
    Unreadable(String),
    #[error("the pass has no expiry")]
    NoExpiry,
    #[error("the QR code cannot be drawn: {0}")]
    Qr(#[from] certificate::qr::QrCodeError),
}

fn unreadable(e: impl std::fmt::Display) -> SheetError {
    SheetError::Unreadable(e.to_string())
}

fn time(s: Option<i64>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::from_timestamp(s, 0))
}

fn str_at<'a>(v: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| match k.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(*k),
        })
        .and_then(|v| v.as_str())
}

fn day_start(date: Option<&str>) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(date?, "%Y-%m-%d").ok()?;
    Some(d.and_time(chrono::NaiveTime::MIN).and_utc())
}

impl PassSheet {
    /// Reads an `HC1:` or `DK1:` text (trusted: it is the service's own pass).
    pub fn from_qr_text(text: &str) -> Result<Self, SheetError> {
        if domestic::is_domestic(text) {
            let pass = domestic::decode(text).map_err(unreadable)?;
            let (name, birth_date) = match &pass.contents {
                Contents::ValidUntil => (None, None),
                Contents::WithIdentity { nam, dob } => (
                    Some(format!("{} {}", nam.given, nam.family).trim().to_owned()),
                    Some(dob.format("%Y-%m-%d").to_string()),
                ),
            };
            return Ok(Self {
                kind: Kind::Domestic {
                    level: pass.level.number(),
                },
                name,
                birth_date,
                valid_from: None,
                valid_until: pass.valid_until,
                issuer: pass.issuer,
                uvci: None,
                qr_text: text.to_owned(),
            });
        }
        let body = codec::strip_prefix(text).map_err(unreadable)?;
        let compressed = certificate::base45::decode(body).map_err(unreadable)?;
        let cose = codec::inflate(&compressed, codec::DEFAULT_MAX_INFLATED).map_err(unreadable)?;
        let message = codec::parse_cose(&cose).map_err(unreadable)?;
        let cwt = codec::parse_cwt(message.payload()).map_err(unreadable)?;
        let dcc = &cwt.dcc;
        let (group, entry) = ["v", "t", "r"]
            .iter()
            .find_map(|g| dcc.get(*g).and_then(|a| a.get(0)).map(|e| (*g, e)))
            .ok_or_else(|| unreadable("no v, t or r entry"))?;
        let (kind, valid_from) = match group {
            "v" => (
                Kind::Vaccination {
                    dose: entry.get("dn").and_then(|v| v.as_u64()).unwrap_or(0),
                    of: entry.get("sd").and_then(|v| v.as_u64()).unwrap_or(0),
                    date: str_at(entry, &["dt"]).unwrap_or("").to_owned(),
                },
                None,
            ),
            "t" => (
                Kind::Test {
                    negative: str_at(entry, &["tr"]) == Some("260415000"),
                },
                str_at(entry, &["sc"])
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc)),
            ),
            _ => (Kind::Recovery, day_start(str_at(entry, &["df"]))),
        };
        let family = str_at(dcc, &["nam", "fn"]).or_else(|| str_at(dcc, &["nam", "fnt"]));
        let given = str_at(dcc, &["nam", "gn"]).or_else(|| str_at(dcc, &["nam", "gnt"]));
        let name = [given, family]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Self {
            kind,
            name: Some(name),
            birth_date: str_at(dcc, &["dob"]).map(str::to_owned),
            valid_from,
            valid_until: time(cwt.expires_at).ok_or(SheetError::NoExpiry)?,
            issuer: str_at(entry, &["is"]).unwrap_or("").to_owned(),
            uvci: str_at(entry, &["ci"]).map(str::to_owned),
            qr_text: text.to_owned(),
        })
    }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Copenhagen)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Page geometry (points; A4).
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// The QR code's side including its 4-module quiet zone: 300 pt = 10.6 cm, so even a
/// version-13 DCC code has modules of about 1.4 mm.
pub const QR_SIDE: f32 = 300.0;
const QUIET: usize = 4;

struct Line {
    size: f32,
    bold: bool,
    text: String,
}

fn lines(sheet: &PassSheet, lang: Lang) -> (Vec<Line>, Vec<Line>, Vec<Line>) {
    let l = |size, bold, text: String| Line { size, bold, text };
    let title = match sheet.kind {
        Kind::Domestic { .. } => lang.pick("Coronapas", "Danish COVID-19 pass"),
        _ => lang.pick("Coronapas", "EU Digital COVID Certificate"),
    };
    let kind = match &sheet.kind {
        Kind::Vaccination { dose, of, date } => match lang {
            Lang::Danish => format!("Vaccination, dosis {dose} af {of}, {date}"),
            Lang::English => format!("Vaccination, dose {dose} of {of}, {date}"),
            Lang::Both => format!("Vaccination {dose}/{of}, {date}"),
        },
        Kind::Test { negative } => {
            if *negative {
                lang.pick("Negativ test", "Negative test")
            } else {
                lang.pick("Test", "Test")
            }
        }
        Kind::Recovery => lang.pick("Overstået covid-19", "Recovery"),
        Kind::Domestic { level: 1 } => {
            lang.pick("Dansk coronapas, niveau 1", "Danish pass, level 1")
        }
        Kind::Domestic { level } => lang.pick(
            &format!("Dansk coronapas, niveau {level}"),
            &format!("Danish pass, level {level}"),
        ),
    };
    let head = vec![l(28.0, true, title), l(18.0, false, kind)];

    let mut fields = Vec::new();
    let mut field = |label: String, value: String| {
        fields.push(l(12.0, true, label));
        fields.push(l(17.0, false, value));
    };
    if let Some(name) = &sheet.name {
        field(lang.pick("Navn", "Name"), name.clone());
    }
    if let Some(dob) = &sheet.birth_date {
        field(lang.pick("Fødselsdato", "Date of birth"), dob.clone());
    }
    let zone = lang.pick("dansk tid", "Danish time");
    let validity = match sheet.valid_from {
        Some(from) => format!("{} – {} ({zone})", local(from), local(sheet.valid_until)),
        None => format!("{} ({zone})", local(sheet.valid_until)),
    };
    let label = match sheet.valid_from {
        Some(_) => lang.pick("Gyldig", "Valid"),
        None => lang.pick("Gyldig til", "Valid until"),
    };
    field(label, validity);
    field(lang.pick("Udstedt af", "Issuer"), sheet.issuer.clone());
    if let Some(uvci) = &sheet.uvci {
        field(
            lang.pick("Certifikat-id", "Certificate id (UVCI)"),
            uvci.clone(),
        );
    }

    let note = match (&sheet.kind, lang) {
        (Kind::Domestic { level: 1 }, Lang::Danish) => {
            "Passet viser kun gyldigheden. Vis det sammen med billedlegitimation.".to_owned()
        }
        (Kind::Domestic { level: 1 }, _) => {
            "The pass shows its validity only. Show it with photo ID.".to_owned()
        }
        (_, Lang::Danish) => {
            "Vis siden sammen med billedlegitimation. QR-koden kontrolleres med en app.".to_owned()
        }
        (_, _) => "Show this page with photo ID. The QR code is checked with an app.".to_owned(),
    };
    let mut foot = vec![l(11.0, false, note)];
    if lang == Lang::Both && !matches!(sheet.kind, Kind::Domestic { level: 1 }) {
        foot.insert(
            0,
            l(
                11.0,
                false,
                "Vis siden sammen med billedlegitimation.".to_owned(),
            ),
        );
    }
    (head, fields, foot)
}

fn text_line(content: &mut Content, line: &Line, x: f32, y: f32) {
    let font = if line.bold { b"F2" } else { b"F1" };
    content
        .begin_text()
        .set_font(Name(font), line.size)
        .next_line(x, y)
        .show(Str(&win_ansi(&line.text)))
        .end_text();
}

/// Renders the pass as a one-page A4 PDF.
pub fn render(sheet: &PassSheet, lang: Lang) -> Result<Vec<u8>, SheetError> {
    let (width, dark) = certificate::qr::modules(&sheet.qr_text)?;
    let (head, fields, foot) = lines(sheet, lang);

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page_id = Ref::new(3);
    let content_id = Ref::new(4);
    let font = Ref::new(5);
    let font_bold = Ref::new(6);
    let info = Ref::new(7);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(font_bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    // No personal data in the document information: only the page shows it.
    pdf.document_info(info)
        .title(TextStr("Coronapas"))
        .producer(TextStr("pass-service"));
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
        .parent(tree)
        .contents(content_id);
    page.resources()
        .fonts()
        .pair(Name(b"F1"), font)
        .pair(Name(b"F2"), font_bold);
    page.finish();

    let mut content = Content::new();
    let mut y = PAGE_H - MARGIN - 24.0;
    for line in &head {
        text_line(&mut content, line, MARGIN, y);
        y -= line.size + 12.0;
    }

    // The QR code: white square with the quiet zone, dark modules as filled squares.
    let top = y - 6.0;
    let left = (PAGE_W - QR_SIDE) / 2.0;
    let module = QR_SIDE / (width + 2 * QUIET) as f32;
    content.set_fill_gray(1.0);
    content.rect(left, top - QR_SIDE, QR_SIDE, QR_SIDE);
    content.fill_nonzero();
    content.set_fill_gray(0.0);
    for (i, is_dark) in dark.iter().enumerate() {
        if *is_dark {
            let (row, col) = (i / width, i % width);
            let x = left + (col + QUIET) as f32 * module;
            let y = top - (row + QUIET + 1) as f32 * module;
            content.rect(x, y, module, module);
        }
    }
    content.fill_nonzero();

    let mut y = top - QR_SIDE - 28.0;
    for line in &fields {
        text_line(&mut content, line, MARGIN, y);
        y -= if line.bold {
            line.size + 6.0
        } else {
            line.size + 12.0
        };
    }
    let mut y = MARGIN + 14.0 * foot.len() as f32;
    for line in &foot {
        text_line(&mut content, line, MARGIN, y);
        y -= 14.0;
    }
    pdf.stream(content_id, &content.finish());
    Ok(pdf.finish())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use service_kit::pdf_text::extract_text;

    /// The dark modules drawn: the `re` squares inside the QR area, as (col, row).
    pub(crate) fn drawn_modules(pdf: &[u8]) -> Vec<(f32, f32, f32)> {
        let text = String::from_utf8_lossy(pdf);
        text.lines()
            .filter_map(|l| l.strip_suffix(" re"))
            .filter_map(|l| {
                let n: Vec<f32> = l.split(' ').filter_map(|p| p.parse().ok()).collect();
                (n.len() == 4 && n[2] < QR_SIDE).then(|| (n[0], n[1], n[2]))
            })
            .collect()
    }

    fn sheet(kind: Kind, qr: &str) -> PassSheet {
        PassSheet {
            kind,
            name: Some("Søren Ærø".into()),
            birth_date: Some("1970-01-01".into()),
            valid_from: None,
            valid_until: "2022-06-01T00:00:00Z".parse().unwrap(),
            issuer: "Sundhedsdatastyrelsen".into(),
            uvci: Some("URN:UVCI:01:DK:V/ABC#X".into()),
            qr_text: qr.into(),
        }
    }

    #[test]
    fn the_page_carries_the_fields_in_the_asked_language() {
        let s = sheet(
            Kind::Vaccination {
                dose: 2,
                of: 2,
                date: "2021-06-01".into(),
            },
            "HC1:ABC",
        );
        let da = extract_text(&render(&s, Lang::Danish).unwrap());
        for want in [
            "Coronapas",
            "Vaccination, dosis 2 af 2, 2021-06-01",
            "Navn",
            "Søren Ærø",
            "Fødselsdato",
            "1970-01-01",
            "Gyldig til",
            "2022-06-01 02:00 (dansk tid)",
            "Sundhedsdatastyrelsen",
            "URN:UVCI:01:DK:V/ABC#X",
        ] {
            assert!(da.contains(want), "{want:?} missing from {da}");
        }
        assert!(!da.contains("Name"));
        let en = extract_text(&render(&s, Lang::English).unwrap());
        assert!(
            en.contains("Date of birth") && en.contains("Valid until"),
            "{en}"
        );
        assert!(!en.contains("Fødselsdato"));
        let both = extract_text(&render(&s, Lang::Both).unwrap());
        assert!(both.contains("Fødselsdato / Date of birth"), "{both}");
        assert_eq!(Lang::parse(None), Some(Lang::Danish));
        assert_eq!(Lang::parse(Some("fr")), None);
    }

    #[test]
    fn the_qr_code_is_drawn_module_for_module_and_big() {
        let text = "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOOK.IR9B+9G4G50PHZF0AT4V22F/8X*G3M9JUPY0BX/KR96R/S09T./0LWTKD33236J3TA3M*4VV2 73-E3GG396B-43O058YIB73A*G3W19UEBY5:PI0EGSP4*2DN43U*0CEBQ/GXQFY73CIBC:G 7376BXBJBAJ UNFMJCRN0H3PQN*E33H3OA70M3FMJIJN523.K5QZ4A+2XEN QT QTHC31M3+E32R44$28A9H0D3ZCL4JMYAZ+S-A5$XKX6T2YC 35H/ITX8GL2-LH/CJTK96L6SR9MU9RFGJA6Q3QR$P2OIC0JVLA8J3ET3:H3A+2+33U SAAUOT3TPTO4UBZIC0JKQTL*QDKBO.AI9BVYTOCFOPS4IJCOT0$89NT2V457U8+9W2KQ-7LF9-DF07U$B97JJ1D7WKP/HLIJLRKF1MFHJP7NVDEBU1J*Z222E.GJF67Z JA6B.38O4BH*HB0EGLE2%V -3O+J3.PI2G:M1SSP2Y3D38-G9C+Q6MGHDKSVKU0GU5VWF6ZS0+2JE";
        let s = sheet(Kind::Recovery, text);
        let pdf = render(&s, Lang::Danish).unwrap();
        let (width, dark) = certificate::qr::modules(text).unwrap();
        let drawn = drawn_modules(&pdf);
        assert_eq!(drawn.len(), dark.iter().filter(|d| **d).count());
        let module = drawn[0].2;
        assert!((module * (width + 8) as f32 - QR_SIDE).abs() < 0.01);
        // Modules of at least 1 mm (2.83 pt) scan from paper with any phone.
        assert!(module >= 2.83, "module {module} pt");
        // Rebuild the matrix from the squares and compare with the symbol.
        let left = drawn.iter().map(|d| d.0).fold(f32::MAX, f32::min);
        let top = drawn.iter().map(|d| d.1).fold(f32::MIN, f32::max);
        let mut rebuilt = vec![false; width * width];
        for (x, y, _) in &drawn {
            let col = ((x - left) / module).round() as usize;
            let row = ((top - y) / module).round() as usize;
            rebuilt[row * width + col] = true;
        }
        // The first drawn column/row are the finder patterns' edges: offsets match.
        assert_eq!(rebuilt, dark);
    }

    #[test]
    fn a_level_1_domestic_page_shows_no_identity() {
        let mut s = sheet(Kind::Domestic { level: 1 }, "DK1:ABC");
        s.name = None;
        s.birth_date = None;
        s.uvci = None;
        let text = extract_text(&render(&s, Lang::English).unwrap());
        assert!(text.contains("Danish pass, level 1"), "{text}");
        assert!(!text.contains("Name") && !text.contains("Date of birth"));
    }
}
