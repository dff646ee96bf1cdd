//! The CPR number: ten digits, the first six a valid day and month. Checked once here;
//! past this type nothing re-checks. It never prints itself in `Debug` so a stray
//! `{:?}` cannot leak it into a log.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cpr(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CprError {
    #[error("a CPR number has exactly ten digits")]
    Format,
    #[error("a CPR number starts with a valid day and month (DDMMYY)")]
    Date,
}

impl Cpr {
    pub fn parse(s: &str) -> Result<Self, CprError> {
        let s = s.trim();
        if s.len() != 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CprError::Format);
        }
        let b = s.as_bytes();
        let day = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
        let month = u32::from(b[2] - b'0') * 10 + u32::from(b[3] - b'0');
        if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
            return Err(CprError::Date);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cpr(**********)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ten_digits_with_a_date() {
        assert_eq!(Cpr::parse("0101801234").unwrap().as_str(), "0101801234");
        assert_eq!(Cpr::parse("3112991234").unwrap().as_str(), "3112991234");
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(Cpr::parse("123"), Err(CprError::Format));
        assert_eq!(Cpr::parse("01018012345"), Err(CprError::Format));
        assert_eq!(Cpr::parse("01018O1234"), Err(CprError::Format));
        assert_eq!(Cpr::parse("0001801234"), Err(CprError::Date));
        assert_eq!(Cpr::parse("0113801234"), Err(CprError::Date));
        assert_eq!(Cpr::parse("١٢٣٤٥٦٧٨٩٠"), Err(CprError::Format));
    }

    #[test]
    fn debug_hides_the_number() {
        let cpr = Cpr::parse("0101801234").unwrap();
        assert!(!format!("{cpr:?}").contains("0101801234"));
    }
}
