//! The Danish CPR number (personnummer) as a checked type.
//!
//! `Cpr::parse` is the only way to get a `Cpr`: past it, a CPR is known to be ten digits
//! naming a real calendar date. The century comes from the 7th digit (CPR office rule):
//!
//! | 7th digit | year 00-36 | year 37-57 | year 58-99 |
//! |-----------|------------|------------|------------|
//! | 0-3       | 19xx       | 19xx       | 19xx       |
//! | 4, 9      | 20xx       | 19xx       | 19xx       |
//! | 5-8       | 20xx       | 20xx       | 18xx       |
//!
//! There is deliberately no modulus-11 check: numbers issued since 2007 need not pass it.
//!
//! This module must never let the digits escape by accident: `Debug` and `Display` are
//! masked, errors never carry the input. Only [`Cpr::as_str`] and `Serialize` give the
//! digits, for storage and for the wire to a trusted peer. Logs, metrics and Redis keys use
//! a [`crate::Pseudonym`] instead.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// What the masked forms print: the shape of a CPR number, none of its digits.
const MASK: &str = "******-****";

/// A syntactically valid CPR number with a real birth date.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpr {
    /// Exactly ten ASCII digits, no separator.
    digits: String,
    /// Derived from `digits` at parse time; kept so callers never re-derive it.
    birth_date: NaiveDate,
}

/// Why a string is not a CPR number. Never carries the input itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CprError {
    #[error("a CPR number has 10 digits, optionally written DDMMYY-SSSS; got {length} characters")]
    WrongLength { length: usize },
    #[error("a CPR number may only contain digits (and one '-' after the sixth)")]
    NotADigit,
    #[error("a CPR number starts with a birth date DDMMYY; this one names no real date")]
    InvalidDate,
}

/// Legal sex as encoded in the last digit (odd: male, even: female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
}

impl Cpr {
    /// Parses `DDMMYYSSSS` or `DDMMYY-SSSS`, ignoring surrounding whitespace.
    pub fn parse(input: &str) -> Result<Cpr, CprError> {
        let trimmed = input.trim();
        // Count before collecting, so a megabyte of input costs no megabyte of memory.
        let length = trimmed.chars().count();
        if length != 10 && length != 11 {
            return Err(CprError::WrongLength { length });
        }
        let chars: Vec<char> = trimmed.chars().collect();
        let digits: String = match chars.len() {
            10 => chars.iter().collect(),
            11 if chars[6] == '-' => chars[..6].iter().chain(&chars[7..]).collect(),
            11 if chars.iter().any(|c| !c.is_ascii_digit()) => return Err(CprError::NotADigit),
            length => return Err(CprError::WrongLength { length }),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CprError::NotADigit);
        }
        let d = digits.as_bytes();
        let two = |i: usize| u32::from(d[i] - b'0') * 10 + u32::from(d[i + 1] - b'0');
        let (day, month, yy) = (two(0), two(2), two(4));
        let seventh = d[6] - b'0';
        let century = century(seventh, yy);
        // `century + yy` is at most 2099: the cast cannot truncate.
        let year = (century + yy) as i32;
        let birth_date = NaiveDate::from_ymd_opt(year, month, day).ok_or(CprError::InvalidDate)?;
        Ok(Cpr { digits, birth_date })
    }

    /// The ten digits without separator. For database storage and trusted peers only:
    /// never log it, never put it in a metric label or a Redis key.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Age in whole years on `date`.
    ///
    /// The age goes up on the birthday itself. Someone born on 29 February has their
    /// birthday on 1 March in non-leap years (so they turn 18 on 1 March, not 28 February).
    /// A `date` before the birth date gives 0.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date;
        if date <= birth {
            return 0;
        }
        let mut years = date.year() - birth.year();
        // Comparing (month, day) pairs makes 29 Feb fall between 28 Feb and 1 Mar, which
        // is exactly the "counts on 1 March" rule above.
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }

    /// Sex from the last digit: odd is male, even is female.
    pub fn sex(&self) -> Sex {
        let last = self.digits.as_bytes()[9];
        if (last - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

/// The century (1800, 1900 or 2000) for the 7th digit and the two-digit year.
fn century(seventh_digit: u8, yy: u32) -> u32 {
    match seventh_digit {
        0..=3 => 1900,
        4 | 9 if yy <= 36 => 2000,
        4 | 9 => 1900,
        5..=8 if yy <= 57 => 2000,
        // 5-8 with a year above 57, and (unreachable) anything above 9.
        _ => 1800,
    }
}

impl std::str::FromStr for Cpr {
    type Err = CprError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cpr::parse(s)
    }
}

impl TryFrom<String> for Cpr {
    type Error = CprError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Cpr::parse(&value)
    }
}

impl From<Cpr> for String {
    fn from(cpr: Cpr) -> String {
        cpr.digits
    }
}

/// Masked: a `{:?}` in a log line must never reveal a CPR number.
impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cpr({MASK})")
    }
}

/// Masked: a `{}` in a log line or an error message must never reveal a CPR number.
impl fmt::Display for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn year_of(s: &str) -> i32 {
        Cpr::parse(s).unwrap().birth_date().year()
    }

    #[test]
    fn century_digits_0_to_3_are_always_1900s() {
        for seventh in 0..=3 {
            for yy in [0, 36, 37, 57, 58, 99] {
                let s = format!("0101{yy:02}{seventh}123");
                assert_eq!(year_of(&s), 1900 + yy, "{s}");
            }
        }
    }

    #[test]
    fn century_digits_4_and_9_switch_at_36_37() {
        for seventh in [4, 9] {
            for (yy, year) in [
                (0, 2000),
                (36, 2036),
                (37, 1937),
                (57, 1957),
                (58, 1958),
                (99, 1999),
            ] {
                let s = format!("0101{yy:02}{seventh}123");
                assert_eq!(year_of(&s), year, "{s}");
            }
        }
    }

    #[test]
    fn century_digits_5_to_8_switch_at_57_58() {
        for seventh in 5..=8 {
            for (yy, year) in [
                (0, 2000),
                (36, 2036),
                (37, 2037),
                (57, 2057),
                (58, 1858),
                (99, 1899),
            ] {
                let s = format!("0101{yy:02}{seventh}123");
                assert_eq!(year_of(&s), year, "{s}");
            }
        }
    }

    #[test]
    fn accepts_both_forms_and_trims() {
        let plain = Cpr::parse("0102031234").unwrap();
        let dashed = Cpr::parse("010203-1234").unwrap();
        let padded = Cpr::parse(" \t010203-1234\n").unwrap();
        assert_eq!(plain, dashed);
        assert_eq!(plain, padded);
        assert_eq!(plain.as_str(), "0102031234");
        assert_eq!(plain.birth_date(), date(1903, 2, 1));
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(Cpr::parse(""), Err(CprError::WrongLength { length: 0 }));
        assert_eq!(Cpr::parse("   "), Err(CprError::WrongLength { length: 0 }));
        assert_eq!(
            Cpr::parse("010203123"),
            Err(CprError::WrongLength { length: 9 })
        );
        assert_eq!(
            Cpr::parse("010203-12345"),
            Err(CprError::WrongLength { length: 12 })
        );
        assert_eq!(
            Cpr::parse("01020312345"),
            Err(CprError::WrongLength { length: 11 })
        );
    }

    #[test]
    fn rejects_non_digits_and_misplaced_dash() {
        for s in [
            "01020312a4",
            "0102-031234",
            "01020-31234",
            "010203 1234",
            "+102031234",
            "-102031234",
            "0102031２34",
            "٠١٠٢٠٣١٢٣٤",
            "010203--234",
        ] {
            assert!(Cpr::parse(s).is_err(), "{s}");
        }
        assert_eq!(Cpr::parse("01020312a4"), Err(CprError::NotADigit));
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in [
            "0001001234", // day 0
            "3201001234", // day 32
            "0100001234", // month 0
            "0113001234", // month 13
            "3104001234", // 31 April
            "3002001234", // 30 February
            "2902011234", // 29 Feb 1901: not a leap year
        ] {
            assert_eq!(Cpr::parse(s), Err(CprError::InvalidDate), "{s}");
        }
        // 1900 is not a leap year (digit 0-3), 2000 is (digit 4), 1800 is not (digit 5-8
        // needs yy > 57, so use 1858 instead: not a leap year either).
        assert_eq!(Cpr::parse("2902001234"), Err(CprError::InvalidDate));
        assert_eq!(
            Cpr::parse("2902004234").unwrap().birth_date(),
            date(2000, 2, 29)
        );
        assert_eq!(Cpr::parse("2902585234"), Err(CprError::InvalidDate));
        assert_eq!(
            Cpr::parse("2902605234").unwrap().birth_date(),
            date(1860, 2, 29)
        );
        assert_eq!(
            Cpr::parse("2902961234").unwrap().birth_date(),
            date(1996, 2, 29)
        );
    }

    #[test]
    fn no_modulus_11_check() {
        // 010170-1230: weighted sum is not divisible by 11, still a valid CPR.
        assert!(Cpr::parse("0101701230").is_ok());
        assert!(Cpr::parse("0101701231").is_ok());
    }

    #[test]
    fn debug_and_display_are_masked() {
        let cpr = Cpr::parse("0102031234").unwrap();
        for shown in [
            format!("{cpr:?}"),
            format!("{cpr}"),
            format!("{:?}", Some(&cpr)),
        ] {
            assert!(!shown.contains("0102031234"), "{shown}");
            assert!(!shown.contains("010203"), "{shown}");
            assert!(!shown.contains("1234"), "{shown}");
            assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{shown}");
        }
    }

    #[test]
    fn errors_never_echo_the_input() {
        for s in ["3002001234", "01020312a4", "0102031234567"] {
            let err = Cpr::parse(s).unwrap_err();
            for shown in [format!("{err}"), format!("{err:?}")] {
                assert!(!shown.contains(&s[..6]), "{shown}");
            }
        }
    }

    #[test]
    fn age_counts_birthday_itself() {
        let cpr = Cpr::parse("1505801234").unwrap(); // 15 May 1980
        assert_eq!(cpr.age_on(date(2020, 5, 14)), 39);
        assert_eq!(cpr.age_on(date(2020, 5, 15)), 40);
        assert_eq!(cpr.age_on(date(2020, 12, 31)), 40);
        assert_eq!(cpr.age_on(date(2021, 1, 1)), 40);
        assert_eq!(cpr.age_on(date(1980, 5, 15)), 0);
        assert_eq!(cpr.age_on(date(1981, 5, 14)), 0);
        assert_eq!(cpr.age_on(date(1981, 5, 15)), 1);
        assert_eq!(cpr.age_on(date(1970, 1, 1)), 0, "before birth");
    }

    #[test]
    fn age_of_leapling_goes_up_on_first_of_march_in_common_years() {
        let cpr = Cpr::parse("2902044234").unwrap(); // 29 Feb 2004
        assert_eq!(cpr.age_on(date(2022, 2, 28)), 17);
        assert_eq!(cpr.age_on(date(2022, 3, 1)), 18);
        assert_eq!(cpr.age_on(date(2024, 2, 28)), 19);
        assert_eq!(cpr.age_on(date(2024, 2, 29)), 20);
    }

    #[test]
    fn sex_from_last_digit() {
        assert_eq!(Cpr::parse("0102031231").unwrap().sex(), Sex::Male);
        assert_eq!(Cpr::parse("0102031239").unwrap().sex(), Sex::Male);
        assert_eq!(Cpr::parse("0102031230").unwrap().sex(), Sex::Female);
        assert_eq!(Cpr::parse("0102031238").unwrap().sex(), Sex::Female);
    }

    #[test]
    fn serde_round_trip_goes_through_parse() {
        let cpr: Cpr = serde_json::from_str("\"010203-1234\"").unwrap();
        assert_eq!(serde_json::to_string(&cpr).unwrap(), "\"0102031234\"");
        assert!(serde_json::from_str::<Cpr>("\"3002001234\"").is_err());
        assert!(serde_json::from_str::<Cpr>("1234").is_err());
    }
}
