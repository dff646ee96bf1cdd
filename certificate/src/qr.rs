//! QR codes for HC1 text: alphanumeric mode (the Base45 alphabet is exactly the QR
//! alphanumeric set, ISO/IEC 18004 §7.4.4) with error correction level Q, as hcert §5
//! recommends; rendered as PNG or SVG. And the reverse: find and decode a QR code in a
//! PNG or JPEG photo. Pure: bytes in, bytes out.

use qrcode::bits::Bits;
use qrcode::types::{Color, QrError};
use qrcode::{EcLevel, QrCode, Version};

/// Why a QR code could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum QrCodeError {
    /// The text has a character outside the QR alphanumeric set.
    #[error("text is not QR-alphanumeric")]
    NotAlphanumeric,
    /// The text does not fit in a version-40 Q code.
    #[error("text too long for a QR code at error correction Q")]
    TooLong,
    /// The QR library refused the data.
    #[error("QR encoding: {0}")]
    Encode(String),
    /// The image could not be encoded or decoded.
    #[error("image: {0}")]
    Image(String),
    /// No QR code found in the image.
    #[error("no QR code found in the image")]
    NotFound,
    /// A QR code was found but could not be decoded.
    #[error("QR code could not be decoded: {0}")]
    Decode(String),
}

/// Pixels per module and quiet-zone modules in rendered images.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Pixels per module (PNG) or user units per module (SVG).
    pub module_size: u32,
    /// Quiet zone in modules (ISO/IEC 18004 asks for 4).
    pub quiet_zone: u32,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            module_size: 4,
            quiet_zone: 4,
        }
    }
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Builds the QR symbol: the smallest version holding `text` as one alphanumeric segment at EC Q.
pub fn encode(text: &str) -> Result<QrCode, QrCodeError> {
    if !text.bytes().all(|b| ALNUM.contains(&b)) {
        return Err(QrCodeError::NotAlphanumeric);
    }
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        match bits.push_alphanumeric_data(text.as_bytes()) {
            Ok(()) => {}
            Err(QrError::DataTooLong) => continue,
            Err(e) => return Err(QrCodeError::Encode(e.to_string())),
        }
        match bits.push_terminator(EcLevel::Q) {
            Ok(()) => {}
            Err(QrError::DataTooLong) => continue,
            Err(e) => return Err(QrCodeError::Encode(e.to_string())),
        }
        return QrCode::with_bits(bits, EcLevel::Q).map_err(|e| QrCodeError::Encode(e.to_string()));
    }
    Err(QrCodeError::TooLong)
}

/// The symbol's modules, row by row (`true` = dark), and its width in modules (no quiet
/// zone): for drawing the code as vector graphics, e.g. in a PDF.
pub fn modules(text: &str) -> Result<(usize, Vec<bool>), QrCodeError> {
    let code = encode(text)?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((code.width(), dark))
}

/// Renders `text` as a black-on-white PNG.
pub fn render_png(text: &str, options: RenderOptions) -> Result<Vec<u8>, QrCodeError> {
    let code = encode(text)?;
    let width = code.width() as u32;
    let colors = code.to_colors();
    let m = options.module_size.max(1);
    let size = (width + 2 * options.quiet_zone) * m;
    let mut img = image::GrayImage::from_pixel(size, size, image::Luma([255u8]));
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (x, y) = (
            (i as u32 % width + options.quiet_zone) * m,
            (i as u32 / width + options.quiet_zone) * m,
        );
        for dy in 0..m {
            for dx in 0..m {
                img.put_pixel(x + dx, y + dy, image::Luma([0u8]));
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| QrCodeError::Image(e.to_string()))?;
    Ok(out.into_inner())
}

/// Renders `text` as an SVG document.
pub fn render_svg(text: &str, options: RenderOptions) -> Result<String, QrCodeError> {
    let code = encode(text)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(options.quiet_zone > 0)
        .module_dimensions(options.module_size.max(1), options.module_size.max(1))
        .build())
}

/// Finds a QR code in a PNG or JPEG image and returns its text.
pub fn decode_image(bytes: &[u8]) -> Result<String, QrCodeError> {
    let img = image::load_from_memory(bytes).map_err(|e| QrCodeError::Image(e.to_string()))?;
    let luma = img.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(luma);
    let grids = prepared.detect_grids();
    let mut last_error = None;
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) => return Ok(text),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    Err(last_error.map_or(QrCodeError::NotFound, QrCodeError::Decode))
}
