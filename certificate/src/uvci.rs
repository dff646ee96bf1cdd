//! Unique Vaccination Certificate / assertion Identifier (UVCI), eHealth Network
//! guidelines on verifiable vaccination certificates, Annex 2.
//!
//! Shape: `URN:UVCI:<version>:<country>:<opaque>[#<checksum>]`. The checksum is Luhn mod N
//! (ISO/IEC 7812-1 generalised) over everything after `URN:UVCI:` with the alphabet
//! `0-9 A-Z / :` (N = 38). We always write a checksum on the UVCIs we issue, but a foreign
//! UVCI's checksum is only *reported*: the checksum is optional and often wrong in real
//! certificates, so it must never decide whether a certificate is accepted.

use std::fmt;

/// The Luhn mod N alphabet of the UVCI checksum (Annex 2); the index is the code point.
const ALPHABET: &[u8; 38] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ/:";
/// Prefix of every UVCI; the guidelines allow it to be omitted.
pub const PREFIX: &str = "URN:UVCI:";
/// Longest `ci` the DCC schema allows.
pub const MAX_LEN: usize = 80;

/// Why a string is not a UVCI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UvciError {
    /// Fewer than the `version:country:opaque` parts.
    #[error("UVCI must have the form URN:UVCI:<version>:<country>:<identifier>")]
    Shape,
    /// Version is not two digits.
    #[error("UVCI version must be two digits")]
    Version,
    /// Country is not two upper-case letters.
    #[error("UVCI country must be an ISO 3166-1 alpha-2 code")]
    Country,
    /// A character outside `0-9 A-Z / :` in the identifier part.
    #[error("UVCI contains a character outside 0-9, A-Z, '/' and ':'")]
    Character,
    /// More than 80 characters (the DCC schema limit for `ci`).
    #[error("UVCI longer than {MAX_LEN} characters")]
    TooLong,
}

/// What a UVCI's optional checksum says. Informational only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// No `#` checksum present.
    Absent,
    /// The checksum matches.
    Valid,
    /// The checksum does not match (common in real certificates; not a rejection reason).
    Invalid,
}

/// A parsed UVCI. Parsing is case-insensitive (many issuers use lower case); the
/// canonical form is upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uvci {
    /// Upper-case text after `URN:UVCI:` and before any `#`.
    body: String,
    checksum: Option<char>,
}

impl Uvci {
    /// Parses a UVCI as found in a certificate (`ci`), with or without the `URN:UVCI:`
    /// prefix. Does not check the checksum: see [`Uvci::checksum_status`].
    pub fn parse(text: &str) -> Result<Self, UvciError> {
        if text.len() > MAX_LEN {
            return Err(UvciError::TooLong);
        }
        let upper = text.trim().to_ascii_uppercase();
        let without_prefix = upper.strip_prefix(PREFIX).unwrap_or(&upper);
        let (body, checksum) = match without_prefix.split_once('#') {
            Some((body, check)) => {
                let mut chars = check.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if ALPHABET.contains(&(c as u8)) && c.is_ascii() => {
                        (body, Some(c))
                    }
                    _ => return Err(UvciError::Character),
                }
            }
            None => (without_prefix, None),
        };
        let mut parts = body.splitn(3, ':');
        let (version, country, rest) = match (parts.next(), parts.next(), parts.next()) {
            (Some(v), Some(c), Some(r)) if !r.is_empty() => (v, c, r),
            _ => return Err(UvciError::Shape),
        };
        if version.len() != 2 || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UvciError::Version);
        }
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(UvciError::Country);
        }
        if !rest.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(UvciError::Character);
        }
        Ok(Self {
            body: body.to_owned(),
            checksum,
        })
    }

    /// Builds a new UVCI for issuing, `URN:UVCI:01:<country>:<opaque>#<checksum>`.
    /// `opaque` must be 1 or more characters of `0-9 A-Z /` (no `:`, it separates parts).
    pub fn new(country: &str, opaque: &str) -> Result<Self, UvciError> {
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(UvciError::Country);
        }
        if opaque.is_empty() {
            return Err(UvciError::Shape);
        }
        if !opaque
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'/')
        {
            return Err(UvciError::Character);
        }
        let body = format!("01:{country}:{opaque}");
        if PREFIX.len() + body.len() + 2 > MAX_LEN {
            return Err(UvciError::TooLong);
        }
        let checksum = Some(luhn_mod_n(&body));
        Ok(Self { body, checksum })
    }

    /// Version field (`01` for the current guidelines).
    #[must_use]
    pub fn version(&self) -> &str {
        self.body.get(..2).unwrap_or("")
    }

    /// Country of the issuer, as written in the UVCI.
    #[must_use]
    pub fn country(&self) -> &str {
        self.body.get(3..5).unwrap_or("")
    }

    /// What the optional checksum says; never a reason to reject a certificate.
    #[must_use]
    pub fn checksum_status(&self) -> ChecksumStatus {
        match self.checksum {
            None => ChecksumStatus::Absent,
            Some(c) if c == luhn_mod_n(&self.body) => ChecksumStatus::Valid,
            Some(_) => ChecksumStatus::Invalid,
        }
    }
}

impl fmt::Display for Uvci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        f.write_str(&self.body)?;
        if let Some(c) = self.checksum {
            write!(f, "#{c}")?;
        }
        Ok(())
    }
}

/// Luhn mod N check character over `input` (upper case, alphabet `0-9A-Z/:`).
/// Characters outside the alphabet are skipped; [`Uvci`] never holds any.
fn luhn_mod_n(input: &str) -> char {
    let n = ALPHABET.len() as u32;
    let mut factor = 2;
    let mut sum = 0u32;
    for b in input.bytes().rev() {
        let Some(code_point) = ALPHABET.iter().position(|&a| a == b) else {
            continue;
        };
        let addend = factor * code_point as u32;
        factor = if factor == 2 { 1 } else { 2 };
        sum += addend / n + addend % n;
    }
    let check = (n - sum % n) % n;
    char::from(ALPHABET[check as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_published_uvci() {
        // From the DK and FR test vectors: correct checksums.
        let u = Uvci::parse("URN:UVCI:01:DK:B986830007345F99AE898FB82C6C61F2#A").unwrap();
        assert_eq!(u.checksum_status(), ChecksumStatus::Valid);
        assert_eq!(u.country(), "DK");
        let u = Uvci::parse("URN:UVCI:01:FR:GGD81AAH16A3#0").unwrap();
        assert_eq!(u.checksum_status(), ChecksumStatus::Valid);
        assert_eq!(u.version(), "01");
    }

    #[test]
    fn wrong_checksum_is_reported_not_rejected() {
        // The AT vector's checksum is wrong, as many real ones are: parsed, reported.
        let u = Uvci::parse("urn:uvci:01:at:10807843f94aee0ee5093fbc254bd813#B").unwrap();
        assert_eq!(u.checksum_status(), ChecksumStatus::Invalid);
        assert_eq!(u.country(), "AT");
        let u = Uvci::parse("01:DK:ABC").unwrap();
        assert_eq!(u.checksum_status(), ChecksumStatus::Absent);
    }

    #[test]
    fn new_round_trips() {
        let u = Uvci::new("DK", "ABC123/XYZ").unwrap();
        let text = u.to_string();
        assert!(text.starts_with("URN:UVCI:01:DK:ABC123/XYZ#"));
        let parsed = Uvci::parse(&text).unwrap();
        assert_eq!(parsed, u);
        assert_eq!(parsed.checksum_status(), ChecksumStatus::Valid);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Uvci::parse("URN:UVCI:01"), Err(UvciError::Shape));
        assert_eq!(Uvci::parse("URN:UVCI:1:DK:X"), Err(UvciError::Version));
        assert_eq!(Uvci::parse("URN:UVCI:01:D1:X"), Err(UvciError::Country));
        assert_eq!(Uvci::parse("URN:UVCI:01:DK:A B"), Err(UvciError::Character));
        assert_eq!(Uvci::new("DK", "a"), Err(UvciError::Character));
        assert_eq!(Uvci::new("DK", &"A".repeat(80)), Err(UvciError::TooLong));
    }
}
