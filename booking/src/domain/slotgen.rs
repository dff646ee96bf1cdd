//! Bulk slot generation: a date range, opening hours and an interval become slots.
//!
//! Times are local Danish time (Europe/Copenhagen): a site opens at 08:00 on both sides
//! of a daylight-saving change. A local time that does not exist (the spring-forward
//! hour) is skipped; an ambiguous one (autumn) takes the earlier instant.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Copenhagen;
use serde::Deserialize;
use utoipa::ToSchema;

use super::campaign::CampaignCode;
use super::ids::Capacity;

/// Upper bounds that keep one request from creating an absurd number of rows.
pub const MAX_DAYS: i64 = 366;
pub const MAX_SLOTS: usize = 20_000;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotPlan {
    pub campaign: CampaignCode,
    /// First day, inclusive.
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last day, inclusive.
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Local opening time, e.g. `08:00`.
    #[schema(value_type = String, example = "08:00")]
    pub opens: NaiveTime,
    /// Local closing time; the last slot ends at or before it.
    #[schema(value_type = String, example = "16:00")]
    pub closes: NaiveTime,
    /// Minutes per slot (5 to 240).
    pub interval_minutes: u32,
    /// People per slot.
    #[schema(value_type = u32)]
    pub capacity: Capacity,
    /// Days of the week to open (`mon`..`sun`); all days when absent.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub weekdays: Option<Vec<WeekdayName>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeekdayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl WeekdayName {
    fn weekday(self) -> Weekday {
        match self {
            Self::Mon => Weekday::Mon,
            Self::Tue => Weekday::Tue,
            Self::Wed => Weekday::Wed,
            Self::Thu => Weekday::Thu,
            Self::Fri => Weekday::Fri,
            Self::Sat => Weekday::Sat,
            Self::Sun => Weekday::Sun,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotPlanError {
    #[error("`to` is before `from`")]
    EmptyRange,
    #[error("the date range is longer than {MAX_DAYS} days")]
    RangeTooLong,
    #[error("`closes` must be after `opens`")]
    ClosesBeforeOpens,
    #[error("interval_minutes must be between 5 and 240")]
    BadInterval,
    #[error("the plan makes more than {MAX_SLOTS} slots; split it")]
    TooManySlots,
    #[error("the plan makes no slot at all")]
    NoSlots,
}

/// One generated slot, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedSlot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl SlotPlan {
    pub fn generate(&self) -> Result<Vec<PlannedSlot>, SlotPlanError> {
        if self.to < self.from {
            return Err(SlotPlanError::EmptyRange);
        }
        if (self.to - self.from).num_days() >= MAX_DAYS {
            return Err(SlotPlanError::RangeTooLong);
        }
        if self.closes <= self.opens {
            return Err(SlotPlanError::ClosesBeforeOpens);
        }
        if !(5..=240).contains(&self.interval_minutes) {
            return Err(SlotPlanError::BadInterval);
        }
        let step = Duration::minutes(i64::from(self.interval_minutes));
        let mut slots = Vec::new();
        for day in self.from.iter_days().take_while(|d| *d <= self.to) {
            if let Some(days) = &self.weekdays {
                if !days.iter().any(|w| w.weekday() == day.weekday()) {
                    continue;
                }
            }
            let mut start = self.opens;
            loop {
                let (end, wrapped) = start.overflowing_add_signed(step);
                if wrapped != 0 || end > self.closes {
                    break;
                }
                // The end is start + interval in real time, so a slot next to a
                // daylight-saving change still lasts exactly one interval.
                if let Some(s) = local(day, start) {
                    slots.push(PlannedSlot {
                        starts_at: s,
                        ends_at: s + step,
                    });
                    if slots.len() > MAX_SLOTS {
                        return Err(SlotPlanError::TooManySlots);
                    }
                }
                start = end;
            }
        }
        if slots.is_empty() {
            return Err(SlotPlanError::NoSlots);
        }
        Ok(slots)
    }
}

fn local(day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    Copenhagen
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The local (Danish) calendar date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Copenhagen).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(from: &str, to: &str, opens: &str, closes: &str, every: u32) -> SlotPlan {
        SlotPlan {
            campaign: CampaignCode::parse("pcr-test").unwrap(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            opens: opens.parse().unwrap(),
            closes: closes.parse().unwrap(),
            interval_minutes: every,
            capacity: Capacity::new(5).unwrap(),
            weekdays: None,
        }
    }

    #[test]
    fn one_day_of_quarter_hours() {
        let slots = plan("2026-12-01", "2026-12-01", "08:00:00", "16:00:00", 15)
            .generate()
            .unwrap();
        assert_eq!(slots.len(), 32);
        // Winter: Copenhagen is UTC+1.
        assert_eq!(slots[0].starts_at.to_rfc3339(), "2026-12-01T07:00:00+00:00");
        assert_eq!(slots[31].ends_at.to_rfc3339(), "2026-12-01T15:00:00+00:00");
    }

    #[test]
    fn summer_time_shifts_utc() {
        let slots = plan("2026-07-01", "2026-07-01", "08:00:00", "09:00:00", 30)
            .generate()
            .unwrap();
        assert_eq!(slots[0].starts_at.to_rfc3339(), "2026-07-01T06:00:00+00:00");
    }

    #[test]
    fn spring_forward_hour_is_skipped() {
        // 2026-03-29 02:00-03:00 local does not exist.
        let slots = plan("2026-03-29", "2026-03-29", "01:00:00", "04:00:00", 60)
            .generate()
            .unwrap();
        let starts: Vec<_> = slots.iter().map(|s| s.starts_at.to_rfc3339()).collect();
        assert_eq!(
            starts,
            ["2026-03-29T00:00:00+00:00", "2026-03-29T01:00:00+00:00"]
        );
    }

    #[test]
    fn weekdays_filter() {
        let mut p = plan("2026-11-23", "2026-11-29", "08:00:00", "09:00:00", 60);
        p.weekdays = Some(vec![WeekdayName::Mon, WeekdayName::Sun]);
        assert_eq!(p.generate().unwrap().len(), 2);
    }

    #[test]
    fn rejects_bad_plans() {
        let e = |p: SlotPlan| p.generate().unwrap_err();
        assert_eq!(
            e(plan("2026-12-02", "2026-12-01", "08:00:00", "16:00:00", 15)),
            SlotPlanError::EmptyRange
        );
        assert_eq!(
            e(plan("2026-12-01", "2026-12-01", "16:00:00", "08:00:00", 15)),
            SlotPlanError::ClosesBeforeOpens
        );
        assert_eq!(
            e(plan("2026-12-01", "2026-12-01", "08:00:00", "16:00:00", 1)),
            SlotPlanError::BadInterval
        );
        assert_eq!(
            e(plan("2026-01-01", "2027-12-01", "08:00:00", "16:00:00", 15)),
            SlotPlanError::RangeTooLong
        );
        assert_eq!(
            e(plan("2026-12-01", "2026-12-01", "08:00:00", "08:10:00", 15)),
            SlotPlanError::NoSlots
        );
        assert_eq!(
            e(plan("2026-01-01", "2026-12-31", "00:00:00", "23:59:00", 5)),
            SlotPlanError::TooManySlots
        );
    }
}
