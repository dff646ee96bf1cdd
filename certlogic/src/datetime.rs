//! Date-times of CertLogic: parsing the allowed formats, `plusTime` offsetting and the
//! `dccDateOfBirth` conversion, all on a millisecond count since 1970-01-01T00:00:00Z.
//!
//! The spec (SPECIFICATION.md, "Offset date-time (`plusTime`)") defines offsetting through
//! the ECMAScript `Date` methods `setUTCFullYear`, `setUTCMonth`, `setUTCDate` and
//! `setUTCHours`, so this module implements the ECMAScript day/time arithmetic (`MakeDay`,
//! `MakeDate`, `TimeClip`, ECMA-262 §21.4.1) rather than a calendar library's: a day that
//! does not exist in the target month rolls over into the next month (2020-02-29 + 1 year
//! = 2021-03-01), and nothing depends on time zones or daylight saving time once parsed.
//!
//! Everything is checked arithmetic: no input makes this module panic.

use crate::Error;

/// Milliseconds in one day.
const MS_PER_DAY: i64 = 86_400_000;
/// Milliseconds in one hour.
const MS_PER_HOUR: i64 = 3_600_000;
/// ECMAScript `TimeClip` bound (ECMA-262 §21.4.1.31): instants beyond ±8.64e15 ms are invalid.
const MAX_TIME_MS: i64 = 8_640_000_000_000_000;
/// Years beyond this are outside the `TimeClip` range anyway (it spans about ±275 760
/// years); checking it first keeps every intermediate computation small.
const MAX_ABS_YEAR: i64 = 300_000;

/// A CertLogic date-time: an instant with millisecond precision (SPECIFICATION.md, "Dates
/// and date-times": both constructing operations produce millisecond precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    millis: i64,
}

/// The time units `plusTime` accepts (SPECIFICATION.md, "Offset date-time").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// `"year"`: ECMAScript `setUTCFullYear`.
    Year,
    /// `"month"`: ECMAScript `setUTCMonth`.
    Month,
    /// `"day"`: ECMAScript `setUTCDate`.
    Day,
    /// `"hour"`: ECMAScript `setUTCHours`.
    Hour,
}

impl TimeUnit {
    /// Parses the unit's name as written in a `plusTime` operation.
    pub fn parse(name: &str) -> Option<TimeUnit> {
        match name {
            "year" => Some(TimeUnit::Year),
            "month" => Some(TimeUnit::Month),
            "day" => Some(TimeUnit::Day),
            "hour" => Some(TimeUnit::Hour),
            _ => None,
        }
    }

    /// All unit names, in the order the spec lists them.
    pub const NAMES: [&'static str; 4] = ["year", "month", "day", "hour"];
}

impl DateTime {
    /// The instant `millis` milliseconds after 1970-01-01T00:00:00Z, if within the ECMAScript
    /// `Date` range.
    pub fn from_millis(millis: i64) -> Result<DateTime, Error> {
        if millis.checked_abs().is_none_or(|m| m > MAX_TIME_MS) {
            return Err(Error::DateTimeOutOfRange);
        }
        Ok(DateTime { millis })
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn millis(self) -> i64 {
        self.millis
    }

    /// Parses a date or date-time in one of the formats SPECIFICATION.md lists for
    /// `plusTime`. Partial dates (`YYYY`, `YYYY-MM`) are read as `dccDateOfBirth` reads
    /// them; a missing time is midnight; a missing offset is `Z`; sub-second digits beyond
    /// the third are dropped (rounding down).
    ///
    /// The spec leaves anything else undefined (e.g. `2021-09-99`); this function rejects
    /// it with [`Error::InvalidDateTime`].
    pub fn parse(s: &str) -> Result<DateTime, Error> {
        let invalid = || Error::InvalidDateTime(s.chars().take(64).collect());
        let b = s.as_bytes();
        match b.len() {
            4 | 7 => return DateTime::parse_date_of_birth(s),
            10 => {
                let (y, m, d) = parse_ymd(b).ok_or_else(invalid)?;
                return DateTime::from_parts(y, m, d, 0, 0, 0, 0, 0);
            }
            _ => {}
        }
        if b.len() < 19 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(invalid());
        }
        let (y, m, d) = parse_ymd(&b[..10]).ok_or_else(invalid)?;
        let hh = digits(&b[11..13]).ok_or_else(invalid)?;
        let mm = digits(&b[14..16]).ok_or_else(invalid)?;
        let ss = digits(&b[17..19]).ok_or_else(invalid)?;
        if hh > 23 || mm > 59 || ss > 59 {
            return Err(invalid());
        }
        let mut rest = &b[19..];
        let mut ms = 0i64;
        if let Some((&b'.', frac)) = rest.split_first() {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return Err(invalid());
            }
            // Only the first three decimals count: later ones are dropped, i.e. rounded down.
            let mut scale = 100;
            for &c in &frac[..n.min(3)] {
                ms += i64::from(c - b'0') * scale;
                scale /= 10;
            }
            rest = &frac[n..];
        }
        let offset_minutes = parse_offset(rest).ok_or_else(invalid)?;
        DateTime::from_parts(y, m, d, hh, mm, ss, ms, offset_minutes)
    }

    /// The `dccDateOfBirth` conversion (SPECIFICATION.md, "DCC Date of birth"): `YYYY` is
    /// the 31st of December, `YYYY-MM` the last day of that month, `YYYY-MM-DD` that day;
    /// always at midnight UTC: "the last date consistent with the provided data".
    pub fn parse_date_of_birth(s: &str) -> Result<DateTime, Error> {
        let invalid = || Error::InvalidDateTime(s.chars().take(64).collect());
        let b = s.as_bytes();
        match b.len() {
            4 => {
                let y = digits(b).ok_or_else(invalid)?;
                DateTime::from_parts(y, 12, 31, 0, 0, 0, 0, 0)
            }
            7 if b[4] == b'-' => {
                let y = digits(&b[..4]).ok_or_else(invalid)?;
                let m = digits(&b[5..7]).ok_or_else(invalid)?;
                if !(1..=12).contains(&m) {
                    return Err(invalid());
                }
                DateTime::from_parts(y, m, days_in_month(y, m), 0, 0, 0, 0, 0)
            }
            10 => {
                let (y, m, d) = parse_ymd(b).ok_or_else(invalid)?;
                DateTime::from_parts(y, m, d, 0, 0, 0, 0, 0)
            }
            _ => Err(invalid()),
        }
    }

    /// Builds an instant from a calendar date, a time of day and an offset from UTC in
    /// minutes (the local time minus UTC). Rejects days that do not exist.
    #[allow(clippy::too_many_arguments)] // the fields of a date-time string, in order
    fn from_parts(
        y: i64,
        m: i64,
        d: i64,
        hh: i64,
        mm: i64,
        ss: i64,
        ms: i64,
        offset_minutes: i64,
    ) -> Result<DateTime, Error> {
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return Err(Error::InvalidDateTime(format!("{y:04}-{m:02}-{d:02}")));
        }
        let days = days_from_civil(y, m, d);
        let local = days * MS_PER_DAY + ((hh * 60 + mm) * 60 + ss) * 1000 + ms;
        DateTime::from_millis(local - offset_minutes * 60_000)
    }

    /// The `plusTime` offsetting (SPECIFICATION.md, "Offset date-time"):
    /// `dateTime.setUTC<unit>(dateTime.getUTC<unit>() + amount)` in ECMAScript terms.
    pub fn plus(self, amount: i64, unit: TimeUnit) -> Result<DateTime, Error> {
        let days = self.millis.div_euclid(MS_PER_DAY);
        let time_in_day = self.millis.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let new_days = match unit {
            TimeUnit::Hour => {
                let delta = amount
                    .checked_mul(MS_PER_HOUR)
                    .ok_or(Error::DateTimeOutOfRange)?;
                let millis = self
                    .millis
                    .checked_add(delta)
                    .ok_or(Error::DateTimeOutOfRange)?;
                return DateTime::from_millis(millis);
            }
            TimeUnit::Day => days.checked_add(amount).ok_or(Error::DateTimeOutOfRange)?,
            TimeUnit::Month => {
                let month0 = (m - 1)
                    .checked_add(amount)
                    .ok_or(Error::DateTimeOutOfRange)?;
                make_day(y, month0, d)?
            }
            TimeUnit::Year => {
                let year = y.checked_add(amount).ok_or(Error::DateTimeOutOfRange)?;
                make_day(year, m - 1, d)?
            }
        };
        let millis = new_days
            .checked_mul(MS_PER_DAY)
            .and_then(|ms| ms.checked_add(time_in_day))
            .ok_or(Error::DateTimeOutOfRange)?;
        DateTime::from_millis(millis)
    }
}

/// Formats like ECMAScript `Date.prototype.toISOString`: `YYYY-MM-DDTHH:mm:ss.sssZ`, with a
/// signed six-digit year outside 0000..=9999. This is how a date-time result leaves the
/// evaluator as JSON.
impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days = self.millis.div_euclid(MS_PER_DAY);
        let t = self.millis.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        if (0..=9999).contains(&y) {
            write!(f, "{y:04}")?;
        } else if y < 0 {
            write!(f, "-{:06}", -y)?;
        } else {
            write!(f, "+{y:06}")?;
        }
        write!(
            f,
            "-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            t / MS_PER_HOUR,
            (t / 60_000) % 60,
            (t / 1000) % 60,
            t % 1000
        )
    }
}

/// ECMAScript `MakeDay(year, month, date)` (ECMA-262 §21.4.1.28): the month may be out of
/// 0..=11 (it carries into the year) and the date may exceed the month's length (it carries
/// into the following days).
fn make_day(year: i64, month0: i64, date: i64) -> Result<i64, Error> {
    let year = year
        .checked_add(month0.div_euclid(12))
        .ok_or(Error::DateTimeOutOfRange)?;
    if year.abs() > MAX_ABS_YEAR {
        return Err(Error::DateTimeOutOfRange);
    }
    let month = month0.rem_euclid(12) + 1;
    Ok(days_from_civil(year, month, 1) + date - 1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
/// Callers keep `y` within ±[`MAX_ABS_YEAR`]-ish, so nothing overflows.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`). Inputs come from valid instants, so nothing overflows.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap_year(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A run of ASCII digits as a number; `None` if empty, not all digits, or longer than 4.
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, &c| n * 10 + i64::from(c - b'0')))
}

/// `YYYY-MM-DD` (exactly ten bytes).
fn parse_ymd(b: &[u8]) -> Option<(i64, i64, i64)> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((digits(&b[..4])?, digits(&b[5..7])?, digits(&b[8..10])?))
}

/// The time-zone suffix of a date-time, as minutes east of UTC: empty (meaning `Z`, per
/// the spec), `Z`, or `[+-]h`, `[+-]hh`, `[+-]hmm`, `[+-]hhmm`, `[+-]h:mm`, `[+-]hh:mm`.
fn parse_offset(b: &[u8]) -> Option<i64> {
    let (sign, rest) = match b.split_first() {
        None => return Some(0),
        Some((b'Z', [])) => return Some(0),
        Some((b'+', rest)) => (1, rest),
        Some((b'-', rest)) => (-1, rest),
        Some(_) => return None,
    };
    let (h, m) = match rest.iter().position(|&c| c == b':') {
        Some(colon) => {
            let (h, m) = (&rest[..colon], &rest[colon + 1..]);
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            (digits(h)?, digits(m)?)
        }
        None => match rest.len() {
            1 | 2 => (digits(rest)?, 0),
            3 => (digits(&rest[..1])?, digits(&rest[1..])?),
            4 => (digits(&rest[..2])?, digits(&rest[2..])?),
            _ => return None,
        },
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        match DateTime::parse(s) {
            Ok(dt) => dt.to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    fn plus(s: &str, amount: i64, unit: TimeUnit) -> String {
        match DateTime::parse(s).and_then(|dt| dt.plus(amount, unit)) {
            Ok(dt) => dt.to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn parses_every_allowed_format() {
        let cases = [
            ("2021", "2021-12-31T00:00:00.000Z"),
            ("2020-02", "2020-02-29T00:00:00.000Z"),
            ("2021-02", "2021-02-28T00:00:00.000Z"),
            ("2021-04", "2021-04-30T00:00:00.000Z"),
            ("2021-06-01", "2021-06-01T00:00:00.000Z"),
            ("2021-06-01T12:34:56", "2021-06-01T12:34:56.000Z"),
            ("2021-06-01T12:34:56Z", "2021-06-01T12:34:56.000Z"),
            ("2021-06-01T12:34:56+2", "2021-06-01T10:34:56.000Z"),
            ("2021-06-01T12:34:56-02", "2021-06-01T14:34:56.000Z"),
            ("2021-06-01T12:34:56+130", "2021-06-01T11:04:56.000Z"),
            ("2021-06-01T12:34:56+0130", "2021-06-01T11:04:56.000Z"),
            ("2021-06-01T12:34:56-1:30", "2021-06-01T14:04:56.000Z"),
            ("2021-06-01T12:34:56+01:30", "2021-06-01T11:04:56.000Z"),
            ("2021-06-01T12:34:56.1", "2021-06-01T12:34:56.100Z"),
            ("2021-06-01T12:34:56.12Z", "2021-06-01T12:34:56.120Z"),
            (
                "2021-06-01T12:34:56.123456789+2",
                "2021-06-01T10:34:56.123Z",
            ),
            ("2021-06-01T12:34:56.9999-02", "2021-06-01T14:34:56.999Z"),
            ("2021-06-01T00:30:00.5+0130", "2021-05-31T23:00:00.500Z"),
            ("2021-06-01T12:34:56.1-1:30", "2021-06-01T14:04:56.100Z"),
            ("2021-06-01T12:34:56.1+01:30", "2021-06-01T11:04:56.100Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(p(input), expected, "{input}");
        }
    }

    #[test]
    fn rejects_what_the_spec_does_not_allow() {
        for bad in [
            "",
            "21",
            "2021-13",
            "2021-00",
            "2021-02-29",
            "2021-09-99",
            "2021-06-01T",
            "2021-06-01T12:34",
            "2021-06-01 12:34:56",
            "2021-06-01T24:00:00",
            "2021-06-01T12:60:00",
            "2021-06-01T12:34:56.",
            "2021-06-01T12:34:56+",
            "2021-06-01T12:34:56+01:",
            "2021-06-01T12:34:56+12345",
            "2021-06-01T12:34:56+24",
            "2021-06-01T12:34:56z",
            "2021-06-01T12:34:56ZZ",
            "２０２１-06-01",
            "2021-06-01T12:34:56.1é",
        ] {
            assert!(p(bad).starts_with("error"), "{bad:?} parsed as {}", p(bad));
        }
    }

    #[test]
    fn leap_days_follow_the_spec_table() {
        // SPECIFICATION.md, "Leap days".
        assert_eq!(
            plus("2020-02-29", 1, TimeUnit::Day),
            "2020-03-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-02-29", 1, TimeUnit::Month),
            "2020-03-29T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-02-29", 1, TimeUnit::Year),
            "2021-03-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-02-29", 4, TimeUnit::Year),
            "2024-02-29T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-02-29", -1, TimeUnit::Year),
            "2019-03-01T00:00:00.000Z"
        );
    }

    #[test]
    fn month_overflow_rolls_like_ecmascript() {
        assert_eq!(
            plus("2021-01-31", 1, TimeUnit::Month),
            "2021-03-03T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-01-31", 1, TimeUnit::Month),
            "2020-03-02T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-03-31", -1, TimeUnit::Month),
            "2021-03-03T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-11-15", 2, TimeUnit::Month),
            "2022-01-15T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-01-15", -13, TimeUnit::Month),
            "2019-12-15T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-05-10", 120, TimeUnit::Month),
            "2031-05-10T00:00:00.000Z"
        );
    }

    #[test]
    fn offsets_are_applied_before_the_arithmetic() {
        // 23:00 at +02:00 is 21:00Z; a day later is still 21:00Z, no DST involved.
        assert_eq!(
            plus("2021-03-27T23:00:00+02:00", 1, TimeUnit::Day),
            "2021-03-28T21:00:00.000Z"
        );
        // 00:30 at +01:00 is the previous UTC day: the month arithmetic happens in UTC.
        assert_eq!(
            plus("2021-03-01T00:30:00+01:00", 1, TimeUnit::Month),
            "2021-03-28T23:30:00.000Z"
        );
        assert_eq!(
            plus("2021-06-01T00:00:00Z", 40, TimeUnit::Hour),
            "2021-06-02T16:00:00.000Z"
        );
        assert_eq!(
            plus("2021-06-01T00:00:00Z", -25, TimeUnit::Hour),
            "2021-05-30T23:00:00.000Z"
        );
    }

    #[test]
    fn huge_amounts_are_errors_not_panics() {
        for unit in [
            TimeUnit::Year,
            TimeUnit::Month,
            TimeUnit::Day,
            TimeUnit::Hour,
        ] {
            for amount in [i64::MAX, i64::MIN, 1 << 40, -(1 << 40)] {
                assert!(plus("2021-06-01", amount, unit).starts_with("error"));
            }
        }
        // The ECMAScript range ends at +275760-09-13.
        assert_eq!(
            plus("2021-06-01", 273_000, TimeUnit::Year),
            "+275021-06-01T00:00:00.000Z"
        );
        assert!(plus("2021-06-01", 274_000, TimeUnit::Year).starts_with("error"));
        assert_eq!(
            plus("0001-01-01", -2, TimeUnit::Year),
            "-000001-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
