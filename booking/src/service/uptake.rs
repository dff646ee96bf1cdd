//! Uptake of a campaign: how many citizens of each age band and municipality have a
//! booking (active or done) in it, beside how many there are. For the authority's
//! console; counts only, never a person.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::Service;
use crate::domain::MunicipalityCode;
use crate::error::{BookingError, Result};

/// Age bands, as the authority reports them: (label, lowest age, highest age).
pub const AGE_BANDS: [(&str, u32, u32); 8] = [
    ("0-17", 0, 17),
    ("18-29", 18, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60-69", 60, 69),
    ("70-79", 70, 79),
    ("80+", 80, 200),
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UptakeRow {
    /// Age band label, or municipality code.
    pub key: String,
    /// Municipality name (empty for age bands).
    pub name: String,
    pub citizens: i64,
    pub booked: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Uptake {
    pub campaign: String,
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    pub by_age: Vec<UptakeRow>,
    pub by_municipality: Vec<UptakeRow>,
}

/// The age in whole years on `on` of someone born on `born`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years.max(0)).unwrap_or(0)
}

/// The band a given age falls in.
pub fn band_of(age: u32) -> &'static str {
    AGE_BANDS
        .iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&age))
        .map_or("80+", |b| b.0)
}

impl Service {
    /// Uptake of `campaign` (code) today, by age band and by municipality.
    pub async fn uptake(&self, campaign: &str) -> Result<Uptake> {
        let snap = self.catalog.snapshot();
        let c = snap
            .campaign_by_code(campaign)
            .ok_or_else(|| BookingError::UnknownCampaign(campaign.to_owned()))?;
        let on = crate::domain::slotgen::local_date(self.clock.now());
        // A report: from the read replica (a booking a second old may be missing).
        let client = self.read_client().await?;
        // Grouped by birth date and municipality in SQL (at most about 40,000 birth
        // dates × 98 municipalities), then into age bands here, on today's date. A
        // citizen with several bookings in the campaign (one active, others attended)
        // is one citizen, booked once.
        let rows = client
            .query(
                "SELECT ci.birth_date, ci.municipality_code, count(*) AS citizens,
                        count(b.cpr) AS booked
                 FROM citizens ci
                 LEFT JOIN (SELECT DISTINCT cpr FROM bookings
                             WHERE campaign_id = $1 AND status IN ('active', 'done')) b
                      ON b.cpr = ci.cpr
                 GROUP BY ci.birth_date, ci.municipality_code",
                &[&c.id.0],
            )
            .await?;
        let mut by_age: Vec<UptakeRow> = AGE_BANDS
            .iter()
            .map(|(label, _, _)| UptakeRow {
                key: (*label).to_owned(),
                name: String::new(),
                citizens: 0,
                booked: 0,
            })
            .collect();
        let mut by_m: std::collections::BTreeMap<i16, (i64, i64)> = Default::default();
        for r in rows {
            let born: NaiveDate = r.get(0);
            let m: i16 = r.get(1);
            let (n, b): (i64, i64) = (r.get(2), r.get(3));
            let band = band_of(age_on(born, on));
            if let Some(row) = by_age.iter_mut().find(|x| x.key == band) {
                row.citizens += n;
                row.booked += b;
            }
            let e = by_m.entry(m).or_default();
            e.0 += n;
            e.1 += b;
        }
        let by_municipality = by_m
            .into_iter()
            .map(|(code, (citizens, booked))| UptakeRow {
                key: code.to_string(),
                name: u16::try_from(code)
                    .ok()
                    .and_then(|c| MunicipalityCode::new(c).ok())
                    .map(|m| m.info().name.to_owned())
                    .unwrap_or_default(),
                citizens,
                booked,
            })
            .collect();
        Ok(Uptake {
            campaign: c.code.clone(),
            on,
            by_age,
            by_municipality,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_bands() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(age_on(d(1946, 12, 2), d(2026, 12, 1)), 79);
        assert_eq!(age_on(d(1946, 12, 1), d(2026, 12, 1)), 80);
        assert_eq!(age_on(d(2030, 1, 1), d(2026, 12, 1)), 0);
        assert_eq!(band_of(17), "0-17");
        assert_eq!(band_of(18), "18-29");
        assert_eq!(band_of(80), "80+");
        assert_eq!(band_of(130), "80+");
    }
}
