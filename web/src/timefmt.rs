//! Dates and times as people in Denmark read them: local time (Europe/Copenhagen),
//! 24-hour clock, day and month names in the page's language.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Europe::Copenhagen;

use crate::i18n::Lang;
use service_kit::calendar::{DAYS_DA, DAYS_EN, MONTHS_DA, MONTHS_EN};

fn day_name(d: Weekday, lang: Lang) -> &'static str {
    let i = d.num_days_from_monday() as usize;
    match lang {
        Lang::Da => DAYS_DA[i],
        Lang::En => DAYS_EN[i],
    }
}

fn month_name(month0: u32, lang: Lang) -> &'static str {
    let i = (month0 as usize).min(11);
    match lang {
        Lang::Da => MONTHS_DA[i],
        Lang::En => MONTHS_EN[i],
    }
}

/// The local calendar date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Copenhagen).date_naive()
}

/// `14:05`, local time.
pub fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Copenhagen).format("%H:%M").to_string()
}

/// `tirsdag 1. december 2026` / `Tuesday 1 December 2026`.
pub fn date_long(d: NaiveDate, lang: Lang) -> String {
    let (day, month) = (day_name(d.weekday(), lang), month_name(d.month0(), lang));
    match lang {
        Lang::Da => format!("{day} {}. {month} {}", d.day(), d.year()),
        Lang::En => format!("{day} {} {month} {}", d.day(), d.year()),
    }
}

/// `tirsdag 1. december` / `Tuesday 1 December`: for the day picker.
pub fn date_short(d: NaiveDate, lang: Lang) -> String {
    let (day, month) = (day_name(d.weekday(), lang), month_name(d.month0(), lang));
    match lang {
        Lang::Da => format!("{day} {}. {month}", d.day()),
        Lang::En => format!("{day} {} {month}", d.day()),
    }
}

/// `tirsdag 1. december 2026 kl. 14:05` / `Tuesday 1 December 2026 at 14:05`.
pub fn datetime_long(t: DateTime<Utc>, lang: Lang) -> String {
    let d = date_long(local_date(t), lang);
    match lang {
        Lang::Da => format!("{d} kl. {}", time(t)),
        Lang::En => format!("{d} at {}", time(t)),
    }
}

/// `n` days from `from` on, for the day picker.
pub fn days_from(from: NaiveDate, n: u32) -> Vec<NaiveDate> {
    (0..i64::from(n))
        .map(|i| from + Duration::days(i))
        .collect()
}

/// Whole minutes left until `until`, rounded up; 0 once it has passed.
pub fn minutes_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (until - now).num_seconds();
    if secs <= 0 {
        0
    } else {
        (secs + 59) / 60
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn local_time_follows_copenhagen_summer_and_winter() {
        assert_eq!(time(at("2026-12-01T13:05:00Z")), "14:05");
        assert_eq!(time(at("2026-07-01T13:05:00Z")), "15:05");
        // Just before midnight UTC is the next day in Copenhagen.
        assert_eq!(
            local_date(at("2026-12-01T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
    }

    #[test]
    fn dates_in_both_languages() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date_long(d, Lang::Da), "tirsdag 1. december 2026");
        assert_eq!(date_long(d, Lang::En), "Tuesday 1 December 2026");
        assert_eq!(date_short(d, Lang::Da), "tirsdag 1. december");
        assert_eq!(
            datetime_long(at("2026-12-01T13:05:00Z"), Lang::En),
            "Tuesday 1 December 2026 at 14:05"
        );
        assert_eq!(
            datetime_long(at("2026-12-01T13:05:00Z"), Lang::Da),
            "tirsdag 1. december 2026 kl. 14:05"
        );
    }

    #[test]
    fn minutes_round_up_and_stop_at_zero() {
        let now = at("2026-12-01T10:00:00Z");
        assert_eq!(minutes_left(at("2026-12-01T10:05:00Z"), now), 5);
        assert_eq!(minutes_left(at("2026-12-01T10:00:01Z"), now), 1);
        assert_eq!(minutes_left(at("2026-12-01T09:59:00Z"), now), 0);
        assert_eq!(days_from(local_date(now), 3).len(), 3);
    }
}
