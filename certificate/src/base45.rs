//! Base45 (RFC 9285) encoding and decoding.
//!
//! The HC1 payload is Base45 because the 45 characters are exactly the QR code's
//! alphanumeric set, so a QR code can carry it in the dense alphanumeric mode (RFC 9285 §1).
//! Decoding never panics: every malformed input yields a [`Base45Error`].

/// The RFC 9285 §4 alphabet; the index of a character is its value.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Value of each byte in the alphabet, or `INVALID`.
const INVALID: u8 = 0xFF;
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why a Base45 string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base45Error {
    /// A character outside the RFC 9285 alphabet (lower-case letters included).
    #[error("invalid Base45 character at position {position}")]
    InvalidCharacter {
        /// Byte offset of the offending character.
        position: usize,
    },
    /// The length leaves a single trailing character, which cannot encode a byte (RFC 9285 §4.2).
    #[error("invalid Base45 length {length}: a lone trailing character")]
    InvalidLength {
        /// Length of the input in bytes.
        length: usize,
    },
    /// A triple or pair decodes to a value too large for its bytes (RFC 9285 §4.2: "must be rejected").
    #[error("Base45 group at position {position} is out of range")]
    Overflow {
        /// Byte offset of the group.
        position: usize,
    },
}

/// Encodes `data` as Base45 (RFC 9285 §4.1): each 2 bytes become 3 characters, a final
/// odd byte becomes 2 characters, least significant digit first.
#[must_use]
pub fn encode(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len().div_ceil(2) * 3);
    for chunk in data.chunks(2) {
        match *chunk {
            [a, b] => {
                let n = (u32::from(a) << 8) | u32::from(b);
                out.push(ALPHABET[(n % 45) as usize]);
                out.push(ALPHABET[(n / 45 % 45) as usize]);
                out.push(ALPHABET[(n / 2025) as usize]);
            }
            [a] => {
                let n = u32::from(a);
                out.push(ALPHABET[(n % 45) as usize]);
                out.push(ALPHABET[(n / 45) as usize]);
            }
            _ => {}
        }
    }
    // safe: every pushed byte comes from ALPHABET, which is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes a Base45 string (RFC 9285 §4.2). Strict: only the 45 alphabet characters,
/// no whitespace, no lower case, and every group must fit its bytes.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let input = text.as_bytes();
    if input.len() % 3 == 1 {
        return Err(Base45Error::InvalidLength {
            length: input.len(),
        });
    }
    let mut out = Vec::with_capacity(input.len() / 3 * 2 + 1);
    for (index, group) in input.chunks(3).enumerate() {
        let position = index * 3;
        let mut value: u32 = 0;
        let mut factor: u32 = 1;
        for (offset, &c) in group.iter().enumerate() {
            let digit = DECODE[usize::from(c)];
            if digit == INVALID {
                return Err(Base45Error::InvalidCharacter {
                    position: position + offset,
                });
            }
            value += u32::from(digit) * factor;
            factor *= 45;
        }
        if group.len() == 3 {
            if value > 0xFFFF {
                return Err(Base45Error::Overflow { position });
            }
            out.push((value >> 8) as u8);
            out.push((value & 0xFF) as u8);
        } else {
            if value > 0xFF {
                return Err(Base45Error::Overflow { position });
            }
            out.push(value as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9285 §4.3 examples.
    #[test]
    fn rfc_examples() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").as_deref(), Ok(&b"ietf!"[..]));
        assert_eq!(decode("").as_deref(), Ok(&b""[..]));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            decode("GGW"),
            Err(Base45Error::Overflow { position: 0 }),
            "GGW = 65535+1 must be rejected"
        );
        assert_eq!(
            decode("ZZZZ"),
            Err(Base45Error::InvalidLength { length: 4 })
        );
        assert_eq!(
            decode("bb8"),
            Err(Base45Error::InvalidCharacter { position: 0 })
        );
        assert_eq!(decode("::"), Err(Base45Error::Overflow { position: 0 }));
    }
}
